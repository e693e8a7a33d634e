import ArgumentParser
import Foundation
import GRDB
import Histogram
import KubeClient
import KubeModel

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks (bounded in count and time, loopback only).",
        subcommands: [ControlPlaneBench.self, ClusterBench.self, ProxyBench.self, DNSBench.self])
}

/// Writes per second and watch fan-out latency of a control plane this command starts on loopback, each next to
/// a baseline measured in the same run: raw SQLite commits with the same durability, and a plain GET round trip.
struct ControlPlaneBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "control-plane", abstract: "API write throughput and watch fan-out latency.")

    @Option(help: "Service creates per phase.") var writes = 2000
    @Option(help: "Concurrent writers in the concurrent phase.") var concurrency = 16
    @Option(help: "Watchers for the fan-out phase.") var watchers = 50
    @Option(help: "Writes observed by the watchers.") var fanoutWrites = 500

    func run() async throws {
        let dir = NSTemporaryDirectory() + "junction-bench-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        let sqliteRate = try Self.sqliteCommitsPerSecond(path: dir + "/baseline.sqlite", count: writes)

        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = ["control-plane", "--data-dir", dir + "/data", "--listen", "127.0.0.1:0",
                       "--kubeconfig-out", dir + "/kubeconfig", "--log-level", "error", "--node-port-range", "30000-32767"]
        try p.run()
        defer {
            if p.isRunning { p.terminate() }
            p.waitUntilExit()
        }
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: dir + "/kubeconfig") {
            guard Date() < deadline, p.isRunning else { throw ValidationError("control plane did not start") }
            try await Task.sleep(for: .milliseconds(20))
        }
        let api = try KubeClient(config: KubeConfig.load(path: dir + "/kubeconfig"), maxConnections: watchers + concurrency + 8)
        defer { Task { try? await api.shutdown() } }

        // Baseline: one HTTP exchange that does no work.
        var getHist = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        for _ in 0..<500 {
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = try await api.raw(.GET, "/version")
            _ = getHist.record((DispatchTime.now().uptimeNanoseconds - t0) / 1000)
        }

        func body(_ name: String) -> [UInt8] {
            JSONWriter.bytes(["metadata": ["name": .string(name)], "spec": ["ports": [["port": 80]]]])
        }

        // Sequential writes: latency-bound.
        let seqStart = Date()
        for i in 0..<writes / 4 {
            let r = try await api.raw(.POST, "/api/v1/namespaces/default/services", body: body("seq-\(i)"))
            guard r.code == 201 else { throw ValidationError("create failed: \(r.code)") }
        }
        let seqRate = Double(writes / 4) / Date().timeIntervalSince(seqStart)

        // Concurrent writes: throughput-bound.
        let conStart = Date()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<concurrency {
                group.addTask {
                    for i in stride(from: w, to: writes, by: concurrency) {
                        let r = try await api.raw(.POST, "/api/v1/namespaces/default/services", body: body("con-\(i)"))
                        guard r.code == 201 else { throw ValidationError("create failed: \(r.code)") }
                    }
                }
            }
            try await group.waitForAll()
        }
        let conRate = Double(writes) / Date().timeIntervalSince(conStart)

        // Fan-out: each write's send time against the time each watcher sees its ADDED event.
        let sent = SendTimes()
        let rv = try await api.json(.GET, "/api/v1/namespaces/bench-fanout/services")
            .value(at: ["metadata", "resourceVersion"])?.stringValue ?? "0"
        _ = try? await api.json(.POST, "/api/v1/namespaces", ["metadata": ["name": "bench-fanout"]])
        let fanoutWrites = self.fanoutWrites
        let latencies = try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for _ in 0..<watchers {
                group.addTask {
                    var seen: [UInt64] = []
                    for try await e in api.watch("/api/v1/namespaces/bench-fanout/services", query: "resourceVersion=\(rv)&timeoutSeconds=60") {
                        let now = DispatchTime.now().uptimeNanoseconds
                        guard e.type == "ADDED", let name = e.object.value(at: ["metadata", "name"])?.stringValue,
                            let t0 = sent.time(name)
                        else { continue }
                        seen.append((now - t0) / 1000)
                        if seen.count == fanoutWrites { break }
                    }
                    return seen
                }
            }
            try await Task.sleep(for: .milliseconds(500))
            group.addTask {
                for i in 0..<fanoutWrites {
                    let name = "fan-\(i)"
                    sent.mark(name)
                    _ = try await api.raw(.POST, "/api/v1/namespaces/bench-fanout/services", body: body(name))
                    try await Task.sleep(for: .milliseconds(2))
                }
                return []
            }
            var all: [UInt64] = []
            for try await l in group { all += l }
            return all
        }
        var fanHist = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        for l in latencies { _ = fanHist.record(l) }

        func ms(_ us: UInt64) -> String { String(format: "%.2f ms", Double(us) / 1000) }
        print("""
            control-plane benchmark (\(ProcessInfo.processInfo.activeProcessorCount) cores)
              baseline SQLite commits (WAL, synchronous=FULL, 1 row/txn): \(Int(sqliteRate))/s
              sequential service creates:   \(Int(seqRate))/s   (\(String(format: "%.2f", seqRate / sqliteRate))x the SQLite commit rate)
              concurrent creates (\(concurrency) writers): \(Int(conRate))/s   (\(String(format: "%.2f", conRate / sqliteRate))x)
              baseline GET /version round trip: p50 \(ms(getHist.valueAtPercentile(50)))  p99 \(ms(getHist.valueAtPercentile(99)))
              watch fan-out to \(watchers) watchers, \(fanoutWrites) writes (\(latencies.count) deliveries):
                p50 \(ms(fanHist.valueAtPercentile(50)))  p99 \(ms(fanHist.valueAtPercentile(99)))  max \(ms(fanHist.max))
                (p50 \(String(format: "%.1f", Double(fanHist.valueAtPercentile(50)) / Double(max(1, getHist.valueAtPercentile(50)))))x a GET round trip)
            """)
    }

    static func sqliteCommitsPerSecond(path: String, count: Int) throws -> Double {
        var config = Configuration()
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        let db = try DatabaseQueue(path: path, configuration: config)
        _ = try db.writeWithoutTransaction { db in try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") }
        try db.write { db in try db.execute(sql: "CREATE TABLE t (k TEXT PRIMARY KEY, v BLOB)") }
        let payload = Data(repeating: 0x61, count: 700)
        let start = Date()
        for i in 0..<count {
            try db.write { db in try db.execute(sql: "INSERT INTO t VALUES (?, ?)", arguments: ["k\(i)", payload]) }
        }
        return Double(count) / Date().timeIntervalSince(start)
    }
}

final class SendTimes: @unchecked Sendable {
    private let lock = NSLock()
    private var times: [String: UInt64] = [:]
    func mark(_ name: String) { lock.withLock { times[name] = DispatchTime.now().uptimeNanoseconds } }
    func time(_ name: String) -> UInt64? { lock.withLock { times[name] } }
}
