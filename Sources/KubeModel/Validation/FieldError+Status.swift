extension FieldError {
    /// The StatusCause kube lists in `details.causes` for this error (reason = kind, message = body without field).
    public var statusCause: Status.Cause {
        Status.Cause(reason: kind.rawValue, message: body, field: field)
    }
}

extension Status {
    /// The 422 `Invalid` Status kube-apiserver answers with when validation rejects an object
    /// (`errors.NewInvalid` upstream). An empty `group` (core) or name is left out of `details`, as
    /// kube omits empty fields there.
    public static func invalid(kind: String, group: String = "", name: String, errors: FieldErrors) -> Status {
        let details = Status.Details(name: name.isEmpty ? nil : name, group: group.isEmpty ? nil : group, kind: kind,
                                     causes: errors.map(\.statusCause))
        return Status(code: 422, reason: "Invalid",
                      message: invalidMessage(kind: kind, group: group, name: name, errors: errors),
                      details: details)
    }
}
