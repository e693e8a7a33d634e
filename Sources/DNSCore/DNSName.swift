/// A domain name kept in uncompressed wire form, with the case of every byte as it was received or written.
///
/// DNS compares names case-insensitively but a server must echo the case a client asked with (resolvers that randomise
/// case, "DNS 0x20", check it), so the bytes are stored as given and only equality and hashing fold ASCII case. That
/// also lets a query's own name be the key of a hash lookup in an index of lower-case names without allocating a
/// lowered copy per query.
///
/// Invariants (checked by every public initialiser): labels of 1...63 bytes, a final zero-length root label, at most
/// 255 bytes in all. Label bytes are arbitrary octets, as RFC 2181 §11 allows.
public struct DNSName: Sendable {
    /// Length-prefixed labels followed by the zero byte of the root.
    public let wire: [UInt8]

    /// Wraps bytes the caller has already validated.
    init(trustedWire: [UInt8]) {
        wire = trustedWire
    }

    /// The root name `.`.
    public static let root = DNSName(trustedWire: [0])

    /// Validates uncompressed wire bytes: nil if a label is over 63 bytes, the name is over 255 bytes, a length byte
    /// uses the reserved compression or extended-label bits, or the bytes do not end exactly at the root label.
    public init?(wire: [UInt8]) {
        guard wire.count <= 255 else { return nil }
        var i = 0
        while i < wire.count {
            let length = Int(wire[i])
            if length == 0 {
                guard i == wire.count - 1 else { return nil }
                self.wire = wire
                return
            }
            guard length <= 63 else { return nil }
            i += 1 + length
        }
        return nil
    }

    /// Parses presentation format (`web.default.svc.cluster.local`, with or without the final dot; `.` is the root).
    /// `\.` and `\DDD` escapes are understood so that any name `description` prints parses back. Nil for empty
    /// labels, labels over 63 bytes or names over 255 bytes.
    public init?(_ text: String) {
        var wire: [UInt8] = []
        wire.reserveCapacity(text.utf8.count + 2)
        var label: [UInt8] = []
        var bytes = text.utf8.makeIterator()
        var sawAny = false
        var lastWasDot = false
        if text == "." {
            self = .root
            return
        }
        while let b = bytes.next() {
            sawAny = true
            if b == UInt8(ascii: ".") {
                guard !label.isEmpty, label.count <= 63 else { return nil }
                wire.append(UInt8(label.count))
                wire.append(contentsOf: label)
                label.removeAll(keepingCapacity: true)
                lastWasDot = true
                continue
            }
            lastWasDot = false
            if b == UInt8(ascii: "\\") {
                guard let next = bytes.next() else { return nil }
                if next >= UInt8(ascii: "0") && next <= UInt8(ascii: "9") {
                    guard let d2 = bytes.next(), let d3 = bytes.next(),
                        d2 >= UInt8(ascii: "0"), d2 <= UInt8(ascii: "9"),
                        d3 >= UInt8(ascii: "0"), d3 <= UInt8(ascii: "9")
                    else { return nil }
                    let value = Int(next - 48) * 100 + Int(d2 - 48) * 10 + Int(d3 - 48)
                    guard value <= 255 else { return nil }
                    label.append(UInt8(value))
                } else {
                    label.append(next)
                }
                continue
            }
            label.append(b)
        }
        guard sawAny else { return nil }
        if !lastWasDot {
            guard !label.isEmpty, label.count <= 63 else { return nil }
            wire.append(UInt8(label.count))
            wire.append(contentsOf: label)
        }
        wire.append(0)
        guard wire.count <= 255 else { return nil }
        self.wire = wire
    }

    /// Builds a name from labels given as text; nil when a label is empty or too long, or the name is too long.
    public init?(labels: [String]) {
        var wire: [UInt8] = []
        for label in labels {
            let bytes = Array(label.utf8)
            guard !bytes.isEmpty, bytes.count <= 63 else { return nil }
            wire.append(UInt8(bytes.count))
            wire.append(contentsOf: bytes)
        }
        wire.append(0)
        guard wire.count <= 255 else { return nil }
        self.wire = wire
    }

    public var isRoot: Bool { wire.count == 1 }

    /// The number of labels, not counting the root.
    public var labelCount: Int {
        var count = 0
        var i = 0
        while i < wire.count, wire[i] != 0 {
            count += 1
            i += 1 + Int(wire[i])
        }
        return count
    }

    /// The labels from left to right, as byte slices of `wire`.
    public var labels: [ArraySlice<UInt8>] {
        var out: [ArraySlice<UInt8>] = []
        var i = 0
        while i < wire.count, wire[i] != 0 {
            let length = Int(wire[i])
            out.append(wire[(i + 1)..<(i + 1 + length)])
            i += 1 + length
        }
        return out
    }

    /// The wire offset of the label `index` labels from the left (the root's offset when `index == labelCount`).
    func offset(ofLabel index: Int) -> Int {
        var i = 0
        var n = 0
        while n < index, i < wire.count, wire[i] != 0 {
            i += 1 + Int(wire[i])
            n += 1
        }
        return i
    }

    /// The label `index` labels from the left, as a slice of `wire`; nil past the last label.
    func label(at index: Int) -> ArraySlice<UInt8>? {
        let start = offset(ofLabel: index)
        guard start < wire.count, wire[start] != 0 else { return nil }
        return wire[(start + 1)..<(start + 1 + Int(wire[start]))]
    }

    /// The name without its leftmost label (the parent); nil for the root.
    public var parent: DNSName? {
        guard !isRoot else { return nil }
        return DNSName(trustedWire: Array(wire[(1 + Int(wire[0]))...]))
    }

    /// The name with `label` added on the left; nil if the label is empty or over 63 bytes or the result too long.
    public func prepending<Label: Collection<UInt8>>(_ label: Label) -> DNSName? {
        let count = label.count
        guard count > 0, count <= 63, wire.count + count + 1 <= 255 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(wire.count + count + 1)
        out.append(UInt8(count))
        out.append(contentsOf: label)
        out.append(contentsOf: wire)
        return DNSName(trustedWire: out)
    }

    /// The name with a text label added on the left.
    public func prepending(_ label: String) -> DNSName? {
        prepending(Array(label.utf8))
    }

    /// Whether `self` is `zone` or lies below it, comparing without regard to ASCII case.
    public func isSubdomain(of zone: DNSName) -> Bool {
        let extra = wire.count - zone.wire.count
        guard extra >= 0 else { return false }
        // The suffix must start on a label boundary of `self`.
        var i = 0
        while i < extra {
            i += 1 + Int(wire[i])
        }
        guard i == extra else { return false }
        return DNSName.equalFolded(wire[extra...], zone.wire[...])
    }

    /// The same name with ASCII letters lowered: the canonical form the index stores.
    public func lowercased() -> DNSName {
        DNSName(trustedWire: wire.map(DNSName.lower))
    }

    @inline(__always)
    static func lower(_ b: UInt8) -> UInt8 {
        b &- 65 < 26 ? b | 0x20 : b
    }

    static func equalFolded(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var i = a.startIndex
        var j = b.startIndex
        while i < a.endIndex {
            let x = a[i]
            let y = b[j]
            if x != y && lower(x) != lower(y) { return false }
            i += 1
            j += 1
        }
        return true
    }
}

extension DNSName: Hashable {
    /// Case-insensitive equality, eight bytes at a time. The dictionary probe calls this for every key it meets, so
    /// it is on the per-query path.
    public static func == (lhs: DNSName, rhs: DNSName) -> Bool {
        let n = lhs.wire.count
        guard n == rhs.wire.count else { return false }
        return lhs.wire.withUnsafeBufferPointer { a in
            rhs.wire.withUnsafeBufferPointer { b in
                let pa = UnsafeRawBufferPointer(a)
                let pb = UnsafeRawBufferPointer(b)
                var i = 0
                while i + 8 <= n {
                    let x = pa.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                    let y = pb.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                    if x != y && lowerWord(x) != lowerWord(y) { return false }
                    i += 8
                }
                while i < n {
                    let x = pa[i]
                    let y = pb[i]
                    if x != y && lower(x) != lower(y) { return false }
                    i += 1
                }
                return true
            }
        }
    }

    /// Hashes the case-folded bytes eight at a time; consistent with `==` because both fold the same way.
    public func hash(into hasher: inout Hasher) {
        let n = wire.count
        hasher.combine(n)
        wire.withUnsafeBufferPointer { buffer in
            let p = UnsafeRawBufferPointer(buffer)
            var i = 0
            while i + 8 <= n {
                hasher.combine(DNSName.lowerWord(p.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
                i += 8
            }
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                tail |= UInt64(DNSName.lower(p[i])) << shift
                shift += 8
                i += 1
            }
            hasher.combine(tail)
        }
    }

    /// Lowers every ASCII capital in eight packed bytes at once (bytes with the top bit set are left alone).
    @inline(__always)
    static func lowerWord(_ w: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        let x = w & ~high
        let atLeastA = x &+ (0x80 &- 0x41) &* ones
        let aboveZ = x &+ (0x80 &- 0x5B) &* ones
        let isUpper = atLeastA & ~aboveZ & ~w & high
        return w | (isUpper >> 2)
    }
}

extension DNSName: CustomStringConvertible {
    /// Presentation format with a final dot; dots, backslashes and bytes outside printable ASCII inside labels are
    /// escaped so that the text parses back to the same name.
    public var description: String {
        if isRoot { return "." }
        var out = ""
        out.reserveCapacity(wire.count)
        for label in labels {
            for b in label {
                switch b {
                case UInt8(ascii: "."), UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: ";"),
                    UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "@"), UInt8(ascii: "$"):
                    out.append("\\")
                    out.unicodeScalars.append(Unicode.Scalar(b))
                case 0x21...0x7E:
                    out.unicodeScalars.append(Unicode.Scalar(b))
                default:
                    out.append("\\")
                    let digits = String(b)
                    out.append(String(repeating: "0", count: 3 - digits.count) + digits)
                }
            }
            out.append(".")
        }
        return out
    }
}

extension DNSName {
    /// `cluster.local.`, the default cluster domain.
    public static let clusterLocal = DNSName(trustedWire: [7] + Array("cluster".utf8) + [5] + Array("local".utf8) + [0])
}
