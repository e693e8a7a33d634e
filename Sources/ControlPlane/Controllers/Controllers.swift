import Foundation
import KubeModel
import Logging
import ServiceLifecycle
import Synchronization

enum Controllers {
    static func all(registry: Registry, logger: Logger) -> [any ServiceLifecycle.Service] {
        [
            ControllerLoop(EndpointSliceController(registry: registry), registry: registry, logger: logger),
            ControllerLoop(ReplicaSetController(registry: registry), registry: registry, logger: logger),
            ControllerLoop(DeploymentController(registry: registry), registry: registry, logger: logger),
            ControllerLoop(Scheduler(registry: registry), registry: registry, logger: logger),
        ]
    }
}

/// A level-triggered controller: events only say which keys to look at; `reconcile` reads the current state and
/// makes the world match it, so a missed or repeated event costs nothing.
protocol Reconciler: Sendable {
    var name: String { get }
    /// Storage keys of the resources whose changes matter.
    var watched: [String] { get }
    /// The keys (usually "namespace/name" of the primary object) that an event makes dirty.
    func keys(for event: StoreEvent) -> [String]
    func reconcile(_ key: String) async throws
}

/// Runs one reconciler: in-process watches of its resources feed a de-duplicating queue drained by one worker;
/// a failed key is retried with back-off, and everything is resynced periodically.
final class ControllerLoop: ServiceLifecycle.Service, Sendable {
    let reconciler: any Reconciler
    let registry: Registry
    let logger: Logger
    let queue = WorkQueue()
    let resyncInterval: Duration

    init(_ reconciler: any Reconciler, registry: Registry, logger: Logger, resyncInterval: Duration = .seconds(30)) {
        self.reconciler = reconciler
        self.registry = registry
        self.resyncInterval = resyncInterval
        var logger = logger
        logger[metadataKey: "controller"] = "\(reconciler.name)"
        self.logger = logger
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskCancellationHandler {
                await self.runLoops()
            } onCancel: {
                self.queue.close()
            }
        }
    }

    private func runLoops() async {
            await withDiscardingTaskGroup { group in
                for resource in reconciler.watched {
                    group.addTask { await self.watch(resource) }
                }
                group.addTask { await self.work() }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: self.resyncInterval)
                        self.resyncAll()
                    }
                }
            }
    }

    private func watch(_ resource: String) async {
        while !Task.isCancelled && !queue.isClosed {
            guard let (events, _) = try? registry.store.watch(resource: resource, namespace: nil, from: nil) else { return }
            for await e in events {
                if queue.isClosed { return }
                for k in reconciler.keys(for: e) { queue.add(k) }
            }
        }
    }

    private func resyncAll() {
        for resource in reconciler.watched {
            for (k, obj) in registry.store.list(resource: resource, namespace: nil).items {
                for key in reconciler.keys(for: StoreEvent(type: .modified, resourceVersion: 0, key: k, object: obj, previous: nil)) {
                    queue.add(key)
                }
            }
        }
    }

    private func work() async {
        var failures: [String: Int] = [:]
        while let key = await queue.next() {
            do {
                try await reconciler.reconcile(key)
                failures[key] = nil
            } catch {
                let n = (failures[key] ?? 0) + 1
                failures[key] = n
                let delay = min(0.005 * pow(2.0, Double(n)), 10)
                logger.debug("reconcile failed, retrying", metadata: ["key": "\(key)", "error": "\(error)", "delay": "\(delay)"])
                let q = queue
                Task {
                    try? await Task.sleep(for: .seconds(delay))
                    q.add(key)
                }
            }
            queue.done(key)
        }
    }
}

/// Keys waiting to be reconciled, each at most once; a key added while it is being reconciled runs again after.
final class WorkQueue: Sendable {
    private struct State {
        var pending: [String] = []
        var queued: Set<String> = []
        var active: Set<String> = []
        var dirtyWhileActive: Set<String> = []
        var waiter: CheckedContinuation<String?, Never>?
        var closed = false
    }
    private let state = Mutex(State())

    var isClosed: Bool { state.withLock { $0.closed } }

    func add(_ key: String) {
        let resume: (CheckedContinuation<String?, Never>, String)? = state.withLock { s in
            if s.closed { return nil }
            if s.active.contains(key) {
                s.dirtyWhileActive.insert(key)
                return nil
            }
            guard s.queued.insert(key).inserted else { return nil }
            if let w = s.waiter {
                s.waiter = nil
                s.queued.remove(key)
                s.active.insert(key)
                return (w, key)
            }
            s.pending.append(key)
            return nil
        }
        if let (w, k) = resume { w.resume(returning: k) }
    }

    func next() async -> String? {
        await withCheckedContinuation { (c: CheckedContinuation<String?, Never>) in
            let immediate: String?? = state.withLock { s in
                if s.closed { return .some(nil) }
                if !s.pending.isEmpty {
                    let k = s.pending.removeFirst()
                    s.queued.remove(k)
                    s.active.insert(k)
                    return .some(k)
                }
                s.waiter = c
                return .none
            }
            if let immediate { c.resume(returning: immediate) }
        }
    }

    func done(_ key: String) {
        let again = state.withLock { s in
            s.active.remove(key)
            return s.dirtyWhileActive.remove(key) != nil
        }
        if again { add(key) }
    }

    func close() {
        let w = state.withLock { s in
            s.closed = true
            defer { s.waiter = nil }
            return s.waiter
        }
        w?.resume(returning: nil)
    }
}

extension Registry {
    /// Objects of a resource in a namespace, from memory.
    func objects(_ r: APIResource, namespace: String?) -> [JSONValue] { list(r, namespace: namespace).items }

    func isControlled(_ obj: JSONValue, by uid: String) -> Bool {
        (obj.value(at: ["metadata", "ownerReferences"])?.arrayValue ?? []).contains {
            $0["uid"]?.stringValue == uid && $0["controller"]?.boolValue == true
        }
    }

    func controllerRef(_ obj: JSONValue) -> JSONValue? {
        (obj.value(at: ["metadata", "ownerReferences"])?.arrayValue ?? []).first { $0["controller"]?.boolValue == true }
    }
}

func splitKey(_ key: String) -> (namespace: String, name: String) {
    let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
    return parts.count == 2 ? (parts[0], parts[1]) : ("", key)
}

func meta(_ obj: JSONValue, _ field: String) -> String {
    obj.value(at: ["metadata", field])?.stringValue ?? ""
}
