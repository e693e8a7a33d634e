import KubeModel
import ProxyCore
import Testing

@Suite("Stale UDP conntrack entries")
struct StaleFlowsTests {
    static func snapshot() throws -> ProxySnapshot {
        var state = ProxyState(nodeName: "a")
        state.services.update(previous: nil, current: service(
            "dns", type: "LoadBalancer", clusterIPs: ["10.96.0.10"],
            ports: [["name": "dns", "port": 53, "protocol": "UDP", "nodePort": 30053], ["name": "tcp", "port": 53, "protocol": "TCP"]],
            extra: ["externalIPs": ["192.0.2.7"]],
            status: ["loadBalancer": ["ingress": [["ip": "203.0.113.5"]]]]))
        state.services.update(previous: nil, current: service(
            "empty", clusterIPs: ["10.96.0.11"], ports: [["name": "dns", "port": 53, "protocol": "UDP"]]))
        state.endpointSlices.update(previous: nil, current: slice(
            "dns-1", service: "dns",
            ports: [["name": "dns", "port": 5353, "protocol": "UDP"], ["name": "tcp", "port": 5353, "protocol": "TCP"]],
            endpoints: [endpoint("10.0.1.1", node: "a"),
                        endpoint("10.0.2.1", node: "b", ready: false, serving: true, terminating: true),
                        endpoint("10.0.2.2", node: "b", ready: false, serving: false)]))
        _ = state.applyPendingChanges()
        return try #require(state.snapshots[.ipv4])
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var destination: String
        var port: Int
        var reply: String
        var replyPort: Int
        var stale: Bool
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "ClusterIP to a ready endpoint", destination: "10.96.0.10", port: 53, reply: "10.0.1.1", replyPort: 5353, stale: false),
        Case(name: "ClusterIP to a serving terminating endpoint", destination: "10.96.0.10", port: 53, reply: "10.0.2.1", replyPort: 5353, stale: false),
        Case(name: "ClusterIP to an endpoint that stopped serving", destination: "10.96.0.10", port: 53, reply: "10.0.2.2", replyPort: 5353, stale: true),
        Case(name: "ClusterIP to an endpoint that is gone", destination: "10.96.0.10", port: 53, reply: "10.0.9.9", replyPort: 5353, stale: true),
        Case(name: "ClusterIP never translated (rejected while empty)", destination: "10.96.0.11", port: 53, reply: "10.96.0.11", replyPort: 53, stale: true),
        Case(name: "external IP to a gone endpoint", destination: "192.0.2.7", port: 53, reply: "10.0.9.9", replyPort: 5353, stale: true),
        Case(name: "LoadBalancer IP to a ready endpoint", destination: "203.0.113.5", port: 53, reply: "10.0.1.1", replyPort: 5353, stale: false),
        Case(name: "NodePort on the node's address to a gone endpoint", destination: "172.18.0.2", port: 30053, reply: "10.0.9.9", replyPort: 5353, stale: true),
        Case(name: "NodePort on loopback to a ready endpoint", destination: "127.0.0.1", port: 30053, reply: "10.0.1.1", replyPort: 5353, stale: false),
        Case(name: "the NodePort's number on a pod address is not a service", destination: "10.0.3.3", port: 30053, reply: "10.0.3.3", replyPort: 30053, stale: false),
        Case(name: "another port of the ClusterIP is not a UDP service", destination: "10.96.0.10", port: 54, reply: "10.96.0.10", replyPort: 54, stale: false),
        Case(name: "unrelated UDP flow", destination: "10.0.1.1", port: 5353, reply: "10.0.1.1", replyPort: 5353, stale: false),
    ]

    @Test("flows to UDP frontends whose reply source is not a serving endpoint", arguments: cases)
    func stale(_ c: Case) throws {
        let filter = StaleUDPFlows(try Self.snapshot(), nodeIPs: [ip("172.18.0.2")])
        #expect(!filter.isEmpty)
        #expect(filter.isStale(destination: ip(c.destination), destinationPort: c.port, replySource: ip(c.reply), replySourcePort: c.replyPort) == c.stale)
    }

    @Test("no UDP service: nothing to read")
    func empty() {
        #expect(StaleUDPFlows(ProxySnapshot(nodeName: "a", family: .ipv4), nodeIPs: []).isEmpty)
    }
}
