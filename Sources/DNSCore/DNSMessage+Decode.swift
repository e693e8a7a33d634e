import KubeModel

/// Why a message could not be decoded, with whatever was parsed before the fault so that a server can still answer
/// FORMERR to the right ID with the question echoed (RFC 1035 §4.1.1 asks for FORMERR, and a reply the client can
/// match beats a timeout).
public struct DNSDecodeError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Reason: Hashable, Sendable {
        /// Fewer than 12 bytes: not even a header.
        case shortHeader
        /// A section count promises more data than the packet holds.
        case truncated
        case nameTooLong
        /// A length byte with the 01 or 10 prefix: extended label types (retired by RFC 6891 §5), and also what a
        /// label "longer than 63 bytes" looks like on the wire.
        case reservedLabelType
        /// A compression pointer that does not point strictly backwards, which is how every pointer loop starts.
        case badPointer
        /// Too many pointers followed for one name.
        case pointerChain
        /// The rdata of a known type does not occupy exactly its rdlength.
        case rdataLength
        /// An OPT record with a non-root owner, a second OPT record, or malformed options.
        case badOPT
    }

    public var reason: Reason
    /// Byte offset at which the fault was found.
    public var offset: Int
    /// The header, when at least 12 bytes arrived.
    public var header: DNSHeader?
    /// The first question, when it could be parsed.
    public var question: DNSQuestion?

    public init(reason: Reason, offset: Int, header: DNSHeader? = nil, question: DNSQuestion? = nil) {
        self.reason = reason
        self.offset = offset
        self.header = header
        self.question = question
    }

    public var description: String { "malformed DNS message (\(reason)) at byte \(offset)" }

    /// The FORMERR reply for this fault, or nil when none should be sent: no header means no ID to answer to, and a
    /// message that is itself a response must never be answered (two servers would bounce errors at each other).
    public func formatErrorResponse(recursionAvailable: Bool) -> DNSMessage? {
        guard let header, !header.isResponse else { return nil }
        return DNSMessage(
            header: DNSHeader(
                id: header.id, isResponse: true, opcode: header.opcode, recursionDesired: header.recursionDesired,
                recursionAvailable: recursionAvailable, checkingDisabled: header.checkingDisabled, rcode: .formErr),
            questions: question.map { [$0] } ?? [])
    }
}

/// Bounds-checked reading over a byte array; every read that would run past the end throws instead of trapping.
struct WireReader {
    let bytes: [UInt8]
    var offset: Int = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    mutating func u8() throws(DNSDecodeError) -> UInt8 {
        guard offset < bytes.count else { throw DNSDecodeError(reason: .truncated, offset: offset) }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16() throws(DNSDecodeError) -> UInt16 {
        guard offset + 2 <= bytes.count else { throw DNSDecodeError(reason: .truncated, offset: offset) }
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    mutating func u32() throws(DNSDecodeError) -> UInt32 {
        guard offset + 4 <= bytes.count else { throw DNSDecodeError(reason: .truncated, offset: offset) }
        defer { offset += 4 }
        return UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
            | UInt32(bytes[offset + 3])
    }

    mutating func take(_ count: Int) throws(DNSDecodeError) -> [UInt8] {
        guard count >= 0, offset + count <= bytes.count else {
            throw DNSDecodeError(reason: .truncated, offset: offset)
        }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    /// Reads a possibly compressed name at the cursor, leaving the cursor after the name's bytes at this position
    /// (after the first pointer, if any).
    ///
    /// Loop protection: every pointer must point strictly before the start of the run of labels that contained it.
    /// Positions therefore fall with every jump, so any chain ends within the packet length; the 255-byte name limit
    /// ends it sooner in practice.
    mutating func name() throws(DNSDecodeError) -> DNSName {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        var position = offset
        var runStart = offset
        var resume: Int?
        var jumps = 0
        while true {
            guard position < bytes.count else { throw DNSDecodeError(reason: .truncated, offset: position) }
            let length = bytes[position]
            switch length & 0xC0 {
            case 0x00:
                if length == 0 {
                    out.append(0)
                    guard out.count <= 255 else { throw DNSDecodeError(reason: .nameTooLong, offset: position) }
                    offset = resume ?? position + 1
                    return DNSName(trustedWire: out)
                }
                let end = position + 1 + Int(length)
                guard end <= bytes.count else { throw DNSDecodeError(reason: .truncated, offset: position) }
                // Keep room for the root byte: a name of 255 bytes in all.
                guard out.count + 1 + Int(length) + 1 <= 255 else {
                    throw DNSDecodeError(reason: .nameTooLong, offset: position)
                }
                out.append(contentsOf: bytes[position..<end])
                position = end
            case 0xC0:
                guard position + 1 < bytes.count else { throw DNSDecodeError(reason: .truncated, offset: position) }
                let target = Int(length & 0x3F) << 8 | Int(bytes[position + 1])
                guard target < runStart else { throw DNSDecodeError(reason: .badPointer, offset: position) }
                jumps += 1
                guard jumps <= 128 else { throw DNSDecodeError(reason: .pointerChain, offset: position) }
                if resume == nil { resume = position + 2 }
                position = target
                runStart = target
            default:
                throw DNSDecodeError(reason: .reservedLabelType, offset: position)
            }
        }
    }
}

extension DNSMessage {
    /// Decodes a message. Throws `DNSDecodeError` (never traps) for anything malformed: short or over-counted
    /// sections, labels over 63 bytes, names over 255, pointer loops or forward pointers, rdata that does not fill its
    /// rdlength exactly, a misplaced or duplicated OPT. Bytes after the last counted record are ignored, as most
    /// servers do. Name case is preserved.
    public init(decoding bytes: [UInt8]) throws(DNSDecodeError) {
        var reader = WireReader(bytes)
        guard bytes.count >= 12 else { throw DNSDecodeError(reason: .shortHeader, offset: bytes.count) }
        let id = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        let flags = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
        var header = DNSHeader(id: id, flags: flags)
        reader.offset = 4
        var question: DNSQuestion?
        do throws(DNSDecodeError) {
            let qdCount = Int(try reader.u16())
            let anCount = Int(try reader.u16())
            let nsCount = Int(try reader.u16())
            let arCount = Int(try reader.u16())
            // Each question needs at least 5 bytes and each record 11: reject impossible counts before allocating.
            let minimum = qdCount * 5 + (anCount + nsCount + arCount) * 11
            guard minimum <= reader.remaining else { throw DNSDecodeError(reason: .truncated, offset: 12) }

            var questions: [DNSQuestion] = []
            questions.reserveCapacity(qdCount)
            for _ in 0..<qdCount {
                let name = try reader.name()
                let type = DNSType(try reader.u16())
                let cls = DNSClass(try reader.u16())
                let q = DNSQuestion(name: name, type: type, class: cls)
                if question == nil { question = q }
                questions.append(q)
            }
            let answers = try Self.records(anCount, &reader)
            let authority = try Self.records(nsCount, &reader)
            var additional: [DNSRecord] = []
            additional.reserveCapacity(arCount)
            var edns: EDNS?
            for _ in 0..<arCount {
                let start = reader.offset
                let name = try reader.name()
                let type = DNSType(try reader.u16())
                if type == .opt {
                    guard edns == nil, name.isRoot else { throw DNSDecodeError(reason: .badOPT, offset: start) }
                    let payload = try reader.u16()
                    let ttl = try reader.u32()
                    let length = Int(try reader.u16())
                    var options: [EDNS.Option] = []
                    let end = reader.offset + length
                    guard end <= bytes.count else { throw DNSDecodeError(reason: .truncated, offset: reader.offset) }
                    while reader.offset < end {
                        guard end - reader.offset >= 4 else {
                            throw DNSDecodeError(reason: .badOPT, offset: reader.offset)
                        }
                        let code = try reader.u16()
                        let optionLength = Int(try reader.u16())
                        guard reader.offset + optionLength <= end else {
                            throw DNSDecodeError(reason: .badOPT, offset: reader.offset)
                        }
                        options.append(EDNS.Option(code: code, data: try reader.take(optionLength)))
                    }
                    header.rcode = DNSRcode(UInt16(ttl >> 24) << 4 | header.rcode.rawValue)
                    edns = EDNS(
                        udpPayloadSize: payload, version: UInt8(truncatingIfNeeded: ttl >> 16),
                        dnssecOK: ttl & 0x8000 != 0, otherFlags: UInt16(truncatingIfNeeded: ttl) & 0x7FFF,
                        options: options)
                    continue
                }
                additional.append(try Self.record(name: name, type: type, &reader))
            }
            self.init(header: header, questions: questions, answers: answers, authority: authority,
                      additional: additional, edns: edns)
        } catch {
            var error = error
            error.header = header
            error.question = question
            throw error
        }
    }

    /// Convenience for any byte collection (a slice of a receive buffer, say).
    public init<Bytes: Collection<UInt8>>(decoding bytes: Bytes) throws(DNSDecodeError) {
        try self.init(decoding: Array(bytes))
    }

    private static func records(_ count: Int, _ reader: inout WireReader) throws(DNSDecodeError) -> [DNSRecord] {
        var out: [DNSRecord] = []
        out.reserveCapacity(count)
        for _ in 0..<count {
            let name = try reader.name()
            let type = DNSType(try reader.u16())
            out.append(try record(name: name, type: type, &reader))
        }
        return out
    }

    private static func record(name: DNSName, type: DNSType,
                               _ reader: inout WireReader) throws(DNSDecodeError) -> DNSRecord {
        let cls = DNSClass(try reader.u16())
        let ttl = try reader.u32()
        let length = Int(try reader.u16())
        let start = reader.offset
        let end = start + length
        guard end <= reader.bytes.count else { throw DNSDecodeError(reason: .truncated, offset: start) }
        let data: DNSRecord.RData
        // RFC 3597: only the RFC 1035 types may hold compressed names, and only in class IN do A/AAAA/SRV have
        // their meaning; anything else stays opaque bytes.
        switch type {
        case .a where cls == .in:
            guard length == 4 else { throw DNSDecodeError(reason: .rdataLength, offset: start) }
            data = .a(IPAddress(v4: try reader.u32()))
        case .aaaa where cls == .in:
            guard length == 16 else { throw DNSDecodeError(reason: .rdataLength, offset: start) }
            let high = UInt128(UInt64(try reader.u32()) << 32 | UInt64(try reader.u32()))
            let low = UInt128(UInt64(try reader.u32()) << 32 | UInt64(try reader.u32()))
            data = .aaaa(IPAddress(v6: high << 64 | low))
        case .ns:
            data = .ns(try reader.name())
        case .cname:
            data = .cname(try reader.name())
        case .ptr:
            data = .ptr(try reader.name())
        case .mx:
            let preference = try reader.u16()
            data = .mx(preference: preference, exchange: try reader.name())
        case .soa:
            let mname = try reader.name()
            let rname = try reader.name()
            data = .soa(DNSRecord.SOA(
                mname: mname, rname: rname, serial: try reader.u32(), refresh: try reader.u32(),
                retry: try reader.u32(), expire: try reader.u32(), minimum: try reader.u32()))
        case .srv where cls == .in:
            let priority = try reader.u16()
            let weight = try reader.u16()
            let port = try reader.u16()
            data = .srv(DNSRecord.SRV(priority: priority, weight: weight, port: port, target: try reader.name()))
        case .txt:
            var strings: [[UInt8]] = []
            while reader.offset < end {
                let count = Int(try reader.u8())
                guard reader.offset + count <= end else { throw DNSDecodeError(reason: .rdataLength, offset: start) }
                strings.append(try reader.take(count))
            }
            data = .txt(strings)
        default:
            data = .unknown(try reader.take(length))
        }
        guard reader.offset == end else { throw DNSDecodeError(reason: .rdataLength, offset: start) }
        return DNSRecord(name: name, type: type, class: cls, ttl: ttl, data: data)
    }
}
