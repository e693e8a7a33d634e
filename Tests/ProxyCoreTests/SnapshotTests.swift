import KubeModel
import ProxyCore
import Testing

/// Traffic policy decisions, table-driven: which endpoints each kind of traffic may use, and what happens
/// without any.
@Suite("Snapshot policy")
struct SnapshotTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var spec: [String: JSONValue] = [:]
        var type: String = "ClusterIP"
        var endpoints: [JSONValue]
        var internalIPs: [String]
        var externalIPs: [String]? = nil
        var internalAction: NoEndpointsAction? = nil
        var externalAction: NoEndpointsAction? = nil
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "Cluster policy: ready endpoints anywhere",
             endpoints: [endpoint("10.0.1.1", node: "a"), endpoint("10.0.2.1", node: "b"), endpoint("10.0.2.2", node: "b", ready: false)],
             internalIPs: ["10.0.1.1", "10.0.2.1"]),
        Case(name: "No ready endpoint: serving terminating ones",
             endpoints: [endpoint("10.0.1.1", node: "a", ready: false, serving: true, terminating: true),
                         endpoint("10.0.2.1", node: "b", ready: false, serving: false, terminating: true)],
             internalIPs: ["10.0.1.1"]),
        Case(name: "Ready endpoints win over terminating ones",
             endpoints: [endpoint("10.0.1.1", node: "a", ready: false, serving: true, terminating: true), endpoint("10.0.2.1", node: "b")],
             internalIPs: ["10.0.2.1"]),
        Case(name: "No endpoint at all: reject", endpoints: [], internalIPs: [], internalAction: .reject),
        Case(name: "Only unready endpoints: reject",
             endpoints: [endpoint("10.0.1.1", node: "a", ready: false, serving: false)], internalIPs: [], internalAction: .reject),
        Case(name: "internalTrafficPolicy Local: this node's endpoints",
             spec: ["internalTrafficPolicy": "Local"],
             endpoints: [endpoint("10.0.1.1", node: "a"), endpoint("10.0.2.1", node: "b")], internalIPs: ["10.0.1.1"]),
        Case(name: "internalTrafficPolicy Local, none here: drop",
             spec: ["internalTrafficPolicy": "Local"], endpoints: [endpoint("10.0.2.1", node: "b")], internalIPs: [], internalAction: .drop),
        Case(name: "internalTrafficPolicy Local: local terminating fallback is independent of remote ready ones",
             spec: ["internalTrafficPolicy": "Local"],
             endpoints: [endpoint("10.0.1.1", node: "a", ready: false, serving: true, terminating: true), endpoint("10.0.2.1", node: "b")],
             internalIPs: ["10.0.1.1"]),
        Case(name: "externalTrafficPolicy Local: external uses this node's, internal all",
             spec: ["externalTrafficPolicy": "Local"], type: "NodePort",
             endpoints: [endpoint("10.0.1.1", node: "a"), endpoint("10.0.2.1", node: "b")],
             internalIPs: ["10.0.1.1", "10.0.2.1"], externalIPs: ["10.0.1.1"]),
        Case(name: "externalTrafficPolicy Local, none here: external dropped, internal served",
             spec: ["externalTrafficPolicy": "Local"], type: "NodePort", endpoints: [endpoint("10.0.2.1", node: "b")],
             internalIPs: ["10.0.2.1"], externalIPs: [], externalAction: .drop),
        Case(name: "externalTrafficPolicy Local, no endpoint anywhere: both rejected",
             spec: ["externalTrafficPolicy": "Local"], type: "NodePort", endpoints: [],
             internalIPs: [], externalIPs: [], internalAction: .reject, externalAction: .reject),
        Case(name: "externalTrafficPolicy Cluster: external uses all",
             type: "NodePort", endpoints: [endpoint("10.0.1.1", node: "a"), endpoint("10.0.2.1", node: "b")],
             internalIPs: ["10.0.1.1", "10.0.2.1"], externalIPs: ["10.0.1.1", "10.0.2.1"]),
        Case(name: "An endpoint without a node name is never local",
             spec: ["internalTrafficPolicy": "Local"], endpoints: [endpoint("10.0.9.9")], internalIPs: [], internalAction: .drop),
        Case(name: "Zone hints: PreferSameZone when every ready endpoint has hints and one is for this zone",
             endpoints: [endpoint("10.0.1.1", node: "a", zoneHints: ["z1"]), endpoint("10.0.2.1", node: "b", zoneHints: ["z2"])],
             internalIPs: ["10.0.1.1"]),
        Case(name: "Zone hints ignored when one ready endpoint lacks them",
             endpoints: [endpoint("10.0.1.1", node: "a", zoneHints: ["z1"]), endpoint("10.0.2.1", node: "b")],
             internalIPs: ["10.0.1.1", "10.0.2.1"]),
        Case(name: "Node hints: PreferSameNode",
             endpoints: [endpoint("10.0.1.1", node: "a", nodeHints: ["a"]), endpoint("10.0.2.1", node: "b", nodeHints: ["b"])],
             internalIPs: ["10.0.1.1"]),
    ]

    @Test(arguments: cases)
    func policy(_ c: Case) throws {
        var ports: [JSONValue] = [["name": "http", "port": 80]]
        if c.type == "NodePort" { ports = [["name": "http", "port": 80, "nodePort": 30080]] }
        let snapshot = ProxySnapshot(
            nodeName: "a", family: .ipv4, nodeZone: "z1",
            services: [service("web", type: c.type, ports: ports, extra: c.spec)],
            endpointSlices: [slice("web-1", service: "web", endpoints: c.endpoints)])
        let port = try #require(snapshot.servicePorts[http])
        #expect(port.internalEndpoints.map(\.ip.description) == c.internalIPs)
        #expect(port.internalNoEndpoints == c.internalAction)
        if let external = c.externalIPs {
            #expect(port.externalEndpoints.map(\.ip.description) == external)
            #expect(port.externalNoEndpoints == c.externalAction)
            #expect(port.usesExternalChain == port.hasEndpoints)
        }
    }

    @Test("Refresh reports exactly the ports that changed, including removed ones")
    func refresh() throws {
        var state = ProxyState(nodeName: "a")
        state.services.update(previous: nil, current: service("web", ports: [["name": "http", "port": 80], ["name": "alt", "port": 81]]))
        state.services.update(previous: nil, current: service("other", clusterIPs: ["10.96.0.11"]))
        state.endpointSlices.update(previous: nil, current: slice("web-1", service: "web", endpoints: [endpoint("10.0.1.1", node: "a")]))
        let first = state.applyPendingChanges()
        #expect(first.changedPorts[.ipv4]?.count == 3)
        state.services.update(previous: nil, current: service("web", ports: [["name": "http", "port": 80]]))
        let second = state.applyPendingChanges()
        #expect(second.changedPorts[.ipv4] == [ServicePortName(namespace: "default", name: "web", port: "alt", protocol: .tcp)])
        state.endpointSlices.update(previous: nil, current: slice("web-1", service: "web", endpoints: [endpoint("10.0.1.2", node: "a")]))
        let third = state.applyPendingChanges()
        #expect(third.changedPorts[.ipv4] == [http])
        let snapshot = try #require(state.snapshots[.ipv4])
        #expect(snapshot.servicePorts[http]?.clusterEndpoints.map(\.description) == ["10.0.1.2:8080"])
        // The incrementally refreshed snapshot equals one built from scratch.
        let fresh = ProxySnapshot(nodeName: "a", family: .ipv4, services: state.services.services, endpoints: state.endpointSlices.endpoints)
        #expect(snapshot == fresh)
    }

    @Test("Dual-stack: each family sees its own ClusterIP and endpoints; single-stack Services only one")
    func families() throws {
        let services = [service("web", clusterIPs: ["10.96.0.10", "fd00::10"]), service("v4", clusterIPs: ["10.96.0.11"])]
        let slices = [
            slice("web-4", service: "web", endpoints: [endpoint("10.0.1.1", node: "a")]),
            slice("web-6", service: "web", addressType: "IPv6", endpoints: [endpoint("fd00:1::1", node: "a")]),
        ]
        let v4 = ProxySnapshot(nodeName: "a", family: .ipv4, services: services, endpointSlices: slices)
        let v6 = ProxySnapshot(nodeName: "a", family: .ipv6, services: services, endpointSlices: slices)
        #expect(v4.servicePorts.count == 2)
        #expect(v6.servicePorts.count == 1)
        #expect(v6.servicePorts[http]?.clusterIP == ip("fd00::10"))
        #expect(v6.servicePorts[http]?.clusterEndpoints.map(\.description) == ["[fd00:1::1]:8080"])
        #expect(v4.servicePorts[http]?.clusterEndpoints.map(\.description) == ["10.0.1.1:8080"])
    }

    @Test("Health checks: local ready endpoints per healthCheckNodePort, counted once across ports")
    func healthChecks() {
        let lb = service(
            "web", type: "LoadBalancer",
            ports: [["name": "http", "port": 80, "nodePort": 30080], ["name": "https", "port": 443, "nodePort": 30443]],
            extra: ["externalTrafficPolicy": "Local", "healthCheckNodePort": 32000])
        let endpoints = slice("web-1", service: "web", ports: [
            ["name": "http", "port": 8080, "protocol": "TCP"], ["name": "https", "port": 8443, "protocol": "TCP"],
        ], endpoints: [
            endpoint("10.0.1.1", node: "a"), endpoint("10.0.1.2", node: "a"),
            endpoint("10.0.1.3", node: "a", ready: false, serving: true, terminating: true), endpoint("10.0.2.1", node: "b"),
        ])
        let here = ProxySnapshot(nodeName: "a", family: .ipv4, services: [lb], endpointSlices: [endpoints])
        #expect(here.healthChecks == [32000: ServiceHealth(service: NamespacedName(namespace: "default", name: "web"), localEndpoints: 2)])
        let elsewhere = ProxySnapshot(nodeName: "c", family: .ipv4, services: [lb], endpointSlices: [endpoints])
        #expect(elsewhere.healthChecks[32000]?.localEndpoints == 0)
    }

    @Test("localPolicyPorts follows refreshes: Local policies and health-check ports in, Cluster and deleted ports out")
    func localPolicyPorts() {
        var state = ProxyState(nodeName: "a")
        let web = NamespacedName(namespace: "default", name: "web")
        let http = ServicePortName(service: web, port: "http", protocol: .tcp)
        let https = ServicePortName(service: web, port: "https", protocol: .tcp)
        let lb = service(
            "web", type: "LoadBalancer",
            ports: [["name": "http", "port": 80, "nodePort": 30080], ["name": "https", "port": 443, "nodePort": 30443]],
            extra: ["externalTrafficPolicy": "Local", "healthCheckNodePort": 32000])
        let plain = service("plain", clusterIPs: ["10.96.0.11"])
        state.services.update(previous: nil, current: lb)
        state.services.update(previous: nil, current: plain)
        _ = state.applyPendingChanges()
        #expect(state.snapshots[.ipv4]?.localPolicyPorts == [http, https])

        let cluster = service(
            "web", type: "LoadBalancer",
            ports: [["name": "http", "port": 80, "nodePort": 30080], ["name": "https", "port": 443, "nodePort": 30443]])
        state.services.update(previous: lb, current: cluster)
        let internalLocal = service("plain", clusterIPs: ["10.96.0.11"], extra: ["internalTrafficPolicy": "Local"])
        state.services.update(previous: plain, current: internalLocal)
        _ = state.applyPendingChanges()
        let plainHTTP = ServicePortName(service: NamespacedName(namespace: "default", name: "plain"), port: "http", protocol: .tcp)
        #expect(state.snapshots[.ipv4]?.localPolicyPorts == [plainHTTP])
        #expect(state.snapshots[.ipv4]?.healthChecks.isEmpty == true)

        state.services.update(previous: internalLocal, current: nil)
        _ = state.applyPendingChanges()
        #expect(state.snapshots[.ipv4]?.localPolicyPorts.isEmpty == true)
    }
}
