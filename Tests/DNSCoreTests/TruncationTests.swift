import KubeModel
import Testing
@testable import DNSCore

@Suite struct TruncationTests {
    /// A headless service with 100 ready endpoints named `pod-<i>`.
    static let index: ClusterDNSIndex = {
        var builder = ClusterDNSIndex.Builder()
        builder.upsertService(Fixture.service("big", clusterIP: "None", ports: [Fixture.port("http", 8080)]))
        let endpoints = (0..<100).map { i in Fixture.endpoint("10.244.\(i / 50).\(i % 50 + 10)", hostname: "pod-\(i)") }
        builder.upsertEndpointSlice(Fixture.slice("big-1", service: "big", endpoints: endpoints,
                                                  ports: [Fixture.port("http", 8080)]))
        return builder.snapshot()
    }()

    func reply(_ type: DNSType, edns: EDNS?, transport: DNSTransport,
               name: String = "big.default.svc.cluster.local") throws -> ([UInt8], DNSMessage) {
        let packet = DNSMessage.query(id: 42, name: DNSName(name) ?? .root, type: type, edns: edns).encode()
        guard case .reply(let bytes) = ClusterResolver().respond(to: packet, transport: transport, index: Self.index) else {
            Issue.record("no reply")
            return ([], DNSMessage())
        }
        return (bytes, try DNSMessage(decoding: bytes))
    }

    @Test func hundredAddressesOverPlainUDPAreCutAt512WithTC() throws {
        let (bytes, message) = try reply(.a, edns: nil, transport: .udp)
        #expect(bytes.count <= 512)
        #expect(message.header.truncated)
        #expect(message.header.rcode == .noError)
        // Every record that is there is whole: 12 + 35 question, 16 bytes per compressed A record.
        #expect(message.answers.count == (512 - 12 - 35) / 16)
        #expect(message.answers.allSatisfy { $0.type == .a })
    }

    @Test func ednsRaisesTheLimitToTheSmallerOfBothSizes() throws {
        let (bytes, message) = try reply(.a, edns: EDNS(udpPayloadSize: 4096), transport: .udp)
        // 12 + 35 + 100 × 16 + 11 = 1658 > 1232: still truncated, at our 1232.
        #expect(bytes.count <= 1232)
        #expect(message.header.truncated)
        #expect(message.answers.count == (1232 - 12 - 35 - 11) / 16)
        #expect(message.edns != nil)
        let small = try reply(.a, edns: EDNS(udpPayloadSize: 100), transport: .udp)
        #expect(small.0.count <= 512 && small.1.header.truncated)
    }

    @Test func tcpCarriesTheWholeAnswer() throws {
        let (bytes, message) = try reply(.a, edns: nil, transport: .tcp)
        #expect(!message.header.truncated)
        #expect(message.answers.count == 100)
        #expect(bytes.count == 12 + 35 + 100 * 16)
    }

    @Test func srvAnswerTruncatesAndDropsGlueFirst() throws {
        let (bytes, message) = try reply(.srv, edns: nil, transport: .udp, name: "_http._tcp.big.default.svc.cluster.local")
        #expect(bytes.count <= 512)
        #expect(message.header.truncated)
        #expect(message.answers.count > 0 && message.answers.count < 100)
        #expect(message.additional.isEmpty)
        let full = try reply(.srv, edns: nil, transport: .tcp, name: "_http._tcp.big.default.svc.cluster.local")
        #expect(full.1.answers.count == 100)
        #expect(full.1.additional.count == 100)
        #expect(!full.1.header.truncated)
        // Weight: 100 shared by 100 targets.
        #expect(full.1.answers.allSatisfy { if case .srv(let s) = $0.data { s.weight == 1 } else { false } })
    }

    @Test func droppingOnlyAdditionalRecordsDoesNotSetTC() throws {
        let message = DNSMessage(
            header: DNSHeader(id: 1, isResponse: true),
            questions: [DNSQuestion(name: "q.example", type: .srv)],
            answers: [DNSRecord(name: "q.example", ttl: 1,
                                data: .srv(DNSRecord.SRV(priority: 0, weight: 1, port: 1, target: "t.example")))],
            additional: (0..<60).map { i in DNSRecord(name: DNSName("t\(i).example") ?? .root,
                                                       ttl: 1, data: .a(IPAddress(v4: UInt32(i)))) },
            edns: EDNS())
        let (bytes, dropped) = message.encodeReportingTruncation(maxSize: 512)
        #expect(dropped)
        #expect(bytes.count <= 512)
        let decoded = try DNSMessage(decoding: bytes)
        #expect(!decoded.header.truncated)
        #expect(decoded.answers.count == 1)
        #expect(decoded.additional.count > 0 && decoded.additional.count < 60)
        #expect(decoded.edns != nil)
    }

    @Test func truncationRollsBackCompressionState() throws {
        // After a record is cut, later names must not point into the bytes that were removed.
        var answers: [DNSRecord] = []
        for i in 0..<40 {
            answers.append(DNSRecord(name: DNSName("host-\(i).zone-\(i).example") ?? .root, ttl: 1,
                                     data: .cname(DNSName("target.zone-\(i).example") ?? .root)))
        }
        let message = DNSMessage(header: DNSHeader(id: 1, isResponse: true), answers: answers,
                                 additional: [DNSRecord(name: "host-39.zone-39.example", ttl: 1, data: .a(IPAddress(v4: 1)))])
        for limit in stride(from: 512, through: 2048, by: 37) {
            let bytes = message.encode(maxSize: limit)
            #expect(bytes.count <= limit)
            let decoded = try DNSMessage(decoding: bytes)
            #expect(decoded.answers == Array(answers.prefix(decoded.answers.count)))
        }
    }
}
