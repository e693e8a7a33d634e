import Foundation
import KubeModel
import Logging
import ServiceLifecycle

/// Watches node heartbeats (Leases in `kube-node-lease`, renewed by node agents): a node whose lease is older than
/// the grace period turns Ready=Unknown and its pods not ready (so their endpoints stop taking traffic); after the
/// eviction timeout its pods are deleted, and their ReplicaSets replace them on other nodes.
final class NodeLifecycleController: ServiceLifecycle.Service, Sendable {
    let registry: Registry
    let grace: Double
    let evictionTimeout: Double
    let logger: Logger

    init(registry: Registry, grace: Double, evictionTimeout: Double, logger: Logger) {
        self.registry = registry
        self.grace = grace
        self.evictionTimeout = evictionTimeout
        self.logger = logger
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.check()
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    func check() async {
        let now = Date()
        for node in registry.objects(ResourceCatalog.nodes, namespace: nil) {
            let name = meta(node, "name")
            guard let lease = try? registry.get(ResourceCatalog.leases, namespace: "kube-node-lease", name: name),
                let renew = lease.value(at: ["spec", "renewTime"])?.stringValue.flatMap(KubeTime.parse)
            else { continue }  // nodes without a node agent (registered by hand) are left as they are
            let silent = now.timeIntervalSince(renew)
            let ready = (node.value(at: ["status", "conditions"])?.arrayValue ?? []).first { $0["type"]?.stringValue == "Ready" }
            if silent > grace {
                if ready?["status"]?.stringValue == "True" {
                    logger.info("node stopped posting status", metadata: ["node": "\(name)"])
                    await markUnknown(node)
                    await markPodsNotReady(on: name)
                }
                if silent > grace + evictionTimeout { await evictPods(on: name) }
            }
        }
    }

    private func markUnknown(_ node: JSONValue) async {
        var conditions = node.value(at: ["status", "conditions"])?.arrayValue ?? []
        for i in conditions.indices where conditions[i]["type"]?.stringValue == "Ready" {
            conditions[i]["status"] = "Unknown"
            conditions[i]["reason"] = "NodeStatusUnknown"
            conditions[i]["message"] = "Kubelet stopped posting node status."
            conditions[i]["lastTransitionTime"] = .string(KubeTime.string())
        }
        _ = try? await registry.patch(ResourceCatalog.nodes, namespace: nil, name: meta(node, "name"), type: .merge,
                                      patch: ["status": ["conditions": .array(conditions)]], subresource: "status")
    }

    private func pods(on node: String) -> [JSONValue] {
        registry.objects(ResourceCatalog.pods, namespace: nil).filter { $0.value(at: ["spec", "nodeName"])?.stringValue == node }
    }

    private func markPodsNotReady(on node: String) async {
        for pod in pods(on: node) {
            var conditions = pod.value(at: ["status", "conditions"])?.arrayValue ?? []
            var changed = false
            for i in conditions.indices where ["Ready", "ContainersReady"].contains(conditions[i]["type"]?.stringValue ?? "")
                && conditions[i]["status"]?.stringValue != "False" {
                conditions[i]["status"] = "False"
                conditions[i]["reason"] = "NodeNotReady"
                changed = true
            }
            if changed {
                _ = try? await registry.patch(ResourceCatalog.pods, namespace: meta(pod, "namespace"), name: meta(pod, "name"),
                                              type: .merge, patch: ["status": ["conditions": .array(conditions)]], subresource: "status")
            }
        }
    }

    private func evictPods(on node: String) async {
        for pod in pods(on: node) {
            logger.info("evicting pod from unreachable node", metadata: ["node": "\(node)", "pod": "\(meta(pod, "namespace"))/\(meta(pod, "name"))"])
            _ = try? await registry.delete(ResourceCatalog.pods, namespace: meta(pod, "namespace"), name: meta(pod, "name"),
                                           options: .init(gracePeriodSeconds: 0))
        }
    }
}
