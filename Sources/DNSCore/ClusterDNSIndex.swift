/// How `<a-b-c-d>.<ns>.pod.<zone>` names are answered (CoreDNS's `pods` option).
public enum PodRecordMode: String, Sendable, CaseIterable {
    /// No pod names: everything under `pod.<zone>` is NXDOMAIN.
    case disabled
    /// Any dashed IP in any namespace answers with that IP, without looking at pods (kube-dns compatible; what the
    /// stock CoreDNS configuration ships).
    case insecure
    /// Only IPs of pods that exist in that namespace; needs the pods fed to the index.
    case verified
}

/// The record sets at one name, kept as a short list: a name rarely holds more than two types.
public struct RRSets: Hashable, Sendable {
    /// The records of one type at the name.
    public struct RRSet: Hashable, Sendable {
        public var type: DNSType
        public var data: [DNSRecord.RData]
    }

    public var sets: [RRSet] = []

    public init() {}

    public var isEmpty: Bool { sets.isEmpty }

    public subscript(type: DNSType) -> [DNSRecord.RData] {
        for s in sets where s.type == type { return s.data }
        return []
    }

    /// Adds `data` under `type`; callers drop duplicates themselves.
    mutating func append(_ type: DNSType, _ data: DNSRecord.RData) {
        for i in sets.indices where sets[i].type == type {
            sets[i].data.append(data)
            return
        }
        sets.append(RRSet(type: type, data: [data]))
    }

    /// Unions record sets from several sources (two headless services sharing a pod IP both put a PTR at its
    /// reverse name; two host-network pods share an IP).
    mutating func merge(_ other: RRSets) {
        for s in other.sets {
            if let i = sets.firstIndex(where: { $0.type == s.type }) {
                var seen = Set(sets[i].data)
                for d in s.data where seen.insert(d).inserted { sets[i].data.append(d) }
            } else {
                sets.append(s)
            }
        }
    }
}

/// Who put records at a name, so that one object's update replaces exactly its own records.
enum RecordSource: Hashable, Sendable {
    case builtin
    case service(namespace: String, name: String)
    case pod(namespace: String, name: String)
}

/// One name in the index: its records (merged across sources), how many sources put records here and how many owner
/// names lie below it. A node with no records but descendants is an empty non-terminal, which exists (NODATA, not
/// NXDOMAIN; RFC 8020).
///
/// 16 bytes and one shared `RRSets`: which sources contributed is the Builder's business (its per-source records,
/// plus a side table for the rare names with several sources), not something every snapshot carries per name.
struct NameNode: Sendable {
    var records = RRSets()
    /// Sources with records at this name.
    var owners: Int32 = 0
    /// Owner names strictly below this one (counted once per contribution).
    var descendants: Int32 = 0

    var isEmpty: Bool { owners == 0 && descendants == 0 }
}

/// The name table in fixed shards. Each shard is its own dictionary, so a snapshot shares all of them and a change
/// after it copies only the shards it touches (copy-on-write), not the whole table: a watch event at 10k services
/// costs a copy of about 1/64 of the names.
struct ShardedNameTable: Sendable {
    static let shardCount = 256
    var shards: [[DNSName: NameNode]] = Array(repeating: [:], count: ShardedNameTable.shardCount)

    /// A cheap case-insensitive shard choice from the first label and the length; the dictionary hashes again.
    @inline(__always)
    static func shard(of name: DNSName) -> Int {
        let wire = name.wire
        var h: UInt32 = 0x811C_9DC5 ^ UInt32(wire.count)
        let end = min(wire.count, 1 + Int(wire[0]))
        var i = 1
        while i < end {
            h = (h ^ UInt32(DNSName.lower(wire[i]))) &* 0x0100_0193
            i += 1
        }
        return Int(h >> 7) & (shardCount - 1)
    }

    subscript(name: DNSName) -> NameNode? {
        get { shards[Self.shard(of: name)][name] }
        set { shards[Self.shard(of: name)][name] = newValue }
    }

    var count: Int { shards.reduce(0) { $0 + $1.count } }
}

/// An immutable snapshot of every cluster DNS name: what a query thread reads, with no lock, while the watch side
/// builds the next one with `ClusterDNSIndex.Builder`.
///
/// Lookups are one hash of the query name (case-insensitive) in one shard. Records carry no TTL; the resolver
/// applies its configured TTLs.
public struct ClusterDNSIndex: Sendable {
    /// The cluster domain, lower-case (`cluster.local.`).
    public let zone: DNSName
    public let podMode: PodRecordMode
    /// Bumped on every change; the SOA serial.
    public let serial: UInt32
    /// `ns.dns.<zone>` and `hostmaster.<zone>`, precomputed for SOA records.
    let soaMName: DNSName
    let soaRName: DNSName
    /// Number of labels in `zone`, precomputed for name parsing on the hot path.
    let zoneLabels: Int
    let table: ShardedNameTable

    init(zone: DNSName, podMode: PodRecordMode, serial: UInt32, table: ShardedNameTable) {
        self.zone = zone
        self.podMode = podMode
        self.serial = serial
        self.table = table
        soaMName = zone.prepending("dns")?.prepending("ns") ?? zone
        soaRName = zone.prepending("hostmaster") ?? zone
        zoneLabels = zone.labelCount
    }

    /// An index with only the built-in names (apex, `svc`, `pod`, `dns-version`).
    public init(zone: DNSName = .clusterLocal, podMode: PodRecordMode = .insecure) {
        self = Builder(zone: zone, podMode: podMode).snapshot()
    }

    func node(_ name: DNSName) -> NameNode? {
        table[name]
    }

    /// Whether `name` exists in the index (has records or names below it).
    public func contains(_ name: DNSName) -> Bool {
        table[name] != nil
    }

    /// The data of one record set, for inspection and tests.
    public func records(_ name: DNSName, _ type: DNSType) -> [DNSRecord.RData] {
        table[name]?.records[type] ?? []
    }

    /// All record sets at a name.
    public func recordSets(_ name: DNSName) -> RRSets? {
        table[name]?.records
    }

    /// The number of names held (owners and empty non-terminals).
    public var nameCount: Int { table.count }
}
