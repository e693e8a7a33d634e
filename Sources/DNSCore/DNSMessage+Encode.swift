/// Remembers where names were written so later names can point at a shared suffix (RFC 1035 §4.1.4).
///
/// An open-addressing table of suffix hashes to output offsets. Matching is exact (case-sensitive): a pointer makes
/// the client read the earlier bytes, and a name must come back in the case it was written with, so the question's
/// case reaches the answer's owner name and nothing else's. Candidates are verified against the output bytes, so a
/// hash collision costs a comparison and never a wrong pointer.
struct CompressionTable {
    private var slots: [UInt32]
    private var entries: [(hash: UInt32, offset: UInt16)] = []

    init() {
        slots = Array(repeating: 0, count: 64)
    }

    var checkpoint: Int { entries.count }

    /// Forgets every suffix recorded after `checkpoint`; used when a record that did not fit is cut off again.
    mutating func rollback(to checkpoint: Int) {
        guard checkpoint < entries.count else { return }
        entries.removeSubrange(checkpoint...)
        rebuild(capacity: slots.count)
    }

    mutating func insert(hash: UInt32, offset: Int) {
        guard offset < 0x4000 else { return }
        entries.append((hash, UInt16(offset)))
        if entries.count * 2 > slots.count {
            rebuild(capacity: slots.count * 2)
        } else {
            place(index: entries.count - 1)
        }
    }

    /// Offsets recorded under `hash`, newest first is not guaranteed; the caller verifies each.
    func candidates(hash: UInt32, _ body: (Int) -> Bool) -> Int? {
        let mask = slots.count - 1
        var i = Int(hash) & mask
        while slots[i] != 0 {
            let entry = entries[Int(slots[i] - 1)]
            if entry.hash == hash, body(Int(entry.offset)) { return Int(entry.offset) }
            i = (i + 1) & mask
        }
        return nil
    }

    private mutating func place(index: Int) {
        let mask = slots.count - 1
        var i = Int(entries[index].hash) & mask
        while slots[i] != 0 { i = (i + 1) & mask }
        slots[i] = UInt32(index + 1)
    }

    private mutating func rebuild(capacity: Int) {
        slots = Array(repeating: 0, count: capacity)
        for index in entries.indices { place(index: index) }
    }
}

/// Appends wire data to a byte array, compressing names through a `CompressionTable`.
struct WireWriter {
    var bytes: [UInt8] = []
    var table = CompressionTable()

    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    mutating func u8(_ v: UInt8) { bytes.append(v) }

    mutating func u16(_ v: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v))
    }

    mutating func u32(_ v: UInt32) {
        bytes.append(UInt8(truncatingIfNeeded: v >> 24))
        bytes.append(UInt8(truncatingIfNeeded: v >> 16))
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v))
    }

    mutating func set16(_ v: UInt16, at offset: Int) {
        bytes[offset] = UInt8(truncatingIfNeeded: v >> 8)
        bytes[offset + 1] = UInt8(truncatingIfNeeded: v)
    }

    /// FNV-1a over the wire bytes of the suffix starting at `start`.
    private static func suffixHash(_ wire: [UInt8], from start: Int) -> UInt32 {
        var h: UInt32 = 0x811C_9DC5
        var i = start
        while i < wire.count {
            h = (h ^ UInt32(wire[i])) &* 0x0100_0193
            i += 1
        }
        return h
    }

    /// Writes `name`; with `compress`, the longest suffix already in the message becomes a pointer. Either way the
    /// suffixes written out in full are recorded, so later names can point into this one (RFC 2782 forbids
    /// compressing an SRV target but not pointing at it).
    mutating func name(_ name: DNSName, compress: Bool) {
        let wire = name.wire
        let base = bytes.count
        var position = 0
        while position < wire.count, wire[position] != 0 {
            let hash = Self.suffixHash(wire, from: position)
            if compress,
                let target = table.candidates(hash: hash, { offset in self.matches(wire, from: position, at: offset) })
            {
                bytes.append(contentsOf: wire[0..<position])
                u16(0xC000 | UInt16(target))
                return
            }
            table.insert(hash: hash, offset: base + position)
            position += 1 + Int(wire[position])
        }
        bytes.append(contentsOf: wire)
    }

    /// Whether the name written at `offset` in the output equals the suffix of `wire` from `start`, byte for byte.
    /// Follows pointers in the output with the same strictly-backwards rule the decoder applies, so garbage can
    /// never send it round in circles.
    private func matches(_ wire: [UInt8], from start: Int, at offset: Int) -> Bool {
        var i = start
        var o = offset
        var limit = offset
        while true {
            guard o < bytes.count, i < wire.count else { return false }
            let length = bytes[o]
            if length & 0xC0 == 0xC0 {
                guard o + 1 < bytes.count else { return false }
                let target = Int(length & 0x3F) << 8 | Int(bytes[o + 1])
                guard target < limit else { return false }
                o = target
                limit = target
                continue
            }
            guard length & 0xC0 == 0, length == wire[i] else { return false }
            if length == 0 { return true }
            let n = Int(length)
            guard o + 1 + n <= bytes.count, i + 1 + n <= wire.count else { return false }
            var k = 1
            while k <= n {
                if bytes[o + k] != wire[i + k] { return false }
                k += 1
            }
            o += 1 + n
            i += 1 + n
        }
    }

    mutating func record(_ record: DNSRecord) {
        name(record.name, compress: true)
        u16(record.type.rawValue)
        u16(record.class.rawValue)
        u32(record.ttl)
        let lengthAt = bytes.count
        u16(0)
        switch record.data {
        case .a(let address):
            u32(UInt32(truncatingIfNeeded: address.value))
        case .aaaa(let address):
            let v = address.value
            u32(UInt32(truncatingIfNeeded: v >> 96))
            u32(UInt32(truncatingIfNeeded: v >> 64))
            u32(UInt32(truncatingIfNeeded: v >> 32))
            u32(UInt32(truncatingIfNeeded: v))
        case .ns(let target), .cname(let target), .ptr(let target):
            name(target, compress: true)
        case .mx(let preference, let exchange):
            u16(preference)
            name(exchange, compress: true)
        case .txt(let strings):
            for s in strings {
                let chunk = s.prefix(255)
                u8(UInt8(chunk.count))
                bytes.append(contentsOf: chunk)
            }
        case .srv(let srv):
            u16(srv.priority)
            u16(srv.weight)
            u16(srv.port)
            name(srv.target, compress: false)
        case .soa(let soa):
            name(soa.mname, compress: true)
            name(soa.rname, compress: true)
            u32(soa.serial)
            u32(soa.refresh)
            u32(soa.retry)
            u32(soa.expire)
            u32(soa.minimum)
        case .unknown(let raw):
            bytes.append(contentsOf: raw)
        }
        let length = bytes.count - lengthAt - 2
        set16(UInt16(truncatingIfNeeded: min(length, 0xFFFF)), at: lengthAt)
    }

    mutating func opt(_ edns: EDNS, rcode: DNSRcode) {
        u8(0)
        u16(DNSType.opt.rawValue)
        u16(edns.udpPayloadSize)
        u8(UInt8(truncatingIfNeeded: rcode.rawValue >> 4))
        u8(edns.version)
        u16((edns.dnssecOK ? 0x8000 : 0) | (edns.otherFlags & 0x7FFF))
        let lengthAt = bytes.count
        u16(0)
        for option in edns.options {
            u16(option.code)
            u16(UInt16(truncatingIfNeeded: option.data.count))
            bytes.append(contentsOf: option.data)
        }
        set16(UInt16(truncatingIfNeeded: bytes.count - lengthAt - 2), at: lengthAt)
    }
}

extension DNSMessage {
    /// The largest message any transport carries (TCP's two-byte length prefix).
    public static let maximumSize = 65535

    /// Encodes the message with name compression, fitting it into `maxSize` bytes (never less than 512, the size
    /// every DNS transport must take).
    ///
    /// When the message is too big, records are dropped from the end: additional records silently, one by one, since
    /// they are optional (RFC 2181 §9); answer or authority records with TC set, keeping every complete record that
    /// fits, because stub resolvers without TCP fallback (musl) use a truncated answer as it is. The OPT record is
    /// always kept, as RFC 6891 §7 asks.
    public func encode(maxSize: Int = DNSMessage.maximumSize) -> [UInt8] {
        encodeReportingTruncation(maxSize: maxSize).bytes
    }

    /// `encode(maxSize:)`, also saying whether anything was dropped (for metrics), and whether TC was set.
    public func encodeReportingTruncation(maxSize: Int) -> (bytes: [UInt8], truncated: Bool) {
        let limit = min(max(maxSize, 512), DNSMessage.maximumSize)
        var w = WireWriter(capacity: min(limit, 512))
        w.u16(header.id)
        w.u16(0)  // flags, patched below
        w.u16(UInt16(truncatingIfNeeded: questions.count))
        w.u16(0)
        w.u16(0)
        w.u16(0)
        for q in questions {
            w.name(q.name, compress: true)
            w.u16(q.type.rawValue)
            w.u16(q.class.rawValue)
        }
        let reserve = edns?.encodedSize ?? 0
        var counts = [0, 0, 0]
        var setTC = header.truncated
        var dropped = false
        let sections = [answers, authority, additional]
        sectionLoop: for (index, section) in sections.enumerated() {
            for record in section {
                let mark = w.bytes.count
                let tableMark = w.table.checkpoint
                w.record(record)
                if w.bytes.count + reserve > limit {
                    w.bytes.removeSubrange(mark...)
                    w.table.rollback(to: tableMark)
                    dropped = true
                    if index < 2 { setTC = true }
                    break sectionLoop
                }
                counts[index] += 1
            }
        }
        var arCount = counts[2]
        if let edns {
            w.opt(edns, rcode: header.rcode)
            arCount += 1
        }
        var h = header
        h.truncated = setTC
        w.set16(h.flags, at: 2)
        w.set16(UInt16(truncatingIfNeeded: counts[0]), at: 6)
        w.set16(UInt16(truncatingIfNeeded: counts[1]), at: 8)
        w.set16(UInt16(truncatingIfNeeded: arCount), at: 10)
        return (w.bytes, dropped)
    }
}
