import KubeModel
import NFTRules
import ProxyCore

/// Addresses as test literals (a typo fails loudly as 0.0.0.0, which no expectation uses).
func ip(_ text: String) -> IPAddress { IPAddress.parse(text) ?? IPAddress(v4: 0) }
func cidr(_ text: String) -> CIDR {
    guard let parsed = CIDR.parse(text) else { preconditionFailure("fixture CIDR \(text)") }
    return parsed
}

/// A Service port in test fixtures.
struct PortSpec {
    var name: String = ""
    var port: Int
    var proto: String = "TCP"
    var targetPort: JSONValue? = nil
    var nodePort: Int? = nil
}

/// Builds a Service as the API server would return it.
func service(
    _ name: String, namespace: String = "default", type: String = "ClusterIP", clusterIPs: [String],
    ports: [PortSpec], externalIPs: [String] = [], lbIngress: [(ip: String, mode: String?)] = [],
    sourceRanges: [String] = [], affinityTimeout: Int? = nil, externalPolicy: String? = nil,
    internalPolicy: String? = nil, healthCheckNodePort: Int? = nil, labels: [String: String] = [:]
) -> JSONValue {
    var spec: [String: JSONValue] = [
        "type": .string(type),
        "clusterIP": .string(clusterIPs.first ?? ""),
        "clusterIPs": .array(clusterIPs.map(JSONValue.string)),
        "ports": .array(ports.map { p in
            var o: [String: JSONValue] = ["port": .int(Int64(p.port)), "protocol": .string(p.proto)]
            if !p.name.isEmpty { o["name"] = .string(p.name) }
            if let t = p.targetPort { o["targetPort"] = t }
            if let n = p.nodePort { o["nodePort"] = .int(Int64(n)) }
            return .object(o)
        }),
    ]
    if !externalIPs.isEmpty { spec["externalIPs"] = .array(externalIPs.map(JSONValue.string)) }
    if !sourceRanges.isEmpty { spec["loadBalancerSourceRanges"] = .array(sourceRanges.map(JSONValue.string)) }
    if let affinityTimeout {
        spec["sessionAffinity"] = "ClientIP"
        spec["sessionAffinityConfig"] = ["clientIP": ["timeoutSeconds": .int(Int64(affinityTimeout))]]
    }
    if let externalPolicy { spec["externalTrafficPolicy"] = .string(externalPolicy) }
    if let internalPolicy { spec["internalTrafficPolicy"] = .string(internalPolicy) }
    if let healthCheckNodePort { spec["healthCheckNodePort"] = .int(Int64(healthCheckNodePort)) }
    var object: [String: JSONValue] = [
        "apiVersion": "v1", "kind": "Service",
        "metadata": ["name": .string(name), "namespace": .string(namespace),
                     "labels": .object(labels.mapValues(JSONValue.string))],
        "spec": .object(spec),
    ]
    if !lbIngress.isEmpty {
        object["status"] = ["loadBalancer": ["ingress": .array(lbIngress.map { entry in
            var o: [String: JSONValue] = ["ip": .string(entry.ip)]
            if let mode = entry.mode { o["ipMode"] = .string(mode) }
            return .object(o)
        })]]
    }
    return .object(object)
}

/// An endpoint in a fixture slice.
struct EndpointSpec {
    var ip: String
    var node: String?
    var ready: Bool? = true
    var serving: Bool? = nil
    var terminating: Bool? = nil
}

/// Builds an EndpointSlice for `service`.
func slice(
    _ name: String, service: String, namespace: String = "default", addressType: String = "IPv4",
    ports: [(name: String, port: Int, proto: String)], endpoints: [EndpointSpec]
) -> JSONValue {
    [
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": ["name": .string(name), "namespace": .string(namespace),
                     "labels": ["kubernetes.io/service-name": .string(service)]],
        "addressType": .string(addressType),
        "ports": .array(ports.map { ["name": .string($0.name), "port": .int(Int64($0.port)), "protocol": .string($0.proto)] }),
        "endpoints": .array(endpoints.map { e in
            var conditions: [String: JSONValue] = [:]
            if let r = e.ready { conditions["ready"] = .bool(r) }
            if let s = e.serving { conditions["serving"] = .bool(s) }
            if let t = e.terminating { conditions["terminating"] = .bool(t) }
            var o: [String: JSONValue] = ["addresses": [.string(e.ip)], "conditions": .object(conditions)]
            if let n = e.node { o["nodeName"] = .string(n) }
            return .object(o)
        }),
    ]
}

/// The test cluster: this node is `node-a` (172.18.0.2, pods 10.244.1.0/24); `node-b` is 172.18.0.3 (pods
/// 10.244.2.0/24); the external client is 172.18.0.100; load balancers come from 172.18.255.0/24.
enum Cluster {
    static let node = "node-a"
    static let nodeIP = ip("172.18.0.2")
    static let clusterCIDR = cidr("10.244.0.0/16")
    static let client = ip("172.18.0.100")
    static let localPod = ip("10.244.1.9")

    static func config(
        nodePorts: NodePortAddresses = .all, localhost: Bool = false, masqueradeAll: Bool = false,
        serviceCIDRs: [CIDR] = [], family: IPFamily = .ipv4, clusterCIDRs: [CIDR] = [cidr("10.244.0.0/16")]
    ) -> NFTProxyConfig {
        NFTProxyConfig(
            family: family, nodeName: node, nodeIPs: [nodeIP], nodePortAddresses: nodePorts,
            localhostNodePorts: localhost, clusterCIDRs: clusterCIDRs, masqueradeAll: masqueradeAll,
            serviceCIDRs: serviceCIDRs)
    }

    /// Services and slices exercising every semantic.
    static let services: [JSONValue] = [
        service("web", clusterIPs: ["10.96.0.10"], ports: [
            PortSpec(name: "http", port: 80, targetPort: "http"), PortSpec(name: "dns", port: 53, proto: "UDP", targetPort: 5353),
        ]),
        service("np", type: "NodePort", clusterIPs: ["10.96.0.11"], ports: [PortSpec(name: "http", port: 80, nodePort: 30080)]),
        service("local", type: "LoadBalancer", clusterIPs: ["10.96.0.12"], ports: [PortSpec(name: "http", port: 80, nodePort: 30090)],
                lbIngress: [("172.18.255.10", "VIP")], externalPolicy: "Local", healthCheckNodePort: 32000),
        service("remote", type: "LoadBalancer", clusterIPs: ["10.96.0.13"], ports: [PortSpec(name: "http", port: 80, nodePort: 30091)],
                lbIngress: [("172.18.255.11", nil)], externalPolicy: "Local", healthCheckNodePort: 32001),
        service("empty", type: "NodePort", clusterIPs: ["10.96.0.20"], ports: [
            PortSpec(name: "http", port: 80, nodePort: 30100), PortSpec(name: "dns", port: 53, proto: "UDP", nodePort: 30101),
        ]),
        service("itp", clusterIPs: ["10.96.0.14"], ports: [PortSpec(name: "http", port: 80)], internalPolicy: "Local"),
        service("itp-here", clusterIPs: ["10.96.0.15"], ports: [PortSpec(name: "http", port: 80)], internalPolicy: "Local"),
        service("term", clusterIPs: ["10.96.0.16"], ports: [PortSpec(name: "http", port: 80)]),
        service("aff", clusterIPs: ["10.96.0.17"], ports: [PortSpec(name: "http", port: 80)], affinityTimeout: 60),
        service("fw", type: "LoadBalancer", clusterIPs: ["10.96.0.18"], ports: [PortSpec(name: "http", port: 80, nodePort: 30110)],
                lbIngress: [("172.18.255.12", "VIP")], sourceRanges: ["203.0.113.0/24"]),
        service("ext", clusterIPs: ["10.96.0.19"], ports: [PortSpec(name: "http", port: 80)], externalIPs: ["192.0.2.10"]),
        service("proxied-lb", type: "LoadBalancer", clusterIPs: ["10.96.0.21"], ports: [PortSpec(name: "http", port: 80, nodePort: 30120)],
                lbIngress: [("172.18.255.13", "Proxy")]),
        service("headless", clusterIPs: ["None"], ports: [PortSpec(name: "http", port: 80)]),
        service("other", clusterIPs: ["10.96.0.30"], ports: [PortSpec(name: "http", port: 80)],
                labels: ["service.kubernetes.io/service-proxy-name": "someone-else"]),
        service("sctp", clusterIPs: ["10.96.0.22"], ports: [PortSpec(name: "assoc", port: 9000, proto: "SCTP")]),
        service("three", clusterIPs: ["10.96.0.23"], ports: [PortSpec(name: "http", port: 80)]),
        service("aff3", clusterIPs: ["10.96.0.24"], ports: [PortSpec(name: "http", port: 80)], affinityTimeout: 10800),
    ]

    static let slices: [JSONValue] = [
        slice("web-1", service: "web", ports: [("http", 8080, "TCP"), ("dns", 5353, "UDP")], endpoints: [
            EndpointSpec(ip: "10.244.1.5", node: "node-a"), EndpointSpec(ip: "10.244.2.5", node: "node-b"),
            EndpointSpec(ip: "10.244.2.6", node: "node-b", ready: false, serving: false),
        ]),
        slice("np-1", service: "np", ports: [("http", 8080, "TCP")], endpoints: [
            EndpointSpec(ip: "10.244.1.6", node: "node-a"), EndpointSpec(ip: "10.244.2.6", node: "node-b"),
        ]),
        slice("local-1", service: "local", ports: [("http", 8080, "TCP")], endpoints: [
            EndpointSpec(ip: "10.244.1.7", node: "node-a"), EndpointSpec(ip: "10.244.2.7", node: "node-b"),
        ]),
        slice("remote-1", service: "remote", ports: [("http", 8080, "TCP")], endpoints: [
            EndpointSpec(ip: "10.244.2.8", node: "node-b"),
        ]),
        slice("empty-1", service: "empty", ports: [], endpoints: []),
        slice("itp-1", service: "itp", ports: [("http", 8080, "TCP")], endpoints: [EndpointSpec(ip: "10.244.2.9", node: "node-b")]),
        slice("itp-here-1", service: "itp-here", ports: [("http", 8080, "TCP")], endpoints: [
            EndpointSpec(ip: "10.244.1.10", node: "node-a"), EndpointSpec(ip: "10.244.2.10", node: "node-b"),
        ]),
        slice("term-1", service: "term", ports: [("http", 8080, "TCP")], endpoints: [
            EndpointSpec(ip: "10.244.1.11", node: "node-a", ready: false, serving: true, terminating: true),
            EndpointSpec(ip: "10.244.2.11", node: "node-b", ready: false, serving: false, terminating: true),
        ]),
        slice("aff-1", service: "aff", ports: [("http", 8080, "TCP")], endpoints: [
            EndpointSpec(ip: "10.244.1.12", node: "node-a"), EndpointSpec(ip: "10.244.2.12", node: "node-b"),
        ]),
        slice("fw-1", service: "fw", ports: [("http", 8080, "TCP")], endpoints: [EndpointSpec(ip: "10.244.2.13", node: "node-b")]),
        slice("ext-1", service: "ext", ports: [("http", 8080, "TCP")], endpoints: [EndpointSpec(ip: "10.244.2.14", node: "node-b")]),
        slice("proxied-lb-1", service: "proxied-lb", ports: [("http", 8080, "TCP")], endpoints: [EndpointSpec(ip: "10.244.2.15", node: "node-b")]),
        slice("other-1", service: "other", ports: [("http", 8080, "TCP")], endpoints: [EndpointSpec(ip: "10.244.2.16", node: "node-b")]),
        slice("sctp-1", service: "sctp", ports: [("assoc", 9000, "SCTP")], endpoints: [EndpointSpec(ip: "10.244.2.17", node: "node-b")]),
        slice("three-1", service: "three", ports: [("http", 8080, "TCP")], endpoints: [
            EndpointSpec(ip: "10.244.1.18", node: "node-a"), EndpointSpec(ip: "10.244.2.18", node: "node-b"),
            EndpointSpec(ip: "10.244.3.18", node: "node-c"),
        ]),
        slice("aff3-1", service: "aff3", ports: [("http", 8080, "TCP")], endpoints: [
            EndpointSpec(ip: "10.244.1.19", node: "node-a"), EndpointSpec(ip: "10.244.2.19", node: "node-b"),
            EndpointSpec(ip: "10.244.3.19", node: "node-c"),
        ]),
    ]

    static func snapshot(family: IPFamily = .ipv4, services: [JSONValue] = services, slices: [JSONValue] = slices) -> ProxySnapshot {
        ProxySnapshot(nodeName: node, family: family, services: services, endpointSlices: slices)
    }

    static func tracer(_ config: NFTProxyConfig = config(), snapshot: ProxySnapshot = snapshot(), localAddresses: [IPAddress] = [nodeIP]) -> PacketTracer {
        PacketTracer(table: NFTRuleBuilder(config: config).build(snapshot).table, localAddresses: localAddresses)
    }
}

func dest(_ text: String, _ port: Int) -> PacketTracer.Destination { PacketTracer.Destination(ip(text), port) }

/// An informer event in a scenario.
enum Event {
    case service(JSONValue?, JSONValue?)
    case slice(JSONValue?, JSONValue?)
}

/// A sequence of cluster changes, each applied as one sync; used for the model equivalence test and replayed
/// against the kernel.
enum Scenario {
    static func web(_ endpoints: [EndpointSpec]) -> JSONValue {
        NFTRulesTests.slice("web-1", service: "web", ports: [("http", 8080, "TCP"), ("dns", 5353, "UDP")], endpoints: endpoints)
    }

    static func service(named name: String) -> JSONValue? {
        Cluster.services.first { $0.value(at: ["metadata", "name"])?.stringValue == name }
    }

    static func slice(named name: String) -> JSONValue? {
        Cluster.slices.first { $0.value(at: ["metadata", "name"])?.stringValue == name }
    }

    static let steps: [(name: String, events: [Event])] = [
        ("replace an endpoint, same count", [.slice(nil, web([
            EndpointSpec(ip: "10.244.1.5", node: "node-a"), EndpointSpec(ip: "10.244.2.50", node: "node-b"),
        ]))]),
        ("scale up", [.slice(nil, web([
            EndpointSpec(ip: "10.244.1.5", node: "node-a"), EndpointSpec(ip: "10.244.2.50", node: "node-b"),
            EndpointSpec(ip: "10.244.1.20", node: "node-a"),
        ]))]),
        ("an endpoint turns unready", [.slice(nil, web([
            EndpointSpec(ip: "10.244.1.5", node: "node-a", ready: false, serving: true, terminating: true),
            EndpointSpec(ip: "10.244.2.50", node: "node-b"), EndpointSpec(ip: "10.244.1.20", node: "node-a"),
        ]))]),
        ("scale to zero", [.slice(nil, web([]))]),
        ("back from zero", [.slice(nil, web([EndpointSpec(ip: "10.244.1.21", node: "node-a")]))]),
        ("delete a Service and its slice", [
            .service(service(named: "np"), nil), .slice(slice(named: "np-1"), nil),
        ]),
        ("change the affinity timeout", [.service(nil, NFTRulesTests.service(
            "aff", clusterIPs: ["10.96.0.17"], ports: [PortSpec(name: "http", port: 80)], affinityTimeout: 120))]),
        ("remove an endpoint of an affine Service", [.slice(nil, NFTRulesTests.slice(
            "aff-1", service: "aff", ports: [("http", 8080, "TCP")], endpoints: [EndpointSpec(ip: "10.244.1.12", node: "node-a")]))]),
        ("externalTrafficPolicy Local to Cluster", [.service(nil, NFTRulesTests.service(
            "local", type: "LoadBalancer", clusterIPs: ["10.96.0.12"], ports: [PortSpec(name: "http", port: 80, nodePort: 30090)],
            lbIngress: [("172.18.255.10", "VIP")]))]),
        ("a second Service claims the same external IP and port", [
            .service(nil, NFTRulesTests.service(
                "aaa-ext", clusterIPs: ["10.96.0.50"], ports: [PortSpec(name: "http", port: 80)], externalIPs: ["192.0.2.10"])),
            .slice(nil, NFTRulesTests.slice(
                "aaa-ext-1", service: "aaa-ext", ports: [("http", 8080, "TCP")], endpoints: [EndpointSpec(ip: "10.244.1.50", node: "node-a")])),
        ]),
        ("the winning claimant goes away", [.service(NFTRulesTests.service(
            "aaa-ext", clusterIPs: ["10.96.0.50"], ports: [PortSpec(name: "http", port: 80)], externalIPs: ["192.0.2.10"]), nil)]),
        ("drop one port of a two-port Service", [.service(nil, NFTRulesTests.service(
            "web", clusterIPs: ["10.96.0.10"], ports: [PortSpec(name: "http", port: 80, targetPort: "http")]))]),
        ("a port changes protocol", [.service(nil, NFTRulesTests.service(
            "itp-here", clusterIPs: ["10.96.0.15"], ports: [PortSpec(name: "http", port: 80, proto: "UDP")], internalPolicy: "Local"))]),
        ("the same object again is a no-op", [.service(nil, service(named: "three"))]),
        ("handed to another proxy", [.service(nil, NFTRulesTests.service(
            "three", clusterIPs: ["10.96.0.23"], ports: [PortSpec(name: "http", port: 80)],
            labels: ["service.kubernetes.io/service-proxy-name": "other"]))]),
        ("source ranges change", [.service(nil, NFTRulesTests.service(
            "fw", type: "LoadBalancer", clusterIPs: ["10.96.0.18"], ports: [PortSpec(name: "http", port: 80, nodePort: 30110)],
            lbIngress: [("172.18.255.12", "VIP")], sourceRanges: ["203.0.113.0/24", "172.18.0.0/16"]))]),
        // Plain ports of one Service with one protocol and endpoint count share the list under their ClusterIP.
        ("a two-port Service: both ports plain, one shared endpoint list", [
            .service(nil, multi),
            .slice(nil, NFTRulesTests.slice(
                "multi-1", service: "multi", ports: [("http", 8080, "TCP"), ("alt", 9090, "TCP")],
                endpoints: [EndpointSpec(ip: "10.244.1.60", node: "node-a"), EndpointSpec(ip: "10.244.2.60", node: "node-b")])),
        ]),
        ("its ports get different endpoints at the same count: both leave the plain layout", [
            .slice(nil, NFTRulesTests.slice(
                "multi-1", service: "multi", ports: [("http", 8080, "TCP")],
                endpoints: [EndpointSpec(ip: "10.244.1.60", node: "node-a"), EndpointSpec(ip: "10.244.2.60", node: "node-b")])),
            .slice(nil, NFTRulesTests.slice(
                "multi-2", service: "multi", ports: [("alt", 9090, "TCP")],
                endpoints: [EndpointSpec(ip: "10.244.1.60", node: "node-a"), EndpointSpec(ip: "10.244.2.61", node: "node-b")])),
        ]),
        ("the same endpoints again: both plain and shared once more", [
            .slice(nil, NFTRulesTests.slice(
                "multi-2", service: "multi", ports: [("alt", 9090, "TCP")],
                endpoints: [EndpointSpec(ip: "10.244.1.60", node: "node-a"), EndpointSpec(ip: "10.244.2.60", node: "node-b")])),
        ]),
        ("one port of the sharing pair goes: the other keeps the list", [.service(nil, NFTRulesTests.service(
            "multi", clusterIPs: ["10.96.0.40"], ports: [PortSpec(name: "http", port: 80, targetPort: "http")]))]),
        ("endpoints of one port on different target ports: not plain", [
            .slice(nil, NFTRulesTests.slice(
                "multi-2", service: "multi", ports: [("http", 8081, "TCP")],
                endpoints: [EndpointSpec(ip: "10.244.2.62", node: "node-b")])),
        ]),
    ]

    static let multi = NFTRulesTests.service(
        "multi", clusterIPs: ["10.96.0.40"],
        ports: [PortSpec(name: "http", port: 80, targetPort: "http"), PortSpec(name: "alt", port: 81, targetPort: "alt")])

    static func apply(_ events: [Event], to state: inout ProxyState) {
        for event in events {
            switch event {
            case .service(let old, let new): state.services.update(previous: old, current: new)
            case .slice(let old, let new): state.endpointSlices.update(previous: old, current: new)
            }
        }
    }

    static func initialState() -> ProxyState {
        var state = ProxyState(nodeName: Cluster.node)
        apply(Cluster.services.map { .service(nil, $0) } + Cluster.slices.map { .slice(nil, $0) }, to: &state)
        _ = state.applyPendingChanges()
        return state
    }
}
