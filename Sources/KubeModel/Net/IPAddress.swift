/// An IPv4 or IPv6 address as a value, for Service cluster IPs, Pod IPs, endpoints and the IP allocators.
///
/// The family is kept as written: `::ffff:1.2.3.4` stays an IPv6 (IPv4-mapped) address, as Go's `net/netip`
/// keeps it, and prints back as `::ffff:1.2.3.4`. (Legacy `net.IP`, which older kube code uses, would treat it as
/// IPv4 and print `1.2.3.4`; `unmapped` gives that view when a caller needs it.)
public struct IPAddress: Sendable, Hashable, Comparable, CustomStringConvertible {
    // Two 64-bit halves rather than a UInt128: 24 bytes a value instead of 32 (UInt128 is 16-byte aligned), which
    // matters where hundreds of thousands of addresses are kept (endpoint lists, rule models, the DNS index).
    private let high: UInt64
    private let low: UInt64
    /// True for IPv4, false for IPv6.
    public let isV4: Bool

    /// The address as an integer; an IPv4 address occupies the low 32 bits.
    public var value: UInt128 { UInt128(high) << 64 | UInt128(low) }

    public init(v4 value: UInt32) {
        high = 0
        low = UInt64(value)
        isV4 = true
    }

    public init(v6 value: UInt128) {
        high = UInt64(truncatingIfNeeded: value >> 64)
        low = UInt64(truncatingIfNeeded: value)
        isV4 = false
    }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        self.init(v4: UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d))
    }

    /// From network-order bytes: 4 for IPv4, 16 for IPv6; nil for any other count.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        var v: UInt128 = 0
        for b in bytes { v = v << 8 | UInt128(b) }
        high = UInt64(truncatingIfNeeded: v >> 64)
        low = UInt64(truncatingIfNeeded: v)
        isV4 = bytes.count == 4
    }

    public var isV6: Bool { !isV4 }

    /// 32 or 128.
    public var bitLength: Int { isV4 ? 32 : 128 }

    /// Network-order bytes (4 or 16).
    public var bytes: [UInt8] {
        let count = isV4 ? 4 : 16
        return (0..<count).map { i in UInt8(truncatingIfNeeded: value >> (8 * (count - 1 - i))) }
    }

    /// Largest value of this family, for overflow checks in arithmetic.
    var familyMax: UInt128 { isV4 ? UInt128(UInt32.max) : UInt128.max }

    /// An IPv6 address in `::ffff:0:0/96`, i.e. an IPv4 address in IPv6 clothing.
    public var isV4Mapped: Bool { !isV4 && value >> 32 == 0xFFFF }

    /// The IPv4 address inside an IPv4-mapped IPv6 address; any other address unchanged.
    public var unmapped: IPAddress {
        isV4Mapped ? IPAddress(v4: UInt32(truncatingIfNeeded: value)) : self
    }

    /// `0.0.0.0` or `::`.
    public var isUnspecified: Bool { value == 0 }

    /// `127.0.0.0/8` or `::1`.
    public var isLoopback: Bool { isV4 ? value >> 24 == 127 : value == 1 }

    /// The address `offset` steps away within the same family, or nil past either end of the address space.
    /// Allocators walk ranges with this.
    public func adding(_ offset: Int64) -> IPAddress? {
        let magnitude = UInt128(offset.magnitude)
        let result: UInt128
        if offset >= 0 {
            guard familyMax - value >= magnitude else { return nil }
            result = value + magnitude
        } else {
            guard value >= magnitude else { return nil }
            result = value - magnitude
        }
        return isV4 ? IPAddress(v4: UInt32(truncatingIfNeeded: result)) : IPAddress(v6: result)
    }

    /// How many steps `other` lies past `self` (negative when before); nil across families or beyond Int64.
    public func distance(to other: IPAddress) -> Int64? {
        guard isV4 == other.isV4 else { return nil }
        if other.value >= value {
            let d = other.value - value
            return d <= UInt128(Int64.max) ? Int64(d) : nil
        }
        let d = value - other.value
        return d <= UInt128(Int64.max) ? -Int64(d) : nil
    }

    /// IPv4 sorts before IPv6 (as netip orders them), then by numeric value.
    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        if lhs.isV4 != rhs.isV4 { return lhs.isV4 }
        return lhs.value < rhs.value
    }

    /// Dotted decimal for IPv4; RFC 5952 for IPv6 (lower-case hex, the longest run of two or more zero groups
    /// compressed to `::`, the first one on a tie), with IPv4-mapped addresses as `::ffff:a.b.c.d`.
    public var description: String {
        if isV4 { return Self.dotted(UInt32(truncatingIfNeeded: value)) }
        if isV4Mapped { return "::ffff:" + Self.dotted(UInt32(truncatingIfNeeded: value)) }
        let groups = (0..<8).map { i in UInt16(truncatingIfNeeded: value >> (16 * (7 - i))) }
        var bestStart = -1
        var bestLength = 0
        var i = 0
        while i < 8 {
            if groups[i] == 0 {
                var j = i
                while j < 8 && groups[j] == 0 { j += 1 }
                if j - i > bestLength && j - i >= 2 {
                    bestStart = i
                    bestLength = j - i
                }
                i = j
            } else {
                i += 1
            }
        }
        func hex(_ range: Range<Int>) -> String {
            range.map { String(groups[$0], radix: 16) }.joined(separator: ":")
        }
        if bestStart < 0 { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }

    private static func dotted(_ v: UInt32) -> String {
        "\(v >> 24).\(v >> 16 & 0xFF).\(v >> 8 & 0xFF).\(v & 0xFF)"
    }
}

// MARK: Parsing

extension IPAddress {
    /// Strict parsing, as Go's `netip.ParseAddr`: IPv4 octets without leading zeros, IPv6 groups of at most four
    /// hex digits, an embedded IPv4 tail allowed. Zones (`%eth0`) are rejected since no Kubernetes field takes one.
    public static func parse(_ text: String) -> IPAddress? {
        parse(Array(text.utf8), sloppy: false)
    }

    /// Lenient parsing, as `k8s.io/utils/net.ParseIPSloppy` (Go 1.16's `net.ParseIP`), which kube uses for flags
    /// and for fields that predate strict validation: IPv4 octets may carry leading zeros (read as decimal,
    /// `010.1.1.1` is 10.1.1.1) and IPv6 groups may have more than four digits if their value fits. As with
    /// `net.IP`, an IPv4-mapped address comes back as plain IPv4 (`::ffff:1.2.3.4` gives 1.2.3.4).
    public static func parseSloppy(_ text: String) -> IPAddress? {
        parse(Array(text.utf8), sloppy: true)?.unmapped
    }

    static func parse(_ s: [UInt8], sloppy: Bool) -> IPAddress? {
        for b in s {
            if b == UInt8(ascii: ".") { return parseV4(s[...], sloppy: sloppy).map { IPAddress(v4: $0) } }
            if b == UInt8(ascii: ":") { return parseV6(s[...], sloppy: sloppy).map { IPAddress(v6: $0) } }
        }
        return nil
    }

    static func parseV4(_ s: ArraySlice<UInt8>, sloppy: Bool) -> UInt32? {
        let fields = s.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard fields.count == 4 else { return nil }
        var result: UInt32 = 0
        for field in fields {
            guard !field.isEmpty, field.allSatisfy(NameSyntax.isDigit) else { return nil }
            if !sloppy {
                guard field.count <= 3 else { return nil }
                if field.count > 1 && field.first == UInt8(ascii: "0") { return nil }
            }
            var octet: UInt32 = 0
            for digit in field {
                octet = octet * 10 + UInt32(digit - UInt8(ascii: "0"))
                if octet > 255 { return nil }
            }
            result = result << 8 | octet
        }
        return result
    }

    static func parseV6(_ s: ArraySlice<UInt8>, sloppy: Bool) -> UInt128? {
        guard !s.contains(UInt8(ascii: "%")) else { return nil }
        // Split around a single "::"; each side is a list of groups.
        var head = s
        var tail: ArraySlice<UInt8>? = nil
        if let at = doubleColon(in: s) {
            head = s[s.startIndex..<at]
            let rest = s[(at + 2)...]
            if doubleColon(in: rest) != nil { return nil }
            tail = rest
        }
        guard let headGroups = groups(head, allowV4Tail: tail == nil, sloppy: sloppy) else { return nil }
        var words = headGroups
        if let tail {
            guard let tailGroups = groups(tail, allowV4Tail: true, sloppy: sloppy) else { return nil }
            // "::" must stand for at least one zero group.
            guard headGroups.count + tailGroups.count <= 7 else { return nil }
            words += Array(repeating: 0, count: 8 - headGroups.count - tailGroups.count) + tailGroups
        }
        guard words.count == 8 else { return nil }
        return words.reduce(UInt128(0)) { $0 << 16 | UInt128($1) }
    }

    private static func doubleColon(in s: ArraySlice<UInt8>) -> Int? {
        var i = s.startIndex
        while i + 1 < s.endIndex {
            if s[i] == UInt8(ascii: ":") && s[i + 1] == UInt8(ascii: ":") { return i }
            i += 1
        }
        return nil
    }

    /// Colon-separated hex groups; the last may be a dotted IPv4 address worth two groups.
    private static func groups(_ s: ArraySlice<UInt8>, allowV4Tail: Bool, sloppy: Bool) -> [UInt16]? {
        if s.isEmpty { return [] }
        let parts = s.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        var out: [UInt16] = []
        for (n, part) in parts.enumerated() {
            if n == parts.count - 1, allowV4Tail, part.contains(UInt8(ascii: ".")) {
                guard let v4 = parseV4(part, sloppy: sloppy) else { return nil }
                out.append(UInt16(truncatingIfNeeded: v4 >> 16))
                out.append(UInt16(truncatingIfNeeded: v4))
                continue
            }
            guard !part.isEmpty, sloppy || part.count <= 4 else { return nil }
            var group: UInt32 = 0
            for b in part {
                guard let digit = hexValue(b) else { return nil }
                group = group << 4 | digit
                if group > 0xFFFF { return nil }
            }
            out.append(UInt16(group))
        }
        return out.count <= 8 ? out : nil
    }

    private static func hexValue(_ b: UInt8) -> UInt32? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(b - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(b - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(b - UInt8(ascii: "A") + 10)
        default: nil
        }
    }
}
