import KubeModel

/// The fixed 12-byte header minus the section counts, which are derived from the sections when encoding.
public struct DNSHeader: Hashable, Sendable {
    public var id: UInt16
    public var isResponse: Bool
    public var opcode: DNSOpcode
    public var authoritative: Bool
    public var truncated: Bool
    public var recursionDesired: Bool
    public var recursionAvailable: Bool
    /// The reserved Z bit; must be zero on the wire, kept so a decoded message encodes back to the same bytes.
    public var zero: Bool
    public var authenticData: Bool
    public var checkingDisabled: Bool
    /// The full 12-bit response code; its high eight bits travel in the OPT record, so a message whose rcode needs
    /// them must carry `edns`.
    public var rcode: DNSRcode

    public init(id: UInt16 = 0, isResponse: Bool = false, opcode: DNSOpcode = .query, authoritative: Bool = false,
                truncated: Bool = false, recursionDesired: Bool = false, recursionAvailable: Bool = false,
                zero: Bool = false, authenticData: Bool = false, checkingDisabled: Bool = false,
                rcode: DNSRcode = .noError) {
        self.id = id
        self.isResponse = isResponse
        self.opcode = opcode
        self.authoritative = authoritative
        self.truncated = truncated
        self.recursionDesired = recursionDesired
        self.recursionAvailable = recursionAvailable
        self.zero = zero
        self.authenticData = authenticData
        self.checkingDisabled = checkingDisabled
        self.rcode = rcode
    }

    /// The second 16-bit word of the header, with the low four rcode bits.
    var flags: UInt16 {
        var f: UInt16 = 0
        if isResponse { f |= 0x8000 }
        f |= UInt16(opcode.rawValue & 0x0F) << 11
        if authoritative { f |= 0x0400 }
        if truncated { f |= 0x0200 }
        if recursionDesired { f |= 0x0100 }
        if recursionAvailable { f |= 0x0080 }
        if zero { f |= 0x0040 }
        if authenticData { f |= 0x0020 }
        if checkingDisabled { f |= 0x0010 }
        f |= rcode.rawValue & 0x000F
        return f
    }

    init(id: UInt16, flags f: UInt16) {
        self.init(
            id: id, isResponse: f & 0x8000 != 0, opcode: DNSOpcode(UInt8(truncatingIfNeeded: f >> 11)),
            authoritative: f & 0x0400 != 0, truncated: f & 0x0200 != 0, recursionDesired: f & 0x0100 != 0,
            recursionAvailable: f & 0x0080 != 0, zero: f & 0x0040 != 0, authenticData: f & 0x0020 != 0,
            checkingDisabled: f & 0x0010 != 0, rcode: DNSRcode(f & 0x000F))
    }
}

public struct DNSQuestion: Hashable, Sendable {
    public var name: DNSName
    public var type: DNSType
    public var `class`: DNSClass

    public init(name: DNSName, type: DNSType, class: DNSClass = .in) {
        self.name = name
        self.type = type
        self.class = `class`
    }
}

/// The EDNS(0) pseudo-record (RFC 6891), lifted out of the additional section: it describes the transport, not data.
public struct EDNS: Hashable, Sendable {
    public struct Option: Hashable, Sendable {
        public var code: UInt16
        public var data: [UInt8]
        public init(code: UInt16, data: [UInt8]) {
            self.code = code
            self.data = data
        }
    }

    /// The largest UDP payload the sender can reassemble; values under 512 are read as 512 (RFC 6891 §6.2.3).
    public var udpPayloadSize: UInt16
    public var version: UInt8
    /// The DO bit: the sender understands DNSSEC records. We sign nothing, but echo it as RFC 3225 asks.
    public var dnssecOK: Bool
    /// The other fifteen flag bits, kept for faithful round trips.
    public var otherFlags: UInt16
    public var options: [Option]

    public init(udpPayloadSize: UInt16 = 1232, version: UInt8 = 0, dnssecOK: Bool = false, otherFlags: UInt16 = 0,
                options: [Option] = []) {
        self.udpPayloadSize = udpPayloadSize
        self.version = version
        self.dnssecOK = dnssecOK
        self.otherFlags = otherFlags & 0x7FFF
        self.options = options
    }

    /// Bytes the OPT record takes on the wire: root owner, type, class, TTL, rdlength, then the options.
    var encodedSize: Int {
        11 + options.reduce(0) { $0 + 4 + $1.data.count }
    }
}

/// One resource record. `type` is explicit so that records of unknown types survive; for known types it matches
/// the `data` case.
public struct DNSRecord: Hashable, Sendable {
    public var name: DNSName
    public var type: DNSType
    public var `class`: DNSClass
    public var ttl: UInt32
    public var data: RData

    public init(name: DNSName, type: DNSType, class: DNSClass = .in, ttl: UInt32, data: RData) {
        self.name = name
        self.type = type
        self.class = `class`
        self.ttl = ttl
        self.data = data
    }

    /// A record whose type follows from its data.
    public init(name: DNSName, ttl: UInt32, data: RData) {
        self.init(name: name, type: data.naturalType ?? DNSType(0), ttl: ttl, data: data)
    }

    public struct SOA: Hashable, Sendable {
        public var mname: DNSName
        public var rname: DNSName
        public var serial: UInt32
        public var refresh: UInt32
        public var retry: UInt32
        public var expire: UInt32
        public var minimum: UInt32
        public init(mname: DNSName, rname: DNSName, serial: UInt32, refresh: UInt32, retry: UInt32, expire: UInt32,
                    minimum: UInt32) {
            self.mname = mname
            self.rname = rname
            self.serial = serial
            self.refresh = refresh
            self.retry = retry
            self.expire = expire
            self.minimum = minimum
        }
    }

    public struct SRV: Hashable, Sendable {
        public var priority: UInt16
        public var weight: UInt16
        public var port: UInt16
        public var target: DNSName
        public init(priority: UInt16, weight: UInt16, port: UInt16, target: DNSName) {
            self.priority = priority
            self.weight = weight
            self.port = port
            self.target = target
        }
    }

    /// Record data. Address cases carry `IPAddress` values whose family matches the case (A: IPv4, AAAA: IPv6);
    /// the encoder writes the low 32 bits for A and all 128 for AAAA regardless.
    public enum RData: Hashable, Sendable {
        case a(IPAddress)
        case aaaa(IPAddress)
        case ns(DNSName)
        case cname(DNSName)
        case ptr(DNSName)
        case mx(preference: UInt16, exchange: DNSName)
        case txt([[UInt8]])
        case srv(SRV)
        indirect case soa(SOA)
        /// Raw rdata of a type this codec does not interpret, or of a known type in a class other than IN.
        case unknown([UInt8])

        /// The record type this data belongs to; nil for `unknown`.
        public var naturalType: DNSType? {
            switch self {
            case .a: .a
            case .aaaa: .aaaa
            case .ns: .ns
            case .cname: .cname
            case .ptr: .ptr
            case .mx: .mx
            case .txt: .txt
            case .srv: .srv
            case .soa: .soa
            case .unknown: nil
            }
        }

        /// TXT data from text strings, each cut into character-strings of at most 255 bytes.
        public static func text(_ strings: [String]) -> RData {
            var out: [[UInt8]] = []
            for s in strings {
                let bytes = Array(s.utf8)
                if bytes.isEmpty { out.append([]) }
                var i = 0
                while i < bytes.count {
                    out.append(Array(bytes[i..<min(i + 255, bytes.count)]))
                    i += 255
                }
            }
            return .txt(out)
        }
    }
}

/// A whole DNS message. The section counts are those of the arrays; the OPT record, if any, is `edns`.
public struct DNSMessage: Hashable, Sendable {
    public var header: DNSHeader
    public var questions: [DNSQuestion]
    public var answers: [DNSRecord]
    public var authority: [DNSRecord]
    public var additional: [DNSRecord]
    public var edns: EDNS?

    public init(header: DNSHeader = DNSHeader(), questions: [DNSQuestion] = [], answers: [DNSRecord] = [],
                authority: [DNSRecord] = [], additional: [DNSRecord] = [], edns: EDNS? = nil) {
        self.header = header
        self.questions = questions
        self.answers = answers
        self.authority = authority
        self.additional = additional
        self.edns = edns
    }

    /// A query as a stub resolver sends it: recursion desired, one question, optionally EDNS.
    public static func query(id: UInt16, name: DNSName, type: DNSType, class: DNSClass = .in,
                             edns: EDNS? = nil) -> DNSMessage {
        DNSMessage(
            header: DNSHeader(id: id, recursionDesired: true),
            questions: [DNSQuestion(name: name, type: type, class: `class`)],
            edns: edns)
    }

    /// An empty response to `query` with `rcode`: the ID, opcode, RD and CD bits and the question copied as RFC 1035
    /// and RFC 6840 ask, and an OPT record with our payload size when the query had one (a server that speaks EDNS
    /// must say so in every reply to an EDNS query, including error replies).
    public static func response(to query: DNSMessage, rcode: DNSRcode, recursionAvailable: Bool,
                                udpPayloadSize: UInt16 = 1232) -> DNSMessage {
        var header = DNSHeader(
            id: query.header.id, isResponse: true, opcode: query.header.opcode,
            recursionDesired: query.header.recursionDesired, recursionAvailable: recursionAvailable,
            checkingDisabled: query.header.checkingDisabled, rcode: rcode)
        var edns: EDNS?
        if let requested = query.edns {
            edns = EDNS(udpPayloadSize: udpPayloadSize, dnssecOK: requested.dnssecOK)
        } else if rcode.rawValue > 15 {
            // An extended rcode cannot be said without OPT; fall back to the nearest plain one.
            header.rcode = .servFail
        }
        return DNSMessage(header: header, questions: Array(query.questions.prefix(1)), edns: edns)
    }
}
