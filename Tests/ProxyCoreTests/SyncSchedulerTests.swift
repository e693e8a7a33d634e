import ProxyCore
import Testing

/// A clock reading the tests control.
struct FakeInstant: InstantProtocol {
    var offset: Duration

    static func seconds(_ s: Double) -> FakeInstant { FakeInstant(offset: .milliseconds(Int64(s * 1000))) }
    func advanced(by duration: Duration) -> FakeInstant { FakeInstant(offset: offset + duration) }
    func duration(to other: FakeInstant) -> Duration { other.offset - offset }
    static func < (lhs: FakeInstant, rhs: FakeInstant) -> Bool { lhs.offset < rhs.offset }
}

@Suite("Sync scheduler")
struct SyncSchedulerTests {
    typealias Scheduler = SyncScheduler<FakeInstant>
    let config = Scheduler.Configuration(
        minInterval: .seconds(1), maxInterval: .seconds(30), fullSyncInterval: .seconds(3600),
        retryInitial: .seconds(2), retryMax: .seconds(16))

    func t(_ s: Double) -> FakeInstant { .seconds(s) }

    /// Runs one sync at `at` with the decided kind and outcome; returns the kind.
    @discardableResult
    func sync(_ scheduler: inout Scheduler, at time: Double, succeeded: Bool = true) -> Scheduler.Kind? {
        guard case .run(let kind) = scheduler.decide(at: t(time)) else { return nil }
        scheduler.started(kind, at: t(time))
        scheduler.finished(kind, succeeded: succeeded, at: t(time))
        return kind
    }

    @Test("The first sync is full and immediate")
    func first() {
        let scheduler = Scheduler(configuration: config)
        #expect(scheduler.decide(at: t(0)) == .run(.full))
    }

    @Test("Requests coalesce and never run closer than minInterval")
    func minInterval() {
        var scheduler = Scheduler(configuration: config)
        #expect(sync(&scheduler, at: 0) == .full)
        scheduler.requestSync(at: t(0.2))
        scheduler.requestSync(at: t(0.5))
        #expect(scheduler.decide(at: t(0.6)) == .wait(until: t(1)))
        #expect(sync(&scheduler, at: 1) == .partial)
        // Nothing pending: wait for the periodic sync.
        #expect(scheduler.decide(at: t(2)) == .wait(until: t(31)))
        scheduler.requestSync(at: t(5))
        #expect(scheduler.decide(at: t(5)) == .run(.partial))
    }

    @Test("maxInterval runs a sync without requests; fullSyncInterval makes it full")
    func periodic() {
        var scheduler = Scheduler(configuration: config)
        sync(&scheduler, at: 0)
        #expect(sync(&scheduler, at: 30) == .partial)
        var now = 30.0
        while now < 3570 {
            now += 30
            #expect(sync(&scheduler, at: now) == .partial)
        }
        #expect(scheduler.decide(at: t(3599.5)) == .wait(until: t(3600)))
        #expect(sync(&scheduler, at: 3600) == .full)
    }

    @Test("fullSyncMaxShare spaces costly full syncs: a 2 s full sync at a 5% share is next due 40 s later")
    func fullSyncShare() {
        var c = config
        c.fullSyncInterval = .seconds(10)
        c.fullSyncMaxShare = 0.05
        var scheduler = Scheduler(configuration: c)
        // A cheap full sync keeps the configured interval.
        #expect(scheduler.decide(at: t(0)) == .run(.full))
        scheduler.started(.full, at: t(0))
        scheduler.finished(.full, succeeded: true, at: t(0.1))
        #expect(scheduler.currentFullSyncInterval == .seconds(10))
        scheduler.requestSync(at: t(10))
        #expect(scheduler.decide(at: t(10)) == .run(.full))
        // A costly one stretches it to took / share.
        scheduler.started(.full, at: t(10))
        scheduler.finished(.full, succeeded: true, at: t(12))
        #expect(scheduler.currentFullSyncInterval == .seconds(40))
        scheduler.requestSync(at: t(20))
        #expect(scheduler.decide(at: t(20)) == .run(.partial))
        scheduler.started(.partial, at: t(20))
        scheduler.finished(.partial, succeeded: true, at: t(20))
        scheduler.requestSync(at: t(50))
        #expect(scheduler.decide(at: t(50)) == .run(.full))
        // A failed full sync does not change the spacing; the retry is full anyway.
        scheduler.started(.full, at: t(50))
        scheduler.finished(.full, succeeded: false, at: t(59))
        #expect(scheduler.currentFullSyncInterval == .seconds(40))
    }

    @Test("Failures retry with exponential back-off, as full syncs, and requests wait for the retry")
    func backoff() {
        var scheduler = Scheduler(configuration: config)
        sync(&scheduler, at: 0)
        scheduler.requestSync(at: t(10))
        #expect(sync(&scheduler, at: 10, succeeded: false) == .partial)
        #expect(scheduler.consecutiveFailures == 1)
        scheduler.requestSync(at: t(10.5))
        #expect(scheduler.decide(at: t(11)) == .wait(until: t(12)))
        #expect(sync(&scheduler, at: 12, succeeded: false) == .full)
        #expect(scheduler.decide(at: t(12)) == .wait(until: t(16)))
        #expect(sync(&scheduler, at: 16, succeeded: false) == .full)
        #expect(scheduler.decide(at: t(16)) == .wait(until: t(24)))
        #expect(sync(&scheduler, at: 24, succeeded: false) == .full)
        #expect(scheduler.decide(at: t(24)) == .wait(until: t(40)))
        #expect(sync(&scheduler, at: 40, succeeded: false) == .full)
        #expect(scheduler.decide(at: t(40)) == .wait(until: t(56)))  // capped at retryMax
        #expect(sync(&scheduler, at: 56) == .full)
        #expect(scheduler.consecutiveFailures == 0)
        scheduler.requestSync(at: t(60))
        #expect(sync(&scheduler, at: 60) == .partial)
    }

    @Test("A full sync can be requested")
    func requestedFull() {
        var scheduler = Scheduler(configuration: config)
        sync(&scheduler, at: 0)
        scheduler.requestFullSync(at: t(5))
        #expect(sync(&scheduler, at: 5) == .full)
    }

    @Test("Health: a change waiting longer than the limit is stale, also across failed syncs")
    func staleness() {
        var scheduler = Scheduler(configuration: config)
        sync(&scheduler, at: 0)
        #expect(!scheduler.isStale(at: t(100), limit: .seconds(60)))
        scheduler.requestSync(at: t(100))
        #expect(!scheduler.isStale(at: t(150), limit: .seconds(60)))
        sync(&scheduler, at: 101, succeeded: false)
        #expect(scheduler.isStale(at: t(161), limit: .seconds(60)))
        sync(&scheduler, at: 103)
        #expect(!scheduler.isStale(at: t(200), limit: .seconds(60)))
    }

    @Test("While a sync runs, new requests wait for the next one")
    func running() {
        var scheduler = Scheduler(configuration: config)
        scheduler.started(.full, at: t(0))
        #expect(scheduler.isRunning)
        scheduler.requestSync(at: t(0.5))
        if case .run = scheduler.decide(at: t(0.6)) { Issue.record("must not run while running") }
        scheduler.finished(.full, succeeded: true, at: t(3))
        #expect(scheduler.decide(at: t(3)) == .run(.partial))
        #expect(scheduler.isStale(at: t(100), limit: .seconds(60)))
    }
}
