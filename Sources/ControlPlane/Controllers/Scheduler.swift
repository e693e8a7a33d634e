import KubeModel

/// Binds pending pods to Ready, schedulable nodes: nodeSelector must match, NoSchedule/NoExecute taints must be
/// tolerated, and among the nodes left the one with the fewest pods of the same owner, then the fewest pods
/// overall, wins (spreading replicas as the default scheduler's spread scoring does).
struct Scheduler: Reconciler {
    let registry: Registry
    let name = "scheduler"
    let watched = ["pods", "nodes"]

    func keys(for event: StoreEvent) -> [String] {
        switch event.key.resource {
        case "pods":
            guard event.type != .deleted, Self.isPending(event.object) else { return [] }
            return ["\(event.key.namespace)/\(event.key.name)"]
        default:
            // A node that appears or becomes ready may fit pods that waited.
            return registry.objects(ResourceCatalog.pods, namespace: nil).filter(Self.isPending).map {
                "\(meta($0, "namespace"))/\(meta($0, "name"))"
            }
        }
    }

    static func isPending(_ pod: JSONValue) -> Bool {
        (pod.value(at: ["spec", "nodeName"])?.stringValue ?? "").isEmpty
            && pod.value(at: ["metadata", "deletionTimestamp"]) == nil
            && (pod.value(at: ["spec", "schedulerName"])?.stringValue ?? "default-scheduler") == "default-scheduler"
    }

    static func tolerates(_ pod: JSONValue, _ taint: JSONValue) -> Bool {
        for t in pod.value(at: ["spec", "tolerations"])?.arrayValue ?? [] {
            let keyOK = t["key"] == nil || t["key"]?.stringValue == "" || t["key"] == taint["key"]
            let effectOK = t["effect"] == nil || t["effect"]?.stringValue == "" || t["effect"] == taint["effect"]
            let op = t["operator"]?.stringValue ?? "Equal"
            let valueOK = op == "Exists" || (t["value"]?.stringValue ?? "") == (taint["value"]?.stringValue ?? "")
            if keyOK && effectOK && valueOK { return true }
        }
        return false
    }

    func reconcile(_ key: String) async throws {
        let (ns, name) = splitKey(key)
        guard let pod = try? registry.get(ResourceCatalog.pods, namespace: ns, name: name), Self.isPending(pod) else { return }
        let selector = (pod.value(at: ["spec", "nodeSelector"])?.objectValue ?? [:]).compactMapValues(\.stringValue)
        let nodes = registry.objects(ResourceCatalog.nodes, namespace: nil)
        var notReady = 0, unschedulable = 0, mismatched = 0, tainted = 0
        let candidates = nodes.filter { node in
            let ready = (node.value(at: ["status", "conditions"])?.arrayValue ?? [])
                .contains { $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True" }
            if !ready { notReady += 1; return false }
            if node.value(at: ["spec", "unschedulable"])?.boolValue == true { unschedulable += 1; return false }
            let labels = labelsOf(node)
            if !selector.allSatisfy({ labels[$0.key] == $0.value }) { mismatched += 1; return false }
            let blocking = (node.value(at: ["spec", "taints"])?.arrayValue ?? []).filter {
                ["NoSchedule", "NoExecute"].contains($0["effect"]?.stringValue ?? "") && !Self.tolerates(pod, $0)
            }
            if !blocking.isEmpty { tainted += 1; return false }
            return true
        }
        guard !candidates.isEmpty else {
            var reasons: [String] = []
            if notReady > 0 { reasons.append("\(notReady) node(s) were not ready") }
            if unschedulable > 0 { reasons.append("\(unschedulable) node(s) were unschedulable") }
            if mismatched > 0 { reasons.append("\(mismatched) node(s) didn't match Pod's node affinity/selector") }
            if tainted > 0 { reasons.append("\(tainted) node(s) had untolerated taint(s)") }
            let message = "0/\(nodes.count) nodes are available" + (reasons.isEmpty ? "." : ": " + reasons.joined(separator: ", ") + ".")
            try await markUnschedulable(pod, ns: ns, name: name, message: message)
            return
        }
        let pods = registry.objects(ResourceCatalog.pods, namespace: nil).filter {
            $0.value(at: ["metadata", "deletionTimestamp"]) == nil
        }
        let owner = registry.controllerRef(pod)?["uid"]?.stringValue
        func score(_ node: JSONValue) -> (Int, Int, String) {
            let n = meta(node, "name")
            let onNode = pods.filter { $0.value(at: ["spec", "nodeName"])?.stringValue == n }
            let siblings = owner.map { o in onNode.filter { registry.controllerRef($0)?["uid"]?.stringValue == o }.count } ?? 0
            return (siblings, onNode.count, n)
        }
        guard let best = candidates.min(by: { score($0) < score($1) }) else { return }
        _ = try await registry.bind(namespace: ns, name: name, node: meta(best, "name"))
    }

    private func markUnschedulable(_ pod: JSONValue, ns: String, name: String, message: String) async throws {
        var conditions = (pod.value(at: ["status", "conditions"])?.arrayValue ?? []).filter { $0["type"]?.stringValue != "PodScheduled" }
        let previous = (pod.value(at: ["status", "conditions"])?.arrayValue ?? []).first { $0["type"]?.stringValue == "PodScheduled" }
        if previous?["message"]?.stringValue == message { return }
        conditions.append(["type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": .string(message),
                           "lastProbeTime": .null, "lastTransitionTime": .string(Registry.timestamp())])
        var updated = pod
        updated.setValue(.array(conditions), at: ["status", "conditions"])
        _ = try await registry.update(ResourceCatalog.pods, namespace: ns, name: name, body: updated, subresource: "status")
    }
}
