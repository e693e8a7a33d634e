import Foundation
import KubeClient
import KubeModel
import Synchronization
import TestSupport
import Testing

// Watch and list semantics over HTTP, on Leases (a resource no controller touches).

private let leasesPath = "/apis/coordination.k8s.io/v1/namespaces/default/leases"

/// Consumes a watch stream in the background and keeps every event, so a test can wait for the n-th one.
private final class WatchLog: Sendable {
    struct Event: Sendable {
        var type: String
        var object: JSONValue
        var name: String { object.value(at: ["metadata", "name"])?.stringValue ?? "" }
        var rv: Int64 { Int64(object.value(at: ["metadata", "resourceVersion"])?.stringValue ?? "") ?? -1 }
    }
    private struct State {
        var events: [Event] = []
        var finished = false
        var error: String?
    }
    /// Shared with the consuming task (a Mutex cannot be captured by itself).
    private final class Box: Sendable {
        let state = Mutex(State())
    }
    private let box = Box()
    private let task: Task<Void, Never>

    init(_ stream: AsyncThrowingStream<(type: String, object: JSONValue), any Error>) {
        task = Task { [box] in
            do {
                for try await e in stream {
                    box.state.withLock { $0.events.append(Event(type: e.type, object: e.object)) }
                }
                box.state.withLock { $0.finished = true }
            } catch {
                box.state.withLock {
                    $0.finished = true
                    $0.error = "\(error)"
                }
            }
        }
    }

    deinit { task.cancel() }

    var events: [Event] { box.state.withLock { $0.events } }
    var finished: Bool { box.state.withLock { $0.finished } }
    var error: String? { box.state.withLock { $0.error } }

    /// The first `count` events, once there are that many.
    func wait(for count: Int, timeout: Double = 10) async throws -> [Event] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let (events, finished, error) = box.state.withLock { ($0.events, $0.finished, $0.error) }
            if events.count >= count { return Array(events.prefix(count)) }
            if finished {
                throw TestFailure("watch ended after \(events.count) of \(count) events \(error ?? ""): \(Self.describe(events))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("timed out after \(events.count) of \(count) events: \(Self.describe(events))")
    }

    /// Whether the stream ends within `timeout`.
    func waitFinished(timeout: Double) async throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if finished { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return finished
    }

    func cancel() { task.cancel() }

    static func describe(_ events: [Event]) -> String {
        events.map { "\($0.type) \($0.name)@\($0.rv)" }.joined(separator: ", ")
    }
}

private func lease(_ name: String, labels: [String: String] = [:]) -> JSONValue {
    var l: [String: JSONValue] = [:]
    for (k, v) in labels { l[k] = .string(v) }
    return ["apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": ["name": .string(name), "labels": .object(l)],
            "spec": ["holderIdentity": .string(name), "leaseDurationSeconds": 40]]
}

private func createLease(_ cp: TestControlPlane, _ name: String, labels: [String: String] = [:]) async throws {
    try await cp.api.json(.POST, leasesPath, lease(name, labels: labels))
}

private func patchLease(_ cp: TestControlPlane, _ name: String, _ patch: JSONValue) async throws {
    try await cp.api.json(.PATCH, leasesPath + "/" + name, patch, contentType: "application/merge-patch+json")
}

private func setHolder(_ cp: TestControlPlane, _ name: String, _ holder: String) async throws {
    try await patchLease(cp, name, ["spec": ["holderIdentity": .string(holder)]])
}

private func listRV(_ cp: TestControlPlane, _ path: String = leasesPath) async throws -> String {
    try #require(try await cp.api.json(.GET, path).value(at: ["metadata", "resourceVersion"])?.stringValue)
}

private func eventNames(_ events: [WatchLog.Event]) -> [String] { events.map { "\($0.type) \($0.name)" } }

private func expectIncreasing(_ events: [WatchLog.Event], after start: Int64 = 0,
                              sourceLocation: SourceLocation = #_sourceLocation) {
    var last = start
    for e in events {
        #expect(e.rv > last, "resourceVersions not increasing: \(WatchLog.describe(events))", sourceLocation: sourceLocation)
        last = e.rv
    }
}

@Suite("Watch and list semantics", .serialized)
struct WatchTests {
    @Test("resourceVersion 0 or absent: synthetic ADDED for existing objects first, then changes")
    func initialEvents() async throws {
        try await withControlPlane { cp in
            for n in ["a", "b", "c"] { try await createLease(cp, n) }
            let zero = WatchLog(try cp.api.watch(leasesPath, query: "resourceVersion=0"))
            let absent = WatchLog(try cp.api.watch(leasesPath))
            defer {
                zero.cancel()
                absent.cancel()
            }
            for log in [zero, absent] {
                let initial = try await log.wait(for: 3)
                #expect(eventNames(initial) == ["ADDED a", "ADDED b", "ADDED c"])
                #expect(initial.allSatisfy { $0.object["kind"]?.stringValue == "Lease" })
                #expect(initial.allSatisfy { $0.object["apiVersion"]?.stringValue == "coordination.k8s.io/v1" })
            }
            try await createLease(cp, "d")
            try await setHolder(cp, "a", "someone")
            try await cp.api.json(.DELETE, leasesPath + "/b")
            for log in [zero, absent] {
                let all = try await log.wait(for: 6)
                #expect(eventNames(Array(all.suffix(3))) == ["ADDED d", "MODIFIED a", "DELETED b"])
                expectIncreasing(Array(all.suffix(3)))
                #expect(all[4].object.value(at: ["spec", "holderIdentity"])?.stringValue == "someone")
            }
            // Other resources and namespaces do not show up.
            try await cp.api.json(.POST, "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases", lease("elsewhere"))
            try await createLease(cp, "e")
            let more = try await zero.wait(for: 7)
            #expect(more.last?.name == "e")
            #expect(zero.events.count == 7)
        }
    }

    @Test("watch from a list's resourceVersion: only later changes, in order, increasing resourceVersions")
    func fromListResourceVersion() async throws {
        try await withControlPlane { cp in
            try await createLease(cp, "a")
            try await createLease(cp, "b")
            let rv = try await listRV(cp)
            try await createLease(cp, "c")
            try await setHolder(cp, "a", "x")
            try await cp.api.json(.DELETE, leasesPath + "/b")
            try await cp.addReadyNode("node-1")  // another resource: not in this watch
            try await setHolder(cp, "c", "y")

            let log = WatchLog(try cp.api.watch(leasesPath, query: "resourceVersion=\(rv)"))
            defer { log.cancel() }
            let replayed = try await log.wait(for: 4)
            #expect(eventNames(replayed) == ["ADDED c", "MODIFIED a", "DELETED b", "MODIFIED c"])
            expectIncreasing(replayed, after: Int64(rv) ?? 0)
            #expect(replayed[1].object.value(at: ["spec", "holderIdentity"])?.stringValue == "x")

            // Live events continue the same sequence.
            try await createLease(cp, "d")
            try await cp.api.json(.DELETE, leasesPath + "/a")
            let all = try await log.wait(for: 6)
            #expect(eventNames(Array(all.suffix(2))) == ["ADDED d", "DELETED a"])
            expectIncreasing(all, after: Int64(rv) ?? 0)
            try await Task.sleep(for: .milliseconds(200))
            #expect(log.events.count == 6)

            // A watch from the latest resourceVersion sees nothing old.
            let latest = try await listRV(cp)
            let quiet = WatchLog(try cp.api.watch(leasesPath, query: "resourceVersion=\(latest)"))
            defer { quiet.cancel() }
            try await setHolder(cp, "d", "z")
            let one = try await quiet.wait(for: 1)
            #expect(eventNames(one) == ["MODIFIED d"])
            #expect(one[0].rv > Int64(latest) ?? 0)
        }
    }

    @Test("labelSelector: a change moving an object into the selection is ADDED, out of it DELETED")
    func labelSelectorTransitions() async throws {
        try await withControlPlane { cp in
            try await createLease(cp, "in", labels: ["tier": "front"])
            try await createLease(cp, "out", labels: ["tier": "back"])
            let log = WatchLog(try cp.api.watch(leasesPath, query: "labelSelector=tier%3Dfront"))
            defer { log.cancel() }
            #expect(eventNames(try await log.wait(for: 1)) == ["ADDED in"])

            try await setHolder(cp, "out", "ignored")  // not selected before or after: nothing
            try await patchLease(cp, "out", ["metadata": ["labels": ["tier": "front"]]])
            try await setHolder(cp, "out", "seen")
            try await patchLease(cp, "in", ["metadata": ["labels": ["tier": "back"]]])
            try await cp.api.json(.DELETE, leasesPath + "/in")  // no longer selected: nothing
            try await cp.api.json(.DELETE, leasesPath + "/out")
            let events = try await log.wait(for: 5)
            #expect(eventNames(events) == ["ADDED in", "ADDED out", "MODIFIED out", "DELETED in", "DELETED out"])
            expectIncreasing(Array(events.dropFirst()))
            #expect(events[1].object.value(at: ["metadata", "labels", "tier"])?.stringValue == "front")
            #expect(events[2].object.value(at: ["spec", "holderIdentity"])?.stringValue == "seen")
            try await Task.sleep(for: .milliseconds(200))
            #expect(log.events.count == 5)

            // kube-apiserver (cacheWatcher.convertToWatchEvent) sends an object leaving the selection as DELETED with
            // its previous content (still matching the selector), stamped with the event's resourceVersion.
            let leaving = events[3]
            #expect(leaving.object.value(at: ["metadata", "labels", "tier"])?.stringValue == "front",
                    "DELETED for an object leaving the selection should carry the previous object (as kube does)")
            #expect(leaving.rv > events[2].rv)
        }
    }

    @Test("labelSelector with set-based requirements and fieldSelector metadata.name")
    func fieldSelectorByName() async throws {
        try await withControlPlane { cp in
            // Both watches start from a list's resourceVersion, so when the server registers them does not matter.
            let rv = try await listRV(cp)
            let log = WatchLog(try cp.api.watch(leasesPath, query: "resourceVersion=\(rv)&fieldSelector=metadata.name%3Dwanted"))
            let sets = WatchLog(try cp.api.watch(leasesPath,
                                                 query: "resourceVersion=\(rv)&labelSelector=env+in+%28prod%2Cstage%29%2C%21legacy"))
            defer {
                log.cancel()
                sets.cancel()
            }
            try await createLease(cp, "other")
            try await createLease(cp, "wanted", labels: ["env": "stage"])
            try await createLease(cp, "legacy", labels: ["env": "prod", "legacy": "yes"])
            try await setHolder(cp, "other", "x")
            try await setHolder(cp, "wanted", "y")
            try await cp.api.json(.DELETE, leasesPath + "/other")
            try await cp.api.json(.DELETE, leasesPath + "/wanted")
            let events = try await log.wait(for: 3)
            #expect(eventNames(events) == ["ADDED wanted", "MODIFIED wanted", "DELETED wanted"])
            expectIncreasing(events)
            let selected = try await sets.wait(for: 3)
            #expect(eventNames(selected) == ["ADDED wanted", "MODIFIED wanted", "DELETED wanted"])
            try await Task.sleep(for: .milliseconds(200))
            #expect(log.events.count == 3)
            #expect(sets.events.count == 3)

            // An unknown field label is refused up front.
            let bad = try await cp.api.raw(.GET, leasesPath + "?watch=true&fieldSelector=spec.holderIdentity%3Dx")
            #expect(bad.code == 400)
            #expect(bad.json?["kind"]?.stringValue == "Status")
        }
    }

    @Test("timeoutSeconds=1 ends the stream; allowWatchBookmarks=true is accepted")
    func timeoutAndBookmarks() async throws {
        try await withControlPlane { cp in
            try await createLease(cp, "a")
            // Raw HTTP: the whole response arrives once the server ends it after about a second.
            let started = Date()
            let raw = try await cp.api.raw(.GET, leasesPath + "?watch=true&timeoutSeconds=1", timeout: .seconds(10))
            let elapsed = Date().timeIntervalSince(started)
            #expect(raw.code == 200)
            #expect(elapsed >= 0.9 && elapsed < 5, "stream lasted \(elapsed) s")
            let lines = String(decoding: raw.body, as: UTF8.self).split(separator: "\n")
            #expect(lines.count == 1)
            let first = try JSONParser.parse(String(lines.first ?? ""))
            #expect(first["type"]?.stringValue == "ADDED")
            #expect(first.value(at: ["object", "metadata", "name"])?.stringValue == "a")

            // Through the client: the stream finishes by itself.
            let rv = try await listRV(cp)
            let log = WatchLog(try cp.api.watch(leasesPath, query: "resourceVersion=\(rv)&timeoutSeconds=1&allowWatchBookmarks=true"))
            defer { log.cancel() }
            try await Task.sleep(for: .milliseconds(200))
            try await setHolder(cp, "a", "b")
            #expect(try await log.waitFinished(timeout: 5), "watch with timeoutSeconds=1 did not end")
            #expect(log.error == nil)
            #expect(eventNames(log.events.filter { $0.type != "BOOKMARK" }) == ["MODIFIED a"])
            // Any bookmark carries only a resourceVersion.
            for b in log.events where b.type == "BOOKMARK" {
                #expect(b.object["kind"]?.stringValue == "Lease")
                #expect(b.rv > 0)
            }
            _ = try await cp.api.json(.GET, leasesPath + "/a")
        }
    }

    @Test("invalid resourceVersion for a watch is a 400 Status")
    func badResourceVersion() async throws {
        try await withControlPlane { cp in
            let r = try await cp.api.raw(.GET, leasesPath + "?watch=true&resourceVersion=abc")
            #expect(r.code == 400)
            #expect(r.json?["kind"]?.stringValue == "Status")
            #expect(r.json?["reason"]?.stringValue == "BadRequest")
            _ = try await cp.api.json(.GET, leasesPath)
        }
    }

    /// This control plane keeps a window of 100 events (trimmed once it holds 125), so a watch from
    /// resourceVersion 1 becomes too old after some 130 writes.
    @Test("watch from a resourceVersion older than the window: one ERROR event with a 410 Expired Status")
    func tooOldResourceVersion() async throws {
        try await withControlPlane(["--watch-window", "100"]) { cp in
            let api = try cp.api
            let names = (0..<16).map { "churn-\($0)" }
            for n in names { try await createLease(cp, n) }
            let start = Date()
            try await writeUntilWindowMoves(cp, api: api, names: names)
            let spent = Date().timeIntervalSince(start)
            let r = try await cp.api.raw(.GET, leasesPath + "?watch=true&resourceVersion=1", timeout: .seconds(10))
            #expect(r.code == 200)
            let lines = String(decoding: r.body, as: UTF8.self).split(separator: "\n")
            #expect(lines.count == 1, "expected a single ERROR event (wrote for \(spent) s)")
            let event = try JSONParser.parse(String(lines.first ?? ""))
            #expect(event["type"]?.stringValue == "ERROR")
            let status = try #require(event["object"])
            #expect(status["kind"]?.stringValue == "Status")
            #expect(status["apiVersion"]?.stringValue == "v1")
            #expect(status["status"]?.stringValue == "Failure")
            #expect(status["code"]?.intValue == 410)
            #expect(status["reason"]?.stringValue == "Expired")
            #expect(status["message"]?.stringValue?.hasPrefix("too old resource version: 1") == true)

            // The same through the client: an ERROR event, then the end of the stream.
            let log = WatchLog(try cp.api.watch(leasesPath, query: "resourceVersion=1"))
            defer { log.cancel() }
            let events = try await log.wait(for: 1)
            #expect(events[0].type == "ERROR")
            #expect(events[0].object["code"]?.intValue == 410)
            #expect(try await log.waitFinished(timeout: 5))

            // A recent resourceVersion still works.
            let rv = try await listRV(cp)
            let fresh = WatchLog(try cp.api.watch(leasesPath, query: "resourceVersion=\(rv)"))
            defer { fresh.cancel() }
            try await setHolder(cp, "churn-0", "last")
            #expect(eventNames(try await fresh.wait(for: 1)) == ["MODIFIED churn-0"])
        }
    }

    /// Patches leases (16 at a time) until a watch from resourceVersion 1 is refused.
    private func writeUntilWindowMoves(_ cp: TestControlPlane, api: KubeClient, names: [String]) async throws {
        var round = 0
        while round < 40 {
            round += 1
            let r = round
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (i, n) in names.enumerated() {
                    group.addTask {
                        for k in 0..<2 {
                            try await api.json(.PATCH, leasesPath + "/" + n, ["spec": ["holderIdentity": .string("h-\(r)-\(i)-\(k)")]],
                                               contentType: "application/merge-patch+json")
                        }
                    }
                }
                try await group.waitForAll()
            }
            let rv = Int(try await listRV(cp)) ?? 0
            if rv > 130 {
                let probe = try await cp.api.raw(.GET, leasesPath + "?watch=true&resourceVersion=1&timeoutSeconds=1")
                if String(decoding: probe.body, as: UTF8.self).contains("\"ERROR\"") { return }
            }
        }
        throw TestFailure("the watch window never moved past resourceVersion 1")
    }

    @Test("limit/continue: every object exactly once, in order, with remainingItemCount")
    func pagination() async throws {
        try await withControlPlane { cp in
            let api = try cp.api
            let names = (0..<23).map { String(format: "item-%02d", $0) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in names { group.addTask { try await api.json(.POST, leasesPath, lease(n)) } }
                try await group.waitForAll()
            }
            var seen: [String] = []
            var token: String?
            var pages = 0
            var rvs = Set<String>()
            repeat {
                var path = leasesPath + "?limit=5"
                if let token { path += "&continue=" + (token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? token) }
                let page = try await cp.api.json(.GET, path)
                let items = page["items"]?.arrayValue ?? []
                pages += 1
                #expect(items.count <= 5)
                seen += items.compactMap { $0.value(at: ["metadata", "name"])?.stringValue }
                token = page.value(at: ["metadata", "continue"])?.stringValue
                if let rv = page.value(at: ["metadata", "resourceVersion"])?.stringValue { rvs.insert(rv) }
                if pages == 1 { #expect(page.value(at: ["metadata", "remainingItemCount"])?.intValue == 18) }
                if token == nil { #expect(page.value(at: ["metadata", "remainingItemCount"]) == nil) }
            } while token != nil && pages < 20
            #expect(pages == 5)
            #expect(seen == names)
            #expect(Set(seen).count == seen.count)
            #expect(rvs.count == 1, "every page is served at the first page's resourceVersion")

            // limit larger than the collection: one page, no continue.
            let all = try await cp.api.json(.GET, leasesPath + "?limit=100")
            #expect(all["items"]?.arrayValue?.count == 23)
            #expect(all.value(at: ["metadata", "continue"]) == nil)

            // A bad continue token is a 400 Status.
            let bad = try await cp.api.raw(.GET, leasesPath + "?limit=5&continue=not-a-token")
            #expect(bad.code == 400)
            #expect(bad.json?["kind"]?.stringValue == "Status")

            // Pagination combines with a label selector.
            let labelled = (0..<7).map { "sel-\($0)" }
            for n in labelled { try await createLease(cp, n, labels: ["page": "yes"]) }
            var selected: [String] = []
            token = nil
            repeat {
                var path = leasesPath + "?limit=3&labelSelector=page%3Dyes"
                if let token { path += "&continue=" + (token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? token) }
                let page = try await cp.api.json(.GET, path)
                selected += (page["items"]?.arrayValue ?? []).compactMap { $0.value(at: ["metadata", "name"])?.stringValue }
                token = page.value(at: ["metadata", "continue"])?.stringValue
            } while token != nil && selected.count < 50
            #expect(selected == labelled)
        }
    }

    /// kube serves every page of a paginated list from the snapshot at the first page's resourceVersion: objects
    /// created after the first page do not appear, objects deleted after it still do.
    @Test("limit/continue pages are a consistent snapshot at the first page's resourceVersion")
    func paginationSnapshot() async throws {
        try await withControlPlane { cp in
            for i in 0..<10 { try await createLease(cp, "snap-\(i)") }
            let first = try await cp.api.json(.GET, leasesPath + "?limit=4")
            var seen = (first["items"]?.arrayValue ?? []).compactMap { $0.value(at: ["metadata", "name"])?.stringValue }
            #expect(seen == ["snap-0", "snap-1", "snap-2", "snap-3"])
            try await createLease(cp, "snap-99")
            try await cp.api.json(.DELETE, leasesPath + "/snap-7")
            var token = first.value(at: ["metadata", "continue"])?.stringValue
            var guardCount = 0
            while let t = token, guardCount < 10 {
                guardCount += 1
                let page = try await cp.api.json(
                    .GET, leasesPath + "?limit=4&continue=" + (t.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? t))
                seen += (page["items"]?.arrayValue ?? []).compactMap { $0.value(at: ["metadata", "name"])?.stringValue }
                token = page.value(at: ["metadata", "continue"])?.stringValue
            }
            #expect(seen == (0..<10).map { "snap-\($0)" }, "pages after the first should come from the same snapshot")
        }
    }
}
