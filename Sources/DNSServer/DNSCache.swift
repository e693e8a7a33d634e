import DNSCore
import NIOCore
import Synchronization

/// A bounded cache of upstream answers, keyed by question (name case-folded, type, class).
///
/// Positive answers live for the smallest TTL of their answer records; NXDOMAIN and NODATA for the SOA's
/// min(TTL, MINIMUM) as RFC 2308 §5 asks, and not at all without an SOA. SERVFAIL and truncated answers are never
/// kept. Every TTL is capped at `maxTTL` so a mistaken upstream cannot pin an entry for days. When full, expired
/// entries are swept and, if that frees nothing, an arbitrary entry goes: cheaper than LRU bookkeeping on every hit,
/// and the bound is what matters for memory.
final class DNSCache: Sendable {
    struct Key: Hashable, Sendable {
        var name: DNSName
        var type: DNSType
        var `class`: DNSClass
    }

    struct Entry: Sendable {
        var rcode: DNSRcode
        var answers: [DNSRecord]
        var authority: [DNSRecord]
        var additional: [DNSRecord]
        var stored: NIODeadline
        var expires: NIODeadline

        /// NXDOMAIN or NODATA: what CoreDNS's cache calls a denial.
        var isDenial: Bool { rcode == .nxDomain || answers.isEmpty }
    }

    let capacity: Int
    let maxTTL: UInt32
    private let entries = Mutex<[Key: Entry]>([:])

    init(capacity: Int, maxTTL: UInt32 = 3600) {
        self.capacity = max(0, capacity)
        self.maxTTL = maxTTL
    }

    var count: Int { entries.withLock { $0.count } }

    /// Entries holding answers and entries holding denials (NXDOMAIN/NODATA), expired ones included until swept:
    /// `coredns_cache_entries{type}`.
    var counts: (success: Int, denial: Int) {
        entries.withLock { table in
            let denial = table.values.reduce(0) { $0 + ($1.isDenial ? 1 : 0) }
            return (table.count - denial, denial)
        }
    }

    static func key(_ question: DNSQuestion) -> Key {
        Key(name: question.name.lowercased(), type: question.type, class: question.class)
    }

    /// How long `response` may be cached, or nil when it must not be.
    func lifetime(of response: DNSMessage) -> UInt32? {
        guard !response.header.truncated else { return nil }
        switch response.header.rcode {
        case .noError where !response.answers.isEmpty:
            return response.answers.map(\.ttl).min().map { min($0, maxTTL) }
        case .noError, .nxDomain:
            for record in response.authority {
                if case .soa(let soa) = record.data { return min(record.ttl, soa.minimum, maxTTL) }
            }
            return nil
        default:
            return nil
        }
    }

    func insert(_ question: DNSQuestion, response: DNSMessage, now: NIODeadline = .now()) {
        guard capacity > 0, let ttl = lifetime(of: response), ttl > 0 else { return }
        let entry = Entry(
            rcode: response.header.rcode, answers: response.answers, authority: response.authority,
            additional: response.additional.filter { $0.type != .opt }, stored: now,
            expires: now + .seconds(Int64(ttl)))
        let key = Self.key(question)
        entries.withLock { table in
            if table.count >= capacity, table[key] == nil {
                table = table.filter { $0.value.expires > now }
                if table.count >= capacity, let victim = table.keys.first { table[victim] = nil }
            }
            table[key] = entry
        }
    }

    /// The cached answer with every TTL reduced by the time it has spent here, or nil.
    func lookup(_ question: DNSQuestion, now: NIODeadline = .now()) -> Entry? {
        let key = Self.key(question)
        guard var entry = entries.withLock({ table -> Entry? in
            guard let entry = table[key] else { return nil }
            if entry.expires <= now {
                table[key] = nil
                return nil
            }
            return entry
        }) else { return nil }
        let age = UInt32(clamping: (now - entry.stored).nanoseconds / 1_000_000_000)
        func aged(_ records: [DNSRecord]) -> [DNSRecord] {
            records.map { record in
                var r = record
                r.ttl = r.ttl > age ? r.ttl - age : 0
                return r
            }
        }
        entry.answers = aged(entry.answers)
        entry.authority = aged(entry.authority)
        entry.additional = aged(entry.additional)
        return entry
    }
}
