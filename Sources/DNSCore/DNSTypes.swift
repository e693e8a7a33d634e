/// A resource-record type. A struct rather than an enum so that any of the 65,536 values can be carried through
/// (RFC 3597): a query for a type we have never heard of still gets a well-formed NODATA.
public struct DNSType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    public static let a = DNSType(1)
    public static let ns = DNSType(2)
    public static let cname = DNSType(5)
    public static let soa = DNSType(6)
    public static let ptr = DNSType(12)
    public static let hinfo = DNSType(13)
    public static let mx = DNSType(15)
    public static let txt = DNSType(16)
    public static let aaaa = DNSType(28)
    public static let srv = DNSType(33)
    public static let opt = DNSType(41)
    public static let ixfr = DNSType(251)
    public static let axfr = DNSType(252)
    public static let any = DNSType(255)

    public var description: String {
        switch self {
        case .a: "A"
        case .ns: "NS"
        case .cname: "CNAME"
        case .soa: "SOA"
        case .ptr: "PTR"
        case .hinfo: "HINFO"
        case .mx: "MX"
        case .txt: "TXT"
        case .aaaa: "AAAA"
        case .srv: "SRV"
        case .opt: "OPT"
        case .ixfr: "IXFR"
        case .axfr: "AXFR"
        case .any: "ANY"
        default: "TYPE\(rawValue)"
        }
    }
}

/// A record or question class; only IN (and ANY in questions) is served, the rest are carried for echoing.
public struct DNSClass: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    public static let `in` = DNSClass(1)
    public static let chaos = DNSClass(3)
    public static let hesiod = DNSClass(4)
    public static let none = DNSClass(254)
    public static let any = DNSClass(255)

    public var description: String {
        switch self {
        case .in: "IN"
        case .chaos: "CH"
        case .hesiod: "HS"
        case .none: "NONE"
        case .any: "ANY"
        default: "CLASS\(rawValue)"
        }
    }
}

/// A response code, 12 bits wide: the low four live in the header, the high eight in the OPT record (RFC 6891).
public struct DNSRcode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue & 0x0FFF }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue & 0x0FFF }

    public static let noError = DNSRcode(0)
    public static let formErr = DNSRcode(1)
    public static let servFail = DNSRcode(2)
    public static let nxDomain = DNSRcode(3)
    public static let notImp = DNSRcode(4)
    public static let refused = DNSRcode(5)
    /// EDNS version not supported; needs an OPT record to be expressed.
    public static let badVers = DNSRcode(16)

    public var description: String {
        switch self {
        case .noError: "NOERROR"
        case .formErr: "FORMERR"
        case .servFail: "SERVFAIL"
        case .nxDomain: "NXDOMAIN"
        case .notImp: "NOTIMP"
        case .refused: "REFUSED"
        case .badVers: "BADVERS"
        default: "RCODE\(rawValue)"
        }
    }
}

/// The four-bit operation code; only QUERY is answered, everything else gets NOTIMP.
public struct DNSOpcode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue & 0x0F }
    public init(_ rawValue: UInt8) { self.rawValue = rawValue & 0x0F }

    public static let query = DNSOpcode(0)
    public static let iquery = DNSOpcode(1)
    public static let status = DNSOpcode(2)
    public static let notify = DNSOpcode(4)
    public static let update = DNSOpcode(5)

    public var description: String {
        switch self {
        case .query: "QUERY"
        case .iquery: "IQUERY"
        case .status: "STATUS"
        case .notify: "NOTIFY"
        case .update: "UPDATE"
        default: "OPCODE\(rawValue)"
        }
    }
}
