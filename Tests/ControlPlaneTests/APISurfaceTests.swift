import Foundation
import KubeClient
import KubeModel
import TestSupport
import Testing

@Suite("API surface: auth, version, health, selectors, deletecollection")
struct APISurfaceTests {
    @Test("the bearer token is required except for /version and health; kubectl sees a 1.32 server")
    func authAndVersion() async throws {
        try await withControlPlane { cp in
            let config = try KubeConfig.load(path: cp.kubeconfig)
            var anonymous = config
            anonymous.token = nil
            let anon = try KubeClient(config: anonymous)
            defer { Task { try? await anon.shutdown() } }
            let denied = try await anon.raw(.GET, "/api/v1/namespaces/default/services")
            #expect(denied.code == 401)
            #expect(denied.json?["kind"]?.stringValue == "Status")
            #expect(denied.json?["reason"]?.stringValue == "Unauthorized")
            var wrong = config
            wrong.token = "not-the-token"
            let bad = try KubeClient(config: wrong)
            defer { Task { try? await bad.shutdown() } }
            #expect(try await bad.raw(.GET, "/api").code == 401)
            for path in ["/healthz", "/livez", "/readyz"] {
                let r = try await anon.raw(.GET, path)
                #expect(r.code == 200)
                #expect(String(decoding: r.body, as: UTF8.self) == "ok")
            }
            let version = try await anon.raw(.GET, "/version")
            #expect(version.json?["minor"]?.stringValue == "32")
            let kubectl = try cp.kubectl("version")
            #expect(kubectl.out.contains("Server Version: v1.32"))
            #expect(!kubectl.err.contains("version difference"))
        }
    }

    @Test("field selectors spec.nodeName and status.phase; deletecollection by label")
    func selectorsAndDeleteCollection() async throws {
        try await withControlPlane { cp in
            let api = try cp.api
            try await cp.addReadyNode("node-a")
            for (name, node) in [("p1", "node-a"), ("p2", "node-a"), ("p3", "")] {
                var spec: JSONValue = ["containers": [["name": "c", "image": "x"]]]
                // p3 asks for a node that does not exist, so the scheduler leaves it pending.
                if node.isEmpty { spec["nodeSelector"] = ["pool": "none"] } else { spec["nodeName"] = .string(node) }
                try await api.json(.POST, "/api/v1/namespaces/default/pods",
                                   ["metadata": ["name": .string(name), "labels": ["group": "g"]], "spec": spec])
            }
            try await cp.markPodReady("p1", ip: "10.244.1.5")
            let onNode = try cp.kubectl("get", "pods", "--field-selector", "spec.nodeName=node-a", "-o", "name").out
            #expect(onNode.split(separator: "\n").sorted() == ["pod/p1", "pod/p2"])
            let running = try cp.kubectl("get", "pods", "--field-selector", "status.phase=Running", "-o", "name").out
            #expect(running.trimmingCharacters(in: .whitespacesAndNewlines) == "pod/p1")
            let unsupported = try cp.kubectl("get", "pods", "--field-selector", "spec.bogus=x", check: false)
            #expect(unsupported.err.contains("field label not supported: spec.bogus"))

            try await api.json(.DELETE, "/api/v1/namespaces/default/pods?labelSelector=group%3Dg")
            try await cp.eventually("pods gone") {
                try await api.json(.GET, "/api/v1/namespaces/default/pods")["items"]?.arrayValue?.isEmpty == true
            }
        }
    }
}
