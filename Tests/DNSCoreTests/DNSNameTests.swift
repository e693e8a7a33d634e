import Testing
@testable import DNSCore

@Suite struct DNSNameTests {
    @Test func parsesAndPrints() throws {
        let name = try #require(parse("web.default.svc.cluster.local"))
        #expect(name.description == "web.default.svc.cluster.local.")
        #expect(name.labelCount == 5)
        #expect(name.wire.count == 31)
        #expect(parse("web.default.svc.cluster.local.") == name)
        #expect(parse(".")?.isRoot == true)
        #expect(DNSName.root.description == ".")
    }

    @Test(arguments: ["", "a..b", ".a", "a.b..", String(repeating: "x", count: 64) + ".local"])
    func rejectsMalformedText(_ text: String) {
        #expect(DNSName(text) == nil)
    }

    @Test func enforcesTheNameLimit() {
        let label = String(repeating: "a", count: 63)
        // 4 × 64 + 1 = 257 bytes: too long; 3 labels of 63 plus one of 61 = 255: the maximum.
        #expect(DNSName([label, label, label, label].joined(separator: ".")) == nil)
        let maximal = DNSName([label, label, label, String(repeating: "b", count: 61)].joined(separator: "."))
        #expect(maximal?.wire.count == 255)
    }

    @Test func escapesRoundTrip() throws {
        let name = try #require(DNSName(wire: [3, 0x61, 0x2E, 0x00, 2, 0xFF, 0x41, 0]))
        #expect(name.description == "a\\.\\000.\\255A.")
        let back = try #require(DNSName(name.description))
        #expect(back.wire == name.wire)
    }

    @Test func comparesWithoutCaseButKeepsIt() throws {
        let upper = try #require(parse("WeB.DeFault.SVC.Cluster.Local"))
        let lower = try #require(parse("web.default.svc.cluster.local"))
        #expect(upper == lower)
        #expect(upper.hashValue == lower.hashValue)
        #expect(upper.wire != lower.wire)
        #expect(upper.description == "WeB.DeFault.SVC.Cluster.Local.")
        #expect(upper.lowercased().wire == lower.wire)
        var table: [DNSName: Int] = [lower: 1]
        #expect(table[upper] == 1)
        table[upper] = 2
        #expect(table.count == 1)
    }

    /// The eight-at-a-time case folding must agree with byte-wise folding on every byte value.
    @Test func wordFoldingMatchesByteFolding() {
        for b in 0...255 {
            let byte = UInt8(b)
            var word: UInt64 = 0
            for k in 0..<8 { word |= UInt64(byte) << (8 * UInt64(k)) }
            let folded = DNSName.lowerWord(word)
            for k in 0..<8 {
                #expect(UInt8(truncatingIfNeeded: folded >> (8 * UInt64(k))) == DNSName.lower(byte))
            }
        }
        // Mixed words: a capital next to bytes with the top bit set.
        let mixed: [UInt8] = [0x41, 0xC1, 0x5A, 0x5B, 0x40, 0xDA, 0x61, 0x7A]
        var word: UInt64 = 0
        for (k, b) in mixed.enumerated() { word |= UInt64(b) << (8 * UInt64(k)) }
        let folded = DNSName.lowerWord(word)
        for (k, b) in mixed.enumerated() {
            #expect(UInt8(truncatingIfNeeded: folded >> (8 * UInt64(k))) == DNSName.lower(b))
        }
    }

    @Test func subdomains() throws {
        let zone = try #require(parse("cluster.local"))
        #expect(try #require(parse("a.svc.CLUSTER.local")).isSubdomain(of: zone))
        #expect(zone.isSubdomain(of: zone))
        #expect(try #require(parse("xcluster.local")).isSubdomain(of: zone) == false)
        #expect(try #require(parse("local")).isSubdomain(of: zone) == false)
        #expect(zone.isSubdomain(of: .root))
        // A label whose bytes happen to end like the zone is not a match.
        let tricky = try #require(DNSName(wire: [13] + Array("a.cluster.loc".utf8) + [5] + Array("local".utf8) + [0]))
        #expect(tricky.isSubdomain(of: zone) == false)
    }

    @Test func parentAndPrepend() throws {
        let name = try #require(parse("web.default.svc.cluster.local"))
        #expect(name.parent == DNSName("default.svc.cluster.local"))
        #expect(name.prepending("_tcp")?.description == "_tcp.web.default.svc.cluster.local.")
        #expect(name.prepending(String(repeating: "x", count: 64)) == nil)
        #expect(DNSName.root.parent == nil)
    }

    @Test func reverseNames() {
        #expect(reverseName(ip("10.96.0.10")).description == "10.0.96.10.in-addr.arpa.")
        #expect(reverseName(ip("fd00:10:96::a")).description
            == "a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.1.0.0.0.0.d.f.ip6.arpa.")
    }

    @Test func dashedLabels() throws {
        #expect(dashedLabel(ip("10.244.1.5")) == "10-244-1-5")
        #expect(dashedLabel(ip("fd00:10:244:1::5")) == "fd00-10-244-1--5")
        #expect(dashedLabel(ip("fd00::")) == "fd00--0")
        for text in ["10.244.1.5", "fd00:10:244:1::5", "fd00::", "::1", "1:2:3:4:5:6:7:8"] {
            let address = ip(text)
            #expect(addressFromDashed(Array(dashedLabel(address).utf8)[...]) == address, "\(text)")
        }
        #expect(addressFromDashed(Array("10-244-1".utf8)[...]) == nil)
        #expect(addressFromDashed(Array("web".utf8)[...]) == nil)
        #expect(addressFromDashed(Array("300-1-1-1".utf8)[...]) == nil)
    }
}
