import KubeModel
import Testing
@testable import DNSCore

/// A small deterministic generator (PCG-style LCG) so failures reproduce.
struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state
    }
    mutating func int(_ bound: Int) -> Int { bound <= 0 ? 0 : Int(truncatingIfNeeded: next() >> 33) % bound }
    mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next() >> 40) }
}

/// Throws a large number of hostile packets at the decoder and the whole respond path. Each must either decode or
/// throw, get a reply or be dropped, never trap or hang, and every reply must itself decode and fit its transport.
@Suite struct RobustnessTests {
    static let index = Fixture.index()
    static let resolver = ClusterResolver()

    static func exercise(_ packet: [UInt8]) {
        let decoded = try? DNSMessage(decoding: packet)
        if let decoded {
            // Whatever decodes must survive its own encoding.
            #expect((try? DNSMessage(decoding: decoded.encode())) != nil)
        }
        for transport in [DNSTransport.udp, .tcp] {
            switch resolver.respond(to: packet, transport: transport, index: index) {
            case .reply(let bytes):
                #expect(bytes.count <= (transport == .udp ? 1232 : 65535))
                let reply = try? DNSMessage(decoding: bytes)
                #expect(reply != nil)
                #expect(reply?.header.isResponse == true)
                if packet.count >= 2 {
                    #expect(reply?.header.id == UInt16(packet[0]) << 8 | UInt16(packet[1]))
                }
            case .forward(let query):
                #expect(decoded == query)
            case .chase(_, let partial, _):
                #expect(partial.answers.first?.type == .cname)
            case .drop:
                // Only for packets with no header or with QR set.
                #expect(packet.count < 12 || packet[2] & 0x80 != 0)
            }
        }
    }

    static var seeds: [[UInt8]] {
        var seeds = [DigPackets.defaultA, DigPackets.plainA, DigPackets.srvDO, DigPackets.ptr]
        for (name, type) in [("web.default.svc.cluster.local", DNSType.a), ("_pg._tcp.db.default.svc.cluster.local", .srv),
                             ("ext.default.svc.cluster.local", .a), ("nope.cluster.local", .aaaa),
                             ("5.1.244.10.in-addr.arpa", .ptr), ("example.com", .mx)] {
            seeds.append(DNSMessage.query(id: 1, name: DNSName(name) ?? .root, type: type, edns: EDNS()).encode())
        }
        // A response with every record kind, compressed, so mutations hit rdata decoding and pointers too.
        seeds.append(DNSMessage(header: DNSHeader(id: 5), questions: [DNSQuestion(name: "a.example", type: .any)],
                                answers: CodecTests.everyKind, authority: [CodecTests.everyKind[8]],
                                edns: EDNS(options: [EDNS.Option(code: 10, data: [1, 2, 3, 4, 5, 6, 7, 8])])).encode())
        return seeds
    }

    @Test func randomPackets() {
        var random = TestRandom(seed: 1)
        for _ in 0..<20_000 {
            let length = random.int(80)
            var packet = (0..<length).map { _ in random.byte() }
            // Half the time make it look like a query with small counts, so the parser gets further in.
            if length >= 12 && random.int(2) == 0 {
                packet[2] &= 0x7F
                packet[4] = 0
                packet[5] = UInt8(random.int(3))
                for i in [6, 8, 10] {
                    packet[i] = 0
                    packet[i + 1] = UInt8(random.int(3))
                }
            }
            Self.exercise(packet)
        }
    }

    @Test func mutatedPackets() {
        var random = TestRandom(seed: 2)
        let seeds = Self.seeds
        for _ in 0..<30_000 {
            var packet = seeds[random.int(seeds.count)]
            for _ in 0..<(1 + random.int(4)) {
                guard !packet.isEmpty else { break }
                switch random.int(6) {
                case 0: packet[random.int(packet.count)] = random.byte()
                case 1: packet[random.int(packet.count)] ^= 1 << UInt8(random.int(8))
                case 2: packet.removeLast(random.int(packet.count))
                case 3: packet.insert(random.byte(), at: random.int(packet.count))
                case 4:
                    // A compression pointer anywhere.
                    let at = random.int(packet.count)
                    packet[at] = 0xC0 | UInt8(random.int(4))
                    if at + 1 < packet.count { packet[at + 1] = random.byte() }
                default:
                    // A section count set large.
                    let field = 4 + 2 * random.int(4)
                    if field + 1 < packet.count {
                        packet[field] = random.byte()
                        packet[field + 1] = random.byte()
                    }
                }
            }
            Self.exercise(packet)
        }
    }

    @Test func craftedHostilePackets() {
        var cases: [[UInt8]] = []
        let header = hex("1234 0100 0001 0000 0000 0000")
        // A chain of 100 pointers, each one pointing at the one before: long but legal until 255 bytes.
        var chain = hex("1234 0100 0064 0000 0000 0000")
        var previous = -1
        for _ in 0..<100 {
            let start = chain.count
            chain += [1, 0x61]
            chain += previous < 0 ? [0] : [0xC0 | UInt8(previous >> 8), UInt8(previous & 0xFF)]
            chain += [0, 1, 0, 1]
            previous = start
        }
        cases.append(chain)
        // Pointer pairs that point at each other, at every distance.
        for d in 0..<20 {
            cases.append(header + [0xC0, UInt8(12 + d), 0xC0, 12, 0, 1, 0, 1])
        }
        // Maximal counts with no data, and with a little data.
        cases.append(hex("ffff 0000 ffff ffff ffff ffff"))
        cases.append(hex("ffff 0000 0001 ffff 0000 0000 00 0001 0001") + Array(repeating: 0, count: 100))
        // Labels of every length byte value.
        for length in 0...255 {
            cases.append(header + [UInt8(length)] + Array(repeating: 0x61, count: min(length, 70)) + [0, 0, 1, 0, 1])
        }
        // An OPT record claiming a huge rdata, and a record of length 0xFFFF.
        cases.append(hex("1234 0100 0001 0000 0000 0001 0161 00 0001 0001 00 0029 1000 00000000 ffff"))
        cases.append(hex("1234 8000 0000 0001 0000 0000 00 0001 0001 00000001 ffff"))
        // Every opcode and every flag combination on a valid query.
        for flags in stride(from: 0, through: 0xFFFF, by: 0x0101) {
            var q = DigPackets.defaultA
            q[2] = UInt8(flags >> 8)
            q[3] = UInt8(flags & 0xFF)
            cases.append(q)
        }
        // Every prefix of every seed.
        for seed in Self.seeds {
            for n in 0...seed.count { cases.append(Array(seed.prefix(n))) }
        }
        for packet in cases { Self.exercise(packet) }
    }

    /// The resolver must answer any decoded query, whatever its name, type and class.
    @Test func resolverAnswersArbitraryQuestions() {
        var random = TestRandom(seed: 3)
        let labels = ["web", "db", "db-0", "default", "other", "svc", "pod", "cluster", "local", "in-addr", "arpa", "ip6",
                      "_http", "_tcp", "10-244-1-5", "fd00--1", "5", "1", "244", "10", "*", "WEB", "Default", "ns", "dns",
                      "dns-version", "ext", "alias", "loop1", "empty", "peers", "x"]
        let types: [DNSType] = [.a, .aaaa, .srv, .ptr, .txt, .cname, .ns, .soa, .any, .axfr, .ixfr, .opt, .mx, DNSType(99)]
        let classes: [DNSClass] = [.in, .any, .chaos, .none, DNSClass(77)]
        for _ in 0..<10_000 {
            let parts = (0..<(1 + random.int(7))).map { _ in labels[random.int(labels.count)] }
            var name = DNSName(labels: parts) ?? .root
            if random.int(2) == 0, let inZone = DNSName((parts + ["cluster", "local"]).joined(separator: ".")) {
                name = inZone
            }
            let query = DNSMessage.query(id: UInt16(random.int(65536)), name: name, type: types[random.int(types.count)],
                                         class: classes[random.int(classes.count)],
                                         edns: random.int(2) == 0 ? EDNS(version: UInt8(random.int(2))) : nil)
            switch Self.resolver.answer(query, index: Self.index) {
            case .answer(let m):
                #expect(m.header.id == query.header.id)
                #expect(m.questions == query.questions)
                #expect((try? DNSMessage(decoding: m.encode(maxSize: 512))) != nil)
            case .chase(let partial, let target):
                #expect(!target.isSubdomain(of: Self.index.zone))
                #expect(partial.answers.last?.data == .cname(target))
            case .forward, .refused:
                #expect(!name.isSubdomain(of: Self.index.zone) || query.questions[0].class != .in
                    || query.questions[0].type == .axfr || query.questions[0].type == .ixfr)
            }
        }
    }
}
