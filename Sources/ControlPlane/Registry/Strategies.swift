import KubeModel

enum Strategies {
    static func all(allocators: ServiceAllocators) -> [any ResourceStrategy] {
        [
            NamespaceStrategy(), TypedStrategy(ResourceCatalog.nodes, Node.self).withFields(nodeFields),
            PodStrategy(), ServiceStrategy(allocators: allocators), EndpointSliceStrategy(),
            WorkloadStrategy<Deployment>(resource: ResourceCatalog.deployments),
            WorkloadStrategy<ReplicaSet>(resource: ResourceCatalog.replicaSets),
            TypedStrategy(ResourceCatalog.leases, Lease.self),
        ]
    }

    /// Services and namespaces are DNS labels (they become DNS names); everything else a DNS subdomain.
    static func nameRule(_ r: APIResource) -> (String) -> [String] {
        switch r.kind {
        case "Service": return NameValidation.dns1035Label
        case "Namespace": return NameValidation.dns1123Label
        default: return NameValidation.dns1123Subdomain
        }
    }

    static func nodeFields(_ o: JSONValue) -> [String: String] {
        ["spec.unschedulable": (o.value(at: ["spec", "unschedulable"])?.boolValue ?? false) ? "true" : "false"]
    }
}

/// Adds field-selector fields to a typed strategy.
struct FieldsStrategy<T: KubeObject>: ResourceStrategy {
    let base: TypedStrategy<T>
    let fields: @Sendable (JSONValue) -> [String: String]
    var resource: APIResource { base.resource }
    func normalize(_ object: JSONValue) throws(ObjectCodec.ShapeError) -> JSONValue { try base.normalize(object) }
    func selectableFields(_ object: JSONValue) -> [String: String] {
        baseSelectableFields(object).merging(fields(object)) { a, _ in a }
    }
}

extension TypedStrategy {
    func withFields(_ f: @escaping @Sendable (JSONValue) -> [String: String]) -> FieldsStrategy<T> {
        FieldsStrategy(base: self, fields: f)
    }
}

struct NamespaceStrategy: ResourceStrategy {
    let resource = ResourceCatalog.namespaces
    func normalize(_ object: JSONValue) throws(ObjectCodec.ShapeError) -> JSONValue {
        try ObjectCodec.normalize(Namespace.self, object).1
    }
    func prepareForCreate(_ object: inout JSONValue) {
        object.setValue(["kubernetes"], at: ["spec", "finalizers"])
        object.setValue(.string("Active"), at: ["status", "phase"])
        object.setValue(object.value(at: ["metadata", "name"]), at: ["metadata", "labels", "kubernetes.io/metadata.name"])
    }
    func prepareForUpdate(_ object: inout JSONValue, old: JSONValue) {
        object["spec"] = old["spec"]
        object.setValue(object.value(at: ["metadata", "name"]), at: ["metadata", "labels", "kubernetes.io/metadata.name"])
    }
    func selectableFields(_ object: JSONValue) -> [String: String] {
        var f = baseSelectableFields(object)
        f["status.phase"] = object.value(at: ["status", "phase"])?.stringValue ?? ""
        return f
    }
}

// MARK: Pods

struct PodStrategy: ResourceStrategy {
    let resource = ResourceCatalog.pods

    func normalize(_ object: JSONValue) throws(ObjectCodec.ShapeError) -> JSONValue {
        try ObjectCodec.normalize(Pod.self, object).1
    }

    func prepareForCreate(_ object: inout JSONValue) {
        PodDefaults.apply(to: &object, at: ["spec"])
        // The scheduler (or a binding) sets PodScheduled; a new pod starts with no conditions.
        object["status"] = ["phase": "Pending", "qosClass": "BestEffort"]
    }

    func prepareForUpdate(_ object: inout JSONValue, old: JSONValue) {
        PodDefaults.apply(to: &object, at: ["spec"])
    }

    func validate(_ object: JSONValue, old: JSONValue?) -> [FieldError] {
        var errors = PodDefaults.validateSpec(object["spec"] ?? .null, path: .root("spec"))
        if let old {
            // Pod specs are immutable but for images and scheduling done by binding.
            var a = object["spec"] ?? .null
            var b = old["spec"] ?? .null
            PodDefaults.maskMutable(&a)
            PodDefaults.maskMutable(&b)
            if old.value(at: ["spec", "nodeName"]) == nil { a["nodeName"] = nil }
            if a != b {
                errors.append(.forbidden(
                    .root("spec"),
                    "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,"
                        + "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),"
                        + "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"))
            }
        }
        return errors
    }

    func selectableFields(_ object: JSONValue) -> [String: String] {
        var f = baseSelectableFields(object)
        f["spec.nodeName"] = object.value(at: ["spec", "nodeName"])?.stringValue ?? ""
        f["spec.restartPolicy"] = object.value(at: ["spec", "restartPolicy"])?.stringValue ?? ""
        f["spec.schedulerName"] = object.value(at: ["spec", "schedulerName"])?.stringValue ?? ""
        f["spec.serviceAccountName"] = object.value(at: ["spec", "serviceAccountName"])?.stringValue ?? ""
        f["spec.hostNetwork"] = (object.value(at: ["spec", "hostNetwork"])?.boolValue ?? false) ? "true" : "false"
        f["status.phase"] = object.value(at: ["status", "phase"])?.stringValue ?? ""
        f["status.podIP"] = object.value(at: ["status", "podIP"])?.stringValue ?? ""
        f["status.nominatedNodeName"] = object.value(at: ["status", "nominatedNodeName"])?.stringValue ?? ""
        return f
    }
}

/// Pod spec defaults and validation, shared by pods and the templates of deployments and replicasets.
enum PodDefaults {
    static func apply(to object: inout JSONValue, at path: [String]) {
        guard var spec = object.value(at: path), case .object = spec else { return }
        if spec["restartPolicy"] == nil { spec["restartPolicy"] = "Always" }
        if spec["dnsPolicy"] == nil { spec["dnsPolicy"] = "ClusterFirst" }
        if spec["terminationGracePeriodSeconds"] == nil { spec["terminationGracePeriodSeconds"] = 30 }
        if spec["schedulerName"] == nil { spec["schedulerName"] = "default-scheduler" }
        if spec["securityContext"] == nil { spec["securityContext"] = .object([:]) }
        if spec["enableServiceLinks"] == nil { spec["enableServiceLinks"] = true }
        for field in ["containers", "initContainers"] {
            guard let containers = spec[field]?.arrayValue else { continue }
            spec[field] = .array(containers.map { c in
                var c = c
                if c["terminationMessagePath"] == nil { c["terminationMessagePath"] = "/dev/termination-log" }
                if c["terminationMessagePolicy"] == nil { c["terminationMessagePolicy"] = "File" }
                if c["resources"] == nil { c["resources"] = .object([:]) }
                if c["imagePullPolicy"] == nil {
                    let image = c["image"]?.stringValue ?? ""
                    let tagged = image.split(separator: "/").last?.contains(":") ?? false
                    c["imagePullPolicy"] = .string(!tagged || image.hasSuffix(":latest") ? "Always" : "IfNotPresent")
                }
                if let ports = c["ports"]?.arrayValue {
                    c["ports"] = .array(ports.map { p in
                        var p = p
                        if p["protocol"] == nil { p["protocol"] = "TCP" }
                        return p
                    })
                }
                return c
            })
        }
        object.setValue(spec, at: path)
    }

    static func maskMutable(_ spec: inout JSONValue) {
        for field in ["containers", "initContainers"] {
            guard let cs = spec[field]?.arrayValue else { continue }
            spec[field] = .array(cs.map { c in
                var c = c
                c["image"] = nil
                return c
            })
        }
        spec["activeDeadlineSeconds"] = nil
        spec["tolerations"] = nil
        spec["terminationGracePeriodSeconds"] = nil
    }

    static func validateSpec(_ spec: JSONValue, path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        let containers = spec["containers"]?.arrayValue ?? []
        if containers.isEmpty { errors.append(.required(path.child("containers"), "")) }
        var names = Set<String>()
        for (kind, list) in [("containers", containers), ("initContainers", spec["initContainers"]?.arrayValue ?? [])] {
            for (i, c) in list.enumerated() {
                let cp = path.child(kind).index(i)
                let name = c["name"]?.stringValue ?? ""
                if name.isEmpty {
                    errors.append(.required(cp.child("name"), ""))
                } else {
                    for p in NameValidation.dns1123Label(name) { errors.append(.invalid(cp.child("name"), .string(name), p)) }
                    if !names.insert(name).inserted { errors.append(.duplicate(cp.child("name"), .string(name))) }
                }
                if (c["image"]?.stringValue ?? "").isEmpty { errors.append(.required(cp.child("image"), "")) }
                var portNames = Set<String>()
                for (j, p) in (c["ports"]?.arrayValue ?? []).enumerated() {
                    let pp = cp.child("ports").index(j)
                    let port = p["containerPort"]?.intValue ?? 0
                    if !(1...65535).contains(port) {
                        errors.append(.invalid(pp.child("containerPort"), .int(port), "must be between 1 and 65535, inclusive"))
                    }
                    if let n = p["name"]?.stringValue, !n.isEmpty {
                        for problem in NameValidation.portName(n) { errors.append(.invalid(pp.child("name"), .string(n), problem)) }
                        if !portNames.insert(n).inserted { errors.append(.duplicate(pp.child("name"), .string(n))) }
                    }
                    if let proto = p["protocol"]?.stringValue, !["TCP", "UDP", "SCTP"].contains(proto) {
                        errors.append(.notSupported(pp.child("protocol"), .string(proto), ["SCTP", "TCP", "UDP"]))
                    }
                }
            }
        }
        if let policy = spec["restartPolicy"]?.stringValue, !["Always", "OnFailure", "Never"].contains(policy) {
            errors.append(.notSupported(path.child("restartPolicy"), .string(policy), ["Always", "OnFailure", "Never"]))
        }
        if let policy = spec["dnsPolicy"]?.stringValue,
            !["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"].contains(policy)
        {
            errors.append(.notSupported(path.child("dnsPolicy"), .string(policy),
                                        ["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"]))
        }
        if let selector = spec["nodeSelector"]?.objectValue {
            errors += NameValidation.validateLabels(selector.compactMapValues(\.stringValue), path: path.child("nodeSelector"))
        }
        return errors
    }
}

// MARK: Deployments and ReplicaSets

protocol WorkloadObject: KubeObject {}
extension Deployment: WorkloadObject {}
extension ReplicaSet: WorkloadObject {}

struct WorkloadStrategy<T: WorkloadObject>: ResourceStrategy {
    let resource: APIResource

    func normalize(_ object: JSONValue) throws(ObjectCodec.ShapeError) -> JSONValue {
        try ObjectCodec.normalize(T.self, object).1
    }

    func prepareForCreate(_ object: inout JSONValue) {
        defaults(&object)
        object["status"] = .object([:])
    }

    func prepareForUpdate(_ object: inout JSONValue, old: JSONValue) { defaults(&object) }

    private func defaults(_ object: inout JSONValue) {
        if object.value(at: ["spec", "replicas"]) == nil { object.setValue(1, at: ["spec", "replicas"]) }
        if resource.kind == "Deployment" {
            if object.value(at: ["spec", "strategy", "type"]) == nil {
                object.setValue("RollingUpdate", at: ["spec", "strategy", "type"])
            }
            if object.value(at: ["spec", "strategy", "type"])?.stringValue == "RollingUpdate" {
                if object.value(at: ["spec", "strategy", "rollingUpdate", "maxSurge"]) == nil {
                    object.setValue("25%", at: ["spec", "strategy", "rollingUpdate", "maxSurge"])
                }
                if object.value(at: ["spec", "strategy", "rollingUpdate", "maxUnavailable"]) == nil {
                    object.setValue("25%", at: ["spec", "strategy", "rollingUpdate", "maxUnavailable"])
                }
            }
            if object.value(at: ["spec", "revisionHistoryLimit"]) == nil { object.setValue(10, at: ["spec", "revisionHistoryLimit"]) }
            if object.value(at: ["spec", "progressDeadlineSeconds"]) == nil {
                object.setValue(600, at: ["spec", "progressDeadlineSeconds"])
            }
        }
        PodDefaults.apply(to: &object, at: ["spec", "template", "spec"])
    }

    func validate(_ object: JSONValue, old: JSONValue?) -> [FieldError] {
        var errors: [FieldError] = []
        let spec = FieldPath.root("spec")
        let replicas = object.value(at: ["spec", "replicas"])?.intValue ?? 0
        if replicas < 0 {
            errors.append(.invalid(spec.child("replicas"), .int(replicas), "must be greater than or equal to 0"))
        }
        let selectorJSON = object.value(at: ["spec", "selector"])
        let templateLabels = (object.value(at: ["spec", "template", "metadata", "labels"])?.objectValue ?? [:])
            .compactMapValues(\.stringValue)
        if selectorJSON == nil || selectorJSON == .object([:]) {
            errors.append(.required(spec.child("selector"), ""))
        } else if let selectorJSON {
            do {
                let selector = try LabelSelector(json: selectorJSON)
                if selector.isEmpty {
                    errors.append(.invalid(spec.child("selector"), selectorJSON, "empty selector is invalid for deployment"))
                } else if !selector.matches(templateLabels) {
                    errors.append(.invalid(spec.child("template", "metadata", "labels"),
                                           rendered: GoFormat.goSyntax(templateLabels),
                                           "`selector` does not match template `labels`"))
                }
            } catch {
                errors.append(.invalid(spec.child("selector"), selectorJSON, error.message))
            }
            if let old, let oldSelector = old.value(at: ["spec", "selector"]), oldSelector != selectorJSON {
                errors.append(.invalid(spec.child("selector"), selectorJSON, "field is immutable"))
            }
        }
        errors += PodDefaults.validateSpec(object.value(at: ["spec", "template", "spec"]) ?? .null,
                                           path: spec.child("template", "spec"))
        if let policy = object.value(at: ["spec", "template", "spec", "restartPolicy"])?.stringValue, policy != "Always" {
            errors.append(.notSupported(spec.child("template", "spec", "restartPolicy"), .string(policy), ["Always"]))
        }
        if let type = object.value(at: ["spec", "strategy", "type"])?.stringValue, !["Recreate", "RollingUpdate"].contains(type) {
            errors.append(.notSupported(spec.child("strategy", "type"), .string(type), ["Recreate", "RollingUpdate"]))
        }
        return errors
    }
}

// MARK: EndpointSlices

struct EndpointSliceStrategy: ResourceStrategy {
    let resource = ResourceCatalog.endpointSlices
    func normalize(_ object: JSONValue) throws(ObjectCodec.ShapeError) -> JSONValue {
        try ObjectCodec.normalize(EndpointSlice.self, object).1
    }
    func validate(_ object: JSONValue, old: JSONValue?) -> [FieldError] {
        var errors: [FieldError] = []
        let type = object["addressType"]?.stringValue ?? ""
        if !["IPv4", "IPv6", "FQDN"].contains(type) {
            errors.append(.notSupported(.root("addressType"), .string(type), ["FQDN", "IPv4", "IPv6"]))
        }
        let endpoints = object["endpoints"]?.arrayValue ?? []
        if endpoints.count > 1000 { errors.append(.tooMany(.root("endpoints"), actual: endpoints.count, max: 1000)) }
        for (i, e) in endpoints.enumerated() {
            let addrs = e["addresses"]?.arrayValue ?? []
            if addrs.isEmpty || addrs.count > 100 {
                errors.append(.invalid(.root("endpoints").index(i).child("addresses"), .array(addrs), "must contain at least 1 and at most 100 addresses"))
            }
            if type != "FQDN" {
                for (j, a) in addrs.enumerated() {
                    let ok = a.stringValue.flatMap(IPAddress.parse).map { $0.isV4 == (type == "IPv4") } ?? false
                    if !ok {
                        errors.append(.invalid(.root("endpoints").index(i).child("addresses").index(j), a,
                                               "must be a valid \(type) address"))
                    }
                }
            }
        }
        for (i, p) in (object["ports"]?.arrayValue ?? []).enumerated() {
            if let port = p["port"]?.intValue, !(0...65535).contains(port) {
                errors.append(.invalid(.root("ports").index(i).child("port"), .int(port), "must be between 0 and 65535, inclusive"))
            }
        }
        if old != nil, let oldType = old?["addressType"], oldType != object["addressType"] {
            errors.append(.invalid(.root("addressType"), object["addressType"] ?? .null, "field is immutable"))
        }
        return errors
    }
}
