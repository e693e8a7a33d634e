extension LabelSelector {
    /// The selector a typed metav1.LabelSelector stands for; nil gives `nothing`, as kube's
    /// `LabelSelectorAsSelector` converts a nil selector.
    public init(spec: LabelSelectorSpec?) throws(SelectorError) {
        guard let spec else {
            self = .nothing
            return
        }
        try self.init(matchLabels: spec.matchLabels ?? [:],
                      matchExpressions: (spec.matchExpressions ?? []).map {
                          (key: $0.key, operator: $0.operator, values: $0.values ?? [])
                      })
    }
}
