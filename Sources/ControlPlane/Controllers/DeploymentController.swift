import Foundation
import KubeModel

/// Rolls Deployments out through ReplicaSets, as kube-controller-manager does: one ReplicaSet per pod template
/// (named by a hash of the template, labelled `pod-template-hash`), revisions in the
/// `deployment.kubernetes.io/revision` annotation (so `kubectl rollout history/undo` work), Recreate or
/// RollingUpdate within maxSurge/maxUnavailable, old ReplicaSets kept up to revisionHistoryLimit.
struct DeploymentController: Reconciler {
    let registry: Registry
    let name = "deployment"
    let watched = ["apps/deployments", "apps/replicasets"]
    static let revisionKey = "deployment.kubernetes.io/revision"

    func keys(for event: StoreEvent) -> [String] {
        if event.key.resource == "apps/deployments" { return ["\(event.key.namespace)/\(event.key.name)"] }
        var out = Set<String>()
        for obj in [event.object] + (event.previous.map { [$0] } ?? []) {
            if let ref = registry.controllerRef(obj), ref["kind"]?.stringValue == "Deployment", let n = ref["name"]?.stringValue {
                out.insert("\(event.key.namespace)/\(n)")
            }
        }
        return Array(out)
    }

    /// A short, stable name fragment for a pod template, spelt in the alphabet kube uses for generated names.
    static func templateHash(_ template: JSONValue) -> String {
        var hash: UInt32 = 2_166_136_261
        for b in JSONWriter.bytes(template) {
            hash ^= UInt32(b)
            hash = hash &* 16_777_619
        }
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        var out = ""
        var v = hash
        repeat {
            out.append(alphabet[Int(v % UInt32(alphabet.count))])
            v /= UInt32(alphabet.count)
        } while v > 0
        return out
    }

    static func revision(_ obj: JSONValue) -> Int {
        Int(obj.value(at: ["metadata", "annotations", revisionKey])?.stringValue ?? "") ?? 0
    }

    /// The template as the new ReplicaSet stores it, without the hash label, for comparison.
    static func strippedTemplate(_ rs: JSONValue) -> JSONValue {
        var t = rs.value(at: ["spec", "template"]) ?? .null
        t.setValue(nil, at: ["metadata", "labels", "pod-template-hash"])
        if t.value(at: ["metadata", "labels"]) == .object([:]) { t.setValue(nil, at: ["metadata", "labels"]) }
        return t
    }

    static func resolve(_ v: JSONValue?, of total: Int, roundUp: Bool) -> Int {
        switch v {
        case .int(let i)?: return Int(i)
        case .string(let s)? where s.hasSuffix("%"):
            let pct = Double(s.dropLast()) ?? 0
            let x = pct * Double(total) / 100
            return Int(roundUp ? x.rounded(.up) : x.rounded(.down))
        case .string(let s)?: return Int(s) ?? 0
        default: return 0
        }
    }

    func reconcile(_ key: String) async throws {
        let (ns, name) = splitKey(key)
        guard let d = try? registry.get(ResourceCatalog.deployments, namespace: ns, name: name),
            d.value(at: ["metadata", "deletionTimestamp"]) == nil
        else { return }
        let uid = meta(d, "uid")
        var sets = registry.objects(ResourceCatalog.replicaSets, namespace: ns).filter { registry.isControlled($0, by: uid) }
        let template = d.value(at: ["spec", "template"]) ?? .object([:])
        let replicas = Int(d.value(at: ["spec", "replicas"])?.intValue ?? 1)
        let maxRevision = sets.map(Self.revision).max() ?? 0
        let paused = d.value(at: ["spec", "paused"])?.boolValue ?? false

        // Find or make the ReplicaSet of the current template.
        var newRS = sets.first { Self.strippedTemplate($0) == template }
        if newRS == nil && !paused {
            newRS = try await createReplicaSet(d, template: template, revision: maxRevision + 1,
                                               initialReplicas: sets.isEmpty ? replicas : 0)
            if let created = newRS { sets.append(created) }
        } else if let rs = newRS, Self.revision(rs) < maxRevision, !paused {
            // A rollback (or a return to an earlier template): that ReplicaSet becomes the newest revision.
            var updated = rs
            updated.setValue(.string(String(maxRevision + 1)), at: ["metadata", "annotations", Self.revisionKey])
            newRS = try await registry.update(ResourceCatalog.replicaSets, namespace: ns, name: meta(rs, "name"), body: updated).object
            sets = sets.map { meta($0, "name") == meta(rs, "name") ? newRS ?? $0 : $0 }
        }
        let olds = sets.filter { meta($0, "name") != newRS.map { meta($0, "name") } }

        if !paused, let rs = newRS {
            let strategy = d.value(at: ["spec", "strategy", "type"])?.stringValue ?? "RollingUpdate"
            if strategy == "Recreate" {
                try await recreate(rs, olds: olds, replicas: replicas, ns: ns)
            } else {
                try await rollingUpdate(d, newRS: rs, olds: olds, replicas: replicas, ns: ns)
            }
            try await cleanup(d, olds: olds, ns: ns)
        }
        try await updateStatus(d, newRS: newRS, all: registry.objects(ResourceCatalog.replicaSets, namespace: ns)
            .filter { registry.isControlled($0, by: uid) }, ns: ns)
    }

    private func createReplicaSet(_ d: JSONValue, template: JSONValue, revision: Int, initialReplicas: Int) async throws -> JSONValue {
        let hash = Self.templateHash(template)
        var t = template
        t.setValue(.string(hash), at: ["metadata", "labels", "pod-template-hash"])
        var selector = d.value(at: ["spec", "selector"]) ?? .object([:])
        selector.setValue(.string(hash), at: ["matchLabels", "pod-template-hash"])
        var labels = template.value(at: ["metadata", "labels"])?.objectValue ?? [:]
        labels["pod-template-hash"] = .string(hash)
        var annotations: [String: JSONValue] = [
            Self.revisionKey: .string(String(revision)),
            "deployment.kubernetes.io/desired-replicas": .string(String(d.value(at: ["spec", "replicas"])?.intValue ?? 1)),
        ]
        if let cause = d.value(at: ["metadata", "annotations", "kubernetes.io/change-cause"]) { annotations["kubernetes.io/change-cause"] = cause }
        let rs: JSONValue = [
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": ["name": .string("\(meta(d, "name"))-\(hash)"), "namespace": .string(meta(d, "namespace")),
                         "labels": .object(labels), "annotations": .object(annotations),
                         "ownerReferences": [["apiVersion": "apps/v1", "kind": "Deployment", "name": .string(meta(d, "name")),
                                              "uid": .string(meta(d, "uid")), "controller": true, "blockOwnerDeletion": true]]],
            "spec": ["replicas": .int(Int64(initialReplicas)), "selector": selector, "template": t,
                     "minReadySeconds": d.value(at: ["spec", "minReadySeconds"]) ?? 0],
        ]
        let ns = meta(d, "namespace")
        if let existing = try? registry.get(ResourceCatalog.replicaSets, namespace: ns, name: "\(meta(d, "name"))-\(hash)") {
            return existing
        }
        return try await registry.create(ResourceCatalog.replicaSets, namespace: ns, body: rs).object
    }

    private func scale(_ rs: JSONValue, to n: Int, ns: String) async throws {
        guard Int(rs.value(at: ["spec", "replicas"])?.intValue ?? 0) != n else { return }
        _ = try await registry.patch(ResourceCatalog.replicaSets, namespace: ns, name: meta(rs, "name"), type: .merge,
                                     patch: ["spec": ["replicas": .int(Int64(n))]])
    }

    static func specReplicas(_ rs: JSONValue) -> Int { Int(rs.value(at: ["spec", "replicas"])?.intValue ?? 0) }
    static func statusReplicas(_ rs: JSONValue) -> Int { Int(rs.value(at: ["status", "replicas"])?.intValue ?? 0) }
    static func available(_ rs: JSONValue) -> Int { Int(rs.value(at: ["status", "availableReplicas"])?.intValue ?? 0) }

    private func recreate(_ newRS: JSONValue, olds: [JSONValue], replicas: Int, ns: String) async throws {
        for rs in olds { try await scale(rs, to: 0, ns: ns) }
        // Only once every old pod is gone does the new ReplicaSet scale up.
        if olds.allSatisfy({ Self.statusReplicas($0) == 0 }) {
            try await scale(newRS, to: replicas, ns: ns)
        }
    }

    private func rollingUpdate(_ d: JSONValue, newRS: JSONValue, olds: [JSONValue], replicas: Int, ns: String) async throws {
        var maxSurge = Self.resolve(d.value(at: ["spec", "strategy", "rollingUpdate", "maxSurge"]), of: replicas, roundUp: true)
        var maxUnavailable = Self.resolve(d.value(at: ["spec", "strategy", "rollingUpdate", "maxUnavailable"]),
                                          of: replicas, roundUp: false)
        if maxSurge == 0 && maxUnavailable == 0 { maxUnavailable = 1 }
        maxSurge = max(0, maxSurge)
        maxUnavailable = min(max(0, maxUnavailable), replicas)

        // Scale up the new ReplicaSet as far as the surge allows.
        let total = Self.specReplicas(newRS) + olds.map(Self.specReplicas).reduce(0, +)
        let newCount = Self.specReplicas(newRS)
        var newSpec = newCount
        if newCount < replicas {
            let room = replicas + maxSurge - total
            if room > 0 {
                newSpec = min(replicas, newCount + room)
                try await scale(newRS, to: newSpec, ns: ns)
            }
        } else if newCount > replicas {
            newSpec = replicas
            try await scale(newRS, to: replicas, ns: ns)
        }
        guard !olds.isEmpty else { return }

        // Scale old ReplicaSets down while keeping replicas - maxUnavailable pods available. As upstream
        // (reconcileOldReplicaSets), the room to scale down is counted from spec replicas, which this controller
        // writes, not from status, which lags: right after a scale-down an old ReplicaSet's status still counts the
        // pods being deleted, and counting them again would take availability below the minimum.
        let minAvailable = replicas - maxUnavailable
        let newAvailable = min(Self.available(newRS), newSpec)
        let sortedOlds = olds.sorted { Self.revision($0) < Self.revision($1) }
        var targets = sortedOlds.map(Self.specReplicas)
        if newAvailable >= replicas {
            targets = targets.map { _ in 0 }
        } else {
            var maxScaledDown = newSpec + targets.reduce(0, +) - minAvailable - (newSpec - newAvailable)
            // Unavailable old pods first: removing them costs no availability.
            for i in sortedOlds.indices where maxScaledDown > 0 {
                let take = min(maxScaledDown, max(0, targets[i] - Self.available(sortedOlds[i])))
                targets[i] -= take
                maxScaledDown -= take
            }
            // Then available ones, as far as the minimum allows; an old ReplicaSet counts at most its spec as available.
            let available = newAvailable + zip(sortedOlds, targets).map { min(Self.available($0), $1) }.reduce(0, +)
            var budget = min(maxScaledDown, available - minAvailable)
            for i in sortedOlds.indices where budget > 0 {
                let take = min(budget, targets[i])
                targets[i] -= take
                budget -= take
            }
        }
        for (rs, target) in zip(sortedOlds, targets) {
            try await scale(rs, to: max(0, target), ns: ns)
        }
    }

    private func cleanup(_ d: JSONValue, olds: [JSONValue], ns: String) async throws {
        let limit = Int(d.value(at: ["spec", "revisionHistoryLimit"])?.intValue ?? 10)
        let idle = olds.filter { Self.specReplicas($0) == 0 && Self.statusReplicas($0) == 0 }
            .sorted { Self.revision($0) < Self.revision($1) }
        guard idle.count > limit else { return }
        for rs in idle.prefix(idle.count - limit) {
            _ = try? await registry.delete(ResourceCatalog.replicaSets, namespace: ns, name: meta(rs, "name"))
        }
    }

    private func updateStatus(_ d: JSONValue, newRS: JSONValue?, all: [JSONValue], ns: String) async throws {
        let replicas = Int(d.value(at: ["spec", "replicas"])?.intValue ?? 1)
        let total = all.map(Self.statusReplicas).reduce(0, +)
        let ready = all.map { Int($0.value(at: ["status", "readyReplicas"])?.intValue ?? 0) }.reduce(0, +)
        let available = all.map(Self.available).reduce(0, +)
        let updated = newRS.map(Self.statusReplicas) ?? 0
        let maxUnavailable = Self.resolve(d.value(at: ["spec", "strategy", "rollingUpdate", "maxUnavailable"]),
                                          of: replicas, roundUp: false)
        let now = Registry.timestamp()
        let old = d.value(at: ["status", "conditions"])?.arrayValue ?? []
        func condition(_ type: String, _ ok: Bool, _ reason: String, _ message: String) -> JSONValue {
            let prev = old.first { $0["type"]?.stringValue == type }
            let status = ok ? "True" : "False"
            let changed = prev?["status"]?.stringValue != status || prev?["reason"]?.stringValue != reason
            return ["type": .string(type), "status": .string(status), "reason": .string(reason), "message": .string(message),
                    "lastUpdateTime": changed ? .string(now) : prev?["lastUpdateTime"] ?? .string(now),
                    "lastTransitionTime": prev?["status"]?.stringValue == status ? prev?["lastTransitionTime"] ?? .string(now) : .string(now)]
        }
        let complete = updated == replicas && total == replicas && available >= replicas
        let rsName = newRS.map { meta($0, "name") } ?? ""
        var status: [String: JSONValue] = [
            "observedGeneration": d.value(at: ["metadata", "generation"]) ?? 1,
            "replicas": .int(Int64(total)), "updatedReplicas": .int(Int64(updated)),
            "readyReplicas": .int(Int64(ready)), "availableReplicas": .int(Int64(available)),
            "conditions": [
                condition("Available", available >= replicas - maxUnavailable,
                          available >= replicas - maxUnavailable ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
                          available >= replicas - maxUnavailable ? "Deployment has minimum availability."
                            : "Deployment does not have minimum availability."),
                condition("Progressing", true, complete ? "NewReplicaSetAvailable" : "ReplicaSetUpdated",
                          complete ? "ReplicaSet \"\(rsName)\" has successfully progressed."
                            : "ReplicaSet \"\(rsName)\" is progressing."),
            ],
        ]
        if total - available > 0 { status["unavailableReplicas"] = .int(Int64(total - available)) }
        var next = d
        next["status"] = .object(status)
        if let rs = newRS {
            next.setValue(.string(String(Self.revision(rs))), at: ["metadata", "annotations", Self.revisionKey])
        }
        // The revision annotation is metadata (main resource); counts are status.
        if next.value(at: ["metadata", "annotations"]) != d.value(at: ["metadata", "annotations"]) {
            _ = try await registry.patch(ResourceCatalog.deployments, namespace: ns, name: meta(d, "name"), type: .merge,
                                         patch: ["metadata": ["annotations": [Self.revisionKey: next.value(at: ["metadata", "annotations", Self.revisionKey]) ?? .null]]])
        }
        if Self.withoutTimes(next["status"]) != Self.withoutTimes(d["status"]) {
            var current = try registry.get(ResourceCatalog.deployments, namespace: ns, name: meta(d, "name"))
            current["status"] = .object(status)
            _ = try await registry.update(ResourceCatalog.deployments, namespace: ns, name: meta(d, "name"), body: current,
                                          subresource: "status")
        }
    }

    static func withoutTimes(_ status: JSONValue?) -> JSONValue? {
        guard var s = status else { return nil }
        if let conds = s["conditions"]?.arrayValue {
            s["conditions"] = .array(conds.map { c in
                var c = c
                c["lastUpdateTime"] = nil
                c["lastTransitionTime"] = nil
                return c
            })
        }
        return s
    }
}
