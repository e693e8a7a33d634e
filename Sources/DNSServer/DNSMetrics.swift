import DNSCore
import NIOCore
import Prometheus
import Synchronization

/// Prometheus metrics under CoreDNS's names and labels, so dashboards and alerts written for CoreDNS work unchanged.
///
/// Per-query figures (`coredns_dns_requests_total`, `_responses_total`, the duration and size histograms) are kept
/// off the query path's cost: each socket handler counts into its own `DNSMetricsTally` (plain arrays indexed by
/// small enums, no lock, no atomics, no strings) and merges it here every 256 queries or within 100 ms, taking one
/// lock per merge. The counters behind them are created on first use, so only label sets that occurred are exported,
/// as CoreDNS does. The forwarder's and the cache's metrics are counted directly: they sit behind a network round
/// trip or a locked table lookup anyway.
///
/// Labels: `server` is the configured listen address written as CoreDNS writes it (`dns://:53` for the wildcard
/// address, `dns://127.0.0.1:53` otherwise); `zone` is `.` (one server block for every name, like the stock
/// Corefile's `.:53`); `view` is empty (no views); `plugin` says who wrote the answer: `kubernetes` (the cluster
/// index), `forward`, `cache`, or empty for errors the server itself wrote (FORMERR, SERVFAIL before the sync or
/// when no upstream answered).
public final class DNSMetrics: Sendable {
    /// Who wrote an answer: CoreDNS's `plugin` label.
    enum Responder: Int, CaseIterable, Sendable {
        case server, kubernetes, forward, cache

        var label: String {
            switch self {
            case .server: ""
            case .kubernetes: "kubernetes"
            case .forward: "forward"
            case .cache: "cache"
            }
        }
    }

    /// The query types CoreDNS reports by name; every other type is `other`.
    enum QueryType: Int, CaseIterable, Sendable {
        case a, aaaa, cname, dnskey, ds, mx, nsec3, nsec, ns, ptr, rrsig, soa, srv, txt, https, svcb, ixfr, axfr, any
        case other

        init(code: UInt16) {
            switch code {
            case 1: self = .a
            case 2: self = .ns
            case 5: self = .cname
            case 6: self = .soa
            case 12: self = .ptr
            case 15: self = .mx
            case 16: self = .txt
            case 28: self = .aaaa
            case 33: self = .srv
            case 43: self = .ds
            case 46: self = .rrsig
            case 47: self = .nsec
            case 48: self = .dnskey
            case 50: self = .nsec3
            case 64: self = .svcb
            case 65: self = .https
            case 251: self = .ixfr
            case 252: self = .axfr
            case 255: self = .any
            default: self = .other
            }
        }

        var label: String {
            switch self {
            case .other: "other"
            default: "\(self)".uppercased()
            }
        }
    }

    /// Response codes as CoreDNS names them (the 4-bit header field; unassigned values as numbers).
    static let rcodeLabels = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN",
                              "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "11", "12", "13", "14", "15"]

    /// CoreDNS's `plugin.TimeBuckets`: 0.25 ms doubling up to 8.192 s.
    static let durationBucketNanos: [Int64] = (0..<16).map { Int64(250_000) << $0 }
    static let durationBuckets: [Duration] = durationBucketNanos.map { .nanoseconds($0) }
    /// CoreDNS's request and response size buckets, in bytes.
    static let sizeBuckets = [0, 100, 200, 300, 400, 511, 1023, 2047, 4095, 8291, 16_000, 32_000, 48_000, 64_000]

    public let registry: PrometheusCollectorRegistry
    /// The `server` label value.
    let server: String
    let zone = "."
    private let totals: Mutex<Totals>
    private let cacheHits: [Counter]
    private let cacheMisses: Counter
    private let cacheRequests: Counter
    private let cacheEntries: [Gauge]
    private let forwardRejects: Counter

    /// The histograms and lazily created counters fed by merged tallies.
    private struct Totals {
        var requests: [Counter?]
        var responses: [Counter?]
        var duration = HistogramCounts(bucketCount: DNSMetrics.durationBuckets.count)
        var requestSize = [HistogramCounts](repeating: HistogramCounts(bucketCount: DNSMetrics.sizeBuckets.count),
                                            count: 2)
        var responseSize = [HistogramCounts](repeating: HistogramCounts(bucketCount: DNSMetrics.sizeBuckets.count),
                                             count: 2)
    }

    /// - Parameters:
    ///   - host: the configured listen address; with `port`, the `server` label.
    ///   - version: reported by `coredns_build_info`.
    public init(host: String, port: Int, version: String = "dev", registry: PrometheusCollectorRegistry = .init()) {
        self.registry = registry
        let wildcard = host.isEmpty || host == "0.0.0.0" || host == "::"
        let server = wildcard ? "dns://:\(port)"
            : host.contains(":") ? "dns://[\(host)]:\(port)" : "dns://\(host):\(port)"
        let zone = self.zone
        self.server = server
        totals = Mutex(Totals(requests: Array(repeating: nil, count: DNSMetricsTally.requestCells),
                              responses: Array(repeating: nil, count: DNSMetricsTally.responseCells)))
        let cacheLabels = [("server", server), ("zones", zone), ("view", "")]
        let hits = Self.descriptor("cache", "hits", "total", "The count of cache hits.")
        cacheHits = ["success", "denial"].map { type in
            registry.makeCounter(descriptor: hits,
                                 labels: [("server", server), ("type", type), ("zones", zone), ("view", "")])
        }
        cacheMisses = registry.makeCounter(
            descriptor: Self.descriptor("cache", "misses", "total",
                                        "The count of cache misses. Deprecated, derive misses from cache hits/requests counters."),
            labels: cacheLabels)
        cacheRequests = registry.makeCounter(
            descriptor: Self.descriptor("cache", "requests", "total", "The count of cache requests."), labels: cacheLabels)
        let entries = Self.descriptor("cache", "entries", "", "The number of elements in the cache.")
        cacheEntries = ["success", "denial"].map { type in
            registry.makeGauge(descriptor: entries,
                               labels: [("server", server), ("type", type), ("zones", zone), ("view", "")])
        }
        forwardRejects = registry.makeCounter(
            descriptor: Self.descriptor("forward", "max_concurrent_rejects", "total",
                                        "Counter of the number of queries rejected because the concurrent queries were at maximum."),
            labels: [])
        #if compiler(>=6.3)
        let compiler = "swift6.3"
        #else
        let compiler = "swift6"
        #endif
        registry.makeGauge(
            descriptor: Self.descriptor(nil, "build", "info",
                                        "A metric with a constant '1' value labeled by version, revision, and goversion from which CoreDNS was built."),
            labels: [("version", version), ("revision", ""), ("goversion", compiler)]
        ).set(to: 1)
    }

    static func descriptor(_ subsystem: String?, _ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "coredns", subsystem: subsystem, metricName: name, unitName: unit, helpText: help)
    }

    // MARK: Per-query figures

    /// Adds a handler's tally to the exported totals and clears it.
    func merge(_ tally: inout DNSMetricsTally) {
        guard tally.pending > 0 else { return }
        totals.withLock { totals in
            for cell in tally.requests.indices where tally.requests[cell] > 0 {
                let counter = totals.requests[cell] ?? makeRequestCounter(cell)
                totals.requests[cell] = counter
                counter.increment(by: Int64(tally.requests[cell]))
            }
            for cell in tally.responses.indices where tally.responses[cell] > 0 {
                let counter = totals.responses[cell] ?? makeResponseCounter(cell)
                totals.responses[cell] = counter
                counter.increment(by: Int64(tally.responses[cell]))
            }
            totals.duration.add(tally.duration)
            for proto in 0..<2 {
                totals.requestSize[proto].add(tally.requestSize[proto])
                totals.responseSize[proto].add(tally.responseSize[proto])
            }
        }
        tally.reset()
    }

    /// Records one query answered off the event loop (forwarded or chased), where no handler tally is at hand.
    func record(_ query: [UInt8], reply: [UInt8], transport: DNSTransport, ipv6: Bool, responder: Responder,
                since start: NIODeadline) {
        var tally = DNSMetricsTally()
        tally.record(query, reply: reply, transport: transport, ipv6: ipv6, responder: responder,
                     nanoseconds: (NIODeadline.now() - start).nanoseconds)
        merge(&tally)
    }

    private func makeRequestCounter(_ cell: Int) -> Counter {
        let (transport, ipv6, type) = DNSMetricsTally.requestCell(cell)
        return registry.makeCounter(
            descriptor: Self.descriptor("dns", "requests", "total",
                                        "Counter of DNS requests made per zone, protocol and family."),
            labels: [("server", server), ("zone", zone), ("view", ""), ("proto", transport == .udp ? "udp" : "tcp"),
                     ("family", ipv6 ? "2" : "1"), ("type", type.label)])
    }

    private func makeResponseCounter(_ cell: Int) -> Counter {
        let (rcode, responder) = DNSMetricsTally.responseCell(cell)
        return registry.makeCounter(
            descriptor: Self.descriptor("dns", "responses", "total", "Counter of response status codes."),
            labels: [("server", server), ("zone", zone), ("view", ""), ("rcode", Self.rcodeLabels[rcode]),
                     ("plugin", responder.label)])
    }

    // MARK: Forwarder and cache

    /// `to` as CoreDNS writes an upstream: `IP:PORT`, IPv6 in brackets.
    static func upstreamLabel(_ address: SocketAddress) -> String {
        let ip = address.ipAddress ?? "\(address)"
        let port = address.port ?? 53
        return address.protocol == .inet6 ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }

    /// One query sent to an upstream (`coredns_forward_requests_total`, the pre-1.11 name dashboards still use).
    func forwardRequest(to upstream: SocketAddress) {
        registry.makeCounter(
            descriptor: Self.descriptor("forward", "requests", "total", "Counter of requests made per upstream."),
            labels: [("to", Self.upstreamLabel(upstream))]
        ).increment()
    }

    /// An upstream's reply: `coredns_forward_responses_total` and `coredns_proxy_request_duration_seconds` (the
    /// name CoreDNS 1.11 moved the forward duration histogram to).
    func forwardResponse(from upstream: SocketAddress, rcode: DNSRcode, duration: Duration) {
        let to = Self.upstreamLabel(upstream)
        let code = Int(rcode.rawValue)
        let rcodeLabel = code < Self.rcodeLabels.count ? Self.rcodeLabels[code] : "\(code)"
        registry.makeCounter(
            descriptor: Self.descriptor("forward", "responses", "total", "Counter of responses received per upstream."),
            labels: [("rcode", rcodeLabel), ("to", to)]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: Self.descriptor("proxy", "request_duration", "seconds", "Histogram of the time each request took."),
            labels: [("proxy_name", "forward"), ("to", to), ("rcode", rcodeLabel)],
            buckets: Self.durationBuckets
        ).record(duration)
    }

    func forwardRejected() { forwardRejects.increment() }

    func cacheLookup(hit: DNSCache.Entry?) {
        cacheRequests.increment()
        guard let hit else {
            cacheMisses.increment()
            return
        }
        cacheHits[hit.isDenial ? 1 : 0].increment()
    }

    // MARK: Exposition

    /// The text `GET /metrics` returns: the registry's metrics and the merged per-query histograms.
    func exposition(cache: DNSCache) -> [UInt8] {
        let (success, denial) = cache.counts
        cacheEntries[0].set(to: Double(success))
        cacheEntries[1].set(to: Double(denial))
        var out: [UInt8] = []
        out.reserveCapacity(16_384)
        registry.emit(into: &out)
        let (duration, requestSize, responseSize) = totals.withLock { ($0.duration, $0.requestSize, $0.responseSize) }
        let base = "server=\"\(Self.escaped(server))\",zone=\"\(zone)\",view=\"\""
        let seconds = Self.durationBucketNanos.map { "\(Double($0) / 1e9)" }
        let bytes = Self.sizeBuckets.map(String.init)
        Self.render(&out, name: "coredns_dns_request_duration_seconds",
                    help: "Histogram of the time (in seconds) each request took per zone.",
                    series: [(base, duration)], bounds: seconds, sum: { "\(Double($0) / 1e9)" })
        let perProto = [("\(base),proto=\"udp\"", 0), ("\(base),proto=\"tcp\"", 1)]
        Self.render(&out, name: "coredns_dns_request_size_bytes",
                    help: "Size of the EDNS0 UDP buffer in bytes (64K for TCP) per zone and protocol.",
                    series: perProto.map { ($0.0, requestSize[$0.1]) }, bounds: bytes, sum: { "\($0)" })
        Self.render(&out, name: "coredns_dns_response_size_bytes", help: "Size of the returned response in bytes.",
                    series: perProto.map { ($0.0, responseSize[$0.1]) }, bounds: bytes, sum: { "\($0)" })
        return out
    }

    /// One histogram family in the text format; series that never saw a value are left out, as Prometheus clients
    /// leave out label sets never used.
    private static func render(_ out: inout [UInt8], name: String, help: String, series: [(String, HistogramCounts)],
                               bounds: [String], sum: (Int64) -> String) {
        let used = series.filter { $0.1.count > 0 }
        guard !used.isEmpty else { return }
        var text = "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
        for (labels, counts) in used {
            var cumulative: UInt64 = 0
            for (index, bound) in bounds.enumerated() {
                cumulative += counts.buckets[index]
                text += "\(name)_bucket{\(labels),le=\"\(bound)\"} \(cumulative)\n"
            }
            text += "\(name)_bucket{\(labels),le=\"+Inf\"} \(counts.count)\n"
            text += "\(name)_sum{\(labels)} \(sum(counts.sum))\n"
            text += "\(name)_count{\(labels)} \(counts.count)\n"
        }
        out.append(contentsOf: text.utf8)
    }

    private static func escaped(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}

/// Bucket counts of one histogram series: `buckets[i]` counts values in (bound[i-1], bound[i]], the last slot those
/// above every bound (not cumulative; the exposition sums them).
struct HistogramCounts: Sendable {
    var buckets: [UInt64]
    var count: UInt64 = 0
    var sum: Int64 = 0

    init(bucketCount: Int) {
        buckets = Array(repeating: 0, count: bucketCount + 1)
    }

    mutating func add(_ other: HistogramCounts) {
        for index in buckets.indices { buckets[index] += other.buckets[index] }
        count += other.count
        sum += other.sum
    }

    mutating func reset() {
        for index in buckets.indices { buckets[index] = 0 }
        count = 0
        sum = 0
    }
}

/// One socket handler's uncommitted counts; loop-bound by its owner, merged into `DNSMetrics` in batches.
struct DNSMetricsTally: Sendable {
    static let typeCount = DNSMetrics.QueryType.allCases.count
    static let requestCells = 2 * 2 * typeCount
    static let responseCells = 16 * DNSMetrics.Responder.allCases.count
    /// Merge after this many queries even if the timer has not fired.
    static let batch = 256
    static let durationBoundsNanos = DNSMetrics.durationBucketNanos
    static let sizeBounds = DNSMetrics.sizeBuckets.map(Int64.init)

    var requests = [UInt64](repeating: 0, count: requestCells)
    var responses = [UInt64](repeating: 0, count: responseCells)
    var duration = HistogramCounts(bucketCount: DNSMetrics.durationBuckets.count)
    var requestSize = [HistogramCounts](repeating: HistogramCounts(bucketCount: DNSMetrics.sizeBuckets.count), count: 2)
    var responseSize = [HistogramCounts](repeating: HistogramCounts(bucketCount: DNSMetrics.sizeBuckets.count), count: 2)
    /// Queries recorded since the last merge.
    var pending = 0

    static func requestCell(_ cell: Int) -> (DNSTransport, Bool, DNSMetrics.QueryType) {
        let type = DNSMetrics.QueryType(rawValue: cell % typeCount) ?? .other
        let rest = cell / typeCount
        return (rest / 2 == 0 ? .udp : .tcp, rest % 2 == 1, type)
    }

    static func responseCell(_ cell: Int) -> (Int, DNSMetrics.Responder) {
        (cell / DNSMetrics.Responder.allCases.count,
         DNSMetrics.Responder(rawValue: cell % DNSMetrics.Responder.allCases.count) ?? .server)
    }

    /// Counts one query and the reply sent to it. Packets dropped without a reply are not counted at all: they
    /// never reached a resolver (CoreDNS's DNS library drops them before its plugin chain too).
    mutating func record(_ query: [UInt8], reply: [UInt8], transport: DNSTransport, ipv6: Bool,
                         responder: DNSMetrics.Responder, nanoseconds: Int64) {
        let proto = transport == .udp ? 0 : 1
        let type = DNSMetrics.QueryType(code: Self.questionType(query) ?? 0)
        requests[(proto * 2 + (ipv6 ? 1 : 0)) * Self.typeCount + type.rawValue] &+= 1
        duration.record(nanoseconds, bounds: Self.durationBoundsNanos)
        requestSize[proto].record(Int64(query.count), bounds: Self.sizeBounds)
        if reply.count >= 4 {
            responses[Int(reply[3] & 0x0F) * DNSMetrics.Responder.allCases.count + responder.rawValue] &+= 1
        }
        responseSize[proto].record(Int64(reply.count), bounds: Self.sizeBounds)
        pending += 1
    }

    mutating func reset() {
        for index in requests.indices { requests[index] = 0 }
        for index in responses.indices { responses[index] = 0 }
        duration.reset()
        for proto in 0..<2 {
            requestSize[proto].reset()
            responseSize[proto].reset()
        }
        pending = 0
    }

    /// The QTYPE of the first question, read straight from the packet (the name's labels skipped); nil when the
    /// packet holds no complete question. Cheaper than keeping the decoded query around for the metrics.
    static func questionType(_ packet: [UInt8]) -> UInt16? {
        guard packet.count >= 12, packet[4] != 0 || packet[5] != 0 else { return nil }
        var offset = 12
        while offset < packet.count {
            let length = Int(packet[offset])
            if length == 0 {
                offset += 1
                break
            }
            if length & 0xC0 == 0xC0 {
                offset += 2
                break
            }
            offset += 1 + length
        }
        guard offset + 2 <= packet.count else { return nil }
        return UInt16(packet[offset]) << 8 | UInt16(packet[offset + 1])
    }
}

extension HistogramCounts {
    @inline(__always)
    mutating func record(_ value: Int64, bounds: [Int64]) {
        var index = 0
        while index < bounds.count && value > bounds[index] { index += 1 }
        buckets[index] &+= 1
        count &+= 1
        sum &+= value
    }
}
