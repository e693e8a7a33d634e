import KubeModel
import Testing
@testable import DNSCore

func hex(_ text: String) -> [UInt8] {
    let digits = Array(text.utf8).filter { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\n") }
    var out: [UInt8] = []
    var i = 0
    while i + 1 < digits.count {
        let pair = String(decoding: digits[i...(i + 1)], as: UTF8.self)
        out.append(UInt8(pair, radix: 16) ?? 0)
        i += 2
    }
    return out
}

func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { b in
        let s = String(b, radix: 16)
        return s.count == 1 ? "0" + s : s
    }.joined()
}

/// Queries captured from `dig` 9.18 (bind9-dnsutils on Debian 12) sending to a UDP socket that recorded the bytes.
enum DigPackets {
    /// `dig web.default.svc.cluster.local A`: RD and AD set, EDNS 1232 with a client COOKIE option.
    static let defaultA = hex(
        "14c101200001000000000001037765620764656661756c740373766307636c7573746572056c6f63616c0000010001"
            + "00002904d000000000000c000a000813c680628ba0e749")
    /// `dig +noedns +noad web.default.svc.cluster.local A`.
    static let plainA = hex(
        "ab2901000001000000000000037765620764656661756c740373766307636c7573746572056c6f63616c0000010001")
    /// `dig +nocookie +dnssec _http._tcp.Web.Default.svc.cluster.local SRV`: DO bit, mixed case.
    static let srvDO = hex(
        "873901200001000000000001055f68747470045f746370035765620744656661756c740373766307636c7573746572056c6f"
            + "63616c000021000100002904d0000080000000")
    /// `dig -x 10.96.0.10`.
    static let ptr = hex(
        "c9b901200001000000000001023130013002393602313007696e2d61646472046172706100000c000100002904d0000000"
            + "00000c000a0008b279b0419cf13038")
}

@Suite struct CodecTests {
    @Test func decodesDigQueries() throws {
        let q = try DNSMessage(decoding: DigPackets.defaultA)
        #expect(q.header.id == 0x14C1)
        #expect(q.header.recursionDesired)
        #expect(q.header.authenticData)
        #expect(!q.header.isResponse)
        #expect(q.questions == [DNSQuestion(name: "web.default.svc.cluster.local", type: .a)])
        let edns = try #require(q.edns)
        #expect(edns.udpPayloadSize == 1232)
        #expect(edns.version == 0)
        #expect(!edns.dnssecOK)
        #expect(edns.options == [EDNS.Option(code: 10, data: hex("13c680628ba0e749"))])
        #expect(q.additional.isEmpty)

        let srv = try DNSMessage(decoding: DigPackets.srvDO)
        #expect(srv.edns?.dnssecOK == true)
        #expect(srv.questions.first?.name.description == "_http._tcp.Web.Default.svc.cluster.local.")
        #expect(srv.questions.first?.type == .srv)

        let ptr = try DNSMessage(decoding: DigPackets.ptr)
        #expect(ptr.questions.first?.name.description == "10.0.96.10.in-addr.arpa.")
        #expect(ptr.questions.first?.type == .ptr)
    }

    /// Queries carry no compressible repetition, so a decoded dig packet must encode back to the same bytes.
    @Test(arguments: [DigPackets.defaultA, DigPackets.plainA, DigPackets.srvDO, DigPackets.ptr])
    func digQueriesRoundTripExactly(_ packet: [UInt8]) throws {
        #expect(try DNSMessage(decoding: packet).encode() == packet)
    }

    @Test func answerToPlainDigQueryByteForByte() throws {
        let resolver = ClusterResolver()
        let outcome = resolver.respond(to: DigPackets.plainA, transport: .udp, index: Fixture.index())
        let expected = hex(
            "ab29 8580 0001 0001 0000 0000"
                + "037765620764656661756c740373766307636c7573746572056c6f63616c00 0001 0001"
                + "c00c 0001 0001 0000001e 0004 0a600014")
        #expect(outcome == .reply(expected))
    }

    @Test func answerToEDNSDigQueryEchoesOPTWithoutTheCookie() throws {
        let outcome = ClusterResolver().respond(to: DigPackets.defaultA, transport: .udp, index: Fixture.index())
        let expected = hex(
            "14c1 8580 0001 0001 0000 0001"
                + "037765620764656661756c740373766307636c7573746572056c6f63616c00 0001 0001"
                + "c00c 0001 0001 0000001e 0004 0a600014"
                + "00 0029 04d0 00000000 0000")
        #expect(outcome == .reply(expected))
    }

    /// The SRV target is written in full (RFC 2782), the additional A record points into it, the question's
    /// mixed case comes back in the answer's owner via the pointer to offset 12, and DO is echoed.
    @Test func srvAnswerByteForByte() throws {
        let outcome = ClusterResolver().respond(to: DigPackets.srvDO, transport: .udp, index: Fixture.index())
        let expected = hex(
            "8739 8580 0001 0001 0000 0002"
                + "055f68747470045f746370035765620744656661756c740373766307636c7573746572056c6f63616c00 0021 0001"
                + "c00c 0021 0001 0000001e 0025 0000 0064 0050"
                + "037765620764656661756c740373766307636c7573746572056c6f63616c00"
                + "c04c 0001 0001 0000001e 0004 0a600014"
                + "00 0029 04d0 00 00 8000 0000")
        #expect(outcome == .reply(expected), "\(outcome)")
    }

    static let everyKind: [DNSRecord] = [
        DNSRecord(name: "a.example", ttl: 30, data: .a(ip("10.0.0.1"))),
        DNSRecord(name: "A.Example", ttl: 30, data: .aaaa(ip("fd00::1"))),
        DNSRecord(name: "c.example", ttl: 5, data: .cname("target.example")),
        DNSRecord(name: "example", ttl: 3600, data: .ns("ns.example")),
        DNSRecord(name: "1.0.0.10.in-addr.arpa", ttl: 30, data: .ptr("a.example")),
        DNSRecord(name: "example", ttl: 30, data: .mx(preference: 10, exchange: "mail.example")),
        DNSRecord(name: "t.example", ttl: 30, data: .txt([Array("1.1.0".utf8), [], Array(repeating: 0x41, count: 255)])),
        DNSRecord(name: "_http._tcp.example", ttl: 30,
                  data: .srv(DNSRecord.SRV(priority: 1, weight: 2, port: 80, target: "a.example"))),
        DNSRecord(name: "example", ttl: 30, data: .soa(DNSRecord.SOA(
            mname: "ns.example", rname: "hostmaster.example", serial: 7, refresh: 7200, retry: 1800,
            expire: 86400, minimum: 5))),
        DNSRecord(name: "x.example", type: DNSType(65280), ttl: 1, data: .unknown([1, 2, 3])),
        DNSRecord(name: "x.example", type: .a, class: .chaos, ttl: 1, data: .unknown([0xC0, 0x0C])),
    ]

    @Test func everyRecordKindRoundTrips() throws {
        let message = DNSMessage(
            header: DNSHeader(id: 0xBEEF, isResponse: true, opcode: .query, authoritative: true,
                              recursionDesired: true, recursionAvailable: true, checkingDisabled: true,
                              rcode: .nxDomain),
            questions: [DNSQuestion(name: "A.example", type: .any)],
            answers: Self.everyKind,
            authority: [Self.everyKind[8]],
            additional: [Self.everyKind[0]],
            edns: EDNS(udpPayloadSize: 4096, dnssecOK: true, options: [EDNS.Option(code: 10, data: [1, 2, 3, 4])]))
        let bytes = message.encode()
        let decoded = try DNSMessage(decoding: bytes)
        #expect(decoded == message)
        // Case is preserved byte for byte, not only equal under folding.
        #expect(decoded.questions[0].name.wire == message.questions[0].name.wire)
        #expect(decoded.answers.map(\.name.wire) == message.answers.map(\.name.wire))
        #expect(decoded.encode() == bytes)
    }

    @Test func extendedRcodeTravelsInOPT() throws {
        var message = DNSMessage(header: DNSHeader(id: 1, isResponse: true, rcode: .badVers), edns: EDNS())
        let bytes = message.encode()
        #expect(bytes[3] & 0x0F == 0)
        let decoded = try DNSMessage(decoding: bytes)
        #expect(decoded.header.rcode == .badVers)
        message.edns = nil
        #expect(try DNSMessage(decoding: message.encode()).header.rcode == .noError)
    }

    @Test func compressionSharesSuffixesButOnlyExactCase() throws {
        let message = DNSMessage(
            header: DNSHeader(id: 1, isResponse: true),
            questions: [DNSQuestion(name: "web.default.svc.cluster.local", type: .a)],
            answers: [
                DNSRecord(name: "web.default.svc.cluster.local", ttl: 30, data: .a(ip("10.0.0.1"))),
                DNSRecord(name: "db.default.svc.cluster.local", ttl: 30, data: .cname("x.other.svc.cluster.local")),
                DNSRecord(name: "WEB.default.svc.cluster.local", ttl: 30, data: .a(ip("10.0.0.2"))),
            ])
        let bytes = message.encode()
        // Question 12..<47; first answer owner is a pointer to 12.
        #expect(Array(bytes[47..<49]) == [0xC0, 0x0C])
        // "db" then a pointer to "default.svc.cluster.local" at offset 16.
        #expect(Array(bytes[63..<68]) == [2, 0x64, 0x62, 0xC0, 0x10])
        let decoded = try DNSMessage(decoding: bytes)
        #expect(decoded.answers.map(\.name.wire) == message.answers.map(\.name.wire))
        #expect(decoded.answers[1].data == .cname("x.other.svc.cluster.local"))
        #expect(bytes.count < 47 + 3 * 16 + 30)
    }

    @Test func decompressionFollowsPointersAnywhereBackwards() throws {
        // Question name "a.b" at 12, then an answer whose owner is "c" + pointer to "b" (offset 14).
        let packet = hex("0001 8000 0001 0001 0000 0000" + "0161 0162 00 0001 0001"
            + "0163 c00e 0001 0001 00000001 0004 01020304")
        let message = try DNSMessage(decoding: packet)
        #expect(message.answers.first?.name.description == "c.b.")
    }

    @Test func emptyMessageAndMaximalName() throws {
        let empty = DNSMessage(header: DNSHeader(id: 9))
        #expect(try DNSMessage(decoding: empty.encode()) == empty)
        let label = String(repeating: "z", count: 63)
        let longest = try #require(DNSName([label, label, label, String(repeating: "y", count: 61)].joined(separator: ".")))
        let q = DNSMessage.query(id: 3, name: longest, type: .a)
        #expect(try DNSMessage(decoding: q.encode()).questions.first?.name.wire == longest.wire)
    }
}

@Suite struct DecodeErrorTests {
    static let header = "1234 0100"

    static func expectError(_ packet: [UInt8], _ reason: DNSDecodeError.Reason, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try DNSMessage(decoding: packet)
            Issue.record("decoded", sourceLocation: sourceLocation)
        } catch {
            #expect(error.reason == reason, sourceLocation: sourceLocation)
        }
    }

    @Test func shortHeader() {
        Self.expectError([], .shortHeader)
        Self.expectError(hex("1234 0100 0001 0000 0000"), .shortHeader)
    }

    @Test func countsBeyondTheData() {
        Self.expectError(hex("\(Self.header) ffff 0000 0000 0000"), .truncated)
        Self.expectError(hex("\(Self.header) 0001 0001 0000 0000 0161 00 0001 0001"), .truncated)
        Self.expectError(hex("\(Self.header) 0001 0000 0000 0000 0161"), .truncated)
    }

    @Test func oversizedLabel() {
        let label = [UInt8(64)] + Array(repeating: 0x61, count: 64)
        Self.expectError(hex("\(Self.header) 0001 0000 0000 0000") + label + [0, 0, 1, 0, 1], .reservedLabelType)
    }

    @Test func nameOver255Bytes() {
        var name: [UInt8] = []
        for _ in 0..<5 { name += [UInt8(60)] + Array(repeating: 0x61, count: 60) }
        Self.expectError(hex("\(Self.header) 0001 0000 0000 0000") + name + [0, 0, 1, 0, 1], .nameTooLong)
    }

    @Test func nameOver255BytesThroughPointers() {
        // Each question name is a 60-byte label plus a pointer to the previous question's name: the fifth is over.
        var packet = hex("\(Self.header) 0005 0000 0000 0000")
        var previous = -1
        for _ in 0..<5 {
            let start = packet.count
            packet += [60] + Array(repeating: 0x62, count: 60)
            if previous < 0 {
                packet.append(0)
            } else {
                packet += [0xC0 | UInt8(previous >> 8), UInt8(previous & 0xFF)]
            }
            packet += [0, 1, 0, 1]
            previous = start
        }
        Self.expectError(packet, .nameTooLong)
    }

    @Test func pointerLoops() {
        // Pointer to itself.
        Self.expectError(hex("\(Self.header) 0001 0000 0000 0000 c00c 0001 0001"), .badPointer)
        // Forward pointer.
        Self.expectError(hex("\(Self.header) 0001 0000 0000 0000 c00e 00 0001 0001"), .badPointer)
        // Label then a pointer back into the same name.
        Self.expectError(hex("\(Self.header) 0001 0000 0000 0000 0161 c00c 0001 0001"), .badPointer)
        // Two names pointing at each other: the second points back to the first, whose pointer points forward.
        Self.expectError(hex("\(Self.header) 0002 0000 0000 0000 c012 0001 0001 c00c 0001 0001"), .badPointer)
        // Pointer past the end.
        Self.expectError(hex("\(Self.header) 0001 0000 0000 0000 c0"), .truncated)
    }

    @Test func reservedLabelTypes() {
        Self.expectError(hex("\(Self.header) 0001 0000 0000 0000 4161 00 0001 0001"), .reservedLabelType)
        Self.expectError(hex("\(Self.header) 0001 0000 0000 0000 8161 00 0001 0001"), .reservedLabelType)
    }

    @Test func rdataLengthMismatch() {
        // A record with 5 bytes of rdata.
        Self.expectError(hex("1234 8000 0000 0001 0000 0000 00 0001 0001 00000001 0005 0102030405"), .rdataLength)
        // CNAME whose name runs past its rdlength.
        Self.expectError(hex("1234 8000 0000 0001 0000 0000 00 0005 0001 00000001 0002 0161 00"), .rdataLength)
        // TXT string longer than the rdata.
        Self.expectError(hex("1234 8000 0000 0001 0000 0000 00 0010 0001 00000001 0002 0561"), .rdataLength)
    }

    @Test func badOPT() {
        let q = "\(Self.header) 0001 0000 0000 0002 0161 00 0001 0001"
        let opt = "00 0029 1000 00000000 0000"
        Self.expectError(hex(q + opt + opt), .badOPT)
        Self.expectError(hex("\(Self.header) 0001 0000 0000 0001 0161 00 0001 0001 0161 00 0029 1000 00000000 0000"),
                         .badOPT)
        Self.expectError(hex("\(Self.header) 0001 0000 0000 0001 0161 00 0001 0001 00 0029 1000 00000000 0003 000a00"),
                         .badOPT)
    }

    @Test func errorKeepsIDAndQuestionForFORMERR() throws {
        let packet = hex("abcd 0100 0001 0000 0000 0001 0377656200 0001 0001 0161 00 0029 1000 00000000 0000")
        do {
            _ = try DNSMessage(decoding: packet)
            Issue.record("decoded")
        } catch {
            #expect(error.header?.id == 0xABCD)
            #expect(error.question == DNSQuestion(name: "web", type: .a))
            let reply = try #require(error.formatErrorResponse(recursionAvailable: true))
            #expect(reply.header.rcode == .formErr)
            #expect(reply.header.recursionDesired)
            #expect(reply.questions.count == 1)
        }
        let outcome = ClusterResolver().respond(to: packet, transport: .udp, index: Fixture.index())
        guard case .reply(let bytes) = outcome else {
            Issue.record("no reply")
            return
        }
        let reply = try DNSMessage(decoding: bytes)
        #expect(reply.header.id == 0xABCD)
        #expect(reply.header.rcode == .formErr)
        #expect(reply.questions.first?.name == "web")
    }

    @Test func responsesAndHeaderlessPacketsAreDropped() {
        let resolver = ClusterResolver()
        let index = Fixture.index()
        #expect(resolver.respond(to: [1, 2, 3], transport: .udp, index: index) == .drop)
        // A response (QR set), well-formed or not, is never answered.
        #expect(resolver.respond(to: hex("1234 8000 0000 0000 0000 0000"), transport: .udp, index: index) == .drop)
        #expect(resolver.respond(to: hex("1234 8000 0001 0000 0000 0000 c0"), transport: .udp, index: index) == .drop)
    }
}
