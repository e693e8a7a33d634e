import KubeModel
import NFTRules
import ProxyCore
import Testing

/// Golden snippets of the rendered text (each also loads into the kernel in `KernelTests`).
@Suite("Rendered nft text")
struct RenderTests {
    static let lines: [String] = {
        let text = NFTRuleBuilder(config: Cluster.config()).build(Cluster.snapshot()).fullTransaction().rendered()
        return text.split(separator: "\n").map(String.init)
    }()

    static func lines(mentioning needle: String) -> [String] {
        lines.filter { $0.contains(needle) && !$0.hasPrefix("flush") }
    }

    @Test("Static skeleton: base chains, priorities, dispatch and checks")
    func skeleton() {
        for line in [
            "add table ip junction { comment \"Junction service proxy: rewritten by every sync\" ; }",
            "add chain ip junction filter-prerouting { type filter hook prerouting priority -110 ; policy accept ; }",
            "add chain ip junction filter-output-post-dnat { type filter hook output priority -90 ; policy accept ; }",
            "add chain ip junction nat-prerouting { type nat hook prerouting priority -100 ; policy accept ; }",
            "add chain ip junction nat-postrouting { type nat hook postrouting priority 100 ; policy accept ; }",
            "add map ip junction service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment \"ClusterIP, external IP and LB IP to service chain\" ; }",
            "add rule ip junction services ip daddr . meta l4proto . th dport vmap @service-ips",
            "add rule ip junction services fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports",
            "add rule ip junction filter-input ct state new jump nodeport-endpoints-check",
            "add rule ip junction cluster-ips-check ip daddr @cluster-ips goto reject-chain",
            "add rule ip junction reject-chain meta l4proto tcp reject with tcp reset",
            "add rule ip junction reject-chain reject",
            "add rule ip junction masquerading meta mark & 0x00004000 != 0x00000000 meta mark set meta mark & 0xffffbfff masquerade fully-random",
            "add rule ip junction masquerading ct status dnat ip saddr . ip daddr @hairpin masquerade fully-random comment \"hairpin\"",
        ] {
            #expect(Self.lines.contains(line), "missing: \(line)")
        }
    }

    @Test("A plain ClusterIP port: no chain of its own; the shared chain and map of its endpoint count")
    func clusterIP() {
        #expect(Self.lines(mentioning: "svc-default/web/tcp/http").isEmpty)
        #expect(Self.lines(mentioning: "pick-tcp-2").filter { !$0.contains("service-ips") && !$0.hasPrefix("flush") } == [
            "add map ip junction pick-tcp-2 { typeof ip daddr . numgen random mod 1 : ip daddr ; size 256 ; }",
            "add chain ip junction pick-tcp-2",
            "add rule ip junction pick-tcp-2 ip saddr != 10.244.0.0/16 meta mark set meta mark | 0x00004000",
            "add rule ip junction pick-tcp-2 meta l4proto tcp dnat ip to ip daddr . numgen random mod 2 map @pick-tcp-2 : ip daddr . th dport map @cluster-ports-tcp",
            "add element ip junction pick-tcp-2 { 10.96.0.10 . 0 : 10.244.1.5, 10.96.0.10 . 1 : 10.244.2.5 }",
        ])
        // The target port is the port's element in the protocol's port map.
        #expect(Self.lines.contains { $0.hasPrefix("add element ip junction cluster-ports-tcp ") && $0.contains("10.96.0.10 . 80 : 8080") })
        let dispatch = Self.lines.first { $0.hasPrefix("add element ip junction service-ips ") } ?? ""
        #expect(dispatch.contains("10.96.0.10 . tcp . 80 : goto pick-tcp-2, 10.96.0.10 . udp . 53 : goto pick-udp-2"))
        // Ports with chains of their own keep the slot maps.
        #expect(Self.lines.contains("add map ip junction endpoints-tcp-0 { typeof numgen random mod 1 : ip daddr . tcp dport ; }"))
        #expect(Self.lines.contains("add rule ip junction svc-default/np/tcp/http meta l4proto tcp dnat ip to numgen random mod 2 offset 40960 map @endpoints-tcp-5"))
    }

    @Test("externalTrafficPolicy Local: the external chain short-circuits pod and host traffic")
    func externalLocal() {
        #expect(Self.lines(mentioning: "chain ip junction ext-default/local/tcp/http") == [
            "add chain ip junction ext-default/local/tcp/http",
        ])
        #expect(Self.lines.filter { $0.hasPrefix("add rule ip junction ext-default/local/tcp/http") } == [
            "add rule ip junction ext-default/local/tcp/http ip saddr 10.244.0.0/16 goto svc-default/local/tcp/http comment \"short-circuit pod traffic\"",
            "add rule ip junction ext-default/local/tcp/http fib saddr type local meta mark set meta mark | 0x00004000",
            "add rule ip junction ext-default/local/tcp/http fib saddr type local goto svc-default/local/tcp/http comment \"short-circuit host traffic\"",
            "add rule ip junction ext-default/local/tcp/http goto local-default/local/tcp/http",
        ])
    }

    @Test("ClientIP affinity: per-endpoint timed sets, remembered clients first, then uniform picks")
    func affinity() {
        #expect(Self.lines(mentioning: "svc-default/aff/tcp/http").filter { $0.hasPrefix("add rule") } == [
            "add rule ip junction svc-default/aff/tcp/http ip daddr 10.96.0.17 meta l4proto tcp th dport 80 ip saddr != 10.244.0.0/16 meta mark set meta mark | 0x00004000",
            "add rule ip junction svc-default/aff/tcp/http ip saddr @aff-default/aff/tcp/http__10.244.1.12/8080 meta l4proto tcp update @aff-default/aff/tcp/http__10.244.1.12/8080 { ip saddr } dnat ip to 10.244.1.12:8080",
            "add rule ip junction svc-default/aff/tcp/http ip saddr @aff-default/aff/tcp/http__10.244.2.12/8080 meta l4proto tcp update @aff-default/aff/tcp/http__10.244.2.12/8080 { ip saddr } dnat ip to 10.244.2.12:8080",
            "add rule ip junction svc-default/aff/tcp/http numgen random mod 2 0 meta l4proto tcp update @aff-default/aff/tcp/http__10.244.1.12/8080 { ip saddr } dnat ip to 10.244.1.12:8080",
            "add rule ip junction svc-default/aff/tcp/http meta l4proto tcp update @aff-default/aff/tcp/http__10.244.2.12/8080 { ip saddr } dnat ip to 10.244.2.12:8080",
        ])
        #expect(Self.lines.contains(
            "add set ip junction aff-default/aff/tcp/http__10.244.1.12/8080 { type ipv4_addr ; flags dynamic,timeout ; timeout 60s ; }"))
    }

    @Test("No endpoints, Local without local endpoints, source ranges: map elements and the firewall chain")
    func elements() {
        let noEndpoints = Self.lines.first { $0.hasPrefix("add element ip junction no-endpoint-services") } ?? ""
        #expect(noEndpoints.contains("10.96.0.14 . tcp . 80 comment \"default/itp:http\" : drop"))
        #expect(noEndpoints.contains("10.96.0.20 . tcp . 80 comment \"default/empty:http\" : goto reject-chain"))
        #expect(noEndpoints.contains("172.18.255.11 . tcp . 80 comment \"default/remote:http\" : goto no-local-endpoints"))
        #expect(Self.lines.contains(
            "add element ip junction firewall-ips { 172.18.255.12 . tcp . 80 comment \"default/fw:http\" : goto fw-default/fw/tcp/http }"))
        #expect(Self.lines.contains("add rule ip junction fw-default/fw/tcp/http ip saddr != { 203.0.113.0/24 } drop"))
    }

    @Test("IPv6 spelling")
    func ipv6() {
        let services = [service("v6", clusterIPs: ["fd00:96::40"], ports: [PortSpec(name: "http", port: 80)], affinityTimeout: 30)]
        let slices = [slice("v6-1", service: "v6", addressType: "IPv6", ports: [("http", 8080, "TCP")],
                            endpoints: [EndpointSpec(ip: "fd00:244:1::40", node: "node-a")])]
        let config = Cluster.config(family: .ipv6, clusterCIDRs: [cidr("fd00:244::/32")])
        let text = NFTRuleBuilder(config: config).build(Cluster.snapshot(family: .ipv6, services: services, slices: slices))
            .fullTransaction().rendered()
        #expect(text.contains("add rule ip6 junction services fib daddr type local ip6 daddr != ::1 meta l4proto . th dport vmap @service-nodeports"))
        #expect(text.contains("update @aff-default/v6/tcp/http__fd00.244.1..40/8080 { ip6 saddr } dnat ip6 to [fd00:244:1::40]:8080"))
        #expect(text.contains("ip6 daddr fd00:96::40 meta l4proto tcp th dport 80 ip6 saddr != fd00:244::/32"))
    }
}
