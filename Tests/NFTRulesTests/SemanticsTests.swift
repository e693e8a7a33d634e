import KubeModel
import NFTRules
import ProxyCore
import Testing

/// Every semantic of kube's Service proxying, as (source, protocol, destination, port) → outcome, traced through
/// the built table. The tracer interprets the rule objects; nothing here restates policy.
@Suite("Service semantics through the packet tracer")
struct SemanticsTests {
    typealias Packet = PacketTracer.Packet

    /// What a row expects. `destinations` nil means the packet must not be DNATed at all.
    struct Row: CustomTestStringConvertible, Sendable {
        var name: String
        var packet: Packet
        var verdict: PacketTracer.Verdict = .accept
        var destinations: Set<PacketTracer.Destination>? = nil
        var masquerade: Bool? = nil
        var testDescription: String { name }
    }

    static func from(_ source: String, to destination: String, _ port: Int, _ proto: ServiceProtocol = .tcp, local: Bool = false) -> Packet {
        Packet(from: ip(source), to: ip(destination), port: port, protocol: proto, origin: local ? .localProcess : .network)
    }

    static let web: Set = [dest("10.244.1.5", 8080), dest("10.244.2.5", 8080)]

    static let rows: [Row] = [
        Row(name: "ClusterIP from a pod spreads over ready endpoints, no masquerade",
            packet: from("10.244.1.9", to: "10.96.0.10", 80), destinations: web, masquerade: false),
        Row(name: "ClusterIP from a pod on another node's CIDR, still cluster traffic",
            packet: from("10.244.2.9", to: "10.96.0.10", 80), destinations: web, masquerade: false),
        Row(name: "ClusterIP from the host is masqueraded (source outside the cluster CIDR)",
            packet: from("172.18.0.2", to: "10.96.0.10", 80, local: true), destinations: web, masquerade: true),
        Row(name: "ClusterIP from outside the cluster (routed to the node) is masqueraded",
            packet: from("172.18.0.100", to: "10.96.0.10", 80), destinations: web, masquerade: true),
        Row(name: "UDP port of a multi-port Service uses its own (named) target port",
            packet: from("10.244.1.9", to: "10.96.0.10", 53, .udp),
            destinations: [dest("10.244.1.5", 5353), dest("10.244.2.5", 5353)], masquerade: false),
        Row(name: "Undefined port on a ClusterIP is refused with a TCP reset",
            packet: from("10.244.1.9", to: "10.96.0.10", 81), verdict: .reject(.tcpReset)),
        Row(name: "Undefined UDP port on a ClusterIP is refused with ICMP",
            packet: from("10.244.1.9", to: "10.96.0.10", 54, .udp), verdict: .reject(.icmpPortUnreachable)),
        Row(name: "ClusterIP without endpoints: TCP reset at once",
            packet: from("10.244.1.9", to: "10.96.0.20", 80), verdict: .reject(.tcpReset)),
        Row(name: "ClusterIP without endpoints: UDP gets ICMP port unreachable",
            packet: from("10.244.1.9", to: "10.96.0.20", 53, .udp), verdict: .reject(.icmpPortUnreachable)),
        Row(name: "ClusterIP without endpoints from the host is refused too",
            packet: from("172.18.0.2", to: "10.96.0.20", 80, local: true), verdict: .reject(.tcpReset)),
        Row(name: "NodePort without endpoints is refused",
            packet: from("172.18.0.100", to: "172.18.0.2", 30100), verdict: .reject(.tcpReset)),
        Row(name: "NodePort (Cluster policy) from outside: all endpoints, masqueraded",
            packet: from("172.18.0.100", to: "172.18.0.2", 30080),
            destinations: [dest("10.244.1.6", 8080), dest("10.244.2.6", 8080)], masquerade: true),
        Row(name: "NodePort from the host itself",
            packet: from("172.18.0.2", to: "172.18.0.2", 30080, local: true),
            destinations: [dest("10.244.1.6", 8080), dest("10.244.2.6", 8080)], masquerade: true),
        Row(name: "NodePort on 127.0.0.1 is not served without the opt-in",
            packet: from("127.0.0.1", to: "127.0.0.1", 30080, local: true)),
        Row(name: "NodePort on an address that is not the node's is not touched",
            packet: from("172.18.0.100", to: "172.18.0.3", 30080)),
        Row(name: "externalTrafficPolicy Local NodePort: only this node's endpoint, client IP kept",
            packet: from("172.18.0.100", to: "172.18.0.2", 30090), destinations: [dest("10.244.1.7", 8080)], masquerade: false),
        Row(name: "externalTrafficPolicy Local LB IP: only this node's endpoint, client IP kept",
            packet: from("172.18.0.100", to: "172.18.255.10", 80), destinations: [dest("10.244.1.7", 8080)], masquerade: false),
        Row(name: "externalTrafficPolicy Local ClusterIP still uses all endpoints",
            packet: from("10.244.1.9", to: "10.96.0.12", 80),
            destinations: [dest("10.244.1.7", 8080), dest("10.244.2.7", 8080)], masquerade: false),
        Row(name: "externalTrafficPolicy Local without a local endpoint: external traffic dropped",
            packet: from("172.18.0.100", to: "172.18.255.11", 80), verdict: .drop),
        Row(name: "externalTrafficPolicy Local without a local endpoint: NodePort dropped",
            packet: from("172.18.0.100", to: "172.18.0.2", 30091), verdict: .drop),
        Row(name: "externalTrafficPolicy Local: pod traffic to the LB IP is short-circuited to all endpoints",
            packet: from("10.244.1.9", to: "172.18.255.11", 80), destinations: [dest("10.244.2.8", 8080)], masquerade: false),
        Row(name: "externalTrafficPolicy Local: host traffic to the LB IP is short-circuited and masqueraded",
            packet: from("172.18.0.2", to: "172.18.255.11", 80, local: true), destinations: [dest("10.244.2.8", 8080)],
            masquerade: true),
        Row(name: "externalTrafficPolicy Local: host traffic to its own NodePort is short-circuited too",
            packet: from("172.18.0.2", to: "172.18.0.2", 30091, local: true), destinations: [dest("10.244.2.8", 8080)],
            masquerade: true),
        Row(name: "internalTrafficPolicy Local without a local endpoint: dropped, not refused",
            packet: from("10.244.1.9", to: "10.96.0.14", 80), verdict: .drop),
        Row(name: "internalTrafficPolicy Local without a local endpoint: host traffic dropped too",
            packet: from("172.18.0.2", to: "10.96.0.14", 80, local: true), verdict: .drop),
        Row(name: "internalTrafficPolicy Local: only this node's endpoints",
            packet: from("10.244.1.9", to: "10.96.0.15", 80), destinations: [dest("10.244.1.10", 8080)], masquerade: false),
        Row(name: "No ready endpoint: fall back to serving terminating endpoints",
            packet: from("10.244.1.9", to: "10.96.0.16", 80), destinations: [dest("10.244.1.11", 8080)], masquerade: false),
        Row(name: "loadBalancerSourceRanges: a source outside the ranges is dropped",
            packet: from("172.18.0.100", to: "172.18.255.12", 80), verdict: .drop),
        Row(name: "loadBalancerSourceRanges: a source inside the ranges is served",
            packet: from("203.0.113.5", to: "172.18.255.12", 80), destinations: [dest("10.244.2.13", 8080)], masquerade: true),
        Row(name: "loadBalancerSourceRanges do not apply to the NodePort",
            packet: from("172.18.0.100", to: "172.18.0.2", 30110), destinations: [dest("10.244.2.13", 8080)], masquerade: true),
        Row(name: "externalIPs are served like LB IPs (Cluster policy: masqueraded)",
            packet: from("172.18.0.100", to: "192.0.2.10", 80), destinations: [dest("10.244.2.14", 8080)], masquerade: true),
        Row(name: "externalIP on another port is not touched",
            packet: from("172.18.0.100", to: "192.0.2.10", 81)),
        Row(name: "LB ingress with ipMode Proxy is left to the load balancer",
            packet: from("172.18.0.100", to: "172.18.255.13", 80)),
        Row(name: "A Service labelled for another proxy is not touched",
            packet: from("10.244.1.9", to: "10.96.0.30", 80)),
        Row(name: "SCTP ClusterIP",
            packet: from("10.244.1.9", to: "10.96.0.22", 9000, .sctp), destinations: [dest("10.244.2.17", 9000)], masquerade: false),
        Row(name: "Traffic to a pod IP is not touched",
            packet: from("10.244.1.9", to: "10.244.2.5", 8080)),
    ]

    @Test(arguments: rows)
    func row(_ row: Row) {
        let result = Cluster.tracer().trace(row.packet)
        #expect(result.verdicts == [row.verdict], "\(result)")
        guard row.verdict == .accept else { return }
        if let destinations = row.destinations {
            #expect(result.destinations == destinations, "\(result)")
            #expect(result.outcomes.keys.allSatisfy { $0.dnat != nil }, "\(result)")
        } else {
            #expect(result.isUntouched, "\(result)")
        }
        if let masquerade = row.masquerade {
            #expect(result.masquerade == [masquerade], "\(result)")
        }
    }

    @Test("Endpoints are chosen uniformly")
    func uniform() {
        let result = Cluster.tracer().trace(Self.from("10.244.1.9", to: "10.96.0.23", 80))
        for endpoint in ["10.244.1.18", "10.244.2.18", "10.244.3.18"] {
            #expect(abs(result.probability(of: dest(endpoint, 8080)) - 1.0 / 3.0) < 1e-9, "\(result)")
        }
    }

    @Test("ClientIP affinity: uniform for a new client, then pinned to the endpoint it got")
    func affinity() {
        let tracer = Cluster.tracer()
        let packet = Self.from("10.244.1.9", to: "10.96.0.24", 80)
        let first = tracer.trace(packet)
        let endpoints = ["10.244.1.19", "10.244.2.19", "10.244.3.19"].map { dest($0, 8080) }
        #expect(first.destinations == Set(endpoints))
        for endpoint in endpoints {
            #expect(abs(first.probability(of: endpoint) - 1.0 / 3.0) < 1e-9, "\(first)")
            let remembered = first.setUpdates(to: endpoint)
            #expect(remembered.count == 1)
            let again = tracer.trace(packet, dynamicElements: remembered)
            #expect(again.destinations == [endpoint], "\(again)")
            #expect(abs(again.probability(of: endpoint) - 1) < 1e-9)
            // Another client is not pinned.
            let other = tracer.trace(Self.from("10.244.1.8", to: "10.96.0.24", 80), dynamicElements: remembered)
            #expect(other.destinations == Set(endpoints))
        }
    }

    @Test("Affinity set timeout is the Service's timeoutSeconds")
    func affinityTimeout() {
        let table = NFTRuleBuilder(config: Cluster.config()).build(Cluster.snapshot()).table
        let sets = table.sets.values.filter { $0.name.hasPrefix("aff-default/aff/") }
        #expect(sets.count == 2)
        #expect(sets.allSatisfy { $0.timeout == 60 && $0.flags == [.dynamic, .timeout] })
    }

    @Test("Hairpin: a pod reaching itself through its Service is masqueraded, other picks are not")
    func hairpin() {
        let result = Cluster.tracer().trace(Self.from("10.244.1.5", to: "10.96.0.10", 80))
        #expect(result.destinations == Self.web)
        for outcome in result.outcomes.keys {
            #expect(outcome.masquerade == (outcome.dnat == dest("10.244.1.5", 8080)), "\(result)")
        }
    }

    @Test("masqueradeAll masquerades pod traffic to ClusterIPs")
    func masqueradeAll() {
        let result = Cluster.tracer(Cluster.config(masqueradeAll: true)).trace(Self.from("10.244.1.9", to: "10.96.0.10", 80))
        #expect(result.masquerade == [true])
    }

    @Test("Without a cluster CIDR, ClusterIP traffic is never masqueraded (no local detection), external always is")
    func noClusterCIDR() {
        let tracer = Cluster.tracer(Cluster.config(clusterCIDRs: []))
        #expect(tracer.trace(Self.from("172.18.0.100", to: "10.96.0.10", 80)).masquerade == [false])
        #expect(tracer.trace(Self.from("172.18.0.100", to: "172.18.0.2", 30080)).masquerade == [true])
    }

    @Test("Localhost NodePorts when opted in: served and masqueraded")
    func localhostNodePorts() {
        for nodePorts in [NodePortAddresses.all, .addresses([Cluster.nodeIP])] {
            let tracer = Cluster.tracer(Cluster.config(nodePorts: nodePorts, localhost: true))
            let result = tracer.trace(Self.from("127.0.0.1", to: "127.0.0.1", 30080, local: true))
            #expect(result.destinations == [dest("10.244.1.6", 8080), dest("10.244.2.6", 8080)], "\(result)")
            #expect(result.masquerade == [true])
        }
    }

    @Test("nodeport-addresses: only the selected addresses serve NodePorts")
    func nodePortAddresses() {
        let second = ip("10.0.5.2")
        let selected = NodePortAddresses.select(cidrs: [cidr("172.18.0.0/16")], from: [Cluster.nodeIP, second])
        #expect(selected == .addresses([Cluster.nodeIP]))
        let tracer = Cluster.tracer(Cluster.config(nodePorts: selected), localAddresses: [Cluster.nodeIP, second])
        #expect(tracer.trace(Self.from("172.18.0.100", to: "172.18.0.2", 30080)).destinations.count == 2)
        #expect(tracer.trace(Self.from("172.18.0.100", to: "10.0.5.2", 30080)).isUntouched)
        // With all addresses, the second one serves too.
        let all = Cluster.tracer(Cluster.config(), localAddresses: [Cluster.nodeIP, second])
        #expect(all.trace(Self.from("172.18.0.100", to: "10.0.5.2", 30080)).destinations.count == 2)
    }

    @Test("Service CIDR: unallocated addresses are dropped, allocated ones still work")
    func serviceCIDR() {
        let tracer = Cluster.tracer(Cluster.config(serviceCIDRs: [cidr("10.96.0.0/12")]))
        #expect(tracer.trace(Self.from("10.244.1.9", to: "10.96.5.5", 80)).verdicts == [.drop])
        #expect(tracer.trace(Self.from("10.244.1.9", to: "10.96.0.10", 80)).destinations == Self.web)
    }

    @Test("IPv6 Services are programmed in the ip6 table only")
    func ipv6() {
        let services = [
            service("dual", clusterIPs: ["10.96.0.40", "fd00:96::40"], ports: [PortSpec(name: "http", port: 80)]),
        ]
        let slices = [
            slice("dual-v4", service: "dual", ports: [("http", 8080, "TCP")], endpoints: [EndpointSpec(ip: "10.244.1.40", node: "node-a")]),
            slice("dual-v6", service: "dual", addressType: "IPv6", ports: [("http", 8080, "TCP")],
                  endpoints: [EndpointSpec(ip: "fd00:244:1::40", node: "node-a")]),
        ]
        let v6 = Cluster.snapshot(family: .ipv6, services: services, slices: slices)
        let tracer6 = Cluster.tracer(Cluster.config(family: .ipv6, clusterCIDRs: [cidr("fd00:244::/32")]), snapshot: v6,
                                     localAddresses: [ip("fd00:18::2")])
        let result = tracer6.trace(Self.from("fd00:244:1::9", to: "fd00:96::40", 80))
        #expect(result.destinations == [dest("fd00:244:1::40", 8080)], "\(result)")
        #expect(result.masquerade == [false])
        let v4 = Cluster.tracer(snapshot: Cluster.snapshot(services: services, slices: slices))
        #expect(v4.trace(Self.from("10.244.1.9", to: "10.96.0.40", 80)).destinations == [dest("10.244.1.40", 8080)])
    }
}
