import Foundation
import KubeClient
import KubeModel
import Logging
import NFTablesRunner
import NFTRules
import ProxyCore

/// The nftables proxy of one node: Services and EndpointSlices from the API (reflectors) feed the change
/// trackers; a scheduler decides when to sync; each sync is one atomic libnftables transaction — incremental
/// (only changed services' chains and map elements) or full (every object re-declared and refilled, which also
/// repairs drift). Nothing is programmed before both collections are listed, so a restarted proxy never replaces
/// working rules with an empty table.
public actor NFTablesProxy {
    public struct Config: Sendable {
        public var nodeName: String
        public var nodeIPs: [IPAddress]
        public var clusterCIDRs: [CIDR]
        public var masqueradeAll = false
        public var minSyncInterval: Duration = .milliseconds(100)
        public var syncPeriod: Duration = .seconds(30)
        /// kube-proxy's `--healthz-bind-address` (nil: no health server).
        public var healthzHost: String? = "0.0.0.0"
        public var healthzPort = 10256
        public init(nodeName: String, nodeIPs: [IPAddress], clusterCIDRs: [CIDR]) {
            self.nodeName = nodeName
            self.nodeIPs = nodeIPs
            self.clusterCIDRs = clusterCIDRs
        }
    }

    let config: Config
    let api: KubeClient
    let runner: any NFTablesExecuting
    let logger: Logger
    let builder: NFTRuleBuilder
    public let health: HealthServer
    var state: ProxyState
    var scheduler: SyncScheduler<ContinuousClock.Instant>
    var ruleset: NFTProxyRuleset?
    var synced: Set<String> = []
    public private(set) var syncCount = 0
    public private(set) var lastError: String?

    public init(config: Config, api: KubeClient, runner: any NFTablesExecuting, logger: Logger) {
        self.config = config
        self.api = api
        self.runner = runner
        self.logger = logger
        health = HealthServer(logger: logger)
        builder = NFTRuleBuilder(config: NFTProxyConfig(
            family: .ipv4, nodeName: config.nodeName, nodeIPs: config.nodeIPs, clusterCIDRs: config.clusterCIDRs,
            masqueradeAll: config.masqueradeAll))
        state = ProxyState(nodeName: config.nodeName)
        scheduler = SyncScheduler(configuration: .init(
            minInterval: config.minSyncInterval, maxInterval: config.syncPeriod, fullSyncInterval: config.syncPeriod))
    }

    func serviceChanged(_ previous: JSONValue?, _ current: JSONValue?) {
        if state.services.update(previous: previous, current: current) { scheduler.requestSync(at: .now) }
    }

    func sliceChanged(_ previous: JSONValue?, _ current: JSONValue?) {
        if state.endpointSlices.update(previous: previous, current: current) { scheduler.requestSync(at: .now) }
    }

    func listed(_ what: String) { synced.insert(what) }

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
        defer { Task { await health.shutdown() } }
        let services = Reflector(client: api, path: "/api/v1/services", logger: logger,
                                 onChange: { p, c in await self.serviceChanged(p, c) }, onSynced: { await self.listed("services") })
        let slices = Reflector(client: api, path: "/apis/discovery.k8s.io/v1/endpointslices", logger: logger,
                               onChange: { p, c in await self.sliceChanged(p, c) }, onSynced: { await self.listed("endpointslices") })
        await withDiscardingTaskGroup { group in
            group.addTask { await services.run() }
            group.addTask { await slices.run() }
            group.addTask { await self.syncLoop() }
        }
    }

    func syncLoop() async {
        while !Task.isCancelled {
            guard synced.count == 2 else {
                try? await Task.sleep(for: .milliseconds(20))
                continue
            }
            health.update(healthy: isHealthy, synced: false)
            switch scheduler.decide(at: .now) {
            case .wait(let until):
                // Wake up at least every 50 ms to notice new requests.
                let delay = min(ContinuousClock.now.duration(to: until), .milliseconds(50))
                try? await Task.sleep(for: max(delay, .milliseconds(1)))
            case .run(let kind):
                sync(kind)
                if let snapshot = state.snapshots[.ipv4] {
                    var ports: [Int: (namespace: String, name: String, localEndpoints: Int)] = [:]
                    for (port, h) in snapshot.healthChecks {
                        ports[port] = (h.service.namespace, h.service.name, h.localEndpoints)
                    }
                    await health.syncServices(ports)
                }
            }
        }
    }

    func sync(_ kind: SyncScheduler<ContinuousClock.Instant>.Kind) {
        let start = ContinuousClock.now
        scheduler.started(kind, at: start)
        let update = state.applyPendingChanges()
        guard let snapshot = state.snapshots[.ipv4] else {
            scheduler.finished(kind, succeeded: true, at: .now)
            return
        }
        let transaction: NFTTransaction
        if kind == .full || ruleset == nil {
            let built = builder.build(snapshot, previous: ruleset)
            let existing = (try? runner.list("list table ip \(built.config.tableName)")).map { NFTExistingObjects.parse(listing: $0) }
            transaction = built.fullTransaction(existing: existing)
            ruleset = built
        } else if var current = ruleset {
            transaction = builder.update(&current, snapshot: snapshot, changed: update.changedPorts[.ipv4] ?? [])
            ruleset = current
        } else {
            return
        }
        do {
            try runner.run(transaction.rendered())
            syncCount += 1
            lastError = nil
            health.update(healthy: true, synced: true)
            scheduler.finished(kind, succeeded: true, at: .now)
            logger.debug("synced", metadata: ["kind": "\(kind)", "ms": "\(start.duration(to: .now))"])
        } catch {
            // The kernel kept the previous rules (the transaction is atomic); the next sync is a full one.
            lastError = error.description
            logger.warning("nftables sync failed", metadata: ["kind": "\(kind)", "error": "\(error)"])
            scheduler.finished(kind, succeeded: false, at: .now)
        }
    }
}
