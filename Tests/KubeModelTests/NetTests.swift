import Testing
@testable import KubeModel

@Suite("IP addresses")
struct NetIPAddressTests {
    @Test(arguments: ipParseCases)
    func parse(_ c: IPParseCase) {
        #expect(IPAddress.parse(c.input)?.description == c.strict)
        #expect(IPAddress.parseSloppy(c.input)?.description == c.sloppy)
    }

    @Test func canonicalIPv6Text() throws {
        let cases = [
            ("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
            ("0:0:0:0:0:0:0:0", "::"),
            ("0:0:0:0:0:0:0:1", "::1"),
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),  // a single zero group is not compressed
            ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),  // the longest run wins
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),  // the first of equal runs wins
            ("::ffff:1.2.3.4", "::ffff:1.2.3.4"),
            ("::ffff:0102:0304", "::ffff:1.2.3.4"),
            ("fe80::", "fe80::"),
        ]
        for (input, expected) in cases {
            #expect(try #require(IPAddress.parse(input)).description == expected)
        }
    }

    @Test func familiesAndBytes() throws {
        let v4 = try #require(IPAddress.parse("10.96.0.1"))
        #expect(v4.isV4 && !v4.isV6)
        #expect(v4.bytes == [10, 96, 0, 1])
        #expect(v4 == IPAddress(10, 96, 0, 1))
        #expect(IPAddress(bytes: [10, 96, 0, 1]) == v4)
        #expect(IPAddress(bytes: [1, 2, 3]) == nil)
        let v6 = try #require(IPAddress.parse("2001:db8::1"))
        #expect(v6.isV6)
        #expect(v6.bytes == [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
        #expect(IPAddress(bytes: v6.bytes) == v6)
        #expect(v6.bitLength == 128 && v4.bitLength == 32)
    }

    @Test func mappedAddressesStayIPv6() throws {
        let mapped = try #require(IPAddress.parse("::ffff:10.0.0.1"))
        #expect(mapped.isV6)
        #expect(mapped.isV4Mapped)
        #expect(mapped.unmapped == IPAddress(10, 0, 0, 1))
        #expect(mapped != IPAddress(10, 0, 0, 1))
        #expect(IPAddress.parseSloppy("::ffff:10.0.0.1") == IPAddress(10, 0, 0, 1))
    }

    @Test func specialAddresses() throws {
        #expect(try #require(IPAddress.parse("0.0.0.0")).isUnspecified)
        #expect(try #require(IPAddress.parse("::")).isUnspecified)
        #expect(try #require(IPAddress.parse("127.0.0.53")).isLoopback)
        #expect(try #require(IPAddress.parse("::1")).isLoopback)
        #expect(try !#require(IPAddress.parse("10.0.0.1")).isLoopback)
    }

    @Test func arithmetic() throws {
        let ip = IPAddress(10, 96, 0, 255)
        #expect(ip.adding(1) == IPAddress(10, 96, 1, 0))
        #expect(ip.adding(-256) == IPAddress(10, 95, 255, 255))
        #expect(IPAddress(255, 255, 255, 255).adding(1) == nil)
        #expect(IPAddress(0, 0, 0, 0).adding(-1) == nil)
        #expect(IPAddress(0, 0, 0, 0).adding(Int64(UInt32.max)) == IPAddress(255, 255, 255, 255))
        let v6 = try #require(IPAddress.parse("fd00::ffff"))
        #expect(v6.adding(1)?.description == "fd00::1:0")
        #expect(IPAddress(v6: .max).adding(1) == nil)
        #expect(IPAddress(v6: 0).adding(-1) == nil)
        #expect(ip.distance(to: IPAddress(10, 96, 1, 4)) == 5)
        #expect(IPAddress(10, 96, 1, 4).distance(to: ip) == -5)
        #expect(ip.distance(to: v6) == nil)
        #expect(IPAddress(v6: 0).distance(to: IPAddress(v6: .max)) == nil)
    }

    @Test func ordering() throws {
        let sorted = try ["::1", "10.0.0.2", "10.0.0.10", "1.2.3.4", "::ffff:0.0.0.1"].map {
            try #require(IPAddress.parse($0))
        }.sorted()
        #expect(sorted.map(\.description) == ["1.2.3.4", "10.0.0.2", "10.0.0.10", "::1", "::ffff:0.0.0.1"])
    }
}

@Suite("CIDRs")
struct NetCIDRTests {
    @Test(arguments: cidrParseCases)
    func parse(_ c: CIDRParseCase) {
        #expect(CIDR.parse(c.input)?.description == c.strict)
        let split = CIDR.parseAddressAndNetwork(c.input)
        #expect(split?.address.description == c.address)
        #expect(split?.network.description == c.network)
        #expect(CIDR.parseLenient(c.input)?.description == c.lenient)
    }

    @Test func serviceRangeBoundaries() throws {
        let range = try #require(CIDR.parse("10.96.0.0/12"))
        #expect(range.isV4)
        #expect(range.prefixLength == 12)
        #expect(range.hostBits == 20)
        #expect(range.size == 1_048_576)
        #expect(range.network.description == "10.96.0.0")
        #expect(range.mask.description == "255.240.0.0")
        #expect(range.last.description == "10.111.255.255")
        #expect(range.broadcast?.description == "10.111.255.255")
        #expect(range.address(at: 0)?.description == "10.96.0.0")
        #expect(range.address(at: 1)?.description == "10.96.0.1")
        #expect(range.address(at: 10)?.description == "10.96.0.10")
        #expect(range.address(at: 256)?.description == "10.96.1.0")
        #expect(range.address(at: 1_048_575)?.description == "10.111.255.255")
        #expect(range.address(at: 1_048_576) == nil)
        #expect(range.index(of: IPAddress(10, 96, 0, 0)) == 0)
        #expect(range.index(of: IPAddress(10, 96, 0, 10)) == 10)
        #expect(range.index(of: IPAddress(10, 111, 255, 255)) == 1_048_575)
        #expect(range.index(of: IPAddress(10, 112, 0, 0)) == nil)
        #expect(range.index(of: IPAddress(10, 95, 255, 255)) == nil)
        #expect(range.contains(IPAddress(10, 100, 1, 1)))
        #expect(!range.contains(IPAddress(10, 112, 0, 0)))
        for index in [UInt64(0), 1, 4095, 1_048_575] {
            let address = try #require(range.address(at: index))
            #expect(range.index(of: address) == index)
        }
    }

    @Test func ipv6Ranges() throws {
        let range = try #require(CIDR.parse("fd00::/108"))
        #expect(!range.isV4)
        #expect(range.size == 1_048_576)
        #expect(range.broadcast == nil)
        #expect(range.last.description == "fd00::f:ffff")
        #expect(range.address(at: 1)?.description == "fd00::1")
        #expect(range.index(of: try #require(IPAddress.parse("fd00::f:ffff"))) == 1_048_575)
        #expect(range.mask.description == "ffff:ffff:ffff:ffff:ffff:ffff:fff0:0")

        let wide = try #require(CIDR.parse("2001:db8::/64"))
        #expect(wide.size == UInt64.max)  // 2^64 addresses: saturated
        #expect(wide.address(at: UInt64.max)?.description == "2001:db8::ffff:ffff:ffff:ffff")
        let all = try #require(CIDR.parse("::/0"))
        #expect(all.size == UInt64.max)
        #expect(all.index(of: try #require(IPAddress.parse("::ffff:ffff:ffff:ffff"))) == UInt64.max)
        #expect(all.index(of: try #require(IPAddress.parse("0:0:0:1::"))) == nil)  // beyond 64 bits
        #expect(all.last.description == "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")
    }

    @Test func singleAddressAndWholeSpace() throws {
        let host = try #require(CIDR.parse("10.0.0.7/32"))
        #expect(host.size == 1)
        #expect(host.address(at: 0) == IPAddress(10, 0, 0, 7))
        #expect(host.address(at: 1) == nil)
        let everything = try #require(CIDR.parse("0.0.0.0/0"))
        #expect(everything.size == 4_294_967_296)
        #expect(everything.mask.description == "0.0.0.0")
        #expect(everything.contains(IPAddress(255, 255, 255, 255)))
    }

    @Test func familiesDoNotMix() throws {
        let v4 = try #require(CIDR.parse("10.0.0.0/8"))
        let mapped = try #require(IPAddress.parse("::ffff:10.0.0.1"))
        #expect(!v4.contains(mapped))
        #expect(v4.contains(mapped.unmapped))
        #expect(!v4.contains(try #require(IPAddress.parse("a00::1"))))
    }

    @Test func containmentAndOverlap() throws {
        let a = try #require(CIDR.parse("10.96.0.0/12"))
        let b = try #require(CIDR.parse("10.100.0.0/16"))
        let c = try #require(CIDR.parse("10.112.0.0/12"))
        #expect(a.contains(b) && !b.contains(a))
        #expect(a.overlaps(b) && b.overlaps(a))
        #expect(!a.overlaps(c))
        #expect(!a.overlaps(try #require(CIDR.parse("fd00::/8"))))
    }

    @Test func equalityIgnoresHostBits() throws {
        #expect(CIDR(containing: IPAddress(10, 96, 3, 4), prefixLength: 12) == CIDR.parse("10.96.0.0/12"))
        #expect(CIDR.parseLenient("10.96.3.4/12") == CIDR.parse("10.96.0.0/12"))
        #expect(CIDR(containing: IPAddress(10, 0, 0, 0), prefixLength: 33) == nil)
        #expect(CIDR(containing: IPAddress(10, 0, 0, 0), prefixLength: -1) == nil)
    }
}

@Suite("IP field checks")
struct NetValidationTests {
    static let path = FieldPath.root("spec", "clusterIP")

    @Test func ip() {
        #expect(NetValidation.validateIP("10.96.0.10", path: Self.path).isEmpty)
        #expect(NetValidation.validateIP("010.96.0.10", path: Self.path).isEmpty)  // lenient, as 1.32
        #expect(NetValidation.validateIP("10.96.0", path: Self.path).map(\.message)
                == ["spec.clusterIP: Invalid value: \"10.96.0\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"])
    }

    @Test func families() {
        #expect(NetValidation.validateIPv4Address("::ffff:1.2.3.4", path: Self.path).isEmpty)
        #expect(NetValidation.validateIPv4Address("fd00::1", path: Self.path).map(\.message)
                == ["spec.clusterIP: Invalid value: \"fd00::1\": must be a valid IPv4 address"])
        #expect(NetValidation.validateIPv6Address("fd00::1", path: Self.path).isEmpty)
        #expect(NetValidation.validateIPv6Address("::ffff:1.2.3.4", path: Self.path).map(\.message)
                == ["spec.clusterIP: Invalid value: \"::ffff:1.2.3.4\": must be a valid IPv6 address"])
    }

    @Test func cidr() {
        #expect(NetValidation.validateCIDR("10.96.0.1/12", path: .root("cidr")).isEmpty)
        #expect(NetValidation.validateCIDR("10.96.0.0", path: .root("cidr")).map(\.message)
                == ["cidr: Invalid value: \"10.96.0.0\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"])
    }
}

@Suite("HOST:PORT")
struct HostPortTests {
    @Test(arguments: [
        ("127.0.0.1:6443", "127.0.0.1", 6443), ("[::1]:53", "::1", 53), (":10256", "", 10256),
        ("localhost:0", "localhost", 0), ("0.0.0.0:65535", "0.0.0.0", 65535),
    ])
    func valid(_ text: String, _ host: String, _ port: Int) throws {
        let parsed = try #require(HostPort.parse(text))
        #expect(parsed.host == host && parsed.port == port)
    }

    @Test(arguments: ["127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "host:http", "", "[::1]"])
    func invalid(_ text: String) {
        #expect(HostPort.parse(text) == nil)
    }
}
