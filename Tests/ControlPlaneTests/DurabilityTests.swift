import Foundation
import KubeClient
import KubeModel
import Synchronization
import TestSupport
import Testing

@Suite("Durability: kill -9 during writes, restart")
struct DurabilityTests {
    @Test("every acknowledged write survives kill -9; resourceVersions stay monotonic; watchers resume")
    func killDuringBurst() async throws {
        try await withControlPlane { cp in try await Self.killDuringBurst(cp) }
    }

    struct Acked: Sendable {
        var name: String
        var rv: Int64
        var clusterIP: String
        var nodePort: Int64
    }

    static func killDuringBurst(_ cp: TestControlPlane) async throws {
        let api = try cp.api
        let list = try await api.json(.GET, "/api/v1/namespaces/default/services")
        let listRV = list.value(at: ["metadata", "resourceVersion"])?.stringValue ?? "0"

        // A watcher that remembers the last resourceVersion it saw.
        let lastSeen = Locked<Int64>(Int64(listRV) ?? 0)
        let watcher = Task {
            for try await e in api.watch("/api/v1/namespaces/default/services", query: "resourceVersion=\(listRV)") {
                if let rv = e.object.value(at: ["metadata", "resourceVersion"])?.stringValue.flatMap({ Int64($0) }) {
                    lastSeen.withLock { $0 = max($0, rv) }
                }
            }
        }

        // Eight writers create services as fast as they can; the process is killed once 300 are acknowledged.
        let acked = Locked<[Acked]>([])
        let writers = Task {
            await withTaskGroup(of: Void.self) { group in
                for w in 0..<8 {
                    group.addTask {
                        var i = 0
                        while !Task.isCancelled {
                            let name = "w\(w)-\(i)"
                            i += 1
                            let body: JSONValue = ["metadata": ["name": .string(name)],
                                                   "spec": ["type": "NodePort", "ports": [["port": 80]]]]
                            guard let r = try? await api.raw(.POST, "/api/v1/namespaces/default/services",
                                                             body: JSONWriter.bytes(body), timeout: .seconds(5)),
                                r.code == 201, let obj = r.json
                            else { return }
                            let a = Acked(
                                name: name,
                                rv: Int64(obj.value(at: ["metadata", "resourceVersion"])?.stringValue ?? "") ?? -1,
                                clusterIP: obj.value(at: ["spec", "clusterIP"])?.stringValue ?? "",
                                nodePort: obj.value(at: ["spec", "ports"])?.arrayValue?.first?["nodePort"]?.intValue ?? -1)
                            acked.withLock { $0.append(a) }
                        }
                    }
                }
            }
        }
        try await cp.eventually("300 acknowledged writes", timeout: 60) { acked.withLock { $0.count } >= 300 }
        cp.kill9()
        writers.cancel()
        _ = await writers.result
        watcher.cancel()
        _ = await watcher.result
        let before = acked.withLock { $0 }
        let watcherRV = lastSeen.withLock { $0 }
        let maxAckedRV = before.map(\.rv).max() ?? 0

        try await cp.start()
        let api2 = try cp.api
        let after = try await api2.json(.GET, "/api/v1/namespaces/default/services")
        var stored: [String: JSONValue] = [:]
        for item in after["items"]?.arrayValue ?? [] { stored[item.value(at: ["metadata", "name"])?.stringValue ?? ""] = item }
        for a in before {
            let obj = stored[a.name]
            #expect(obj != nil, "acknowledged \(a.name) (rv \(a.rv)) lost")
            #expect(obj?.value(at: ["spec", "clusterIP"])?.stringValue == a.clusterIP)
            #expect(obj?.value(at: ["metadata", "resourceVersion"])?.stringValue == String(a.rv))
        }
        let listRVAfter = Int64(after.value(at: ["metadata", "resourceVersion"])?.stringValue ?? "") ?? 0
        #expect(listRVAfter >= maxAckedRV)

        // A watcher resuming from its last resourceVersion gets what it missed (or a 410 to relist).
        var replayed: [String] = []
        var gotGone = false
        let resume = api2.watch("/api/v1/namespaces/default/services", query: "resourceVersion=\(watcherRV)&timeoutSeconds=2")
        for try await e in resume {
            if e.type == "ERROR" { gotGone = e.object["code"]?.intValue == 410 }
            if e.type == "ADDED" { replayed.append(e.object.value(at: ["metadata", "name"])?.stringValue ?? "") }
        }
        #expect(gotGone || !replayed.isEmpty || before.allSatisfy { $0.rv <= watcherRV })
        if !gotGone {
            let missed = before.filter { $0.rv > watcherRV }.map(\.name)
            #expect(Set(replayed).isSuperset(of: missed))
        }

        // New writes continue above every old resourceVersion, and allocations were not forgotten.
        var ips = Set(before.map(\.clusterIP))
        var ports = Set(before.map(\.nodePort))
        for i in 0..<50 {
            let obj = try await api2.json(.POST, "/api/v1/namespaces/default/services",
                                          ["metadata": ["name": .string("after-\(i)")],
                                           "spec": ["type": "NodePort", "ports": [["port": 80]]]])
            #expect(Int64(obj.value(at: ["metadata", "resourceVersion"])?.stringValue ?? "") ?? 0 > listRVAfter)
            let ip = obj.value(at: ["spec", "clusterIP"])?.stringValue ?? ""
            let port = obj.value(at: ["spec", "ports"])?.arrayValue?.first?["nodePort"]?.intValue ?? -1
            let newIP = ips.insert(ip).inserted
            let newPort = ports.insert(port).inserted
            #expect(newIP)
            #expect(newPort)
        }
    }
}
