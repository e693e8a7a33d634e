import KubeModel
import ProxyCore

/// The nftables address family of a table. Junction uses one table per IP family (`ip`, `ip6`), never `inet`,
/// because each family needs its own sets anyway (as kube-proxy reasons).
public enum NFTFamily: String, Sendable, Hashable {
    case ip
    case ip6

    public init(_ family: IPFamily) { self = family == .ipv4 ? .ip : .ip6 }

    public var ipFamily: IPFamily { self == .ip ? .ipv4 : .ipv6 }
    /// The set key type of an address of this family.
    public var addressType: NFTDataType { self == .ip ? .ipv4Address : .ipv6Address }
}

/// Verdicts: in rules, and as the data of verdict maps.
public enum NFTVerdict: Sendable, Hashable {
    case accept
    case drop
    case `return`
    /// Run the chain, then come back.
    case jump(String)
    /// Run the chain instead of the rest of this one.
    case goto(String)

    /// The chain this verdict transfers to, if any.
    public var chain: String? {
        switch self {
        case .jump(let c), .goto(let c): c
        default: nil
        }
    }
}

/// A constant: a map key or value, or the right-hand side of a comparison.
public enum NFTValue: Sendable, Hashable, Comparable {
    case address(IPAddress)
    case prefix(CIDR)
    case proto(ServiceProtocol)
    /// A port (`inet_service`).
    case port(Int)
    case integer(Int)
    /// `address . port`, the data of endpoint maps: the same as `.concat([.address, .port])` in nft, kept as
    /// one case because there are a quarter of a million of them at scale and arrays cost an allocation each.
    case addressAndPort(IPAddress, Int)
    /// `address . port . index`: the same as `.concat([.address, .port, .integer])`, one case for the same reason
    /// as `addressAndPort`.
    case endpointKey(IPAddress, port: Int, index: Int)
    /// `address . index`, the keys of the ClusterIP endpoint maps (`NFTSetSpec.clusterEndpoints`): the same as
    /// `.concat([.address, .integer])`, one case for the same reason as `addressAndPort`.
    case addressAndIndex(IPAddress, index: Int)
    case concat([NFTValue])
    case verdict(NFTVerdict)

    public static func < (lhs: NFTValue, rhs: NFTValue) -> Bool { compare(lhs, rhs) < 0 }

    /// Three-way comparison: values of one kind by value, different kinds by kind. Only needs to be a total
    /// order, for stable output.
    static func compare(_ lhs: NFTValue, _ rhs: NFTValue) -> Int {
        func order<T: Comparable>(_ a: T, _ b: T) -> Int { a < b ? -1 : (a == b ? 0 : 1) }
        switch (lhs, rhs) {
        case (.address(let a), .address(let b)): return order(a, b)
        case (.prefix(let a), .prefix(let b)):
            let byNetwork = order(a.network, b.network)
            return byNetwork != 0 ? byNetwork : order(a.prefixLength, b.prefixLength)
        case (.proto(let a), .proto(let b)): return order(a, b)
        case (.port(let a), .port(let b)), (.integer(let a), .integer(let b)): return order(a, b)
        case (.addressAndPort(let a, let p), .addressAndPort(let b, let q)):
            let byAddress = order(a, b)
            return byAddress != 0 ? byAddress : order(p, q)
        case (.endpointKey(let a, let p, let i), .endpointKey(let b, let q, let j)):
            let byAddress = order(a, b)
            if byAddress != 0 { return byAddress }
            return p != q ? order(p, q) : order(i, j)
        case (.addressAndIndex(let a, let i), .addressAndIndex(let b, let j)):
            let byAddress = order(a, b)
            return byAddress != 0 ? byAddress : order(i, j)
        case (.concat(let a), .concat(let b)):
            for (x, y) in zip(a, b) {
                let c = compare(x, y)
                if c != 0 { return c }
            }
            return order(a.count, b.count)
        case (.verdict(let a), .verdict(let b)): return order(a.rendered, b.rendered)
        default: return order(lhs.rank, rhs.rank)
        }
    }

    private var rank: Int {
        switch self {
        case .address: 0
        case .prefix: 1
        case .proto: 2
        case .port: 3
        case .integer: 4
        case .addressAndPort: 5
        case .endpointKey: 6
        case .addressAndIndex: 7
        case .concat: 8
        case .verdict: 9
        }
    }
}

/// Set and map key and data types, in `type …` declarations.
public enum NFTDataType: String, Sendable, Hashable {
    case ipv4Address = "ipv4_addr"
    case ipv6Address = "ipv6_addr"
    case inetProto = "inet_proto"
    case inetService = "inet_service"
    case verdict
}

/// Packet fields the rules read.
public enum NFTField: Sendable, Hashable {
    /// `ip saddr` / `ip6 saddr`.
    case sourceAddress
    /// `ip daddr` / `ip6 daddr`.
    case destinationAddress
    /// `meta l4proto`.
    case l4proto
    /// `th dport`: the destination port of TCP, UDP or SCTP alike.
    case destinationPort
    /// `meta mark`.
    case mark
    /// `numgen random mod N offset B`: a uniformly random number in B..<B+N, drawn anew each time it is
    /// evaluated.
    case random(modulus: Int, offset: Int = 0)
}

/// A condition of a rule; all conditions of a rule must hold for its statements to run.
public enum NFTMatch: Sendable, Hashable {
    /// `field value` or `field != value` (a prefix value matches addresses inside it).
    case equals(NFTField, NFTValue, negated: Bool = false)
    /// `field { v1, v2 }` or `field != { … }`: membership in an inline (anonymous) set.
    case inList(NFTField, [NFTValue], negated: Bool = false)
    /// `f1 . f2 @set`: membership in a named set.
    case inSet([NFTField], set: String, negated: Bool = false)
    /// `meta mark & mask == 0` (`isSet` false) or `meta mark & mask != 0`.
    case markBits(UInt32, isSet: Bool)
    /// `ct state new`: the first packet of a connection.
    case connectionNew
    /// `ct status dnat`: the connection was destination-NATed.
    case connectionDNAT
    /// `fib saddr type local` / `fib daddr type local`: the address is one of this host's own.
    case addressIsLocal(source: Bool)
}

/// How a packet is refused.
public enum NFTRejectKind: Sendable, Hashable {
    /// ICMP (or ICMPv6) port unreachable: what UDP clients understand, and the kernel's default.
    case icmpPortUnreachable
    /// A TCP reset: connect() fails at once with "connection refused".
    case tcpReset
}

/// What a rule does once its conditions hold, in order.
public enum NFTStatement: Sendable, Hashable {
    case verdict(NFTVerdict)
    case reject(NFTRejectKind)
    /// `f1 . f2 vmap @map`: look the key up in a verdict map and apply the verdict (no match: next rule).
    case verdictMap([NFTField], map: String)
    /// `meta mark set meta mark | bits`.
    case setMarkBits(UInt32)
    /// `meta mark set meta mark & ~bits`.
    case clearMarkBits(UInt32)
    /// `masquerade fully-random`: source NAT to the outgoing interface's address, with random ports (avoids the
    /// SNAT port-clash races behind kube's DNS delays).
    case masquerade
    /// `dnat ip to addr:port`.
    case dnat(IPAddress, port: Int)
    /// `dnat ip to <k1 . k2 …> map @map`: destination from a data map of `address . port` (no match: next rule).
    case dnatMap([NFTField], map: String)
    /// `dnat ip to <k …> map @addressMap : <k …> map @portMap`: the address and the port from two data maps (no
    /// match in either: next rule).
    case dnatMaps(address: [NFTField], addressMap: String, port: [NFTField], portMap: String)
    /// `update @set { f }`: add the key, or refresh its timeout.
    case updateSet([NFTField], set: String)
}

/// One rule: conditions, then statements.
public struct NFTRule: Sendable, Hashable {
    public var matches: [NFTMatch]
    public var statements: [NFTStatement]
    public var comment: String?

    public init(_ matches: [NFTMatch], _ statements: [NFTStatement], comment: String? = nil) {
        self.matches = matches
        self.statements = statements
        self.comment = comment
    }

    /// A rule without conditions.
    public init(_ statements: [NFTStatement], comment: String? = nil) {
        self.init([], statements, comment: comment)
    }

    /// Chains this rule can transfer to.
    public var chainReferences: [String] {
        statements.compactMap {
            if case .verdict(let v) = $0 { return v.chain }
            return nil
        }
    }

    /// Named sets and maps this rule reads or writes.
    public var setReferences: [String] {
        var names: [String] = []
        for match in matches {
            if case .inSet(_, let set, _) = match { names.append(set) }
        }
        for statement in statements {
            switch statement {
            case .verdictMap(_, let map), .dnatMap(_, let map): names.append(map)
            case .dnatMaps(_, let addressMap, _, let portMap): names += [addressMap, portMap]
            case .updateSet(_, let set): names.append(set)
            default: break
            }
        }
        return names
    }
}

public enum NFTHook: String, Sendable, Hashable, CaseIterable {
    case prerouting
    case input
    case forward
    case output
    case postrouting
}

public enum NFTChainType: String, Sendable, Hashable {
    case filter
    case nat
}

/// What makes a chain a base chain: attached to a netfilter hook at a priority (lower runs first).
public struct NFTBaseChain: Sendable, Hashable {
    public var type: NFTChainType
    public var hook: NFTHook
    public var priority: Int

    public init(type: NFTChainType, hook: NFTHook, priority: Int) {
        self.type = type
        self.hook = hook
        self.priority = priority
    }

    /// Standard priorities: `dstnat` (-100) for destination NAT, `srcnat` (100) for source NAT.
    public static let dstnat = -100
    public static let srcnat = 100
}

public struct NFTChain: Sendable, Hashable {
    public var name: String
    /// Nil for a regular chain, reached only by jump, goto or verdict maps.
    public var base: NFTBaseChain?
    public var rules: [NFTRule]

    public init(_ name: String, base: NFTBaseChain? = nil, rules: [NFTRule] = []) {
        self.name = name
        self.base = base
        self.rules = rules
    }

    /// The chain without its rules: what `add chain` declares.
    public var declaration: NFTChain { NFTChain(name, base: base) }
}

/// The key (and for maps, data) shape of a named set or map.
public enum NFTSetSpec: Sendable, Hashable {
    /// `type k1 . k2 [: data]`.
    case types([NFTDataType], data: NFTDataType? = nil)
    /// `typeof numgen random mod 1 : ip daddr . tcp dport`: random-number index to `address . port`, the endpoint
    /// maps of the service chains. (`type` cannot spell a numgen key: nft rejects `integer` and `mark` for it.
    /// The port is typed by the Service's protocol: with `th dport`, nft 1.0.6 fails every later command that
    /// loads the table into its cache, with "conflicting protocols specified: tcp vs. th".)
    case endpointIndex(ServiceProtocol)
    /// `typeof ip daddr . numgen random mod 1 : ip daddr`: ClusterIP and random index to an endpoint address, the
    /// endpoint maps of the shared `pick-<proto>-<N>` chains (`NFTValue.addressAndIndex` keys). The protocol only
    /// tells the maps apart; the target port comes from `cluster-ports-<proto>`.
    case clusterEndpoints(ServiceProtocol)

    public var isMap: Bool {
        switch self {
        case .types(_, let data): data != nil
        case .endpointIndex, .clusterEndpoints: true
        }
    }
}

public enum NFTSetFlag: String, Sendable, Hashable, Comparable {
    case dynamic
    case interval
    case timeout

    public static func < (lhs: NFTSetFlag, rhs: NFTSetFlag) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The data and comment of one set or map element (nil data for plain sets).
public struct NFTElementData: Sendable, Hashable {
    public var data: NFTValue?
    public var comment: String?

    public init(_ data: NFTValue? = nil, comment: String? = nil) {
        self.data = data
        self.comment = comment
    }
}

/// A named set or map with its elements.
public struct NFTSet: Sendable, Hashable {
    public var name: String
    public var spec: NFTSetSpec
    public var flags: Set<NFTSetFlag>
    /// Element lifetime in seconds (sets with the timeout flag).
    public var timeout: Int?
    /// The most elements the kernel accepts (`size`), also its hash table's initial size; nil for the default.
    public var size: Int?
    public var comment: String?
    /// Elements by key. For a dynamic set these are only what the model put there; the kernel adds its own from
    /// `update` statements, and Junction never flushes those (they are session-affinity state).
    public var elements: [NFTValue: NFTElementData]

    public init(
        _ name: String, spec: NFTSetSpec, flags: Set<NFTSetFlag> = [], timeout: Int? = nil, size: Int? = nil,
        comment: String? = nil, elements: [NFTValue: NFTElementData] = [:]
    ) {
        self.name = name
        self.spec = spec
        self.flags = flags
        self.timeout = timeout
        self.size = size
        self.comment = comment
        self.elements = elements
    }

    public var isMap: Bool { spec.isMap }
    /// Filled by the data plane (`update`), not by the control plane.
    public var isDynamic: Bool { flags.contains(.dynamic) }

    /// The set without its elements: what `add set` declares.
    public var declaration: NFTSet {
        NFTSet(name, spec: spec, flags: flags, timeout: timeout, size: size, comment: comment)
    }
}

/// One table: the whole of what Junction owns in one family. Nothing outside it is ever touched.
public struct NFTTable: Sendable, Hashable {
    public var family: NFTFamily
    public var name: String
    public var comment: String?
    public var chains: [String: NFTChain]
    public var sets: [String: NFTSet]

    public init(family: NFTFamily, name: String, comment: String? = nil, chains: [String: NFTChain] = [:], sets: [String: NFTSet] = [:]) {
        self.family = family
        self.name = name
        self.comment = comment
        self.chains = chains
        self.sets = sets
    }

    /// Base chains attached to `hook`, in the order the kernel runs them (by priority).
    public func baseChains(for hook: NFTHook) -> [NFTChain] {
        chains.values.filter { $0.base?.hook == hook }.sorted {
            ($0.base?.priority ?? 0, $0.name) < ($1.base?.priority ?? 0, $1.name)
        }
    }
}
