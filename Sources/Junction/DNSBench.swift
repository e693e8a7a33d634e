import ArgumentParser
import DNSCore
import Foundation
import KubeClient
import KubeModel
import NodeAgent
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `junction dns` against dnsmasq serving the same records, both loaded by dnsperf with the same query file, plus
/// the memory of `junction dns` at N services and the time from an API acknowledgement to the first answer.
///
/// Everything runs on 127.0.0.1: a control plane child, N services created over its API, `junction dns` watching it
/// (its upstream is a loopback port where nothing listens, and the query mix has no outside names, so no host
/// resolver is ever asked), dnsmasq with the same A, SRV and PTR records from files, and dnsperf. Children write to
/// files in a temporary directory (no pipes), are waited for by polling, and are killed by PID on the way out.
struct DNSBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dns",
        abstract: "Cluster DNS: queries/s and latency against dnsmasq (dnsperf), memory, create→resolve latency.")

    @Option(help: "Services to create (one in a hundred headless, with endpoints).") var services = 10_000
    @Option(help: "Ready endpoints per headless service.") var endpoints = 3
    @Option(help: "Seconds per dnsperf run.") var seconds = 10
    @Option(help: "dnsperf clients (UDP sockets or TCP connections).") var clients = 16
    @Option(help: "dnsperf outstanding queries.") var outstanding = 200
    @Option(help: "Service creates (and deletes) timed to the first answer (and NXDOMAIN).") var trials = 50
    @Option(help: "Concurrent API writers for the bulk create.") var writers = 16
    @Option(help: "junction dns --udp-readers (default: one per core; one with --pin).") var udpReaders: Int?
    @Option(help: "junction dns --udp-queue: shared or per-loop (default: its own).") var udpQueue: String?
    @Flag(help: "Pin the servers to the last core and dnsperf, the control plane and this command to the others (taskset), so nothing else (the load generator and its per-query output for the percentiles included) takes the servers' CPU.")
    var pin = false
    @Option(help: "With --pin: the servers' core (default: the last).") var serverCpu: Int?
    @Flag(help: "Stop after measuring the memory of junction dns at the sync (no dnsmasq, no dnsperf).")
    var memoryOnly = false
    @Option(help: "dnsperf binary (Debian package dnsperf).") var dnsperf = "/usr/bin/dnsperf"
    @Option(help: "dnsmasq binary (Debian package dnsmasq-base).") var dnsmasq = "/usr/sbin/dnsmasq"
    @Option(help: "Knot DNS server binary (Debian package knot), the fast authoritative peer; skipped when absent.")
    var knot = "/usr/sbin/knotd"

    func validate() throws {
        guard services >= 100 else { throw ValidationError("--services must be at least 100") }
        for binary in [dnsperf, dnsmasq] where !FileManager.default.isExecutableFile(atPath: binary) {
            throw ValidationError("\(binary) not found: apt-get install -y dnsperf dnsmasq-base")
        }
    }

    func run() async throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let serverCPU = serverCpu ?? cores - 1
        let serverCPUs = pin ? "\(serverCPU)" : nil
        let loadCPUs = pin ? (cores > 1 ? (0..<cores).filter { $0 != serverCPU }.map(String.init).joined(separator: ",") : "0") : nil
        if let loadCPUs {
            // The servers' core is theirs alone: this process, its threads and the control plane it starts
            // (children inherit the mask) stay with dnsperf on the others.
            let pinSelf = try DNSBenchChild("/usr/bin/taskset", ["-a", "-p", "-c", loadCPUs, "\(getpid())"], log: "/dev/null")
            _ = await pinSelf.waitForExit(timeout: .seconds(5))
        }
        let dir = NSTemporaryDirectory() + "junction-bench-dns-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let exe = junctionBinaryPath()

        // The control plane and N services.
        let controlPlane = try DNSBenchChild(exe, ["control-plane", "--data-dir", dir + "/data", "--listen", "127.0.0.1:0",
                                               "--kubeconfig-out", dir + "/kubeconfig", "--log-level", "error"],
                                          log: dir + "/control-plane.log")
        defer { controlPlane.kill() }
        try await controlPlane.waitFor(file: dir + "/kubeconfig", timeout: .seconds(30))
        let api = try KubeClient(config: KubeConfig.load(path: dir + "/kubeconfig"), maxConnections: writers + 4)
        defer { Task { try? await api.shutdown() } }
        let createStart = ContinuousClock.now
        let cluster = try await DNSBenchCluster.create(api: api, services: services, endpoints: endpoints, writers: writers)
        let createTime = ContinuousClock.now - createStart

        // Both servers, the same records.
        let upstream = try Self.freePort(udp: true)
        var dnsArgs = ["dns", "--kubeconfig", dir + "/kubeconfig", "--listen", "127.0.0.1:0",
                       "--health-bind", "127.0.0.1:0", "--metrics-bind", "127.0.0.1:0",
                       "--upstream", "127.0.0.1:\(upstream)", "--log-level", "info"]
        if let readers = udpReaders ?? (pin ? 1 : nil) { dnsArgs += ["--udp-readers", "\(readers)"] }
        if let udpQueue { dnsArgs += ["--udp-queue", udpQueue] }
        // The daemon's image as a daemon started from disk maps it: a binary the linker has just written sits in
        // the page cache in large folios, and each fault then maps more of it (2-3 MiB more file-backed RSS on the
        // first runs after a build). Dropping this file's clean cached pages makes runs comparable.
        let image = URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("junction-dns").path
        for path in [exe, image] {
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            if descriptor >= 0 {
                _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_DONTNEED)
                close(descriptor)
            }
        }
        let dnsStart = ContinuousClock.now
        let junction = try DNSBenchChild(exe, dnsArgs, log: dir + "/dns.log", cpus: serverCPUs)
        defer { junction.kill() }
        let junctionPort = try await junction.waitForLog(key: "udp", after: "cluster DNS listening",
                                                         timeout: .seconds(30))
        let probe = try DNSBenchCluster.probeName(cluster)
        try await waitForAnswer(port: junctionPort, name: probe, timeout: .seconds(60))
        let syncTime = ContinuousClock.now - dnsStart
        let idleRSS = ProcessMemory.kiB(junction.pid)
        let idleAnon = ProcessMemory.kiB(junction.pid, "RssAnon")
        // `junction dns` execs `junction-dns` when it sits next to `junction`: say which one ran.
        let ran = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(junction.pid)/exe")) ?? exe
        let which = "junction dns (\(URL(fileURLWithPath: ran).lastPathComponent))"
        if memoryOnly {
            print("""
                dns memory (\(services) services, \(cluster.headlessCount) of them headless × \(endpoints) endpoints)
                  \(services) services created over the API in \(Self.ms(createTime)); junction dns start → first answer: \(Self.ms(syncTime))
                  \(which) RSS: \(Self.mib(idleRSS)) MiB after the sync (\(Self.mib(idleAnon)) MiB private, \(Self.mib(idleRSS - idleAnon)) MiB file-backed)
                """)
            await junction.stop()
            await controlPlane.stop()
            return
        }

        // dnsmasq twice: with every record Junction serves, and with only the hosts file (A and PTR, its hashed
        // path; SRV names then do not exist), because dnsmasq scans its SRV list linearly on every query.
        let dnsmasqPort = try Self.freePort(udp: true, tcp: true)
        try cluster.writeDnsmasqConfig(dir: dir, name: "dnsmasq-all", srv: true)
        let masq = try DNSBenchChild(dnsmasq, Self.dnsmasqArguments(dir + "/dnsmasq-all.conf", port: dnsmasqPort),
                                     log: dir + "/dnsmasq-all.log", cpus: serverCPUs)
        defer { masq.kill() }
        let hostsPort = try Self.freePort(udp: true, tcp: true)
        try cluster.writeDnsmasqConfig(dir: dir, name: "dnsmasq-hosts", srv: false)
        let masqHosts = try DNSBenchChild(dnsmasq, Self.dnsmasqArguments(dir + "/dnsmasq-hosts.conf", port: hostsPort),
                                          log: dir + "/dnsmasq-hosts.log", cpus: serverCPUs)
        defer { masqHosts.kill() }
        try await waitForAnswer(port: dnsmasqPort, name: probe, timeout: .seconds(30))
        try await waitForAnswer(port: hostsPort, name: probe, timeout: .seconds(30))
        // Knot, the same records as zones: the fastest authoritative server packaged here, so its latency at the
        // same rate is what this machine allows any server.
        var knotServer: (child: DNSBenchChild, port: Int)?
        if FileManager.default.isExecutableFile(atPath: knot) {
            let port = try Self.freePort(udp: true, tcp: true)
            try cluster.writeKnotConfig(dir: dir + "/knot", port: port)
            let child = try DNSBenchChild(knot, ["-c", dir + "/knot/knot.conf"], log: dir + "/knot.log", cpus: serverCPUs)
            knotServer = (child, port)
            try await waitForAnswer(port: port, name: probe, timeout: .seconds(60))
        }
        defer { knotServer?.child.kill() }

        let queryFile = dir + "/queries.txt"
        let queries = cluster.queryMix(count: 100_000)
        try queries.map { "\($0.name) \($0.type)" }.joined(separator: "\n").appending("\n")
            .write(toFile: queryFile, atomically: true, encoding: .utf8)
        let agreement = try await Self.offload { [queries] in
            try Self.compareAnswers(Array(queries.prefix(2_000)), ports: (junctionPort, dnsmasqPort))
        }
        var knotAgreement: (checked: Int, agreeing: Int, note: String)?
        if let knotPort = knotServer?.port {
            knotAgreement = try await Self.offload { [queries] in
                try Self.compareAnswers(Array(queries.prefix(2_000)), ports: (junctionPort, knotPort), peer: "knot")
            }
        }

        // Peak throughput, alternating the servers so drift in the machine's load hits them alike.
        // dnsperf's outputs (a line per query in the latency runs, ~60 MB each) go to tmpfs where there is one: on
        // a disk, page-cache writeback throttling stalls dnsperf's receive thread and shows up as server latency.
        let perfDir = FileManager.default.isWritableFile(atPath: "/dev/shm") ? "/dev/shm/" + URL(fileURLWithPath: dir).lastPathComponent : dir
        try FileManager.default.createDirectory(atPath: perfDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: perfDir) }
        let perf = DNSPerf(binary: dnsperf, queryFile: queryFile, dir: perfDir, seconds: seconds, clients: clients,
                           outstanding: outstanding, cpus: loadCPUs)
        var peak: [String: DNSPerf.Result] = [:]
        for tcp in [false, true] {
            var servers = [("junction", junctionPort, junction.pid), ("dnsmasq-all", dnsmasqPort, masq.pid),
                           ("dnsmasq-hosts", hostsPort, masqHosts.pid)]
            if let knotServer { servers.append(("knot", knotServer.port, knotServer.child.pid)) }
            for (label, port, pid) in servers {
                let key = label + (tcp ? "-tcp" : "-udp")
                peak[key] = try await perf.run(port: port, server: pid, tcp: tcp, label: key)
            }
        }
        // Latency under a steady load: each server at half of its own UDP peak (dnsmasq's fast path, the other
        // configuration barely serves), and Junction also at dnsmasq's rate, like for like.
        // The machine's baseline for a tail: how much of each core's time it takes away in stalls, right before.
        let stalls = await HostStalls.measure(cpus: Array(0..<ProcessInfo.processInfo.activeProcessorCount), seconds: 5)
        /// Each server at half its own peak over one transport, Junction also at dnsmasq's rate (UDP only), and Knot
        /// at Junction's rate: the tail any server gets here at that rate (host, loopback, dnsperf).
        func halfPeakRuns(tcp: Bool) async throws -> HalfPeak {
            let transport = tcp ? "tcp" : "udp"
            let rate = max(1_000, Int((peak["junction-\(transport)"] ?? .empty).qps / 2))
            let masqRate = max(1_000, Int((peak["dnsmasq-hosts-\(transport)"] ?? .empty).qps / 2))
            func run(_ label: String, port: Int, pid: pid_t, rate: Int) async throws -> DNSPerf.Result {
                try await perf.run(port: port, server: pid, tcp: tcp, label: "\(label)-\(transport)-half", rate: rate,
                                   perQuery: true)
            }
            var result = HalfPeak(rate: rate, masqRate: masqRate,
                                  junction: try await run("junction", port: junctionPort, pid: junction.pid, rate: rate),
                                  dnsmasq: try await run("dnsmasq", port: hostsPort, pid: masqHosts.pid, rate: masqRate))
            if !tcp {
                result.junctionAtMasq = try await run("junction-at-dnsmasq", port: junctionPort, pid: junction.pid,
                                                      rate: masqRate)
            }
            if let knotServer {
                result.knot = try await run("knot-at-junction", port: knotServer.port, pid: knotServer.child.pid,
                                            rate: rate)
            }
            return result
        }
        let udpHalf = try await halfPeakRuns(tcp: false)
        // The same over TCP (16 persistent connections).
        let tcpHalf = try await halfPeakRuns(tcp: true)
        let loadedRSS = ProcessMemory.kiB(junction.pid)
        let loadedAnon = ProcessMemory.kiB(junction.pid, "RssAnon")

        // Create → first answer and delete → NXDOMAIN, one service at a time.
        let (created, deleted) = try await createToResolve(api: api, port: junctionPort)

        func row(_ transport: String) -> String {
            func side(_ key: String) -> String {
                let r = peak["\(key)-\(transport)"] ?? .empty
                return String(format: "%8.0f q/s %6.2f µs CPU/q", r.qps, r.cpuMicrosPerQuery)
            }
            let j = peak["junction-\(transport)"] ?? .empty
            let all = peak["dnsmasq-all-\(transport)"] ?? .empty
            let hosts = peak["dnsmasq-hosts-\(transport)"] ?? .empty
            let knot = peak["knot-\(transport)"]
            let lost = ([j, all, hosts] + (knot.map { [$0] } ?? [])).map { "\($0.lost)" }.joined(separator: "/")
            return "    \(transport.uppercased()): junction \(side("junction"))  | dnsmasq all records \(side("dnsmasq-all"))"
                + String(format: " (%.2fx)", j.qps / max(all.qps, 1))
                + "  | dnsmasq hosts only \(side("dnsmasq-hosts"))" + String(format: " (%.2fx)", j.qps / max(hosts.qps, 1))
                + (knot.map { "  | knot \(side("knot"))" + String(format: " (%.2fx)", j.qps / max($0.qps, 1)) } ?? "")
                + "  lost \(lost)"
        }
        let ms = Self.ms
        func latency(_ r: DNSPerf.Result) -> String {
            String(format: "p50 %.3f ms  p99 %.3f ms  max %.2f ms  lost %d", r.p50Ms, r.p99Ms, r.maxMs, r.lost)
        }
        print("""
            dns benchmark (\(ProcessInfo.processInfo.activeProcessorCount) cores\(pin ? ", servers pinned to CPU \(serverCPUs ?? ""), dnsperf to \(loadCPUs ?? "")" : ""); \(services) services, \(cluster.headlessCount) of them headless × \(endpoints) endpoints; dnsperf -c \(clients) -q \(outstanding) -l \(seconds) over a \(queries.count)-query mix)
              \(services) services created over the API in \(ms(createTime)); junction dns start → first answer: \(ms(syncTime))
              answers equal to dnsmasq's (rcode and record data, first \(agreement.checked) queries of the mix): \(agreement.agreeing)\(agreement.note)\(knotAgreement.map { "; to knot's: \($0.agreeing)\($0.note)" } ?? "; knot: not installed (\(knot))")
              peak queries/s and server CPU per query (ratio = junction/peer; lost = junction/all/hosts\(knotServer == nil ? "" : "/knot")):
            \(row("udp"))
            \(row("tcp"))
              host stalls, a thread spinning on each idle core for 5 s just before: \(stalls.summary)
              latency over UDP at half of each server's peak:
            \(udpHalf.lines(latency))
              latency over TCP at half of each server's TCP peak:
            \(tcpHalf.lines(latency))
              \(which) RSS: \(Self.mib(idleRSS)) MiB after the sync (\(Self.mib(idleAnon)) MiB private), \(Self.mib(loadedRSS)) MiB after the load (\(Self.mib(loadedAnon)) MiB private)
              create → first answer (\(created.count) services): p50 \(ms(Self.percentile(created, 50)))  p99 \(ms(Self.percentile(created, 99)))  max \(ms(created.max() ?? .zero))
              delete → NXDOMAIN:                 p50 \(ms(Self.percentile(deleted, 50)))  p99 \(ms(Self.percentile(deleted, 99)))  max \(ms(deleted.max() ?? .zero))
            """)
        await junction.stop()
        await masq.stop()
        await masqHosts.stop()
        if let knotServer { await knotServer.child.stop() }
        await controlPlane.stop()
    }

    static func ms(_ d: Duration) -> String {
        String(format: "%.2f ms", Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) / 1e15)
    }

    /// KiB from /proc as MiB with one decimal: the 50 MB aim is close enough to need it.
    static func mib(_ kib: Int) -> String {
        String(format: "%.1f", Double(kib) / 1024)
    }

    static func dnsmasqArguments(_ conf: String, port: Int) -> [String] {
        ["--keep-in-foreground", "--conf-file=\(conf)", "--port=\(port)", "--listen-address=127.0.0.1",
         "--bind-interfaces", "--pid-file=", "--log-facility=-"]
    }

    /// Polls until `name` gets NOERROR with an answer (the server is up and, for Junction, synced).
    private func waitForAnswer(port: Int, name: String, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let answered = try await Self.offload {
                let probe = try LoopbackDNSProbe(port: port)
                return probe.ask(name, type: .a, timeoutMicros: 200_000).map { $0.rcode == 0 && $0.answers > 0 } ?? false
            }
            if answered { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ValidationError("no answer for \(name) on port \(port)")
    }

    /// For each trial: create a service, take the API's acknowledgement as time zero, query its name over UDP every
    /// millisecond until it answers; then the same for the delete until NXDOMAIN.
    private func createToResolve(api: KubeClient, port: Int) async throws -> ([Duration], [Duration]) {
        var created: [Duration] = []
        var deleted: [Duration] = []
        for trial in 0..<trials {
            let name = "latency-\(trial)"
            let fqdn = "\(name).bench-0.svc.cluster.local."
            let body: JSONValue = ["metadata": ["name": .string(name)],
                                   "spec": ["ports": [["name": "http", "port": 80, "protocol": "TCP"]]]]
            try await api.json(.POST, "/api/v1/namespaces/bench-0/services", body)
            let acknowledged = ContinuousClock.now
            created.append(try await Self.offload {
                try Self.poll(fqdn, port: port, until: { $0.rcode == 0 && $0.answers > 0 }, since: acknowledged)
            })
            try await api.json(.DELETE, "/api/v1/namespaces/bench-0/services/\(name)")
            let gone = ContinuousClock.now
            deleted.append(try await Self.offload {
                try Self.poll(fqdn, port: port, until: { $0.rcode == 3 }, since: gone)
            })
            try await Task.sleep(for: .milliseconds(20))
        }
        return (created, deleted)
    }

    /// Queries every millisecond (each query waits up to a millisecond for its reply) until `until` holds; gives up
    /// after ten seconds.
    private static func poll(_ name: String, port: Int, until: (LoopbackDNSProbe.Reply) -> Bool,
                             since start: ContinuousClock.Instant) throws -> Duration {
        let probe = try LoopbackDNSProbe(port: port)
        while ContinuousClock.now - start < .seconds(10) {
            let sent = ContinuousClock.now
            if let reply = probe.ask(name, type: .a, timeoutMicros: 1_000), until(reply) {
                return ContinuousClock.now - start
            }
            let next = sent + .milliseconds(1)
            if ContinuousClock.now < next { Thread.sleep(forTimeInterval: Double((next - ContinuousClock.now).components.attoseconds) / 1e18) }
        }
        throw ValidationError("\(name) never reached the expected answer")
    }

    /// Asks Junction and a peer each query and compares the rcode and the sorted record data of the answer section.
    private static func compareAnswers(_ queries: [DNSBenchCluster.Query],
                                       ports: (junction: Int, peer: Int), peer name: String = "dnsmasq") throws -> (checked: Int, agreeing: Int, note: String) {
        let junction = try LoopbackDNSProbe(port: ports.junction)
        let other = try LoopbackDNSProbe(port: ports.peer)
        var agreeing = 0
        var first: String?
        for query in queries {
            let type = DNSType(query.type == "A" ? 1 : query.type == "AAAA" ? 28 : query.type == "SRV" ? 33 : 12)
            let a = junction.ask(query.name, type: type, timeoutMicros: 500_000)
            let b = other.ask(query.name, type: type, timeoutMicros: 500_000)
            if let a, let b, a.rcode == b.rcode, a.data == b.data {
                agreeing += 1
            } else if first == nil {
                first = "\(query.name) \(query.type): junction \(a.map { "\($0.rcode) \($0.data)" } ?? "-"), \(name) \(b.map { "\($0.rcode) \($0.data)" } ?? "-")"
            }
        }
        return (queries.count, agreeing, first.map { " (first difference: \($0))" } ?? "")
    }
}

/// The latency runs at half the peak over one transport.
struct HalfPeak {
    var rate: Int
    var masqRate: Int
    var junction: DNSPerf.Result
    var dnsmasq: DNSPerf.Result
    var junctionAtMasq: DNSPerf.Result?
    var knot: DNSPerf.Result?

    /// The report's lines, indented as the rest of it.
    func lines(_ latency: (DNSPerf.Result) -> String) -> String {
        var lines = ["    junction at \(rate) q/s:            \(latency(junction))",
                     "    dnsmasq hosts only at \(masqRate) q/s:  \(latency(dnsmasq))"]
        if let junctionAtMasq { lines.append("    junction at \(masqRate) q/s:            \(latency(junctionAtMasq))") }
        if let knot { lines.append("    knot at \(rate) q/s (junction's half): \(latency(knot))") }
        return lines.joined(separator: "\n")
    }
}

/// The services the benchmark creates, and the records and queries derived from them.
struct DNSBenchCluster: Sendable {
    struct Service: Sendable {
        var name: String
        var namespace: String
        var clusterIP: String?
        var endpoints: [(ip: String, host: String)]
        var fqdn: String { "\(name).\(namespace).svc.cluster.local" }
    }

    struct Query: Sendable {
        var name: String
        var type: String
    }

    var services: [Service]
    var headlessCount: Int { services.count(where: { $0.clusterIP == nil }) }

    static let namespaces = (0..<10).map { "bench-\($0)" }

    /// Creates the namespaces, then the services from `writers` concurrent clients: one in a hundred headless with
    /// an EndpointSlice of `endpoints` ready addresses (StatefulSet-style hostnames for every other one, the rest
    /// named by address).
    static func create(api: KubeClient, services count: Int, endpoints: Int, writers: Int) async throws -> DNSBenchCluster {
        for namespace in namespaces {
            _ = try? await api.json(.POST, "/api/v1/namespaces", ["metadata": ["name": .string(namespace)]])
        }
        let created = try await withThrowingTaskGroup(of: [Service].self) { group in
            for writer in 0..<writers {
                group.addTask {
                    var made: [Service] = []
                    for i in stride(from: writer, to: count, by: writers) {
                        made.append(try await createService(api: api, index: i, endpoints: endpoints))
                    }
                    return made
                }
            }
            var all: [Service] = []
            for try await part in group { all += part }
            return all
        }
        return DNSBenchCluster(services: created.sorted { $0.name < $1.name })
    }

    private static func createService(api: KubeClient, index: Int, endpoints: Int) async throws -> Service {
        let namespace = namespaces[index % namespaces.count]
        let port: JSONValue = ["name": "http", "port": 80, "protocol": "TCP"]
        guard index % 100 == 0 else {
            let name = "svc-\(index)"
            let reply = try await api.json(.POST, "/api/v1/namespaces/\(namespace)/services",
                                           ["metadata": ["name": .string(name)], "spec": ["ports": [port]]])
            return Service(name: name, namespace: namespace,
                           clusterIP: reply.value(at: ["spec", "clusterIP"])?.stringValue ?? "", endpoints: [])
        }
        let name = "headless-\(index)"
        try await api.json(.POST, "/api/v1/namespaces/\(namespace)/services",
                           ["metadata": ["name": .string(name)], "spec": ["clusterIP": "None", "ports": [port]]])
        var list: [(ip: String, host: String)] = []
        var items: [JSONValue] = []
        for e in 0..<endpoints {
            let n = (index / 100) * endpoints + e + 1
            let ip = "10.\(244 + (n >> 16)).\((n >> 8) & 255).\(n & 255)"
            let named = (index / 100) % 2 == 0
            let host = named ? "\(name)-\(e)" : ip.replacingOccurrences(of: ".", with: "-")
            list.append((ip, host))
            var endpoint: [String: JSONValue] = ["addresses": [.string(ip)], "conditions": ["ready": true]]
            if named { endpoint["hostname"] = .string(host) }
            items.append(.object(endpoint))
        }
        try await api.json(.POST, "/apis/discovery.k8s.io/v1/namespaces/\(namespace)/endpointslices", [
            "metadata": ["name": .string(name + "-1"), "labels": ["kubernetes.io/service-name": .string(name)]],
            "addressType": "IPv4", "endpoints": .array(items),
            "ports": [["name": "http", "port": 8080, "protocol": "TCP"]],
        ])
        return Service(name: name, namespace: namespace, clusterIP: nil, endpoints: list)
    }

    /// A ClusterIP service's name: answered by both servers once they have the records.
    static func probeName(_ cluster: DNSBenchCluster) throws -> String {
        guard let service = cluster.services.last(where: { $0.clusterIP != nil }) else {
            throw ValidationError("no ClusterIP service")
        }
        return service.fqdn + "."
    }

    /// dnsmasq with the same records: A (and so PTR) from a hosts file, SRV from `srv-host` lines with Junction's
    /// priority and weight, NXDOMAIN for every other name under the zone (`local=`), no upstream.
    func writeDnsmasqConfig(dir: String, name: String, srv: Bool) throws {
        var hosts = ""
        var conf = "no-resolv\nno-hosts\nlocal=/cluster.local/\nlocal=/in-addr.arpa/\naddn-hosts=\(dir)/\(name).hosts\n"
        for service in services {
            if let ip = service.clusterIP {
                hosts += "\(ip) \(service.fqdn)\n"
                if srv { conf += "srv-host=_http._tcp.\(service.fqdn),\(service.fqdn),80,0,100\n" }
            } else {
                let weight = max(1, 100 / max(1, service.endpoints.count))
                for endpoint in service.endpoints {
                    // The first name is the one PTR answers with, as Junction's PTR names the endpoint.
                    hosts += "\(endpoint.ip) \(endpoint.host).\(service.fqdn) \(service.fqdn)\n"
                    if srv {
                        conf += "srv-host=_http._tcp.\(service.fqdn),\(endpoint.host).\(service.fqdn),8080,0,\(weight)\n"
                    }
                }
            }
        }
        try hosts.write(toFile: "\(dir)/\(name).hosts", atomically: true, encoding: .utf8)
        try conf.write(toFile: "\(dir)/\(name).conf", atomically: true, encoding: .utf8)
    }

    /// Knot with the same records as Junction answers them: the cluster zone (A for ClusterIP services and for each
    /// headless endpoint under the service and its hostname, SRV with Junction's priority and weights) and the
    /// reverse zone (PTR for ClusterIPs and endpoint hostnames); every other name under them is NXDOMAIN.
    func writeKnotConfig(dir: String, port: Int) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        func soa(_ origin: String) -> String {
            "$ORIGIN \(origin).\n$TTL 30\n@ 30 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5\n"
                + "@ 30 IN NS ns.dns.cluster.local.\n"
        }
        var zone = soa("cluster.local") + "ns.dns.cluster.local. 30 IN A 10.96.0.10\n"
        var reverse = soa("in-addr.arpa")
        func ptr(_ ip: String, _ name: String) -> String {
            ip.split(separator: ".").reversed().joined(separator: ".") + ".in-addr.arpa. 30 IN PTR \(name).\n"
        }
        for service in services {
            if let ip = service.clusterIP {
                zone += "\(service.fqdn). 30 IN A \(ip)\n"
                zone += "_http._tcp.\(service.fqdn). 30 IN SRV 0 100 80 \(service.fqdn).\n"
                reverse += ptr(ip, service.fqdn)
            } else {
                let weight = max(1, 100 / max(1, service.endpoints.count))
                for endpoint in service.endpoints {
                    zone += "\(service.fqdn). 30 IN A \(endpoint.ip)\n"
                    zone += "\(endpoint.host).\(service.fqdn). 30 IN A \(endpoint.ip)\n"
                    zone += "_http._tcp.\(service.fqdn). 30 IN SRV 0 \(weight) 8080 \(endpoint.host).\(service.fqdn).\n"
                    reverse += ptr(endpoint.ip, "\(endpoint.host).\(service.fqdn)")
                }
            }
        }
        try zone.write(toFile: "\(dir)/cluster.local.zone", atomically: true, encoding: .utf8)
        try reverse.write(toFile: "\(dir)/in-addr.arpa.zone", atomically: true, encoding: .utf8)
        let conf = """
            server:
                rundir: "\(dir)"
                listen: 127.0.0.1@\(port)
            log:
              - target: stderr
                any: warning
            database:
                storage: "\(dir)/db"
            template:
              - id: default
                storage: "\(dir)"
                file: "%s.zone"
                zonefile-sync: -1
                journal-content: none
            zone:
              - domain: cluster.local
              - domain: in-addr.arpa

            """
        try conf.write(toFile: "\(dir)/knot.conf", atomically: true, encoding: .utf8)
    }

    /// A repeatable mix in the proportions a cluster's resolvers send: mostly A for services, the AAAA that goes
    /// with them (no IPv6 here: NODATA), SRV, headless A sets, PTR, and search-path misses (NXDOMAIN).
    func queryMix(count: Int) -> [Query] {
        var random = DNSBenchRandom(seed: 5)
        let clusterIP = services.filter { $0.clusterIP != nil }
        let headless = services.filter { $0.clusterIP == nil }
        var queries: [Query] = []
        queries.reserveCapacity(count)
        for _ in 0..<count {
            let roll = random.next(100)
            let service = clusterIP[random.next(clusterIP.count)]
            switch roll {
            case 0..<50: queries.append(Query(name: service.fqdn, type: "A"))
            case 50..<60: queries.append(Query(name: service.fqdn, type: "AAAA"))
            case 60..<70: queries.append(Query(name: "_http._tcp." + service.fqdn, type: "SRV"))
            case 70..<75: queries.append(Query(name: headless[random.next(headless.count)].fqdn, type: "A"))
            case 75..<78: queries.append(Query(name: "_http._tcp." + headless[random.next(headless.count)].fqdn, type: "SRV"))
            case 78..<85:
                let octets = (service.clusterIP ?? "").split(separator: ".").reversed().joined(separator: ".")
                queries.append(Query(name: octets + ".in-addr.arpa", type: "PTR"))
            case 85..<95:
                // `ndots:5` tries the pod's own namespace first: `<name>.<ns>.svc.cluster.local.<ns>.svc.cluster.local`.
                queries.append(Query(name: service.fqdn + ".\(service.namespace).svc.cluster.local", type: "A"))
            default: queries.append(Query(name: "missing-\(random.next(1_000_000)).\(service.namespace).svc.cluster.local", type: "A"))
            }
        }
        return queries
    }
}

/// A small deterministic generator, so every run sends the same query file.
struct DNSBenchRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(max(1, bound)))
    }
}

/// dnsperf runs, each a child writing to its own file.
struct DNSPerf {
    struct Result {
        var qps: Double
        var averageMs: Double
        var lost: Int
        var completed: Int
        var cpuMicrosPerQuery: Double
        var p50Ms = 0.0
        var p99Ms = 0.0
        var maxMs = 0.0

        static let empty = Result(qps: 0, averageMs: 0, lost: 0, completed: 0, cpuMicrosPerQuery: 0)
    }

    let binary: String
    let queryFile: String
    let dir: String
    let seconds: Int
    let clients: Int
    let outstanding: Int
    /// CPUs dnsperf runs on (`taskset -c`), or nil for anywhere.
    var cpus: String? = nil

    /// One run against `port`; `server` is the PID whose CPU time is charged per completed query. `perQuery` adds
    /// `-v` (one line per query) for the latency percentiles.
    func run(port: Int, server: Int32, tcp: Bool, label: String, rate: Int? = nil,
             perQuery: Bool = false) async throws -> Result {
        var args = ["-s", "127.0.0.1", "-p", "\(port)", "-d", queryFile, "-l", "\(seconds)", "-c", "\(clients)",
                    "-q", "\(outstanding)", "-t", "2"]
        if tcp { args += ["-m", "tcp"] }
        if let rate { args += ["-Q", "\(rate)"] }
        if perQuery { args += ["-v"] }
        let output = dir + "/dnsperf-\(label).txt"
        let cpuBefore = DNSBenchChild.cpuTicks(server)
        let child = try DNSBenchChild(binary, args, log: output, cpus: cpus)
        defer { child.kill() }
        guard await child.waitForExit(timeout: .seconds(seconds + 60)) else {
            throw ValidationError("dnsperf \(label) did not finish")
        }
        let cpu = Double(DNSBenchChild.cpuTicks(server) - cpuBefore) / Double(sysconf(Int32(_SC_CLK_TCK)))
        let text = try String(contentsOfFile: output, encoding: .utf8)
        func field(_ prefix: String) -> Double? {
            for line in text.split(separator: "\n") {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                guard trimmed.hasPrefix(prefix) else { continue }
                return Double(trimmed.dropFirst(prefix.count).split(separator: " ").first ?? "")
            }
            return nil
        }
        guard let qps = field("Queries per second:"), let completed = field("Queries completed:") else {
            throw ValidationError("dnsperf \(label): no summary in \(output):\n\(text.suffix(2000))")
        }
        var result = Result(qps: qps, averageMs: (field("Average Latency (s):") ?? 0) * 1000,
                            lost: Int(field("Queries lost:") ?? 0), completed: Int(completed),
                            cpuMicrosPerQuery: cpu * 1e6 / max(completed, 1))
        if perQuery {
            var latencies: [Double] = []
            latencies.reserveCapacity(Int(completed))
            for line in text.split(separator: "\n") where line.hasPrefix("> ") {
                if let last = line.split(separator: " ").last, let value = Double(last) { latencies.append(value) }
            }
            latencies.sort()
            if !latencies.isEmpty {
                result.p50Ms = latencies[latencies.count / 2] * 1000
                result.p99Ms = latencies[min(latencies.count - 1, latencies.count * 99 / 100)] * 1000
                result.maxMs = (latencies.last ?? 0) * 1000
            }
        }
        return result
    }
}

/// A child process whose output goes to a file, started with `ContainerProcess.spawn` and reaped with `waitpid(WNOHANG)`:
/// nothing blocks a thread waiting for it (`waitForExit` polls and sleeps the task), and `kill` is a signal by PID.
/// (Foundation's `Process` left dnsperf a zombie that `isRunning` never saw end, which is how an earlier version of
/// this benchmark hung.) Not shared between tasks.
final class DNSBenchChild {
    let pid: pid_t
    let log: String
    let name: String
    private var exited = false

    /// `cpus` pins the child (and its threads) with `taskset -c`, which execs it in place: the PID stays the child's.
    init(_ executable: String, _ arguments: [String], log: String, cpus: String? = nil) throws {
        let displayName = URL(fileURLWithPath: executable).lastPathComponent
        let (executable, arguments) = cpus.map { ("/usr/bin/taskset", ["-c", $0, executable] + arguments) } ?? (executable, arguments)
        // Started as the node agent starts containers, without a namespace to join: stdin from /dev/null, stdout
        // and stderr to `log`, a process group of its own.
        let pid = try ContainerProcess.spawn(ContainerLaunch(
            argv: [executable] + arguments, env: ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" },
            workdir: nil, netnsPath: nil, resolvConf: nil, hosts: nil, hostname: nil, logPath: log))
        self.pid = pid
        self.log = log
        self.name = displayName
    }

    deinit { kill() }

    /// Reaps the child if it has ended.
    var isRunning: Bool {
        guard !exited else { return false }
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid || result < 0 { exited = true }
        return !exited
    }

    /// SIGKILL if still running, and reaped: for `defer`, where nothing can be awaited.
    func kill() {
        guard isRunning else { return }
        _ = Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        exited = true
    }

    /// SIGTERM, then SIGKILL after three seconds.
    func stop() async {
        guard isRunning else { return }
        _ = Glibc.kill(pid, SIGTERM)
        if await !waitForExit(timeout: .seconds(3)) { kill() }
    }

    func waitForExit(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while isRunning {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    func waitFor(file: String, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while !FileManager.default.fileExists(atPath: file) {
            guard isRunning, ContinuousClock.now < deadline else {
                throw ValidationError("\(name) did not start: \(logTail)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The number after `key=` on the first log line containing `marker`.
    func waitForLog(key: String, after marker: String, timeout: Duration) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while true {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n") where line.contains(marker) {
                if let range = line.range(of: " \(key)="), let value = Int(line[range.upperBound...].prefix { $0.isNumber }) {
                    return value
                }
            }
            guard isRunning, ContinuousClock.now < deadline else {
                throw ValidationError("no '\(marker)' in the log: \(logTail)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    var logTail: String { String(((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").suffix(2000)) }

    /// User plus system CPU time of a process and of its reaped children (dnsmasq forks one per TCP connection),
    /// in clock ticks.
    static func cpuTicks(_ pid: Int32) -> Int {
        let stat = ProcessMemory.readAll("/proc/\(pid)/stat")
        // Fields after the command name (which may hold spaces) start at state; utime and stime are 14 and 15.
        guard let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 14 else { return 0 }
        return fields[11...14].reduce(0) { $0 + (Int($1) ?? 0) }
    }
}

/// One UDP socket connected to a loopback DNS server, for probes and the create→resolve polling. Blocking: used
/// only on threads of its own (`offload`).
final class LoopbackDNSProbe {
    struct Reply {
        var rcode: Int
        var answers: Int
        /// The answer section's record data, sorted: what two servers with the same records must agree on.
        var data: [String]
    }

    private let fd: Int32
    private var nextID: UInt16 = 1

    init(port: Int) throws {
        // Close-on-exec, as every descriptor of this process, so children started meanwhile do not inherit it.
        fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ValidationError("socket failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw ValidationError("connect failed")
        }
    }

    deinit { close(fd) }

    /// One query; nil when no reply with its ID arrived within the timeout.
    func ask(_ name: String, type: DNSType, timeoutMicros: Int) -> Reply? {
        guard let qname = DNSName(name.hasSuffix(".") ? name : name + ".") else { return nil }
        nextID &+= 1
        let id = nextID
        let query = DNSMessage.query(id: id, name: qname, type: type, edns: EDNS(udpPayloadSize: 1232)).encode()
        guard send(fd, query, query.count, 0) == query.count else { return nil }
        let deadline = ContinuousClock.now + .microseconds(timeoutMicros)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return nil }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let micros = Int(left.components.attoseconds / 1_000_000_000_000) + Int(left.components.seconds) * 1_000_000
            guard poll(&pfd, 1, Int32(max(1, (micros + 999) / 1000))) > 0 else { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n >= 12 else { continue }
            guard let message = try? DNSMessage(decoding: Array(buffer[..<n])), message.header.id == id else { continue }
            let data = message.answers.map { "\($0.type) \($0.data)" }.sorted()
            return Reply(rcode: Int(message.header.rcode.rawValue), answers: message.answers.count, data: data)
        }
    }
}

@available(*, unavailable)
extension LoopbackDNSProbe: Sendable {}

extension DNSBench {
    /// A free loopback port (for UDP, and TCP too when asked): bound on port 0 and released.
    static func freePort(udp: Bool, tcp: Bool = false) throws -> Int {
        for _ in 0..<20 {
            var sockets: [Int32] = []
            defer { sockets.forEach { close($0) } }
            func bind(_ type: Int32, port: Int) -> Int? {
                let fd = socket(AF_INET, type | Int32(SOCK_CLOEXEC.rawValue), 0)
                guard fd >= 0 else { return nil }
                sockets.append(fd)
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = in_port_t(UInt16(port).bigEndian)
                address.sin_addr.s_addr = inet_addr("127.0.0.1")
                var length = socklen_t(MemoryLayout<sockaddr_in>.size)
                let ok = withUnsafeMutablePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        Glibc.bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
                    }
                }
                return ok ? Int(UInt16(bigEndian: address.sin_port)) : nil
            }
            guard let port = bind(Int32(udp ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue), port: 0) else { continue }
            if tcp && udp, bind(Int32(SOCK_STREAM.rawValue), port: port) == nil { continue }
            return port
        }
        throw ValidationError("no free port")
    }

    /// Blocking work on a thread of its own, off the cooperative pool.
    static func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }

    static func percentile(_ values: [Duration], _ p: Int) -> Duration {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .zero }
        return sorted[min(sorted.count - 1, sorted.count * p / 100)]
    }
}
