import KubeModel

/// Keeps each selector Service's EndpointSlices equal to its pods: one endpoint per pod with an IP, with
/// ready/serving/terminating conditions, node name and target reference; target ports resolved per pod (named
/// ports can differ between pods, so pods are grouped by their resolved port set); at most 100 endpoints a slice.
struct EndpointSliceController: Reconciler {
    let registry: Registry
    let name = "endpointslice"
    let watched = ["services", "pods", "discovery.k8s.io/endpointslices"]
    static let managedBy = "endpointslice-controller.k8s.io"
    static let maxEndpointsPerSlice = 100

    func keys(for event: StoreEvent) -> [String] {
        switch event.key.resource {
        case "services":
            return ["\(event.key.namespace)/\(event.key.name)"]
        case "pods":
            // Services whose selector matches the pod before or after the change.
            var labelSets = [labelsOf(event.object)]
            if let prev = event.previous { labelSets.append(labelsOf(prev)) }
            return registry.objects(ResourceCatalog.services, namespace: event.key.namespace).compactMap { svc in
                guard let selector = Self.selector(svc), labelSets.contains(where: { Self.matches(selector, $0) }) else {
                    return nil
                }
                return "\(event.key.namespace)/\(meta(svc, "name"))"
            }
        default:
            guard let svc = event.object.value(at: ["metadata", "labels", "kubernetes.io/service-name"])?.stringValue else {
                return []
            }
            return ["\(event.key.namespace)/\(svc)"]
        }
    }

    static func selector(_ svc: JSONValue) -> [String: String]? {
        guard svc.value(at: ["spec", "type"])?.stringValue != "ExternalName",
            let sel = svc.value(at: ["spec", "selector"])?.objectValue, !sel.isEmpty
        else { return nil }
        return sel.compactMapValues(\.stringValue)
    }

    static func matches(_ selector: [String: String], _ labels: [String: String]) -> Bool {
        selector.allSatisfy { labels[$0.key] == $0.value }
    }

    func reconcile(_ key: String) async throws {
        let (ns, name) = splitKey(key)
        let slicesResource = ResourceCatalog.endpointSlices
        let existing = registry.objects(slicesResource, namespace: ns).filter {
            $0.value(at: ["metadata", "labels", "kubernetes.io/service-name"])?.stringValue == name
                && $0.value(at: ["metadata", "labels", "endpointslice.kubernetes.io/managed-by"])?.stringValue == Self.managedBy
        }
        guard let svc = try? registry.get(ResourceCatalog.services, namespace: ns, name: name),
            let selector = Self.selector(svc)
        else {
            // Service gone or selector-less: slices we manage for it go (user-managed slices are left alone).
            for s in existing { _ = try? await registry.delete(slicesResource, namespace: ns, name: meta(s, "name")) }
            return
        }
        let desired = desiredSlices(svc, selector: selector, namespace: ns)
        var unused = existing
        var created: [JSONValue] = []
        for d in desired {
            // Reuse a slice with the same ports if one is left, so endpoint changes update in place.
            if let i = unused.firstIndex(where: { $0["ports"] == d["ports"] }) {
                let current = unused.remove(at: i)
                var updated = current
                updated["endpoints"] = d["endpoints"]
                updated["addressType"] = d["addressType"]
                updated.setValue(d.value(at: ["metadata", "labels"]), at: ["metadata", "labels"])
                updated.setValue(d.value(at: ["metadata", "ownerReferences"]), at: ["metadata", "ownerReferences"])
                if updated != current {
                    // When the change that moved these endpoints was seen: proxies measure network programming
                    // latency from it (kube-proxy's network_programming_duration_seconds).
                    updated.setValue(.string(KubeTime.microString()),
                                     at: ["metadata", "annotations", "endpoints.kubernetes.io/last-change-trigger-time"])
                    _ = try await registry.update(slicesResource, namespace: ns, name: meta(current, "name"), body: updated)
                }
            } else {
                created.append(d)
            }
        }
        for var d in created {
            d.setValue(.string(KubeTime.microString()), at: ["metadata", "annotations", "endpoints.kubernetes.io/last-change-trigger-time"])
            _ = try await registry.create(slicesResource, namespace: ns, body: d)
        }
        for s in unused {
            _ = try? await registry.delete(slicesResource, namespace: ns, name: meta(s, "name"))
        }
    }

    /// The slices the service should have, each with a generateName (names are kept when slices are reused).
    func desiredSlices(_ svc: JSONValue, selector: [String: String], namespace ns: String) -> [JSONValue] {
        let name = meta(svc, "name")
        let servicePorts = svc.value(at: ["spec", "ports"])?.arrayValue ?? []
        let publishNotReady = svc.value(at: ["spec", "publishNotReadyAddresses"])?.boolValue ?? false
        let pods = registry.objects(ResourceCatalog.pods, namespace: ns)
            .filter { Self.matches(selector, labelsOf($0)) }
            .sorted { meta($0, "name") < meta($1, "name") }
        var groups: [[JSONValue]: [JSONValue]] = [:]
        var order: [[JSONValue]] = []
        for pod in pods {
            let phase = pod.value(at: ["status", "phase"])?.stringValue ?? "Pending"
            guard phase != "Succeeded" && phase != "Failed",
                let ip = pod.value(at: ["status", "podIP"])?.stringValue, !ip.isEmpty,
                IPAddress.parse(ip)?.isV4 == true
            else { continue }
            let ports: [JSONValue] = servicePorts.compactMap { sp in
                guard let port = Self.resolveTargetPort(sp, pod: pod) else { return nil }
                var p: [String: JSONValue] = ["port": .int(Int64(port)), "protocol": sp["protocol"] ?? "TCP"]
                p["name"] = sp["name"] ?? ""
                if let ap = sp["appProtocol"] { p["appProtocol"] = ap }
                return .object(p)
            }
            if !servicePorts.isEmpty && ports.isEmpty { continue }
            let terminating = pod.value(at: ["metadata", "deletionTimestamp"]) != nil
            let podReady = (pod.value(at: ["status", "conditions"])?.arrayValue ?? [])
                .contains { $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True" }
            // As upstream: serving follows the pod's readiness; ready is forced by publishNotReadyAddresses and
            // is otherwise false for a terminating pod.
            let ready = publishNotReady || (podReady && !terminating)
            var endpoint: [String: JSONValue] = [
                "addresses": [.string(ip)],
                "conditions": ["ready": .bool(ready), "serving": .bool(podReady), "terminating": .bool(terminating)],
                "targetRef": ["kind": "Pod", "namespace": .string(ns), "name": .string(meta(pod, "name")),
                              "uid": .string(meta(pod, "uid"))],
            ]
            if let node = pod.value(at: ["spec", "nodeName"])?.stringValue, !node.isEmpty { endpoint["nodeName"] = .string(node) }
            if let host = pod.value(at: ["spec", "hostname"])?.stringValue, !host.isEmpty,
                pod.value(at: ["spec", "subdomain"])?.stringValue == name
            {
                endpoint["hostname"] = .string(host)
            }
            if groups[ports] == nil { order.append(ports) }
            groups[ports, default: []].append(.object(endpoint))
        }
        if order.isEmpty { order = [[]] }
        var slices: [JSONValue] = []
        var labels: [String: JSONValue] = [:]
        for (k, v) in svc.value(at: ["metadata", "labels"])?.objectValue ?? [:] { labels[k] = v }
        labels["kubernetes.io/service-name"] = .string(name)
        labels["endpointslice.kubernetes.io/managed-by"] = .string(Self.managedBy)
        if svc.value(at: ["spec", "clusterIP"])?.stringValue == "None" { labels["service.kubernetes.io/headless"] = "" }
        let owner: JSONValue = ["apiVersion": "v1", "kind": "Service", "name": .string(name), "uid": .string(meta(svc, "uid")),
                                "controller": true, "blockOwnerDeletion": true]
        for ports in order {
            let endpoints = groups[ports] ?? []
            var chunks: [[JSONValue]] = stride(from: 0, to: endpoints.count, by: Self.maxEndpointsPerSlice).map {
                Array(endpoints[$0..<min($0 + Self.maxEndpointsPerSlice, endpoints.count)])
            }
            if chunks.isEmpty { chunks = [[]] }
            // With no endpoints this is kube's placeholder slice: no ports either.
            let slicePorts = ports
            for chunk in chunks {
                slices.append([
                    "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                    "metadata": ["generateName": .string(name + "-"), "namespace": .string(ns), "labels": .object(labels),
                                 "ownerReferences": [owner]],
                    "addressType": "IPv4", "endpoints": .array(chunk), "ports": .array(slicePorts),
                ])
            }
        }
        return slices
    }

    /// The port a pod serves a service port on: a number as given, or the pod's container port with that name.
    static func resolveTargetPort(_ servicePort: JSONValue, pod: JSONValue) -> Int? {
        switch servicePort["targetPort"] ?? servicePort["port"] ?? .null {
        case .int(let p): return Int(p)
        case .string(let portName):
            let proto = servicePort["protocol"]?.stringValue ?? "TCP"
            for c in pod.value(at: ["spec", "containers"])?.arrayValue ?? [] {
                for p in c["ports"]?.arrayValue ?? []
                where p["name"]?.stringValue == portName && (p["protocol"]?.stringValue ?? "TCP") == proto {
                    return p["containerPort"]?.intValue.map { Int($0) }
                }
            }
            return nil
        default: return nil
        }
    }
}
