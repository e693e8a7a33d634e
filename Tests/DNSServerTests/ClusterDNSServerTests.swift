import DNSCore
@testable import DNSServer
import Foundation
import KubeClient
import KubeModel
import NIOCore
import TestSupport
import Testing

/// API objects as the tests create them.
enum Objects {
    static func service(_ name: String, clusterIP: String? = nil, type: String = "ClusterIP",
                        externalName: String? = nil, ports: [JSONValue] = []) -> JSONValue {
        var spec: [String: JSONValue] = ["type": .string(type)]
        if !ports.isEmpty { spec["ports"] = .array(ports) }
        if let clusterIP { spec["clusterIP"] = .string(clusterIP) }
        if let externalName { spec["externalName"] = .string(externalName) }
        return ["apiVersion": "v1", "kind": "Service", "metadata": ["name": .string(name), "namespace": "default"],
                "spec": .object(spec)]
    }

    static func port(_ name: String, _ port: Int64) -> JSONValue {
        ["name": .string(name), "port": .int(port), "protocol": "TCP"]
    }

    static func slice(_ name: String, service: String, ips: [String], hostnames: [String: String] = [:],
                      port: JSONValue) -> JSONValue {
        let endpoints: [JSONValue] = ips.map { ip in
            var e: [String: JSONValue] = ["addresses": [.string(ip)], "conditions": ["ready": true]]
            if let host = hostnames[ip] { e["hostname"] = .string(host) }
            return .object(e)
        }
        return [
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": ["name": .string(name), "namespace": "default",
                         "labels": ["kubernetes.io/service-name": .string(service)]],
            "addressType": "IPv4", "endpoints": .array(endpoints), "ports": [port],
        ]
    }
}

/// Polls `condition` every 20 ms for up to five seconds.
func eventually(_ condition: () async throws -> Bool) async throws {
    for _ in 0..<250 {
        if (try? await condition()) == true { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw TestFailure("condition never held")
}

func lines(_ text: String) -> [String] {
    text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

func addresses(_ message: DNSMessage?) -> [String] {
    (message?.answers ?? []).compactMap { record in
        if case .a(let ip) = record.data { return ip.description }
        return nil
    }
}

@Suite("ClusterDNSServer against a real control plane", .serialized)
struct ClusterDNSServerTests {
    @Test("a ClusterIP service resolves right after its create is acknowledged and stops right after its delete")
    func clusterIPLifecycle() async throws {
        try await withControlPlane { cp in
            let api = try cp.api
            try await withDNSServer(client: api) { dns in
                try await dns.waitReady()
                let name = "web.default.svc.cluster.local."
                #expect(try await dns.udp(name, .a)?.header.rcode == .nxDomain)

                // Create-to-answer and delete-to-NXDOMAIN, polled right after the API's acknowledgement. Speed is a
                // benchmark's business, not a test's: the latencies are printed, the test asserts the outcome.
                var createLatencies: [Duration] = []
                var deleteLatencies: [Duration] = []
                for trial in 1...3 {
                    let service = "lat\(trial)"
                    let fqdn = "\(service).default.svc.cluster.local."
                    let created = try await api.json(.POST, "/api/v1/namespaces/default/services",
                                                     Objects.service(service, ports: [Objects.port("http", 80)]))
                    let acknowledged = ContinuousClock.now
                    let ip = try #require(created.value(at: ["spec", "clusterIP"])?.stringValue)
                    var reply: DNSMessage?
                    while ContinuousClock.now - acknowledged < .seconds(15) {
                        reply = try await dns.udp(fqdn, .a, timeoutMs: 200)
                        if reply?.header.rcode == .noError, !(reply?.answers.isEmpty ?? true) { break }
                    }
                    createLatencies.append(ContinuousClock.now - acknowledged)
                    #expect(addresses(reply) == [ip])
                    #expect(reply?.header.authoritative == true)

                    try await api.json(.DELETE, "/api/v1/namespaces/default/services/\(service)")
                    let deleted = ContinuousClock.now
                    var gone: DNSMessage?
                    while ContinuousClock.now - deleted < .seconds(15) {
                        gone = try await dns.udp(fqdn, .a, timeoutMs: 200)
                        if gone?.header.rcode == .nxDomain { break }
                    }
                    deleteLatencies.append(ContinuousClock.now - deleted)
                    #expect(gone?.header.rcode == .nxDomain)
                    #expect(gone?.authority.first?.type == .soa)
                }
                print("DNS create→answer latencies: \(createLatencies), delete→NXDOMAIN: \(deleteLatencies)")

                let created = try await api.json(.POST, "/api/v1/namespaces/default/services",
                                                 Objects.service("web", ports: [Objects.port("http", 80)]))
                let ip = try #require(created.value(at: ["spec", "clusterIP"])?.stringValue)
                try await eventually { addresses(try await dns.udp(name, .a)) == [ip] }

                // The same through dig, over UDP and TCP, and the other record kinds of a ClusterIP service.
                #expect(lines(try await dns.dig("+short", "web.default.svc.cluster.local")) == [ip])
                #expect(lines(try await dns.dig("+short", "+tcp", "WEB.default.svc.Cluster.Local")) == [ip])
                let srv = lines(try await dns.dig("+short", "+norec", "SRV", "_http._tcp.web.default.svc.cluster.local"))
                #expect(srv == ["0 100 80 web.default.svc.cluster.local."])
                #expect(lines(try await dns.dig("+short", "-x", ip)) == ["web.default.svc.cluster.local."])
                #expect(lines(try await dns.dig("+short", "TXT", "dns-version.cluster.local")) == ["\"1.1.0\""])
            }
        }
    }

    @Test("headless services return endpoint IPs, hostnames, SRV and PTR; ExternalName is a CNAME")
    func headlessAndExternalName() async throws {
        try await withControlPlane { cp in
            let api = try cp.api
            try await withDNSServer(client: api) { dns in
                try await dns.waitReady()
                let ips = ["10.244.1.1", "10.244.1.2", "10.244.1.3"]
                try await api.json(.POST, "/api/v1/namespaces/default/services",
                                   Objects.service("db", clusterIP: "None", ports: [Objects.port("pg", 5432)]))
                try await api.json(.POST, "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices",
                                   Objects.slice("db-1", service: "db", ips: ips, hostnames: ["10.244.1.1": "db-0"],
                                                 port: Objects.port("pg", 5432)))
                try await api.json(.POST, "/api/v1/namespaces/default/services",
                                   Objects.service("alias", type: "ExternalName",
                                                   externalName: "db.default.svc.cluster.local"))
                var found: [String] = []
                for _ in 0..<100 {
                    found = addresses(try await dns.udp("db.default.svc.cluster.local.", .a)).sorted()
                    if found == ips { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(found == ips)
                #expect(lines(try await dns.dig("+short", "db.default.svc.cluster.local")).sorted() == ips)
                #expect(lines(try await dns.dig("+short", "db-0.db.default.svc.cluster.local")) == ["10.244.1.1"])
                #expect(lines(try await dns.dig("+short", "-x", "10.244.1.1")) == ["db-0.db.default.svc.cluster.local."])
                let srv = lines(try await dns.dig("+short", "SRV", "_pg._tcp.db.default.svc.cluster.local"))
                #expect(srv.count == 3)
                #expect(srv.allSatisfy { $0.contains(" 5432 ") && $0.hasSuffix(".db.default.svc.cluster.local.") })
                #expect(srv.contains { $0.hasSuffix(" db-0.db.default.svc.cluster.local.") })

                let alias = lines(try await dns.dig("+short", "alias.default.svc.cluster.local"))
                #expect(alias.first == "db.default.svc.cluster.local.")
                #expect(alias.dropFirst().sorted() == ips)
                let cname = try await dns.udp("alias.default.svc.cluster.local.", .cname)
                #expect(cname?.answers.first?.data == DNSName("db.default.svc.cluster.local.").map { .cname($0) })
            }
        }
    }

    @Test("a 100-endpoint headless answer is truncated over UDP and complete over TCP, several queries per connection")
    func truncation() async throws {
        try await withControlPlane { cp in
            let api = try cp.api
            try await withDNSServer(client: api) { dns in
                try await dns.waitReady()
                let ips = (1...100).map { "10.245.0.\($0)" }
                try await api.json(.POST, "/api/v1/namespaces/default/services",
                                   Objects.service("big", clusterIP: "None", ports: [Objects.port("http", 80)]))
                try await api.json(.POST, "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices",
                                   Objects.slice("big-1", service: "big", ips: ips, port: Objects.port("http", 80)))
                let name = "big.default.svc.cluster.local."
                var tcpReply: DNSMessage?
                for _ in 0..<100 {
                    tcpReply = try await dns.tcp([DNSMessage.query(id: 7, name: DNSName(name) ?? .root, type: .a)]).first
                    if tcpReply?.answers.count == 100 { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(tcpReply?.answers.count == 100)
                #expect(tcpReply?.header.truncated == false)

                // Plain UDP: 512 bytes hold only part of it, TC set; with EDNS 1232 more, still TC.
                let plain = try #require(try await dns.udp(name, .a))
                #expect(plain.header.truncated)
                #expect(plain.answers.count < 100)
                let edns = try #require(try await dns.udp(name, .a, edns: EDNS(udpPayloadSize: 4096)))
                #expect(edns.header.truncated)
                #expect(edns.answers.count > plain.answers.count)
                #expect(edns.edns?.udpPayloadSize == 1232)

                let queries = [
                    DNSMessage.query(id: 1, name: DNSName(name) ?? .root, type: .a),
                    DNSMessage.query(id: 2, name: DNSName("dns-version.cluster.local.") ?? .root, type: .txt),
                    DNSMessage.query(id: 3, name: DNSName("missing.default.svc.cluster.local.") ?? .root, type: .a),
                ]
                let replies = try await dns.tcp(queries)
                #expect(replies.map(\.header.id) == [1, 2, 3])
                #expect(replies.map(\.header.rcode) == [.noError, .noError, .nxDomain])
                #expect(replies.first?.answers.count == 100)

                let digTCP = lines(try await dns.dig("+short", "+tcp", "big.default.svc.cluster.local"))
                #expect(digTCP.count == 100)
                let digUDP = try await dns.dig("+noedns", "+ignore", "big.default.svc.cluster.local")
                #expect(digUDP.contains(" tc"))
            }
        }
    }

    @Test("pod records in verified mode exist only for pods the API knows")
    func verifiedPods() async throws {
        try await withControlPlane { cp in
            let api = try cp.api
            try await api.json(.POST, "/api/v1/namespaces/default/pods", [
                "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p1", "namespace": "default"],
                "spec": ["containers": [["name": "c", "image": "junction/echo"]]],
            ])
            try await api.json(.PATCH, "/api/v1/namespaces/default/pods/p1/status",
                               ["status": ["phase": "Running", "podIP": "10.244.9.9", "podIPs": [["ip": "10.244.9.9"]]]],
                               contentType: "application/merge-patch+json")
            try await withDNSServer(client: api, podMode: .verified) { dns in
                try await dns.waitReady()
                #expect(dns.server.resources.contains("/api/v1/pods"))
                var reply: DNSMessage?
                for _ in 0..<100 {
                    reply = try await dns.udp("10-244-9-9.default.pod.cluster.local.", .a)
                    if !addresses(reply).isEmpty { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(addresses(reply) == ["10.244.9.9"])
                #expect(try await dns.udp("10-244-9-8.default.pod.cluster.local.", .a)?.header.rcode == .nxDomain)
            }
        }
    }
}
