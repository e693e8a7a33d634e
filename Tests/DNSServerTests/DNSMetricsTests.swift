import DNSCore
@testable import DNSServer
import Foundation
import KubeModel
import NIOCore
import TestSupport
import Testing

/// The body of `GET url`, or "" when it failed.
func curlBody(_ url: String) async throws -> String {
    try await offload { try run("/usr/bin/curl", ["-s", "--max-time", "2", url]) }.out
}

/// The samples of a Prometheus text exposition: `name{labels}` exactly as written → value.
func samples(_ exposition: String) -> [String: Double] {
    var result: [String: Double] = [:]
    for line in exposition.split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
        result[String(line[..<space])] = value
    }
    return result
}

@Suite("DNS metrics", .serialized)
struct DNSMetricsTests {
    @Test("/metrics counts real UDP and TCP queries under CoreDNS's names and labels")
    func scrape() async throws {
        let upstream = try await FakeUpstream.start()
        defer { Task { await upstream.stop() } }
        let metrics = DNSMetrics(host: "127.0.0.1", port: 0, version: "test")
        // The upstream gets 5 s, not the suite's usual 1 s: timeouts are not what this test counts, and a loaded
        // machine (the whole suite starts at once) has made the in-process upstream miss 1 s.
        try await withDNSServer(client: nil, upstreams: [try upstream.address], upstreamTimeout: .seconds(5),
                                metrics: metrics) { dns in
            let server = dns.server
            server.apply(previous: nil, current: Objects.service("web", clusterIP: "10.96.0.20",
                                                                 ports: [Objects.port("http", 80)]))
            for resource in server.resources { server.markSynced(resource) }

            for _ in 0..<3 { #expect(try await dns.udp("web.default.svc.cluster.local.", .a)?.header.rcode == .noError) }
            for _ in 0..<2 {
                #expect(try await dns.udp("web.default.svc.cluster.local.", .aaaa)?.answers.isEmpty == true)
            }
            #expect(try await dns.udp("nothing.default.svc.cluster.local.", .a)?.header.rcode == .nxDomain)
            // Forwarded once, then answered from the cache.
            for _ in 0..<2 {
                let reply = try await dns.udp("example.test.", .a, timeoutMs: 8_000)
                #expect(addresses(reply) == ["192.0.2.7"], "reply: \(reply.map { "\($0.header.rcode)" } ?? "none")")
            }
            // A header promising a question that is not there: FORMERR, written by the server itself.
            let formErr = try #require(try await dns.rawUDP([0xAB, 0xCD, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]))
            #expect(try DNSMessage(decoding: formErr).header.rcode == .formErr)
            let srv = try #require(DNSName("_http._tcp.web.default.svc.cluster.local."))
            #expect(try await dns.tcp([DNSMessage.query(id: 7, name: srv, type: .srv)]).first?.answers.count == 1)
            // A dropped packet (too short to answer) counts nowhere.
            #expect(try await dns.rawUDP([1, 2, 3], timeoutMs: 100) == nil)

            let (bound, continuation) = AsyncStream<Int>.makeStream()
            let endpoint = Task {
                try await DNSMetricsEndpoint.serve(host: "127.0.0.1", port: 0, server: server,
                                                   onBound: { continuation.yield($0) })
            }
            defer { endpoint.cancel() }
            var port = 0
            for await p in bound {
                port = p
                break
            }
            let base = #"server="dns://127.0.0.1:0",zone=".",view="""#
            let requestsUDPA = #"coredns_dns_requests_total{\#(base),proto="udp",family="1",type="A"}"#
            // Handlers merge their counts within 100 ms; wait for the last of them.
            var values: [String: Double] = [:]
            try await eventually {
                values = samples(try await curlBody("http://127.0.0.1:\(port)/metrics"))
                return values[#"coredns_dns_request_duration_seconds_count{\#(base)}"#] == 10
            }
            #expect(values[requestsUDPA] == 6)
            #expect(values[#"coredns_dns_requests_total{\#(base),proto="udp",family="1",type="AAAA"}"#] == 2)
            #expect(values[#"coredns_dns_requests_total{\#(base),proto="udp",family="1",type="other"}"#] == 1)
            #expect(values[#"coredns_dns_requests_total{\#(base),proto="tcp",family="1",type="SRV"}"#] == 1)
            func responses(_ rcode: String, _ plugin: String) -> Double? {
                values[#"coredns_dns_responses_total{\#(base),rcode="\#(rcode)",plugin="\#(plugin)"}"#]
            }
            #expect(responses("NOERROR", "kubernetes") == 6)
            #expect(responses("NXDOMAIN", "kubernetes") == 1)
            #expect(responses("NOERROR", "forward") == 1)
            #expect(responses("NOERROR", "cache") == 1)
            #expect(responses("FORMERR", "") == 1)
            #expect(values[#"coredns_dns_request_duration_seconds_bucket{\#(base),le="+Inf"}"#] == 10)
            #expect(values[#"coredns_dns_request_size_bytes_count{\#(base),proto="udp"}"#] == 9)
            #expect(values[#"coredns_dns_response_size_bytes_count{\#(base),proto="tcp"}"#] == 1)
            #expect(values[#"coredns_dns_request_size_bytes_bucket{\#(base),proto="udp",le="100"}"#] == 9)

            let to = DNSMetrics.upstreamLabel(try upstream.address)
            #expect(values[#"coredns_forward_requests_total{to="\#(to)"}"#] == 1)
            #expect(values[#"coredns_forward_responses_total{rcode="NOERROR",to="\#(to)"}"#] == 1)
            #expect(values[#"coredns_proxy_request_duration_seconds_count{proxy_name="forward",to="\#(to)",rcode="NOERROR"}"#] == 1)
            let cache = #"server="dns://127.0.0.1:0",zones=".",view="""#
            #expect(values[#"coredns_cache_requests_total{\#(cache)}"#] == 2)
            #expect(values[#"coredns_cache_misses_total{\#(cache)}"#] == 1)
            #expect(values[#"coredns_cache_hits_total{server="dns://127.0.0.1:0",type="success",zones=".",view=""}"#] == 1)
            #expect(values[#"coredns_cache_entries{server="dns://127.0.0.1:0",type="success",zones=".",view=""}"#] == 1)
            #expect(values[#"coredns_build_info{version="test",revision="",goversion="swift6.3"}"#] == 1)
            #expect(try await curlStatus("http://127.0.0.1:\(port)/other") == "404")

            // More traffic moves the counters by exactly that much.
            for _ in 0..<4 { _ = try await dns.udp("web.default.svc.cluster.local.", .a) }
            try await eventually {
                values = samples(try await curlBody("http://127.0.0.1:\(port)/metrics"))
                return values[requestsUDPA] == 10
            }
            #expect(responses("NOERROR", "kubernetes") == 10)
            endpoint.cancel()
            _ = try? await endpoint.value
        }
    }

    @Test("SERVFAIL before the sync is counted as the server's own answer")
    func notReady() async throws {
        let metrics = DNSMetrics(host: "0.0.0.0", port: 53)
        try await withDNSServer(client: nil, metrics: metrics) { dns in
            #expect(try await dns.udp("web.default.svc.cluster.local.", .a)?.header.rcode == .servFail)
            try await eventually {
                let text = String(decoding: dns.server.metricsExposition(), as: UTF8.self)
                return samples(text)[
                    #"coredns_dns_responses_total{server="dns://:53",zone=".",view="",rcode="SERVFAIL",plugin=""}"#] == 1
            }
        }
    }

    @Test("the query type is read from the packet; CoreDNS's monitored types by name, the rest as other",
          arguments: [(DNSType.a, "A"), (.aaaa, "AAAA"), (.srv, "SRV"), (.ptr, "PTR"), (.any, "ANY"),
                      (DNSType(64), "SVCB"), (DNSType(65), "HTTPS"), (.hinfo, "other"), (DNSType(999), "other")])
    func queryType(type: DNSType, label: String) throws {
        let name = try #require(DNSName("_http._tcp.web.default.svc.cluster.local."))
        let packet = DNSMessage.query(id: 1, name: name, type: type, edns: EDNS(udpPayloadSize: 1232)).encode()
        let code = try #require(DNSMetricsTally.questionType(packet))
        #expect(code == type.rawValue)
        #expect(DNSMetrics.QueryType(code: code).label == label)
        #expect(DNSMetricsTally.questionType([0, 1, 2]) == nil)
        #expect(DNSMetricsTally.questionType(Array(packet.prefix(20))) == nil)
    }
}
