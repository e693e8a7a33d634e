import ArgumentParser
import CSpawn
import Foundation
import Histogram
import KubeClient
import KubeModel
import Netlink
import NFTablesRunner
import NFTRules
import NodeAgent
import ProxyCore

/// The nftables proxy (issue 4): full and incremental sync times in process, watch event to kernel latency through
/// a real control plane and `junction proxy`, connection latency through a ClusterIP against the direct path, and
/// the proxy's memory. Everything runs in network namespaces this command creates and deletes (root only); the
/// root namespace's firewall and routes are never touched, children are stopped by PID.
struct ProxyBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy", abstract: "nftables proxy sync times, update and watch latency, data path, memory.")

    @Option(help: "Service counts for the in-process sync measurements, comma-separated.") var sizes = "100,1000,10000"
    @Option(help: "Endpoints per service.") var endpoints = 25
    @Option(help: "One-endpoint changes measured per size.") var changes = 200
    @Option(help: "Services added one at a time per size.") var adds = 20
    @Option(help: "Services behind the control plane in the watch phase.") var watchServices = 1000
    @Option(help: "EndpointSlice changes timed from the API write to the kernel.") var watchChanges = 50
    @Option(help: "Services the proxy syncs before its RSS is read.") var rssServices = 10000
    @Option(help: "Sequential TCP round trips per path and ruleset size.") var connections = 2000
    @Flag(help: "Skip the phases that need a control plane (watch latency, RSS).") var skipControlPlane = false
    @Option(help: .hidden) var insideNamespace: String?

    func run() async throws {
        guard getuid() == 0 else { throw ValidationError("needs root (network namespaces and nftables)") }
        if let namespace = insideNamespace {
            try await WatchPhase(services: watchServices, changes: watchChanges, rssServices: rssServices,
                                 endpoints: endpoints, namespace: namespace).run()
            return
        }
        print("proxy benchmark (\(ProcessInfo.processInfo.activeProcessorCount) cores, libnftables in process, "
            + "\(endpoints) endpoints per service)")
        for size in sizes.split(separator: ",").compactMap({ Int($0) }) {
            try SyncPhase(services: size, endpoints: endpoints, changes: changes, adds: adds).run()
        }
        try DataPathPhase(connections: connections, endpoints: endpoints).run()
        if !skipControlPlane { try runWatchPhaseInNamespace() }
    }

    /// The watch phase runs as a child of this command inside a fresh namespace, so that the control plane, the
    /// proxy and the API client share that namespace's loopback and nothing listens in the root namespace.
    func runWatchPhaseInNamespace() throws {
        let ns = BenchNamespace.name("w")
        try NetworkNamespace.create(ns)
        defer { try? NetworkNamespace.delete(ns) }
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let argv = [exe, "bench", "proxy", "--inside-namespace", ns, "--watch-services", String(watchServices),
                    "--watch-changes", String(watchChanges), "--rss-services", String(rssServices),
                    "--endpoints", String(endpoints)]
        let launch = ContainerLaunch(
            argv: argv, env: ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }, workdir: nil,
            netnsPath: NetworkNamespace.path(ns), resolvConf: nil, hosts: nil, hostname: nil, logPath: nil)
        let pid = try ContainerProcess.spawn(launch, inheritStdio: true)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else { throw ValidationError("watch phase failed (status \(status))") }
    }
}

// MARK: Shared helpers

enum BenchNamespace {
    static func name(_ role: String) -> String {
        "jpb-\(role)-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
    }
}

/// Latencies in microseconds.
struct Latencies {
    var histogram = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
    var count = 0

    mutating func record(_ start: ContinuousClock.Instant) {
        let d = start.duration(to: .now)
        record(microseconds: UInt64(max(0, d.components.seconds * 1_000_000 + d.components.attoseconds / 1_000_000_000_000)))
    }

    mutating func record(microseconds: UInt64) {
        _ = histogram.record(microseconds)
        count += 1
    }

    func p(_ percentile: Double) -> Double { Double(histogram.valueAtPercentile(percentile)) / 1000 }
    var summary: String { String(format: "p50 %.2f ms  p99 %.2f ms  max %.2f ms", p(50), p(99), Double(histogram.max) / 1000) }
}

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

/// CPU seconds (user + system) this process has used: what a sync costs whatever else the machine runs, beside
/// the wall-clock time it took.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
    func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return s(usage.ru_utime) + s(usage.ru_stime)
}

/// Services `bench/svc-i` with ClusterIP 10.96.0.0 + i, port 80, and `count` endpoints 10.128.0.0 + i×count + j.
enum BenchFixture {
    static let node = "bench-node"

    static func name(_ i: Int) -> NamespacedName { NamespacedName(namespace: "bench", name: "svc-\(i)") }
    static func portName(_ i: Int) -> ServicePortName {
        ServicePortName(namespace: "bench", name: "svc-\(i)", port: "http", protocol: .tcp)
    }
    static func ports(_ i: Int) -> ServicePorts {
        [portName(i): ServicePortInfo(clusterIPs: [IPAddress(v4: 0x0A60_0000 + UInt32(i))], port: 80)]
    }
    static func endpoints(_ i: Int, count: Int) -> ServiceEndpoints {
        let list = (0..<count).map { j in
            Endpoint(ip: IPAddress(v4: 0x0A80_0000 + UInt32(i * count + j)), port: 8080,
                     nodeName: (i + j) % 50 == 0 ? node : "other-node")
        }
        return [portName(i): list.sorted()]
    }
    static func config() -> NFTProxyConfig {
        NFTProxyConfig(nodeName: node, clusterCIDRs: [CIDR.parse("10.244.0.0/16")].compactMap { $0 })
    }
}

/// `nft -f FILE` inside a namespace: the baseline of a proxy that shells out to nft (as kube-proxy does).
func nftCLI(_ namespace: String, file: String) throws -> Duration {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
    p.arguments = ["netns", "exec", namespace, "/usr/sbin/nft", "-f", file]
    let start = ContinuousClock.now
    try p.run()
    p.waitUntilExit()
    let elapsed = start.duration(to: .now)
    guard p.terminationStatus == 0 else { throw ValidationError("nft -f \(file) failed") }
    return elapsed
}

// MARK: Full and incremental syncs, in process

struct SyncPhase {
    var services: Int
    var endpoints: Int
    var changes: Int
    var adds: Int

    func run() throws {
        let ns = BenchNamespace.name("s")
        try NetworkNamespace.create(ns)
        defer { try? NetworkNamespace.delete(ns) }
        let dir = NSTemporaryDirectory() + ns
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        var serviceMap: [NamespacedName: ServicePorts] = [:]
        var endpointMap: [NamespacedName: ServiceEndpoints] = [:]
        for i in 0..<services {
            serviceMap[BenchFixture.name(i)] = BenchFixture.ports(i)
            endpointMap[BenchFixture.name(i)] = BenchFixture.endpoints(i, count: endpoints)
        }
        var snapshot = ProxySnapshot(nodeName: BenchFixture.node, family: .ipv4, services: serviceMap, endpoints: endpointMap)
        let builder = NFTRuleBuilder(config: BenchFixture.config())
        let clock = ContinuousClock()
        var lines: [String] = []

        // Foundation's Process cannot start from a thread inside a namespace, so the `nft` CLI baselines run from
        // here, between the in-namespace parts; the runner's netlink socket stays in the namespace it was made in.
        var changeFiles: [String] = []
        var fullText = ""
        let runner = try NetworkNamespace.runSync(in: ns) { try NFTablesRunner() }
        try NetworkNamespace.runSync(in: ns) {
            // Initial full sync: empty kernel table.
            var ruleset = builder.build(ProxySnapshot(nodeName: BenchFixture.node, family: .ipv4))
            // As the proxy does it: the endpoint maps filled by parallel transactions, then one that switches.
            func fullSync(_ ruleset: NFTProxyRuleset, existing: NFTExistingObjects) -> (fills: [String], commit: String) {
                let sync = ruleset.fullSync(existing: existing, workers: NFTablesRunner.concurrency)
                return (sync.fills.map { $0.rendered() }, sync.commit.rendered())
            }
            HeapTrim.releaseFreedMemory()
            let heapBefore = ProcessMemory.kiB(getpid(), "RssAnon")
            let cpuBefore = cpuSeconds()
            let inUseBefore = jn_heap_in_use()
            let build = clock.measure { ruleset = builder.build(snapshot) }
            let modelBytes = Int(jn_heap_in_use()) - Int(inUseBefore)
            var texts: (fills: [String], commit: String) = ([], "")
            let render = clock.measure { texts = fullSync(ruleset, existing: NFTExistingObjects()) }
            let text = ruleset.fullTransaction().rendered()
            if let keep = ProcessInfo.processInfo.environment["JUNCTION_BENCH_KEEP"] {
                try text.write(toFile: keep + "/full-\(services).nft", atomically: false, encoding: .utf8)
            }
            let commit = try clock.measure {
                try runner.runConcurrently(texts.fills)
                try runner.run(texts.commit)
            }
            let cpu = cpuSeconds() - cpuBefore
            HeapTrim.releaseFreedMemory()
            let modelKiB = ProcessMemory.kiB(getpid(), "RssAnon") - heapBefore
            let bytes = texts.fills.reduce(texts.commit.utf8.count) { $0 + $1.utf8.count }
            lines.append(String(format: "  %5d services: full sync %.3f s  (build %.3f, render %.3f, commit %.3f with %d parallel fills; %.1f MB of nft text; %.3f s of CPU)",
                                services, seconds(build + render + commit), seconds(build), seconds(render), seconds(commit),
                                texts.fills.count, Double(bytes) / 1e6, cpu))
            lines.append(String(format: "      the ruleset model kept between syncs: %.1f MB allocated (private memory grew %.0f MB over the build and the sync)",
                                Double(modelBytes) / 1e6, Double(modelKiB) / 1024))
            // Periodic resync over the populated table, as the proxy does it (list, rebuild in the other map
            // generation, fill, switch).
            var existing = NFTExistingObjects()
            let list = try clock.measure {
                existing = NFTExistingObjects.parse(listing: try runner.list(NFTExistingObjects.listCommand(for: "ip junction")), table: "ip junction")
            }
            var rebuilt = ruleset
            var resyncTexts: (fills: [String], commit: String) = ([], "")
            let rebuild = clock.measure {
                rebuilt = builder.build(snapshot, previous: ruleset, generation: 1 - ruleset.generation)
                resyncTexts = fullSync(rebuilt, existing: existing)
            }
            let fill = try clock.measure { try runner.runConcurrently(resyncTexts.fills) }
            let switchOver = try clock.measure { try runner.run(resyncTexts.commit) }
            ruleset = rebuilt
            lines.append(String(format: "                  resync of the populated table %.3f s (list %.3f, build + render %.3f, fills %.3f, switch %.3f)",
                                seconds(list + rebuild + fill + switchOver), seconds(list), seconds(rebuild), seconds(fill), seconds(switchOver)))

            // One endpoint replaced at a time.
            var total = Latencies(), kernel = Latencies()
            var generator = SystemRandomNumberGenerator()
            var lastText = ""
            for k in 0..<changes {
                let i = Int.random(in: 0..<services, using: &generator)
                let name = BenchFixture.name(i)
                var list = endpointMap[name]?[BenchFixture.portName(i)] ?? []
                guard !list.isEmpty else { continue }
                list[Int.random(in: 0..<list.count, using: &generator)].ip = IPAddress(v4: 0x0AF0_0000 + UInt32(k))
                endpointMap[name] = [BenchFixture.portName(i): list.sorted()]
                let start = ContinuousClock.now
                let changed = snapshot.refresh([name], services: serviceMap, endpoints: endpointMap)
                lastText = builder.update(&ruleset, snapshot: snapshot, changed: changed).rendered()
                let sent = ContinuousClock.now
                try runner.run(lastText)
                kernel.record(sent)
                total.record(start)
            }
            lines.append("    one-endpoint change (\(total.count)x): \(total.summary)")
            lines.append("      of which the libnftables call: \(kernel.summary)")

            var added = Latencies()
            for k in 0..<adds {
                let i = services + k
                serviceMap[BenchFixture.name(i)] = BenchFixture.ports(i)
                endpointMap[BenchFixture.name(i)] = BenchFixture.endpoints(i, count: endpoints)
                let start = ContinuousClock.now
                let changed = snapshot.refresh([BenchFixture.name(i)], services: serviceMap, endpoints: endpointMap)
                try runner.run(builder.update(&ruleset, snapshot: snapshot, changed: changed).rendered())
                added.record(start)
            }
            lines.append("    add one service (\(added.count)x): \(added.summary)")

            // Baseline: the same kind of transaction through the nft CLI (files run below).
            for k in 0..<min(20, changes) {
                let i = k * 7 % services
                let name = BenchFixture.name(i)
                var list = endpointMap[name]?[BenchFixture.portName(i)] ?? []
                guard !list.isEmpty else { continue }
                list[0].ip = IPAddress(v4: 0x0AF8_0000 + UInt32(k))
                endpointMap[name] = [BenchFixture.portName(i): list.sorted()]
                let changed = snapshot.refresh([name], services: serviceMap, endpoints: endpointMap)
                let file = dir + "/change-\(k).nft"
                try builder.update(&ruleset, snapshot: snapshot, changed: changed).rendered()
                    .write(toFile: file, atomically: false, encoding: .utf8)
                changeFiles.append(file)
            }
            fullText = text
        }
        var cli = Latencies()
        for file in changeFiles { cli.record(microseconds: UInt64(seconds(try nftCLI(ns, file: file)) * 1e6)) }
        lines.insert("      baseline, the same change through `nft -f` (\(cli.count)x): \(cli.summary)", at: lines.count - 1)
        // Baseline for the full sync: the same initial load through the nft CLI.
        try runner.run("delete table ip junction")
        let file = dir + "/full.nft"
        try fullText.write(toFile: file, atomically: false, encoding: .utf8)
        lines.insert(String(format: "      baseline, the same initial full load through `nft -f`: %.3f s", seconds(try nftCLI(ns, file: file))), at: 1)
        try runner.run("delete table ip junction")
        print(lines.joined(separator: "\n"))
    }
}

// MARK: Data path: ClusterIP against the direct path

/// A client namespace carrying the proxy's rules and a server namespace with `junction echo-server`, joined by a
/// veth pair; sequential TCP connect + 5-byte echo + close round trips, to the ClusterIP and directly to the pod
/// address, alternating in blocks, with 1 service and with 10,000 services in the table.
struct DataPathPhase {
    var connections: Int
    var endpoints: Int

    static let clientIP = "10.250.0.1"
    static let serverIP = "10.250.0.2"
    static let echoPort: UInt16 = 9000

    func run() throws {
        let client = BenchNamespace.name("c"), server = BenchNamespace.name("e")
        try NetworkNamespace.create(client)
        defer { try? NetworkNamespace.delete(client) }
        try NetworkNamespace.create(server)
        defer { try? NetworkNamespace.delete(server) }
        let serverFD = try NetworkNamespace.openFD(server)
        defer { close(serverFD) }
        try NetworkNamespace.runSync(in: client) {
            let nl = try NetlinkSession()
            try nl.createVeth("bc0", peer: "bs0", peerNamespaceFD: serverFD)
            try nl.addAddress("\(Self.clientIP)/24", to: "bc0")
            try nl.setUp("bc0")
            try nl.setUp("lo")
            // ClusterIPs are routed out of the veth (as a node routes them to its default gateway); DNAT in the
            // output hook then rewrites them before they leave.
            try nl.addRoute("10.96.0.0/12", via: nil, dev: "bc0")
        }
        try NetworkNamespace.runSync(in: server) {
            let nl = try NetlinkSession()
            try nl.addAddress("\(Self.serverIP)/24", to: "bs0")
            try nl.setUp("bs0")
            try nl.setUp("lo")
        }
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let echo = try ContainerProcess.spawn(ContainerLaunch(
            argv: [exe, "echo-server", "--tcp-port", String(Self.echoPort), "--http-port", "18080", "--udp-port", "19001"],
            env: [], workdir: nil, netnsPath: NetworkNamespace.path(server), resolvConf: nil, hosts: nil, hostname: nil,
            logPath: nil))
        defer {
            ContainerProcess.signal(echo, SIGTERM)
            var status: Int32 = 0
            while waitpid(echo, &status, 0) < 0 && errno == EINTR {}
        }
        let builder = NFTRuleBuilder(config: BenchFixture.config())
        var lines: [String] = []
        try NetworkNamespace.runSync(in: client) {
            try Self.waitForEcho()
            let runner = try NFTablesRunner()
            for size in [1, 10_000] {
                var services: [NamespacedName: ServicePorts] = [:]
                var eps: [NamespacedName: ServiceEndpoints] = [:]
                for i in 0..<size {
                    services[BenchFixture.name(i)] = BenchFixture.ports(i)
                    eps[BenchFixture.name(i)] = BenchFixture.endpoints(i, count: endpoints)
                }
                // svc-0 (ClusterIP 10.96.0.0:80) goes to the echo server.
                let target = Endpoint(ip: IPAddress.parse(Self.serverIP) ?? IPAddress(v4: 0), port: Int(Self.echoPort), nodeName: "other-node")
                eps[BenchFixture.name(0)] = [BenchFixture.portName(0): [target]]
                let snapshot = ProxySnapshot(nodeName: BenchFixture.node, family: .ipv4, services: services, endpoints: eps)
                try runner.run(builder.build(snapshot).recreateTransaction().rendered())
                var viaService = Latencies(), direct = Latencies()
                let block = 100
                for round in 0..<max(1, connections / block) {
                    for path in round % 2 == 0 ? [true, false] : [false, true] {
                        for _ in 0..<block {
                            let start = ContinuousClock.now
                            try Self.roundTrip(to: path ? "10.96.0.0" : Self.serverIP, port: path ? 80 : Self.echoPort)
                            if path { viaService.record(start) } else { direct.record(start) }
                        }
                    }
                }
                lines.append("  \(size) service\(size == 1 ? "" : "s") in the table, \(viaService.count) connections each:")
                lines.append("    via ClusterIP: \(viaService.summary)")
                lines.append("    direct to pod: \(direct.summary)")
                lines.append(String(format: "    ratio p50 %.3f  p99 %.3f", viaService.p(50) / max(direct.p(50), 0.001),
                                    viaService.p(99) / max(direct.p(99), 0.001)))
            }
            try runner.run("delete table ip junction")
        }
        print("  connection latency (TCP connect + 5-byte echo + close, sequential, client ns -> veth -> server ns):")
        print(lines.joined(separator: "\n"))
    }

    static func waitForEcho() throws {
        for _ in 0..<200 {
            if (try? roundTrip(to: serverIP, port: echoPort)) != nil { return }
            usleep(20_000)
        }
        throw ValidationError("echo server did not answer")
    }

    /// One TCP connection: connect, send 5 bytes, read them back, close.
    static func roundTrip(to host: String, port: UInt16) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ValidationError("socket: \(errno)") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, host, &address.sin_addr)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw ValidationError("connect \(host):\(port): errno \(errno)") }
        let message: [UInt8] = Array("ping\n".utf8)
        guard write(fd, message, message.count) == message.count else { throw ValidationError("write: \(errno)") }
        var buffer = [UInt8](repeating: 0, count: 64)
        var got = 0
        while got < message.count {
            let n = buffer.withUnsafeMutableBytes { raw in raw.baseAddress.map { read(fd, $0 + got, 64 - got) } ?? -1 }
            guard n > 0 else { throw ValidationError("read from \(host):\(port): \(n < 0 ? errno : 0)") }
            got += n
        }
    }
}

// MARK: Watch event to kernel, and the proxy's memory (runs inside its own namespace)

/// A control plane and a `junction proxy` child in this process's namespace (loopback only): services with
/// EndpointSlices created through the API, then one slice changed at a time and the kernel polled through
/// libnftables until the new endpoint's element is there.
struct WatchPhase {
    var services: Int
    var changes: Int
    var rssServices: Int
    var endpoints: Int
    var namespace: String

    func run() async throws {
        try NetlinkSession().setUp("lo")
        let dir = NSTemporaryDirectory() + "junction-bench-" + namespace
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path

        let controlPlane = try Self.spawn([exe, "control-plane", "--data-dir", dir + "/data", "--listen", "127.0.0.1:0",
                                           "--kubeconfig-out", dir + "/kubeconfig", "--log-level", "error"],
                                          namespace: namespace, log: dir + "/control-plane.log")
        defer { Self.stop(controlPlane) }
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: dir + "/kubeconfig") {
            guard Date() < deadline else { throw ValidationError("control plane did not start") }
            try await Task.sleep(for: .milliseconds(20))
        }
        let api = try KubeClient(config: KubeConfig.load(path: dir + "/kubeconfig"), maxConnections: 24)
        defer { Task { try? await api.shutdown() } }
        _ = try? await api.json(.POST, "/api/v1/namespaces", ["metadata": ["name": "bench"]])

        // The timed service has 3 endpoints, an endpoint count no other service has, so its `pick-tcp-3` map
        // holds only its own elements and polling it stays cheap.
        try await create(range: 0..<services, api: api)
        let target = try await createService("watch-target", endpoints: 3, base: 0x0AFA_0000, api: api)

        // JUNCTION_BENCH_PROXY_COMMAND: the words that start the proxy instead of `junction proxy` (under a
        // profiler, say: `valgrind --tool=massif junction-proxy`).
        let command = ProcessInfo.processInfo.environment["JUNCTION_BENCH_PROXY_COMMAND"].map { $0.split(separator: " ").map(String.init) } ?? [exe, "proxy"]
        let proxy = try Self.spawn(command + ["--kubeconfig", dir + "/kubeconfig", "--node-name", BenchFixture.node,
                                    "--node-ip", "10.250.9.1", "--log-level", "warning"],
                                   namespace: namespace, log: dir + "/proxy.log")
        defer { Self.stop(proxy) }
        let runner = try NFTablesRunner(terse: false)
        let started = ContinuousClock.now
        try await waitForServices(services + 1, runner: runner, seconds: 120)
        let initial = started.duration(to: .now)

        let latency = try await measureChanges(target: target, offset: 0, api: api, runner: runner)
        print(String(format: "  watch event -> rule in the kernel (control plane + `junction proxy` children, %d services x %d endpoints):",
                     services, endpoints))
        print(String(format: "    proxy start to all services in the kernel: %.2f s", seconds(initial)))
        print("    EndpointSlice PUT to new element listed in the kernel (\(latency.count)x): \(latency.summary)")

        if rssServices > services {
            try await create(range: services..<rssServices, api: api)
            let t0 = ContinuousClock.now
            try await waitForServices(rssServices + 1, runner: runner, seconds: 300)
            let synced = t0.duration(to: .now)
            // Let the proxy go idle: it trims its heap a second after its last sync; steady state is what counts.
            try await Task.sleep(for: .seconds(2))
            print(String(format: "    %d more services through the API synced in %.2f s", rssServices - services, seconds(synced)))
            let kib = { (field: String) in ProcessMemory.kiB(proxy, field) }
            print("  junction proxy memory at \(rssServices) services x \(endpoints) endpoints: VmRSS: \(kib("VmRSS")) kB"
                + " (peak \(kib("VmHWM")) kB; private \(kib("RssAnon")) kB)")
            print("    resident by mapping, MiB: \(ProcessMemory.summary(proxy))")
            let atScale = try await measureChanges(target: target, offset: 0x1000, api: api, runner: runner)
            print("    EndpointSlice PUT to new element listed in the kernel at \(rssServices) services (\(atScale.count)x): \(atScale.summary)")
            // For profiling: JUNCTION_BENCH_SMAPS=FILE keeps the proxy's smaps (and its log as FILE.log);
            // JUNCTION_BENCH_HOLD=SECONDS keeps the proxy running that long with its PID in FILE.pid (for
            // `vgdb --pid=PID detailed_snapshot` when it runs under massif, see JUNCTION_BENCH_PROXY_COMMAND).
            let environment = ProcessInfo.processInfo.environment
            if let path = environment["JUNCTION_BENCH_SMAPS"] {
                try ProcessMemory.readAll("/proc/\(proxy)/smaps").write(toFile: path, atomically: false, encoding: .utf8)
                try? FileManager.default.copyItem(atPath: dir + "/proxy.log", toPath: path + ".log")
                if let hold = environment["JUNCTION_BENCH_HOLD"].flatMap(Int.init) {
                    try "\(proxy)".write(toFile: path + ".pid", atomically: true, encoding: .utf8)
                    try await Task.sleep(for: .seconds(hold))
                }
            }
        }
    }

    /// `changes` EndpointSlice PUTs of the watch target, each replacing its third endpoint, timed to the new
    /// element listed in the kernel. `offset` keeps the addresses of a second series apart from the first's.
    func measureChanges(target: [IPAddress], offset: UInt32, api: KubeClient, runner: NFTablesRunner) async throws -> Latencies {
        var latency = Latencies()
        for k in 0..<changes {
            let address = IPAddress(v4: 0x0AFB_0000 + offset + UInt32(k))
            let slice = Self.slice("watch-target", endpoints: [target[0], target[1], address], node: BenchFixture.node)
            let start = ContinuousClock.now
            let r = try await api.raw(.PUT, "/apis/discovery.k8s.io/v1/namespaces/bench/endpointslices/watch-target",
                                      body: JSONWriter.bytes(slice))
            guard r.code == 200 else { throw ValidationError("slice update: HTTP \(r.code)") }
            // An element `ClusterIP . index : address`, the address ending where the element does.
            let needles = [",", "\n", " "].map { ": \(address)" + $0 }
            while true {
                // The map of the generation in use (full syncs alternate between the two).
                let maps = [0, 1].map { NFTNames.pickMap(.tcp, count: 3, generation: $0) }
                if maps.contains(where: { map in
                    guard let listing = try? runner.list("list map ip junction \(map)") else { return false }
                    return needles.contains { listing.contains($0) }
                }) { break }
                guard start.duration(to: .now) < .seconds(10) else { throw ValidationError("change \(k) not in the kernel after 10 s") }
                try await Task.sleep(for: .microseconds(200))
            }
            latency.record(start)
            // Beyond the proxy's minimum sync interval (0.1 s), so that each change is its own sync.
            try await Task.sleep(for: .milliseconds(150))
        }
        return latency
    }

    /// Polls `service-ips` until it has `count` ClusterIP entries.
    func waitForServices(_ count: Int, runner: NFTablesRunner, seconds limit: Int) async throws {
        let start = ContinuousClock.now
        while true {
            let listing = (try? runner.list("list map ip junction \(NFTNames.serviceIPs)")) ?? ""
            var n = 0
            var rest = listing[...]
            while let r = rest.range(of: " : goto ") {
                n += 1
                rest = rest[r.upperBound...]
            }
            if n >= count { return }
            guard start.duration(to: .now) < .seconds(limit) else {
                throw ValidationError("proxy synced \(n) of \(count) services in \(limit) s")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    func create(range: Range<Int>, api: KubeClient) async throws {
        let endpoints = self.endpoints
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<16 {
                group.addTask {
                    for i in stride(from: range.lowerBound + w, to: range.upperBound, by: 16) {
                        _ = try await Self.createService(
                            "svc-\(i)", endpoints: endpoints, base: 0x0A80_0000 + UInt32(i * endpoints), api: api)
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    @discardableResult
    func createService(_ name: String, endpoints: Int, base: UInt32, api: KubeClient) async throws -> [IPAddress] {
        try await Self.createService(name, endpoints: endpoints, base: base, api: api)
    }

    static func createService(_ name: String, endpoints: Int, base: UInt32, api: KubeClient) async throws -> [IPAddress] {
        let service: JSONValue = [
            "metadata": ["name": .string(name)],
            "spec": ["ports": [["name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"]]],
        ]
        let r = try await api.raw(.POST, "/api/v1/namespaces/bench/services", body: JSONWriter.bytes(service))
        guard r.code == 201 else { throw ValidationError("service create: HTTP \(r.code)") }
        let addresses = (0..<endpoints).map { IPAddress(v4: base + UInt32($0)) }
        let s = try await api.raw(.POST, "/apis/discovery.k8s.io/v1/namespaces/bench/endpointslices",
                                  body: JSONWriter.bytes(slice(name, endpoints: addresses, node: "other-node")))
        guard s.code == 201 else { throw ValidationError("slice create: HTTP \(s.code)") }
        return addresses
    }

    static func slice(_ service: String, endpoints: [IPAddress], node: String) -> JSONValue {
        [
            "metadata": ["name": .string(service), "labels": ["kubernetes.io/service-name": .string(service)]],
            "addressType": "IPv4",
            "endpoints": .array(endpoints.map { address in
                ["addresses": [.string(address.description)], "conditions": ["ready": true], "nodeName": .string(node)]
            }),
            "ports": [["name": "http", "port": 8080, "protocol": "TCP"]],
        ]
    }

    static func spawn(_ argv: [String], namespace: String, log: String) throws -> pid_t {
        try ContainerProcess.spawn(ContainerLaunch(
            argv: argv, env: ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }, workdir: nil,
            netnsPath: NetworkNamespace.path(namespace), resolvConf: nil, hosts: nil, hostname: nil, logPath: log))
    }

    static func stop(_ pid: pid_t) {
        ContainerProcess.signal(pid, SIGTERM)
        var status: Int32 = 0
        for _ in 0..<100 {
            if waitpid(pid, &status, WNOHANG) == pid { return }
            usleep(50_000)
        }
        ContainerProcess.signal(pid, SIGKILL)
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }
}
