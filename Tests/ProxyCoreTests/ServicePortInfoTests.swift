import KubeModel
import ProxyCore
import Testing

@Suite("Service and EndpointSlice parsing")
struct ParsingTests {
    @Test("Services that are not proxied, with the reason", arguments: [
        (service("h", clusterIPs: ["None"]), ServiceSkipReason.headless),
        (service("x", type: "ExternalName", clusterIPs: []), .externalName),
        (service("o", labels: ["service.kubernetes.io/service-proxy-name": ""]), .otherProxy),
        (service("n", clusterIPs: []), .noClusterIP),
    ])
    func skipped(_ object: JSONValue, _ reason: ServiceSkipReason) {
        let parsed = ServicePortInfo.parse(service: object)
        #expect(parsed.skipped == reason)
        #expect(parsed.ports.isEmpty)
    }

    @Test("Multi-port Service: one entry per port, protocol defaulting to TCP")
    func multiPort() throws {
        let object = service("web", ports: [
            ["name": "http", "port": 80, "targetPort": "web"], ["name": "dns", "port": 53, "protocol": "UDP", "targetPort": 5353],
            ["name": "sctp", "port": 9000, "protocol": "SCTP"], ["name": "bad", "port": 0],
        ])
        let ports = ServicePortInfo.parse(service: object).ports
        #expect(ports.count == 3)
        let web = try #require(ports[http])
        #expect(web.port == 80 && web.protocol == .tcp && web.targetPort == "web" && web.clusterIP == ip("10.96.0.10"))
        let dns = try #require(ports[ServicePortName(namespace: "default", name: "web", port: "dns", protocol: .udp)])
        #expect(dns.targetPort == "5353")
        #expect(ports[ServicePortName(namespace: "default", name: "web", port: "sctp", protocol: .sctp)] != nil)
    }

    @Test("Fields that only mean something for some types are ignored elsewhere")
    func typeDependentFields() throws {
        // A ClusterIP Service: no NodePort, Local external policy has no meaning, no health check.
        let plain = try #require(ServicePortInfo.parse(service: service(
            "web", ports: [["name": "http", "port": 80, "nodePort": 30000]],
            extra: ["externalTrafficPolicy": "Local", "healthCheckNodePort": 32000])).ports[http])
        #expect(plain.nodePort == 0 && plain.externalTrafficPolicy == .cluster && plain.healthCheckNodePort == 0)
        // With externalIPs, Local does mean something.
        let withExternal = try #require(ServicePortInfo.parse(service: service(
            "web", extra: ["externalTrafficPolicy": "Local", "externalIPs": ["192.0.2.1"]])).ports[http])
        #expect(withExternal.externalPolicyLocal && withExternal.externallyAccessible)
        // A NodePort Service with Local policy has no health check port; a LoadBalancer does.
        let nodePort = try #require(ServicePortInfo.parse(service: service(
            "web", type: "NodePort", ports: [["name": "http", "port": 80, "nodePort": 30000]],
            extra: ["externalTrafficPolicy": "Local", "healthCheckNodePort": 32000])).ports[http])
        #expect(nodePort.nodePort == 30000 && nodePort.externalPolicyLocal && nodePort.healthCheckNodePort == 0)
        let lb = try #require(ServicePortInfo.parse(service: service(
            "web", type: "LoadBalancer", ports: [["name": "http", "port": 80, "nodePort": 30000]],
            extra: ["externalTrafficPolicy": "Local", "healthCheckNodePort": 32000])).ports[http])
        #expect(lb.healthCheckNodePort == 32000)
    }

    @Test("Affinity, source ranges, LB ingress modes and family views")
    func details() throws {
        let object = service(
            "web", type: "LoadBalancer", clusterIPs: ["10.96.0.10", "fd00::10"],
            extra: [
                "sessionAffinity": "ClientIP", "loadBalancerSourceRanges": [" 203.0.113.0/24 ", "fd00:1::/64", "junk"],
                "externalIPs": ["192.0.2.1", "2001:db8::1"], "internalTrafficPolicy": "Local",
            ],
            status: ["loadBalancer": ["ingress": [["ip": "172.18.255.1"], ["ip": "172.18.255.2", "ipMode": "Proxy"],
                                                  ["hostname": "lb.example"], ["ip": "fd00:18::1", "ipMode": "VIP"]]]])
        let info = try #require(ServicePortInfo.parse(service: object).ports[http])
        #expect(info.sessionAffinity == .clientIP(timeoutSeconds: 10800))
        #expect(info.internalPolicyLocal)
        #expect(info.loadBalancerSourceRanges.map(\.description) == ["203.0.113.0/24", "fd00:1::/64"])
        #expect(info.loadBalancerVIPs == [ip("172.18.255.1"), ip("fd00:18::1")])
        let v4 = try #require(info.restricted(to: .ipv4))
        #expect(v4.clusterIPs == [ip("10.96.0.10")] && v4.externalIPs == [ip("192.0.2.1")])
        #expect(v4.loadBalancerVIPs == [ip("172.18.255.1")] && v4.loadBalancerSourceRanges.count == 1)
        let v6 = try #require(info.restricted(to: .ipv6))
        #expect(v6.clusterIP == ip("fd00::10") && v6.loadBalancerVIPs == [ip("fd00:18::1")])
        #expect(ServicePortInfo.parse(service: service("web")).ports[http]?.restricted(to: .ipv6) == nil)
    }

    @Test("EndpointSlice conditions: ready defaults to true, serving to ready, terminating to false")
    func conditions() throws {
        let info = try #require(EndpointSliceInfo.parse(slice: slice("s", service: "web", endpoints: [
            endpoint("10.244.1.1", ready: nil), endpoint("10.244.1.2", ready: false),
            endpoint("10.244.1.3", ready: false, serving: true, terminating: true),
        ])))
        let merged = EndpointSliceInfo.merge([info])[http] ?? []
        #expect(merged.map(\.description) == ["10.244.1.1:8080", "10.244.1.2:8080", "10.244.1.3:8080"])
        #expect(merged.map(\.ready) == [true, false, false])
        #expect(merged.map(\.serving) == [true, false, true])
        #expect(merged.map(\.isServingTerminating) == [false, false, true])
    }

    @Test("Slices that are not proxied")
    func skippedSlices() {
        #expect(EndpointSliceInfo.parse(slice: slice("s", service: "web", endpoints: [],
                                                     labels: ["service.kubernetes.io/headless": ""])) == nil)
        #expect(EndpointSliceInfo.parse(slice: slice("s", service: "web", addressType: "FQDN", endpoints: [])) == nil)
        #expect(EndpointSliceInfo.parse(slice: ["metadata": ["name": "s"]]) == nil)
    }

    @Test("Merging slices: duplicates collapse (ready wins), ports map by name, families are kept apart")
    func merge() throws {
        let a = try #require(EndpointSliceInfo.parse(slice: slice("a", service: "web", endpoints: [
            endpoint("10.244.1.1", ready: false), endpoint("10.244.1.2"),
        ])))
        let b = try #require(EndpointSliceInfo.parse(slice: slice("b", service: "web", ports: [
            ["name": "http", "port": 8080, "protocol": "TCP"], ["name": "dns", "port": 5353, "protocol": "UDP"],
        ], endpoints: [endpoint("10.244.1.1"), endpoint("fd00::1")])))
        let merged = EndpointSliceInfo.merge([a, b])
        let web = merged[http] ?? []
        #expect(web.map(\.description) == ["10.244.1.1:8080", "10.244.1.2:8080"])
        #expect(web.first?.ready == true)
        let dns = merged[ServicePortName(namespace: "default", name: "web", port: "dns", protocol: .udp)] ?? []
        #expect(dns.map(\.description) == ["10.244.1.1:5353"])
    }

    @Test("Endpoint: the compact form keeps every field, for IPv4 and IPv6, through the initializer and setters")
    func compactEndpoint() {
        #expect(MemoryLayout<Endpoint>.size == 16)
        var e = Endpoint(ip: ip("10.244.1.7"), port: 65535, ready: false, serving: true, terminating: true,
                         nodeName: "node-a", zone: "z1", zoneHints: ["z1", "z2"], nodeHints: ["node-a"])
        #expect(e.ip == ip("10.244.1.7") && e.port == 65535 && !e.ready && e.serving && e.terminating)
        #expect(e.nodeName == "node-a" && e.zone == "z1" && e.zoneHints == ["z1", "z2"] && e.nodeHints == ["node-a"])
        #expect(e.description == "10.244.1.7:65535" && e.isLocal(to: "node-a") && !e.isLocal(to: ""))
        e.ip = ip("fd00::7")
        e.port = 80
        #expect(e.ip == ip("fd00::7") && e.description == "[fd00::7]:80" && e.nodeName == "node-a" && e.serving)
        e.nodeName = nil
        e.zone = nil
        e.zoneHints = []
        e.nodeHints = []
        e.ready = true
        e.terminating = false
        #expect(e == Endpoint(ip: ip("fd00::7"), port: 80, ready: true, serving: true))
        e.ip = ip("10.0.0.1")
        #expect(e == Endpoint(ip: ip("10.0.0.1"), port: 80) && e.hashValue == Endpoint(ip: ip("10.0.0.1"), port: 80).hashValue)
        #expect(Endpoint(ip: ip("::"), port: 1).ip == ip("::"))
        #expect(Endpoint(ip: ip("10.0.0.1"), port: 1) != Endpoint(ip: ip("10.0.0.1"), port: 1, nodeName: "n"))
        #expect(Endpoint(ip: ip("10.0.0.1"), port: 1) != Endpoint(ip: ip("::ffff:10.0.0.1"), port: 1))
        let order = [Endpoint(ip: ip("fd00::1"), port: 1), Endpoint(ip: ip("10.0.0.2"), port: 1),
                     Endpoint(ip: ip("10.0.0.1"), port: 2), Endpoint(ip: ip("10.0.0.1"), port: 1), Endpoint(ip: ip("::1"), port: 9)]
        #expect(order.sorted().map(\.description) == ["10.0.0.1:1", "10.0.0.1:2", "10.0.0.2:1", "[::1]:9", "[fd00::1]:1"])
    }

    @Test("One slice: entries in any order come out sorted; duplicates within it collapse as across slices")
    func singleSlice() throws {
        let info = try #require(EndpointSliceInfo.parse(slice: slice("s", service: "web", endpoints: [
            endpoint("10.244.1.3", node: "n1", zone: "z"), endpoint("10.244.1.1", node: "n1", zone: "z"),
            endpoint("10.244.1.2", node: "n2"),
        ])))
        let merged = EndpointSliceInfo.merge([info])[http] ?? []
        #expect(merged.map(\.description) == ["10.244.1.1:8080", "10.244.1.2:8080", "10.244.1.3:8080"])
        #expect(merged.map(\.nodeName) == ["n1", "n2", "n1"] && merged.map(\.zone) == ["z", nil, "z"])
        let duplicated = try #require(EndpointSliceInfo.parse(slice: slice("s", service: "web", endpoints: [
            endpoint("10.244.1.2", node: "late", ready: false), endpoint("10.244.1.1"),
            endpoint("10.244.1.2", node: "first-ready"), endpoint("10.244.1.2", node: "second-ready"),
        ])))
        let collapsed = EndpointSliceInfo.merge([duplicated])[http] ?? []
        #expect(collapsed.map(\.description) == ["10.244.1.1:8080", "10.244.1.2:8080"])
        #expect(collapsed.last?.nodeName == "first-ready" && collapsed.last?.ready == true)
    }
}
