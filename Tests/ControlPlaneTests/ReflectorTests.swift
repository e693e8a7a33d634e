import Foundation
import KubeClient
import KubeModel
import Logging
import TestSupport
import Testing

/// The reflector the daemons build on, against the real API server: list, then watch; adds, updates and deletes as
/// (previous, current) pairs; with identity (or version) retention the cache holds only metadata (or the version) while
/// events still carry the full current object.
@Suite("Reflector")
struct ReflectorTests {
    struct Event: Sendable {
        var previous: JSONValue?
        var current: JSONValue?
    }

    @Test("retention: full current objects in events, the retained form in previous and in the cache",
          arguments: [Reflector.Retention.identity, .full, .version])
    func retention(_ retention: Reflector.Retention) async throws {
        try await withControlPlane { cp in
            let api = try cp.api
            let events = Locked<[Event]>([])
            let synced = Locked(false)
            let reflector = Reflector(
                client: api, path: "/api/v1/namespaces/default/services", retention: retention,
                logger: Logger(label: "test"),
                onChange: { p, c in events.withLock { $0.append(Event(previous: p, current: c)) } },
                onSynced: { synced.withLock { $0 = true } })
            let task = Task { await reflector.run() }
            defer { task.cancel() }
            func wait(_ what: String, _ condition: @Sendable () -> Bool) async throws {
                let deadline = Date().addingTimeInterval(10)
                while !condition() {
                    guard Date() < deadline else { throw TestFailure("timed out waiting for \(what)") }
                    try await Task.sleep(for: .milliseconds(10))
                }
            }
            try await wait("the first list") { synced.withLock { $0 } }
            let listed = events.withLock { $0.count }   // the `kubernetes` Service

            try cp.kubectl("create", "service", "clusterip", "r1", "--tcp=80:8080")
            try await wait("the add") { events.withLock { $0.count } == listed + 1 }
            try cp.kubectl("label", "service", "r1", "tier=web")
            try await wait("the update") { events.withLock { $0.count } == listed + 2 }
            try cp.kubectl("delete", "service", "r1")
            try await wait("the delete") { events.withLock { $0.count } == listed + 3 }

            let (add, update, delete) = events.withLock { ($0[listed], $0[listed + 1], $0[listed + 2]) }
            #expect(add.previous == nil)
            #expect(add.current?.value(at: ["spec", "ports"])?.arrayValue?.count == 1, "events carry the whole object")
            #expect(update.previous?.value(at: ["metadata", "name"])?.stringValue == "r1")
            #expect(update.current?.value(at: ["metadata", "labels", "tier"])?.stringValue == "web")
            #expect(delete.current == nil)
            #expect(delete.previous?.value(at: ["metadata", "namespace"])?.stringValue == "default")
            #expect(delete.previous?.value(at: ["metadata", "resourceVersion"])?.stringValue != nil)
            switch retention {
            case .version:
                #expect(delete.previous?.value(at: ["metadata", "labels"]) == nil, "the version keeps no labels")
                #expect(update.previous?["spec"] == nil)
                #expect(reflector.snapshot.allSatisfy {
                    $0["spec"] == nil && $0.value(at: ["metadata", "resourceVersion"]) != nil
                        && $0.value(at: ["metadata", "name"]) != nil
                })
                #expect(reflector.snapshot.contains { $0.value(at: ["metadata", "name"])?.stringValue == "kubernetes" })
            case .identity:
                #expect(delete.previous?.value(at: ["metadata", "labels", "tier"])?.stringValue == "web", "labels are part of the identity")
                #expect(update.previous?["spec"] == nil, "previous is only the identity")
                #expect(reflector.snapshot.allSatisfy { $0["spec"] == nil && $0.value(at: ["metadata", "resourceVersion"]) != nil })
            case .full:
                #expect(delete.previous?.value(at: ["metadata", "labels", "tier"])?.stringValue == "web")
                #expect(update.previous?["spec"] != nil)
                #expect(reflector.snapshot.allSatisfy { $0["spec"] != nil })
            }
        }
    }

    @Test("a collection larger than a page is listed in pages that add up to exactly the collection")
    func pagedList() async throws {
        try await withControlPlane { cp in
            let api = try cp.api
            let count = Reflector.pageSize + 37
            try await withThrowingTaskGroup(of: Void.self) { group in
                for w in 0..<8 {
                    group.addTask {
                        for i in stride(from: w, to: count, by: 8) {
                            let r = try await api.raw(.POST, "/api/v1/namespaces/default/services", body: JSONWriter.bytes([
                                "metadata": ["name": .string("p\(i)")],
                                "spec": ["ports": [["port": 80]]],
                            ]))
                            guard r.code == 201 else { throw TestFailure("create p\(i): HTTP \(r.code)") }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let names = Locked<[String]>([])
            let synced = Locked(false)
            let reflector = Reflector(
                client: api, path: "/api/v1/services", retention: .identity, logger: Logger(label: "test"),
                onChange: { _, c in names.withLock { $0.append(c?.value(at: ["metadata", "name"])?.stringValue ?? "") } },
                onSynced: { synced.withLock { $0 = true } })
            let task = Task { await reflector.run() }
            defer { task.cancel() }
            let deadline = Date().addingTimeInterval(20)
            while !synced.withLock({ $0 }) {
                guard Date() < deadline else { throw TestFailure("no sync") }
                try await Task.sleep(for: .milliseconds(20))
            }
            let seen = names.withLock { $0 }
            #expect(seen.count == count + 1, "every service once, plus kubernetes")
            #expect(Set(seen).count == seen.count)
            #expect(reflector.snapshot.count == count + 1)
        }
    }
}
