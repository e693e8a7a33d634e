import Foundation
import KubeClient
import KubeModel
import TestSupport
import Testing

// Integration tests of the in-process controllers (EndpointSlice, ReplicaSet, Deployment, scheduler) against a real
// control plane. There is no node agent: tests register Ready nodes and set pod status through the API, as one would.

private let podsPath = "/api/v1/namespaces/default/pods"
private let servicesPath = "/api/v1/namespaces/default/services"
private let slicesPath = "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices"
private let deploymentsPath = "/apis/apps/v1/namespaces/default/deployments"
private let replicaSetsPath = "/apis/apps/v1/namespaces/default/replicasets"
private let revisionKey = "deployment.kubernetes.io/revision"

/// Hands out distinct pod IPs within one test.
private final class PodIPs {
    private var next = 10
    func take() -> String {
        defer { next += 1 }
        return "10.244.\(next / 250).\(next % 250 + 1)"
    }
}

private func items(_ cp: TestControlPlane, _ path: String) async throws -> [JSONValue] {
    try await cp.api.json(.GET, path)["items"]?.arrayValue ?? []
}

private func name(_ obj: JSONValue) -> String { obj.value(at: ["metadata", "name"])?.stringValue ?? "" }
private func uid(_ obj: JSONValue) -> String { obj.value(at: ["metadata", "uid"])?.stringValue ?? "" }
private func nodeName(_ pod: JSONValue) -> String { pod.value(at: ["spec", "nodeName"])?.stringValue ?? "" }
private func isTerminating(_ obj: JSONValue) -> Bool { obj.value(at: ["metadata", "deletionTimestamp"]) != nil }
private func image(_ pod: JSONValue) -> String {
    pod.value(at: ["spec", "containers"])?.arrayValue?.first?["image"]?.stringValue ?? ""
}
private func isReady(_ pod: JSONValue) -> Bool {
    (pod.value(at: ["status", "conditions"])?.arrayValue ?? [])
        .contains { $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True" }
}
private func int(_ obj: JSONValue, _ path: String...) -> Int? { obj.value(at: path)?.intValue.map { Int($0) } }

/// The managed EndpointSlices of a Service, found by the `kubernetes.io/service-name` label.
private func slices(_ cp: TestControlPlane, of service: String) async throws -> [JSONValue] {
    try await items(cp, slicesPath + "?labelSelector=kubernetes.io%2Fservice-name%3D\(service)")
}

private func endpoints(_ slices: [JSONValue]) -> [JSONValue] {
    slices.flatMap { $0["endpoints"]?.arrayValue ?? [] }
}

/// The endpoint whose targetRef names `pod`.
private func endpoint(_ slices: [JSONValue], pod: String) -> JSONValue? {
    endpoints(slices).first { $0.value(at: ["targetRef", "name"])?.stringValue == pod }
}

private func condition(_ endpoint: JSONValue?, _ c: String) -> Bool? { endpoint?.value(at: ["conditions", c])?.boolValue }

/// A pod with one container declaring `ports` (name → number), optionally already bound to a node.
private func podBody(_ name: String, labels: [String: String], ports: [(String, Int)] = [], node: String? = nil,
                     hostname: String? = nil, subdomain: String? = nil) -> JSONValue {
    var l: [String: JSONValue] = [:]
    for (k, v) in labels { l[k] = .string(v) }
    let containerPorts: [JSONValue] = ports.map { p in ["name": .string(p.0), "containerPort": .int(Int64(p.1))] }
    var container: JSONValue = ["name": "app", "image": "junction/echo"]
    if !containerPorts.isEmpty { container["ports"] = .array(containerPorts) }
    var spec: JSONValue = ["containers": [container]]
    if let node { spec["nodeName"] = .string(node) }
    if let hostname { spec["hostname"] = .string(hostname) }
    if let subdomain { spec["subdomain"] = .string(subdomain) }
    return ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name), "labels": .object(l)], "spec": spec]
}

private func createPod(_ cp: TestControlPlane, _ body: JSONValue) async throws {
    try await cp.api.json(.POST, podsPath, body)
}

private func serviceBody(_ name: String, selector: [String: String]?, ports: [JSONValue],
                         extra: [String: JSONValue] = [:]) -> JSONValue {
    var spec: [String: JSONValue] = ["ports": .array(ports)]
    if let selector {
        var s: [String: JSONValue] = [:]
        for (k, v) in selector { s[k] = .string(v) }
        spec["selector"] = .object(s)
    }
    for (k, v) in extra { spec[k] = v }
    return ["apiVersion": "v1", "kind": "Service", "metadata": ["name": .string(name)], "spec": .object(spec)]
}

/// A node Lease renewed just now, so that deleting a pod on that node is graceful (the pod stays Terminating, as
/// it does while a live kubelet stops it).
private func renewNodeLease(_ cp: TestControlPlane, _ node: String) async throws {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime]
    let lease: JSONValue = [
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": ["name": .string(node)],
        "spec": ["holderIdentity": .string(node), "leaseDurationSeconds": 40, "renewTime": .string(f.string(from: Date()))],
    ]
    try await cp.api.json(.POST, "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", lease)
}

/// Runs `body` on every element with at most `width` running at once.
private func concurrently<T: Sendable>(_ elements: [T], width: Int = 16, _ body: @escaping @Sendable (T) async throws -> Void)
    async throws
{
    try await withThrowingTaskGroup(of: Void.self) { group in
        var iterator = elements.makeIterator()
        for _ in 0..<width {
            guard let e = iterator.next() else { break }
            group.addTask { try await body(e) }
        }
        while try await group.next() != nil {
            if let e = iterator.next() { group.addTask { try await body(e) } }
        }
    }
}

// MARK: - EndpointSlices

@Suite("EndpointSlice controller", .serialized)
struct EndpointSliceControllerTests {
    static let selectorWeb = ["app": "web"]

    @Test("named targetPort resolved per pod: slices grouped by port, endpoints with address, node, targetRef, conditions")
    func namedPortsAndConditions() async throws {
        try await withControlPlane { cp in
            try await cp.addReadyNode("node-a")
            try await cp.addReadyNode("node-b")
            let svcPorts: [JSONValue] = [["name": "http", "port": 80, "targetPort": "http"]]
            let svc = try await cp.api.json(.POST, servicesPath,
                                            serviceBody("web", selector: Self.selectorWeb, ports: svcPorts))
            try await createPod(cp, podBody("a", labels: Self.selectorWeb, ports: [("http", 8080)], node: "node-a"))
            try await createPod(cp, podBody("b", labels: Self.selectorWeb, ports: [("http", 9090)], node: "node-b"))
            try await createPod(cp, podBody("c", labels: Self.selectorWeb, ports: [("http", 8080)], node: "node-a"))
            // No IP yet: no endpoint. Other labels: not selected.
            try await createPod(cp, podBody("d", labels: Self.selectorWeb, ports: [("http", 8080)], node: "node-a"))
            try await createPod(cp, podBody("other", labels: ["app": "other"], ports: [("http", 8080)], node: "node-a"))
            try await cp.markPodReady("a", ip: "10.244.0.10")
            try await cp.markPodReady("b", ip: "10.244.0.11")
            try await cp.markPodReady("c", ip: "10.244.0.12", ready: false)
            try await cp.markPodReady("other", ip: "10.244.0.13")

            var current: [JSONValue] = []
            try await cp.eventually("two slices with three endpoints") {
                current = try await slices(cp, of: "web")
                return current.count == 2 && endpoints(current).count == 3
            }
            let byPort = Dictionary(current.map { s in
                (Int(s["ports"]?.arrayValue?.first?["port"]?.intValue ?? 0), s)
            }, uniquingKeysWith: { a, _ in a })
            #expect(Set(byPort.keys) == [8080, 9090])
            let s8080 = try #require(byPort[8080])
            let s9090 = try #require(byPort[9090])
            #expect(Set(endpoints([s8080]).compactMap { $0.value(at: ["targetRef", "name"])?.stringValue }) == ["a", "c"])
            #expect(endpoints([s9090]).compactMap { $0.value(at: ["targetRef", "name"])?.stringValue } == ["b"])

            for s in current {
                #expect(s["addressType"]?.stringValue == "IPv4")
                #expect(s["kind"]?.stringValue == "EndpointSlice")
                #expect(s.value(at: ["metadata", "labels", "kubernetes.io/service-name"])?.stringValue == "web")
                #expect(s.value(at: ["metadata", "labels", "endpointslice.kubernetes.io/managed-by"])?.stringValue
                    == "endpointslice-controller.k8s.io")
                #expect(name(s).hasPrefix("web-"))
                let ports = s["ports"]?.arrayValue ?? []
                #expect(ports.count == 1)
                #expect(ports.first?["name"]?.stringValue == "http")
                #expect(ports.first?["protocol"]?.stringValue == "TCP")
                let owners = s.value(at: ["metadata", "ownerReferences"])?.arrayValue ?? []
                #expect(owners.count == 1)
                let owner = try #require(owners.first)
                #expect(owner["kind"]?.stringValue == "Service")
                #expect(owner["apiVersion"]?.stringValue == "v1")
                #expect(owner["name"]?.stringValue == "web")
                #expect(owner["uid"]?.stringValue == uid(svc))
                #expect(owner["controller"]?.boolValue == true)
            }

            let podA = try await cp.api.json(.GET, podsPath + "/a")
            let a = try #require(endpoint(current, pod: "a"))
            #expect(a["addresses"] == ["10.244.0.10"])
            #expect(a["nodeName"]?.stringValue == "node-a")
            #expect(a.value(at: ["targetRef", "kind"])?.stringValue == "Pod")
            #expect(a.value(at: ["targetRef", "namespace"])?.stringValue == "default")
            #expect(a.value(at: ["targetRef", "uid"])?.stringValue == uid(podA))
            #expect(condition(a, "ready") == true)
            #expect(condition(a, "serving") == true)
            #expect(condition(a, "terminating") == false)

            let b = try #require(endpoint(current, pod: "b"))
            #expect(b["addresses"] == ["10.244.0.11"])
            #expect(b["nodeName"]?.stringValue == "node-b")
            #expect(condition(b, "ready") == true)

            let c = try #require(endpoint(current, pod: "c"))
            #expect(c["addresses"] == ["10.244.0.12"])
            #expect(condition(c, "ready") == false)
            #expect(condition(c, "serving") == false)
            #expect(condition(c, "terminating") == false)
            #expect(endpoint(current, pod: "d") == nil)
            #expect(endpoint(current, pod: "other") == nil)

            // A pod turning not ready stays an endpoint, with ready=false and serving=false.
            try await cp.markPodReady("a", ip: "10.244.0.10", ready: false)
            try await cp.eventually("a not ready") {
                let e = endpoint(try await slices(cp, of: "web"), pod: "a")
                return condition(e, "ready") == false && condition(e, "serving") == false
            }
            // Back to ready.
            try await cp.markPodReady("a", ip: "10.244.0.10")
            try await cp.eventually("a ready again") {
                condition(endpoint(try await slices(cp, of: "web"), pod: "a"), "ready") == true
            }

            // A terminating pod (its node's agent is alive, so deletion is graceful): terminating=true, ready=false,
            // serving still follows the pod's Ready condition.
            try await renewNodeLease(cp, "node-b")
            try await cp.api.json(.DELETE, podsPath + "/b")
            let deleted = try await cp.api.json(.GET, podsPath + "/b")
            #expect(isTerminating(deleted))
            try await cp.eventually("b terminating") {
                let e = endpoint(try await slices(cp, of: "web"), pod: "b")
                return condition(e, "terminating") == true
            }
            let bt = endpoint(try await slices(cp, of: "web"), pod: "b")
            #expect(condition(bt, "ready") == false)
            #expect(condition(bt, "serving") == true)
            #expect(condition(bt, "terminating") == true)

            // Gone for good: its endpoint goes, and with it the 9090 slice.
            try await cp.api.json(.DELETE, podsPath + "/b?gracePeriodSeconds=0")
            try await cp.eventually("slice for 9090 removed") {
                let s = try await slices(cp, of: "web")
                return s.count == 1 && endpoint(s, pod: "b") == nil
            }
            _ = try await cp.api.json(.GET, "/api/v1/namespaces/default")
        }
    }

    @Test("150 pods: several slices of at most 100 endpoints, every pod exactly once")
    func manyPods() async throws {
        try await withControlPlane { cp in
            let svcPorts: [JSONValue] = [["name": "http", "port": 80, "targetPort": 8080]]
            try await cp.api.json(.POST, servicesPath, serviceBody("big", selector: ["app": "big"], ports: svcPorts))
            let api = try cp.api
            let indices = Array(0..<150)
            try await concurrently(indices) { i in
                try await api.json(.POST, podsPath, podBody("big-\(i)", labels: ["app": "big"], node: "node-\(i % 3)"))
            }
            try await concurrently(indices) { i in
                try await cp.markPodReady("big-\(i)", ip: "10.245.\(i / 200).\(i % 200 + 1)")
            }
            var current: [JSONValue] = []
            try await cp.eventually("150 ready endpoints", timeout: 30) {
                current = try await slices(cp, of: "big")
                let eps = endpoints(current)
                return eps.count == 150 && eps.allSatisfy { condition($0, "ready") == true }
            }
            #expect(current.count >= 2)
            for s in current {
                let n = s["endpoints"]?.arrayValue?.count ?? 0
                #expect(n <= 100, "slice \(name(s)) has \(n) endpoints")
                #expect(n > 0)
                #expect(s["ports"] == [["name": "http", "port": 8080, "protocol": "TCP"]])
            }
            let names = endpoints(current).compactMap { $0.value(at: ["targetRef", "name"])?.stringValue }
            #expect(names.count == 150)
            #expect(Set(names) == Set(indices.map { "big-\($0)" }))
            let addresses = endpoints(current).compactMap { $0["addresses"]?.arrayValue?.first?.stringValue }
            #expect(Set(addresses).count == 150)
            #expect(Set(current.map(name)).count == current.count)

            // Scale down to 90 pods: every slice keeps at most 100, and exactly the 90 remain.
            try await concurrently(Array(90..<150)) { i in
                try await api.json(.DELETE, podsPath + "/big-\(i)")
            }
            try await cp.eventually("90 endpoints", timeout: 30) {
                current = try await slices(cp, of: "big")
                return endpoints(current).count == 90
            }
            let remaining = Set(endpoints(current).compactMap { $0.value(at: ["targetRef", "name"])?.stringValue })
            #expect(remaining == Set((0..<90).map { "big-\($0)" }))
            #expect(current.allSatisfy { ($0["endpoints"]?.arrayValue?.count ?? 0) <= 100 })
            _ = try await cp.api.json(.GET, "/api/v1/namespaces/default")
        }
    }

    @Test("headless Service (clusterIP None): slices labelled headless, endpoints with hostname for the subdomain")
    func headless() async throws {
        try await withControlPlane { cp in
            let ports: [JSONValue] = [["name": "http", "port": 80, "targetPort": 8080]]
            let svc = try await cp.api.json(.POST, servicesPath,
                                            serviceBody("db", selector: ["app": "db"], ports: ports, extra: ["clusterIP": "None"]))
            #expect(svc.value(at: ["spec", "clusterIP"])?.stringValue == "None")
            try await createPod(cp, podBody("db-0", labels: ["app": "db"], node: "node-a", hostname: "db-0", subdomain: "db"))
            try await createPod(cp, podBody("db-1", labels: ["app": "db"], node: "node-b"))
            try await cp.markPodReady("db-0", ip: "10.244.3.1")
            try await cp.markPodReady("db-1", ip: "10.244.3.2")
            var current: [JSONValue] = []
            try await cp.eventually("headless slice with two endpoints") {
                current = try await slices(cp, of: "db")
                return endpoints(current).count == 2
            }
            #expect(current.count == 1)
            let s = try #require(current.first)
            #expect(s.value(at: ["metadata", "labels", "service.kubernetes.io/headless"])?.stringValue == "")
            #expect(s.value(at: ["metadata", "labels", "endpointslice.kubernetes.io/managed-by"])?.stringValue
                == "endpointslice-controller.k8s.io")
            #expect(s.value(at: ["metadata", "ownerReferences"])?.arrayValue?.first?["uid"]?.stringValue == uid(svc))
            #expect(endpoint(current, pod: "db-0")?["hostname"]?.stringValue == "db-0")
            #expect(endpoint(current, pod: "db-1")?["hostname"] == nil)
            #expect(endpoint(current, pod: "db-1")?["addresses"] == ["10.244.3.2"])
            #expect(endpoints(current).allSatisfy { condition($0, "ready") == true })
        }
    }

    /// Upstream (staging/src/k8s.io/endpointslice/utils.go, podToEndpoint):
    ///   serving := IsPodReady(pod); terminating := pod.DeletionTimestamp != nil
    ///   ready := service.Spec.PublishNotReadyAddresses || (serving && !terminating)
    @Test("publishNotReadyAddresses: not-ready and terminating pods are ready=true, serving follows the pod")
    func publishNotReadyAddresses() async throws {
        try await withControlPlane { cp in
            try await cp.addReadyNode("node-a")
            try await cp.addReadyNode("node-b")
            let ports: [JSONValue] = [["name": "peer", "port": 2380, "targetPort": 2380]]
            try await cp.api.json(.POST, servicesPath,
                                  serviceBody("etcd", selector: ["app": "etcd"], ports: ports,
                                              extra: ["clusterIP": "None", "publishNotReadyAddresses": true]))
            try await createPod(cp, podBody("etcd-0", labels: ["app": "etcd"], node: "node-a"))
            try await createPod(cp, podBody("etcd-1", labels: ["app": "etcd"], node: "node-a"))
            try await createPod(cp, podBody("etcd-2", labels: ["app": "etcd"], node: "node-b"))
            try await cp.markPodReady("etcd-0", ip: "10.244.4.1")
            try await cp.markPodReady("etcd-1", ip: "10.244.4.2", ready: false)
            try await cp.markPodReady("etcd-2", ip: "10.244.4.3")
            var current: [JSONValue] = []
            try await cp.eventually("three endpoints") {
                current = try await slices(cp, of: "etcd")
                return endpoints(current).count == 3
            }
            let ready = endpoint(current, pod: "etcd-0")
            #expect(condition(ready, "ready") == true)
            #expect(condition(ready, "serving") == true)
            #expect(condition(ready, "terminating") == false)
            let notReady = endpoint(current, pod: "etcd-1")
            #expect(condition(notReady, "ready") == true, "publishNotReadyAddresses publishes not-ready pods as ready")
            #expect(condition(notReady, "serving") == false, "serving is the pod's own readiness, as upstream")
            #expect(condition(notReady, "terminating") == false)

            // Terminating pod (graceful deletion): still ready=true with publishNotReadyAddresses.
            try await renewNodeLease(cp, "node-b")
            try await cp.api.json(.DELETE, podsPath + "/etcd-2")
            try await cp.eventually("etcd-2 terminating") {
                condition(endpoint(try await slices(cp, of: "etcd"), pod: "etcd-2"), "terminating") == true
            }
            let terminating = endpoint(try await slices(cp, of: "etcd"), pod: "etcd-2")
            #expect(condition(terminating, "ready") == true, "publishNotReadyAddresses keeps terminating pods ready")
            #expect(condition(terminating, "serving") == true)
        }
    }

    @Test("slices follow the Service: label changes, deletion; selector-less Services get no managed slices")
    func lifecycle() async throws {
        try await withControlPlane { cp in
            let ports: [JSONValue] = [["name": "http", "port": 80, "targetPort": 8080]]
            try await cp.api.json(.POST, servicesPath, serviceBody("web", selector: Self.selectorWeb, ports: ports))
            try await cp.api.json(.POST, servicesPath, serviceBody("manual", selector: nil, ports: ports))
            // A user-managed slice for the selector-less Service: left alone by the controller.
            let userSlice: JSONValue = [
                "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": ["name": "manual-1", "labels": ["kubernetes.io/service-name": "manual"]],
                "addressType": "IPv4",
                "endpoints": [["addresses": ["192.0.2.10"]]],
                "ports": [["name": "http", "port": 8080, "protocol": "TCP"]],
            ]
            try await cp.api.json(.POST, slicesPath, userSlice)
            try await createPod(cp, podBody("web-1", labels: Self.selectorWeb, node: "node-a"))
            try await createPod(cp, podBody("web-2", labels: Self.selectorWeb, node: "node-a"))
            try await cp.markPodReady("web-1", ip: "10.244.5.1")
            try await cp.markPodReady("web-2", ip: "10.244.5.2")
            try await cp.eventually("web has two endpoints") { endpoints(try await slices(cp, of: "web")).count == 2 }

            // Relabelling a pod out of the selector removes its endpoint.
            try await cp.api.json(.PATCH, podsPath + "/web-2", ["metadata": ["labels": ["app": "elsewhere"]]],
                                  contentType: "application/merge-patch+json")
            try await cp.eventually("web-2 dropped") {
                let s = try await slices(cp, of: "web")
                return endpoints(s).count == 1 && endpoint(s, pod: "web-1") != nil
            }

            // The selector-less Service has only the user's slice (no managed-by label), untouched.
            let manual = try await slices(cp, of: "manual")
            #expect(manual.map(name) == ["manual-1"])
            #expect(manual.first?.value(at: ["metadata", "labels", "endpointslice.kubernetes.io/managed-by"]) == nil)
            #expect(manual.first?["endpoints"] == [["addresses": ["192.0.2.10"]]])
            let managed = try await items(
                cp, slicesPath + "?labelSelector=endpointslice.kubernetes.io%2Fmanaged-by%3Dendpointslice-controller.k8s.io")
            #expect(Set(managed.compactMap { $0.value(at: ["metadata", "labels", "kubernetes.io/service-name"])?.stringValue })
                == ["web"])

            // Deleting the Service removes its slices (and only those).
            try await cp.api.json(.DELETE, servicesPath + "/web")
            try await cp.eventually("web slices removed") { try await slices(cp, of: "web").isEmpty }
            #expect(try await slices(cp, of: "manual").map(name) == ["manual-1"])

            // Deleting the user's Service leaves its unowned slice: nothing manages it.
            try await cp.api.json(.DELETE, servicesPath + "/manual")
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await slices(cp, of: "manual").map(name) == ["manual-1"])
        }
    }
}

// MARK: - ReplicaSets, Deployments, scheduler

private func deploymentBody(_ name: String, replicas: Int, image: String = "junction/echo:v1",
                            nodeSelector: [String: String]? = nil, strategy: JSONValue? = nil) -> JSONValue {
    let labels: JSONValue = ["app": .string(name)]
    var podSpec: JSONValue = ["containers": [["name": "app", "image": .string(image)]]]
    if let nodeSelector {
        var s: [String: JSONValue] = [:]
        for (k, v) in nodeSelector { s[k] = .string(v) }
        podSpec["nodeSelector"] = .object(s)
    }
    var spec: JSONValue = [
        "replicas": .int(Int64(replicas)),
        "selector": ["matchLabels": labels],
        "template": ["metadata": ["labels": labels], "spec": podSpec],
    ]
    if let strategy { spec["strategy"] = strategy }
    return ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": .string(name)], "spec": spec]
}

/// Live (not terminating) pods of a Deployment, by its `app` label.
private func livePods(_ cp: TestControlPlane, app: String) async throws -> [JSONValue] {
    try await items(cp, podsPath + "?labelSelector=app%3D\(app)").filter { !isTerminating($0) }
}

/// Plays the node agent: every scheduled, not yet ready pod of `app` becomes Running and Ready.
@discardableResult
private func readyScheduledPods(_ cp: TestControlPlane, app: String, ips: PodIPs) async throws -> Int {
    var n = 0
    for pod in try await livePods(cp, app: app) where !nodeName(pod).isEmpty && !isReady(pod) {
        // The pod may be deleted meanwhile by a scale-down: that is fine.
        if (try? await cp.markPodReady(name(pod), ip: ips.take())) != nil { n += 1 }
    }
    return n
}

private func replicaSets(_ cp: TestControlPlane, app: String) async throws -> [JSONValue] {
    try await items(cp, replicaSetsPath + "?labelSelector=app%3D\(app)")
}

private func revision(_ obj: JSONValue) -> String? {
    obj.value(at: ["metadata", "annotations", revisionKey])?.stringValue
}

@Suite("ReplicaSet and Deployment controllers, scheduler", .serialized)
struct DeploymentControllerTests {
    @Test("3 replicas on 3 ready nodes: one pod per node, owned by a ReplicaSet owned by the Deployment")
    func spreadAcrossNodes() async throws {
        try await withControlPlane { cp in
            for n in 1...3 { try await cp.addReadyNode("node-\(n)") }
            let d = try await cp.api.json(.POST, deploymentsPath, deploymentBody("web", replicas: 3))
            var pods: [JSONValue] = []
            try await cp.eventually("3 scheduled pods") {
                pods = try await livePods(cp, app: "web")
                return pods.count == 3 && pods.allSatisfy { !nodeName($0).isEmpty }
            }
            #expect(Set(pods.map(nodeName)) == ["node-1", "node-2", "node-3"])
            let sets = try await replicaSets(cp, app: "web")
            #expect(sets.count == 1)
            let rs = try #require(sets.first)
            let rsOwner = rs.value(at: ["metadata", "ownerReferences"])?.arrayValue?.first
            #expect(rsOwner?["kind"]?.stringValue == "Deployment")
            #expect(rsOwner?["uid"]?.stringValue == uid(d))
            #expect(rsOwner?["controller"]?.boolValue == true)
            let hash = try #require(rs.value(at: ["metadata", "labels", "pod-template-hash"])?.stringValue)
            #expect(name(rs) == "web-\(hash)")
            for pod in pods {
                let owner = pod.value(at: ["metadata", "ownerReferences"])?.arrayValue?.first
                #expect(owner?["kind"]?.stringValue == "ReplicaSet")
                #expect(owner?["uid"]?.stringValue == uid(rs))
                #expect(pod.value(at: ["metadata", "labels", "pod-template-hash"])?.stringValue == hash)
                #expect(name(pod).hasPrefix(name(rs) + "-"))
                let scheduled = (pod.value(at: ["status", "conditions"])?.arrayValue ?? [])
                    .first { $0["type"]?.stringValue == "PodScheduled" }
                #expect(scheduled?["status"]?.stringValue == "True")
            }
            let ips = PodIPs()
            try await readyScheduledPods(cp, app: "web", ips: ips)
            try await cp.eventually("deployment available") {
                let d = try await cp.api.json(.GET, deploymentsPath + "/web")
                return int(d, "status", "availableReplicas") == 3 && int(d, "status", "readyReplicas") == 3
                    && int(d, "status", "updatedReplicas") == 3
                    && int(d, "status", "observedGeneration") == int(d, "metadata", "generation")
            }
            let rsNow = try await cp.api.json(.GET, replicaSetsPath + "/" + name(rs))
            #expect(int(rsNow, "status", "readyReplicas") == 3)
            #expect(int(rsNow, "status", "replicas") == 3)
        }
    }

    @Test("nodeSelector: pods only on matching nodes; no match stays Pending with PodScheduled=False naming why")
    func nodeSelector() async throws {
        try await withControlPlane { cp in
            try await cp.addReadyNode("cpu-1")
            try await cp.addReadyNode("cpu-2")
            try await cp.addReadyNode("gpu-1", labels: ["gpu": "true"])
            try await cp.api.json(.POST, deploymentsPath, deploymentBody("train", replicas: 2, nodeSelector: ["gpu": "true"]))
            var pods: [JSONValue] = []
            try await cp.eventually("2 scheduled pods") {
                pods = try await livePods(cp, app: "train")
                return pods.count == 2 && pods.allSatisfy { !nodeName($0).isEmpty }
            }
            #expect(pods.map(nodeName) == ["gpu-1", "gpu-1"])

            try await cp.api.json(.POST, deploymentsPath, deploymentBody("mars", replicas: 1, nodeSelector: ["zone": "mars"]))
            var pending: JSONValue = .null
            try await cp.eventually("PodScheduled=False") {
                guard let pod = try await livePods(cp, app: "mars").first else { return false }
                pending = pod
                return (pod.value(at: ["status", "conditions"])?.arrayValue ?? []).contains {
                    $0["type"]?.stringValue == "PodScheduled" && $0["status"]?.stringValue == "False"
                }
            }
            #expect(nodeName(pending).isEmpty)
            #expect(pending.value(at: ["status", "phase"])?.stringValue == "Pending")
            let cond = (pending.value(at: ["status", "conditions"])?.arrayValue ?? [])
                .first { $0["type"]?.stringValue == "PodScheduled" }
            #expect(cond?["reason"]?.stringValue == "Unschedulable")
            let message = cond?["message"]?.stringValue ?? ""
            #expect(message.contains("0/3 nodes are available"), "\(message)")
            #expect(message.contains("3 node(s) didn't match Pod's node affinity/selector"), "\(message)")

            // It stays pending (a second look a little later)...
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await livePods(cp, app: "mars").allSatisfy { nodeName($0).isEmpty })
            // ...until a matching node appears.
            try await cp.addReadyNode("mars-1", labels: ["zone": "mars"])
            try await cp.eventually("scheduled on mars-1") {
                try await livePods(cp, app: "mars").map(nodeName) == ["mars-1"]
            }
            let scheduled = try #require(try await livePods(cp, app: "mars").first)
            let sc = (scheduled.value(at: ["status", "conditions"])?.arrayValue ?? [])
                .first { $0["type"]?.stringValue == "PodScheduled" }
            #expect(sc?["status"]?.stringValue == "True")
        }
    }

    @Test("scale through /scale (merge patch) to 5 and 1; a deleted pod is replaced")
    func scaleAndReplace() async throws {
        try await withControlPlane { cp in
            for n in 1...3 { try await cp.addReadyNode("node-\(n)") }
            try await cp.api.json(.POST, deploymentsPath, deploymentBody("web", replicas: 3))
            try await cp.eventually("3 pods") { try await livePods(cp, app: "web").count == 3 }

            let scale = try await cp.api.json(.PATCH, deploymentsPath + "/web/scale", ["spec": ["replicas": 5]],
                                              contentType: "application/merge-patch+json")
            #expect(scale["kind"]?.stringValue == "Scale")
            #expect(scale["apiVersion"]?.stringValue == "autoscaling/v1")
            #expect(int(scale, "spec", "replicas") == 5)
            try await cp.eventually("5 pods") { try await livePods(cp, app: "web").count == 5 }
            let d = try await cp.api.json(.GET, deploymentsPath + "/web")
            #expect(int(d, "spec", "replicas") == 5)
            let rs = try #require(try await replicaSets(cp, app: "web").first)
            #expect(int(rs, "spec", "replicas") == 5)
            try await cp.eventually("scale status 5") {
                let s = try await cp.api.json(.GET, deploymentsPath + "/web/scale")
                return int(s, "status", "replicas") == 5
            }
            let s = try await cp.api.json(.GET, deploymentsPath + "/web/scale")
            #expect(s.value(at: ["status", "selector"])?.stringValue == "app=web")

            try await cp.api.json(.PATCH, deploymentsPath + "/web/scale", ["spec": ["replicas": 1]],
                                  contentType: "application/merge-patch+json")
            try await cp.eventually("1 pod") { try await livePods(cp, app: "web").count == 1 }
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await livePods(cp, app: "web").count == 1)

            // A deleted pod is replaced by a new one.
            let victim = try #require(try await livePods(cp, app: "web").first)
            try await cp.api.json(.DELETE, podsPath + "/" + name(victim))
            var replacement: [JSONValue] = []
            try await cp.eventually("replacement pod") {
                replacement = try await livePods(cp, app: "web")
                return replacement.count == 1 && name(replacement[0]) != name(victim)
            }
            #expect(uid(replacement[0]) != uid(victim))
            try await cp.eventually("replacement scheduled") {
                try await livePods(cp, app: "web").allSatisfy { !nodeName($0).isEmpty }
            }
        }
    }

    @Test("rolling update maxSurge=1 maxUnavailable=0: never below replicas ready; revisions; rollout undo")
    func rollingUpdateAndUndo() async throws {
        try await withControlPlane { cp in
            for n in 1...3 { try await cp.addReadyNode("node-\(n)") }
            let strategy: JSONValue = ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": 1, "maxUnavailable": 0]]
            try await cp.api.json(.POST, deploymentsPath, deploymentBody("web", replicas: 3, strategy: strategy))
            let ips = PodIPs()
            try await cp.eventually("3 ready pods") {
                try await readyScheduledPods(cp, app: "web", ips: ips)
                let pods = try await livePods(cp, app: "web")
                return pods.count == 3 && pods.allSatisfy(isReady)
            }
            try await cp.eventually("deployment complete at revision 1") {
                let d = try await cp.api.json(.GET, deploymentsPath + "/web")
                return int(d, "status", "availableReplicas") == 3 && revision(d) == "1"
            }
            let first = try #require(try await replicaSets(cp, app: "web").first)
            #expect(revision(first) == "1")

            // Change the image: a new ReplicaSet, revision 2.
            try await cp.api.json(.PATCH, deploymentsPath + "/web",
                                  ["spec": ["template": ["spec": ["containers": [["name": "app", "image": "junction/echo:v2"]]]]]],
                                  contentType: "application/strategic-merge-patch+json")
            try await rollOut(cp, to: "junction/echo:v2", ips: ips)

            let sets = try await replicaSets(cp, app: "web")
            #expect(sets.count == 2)
            let old = try #require(sets.first { name($0) == name(first) })
            let new = try #require(sets.first { name($0) != name(first) })
            #expect(revision(old) == "1")
            #expect(revision(new) == "2")
            #expect(int(old, "spec", "replicas") == 0)
            #expect(int(new, "spec", "replicas") == 3)
            let d2 = try await cp.api.json(.GET, deploymentsPath + "/web")
            #expect(revision(d2) == "2")
            #expect(int(d2, "metadata", "generation") == 2)

            // kubectl rollout undo: back to the first template, whose ReplicaSet becomes revision 3.
            try cp.kubectl("rollout", "undo", "deployment/web")
            try await rollOut(cp, to: "junction/echo:v1", ips: ips)
            let d3 = try await cp.api.json(.GET, deploymentsPath + "/web")
            #expect(revision(d3) == "3")
            #expect(d3.value(at: ["spec", "template", "spec", "containers"])?.arrayValue?.first?["image"]?.stringValue
                == "junction/echo:v1")
            #expect(d3.value(at: ["spec", "template", "metadata", "labels", "pod-template-hash"]) == nil)
            let after = try await replicaSets(cp, app: "web")
            #expect(after.count == 2)
            let back = try #require(after.first { name($0) == name(first) })
            #expect(revision(back) == "3")
            #expect(int(back, "spec", "replicas") == 3)
            #expect(after.first { name($0) != name(first) }.flatMap { int($0, "spec", "replicas") } == 0)
            let history = try cp.kubectl("rollout", "history", "deployment/web")
            #expect(history.out.contains("2 "), "\(history.out)")
            #expect(history.out.contains("3 "), "\(history.out)")
        }
    }

    /// Plays the node agent through a rollout to `image` (3 replicas, maxUnavailable 0), checking on every look that
    /// at least 3 pods are ready, until the Deployment reports it complete.
    private func rollOut(_ cp: TestControlPlane, to image: String, ips: PodIPs) async throws {
        var lowest = Int.max
        var lowestSnapshot = ""
        var done = false
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let pods = try await livePods(cp, app: "web")
            let ready = pods.filter(isReady).count
            if ready < lowest {
                lowest = ready
                lowestSnapshot = pods.map { "\(name($0)) \(ControlPlaneTestsImage.of($0)) ready=\(isReady($0))" }
                    .joined(separator: "; ")
            }
            let d = try await cp.api.json(.GET, deploymentsPath + "/web")
            let sets = try await replicaSets(cp, app: "web")
            let others = sets.filter { ControlPlaneTestsImage.ofTemplate($0) != image }
            if int(d, "status", "observedGeneration") == int(d, "metadata", "generation")
                && int(d, "status", "updatedReplicas") == 3 && int(d, "status", "replicas") == 3
                && int(d, "status", "availableReplicas") == 3
                && others.allSatisfy({ int($0, "spec", "replicas") == 0 && (int($0, "status", "replicas") ?? 0) == 0 })
                && pods.count == 3 && pods.allSatisfy({ ControlPlaneTestsImage.of($0) == image && isReady($0) })
            {
                done = true
                break
            }
            try await readyScheduledPods(cp, app: "web", ips: ips)
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(done, "rollout to \(image) did not complete")
        #expect(lowest >= 3, "only \(lowest) ready pods during the rollout: \(lowestSnapshot)")
    }

    @Test("Recreate: every old pod is gone before a new one is created")
    func recreate() async throws {
        try await withControlPlane { cp in
            for n in 1...3 { try await cp.addReadyNode("node-\(n)") }
            try await cp.api.json(.POST, deploymentsPath, deploymentBody("web", replicas: 3, strategy: ["type": "Recreate"]))
            let ips = PodIPs()
            try await cp.eventually("3 ready pods") {
                try await readyScheduledPods(cp, app: "web", ips: ips)
                let pods = try await livePods(cp, app: "web")
                return pods.count == 3 && pods.allSatisfy(isReady)
            }
            try await cp.api.json(.PATCH, deploymentsPath + "/web",
                                  ["spec": ["template": ["spec": ["containers": [["name": "app", "image": "junction/echo:v2"]]]]]],
                                  contentType: "application/strategic-merge-patch+json")
            var mixed: [String] = []
            var done = false
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                let pods = try await items(cp, podsPath + "?labelSelector=app%3Dweb")
                let images = Set(pods.map(ControlPlaneTestsImage.of))
                if images.count > 1 { mixed.append(pods.map { "\(name($0)) \(ControlPlaneTestsImage.of($0))" }.joined(separator: ", ")) }
                if pods.count == 3 && images == ["junction/echo:v2"] && pods.allSatisfy(isReady) {
                    let d = try await cp.api.json(.GET, deploymentsPath + "/web")
                    if int(d, "status", "updatedReplicas") == 3 && int(d, "status", "availableReplicas") == 3 {
                        done = true
                        break
                    }
                }
                try await readyScheduledPods(cp, app: "web", ips: ips)
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(done, "Recreate rollout did not complete")
            #expect(mixed.isEmpty, "old and new pods at once: \(mixed.first ?? "")")
            let sets = try await replicaSets(cp, app: "web")
            #expect(sets.count == 2)
            #expect(sets.filter { int($0, "spec", "replicas") == 0 }.count == 1)
            #expect(Set(sets.compactMap(revision)) == ["1", "2"])
        }
    }

    @Test("deleting a Deployment cascades to ReplicaSets and pods; --cascade=orphan keeps them")
    func cascadeAndOrphan() async throws {
        try await withControlPlane { cp in
            for n in 1...2 { try await cp.addReadyNode("node-\(n)") }
            try await cp.api.json(.POST, deploymentsPath, deploymentBody("gone", replicas: 2))
            try await cp.api.json(.POST, deploymentsPath, deploymentBody("kept", replicas: 2))
            try await cp.eventually("4 pods") {
                let gone = try await livePods(cp, app: "gone").count
                let kept = try await livePods(cp, app: "kept").count
                return gone == 2 && kept == 2
            }

            try cp.kubectl("delete", "deployment", "gone")
            try await cp.eventually("ReplicaSets and pods of gone deleted") {
                let sets = try await replicaSets(cp, app: "gone")
                let pods = try await items(cp, podsPath + "?labelSelector=app%3Dgone")
                return sets.isEmpty && pods.isEmpty
            }

            let keptRS = try #require(try await replicaSets(cp, app: "kept").first)
            let keptPods = try await livePods(cp, app: "kept")
            try cp.kubectl("delete", "deployment", "kept", "--cascade=orphan")
            let missing = try await cp.api.raw(.GET, deploymentsPath + "/kept")
            #expect(missing.code == 404)
            try await cp.eventually("owner reference released") {
                let rs = try await cp.api.json(.GET, replicaSetsPath + "/" + name(keptRS))
                return (rs.value(at: ["metadata", "ownerReferences"])?.arrayValue ?? []).isEmpty
            }
            try await Task.sleep(for: .milliseconds(500))
            let rs = try await cp.api.json(.GET, replicaSetsPath + "/" + name(keptRS))
            #expect(uid(rs) == uid(keptRS))
            #expect(int(rs, "spec", "replicas") == 2)
            let podsNow = try await livePods(cp, app: "kept")
            #expect(Set(podsNow.map(uid)) == Set(keptPods.map(uid)))
            // The orphaned ReplicaSet still keeps its pods.
            try await cp.api.json(.DELETE, podsPath + "/" + name(podsNow[0]))
            try await cp.eventually("orphaned ReplicaSet replaces its pod") {
                let p = try await livePods(cp, app: "kept")
                return p.count == 2 && !p.map(name).contains(name(podsNow[0]))
            }
        }
    }
}

/// Image helpers shared by the rollout checks.
private enum ControlPlaneTestsImage {
    static func of(_ pod: JSONValue) -> String { image(pod) }
    static func ofTemplate(_ rs: JSONValue) -> String {
        rs.value(at: ["spec", "template", "spec", "containers"])?.arrayValue?.first?["image"]?.stringValue ?? ""
    }
}
