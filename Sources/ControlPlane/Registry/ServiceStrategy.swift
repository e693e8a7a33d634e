import KubeModel

/// Services: defaults, kube-apiserver's validation rules, and allocation of ClusterIPs, NodePorts and
/// LoadBalancer IPs (the last is what a bare-metal load balancer controller would do; here it is done at
/// admission so the address is there as soon as the Service is).
struct ServiceStrategy: ResourceStrategy {
    let resource = ResourceCatalog.services
    let allocators: ServiceAllocators

    func normalize(_ object: JSONValue) throws(ObjectCodec.ShapeError) -> JSONValue {
        try ObjectCodec.normalize(Service.self, object).1
    }

    func prepareForCreate(_ object: inout JSONValue) {
        defaults(&object)
        // Clients cannot set status on create; LoadBalancer ingress is filled in at admission.
        object["status"] = ["loadBalancer": .object([:])]
    }

    func prepareForUpdate(_ object: inout JSONValue, old: JSONValue) {
        // What the server allocated stays allocated when an update leaves it out (kubectl replace, PUT of an
        // edited manifest), as long as the new type still uses it.
        if (object.value(at: ["spec", "clusterIP"])?.stringValue ?? "").isEmpty,
            object.value(at: ["spec", "type"])?.stringValue != "ExternalName"
        {
            object.setValue(old.value(at: ["spec", "clusterIP"]), at: ["spec", "clusterIP"])
            object.setValue(old.value(at: ["spec", "clusterIPs"]), at: ["spec", "clusterIPs"])
        }
        let newType = ServiceType(rawValue: object.value(at: ["spec", "type"])?.stringValue ?? "ClusterIP") ?? .clusterIP
        let oldType = ServiceType(rawValue: old.value(at: ["spec", "type"])?.stringValue ?? "ClusterIP") ?? .clusterIP
        Self.dropTypeDependentFields(&object, old: old, newType: newType, oldType: oldType)
        if newType.usesNodePorts, let oldPorts = old.value(at: ["spec", "ports"])?.arrayValue,
            var ports = object.value(at: ["spec", "ports"])?.arrayValue
        {
            for i in ports.indices where ports[i]["nodePort"] == nil {
                let match = oldPorts.first {
                    $0["port"] == ports[i]["port"]
                        && ($0["protocol"]?.stringValue ?? "TCP") == (ports[i]["protocol"]?.stringValue ?? "TCP")
                }
                if let np = match?["nodePort"] { ports[i]["nodePort"] = np }
            }
            object.setValue(.array(ports), at: ["spec", "ports"])
        }
        if newType == .loadBalancer, object.value(at: ["spec", "healthCheckNodePort"]) == nil {
            object.setValue(old.value(at: ["spec", "healthCheckNodePort"]), at: ["spec", "healthCheckNodePort"])
        }
        defaults(&object)
    }

    /// When the type changes, fields only the old type uses are dropped if the update left them as they were
    /// (a user changing `type` with a patch cannot be expected to clear node ports or traffic policies too).
    static func dropTypeDependentFields(_ object: inout JSONValue, old: JSONValue, newType: ServiceType, oldType: ServiceType) {
        guard newType != oldType else { return }
        func unchanged(_ path: [String]) -> Bool { object.value(at: path) == old.value(at: path) }
        if !newType.usesNodePorts {
            if var ports = object.value(at: ["spec", "ports"])?.arrayValue {
                let oldPorts = old.value(at: ["spec", "ports"])?.arrayValue ?? []
                for i in ports.indices where ports[i]["nodePort"] != nil
                    && oldPorts.contains(where: { $0["nodePort"] == ports[i]["nodePort"] }) {
                    ports[i]["nodePort"] = nil
                }
                object.setValue(.array(ports), at: ["spec", "ports"])
            }
            if unchanged(["spec", "externalTrafficPolicy"]) { object.setValue(nil, at: ["spec", "externalTrafficPolicy"]) }
        }
        if newType != .loadBalancer {
            for f in ["healthCheckNodePort", "allocateLoadBalancerNodePorts", "loadBalancerClass"] where unchanged(["spec", f]) {
                object.setValue(nil, at: ["spec", f])
            }
        }
        if newType == .externalName {
            for f in ["clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy", "internalTrafficPolicy"] where unchanged(["spec", f]) {
                object.setValue(nil, at: ["spec", f])
            }
        }
    }

    private func defaults(_ object: inout JSONValue) {
        guard var spec = object["spec"], case .object = spec else { return }
        if spec["type"] == nil { spec["type"] = "ClusterIP" }
        let type = spec["type"]?.stringValue ?? "ClusterIP"
        if spec["sessionAffinity"] == nil { spec["sessionAffinity"] = "None" }
        if spec["sessionAffinity"]?.stringValue == "ClientIP", spec.value(at: ["sessionAffinityConfig", "clientIP", "timeoutSeconds"]) == nil {
            spec.setValue(10800, at: ["sessionAffinityConfig", "clientIP", "timeoutSeconds"])
        }
        if let ports = spec["ports"]?.arrayValue {
            spec["ports"] = .array(ports.map { p in
                var p = p
                if p["protocol"] == nil { p["protocol"] = "TCP" }
                if p["targetPort"] == nil || p["targetPort"] == .int(0) || p["targetPort"] == .string("") {
                    p["targetPort"] = p["port"]
                }
                return p
            })
        }
        if type != "ExternalName" {
            if spec["internalTrafficPolicy"] == nil { spec["internalTrafficPolicy"] = "Cluster" }
            if spec["ipFamilies"] == nil { spec["ipFamilies"] = ["IPv4"] }
            if spec["ipFamilyPolicy"] == nil { spec["ipFamilyPolicy"] = "SingleStack" }
        }
        if type == "NodePort" || type == "LoadBalancer" {
            if spec["externalTrafficPolicy"] == nil { spec["externalTrafficPolicy"] = "Cluster" }
        }
        if type == "LoadBalancer", spec["allocateLoadBalancerNodePorts"] == nil {
            spec["allocateLoadBalancerNodePorts"] = true
        }
        object["spec"] = spec
    }

    func validate(_ object: JSONValue, old: JSONValue?) -> [FieldError] {
        var errors: [FieldError] = []
        let spec = FieldPath.root("spec")
        let type = object.value(at: ["spec", "type"])?.stringValue ?? "ClusterIP"
        let clusterIP = object.value(at: ["spec", "clusterIP"])?.stringValue ?? ""
        let headless = clusterIP == "None"
        guard let serviceType = ServiceType(rawValue: type) else {
            return [.notSupported(spec.child("type"), .string(type), ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"])]
        }
        let ports = object.value(at: ["spec", "ports"])?.arrayValue ?? []
        if ports.isEmpty && serviceType != .externalName && !headless {
            errors.append(.required(spec.child("ports"), ""))
        }
        var names = Set<String>()
        var keys = Set<String>()
        for (i, p) in ports.enumerated() {
            let pp = spec.child("ports").index(i)
            let name = p["name"]?.stringValue ?? ""
            if ports.count > 1 && name.isEmpty {
                errors.append(.required(pp.child("name"), ""))
            } else if !name.isEmpty {
                // Service port names are DNS labels (container port names are IANA service names).
                for problem in NameValidation.dns1123Label(name) { errors.append(.invalid(pp.child("name"), .string(name), problem)) }
                if !names.insert(name).inserted { errors.append(.duplicate(pp.child("name"), .string(name))) }
            }
            let port = p["port"]?.intValue ?? 0
            if !(1...65535).contains(port) {
                errors.append(.invalid(pp.child("port"), .int(port), "must be between 1 and 65535, inclusive"))
            }
            let proto = p["protocol"]?.stringValue ?? "TCP"
            if !["TCP", "UDP", "SCTP"].contains(proto) {
                errors.append(.notSupported(pp.child("protocol"), .string(proto), ["SCTP", "TCP", "UDP"]))
            }
            if !keys.insert("\(port)/\(proto)").inserted {
                errors.append(.duplicate(pp, ["port": .int(port), "protocol": .string(proto)]))
            }
            switch p["targetPort"] {
            case .int(let t)?:
                if !(1...65535).contains(t) {
                    errors.append(.invalid(pp.child("targetPort"), .int(t), "must be between 1 and 65535, inclusive"))
                }
            case .string(let s)?:
                for problem in NameValidation.portName(s) { errors.append(.invalid(pp.child("targetPort"), .string(s), problem)) }
            default: break
            }
            if let np = p["nodePort"]?.intValue, np != 0 {
                if !serviceType.usesNodePorts {
                    errors.append(.forbidden(pp.child("nodePort"), "may not be used when `type` is '\(type)'"))
                } else if !(1...65535).contains(np) {
                    errors.append(.invalid(pp.child("nodePort"), .int(np), "must be between 1 and 65535, inclusive"))
                }
            }
        }
        switch serviceType {
        case .externalName:
            let name = object.value(at: ["spec", "externalName"])?.stringValue ?? ""
            if name.isEmpty {
                errors.append(.required(spec.child("externalName"), ""))
            } else {
                let trimmed = name.hasSuffix(".") ? String(name.dropLast()) : name
                for problem in NameValidation.dns1123Subdomain(trimmed) {
                    errors.append(.invalid(spec.child("externalName"), .string(name), problem))
                }
            }
            if !clusterIP.isEmpty {
                errors.append(.forbidden(spec.child("clusterIP"), "may not be set for ExternalName services"))
            }
        default:
            if !clusterIP.isEmpty && !headless && IPAddress.parse(clusterIP) == nil {
                errors.append(.invalid(spec.child("clusterIP"), .string(clusterIP),
                                       "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"))
            }
            if headless && serviceType != .clusterIP {
                errors.append(.invalid(spec.child("clusterIP"), .string(clusterIP), "may not be set to 'None' for \(type) services"))
            }
        }
        let affinity = object.value(at: ["spec", "sessionAffinity"])?.stringValue ?? "None"
        if !["None", "ClientIP"].contains(affinity) {
            errors.append(.notSupported(spec.child("sessionAffinity"), .string(affinity), ["ClientIP", "None"]))
        }
        if let timeout = object.value(at: ["spec", "sessionAffinityConfig", "clientIP", "timeoutSeconds"])?.intValue {
            let tp = spec.child("sessionAffinityConfig", "clientIP", "timeoutSeconds")
            if affinity != "ClientIP" {
                errors.append(.forbidden(spec.child("sessionAffinityConfig"), "must not be set when session affinity is None"))
            } else if !(1...86400).contains(timeout) {
                errors.append(.invalid(tp, .int(timeout), "must be greater than 0 and less than 86400"))
            }
        }
        if let etp = object.value(at: ["spec", "externalTrafficPolicy"])?.stringValue {
            if !serviceType.usesNodePorts && (object.value(at: ["spec", "externalIPs"])?.arrayValue ?? []).isEmpty {
                errors.append(.invalid(spec.child("externalTrafficPolicy"), .string(etp),
                                       "may only be set for externally-accessible services"))
            } else if !["Cluster", "Local"].contains(etp) {
                errors.append(.notSupported(spec.child("externalTrafficPolicy"), .string(etp), ["Cluster", "Local"]))
            }
        }
        if let itp = object.value(at: ["spec", "internalTrafficPolicy"])?.stringValue, !["Cluster", "Local"].contains(itp) {
            errors.append(.notSupported(spec.child("internalTrafficPolicy"), .string(itp), ["Cluster", "Local"]))
        }
        for (i, ip) in (object.value(at: ["spec", "externalIPs"])?.arrayValue ?? []).enumerated()
        where ip.stringValue.flatMap(IPAddress.parse) == nil {
            errors.append(.invalid(spec.child("externalIPs").index(i), ip, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"))
        }
        for (i, r) in (object.value(at: ["spec", "loadBalancerSourceRanges"])?.arrayValue ?? []).enumerated()
        where r.stringValue.flatMap(CIDR.parseLenient) == nil {
            errors.append(.invalid(spec.child("loadBalancerSourceRanges").index(i), r, "must be a valid CIDR"))
        }
        if let selector = object.value(at: ["spec", "selector"])?.objectValue {
            errors += NameValidation.validateLabels(selector.compactMapValues(\.stringValue), path: spec.child("selector"))
        }
        if let old {
            let oldIP = old.value(at: ["spec", "clusterIP"])?.stringValue ?? ""
            let oldType = old.value(at: ["spec", "type"])?.stringValue ?? "ClusterIP"
            if type != "ExternalName" && oldType != "ExternalName" && !oldIP.isEmpty && oldIP != clusterIP {
                errors.append(.invalid(spec.child("clusterIP"), .string(clusterIP), "field is immutable"))
            }
        }
        return errors
    }

    func admit(_ object: inout JSONValue, old: JSONValue?, registry: Registry) throws(APIError) {
        let key = ObjectKey(resource: "services", namespace: object.value(at: ["metadata", "namespace"])?.stringValue ?? "",
                            name: object.value(at: ["metadata", "name"])?.stringValue ?? "")
        let type = ServiceType(rawValue: object.value(at: ["spec", "type"])?.stringValue ?? "ClusterIP") ?? .clusterIP
        let spec = FieldPath.root("spec")

        if type == .externalName {
            object.setValue(nil, at: ["spec", "clusterIP"])
            object.setValue(nil, at: ["spec", "clusterIPs"])
        } else if object.value(at: ["spec", "clusterIP"])?.stringValue != "None" {
            let requested = object.value(at: ["spec", "clusterIP"])?.stringValue
            let ip = try allocators.clusterIP(requested: requested, for: key, path: spec.child("clusterIP"))
            object.setValue(.string(ip), at: ["spec", "clusterIP"])
            object.setValue([.string(ip)], at: ["spec", "clusterIPs"])
        } else {
            object.setValue(["None"], at: ["spec", "clusterIPs"])
        }

        let wantsNodePorts = type == .nodePort
            || (type == .loadBalancer && object.value(at: ["spec", "allocateLoadBalancerNodePorts"])?.boolValue != false)
        var ports = object.value(at: ["spec", "ports"])?.arrayValue ?? []
        var chosen = Set<Int>()
        for i in ports.indices {
            if wantsNodePorts {
                let requested = ports[i]["nodePort"]?.intValue.map { Int($0) }
                let p = try allocators.nodePort(requested: requested, for: key, alsoTaken: chosen,
                                                path: spec.child("ports").index(i).child("nodePort"))
                chosen.insert(p)
                ports[i]["nodePort"] = .int(Int64(p))
            } else if type != .loadBalancer {
                ports[i]["nodePort"] = nil
            }
        }
        if !ports.isEmpty { object.setValue(.array(ports), at: ["spec", "ports"]) }

        let local = object.value(at: ["spec", "externalTrafficPolicy"])?.stringValue == "Local"
        if type == .loadBalancer && local {
            let requested = object.value(at: ["spec", "healthCheckNodePort"])?.intValue.map { Int($0) }
            let p = try allocators.nodePort(requested: requested, for: key, alsoTaken: chosen,
                                            path: spec.child("healthCheckNodePort"))
            object.setValue(.int(Int64(p)), at: ["spec", "healthCheckNodePort"])
        } else {
            object.setValue(nil, at: ["spec", "healthCheckNodePort"])
        }
        if !type.usesNodePorts { object.setValue(nil, at: ["spec", "externalTrafficPolicy"]) }

        if type == .loadBalancer {
            let existing = object.value(at: ["status", "loadBalancer", "ingress", "0", "ip"])?.stringValue
                ?? old?.value(at: ["status", "loadBalancer", "ingress"])?.arrayValue?.first?["ip"]?.stringValue
            let requested = object.value(at: ["spec", "loadBalancerIP"])?.stringValue ?? existing
            if let ip = try allocators.loadBalancerIP(requested: requested, for: key) {
                object.setValue([["ip": .string(ip), "ipMode": "VIP"]], at: ["status", "loadBalancer", "ingress"])
            }
        } else {
            object.setValue(.object([:]), at: ["status", "loadBalancer"])
        }
    }

    func selectableFields(_ object: JSONValue) -> [String: String] {
        var f = baseSelectableFields(object)
        f["spec.clusterIP"] = object.value(at: ["spec", "clusterIP"])?.stringValue ?? ""
        f["spec.type"] = object.value(at: ["spec", "type"])?.stringValue ?? ""
        return f
    }
}
