import Foundation

// Columns and cells for every kind except pods (see TablePrinter+Pods.swift), following the behaviour of
// kube-apiserver's internal-version printers. Counts are integer cells where upstream emits int64.

extension TablePrinter {
    // MARK: Namespaces

    static let namespacePrinter = Printer(
        columns: [.name, Column(name: "Status", type: "string", description: "The status of the namespace."), .age],
        cells: { ns, now in
            // The server defaults the phase on create; an object written before that reads as its default.
            [.string(name(ns)), .string(string(ns, "status", "phase") ?? "Active"), age(ns, now)]
        })

    // MARK: Nodes

    static let nodePrinter = Printer(
        columns: [
            .name,
            Column(name: "Status", type: "string", description: "The status of the node."),
            Column(name: "Roles", type: "string", description: "The roles of the node."),
            .age,
            Column(name: "Version", type: "string", description: "Kubelet version reported by the node."),
            .wide("Internal-IP", "First InternalIP address in status.addresses."),
            .wide("External-IP", "First ExternalIP address in status.addresses."),
            .wide("OS-Image", "OS image reported by the node."),
            .wide("Kernel-Version", "Kernel version reported by the node."),
            .wide("Container-Runtime", "Container runtime name and version reported by the node."),
        ],
        cells: { node, now in
            let nodeInfo = object(node, "status", "nodeInfo")
            func infoOrUnknown(_ key: String) -> JSONValue {
                let v = string(nodeInfo, key) ?? ""
                return .string(v.isEmpty ? "<unknown>" : v)
            }
            let roles = nodeRoles(labels: stringMap(node, "metadata", "labels"))
            return [
                .string(name(node)),
                .string(nodeStatus(node)),
                .string(roles.isEmpty ? "<none>" : roles.joined(separator: ",")),
                age(node, now),
                .string(string(nodeInfo, "kubeletVersion") ?? ""),
                .string(nodeAddress(node, type: "InternalIP") ?? "<none>"),
                .string(nodeAddress(node, type: "ExternalIP") ?? "<none>"),
                infoOrUnknown("osImage"),
                infoOrUnknown("kernelVersion"),
                infoOrUnknown("containerRuntimeVersion"),
            ]
        })

    /// Only the Ready condition counts; the last entry of that type wins, as a map keyed by type would have it.
    static func nodeStatus(_ node: JSONValue) -> String {
        var ready: String?
        for condition in array(node, "status", "conditions") where string(condition, "type") == "Ready" {
            ready = string(condition, "status") == "True" ? "Ready" : "NotReady"
        }
        var parts = [ready ?? "Unknown"]
        if bool(node, "spec", "unschedulable") { parts.append("SchedulingDisabled") }
        return parts.joined(separator: ",")
    }

    /// Roles come from `node-role.kubernetes.io/<role>` label keys and the older `kubernetes.io/role=<role>`.
    static func nodeRoles(labels: [String: String]) -> [String] {
        let prefix = "node-role.kubernetes.io/"
        var roles = Set<String>()
        for (key, value) in labels {
            if key.hasPrefix(prefix) {
                let role = String(key.dropFirst(prefix.count))
                if !role.isEmpty { roles.insert(role) }
            } else if key == "kubernetes.io/role", !value.isEmpty {
                roles.insert(value)
            }
        }
        return roles.sorted()
    }

    static func nodeAddress(_ node: JSONValue, type: String) -> String? {
        array(node, "status", "addresses").first { string($0, "type") == type }.flatMap { string($0, "address") }
    }

    // MARK: Services

    static let servicePrinter = Printer(
        columns: [
            .name,
            Column(name: "Type", type: "string", description: "How the service is exposed (spec.type)."),
            Column(name: "Cluster-IP", type: "string", description: "The service's virtual IP (spec.clusterIPs)."),
            Column(
                name: "External-IP", type: "string",
                description: "Addresses outside the cluster: load-balancer ingress, spec.externalIPs or externalName."),
            Column(name: "Port(s)", type: "string", description: "Service ports as port[:nodePort]/protocol."),
            .age,
            .wide("Selector", "Labels of the pods the service routes to (spec.selector)."),
        ],
        cells: { svc, now in
            let type = string(svc, "spec", "type") ?? "ClusterIP"
            let clusterIP = array(svc, "spec", "clusterIPs").first?.stringValue ?? string(svc, "spec", "clusterIP")
            let ports = servicePorts(array(svc, "spec", "ports"))
            return [
                .string(name(svc)),
                .string(type),
                .string(clusterIP.flatMap { $0.isEmpty ? nil : $0 } ?? "<none>"),
                .string(serviceExternalIP(svc, type: type)),
                .string(ports.isEmpty ? "<none>" : ports),
                age(svc, now),
                .string(formatLabels(stringMap(svc, "spec", "selector"))),
            ]
        })

    static func serviceExternalIP(_ svc: JSONValue, type: String) -> String {
        let externalIPs = array(svc, "spec", "externalIPs").compactMap(\.stringValue)
        switch type {
        case "ClusterIP", "NodePort":
            return externalIPs.isEmpty ? "<none>" : externalIPs.joined(separator: ",")
        case "LoadBalancer":
            // Tables are built for wide output on the server, so the list is never clipped.
            var ingress = Set<String>()
            for entry in array(svc, "status", "loadBalancer", "ingress") {
                if let ip = string(entry, "ip"), !ip.isEmpty {
                    ingress.insert(ip)
                } else if let host = string(entry, "hostname"), !host.isEmpty {
                    ingress.insert(host)
                }
            }
            let all = ingress.sorted() + externalIPs
            return all.isEmpty ? "<pending>" : all.joined(separator: ",")
        case "ExternalName":
            return string(svc, "spec", "externalName") ?? ""
        default:
            return "<unknown>"
        }
    }

    static func servicePorts(_ ports: [JSONValue]) -> String {
        ports.map { port in
            let number = int(port, "port") ?? 0
            let proto = string(port, "protocol") ?? "TCP"
            if let nodePort = int(port, "nodePort"), nodePort > 0 { return "\(number):\(nodePort)/\(proto)" }
            return "\(number)/\(proto)"
        }.joined(separator: ",")
    }

    // MARK: EndpointSlices

    static let endpointSlicePrinter = Printer(
        columns: [
            .name,
            Column(name: "AddressType", type: "string", description: "The kind of addresses in the slice."),
            Column(name: "Ports", type: "string", description: "Port numbers (or names) the endpoints serve."),
            Column(name: "Endpoints", type: "string", description: "The first few endpoint addresses."),
            .age,
        ],
        cells: { slice, now in
            let ports = array(slice, "ports").map { port -> String in
                if let number = int(port, "port") { return String(number) }
                // A name that is present but empty is still printed (as nothing), exactly as upstream.
                if let portName = string(port, "name") { return portName }
                return "*"
            }
            let addresses = array(slice, "endpoints").flatMap { array($0, "addresses").compactMap(\.stringValue) }
            return [
                .string(name(slice)),
                .string(string(slice, "addressType") ?? ""),
                .string(firstFew(ports)),
                .string(firstFew(addresses)),
                age(slice, now),
            ]
        })

    /// "a,b,c + 2 more..." for long lists and "<unset>" when nothing printable remains.
    static func firstFew(_ items: [String], limit: Int = 3) -> String {
        let shown = items.prefix(limit).joined(separator: ",")
        if items.count > limit { return "\(shown) + \(items.count - limit) more..." }
        return shown.isEmpty ? "<unset>" : shown
    }

    // MARK: Deployments and ReplicaSets

    static let deploymentPrinter = Printer(
        columns: [
            .name,
            Column(name: "Ready", type: "string", description: "Ready pods out of the desired replicas."),
            Column(name: "Up-to-date", type: "string", description: "Pods running the latest pod template."),
            Column(name: "Available", type: "string", description: "Pods available to serve."),
            .age,
            .wide("Containers", "Names of each container in the template."),
            .wide("Images", "Images referenced by each container in the template."),
            .wide("Selector", "Label selector of the pods the deployment manages."),
        ],
        cells: { deploy, now in
            let (names, images) = containerCells(deploy)
            // Upstream prints a missing selector as nothing here (not "<none>" as for ReplicaSets).
            let selector = labelSelectorString(object(deploy, "spec", "selector")).map { $0 ?? "" } ?? "<invalid>"
            return [
                .string(name(deploy)),
                .string("\(int(deploy, "status", "readyReplicas") ?? 0)/\(desiredReplicas(deploy))"),
                .int(int(deploy, "status", "updatedReplicas") ?? 0),
                .int(int(deploy, "status", "availableReplicas") ?? 0),
                age(deploy, now),
                .string(names), .string(images), .string(selector),
            ]
        })

    static let replicaSetPrinter = Printer(
        columns: [
            .name,
            Column(name: "Desired", type: "integer", description: "Number of desired pods."),
            Column(name: "Current", type: "integer", description: "Number of pods the controller has created."),
            Column(name: "Ready", type: "integer", description: "Number of pods that are ready."),
            .age,
            .wide("Containers", "Names of each container in the template."),
            .wide("Images", "Images referenced by each container in the template."),
            .wide("Selector", "Label selector of the pods the replica set manages."),
        ],
        cells: { rs, now in
            let (names, images) = containerCells(rs)
            let selector = labelSelectorString(object(rs, "spec", "selector")).map { $0 ?? "<none>" } ?? "<error>"
            return [
                .string(name(rs)),
                .int(desiredReplicas(rs)),
                .int(int(rs, "status", "replicas") ?? 0),
                .int(int(rs, "status", "readyReplicas") ?? 0),
                age(rs, now),
                .string(names), .string(images), .string(selector),
            ]
        })

    /// spec.replicas defaults to 1 when unset, as the API's defaulting would have stored it.
    static func desiredReplicas(_ workload: JSONValue) -> Int64 {
        int(workload, "spec", "replicas") ?? 1
    }

    static func containerCells(_ workload: JSONValue) -> (names: String, images: String) {
        let containers = array(workload, "spec", "template", "spec", "containers")
        return (
            containers.map { string($0, "name") ?? "" }.joined(separator: ","),
            containers.map { string($0, "image") ?? "" }.joined(separator: ",")
        )
    }

    // MARK: Leases

    static let leasePrinter = Printer(
        columns: [
            .name,
            Column(name: "Holder", type: "string", description: "Identity of the current lease holder."),
            .age,
        ],
        cells: { lease, now in
            [.string(name(lease)), .string(string(lease, "spec", "holderIdentity") ?? ""), age(lease, now)]
        })

    // MARK: Label formatting

    /// "a=1,b=2" with keys sorted, "<none>" when empty: how selectors and label maps read in tables.
    static func formatLabels(_ labels: [String: String]) -> String {
        if labels.isEmpty { return "<none>" }
        return labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    /// The canonical string of a LabelSelector: requirements sorted by key, set values sorted.
    ///
    /// Returns `.some(nil)` when the selector selects everything or nothing (printed as "" or "<none>" by the
    /// caller) and `nil` when it is invalid, since the two callers print those cases differently.
    static func labelSelectorString(_ selector: JSONValue?) -> String?? {
        guard let selector else { return .some(nil) }
        var requirements: [(key: String, text: String)] = []
        for (key, value) in stringMap(selector, "matchLabels") {
            requirements.append((key, "\(key)=\(value)"))
        }
        for expression in array(selector, "matchExpressions") {
            guard let key = string(expression, "key") else { return nil }
            let values = array(expression, "values").compactMap(\.stringValue)
            switch string(expression, "operator") {
            case "In", "NotIn":
                guard !values.isEmpty else { return nil }
                let op = string(expression, "operator") == "In" ? "in" : "notin"
                let list = values.count == 1 ? values[0] : values.sorted().joined(separator: ",")
                requirements.append((key, "\(key) \(op) (\(list))"))
            case "Exists":
                guard values.isEmpty else { return nil }
                requirements.append((key, key))
            case "DoesNotExist":
                guard values.isEmpty else { return nil }
                requirements.append((key, "!\(key)"))
            default:
                return nil
            }
        }
        if requirements.isEmpty { return .some(nil) }
        // Stable sort keeps matchLabels before expressions on the same key, which upstream leaves unspecified.
        let sorted = requirements.enumerated().sorted { lhs, rhs in
            lhs.element.key != rhs.element.key ? lhs.element.key < rhs.element.key : lhs.offset < rhs.offset
        }
        return .some(sorted.map(\.element.text).joined(separator: ","))
    }
}
