import Conntrack
import Foundation
import KubeClient
import KubeModel
import Logging
import NFTablesRunner
import NFTRules
import ProxyCore

/// The nftables proxy of one node: Services, EndpointSlices and the node's own Node object from the API
/// (reflectors) feed the change trackers; a scheduler decides when to sync; each sync is one atomic libnftables
/// transaction per IP family — incremental (only changed services' chains and map elements) or full (every object
/// re-declared and refilled, which also repairs drift). Nothing is programmed before all collections are listed, so
/// a restarted proxy never replaces working rules with an empty table. After each successful sync, UDP conntrack
/// entries that point at endpoints that no longer serve are deleted.
public actor NFTablesProxy {
    public struct Config: Sendable {
        public var nodeName: String
        public var nodeIPs: [IPAddress]
        public var clusterCIDRs: [CIDR]
        /// Families to program: IPv4 (table `ip junction`) and/or IPv6 (`ip6 junction`).
        public var families: [IPFamily] = [.ipv4]
        /// `--nodeport-addresses` CIDRs (empty: every local address, as upstream's empty list).
        public var nodePortCIDRs: [CIDR] = []
        public var localhostNodePorts = false
        public var masqueradeAll = false
        public var masqueradeBit = 14
        public var serviceCIDRs: [CIDR] = []
        public var minSyncInterval: Duration = .milliseconds(100)
        public var syncPeriod: Duration = .seconds(30)
        /// kube-proxy's `--healthz-bind-address` (nil: no health server).
        public var healthzHost: String? = "0.0.0.0"
        public var healthzPort = 10256
        /// kube-proxy's `--metrics-bind-address` (nil: no metrics server).
        public var metricsHost: String? = "127.0.0.1"
        public var metricsPort = 10249
        /// Delete stale UDP conntrack entries after syncs.
        public var conntrackCleanup = true
        /// Fault injection for tests: while this file exists, every transaction carries a command the kernel rejects.
        public var failSyncsWhileExists: String?
        public init(nodeName: String, nodeIPs: [IPAddress], clusterCIDRs: [CIDR]) {
            self.nodeName = nodeName
            self.nodeIPs = nodeIPs
            self.clusterCIDRs = clusterCIDRs
        }
    }

    /// One family's rules: its builder and what the kernel holds after the last successful sync.
    struct FamilyRules {
        let builder: NFTRuleBuilder
        var ruleset: NFTProxyRuleset?
        /// Full syncs that failed in a row. From the second on, the table is replaced instead of rewritten in
        /// place: what keeps failing may be an object the kernel has with another declaration (a table written by
        /// another version), which no in-place rewrite fixes.
        var failedFullSyncs = 0
        var tableSpec: String { "\(builder.config.nftFamily.rawValue) \(builder.config.tableName)" }
    }

    let config: Config
    let api: KubeClient
    let runner: any NFTablesExecuting
    let logger: Logger
    public let metrics: ProxyMetrics
    public let health: HealthServer
    var state: ProxyState
    var families: [IPFamily: FamilyRules] = [:]
    var scheduler: SyncScheduler<ContinuousClock.Instant>
    var synced: Set<String> = []
    var nodeZone: String?
    /// Trigger times (`endpoints.kubernetes.io/last-change-trigger-time`) of slice changes not yet in the kernel.
    var pendingTriggers: [Date] = []
    var conntrack: ConntrackTable?
    /// When the heap is next trimmed (a second after the last sync; see `sync`).
    var trimDue: ContinuousClock.Instant?
    public private(set) var syncCount = 0
    public private(set) var lastError: String?

    public init(config: Config, api: KubeClient, runner: any NFTablesExecuting, logger: Logger) {
        self.config = config
        self.api = api
        self.runner = runner
        self.logger = logger
        metrics = ProxyMetrics(families: config.families)
        health = HealthServer(logger: logger, metrics: metrics)
        for family in config.families {
            families[family] = FamilyRules(builder: NFTRuleBuilder(config: NFTProxyConfig(
                family: family, nodeName: config.nodeName, nodeIPs: config.nodeIPs,
                nodePortAddresses: NodePortAddresses.select(cidrs: config.nodePortCIDRs, from: config.nodeIPs),
                localhostNodePorts: config.localhostNodePorts, clusterCIDRs: config.clusterCIDRs,
                masqueradeAll: config.masqueradeAll, masqueradeBit: config.masqueradeBit, serviceCIDRs: config.serviceCIDRs)))
        }
        state = ProxyState(nodeName: config.nodeName, families: config.families)
        // Full resyncs repair drift every sync period, but never take more than 5% of the time: at 10k services
        // × 25 endpoints a full refresh costs seconds, and back-to-back rewrites would delay every change.
        scheduler = SyncScheduler(configuration: .init(
            minInterval: config.minSyncInterval, maxInterval: config.syncPeriod, fullSyncInterval: config.syncPeriod,
            fullSyncMaxShare: 0.05))
    }

    func serviceChanged(_ previous: JSONValue?, _ current: JSONValue?) {
        if state.services.update(previous: previous, current: current) { queue() }
        metrics.serviceChangesTotal.increment()
    }

    func sliceChanged(_ previous: JSONValue?, _ current: JSONValue?) {
        if let text = (current ?? previous)?.value(at: ["metadata", "annotations", "endpoints.kubernetes.io/last-change-trigger-time"])?.stringValue,
           let at = (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))) ?? KubeTime.parse(text) {
            pendingTriggers.append(at)
        }
        if state.endpointSlices.update(previous: previous, current: current) { queue() }
        metrics.endpointChangesTotal.increment()
    }

    /// The node's own object: its zone decides topology hints; deletion turns `/healthz` 503.
    func nodeChanged(_ previous: JSONValue?, _ current: JSONValue?) {
        let node = current ?? previous
        let terminating = current == nil || current?.value(at: ["metadata", "deletionTimestamp"]) != nil
            || (current?.value(at: ["spec", "taints"])?.arrayValue ?? []).contains { $0["key"]?.stringValue == "ToBeDeletedByClusterAutoscaler" }
        health.update(nodeTerminating: terminating)
        let zone = node?.value(at: ["metadata", "labels", "topology.kubernetes.io/zone"])?.stringValue
        if current != nil, zone != nodeZone {
            nodeZone = zone
            state.rebuild(nodeZone: zone)
            scheduler.requestFullSync(at: .now)
        }
    }

    func queue() {
        scheduler.requestSync(at: .now)
        wake()
        metrics.lastQueuedTimestamp.set(to: Date().timeIntervalSince1970)
        metrics.serviceChangesPending.set(to: Double(state.services.pendingCount))
        metrics.endpointChangesPending.set(to: Double(state.endpointSlices.pendingCount))
    }

    func listed(_ what: String) {
        synced.insert(what)
        wake()
    }

    // MARK: Waking the sync loop

    /// The sync loop's pending sleep, resumed early when a change is queued.
    var sleeper: CheckedContinuation<Void, Never>?
    /// A wake-up that came while the loop was not sleeping: the next sleep returns at once.
    var wakePending = false

    func wake() {
        if let s = sleeper {
            sleeper = nil
            s.resume()
        } else {
            wakePending = true
        }
    }

    /// Sleeps for `duration` or until `wake()`, whichever comes first.
    func sleep(_ duration: Duration) async {
        if wakePending {
            wakePending = false
            return
        }
        let timer = Task { [weak self] in
            try? await Task.sleep(for: duration)
            // A cancelled timer must not cut short a later sleep (a stray early wake-up would only cost a loop).
            if !Task.isCancelled { await self?.timerFired() }
        }
        await withCheckedContinuation { sleeper = $0 }
        timer.cancel()
        wakePending = false
    }

    func timerFired() {
        if let s = sleeper {
            sleeper = nil
            s.resume()
        }
    }

    /// Whether a queued change has waited more than twice the sync period (kube-proxy's healthz rule).
    public var isHealthy: Bool { !scheduler.isStale(at: .now, limit: config.syncPeriod * 2) }

    public func run() async {
        if let host = config.healthzHost {
            do {
                _ = try await health.start(host: host, port: config.healthzPort)
            } catch {
                logger.warning("cannot start the health server", metadata: ["error": "\(error)"])
            }
        }
        if let host = config.metricsHost {
            do {
                _ = try await health.startMetrics(host: host, port: config.metricsPort)
            } catch {
                logger.warning("cannot start the metrics server", metadata: ["error": "\(error)"])
            }
        }
        defer { Task { await health.shutdown() } }
        // The trackers keep their own parsed state and read only identities from `previous`.
        let services = Reflector(client: api, path: "/api/v1/services", retention: .identity, logger: logger,
                                 onChange: { p, c in await self.serviceChanged(p, c) }, onSynced: { await self.listed("services") })
        let slices = Reflector(client: api, path: "/apis/discovery.k8s.io/v1/endpointslices", retention: .identity, logger: logger,
                               onChange: { p, c in await self.sliceChanged(p, c) }, onSynced: { await self.listed("endpointslices") })
        let node = Reflector(client: api, path: "/api/v1/nodes", query: "fieldSelector=metadata.name%3D\(config.nodeName)", logger: logger,
                             onChange: { p, c in await self.nodeChanged(p, c) }, onSynced: { await self.listed("node") })
        await withDiscardingTaskGroup { group in
            group.addTask { await services.run() }
            group.addTask { await slices.run() }
            group.addTask { await node.run() }
            group.addTask { await self.syncLoop() }
        }
    }

    func syncLoop() async {
        while !Task.isCancelled {
            // The Node is not waited for: a proxy must work on a node whose object it may not read.
            guard synced.contains("services") && synced.contains("endpointslices") else {
                try? await Task.sleep(for: .milliseconds(20))
                continue
            }
            health.update(healthy: isHealthy, synced: false)
            switch scheduler.decide(at: .now) {
            case .wait(let until):
                if let due = trimDue, ContinuousClock.now >= due {
                    trimDue = nil
                    HeapTrim.releaseFreedMemory()
                }
                // Sleep until the scheduler's next moment, or until a change is queued (health is re-evaluated
                // at least once a second).
                var delay = min(ContinuousClock.now.duration(to: until), .seconds(1))
                if let due = trimDue { delay = min(delay, ContinuousClock.now.duration(to: due)) }
                await sleep(max(delay, .microseconds(100)))
            case .run(let kind):
                sync(kind)
                var ports: [Int: (namespace: String, name: String, localEndpoints: Int)] = [:]
                for snapshot in state.snapshots.values {
                    for (port, h) in snapshot.healthChecks {
                        ports[port] = (h.service.namespace, h.service.name, h.localEndpoints + (ports[port]?.localEndpoints ?? 0))
                    }
                }
                await health.syncServices(ports)
            }
        }
    }

    func sync(_ kind: SyncScheduler<ContinuousClock.Instant>.Kind) {
        let start = ContinuousClock.now
        scheduler.started(kind, at: start)
        let update = state.applyPendingChanges()
        metrics.serviceChangesPending.set(to: 0)
        metrics.endpointChangesPending.set(to: 0)
        var failed = false
        for family in config.families.sorted(by: { $0.rawValue < $1.rawValue }) {
            guard let snapshot = state.snapshots[family], var rules = families[family] else { continue }
            var full = kind == .full || rules.ruleset == nil
            var transaction = NFTTransaction(family: rules.builder.config.nftFamily, table: rules.builder.config.tableName)
            var fills: [NFTTransaction] = []
            var cleanup: [NFTTransaction] = []
            var partial: NFTProxyRuleset?
            if !full, var current = rules.ruleset {
                // Updated in place: while `rules` and `families` still hold the model, the update would first copy
                // every table it touches (the claim table alone is 11 MB at 10k Services), on every sync. If the
                // transaction fails, the next sync is a full one (`SyncScheduler`), which takes only the endpoint
                // slots and the generation from the model it is given, so keeping the updated one is safe.
                rules.ruleset = nil
                families[family]?.ruleset = nil
                transaction = rules.builder.update(&current, snapshot: snapshot, changed: update.changedPorts[family] ?? [])
                // A `pick-…` map outgrew its declared size: only a full sync can declare it larger.
                if !current.outgrown { partial = current }
                rules.ruleset = current
                families[family]?.ruleset = current
            }
            let next: NFTProxyRuleset
            if let partial {
                next = partial
            } else {
                full = true
                let existing = existingObjects(rules.tableSpec)
                // The `pick-…` maps of the generation the kernel does not use are filled first, in parallel, and
                // then one transaction switches to them (`stagedFullSync`).
                let generation = Self.nextGeneration(after: rules.ruleset?.generation, existing: existing)
                next = rules.builder.build(snapshot, previous: rules.ruleset, generation: generation)
                if rules.failedFullSyncs >= 2 {
                    transaction = next.recreateTransaction()
                } else {
                    (fills, transaction, cleanup) = next.fullSync(existing: existing, workers: NFTablesRunner.concurrency)
                }
            }
            var script = transaction.rendered()
            if let path = config.failSyncsWhileExists, FileManager.default.fileExists(atPath: path) {
                // A command the kernel rejects at the end of the batch: everything before it is rolled back too.
                script += "\ndelete chain \(rules.tableSpec) junction-failpoint-no-such-chain\n"
            }
            let familyMetrics = metrics.family(family)
            do {
                // Fills only add maps no rule uses; whatever happens to them, the kernel keeps the old rules
                // until `script` commits.
                if !fills.isEmpty { try runner.runConcurrently(fills.map { $0.rendered() }) }
                try runner.run(script)
                rules.ruleset = next
                rules.failedFullSyncs = 0
                families[family] = rules
                familyMetrics.servicePorts.set(to: Double(snapshot.servicePorts.count))
                var noLocal = (internal: 0, external: 0)
                for sp in snapshot.localPolicyPorts.compactMap({ snapshot.servicePorts[$0] }) where sp.hasEndpoints {
                    if sp.info.internalPolicyLocal && sp.localEndpoints.isEmpty { noLocal.internal += 1 }
                    if sp.info.externalPolicyLocal && sp.info.externallyAccessible && sp.localEndpoints.isEmpty { noLocal.external += 1 }
                }
                familyMetrics.noLocalEndpointsInternal.set(to: Double(noLocal.internal))
                familyMetrics.noLocalEndpointsExternal.set(to: Double(noLocal.external))
            } catch {
                // The kernel kept the previous rules (the transaction is atomic). The ruleset we keep is the old
                // one after a failed full sync, the updated one after a failed partial sync (see above); either
                // way the scheduler retries with back-off and the retry is a full sync.
                failed = true
                lastError = error.description
                // Replacing the table loses only session-affinity state; see `failedFullSyncs`.
                if full { families[family]?.failedFullSyncs += 1 }
                // Maps filled for a switch that did not happen go again (nothing uses them).
                for tx in cleanup { try? runner.run(tx.rendered()) }
                familyMetrics.syncFailures.increment()
                logger.warning("nftables sync failed", metadata: ["family": "\(family)", "kind": "\(kind)", "error": "\(error)"])
            }
        }
        let elapsed = start.duration(to: .now)
        scheduler.finished(kind, succeeded: !failed, at: .now)
        if failed {
            // Changes that did not reach the kernel are re-applied by the full retry; keep their trigger times.
            health.update(healthy: isHealthy, synced: false)
            return
        }
        syncCount += 1
        lastError = nil
        health.update(healthy: true, synced: true)
        for family in config.families {
            let m = metrics.family(family)
            m.syncDuration.record(elapsed)
            (kind == .full ? m.fullSyncDuration : m.partialSyncDuration).record(elapsed)
            m.lastSyncTimestamp.set(to: Date().timeIntervalSince1970)
            for trigger in pendingTriggers {
                m.networkProgramming.record(Duration.seconds(max(0, Date().timeIntervalSince(trigger))))
            }
        }
        pendingTriggers.removeAll(keepingCapacity: true)
        // Syncs leave freed heap behind (a full one: the whole ruleset text and model once more). Trimming after
        // every sync would slow a burst down, so the heap is trimmed once the loop has been idle for a second.
        trimDue = ContinuousClock.now + .seconds(1)
        logger.debug("synced", metadata: ["kind": "\(kind)", "ms": "\(elapsed)"])
        // Only a change to a UDP service port (or a full sync) can make a UDP flow stale; other syncs skip the
        // conntrack dump, which costs as much as the table is large.
        let udpChanged = update.changedPorts.values.contains { ports in ports.contains { $0.protocol == .udp } }
        if config.conntrackCleanup && (kind == .full || udpChanged) { cleanStaleUDPFlows() }
    }

    /// What the kernel's table holds (names and set sizes): empty when there is no table yet, nil when it cannot
    /// be read.
    func existingObjects(_ tableSpec: String) -> NFTExistingObjects? {
        guard let listing = try? runner.list(NFTExistingObjects.listCommand(for: tableSpec)) else { return nil }
        return NFTExistingObjects.parse(listing: listing, table: tableSpec)
    }

    /// The generation of `pick-…` map names for a full sync: the other one than the rules in the kernel use, so
    /// that its maps can be filled before the switch. After a restart, the one whose maps the kernel lacks.
    static func nextGeneration(after current: Int?, existing: NFTExistingObjects?) -> Int {
        if let current { return 1 - current }
        let inUse = existing?.sets.keys.contains { $0.hasPrefix("pick-") && !$0.hasSuffix("-g1") } ?? false
        return inUse ? 1 : 0
    }

    /// Deletes UDP conntrack entries whose service frontend now leads elsewhere (see `StaleUDPFlows`).
    func cleanStaleUDPFlows() {
        let filters = state.snapshots.mapValues { StaleUDPFlows($0, nodeIPs: config.nodeIPs) }
        guard filters.values.contains(where: { !$0.isEmpty }) else { return }
        let start = ContinuousClock.now
        do {
            if conntrack == nil { conntrack = try ConntrackTable() }
            guard let table = conntrack else { return }
            var deleted: [IPFamily: Int] = [:]
            for flow in try table.flows(.udp) {
                let family: IPFamily = flow.origDestination.isV4 ? .ipv4 : .ipv6
                guard let filter = filters[family], filter.isStale(
                    destination: flow.origDestination, destinationPort: flow.origDestinationPort,
                    replySource: flow.replySource, replySourcePort: flow.replySourcePort)
                else { continue }
                try table.delete(flow)
                deleted[family, default: 0] += 1
                logger.debug("deleted stale UDP flow", metadata: ["flow": "\(flow)"])
            }
            for (family, n) in deleted { metrics.family(family).conntrackDeleted.increment(by: Int64(n)) }
        } catch {
            conntrack = nil
            logger.warning("conntrack cleanup failed", metadata: ["error": "\(error)"])
        }
        for family in config.families { metrics.family(family).conntrackDuration.record(start.duration(to: .now)) }
    }
}
