import Foundation
import Glibc
import KubeModel
import ProxyCore
import Testing

/// How much heap the proxy core keeps for a large cluster: Services and EndpointSlices as the API sends them go
/// through the trackers, then into a snapshot, and the private resident memory is read after each step, once
/// the freed heap is trimmed (the JSON is gone by then). Only runs with `JUNCTION_MEMORY_PROBE` set (e.g. `=10000x25`), alone: other tests would allocate
/// meanwhile.
@Suite("Proxy core memory probe")
struct MemoryProbeTests {
    static let size: (services: Int, endpoints: Int)? = {
        guard let text = ProcessInfo.processInfo.environment["JUNCTION_MEMORY_PROBE"] else { return nil }
        let parts = text.split(separator: "x").compactMap { Int($0) }
        return parts.count == 2 ? (parts[0], parts[1]) : (10000, 25)
    }()

    /// `RssAnon` in bytes after `malloc_trim(0)` (looked up at run time: Swift's Glibc module lacks `malloc.h`).
    static func heapInUse() -> Int {
        if let symbol = dlsym(nil, "malloc_trim") {
            _ = unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)(0)
        }
        return kiB("RssAnon") * 1024
    }

    static func kiB(_ field: String) -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix(field + ":") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    @Test("Trackers and snapshot at N services x M endpoints", .enabled(if: size != nil))
    func probe() {
        guard let (services, endpoints) = Self.size else { return }
        let start = Self.heapInUse()
        var state = ProxyState(nodeName: "node-a", families: [])
        for i in 0..<services {
            let cluster = IPAddress(v4: 0x0A60_0000 + UInt32(i))
            state.services.update(previous: nil, current: service(
                "svc-\(i)", namespace: "bench", clusterIPs: [cluster.description],
                ports: [["name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"]]))
            let base = 0x0A80_0000 + UInt32(i * endpoints)
            state.endpointSlices.update(previous: nil, current: slice(
                "svc-\(i)", service: "svc-\(i)", namespace: "bench",
                endpoints: (0..<endpoints).map { endpoint(IPAddress(v4: base + UInt32($0)).description, node: "other-node") }))
        }
        let pending = Self.heapInUse()
        _ = state.applyPendingChanges()
        let trackers = Self.heapInUse()
        var snapshot: ProxySnapshot? = ProxySnapshot(
            nodeName: "node-a", family: .ipv4, services: state.services.services, endpoints: state.endpointSlices.endpoints)
        let withSnapshot = Self.heapInUse()
        let mb = { (bytes: Int) in String(format: "%.1f MB", Double(bytes) / 1_000_000) }
        print("memory probe, \(services) services x \(endpoints) endpoints:"
            + " pending changes \(mb(pending - start)), trackers applied \(mb(trackers - start)),"
            + " snapshot \(mb(withSnapshot - trackers)), total \(mb(withSnapshot - start)); VmRSS \(Self.kiB("VmRSS")) kB")
        #expect(snapshot?.servicePorts.count == services)
        snapshot = nil
        _ = snapshot
    }
}
