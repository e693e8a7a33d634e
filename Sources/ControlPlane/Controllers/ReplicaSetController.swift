import Foundation
import KubeModel

/// Keeps `spec.replicas` pods running for each ReplicaSet and reports their counts in its status.
struct ReplicaSetController: Reconciler {
    let registry: Registry
    let name = "replicaset"
    let watched = ["apps/replicasets", "pods"]

    func keys(for event: StoreEvent) -> [String] {
        if event.key.resource == "apps/replicasets" { return ["\(event.key.namespace)/\(event.key.name)"] }
        var out: [String] = []
        for obj in [event.object] + (event.previous.map { [$0] } ?? []) {
            if let ref = registry.controllerRef(obj), ref["kind"]?.stringValue == "ReplicaSet",
                let n = ref["name"]?.stringValue
            {
                out.append("\(event.key.namespace)/\(n)")
            }
        }
        return Array(Set(out))
    }

    static func isActive(_ pod: JSONValue) -> Bool {
        let phase = pod.value(at: ["status", "phase"])?.stringValue ?? "Pending"
        return phase != "Succeeded" && phase != "Failed" && pod.value(at: ["metadata", "deletionTimestamp"]) == nil
    }

    static func isReady(_ pod: JSONValue) -> Bool {
        (pod.value(at: ["status", "conditions"])?.arrayValue ?? [])
            .contains { $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True" }
    }

    func reconcile(_ key: String) async throws {
        let (ns, name) = splitKey(key)
        guard let rs = try? registry.get(ResourceCatalog.replicaSets, namespace: ns, name: name),
            rs.value(at: ["metadata", "deletionTimestamp"]) == nil
        else { return }
        let uid = meta(rs, "uid")
        let owned = registry.objects(ResourceCatalog.pods, namespace: ns).filter { registry.isControlled($0, by: uid) }
        let active = owned.filter(Self.isActive)
        let want = Int(rs.value(at: ["spec", "replicas"])?.intValue ?? 1)
        if active.count < want {
            // Slow start, as kube's replica controllers do: batches of 1, 2, 4… created concurrently, stopping at
            // the first batch with a failure (a bad template does not cost hundreds of refused writes).
            var remaining = want - active.count
            var batch = 1
            while remaining > 0 {
                let n = min(batch, remaining)
                let body = podFromTemplate(rs)
                let registry = self.registry
                let failures = await withTaskGroup(of: Bool.self) { group in
                    for _ in 0..<n {
                        group.addTask { (try? await registry.create(ResourceCatalog.pods, namespace: ns, body: body)) == nil }
                    }
                    var failed = 0
                    for await f in group where f { failed += 1 }
                    return failed
                }
                if failures > 0 { throw ControllerError("\(failures) pod creation(s) failed for replicaset \(ns)/\(name)") }
                remaining -= n
                batch *= 2
            }
        } else if active.count > want {
            // Delete the least useful first: unscheduled, then not ready, then the youngest.
            let ranked = active.sorted { a, b in
                let sa = (a.value(at: ["spec", "nodeName"]) == nil ? 0 : 1, Self.isReady(a) ? 1 : 0)
                let sb = (b.value(at: ["spec", "nodeName"]) == nil ? 0 : 1, Self.isReady(b) ? 1 : 0)
                if sa != sb { return sa < sb }
                return meta(a, "creationTimestamp") > meta(b, "creationTimestamp")
            }
            for pod in ranked.prefix(active.count - want) {
                _ = try? await registry.delete(ResourceCatalog.pods, namespace: ns, name: meta(pod, "name"))
            }
        }
        try await updateStatus(rs, ns: ns, name: name)
    }

    func podFromTemplate(_ rs: JSONValue) -> JSONValue {
        var pod: JSONValue = ["apiVersion": "v1", "kind": "Pod", "metadata": .object([:]), "spec": .object([:])]
        let template = rs.value(at: ["spec", "template"]) ?? .object([:])
        pod["spec"] = template["spec"] ?? .object([:])
        pod.setValue(template.value(at: ["metadata", "labels"]), at: ["metadata", "labels"])
        pod.setValue(template.value(at: ["metadata", "annotations"]), at: ["metadata", "annotations"])
        pod.setValue(.string(meta(rs, "name") + "-"), at: ["metadata", "generateName"])
        pod.setValue(
            [["apiVersion": "apps/v1", "kind": "ReplicaSet", "name": .string(meta(rs, "name")), "uid": .string(meta(rs, "uid")),
              "controller": true, "blockOwnerDeletion": true]],
            at: ["metadata", "ownerReferences"])
        return pod
    }

    private func updateStatus(_ rs: JSONValue, ns: String, name: String) async throws {
        let uid = meta(rs, "uid")
        let pods = registry.objects(ResourceCatalog.pods, namespace: ns).filter { registry.isControlled($0, by: uid) }
        let active = pods.filter(Self.isActive)
        let ready = active.filter(Self.isReady).count
        let templateLabels = (rs.value(at: ["spec", "template", "metadata", "labels"])?.objectValue ?? [:])
        let fullyLabeled = active.filter { pod in
            let l = labelsOf(pod)
            return templateLabels.allSatisfy { l[$0.key] == $0.value.stringValue }
        }.count
        let status: JSONValue = [
            "replicas": .int(Int64(active.count)), "fullyLabeledReplicas": .int(Int64(fullyLabeled)),
            "readyReplicas": .int(Int64(ready)), "availableReplicas": .int(Int64(ready)),
            "observedGeneration": rs.value(at: ["metadata", "generation"]) ?? 1,
        ]
        guard rs["status"] != status else { return }
        var updated = rs
        updated["status"] = status
        _ = try await registry.update(ResourceCatalog.replicaSets, namespace: ns, name: name, body: updated, subresource: "status")
    }
}

struct ControllerError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
