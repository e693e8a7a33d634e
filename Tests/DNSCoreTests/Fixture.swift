import KubeModel
@testable import DNSCore

/// Services, EndpointSlices and Pods in the API's JSON shapes, covering every record kind of the DNS specification.
enum Fixture {
    static func service(_ name: String, _ namespace: String = "default", type: String = "ClusterIP",
                        clusterIP: String? = nil, clusterIPs: [String]? = nil, externalName: String? = nil,
                        ports: [JSONValue] = [], publishNotReady: Bool = false) -> JSONValue {
        var spec: [String: JSONValue] = ["type": .string(type), "ports": .array(ports)]
        if let clusterIP { spec["clusterIP"] = .string(clusterIP) }
        if let clusterIPs { spec["clusterIPs"] = .array(clusterIPs.map(JSONValue.string)) }
        if let externalName { spec["externalName"] = .string(externalName) }
        if publishNotReady { spec["publishNotReadyAddresses"] = true }
        return [
            "apiVersion": "v1", "kind": "Service",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "spec": .object(spec),
        ]
    }

    static func port(_ name: String?, _ port: Int64, _ proto: String = "TCP") -> JSONValue {
        var p: [String: JSONValue] = ["port": .int(port), "protocol": .string(proto)]
        if let name { p["name"] = .string(name) }
        return .object(p)
    }

    static func endpoint(_ ip: String, ready: Bool? = true, hostname: String? = nil) -> JSONValue {
        var e: [String: JSONValue] = ["addresses": [.string(ip)]]
        if let ready { e["conditions"] = ["ready": .bool(ready)] }
        if let hostname { e["hostname"] = .string(hostname) }
        return .object(e)
    }

    static func slice(_ name: String, service: String, _ namespace: String = "default", addressType: String = "IPv4",
                      endpoints: [JSONValue], ports: [JSONValue]) -> JSONValue {
        [
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": [
                "name": .string(name), "namespace": .string(namespace),
                "labels": ["kubernetes.io/service-name": .string(service)],
            ],
            "addressType": .string(addressType),
            "endpoints": .array(endpoints),
            "ports": .array(ports),
        ]
    }

    static func pod(_ name: String, _ namespace: String = "default", ips: [String], phase: String = "Running")
        -> JSONValue
    {
        [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "status": [
                "phase": .string(phase), "podIP": .string(ips.first ?? ""),
                "podIPs": .array(ips.map { ["ip": .string($0)] }),
            ],
        ]
    }

    static var objects: [JSONValue] {
        [
            service("kube-dns", "kube-system", clusterIP: "10.96.0.10",
                    ports: [port("dns", 53, "UDP"), port("dns-tcp", 53)]),
            service("kubernetes", clusterIP: "10.96.0.1", ports: [port("https", 443)]),
            service("web", clusterIP: "10.96.0.20", ports: [port("http", 80), port("https", 443)]),
            service("web", "other", clusterIP: "10.96.0.21", ports: [port("http", 80)]),
            service("single", clusterIP: "10.96.0.22", ports: [port(nil, 8080)]),
            service("v6", clusterIP: "fd00:10:96::a", ports: [port("http", 80)]),
            service("dual", clusterIP: "10.96.0.30", clusterIPs: ["10.96.0.30", "fd00:10:96::1e"],
                    ports: [port("http", 80)]),
            // Headless with hostnames, one endpoint without, one not ready.
            service("db", clusterIP: "None", ports: [port("pg", 5432)]),
            slice("db-abc", service: "db", endpoints: [
                endpoint("10.244.1.5", hostname: "db-0"),
                endpoint("10.244.2.6", hostname: "db-1"),
                endpoint("10.244.3.7", ready: nil),
                endpoint("10.244.3.8", ready: false, hostname: "db-3"),
            ], ports: [port("pg", 5432)]),
            // publishNotReadyAddresses: not-ready endpoints published too.
            service("peers", clusterIP: "None", ports: [port("gossip", 7946, "UDP")], publishNotReady: true),
            slice("peers-xyz", service: "peers", endpoints: [
                endpoint("10.244.1.10", ready: false, hostname: "peer-0"),
                endpoint("10.244.1.11", ready: true),
            ], ports: [port("gossip", 7946, "UDP")]),
            // Headless with no ready endpoint: NXDOMAIN.
            service("empty", clusterIP: "None", ports: [port("http", 80)]),
            slice("empty-1", service: "empty", endpoints: [endpoint("10.244.4.4", ready: false, hostname: "e-0")],
                  ports: [port("http", 80)]),
            // IPv6 headless endpoint without hostname.
            service("db6", clusterIP: "None", ports: [port("pg", 5432)]),
            slice("db6-1", service: "db6", addressType: "IPv6", endpoints: [endpoint("fd00:10:244:1::5")],
                  ports: [port("pg", 5432)]),
            service("ext", type: "ExternalName", externalName: "example.com"),
            service("alias", type: "ExternalName", externalName: "web.default.svc.cluster.local"),
            service("alias6", type: "ExternalName", externalName: "alias.default.svc.cluster.local"),
            service("dangling", type: "ExternalName", externalName: "gone.default.svc.cluster.local"),
            service("loop1", type: "ExternalName", externalName: "loop2.default.svc.cluster.local"),
            service("loop2", type: "ExternalName", externalName: "loop1.default.svc.cluster.local"),
        ]
    }

    static func builder(podMode: PodRecordMode = .insecure) -> ClusterDNSIndex.Builder {
        var builder = ClusterDNSIndex.Builder(podMode: podMode)
        for object in objects { builder.apply(object, deleted: false) }
        return builder
    }

    static func index(podMode: PodRecordMode = .insecure) -> ClusterDNSIndex {
        builder(podMode: podMode).snapshot()
    }
}

// Names as string literals keep the expectations readable. Only tests get this: in the library a literal that is not a
// valid name would have to become something silently, and `DNSName("x")` would stop meaning the failable parser.
extension DNSName: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) {
        self = DNSName(value) ?? .root
    }
}

/// The failable parser, whatever the argument looks like (a literal argument would otherwise be a literal name).
func parse(_ text: String) -> DNSName? {
    DNSName(text)
}

/// Query helpers shared by the resolver tests.
struct Ask {
    var index: ClusterDNSIndex
    var resolver = ClusterResolver()

    init(_ index: ClusterDNSIndex = Fixture.index(), config: ClusterResolverConfig = ClusterResolverConfig()) {
        self.index = index
        resolver = ClusterResolver(config: config)
    }

    func result(_ name: String, _ type: DNSType, id: UInt16 = 7, edns: EDNS? = nil) -> ResolverResult {
        let query = DNSMessage.query(id: id, name: DNSName(name) ?? .root, type: type, edns: edns)
        return resolver.answer(query, index: index)
    }

    /// The reply message, or nil when the result was not an answer.
    func message(_ name: String, _ type: DNSType, id: UInt16 = 7, edns: EDNS? = nil) -> DNSMessage? {
        if case .answer(let m) = result(name, type, id: id, edns: edns) { return m }
        return nil
    }
}

extension DNSMessage {
    var answerData: [DNSRecord.RData] { answers.map(\.data) }
    var addressTexts: [String] {
        answers.compactMap {
            switch $0.data {
            case .a(let ip), .aaaa(let ip): ip.description
            default: nil
            }
        }
    }
}

func ip(_ text: String) -> IPAddress {
    IPAddress.parse(text) ?? IPAddress(v4: 0)
}
