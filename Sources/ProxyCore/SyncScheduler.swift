/// When to sync, as pure logic (kube's `BoundedFrequencyRunner`, with the full/partial choice and retry back-off
/// folded in). The driver owns the clock and the sleeping: it asks `decide(at:)`, sleeps until the returned time
/// or until a new request arrives, and reports `started`/`finished`. Tests drive it with a fake instant.
///
/// Rules:
/// - a request runs as soon as possible, but never sooner than `minInterval` after the previous run started, so
///   bursts of watch events coalesce into one sync;
/// - a sync runs at least every `maxInterval` even without requests (kube's `syncPeriod`);
/// - a full sync runs first, after any failure (the trackers were already drained, so only a full rebuild is
///   sure to be right), on `requestFullSync`, and every `fullSyncInterval` to repair drift;
/// - a failed sync is retried after an exponential back-off, `retryInitial` doubling up to `retryMax`;
/// - with `fullSyncMaxShare`, periodic full syncs are spaced so that they take at most that share of the time: a
///   full sync that took T is next due after max(`fullSyncInterval`, T / share), so drift is repaired within the
///   interval on small clusters while a 10k-service table is not rewritten back to back.
public struct SyncScheduler<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    public struct Configuration: Sendable, Equatable {
        public var minInterval: Duration
        public var maxInterval: Duration
        public var fullSyncInterval: Duration
        public var retryInitial: Duration
        public var retryMax: Duration
        /// The largest share of time periodic full syncs may take (nil: every `fullSyncInterval`, whatever they cost).
        public var fullSyncMaxShare: Double?

        /// kube-proxy's defaults: minSyncPeriod 1 s, syncPeriod 30 s; a full resync every hour; retries from 1 s
        /// up to the sync period.
        public init(
            minInterval: Duration = .seconds(1), maxInterval: Duration = .seconds(30),
            fullSyncInterval: Duration = .seconds(3600), retryInitial: Duration = .seconds(1),
            retryMax: Duration = .seconds(30), fullSyncMaxShare: Double? = nil
        ) {
            self.minInterval = minInterval
            self.maxInterval = maxInterval
            self.fullSyncInterval = fullSyncInterval
            self.retryInitial = retryInitial
            self.retryMax = retryMax
            self.fullSyncMaxShare = fullSyncMaxShare
        }
    }

    public enum Kind: String, Sendable, Hashable {
        /// Rewrite everything (repairs drift, recovers from failures).
        case full
        /// Touch only what changed since the last successful sync.
        case partial
    }

    public enum Decision: Sendable, Equatable {
        case run(Kind)
        /// Nothing to do before this time, unless a new request arrives (then ask again).
        case wait(until: Instant)
    }

    public let configuration: Configuration
    private var lastStart: Instant?
    private var lastFullStart: Instant?
    private var runningSince: Instant?
    private var needsFull = true
    private var retryAt: Instant?
    /// When the oldest change not yet in the kernel arrived: unlike `pendingSince` it survives failed syncs, so
    /// health checks see changes stuck behind failures.
    public private(set) var oldestUnsyncedChange: Instant?
    /// When the oldest request not yet covered by a started sync arrived.
    public private(set) var pendingSince: Instant?
    public private(set) var consecutiveFailures = 0
    /// The interval between periodic full syncs now in force (`fullSyncInterval`, stretched by `fullSyncMaxShare`).
    public private(set) var currentFullSyncInterval: Duration

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        currentFullSyncInterval = configuration.fullSyncInterval
    }

    public var isRunning: Bool { runningSince != nil }

    /// A change is waiting to be synced.
    public mutating func requestSync(at now: Instant) {
        if pendingSince == nil { pendingSince = now }
        if oldestUnsyncedChange == nil { oldestUnsyncedChange = now }
    }

    /// The next sync must be a full one (e.g. topology labels changed, or the backend lost its state).
    public mutating func requestFullSync(at now: Instant) {
        needsFull = true
        requestSync(at: now)
    }

    /// What to do now. While a sync runs the answer is to wait; ask again after `finished`.
    public func decide(at now: Instant) -> Decision {
        if isRunning { return .wait(until: now.advanced(by: configuration.maxInterval)) }
        guard let lastStart else { return .run(.full) }
        let earliest = lastStart.advanced(by: configuration.minInterval)
        let fullDue = (lastFullStart ?? lastStart).advanced(by: currentFullSyncInterval)
        let due: Instant
        if let retryAt {
            // Backing off: new requests ride on the retry, which is a full sync anyway.
            due = max(retryAt, earliest)
        } else {
            var next = min(lastStart.advanced(by: configuration.maxInterval), max(fullDue, earliest))
            if pendingSince != nil { next = min(next, earliest) }
            due = next
        }
        guard due <= now else { return .wait(until: due) }
        return .run(needsFull || fullDue <= now ? .full : .partial)
    }

    /// The driver began a sync of `kind`; requests from now on wait for the next one.
    public mutating func started(_ kind: Kind, at now: Instant) {
        runningSince = now
        lastStart = now
        if kind == .full { lastFullStart = now }
        pendingSince = nil
        retryAt = nil
    }

    /// The sync begun by `started` ended.
    public mutating func finished(_ kind: Kind, succeeded: Bool, at now: Instant) {
        if succeeded, kind == .full, let share = configuration.fullSyncMaxShare, share > 0, let began = runningSince {
            let took = began.duration(to: now)
            currentFullSyncInterval = max(configuration.fullSyncInterval, took * (1 / share))
        }
        runningSince = nil
        if succeeded {
            consecutiveFailures = 0
            // Requests that arrived while the sync ran are still waiting.
            oldestUnsyncedChange = pendingSince
            if kind == .full { needsFull = false }
            return
        }
        consecutiveFailures += 1
        needsFull = true
        retryAt = now.advanced(by: backoff(afterFailures: consecutiveFailures))
    }

    /// `retryInitial × 2^(failures−1)`, capped at `retryMax`.
    public func backoff(afterFailures failures: Int) -> Duration {
        var delay = configuration.retryInitial
        var n = 1
        while n < failures && delay < configuration.retryMax {
            delay *= 2
            n += 1
        }
        return min(delay, configuration.retryMax)
    }

    /// Whether a queued change has waited longer than `limit` (kube's healthz: 2 × syncPeriod).
    public func isStale(at now: Instant, limit: Duration) -> Bool {
        guard let oldestUnsyncedChange else { return false }
        return oldestUnsyncedChange.duration(to: now) > limit
    }
}
