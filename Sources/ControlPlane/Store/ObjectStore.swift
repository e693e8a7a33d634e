import Dispatch
import Foundation
import GRDB
import KubeModel
import Synchronization

/// Where an object lives: its resource's storage key ("services", "apps/deployments"), namespace ("" when
/// cluster-scoped) and name.
public struct ObjectKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var resource: String
    public var namespace: String
    public var name: String

    public init(resource: String, namespace: String, name: String) {
        self.resource = resource
        self.namespace = namespace
        self.name = name
    }

    public static func < (a: ObjectKey, b: ObjectKey) -> Bool {
        (a.resource, a.namespace, a.name) < (b.resource, b.namespace, b.name)
    }

    public var description: String { namespace.isEmpty ? "\(resource)/\(name)" : "\(resource)/\(namespace)/\(name)" }
}

public enum WatchEventType: String, Sendable {
    case added = "ADDED"
    case modified = "MODIFIED"
    case deleted = "DELETED"
}

/// One committed change, as watchers see it. `previous` lets filtered watches turn a change that moves an object
/// out of (or into) their selection into a DELETED (or ADDED) event, as kube-apiserver does.
public struct StoreEvent: Sendable {
    public var type: WatchEventType
    public var resourceVersion: Int64
    public var key: ObjectKey
    public var object: JSONValue
    public var previous: JSONValue?
    /// The object's JSON, encoded once however many watchers send it.
    public let objectBytes: EncodedOnce

    public init(type: WatchEventType, resourceVersion: Int64, key: ObjectKey, object: JSONValue, previous: JSONValue?) {
        self.type = type
        self.resourceVersion = resourceVersion
        self.key = key
        self.object = object
        self.previous = previous
        self.objectBytes = EncodedOnce(object)
    }
}

/// A JSON value's bytes, computed on first use and shared.
public final class EncodedOnce: Sendable {
    private let value: JSONValue
    private let cache = Mutex<[UInt8]?>(nil)
    init(_ value: JSONValue) { self.value = value }
    public var bytes: [UInt8] {
        if let b = cache.withLock({ $0 }) { return b }
        let b = JSONWriter.bytes(value)
        cache.withLock { $0 = b }
        return b
    }
}

/// What a write decided to do with the object it was shown.
public enum StoreMutation: Sendable {
    case create(JSONValue)
    case update(JSONValue)
    case delete
    /// Nothing to write (for example a patch that changed nothing); the current object is returned as is.
    case unchanged
}

public enum StoreError: Error, Sendable {
    /// The requested resourceVersion is older than the retained event window (HTTP 410 Gone).
    case gone(requested: Int64, oldest: Int64)
    case database(String)
}

/// The durable object store: every object in memory for reads, and a SQLite file that each write is committed to
/// before it is acknowledged or published.
///
/// Writes run one at a time on a dedicated queue (never on the Swift concurrency pool, because a commit waits for
/// fsync). A write reads the current object, lets the caller decide the new one, assigns the next resourceVersion,
/// commits the object, the event and the counter in one SQLite transaction, and only then updates memory, runs the
/// commit observers (allocators) and fans the event out to watchers. A crash at any point leaves either the whole
/// write or none of it.
public final class ObjectStore: Sendable {
    struct State {
        var objects: [String: [ObjectKey: JSONValue]] = [:]
        var resourceVersion: Int64 = 0
        var window: [StoreEvent] = []
        var windowStart = 0
        var watchers: [UInt64: Watcher] = [:]
        var nextWatcherID: UInt64 = 0
    }

    struct Watcher {
        var resource: String
        var namespace: String?
        var continuation: AsyncStream<StoreEvent>.Continuation
    }

    private let db: DatabaseQueue
    private let state = Mutex(State())
    private let writeQueue = DispatchQueue(label: "junction.store.write")
    private let observers = Mutex<[@Sendable (ObjectKey, JSONValue?, JSONValue?) -> Void]>([])
    /// How many past events are kept for watches that resume from an older resourceVersion.
    public let windowSize: Int
    /// Events a slow watcher may have queued before its watch is ended (it then relists, as informers do).
    public let watcherBuffer: Int

    /// Opens (creating when missing) the store at `path`; `nil` keeps everything in memory (tests of pure logic).
    public init(path: String?, windowSize: Int = 10_000, watcherBuffer: Int = 10_000) throws {
        self.windowSize = windowSize
        self.watcherBuffer = watcherBuffer
        var config = Configuration()
        config.prepareDatabase { db in
            if db.configuration.readonly == false {
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
        }
        if let path {
            db = try DatabaseQueue(path: path, configuration: config)
            _ = try db.writeWithoutTransaction { db in try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") }
        } else {
            db = try DatabaseQueue(configuration: config)
        }
        try db.write { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS objects (
                  resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
                  rv INTEGER NOT NULL, data BLOB NOT NULL,
                  PRIMARY KEY (resource, namespace, name)) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS events (
                  rv INTEGER PRIMARY KEY, type TEXT NOT NULL, resource TEXT NOT NULL, namespace TEXT NOT NULL,
                  name TEXT NOT NULL, data BLOB NOT NULL, prev BLOB);
                CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
                """)
        }
        try load()
    }

    private func load() throws {
        let loaded = try db.read { db -> (State) in
            var s = State()
            s.resourceVersion = try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'rv'") ?? 0
            let rows = try Row.fetchCursor(db, sql: "SELECT resource, namespace, name, data FROM objects")
            while let row = try rows.next() {
                let key = ObjectKey(resource: row[0], namespace: row[1], name: row[2])
                let bytes: Data = row[3]
                s.objects[key.resource, default: [:]][key] = try JSONParser.parse(bytes)
            }
            let events = try Row.fetchAll(
                db,
                sql: "SELECT rv, type, resource, namespace, name, data, prev FROM events ORDER BY rv DESC LIMIT ?",
                arguments: [windowSize])
            for row in events.reversed() {
                let data: Data = row[5]
                let prev: Data? = row[6]
                s.window.append(
                    StoreEvent(
                        type: WatchEventType(rawValue: row[1]) ?? .modified, resourceVersion: row[0],
                        key: ObjectKey(resource: row[2], namespace: row[3], name: row[4]),
                        object: try JSONParser.parse(data), previous: try prev.map { try JSONParser.parse($0) }))
            }
            return s
        }
        state.withLock { $0 = loaded }
    }

    // MARK: Reads

    public var resourceVersion: Int64 { state.withLock { $0.resourceVersion } }

    public func get(_ key: ObjectKey) -> JSONValue? {
        state.withLock { $0.objects[key.resource]?[key] }
    }

    /// Objects of a resource (in one namespace, or all when nil), sorted by namespace and name, with the
    /// resourceVersion the list is consistent at.
    public func list(resource: String, namespace: String?) -> (items: [(ObjectKey, JSONValue)], resourceVersion: Int64) {
        state.withLock { s in
            let all = s.objects[resource] ?? [:]
            var items: [(ObjectKey, JSONValue)] = []
            items.reserveCapacity(all.count)
            for (k, v) in all where namespace == nil || k.namespace == namespace { items.append((k, v)) }
            items.sort { $0.0 < $1.0 }
            return (items, s.resourceVersion)
        }
    }

    /// The objects as they were at `resourceVersion`: today's state with the retained events after it undone.
    /// This is what makes `limit`/`continue` pages one consistent snapshot. Throws `.gone` past the window.
    public func list(resource: String, namespace: String?, at resourceVersion: Int64) throws(StoreError) -> [(ObjectKey, JSONValue)] {
        let result: Result<[(ObjectKey, JSONValue)], StoreError> = state.withLock { s in
            let oldest = s.window.first?.resourceVersion ?? (s.resourceVersion + 1)
            if resourceVersion < s.resourceVersion && resourceVersion < oldest - 1 {
                return .failure(.gone(requested: resourceVersion, oldest: oldest))
            }
            var objects = (s.objects[resource] ?? [:]).filter { namespace == nil || $0.key.namespace == namespace }
            for e in s.window.reversed() where e.resourceVersion > resourceVersion && e.key.resource == resource
                && (namespace == nil || e.key.namespace == namespace)
            {
                if e.type == .added {
                    objects.removeValue(forKey: e.key)
                } else if let previous = e.previous {
                    objects[e.key] = previous
                }
            }
            return .success(objects.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        }
        return try result.get()
    }

    // MARK: Writes

    /// Registers a function run after every committed write, on the write queue, in commit order. Allocators
    /// use it to keep their in-use sets equal to what is stored.
    public func addCommitObserver(_ observer: @escaping @Sendable (ObjectKey, JSONValue?, JSONValue?) -> Void) {
        observers.withLock { $0.append(observer) }
        let all = state.withLock { s in s.objects.values.flatMap { $0.map { ($0.key, $0.value) } } }
        for (k, v) in all { observer(k, nil, v) }
    }

    /// Runs one serialised read-modify-write of `key`. `decide` sees the current object (nil when absent) and the
    /// resourceVersion the write will get, and returns what to do; it may throw to refuse the write. Returns the
    /// object as stored (or as deleted) and whether anything was written.
    public func write(
        _ key: ObjectKey, _ decide: @escaping @Sendable (_ current: JSONValue?, _ nextRV: Int64) throws -> StoreMutation
    ) async throws -> (object: JSONValue?, written: Bool) {
        try await withCheckedThrowingContinuation { continuation in
            writeQueue.async {
                continuation.resume(with: Result { try self.writeNow(key, decide) })
            }
        }
    }

    private func writeNow(
        _ key: ObjectKey, _ decide: (JSONValue?, Int64) throws -> StoreMutation
    ) throws -> (object: JSONValue?, written: Bool) {
        let (current, rv) = state.withLock { ($0.objects[key.resource]?[key], $0.resourceVersion + 1) }
        let mutation = try decide(current, rv)
        let event: StoreEvent
        switch mutation {
        case .unchanged:
            return (current, false)
        case .create(var obj), .update(var obj):
            obj.setValue(.string(String(rv)), at: ["metadata", "resourceVersion"])
            let type: WatchEventType = current == nil ? .added : .modified
            event = StoreEvent(type: type, resourceVersion: rv, key: key, object: obj, previous: current)
        case .delete:
            guard var obj = current else { return (nil, false) }
            obj.setValue(.string(String(rv)), at: ["metadata", "resourceVersion"])
            event = StoreEvent(type: .deleted, resourceVersion: rv, key: key, object: obj, previous: current)
        }
        try persist(event)
        let newObject: JSONValue? = event.type == .deleted ? nil : event.object
        let watchers: [(UInt64, Watcher)] = state.withLock { s in
            s.resourceVersion = rv
            if let newObject {
                s.objects[key.resource, default: [:]][key] = newObject
            } else {
                s.objects[key.resource]?.removeValue(forKey: key)
            }
            s.window.append(event)
            if s.window.count > windowSize + windowSize / 4 {
                s.window.removeFirst(s.window.count - windowSize)
            }
            return s.watchers.filter { $0.value.resource == key.resource }.map { ($0.key, $0.value) }
        }
        for observer in observers.withLock({ $0 }) { observer(key, current, newObject) }
        for (id, w) in watchers where w.namespace == nil || w.namespace == key.namespace {
            if case .dropped = w.continuation.yield(event) {
                // The watcher fell too far behind: end its stream so the client relists rather than miss events.
                w.continuation.finish()
                _ = state.withLock { $0.watchers.removeValue(forKey: id) }
            }
        }
        return (event.type == .deleted ? event.object : newObject, true)
    }

    private func persist(_ e: StoreEvent) throws {
        let data = Data(e.objectBytes.bytes)
        let prev = e.previous.map { Data(JSONWriter.bytes($0)) }
        let trimBelow = e.resourceVersion - Int64(windowSize)
        do {
            try db.write { db in
                switch e.type {
                case .deleted:
                    try db.execute(
                        sql: "DELETE FROM objects WHERE resource = ? AND namespace = ? AND name = ?",
                        arguments: [e.key.resource, e.key.namespace, e.key.name])
                case .added, .modified:
                    try db.execute(
                        sql: "INSERT OR REPLACE INTO objects (resource, namespace, name, rv, data) VALUES (?, ?, ?, ?, ?)",
                        arguments: [e.key.resource, e.key.namespace, e.key.name, e.resourceVersion, data])
                }
                try db.execute(
                    sql: "INSERT INTO events (rv, type, resource, namespace, name, data, prev) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    arguments: [e.resourceVersion, e.type.rawValue, e.key.resource, e.key.namespace, e.key.name, data, prev])
                try db.execute(
                    sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('rv', ?)", arguments: [e.resourceVersion])
                if e.resourceVersion % 512 == 0 {
                    try db.execute(sql: "DELETE FROM events WHERE rv <= ?", arguments: [trimBelow])
                }
            }
        } catch {
            throw StoreError.database("\(error)")
        }
    }

    // MARK: Watch

    /// Starts a watch of one resource. With `from` nil the stream opens with an ADDED event for every current
    /// object (kube's resourceVersion "" / "0"); otherwise it replays retained events newer than `from`, or throws
    /// `.gone` when those are no longer retained. Both are taken atomically with the registration, so no event is
    /// missed or repeated. Returns the stream and the resourceVersion it starts after.
    public func watch(resource: String, namespace: String?, from: Int64?) throws(StoreError) -> (
        AsyncStream<StoreEvent>, Int64
    ) {
        let (stream, continuation) = AsyncStream<StoreEvent>.makeStream(bufferingPolicy: .bufferingOldest(watcherBuffer))
        let result: Result<(UInt64, Int64), StoreError> = state.withLock { s in
            if let from {
                let oldestRetained = s.window.first?.resourceVersion ?? (s.resourceVersion + 1)
                // Events from..current are needed; `from` itself may predate the window by exactly one.
                if from < s.resourceVersion && from < oldestRetained - 1 {
                    return .failure(.gone(requested: from, oldest: oldestRetained))
                }
                for e in s.window where e.resourceVersion > from && e.key.resource == resource
                    && (namespace == nil || e.key.namespace == namespace)
                {
                    continuation.yield(e)
                }
            } else {
                let objects = (s.objects[resource] ?? [:]).filter { namespace == nil || $0.key.namespace == namespace }
                for (k, v) in objects.sorted(by: { $0.key < $1.key }) {
                    let rv = Int64(v.value(at: ["metadata", "resourceVersion"])?.stringValue ?? "") ?? s.resourceVersion
                    continuation.yield(StoreEvent(type: .added, resourceVersion: rv, key: k, object: v, previous: nil))
                }
            }
            let id = s.nextWatcherID
            s.nextWatcherID += 1
            s.watchers[id] = Watcher(resource: resource, namespace: namespace, continuation: continuation)
            return .success((id, s.resourceVersion))
        }
        switch result {
        case .failure(let e):
            continuation.finish()
            throw e
        case .success(let (id, rv)):
            continuation.onTermination = { [weak self] _ in
                _ = self?.state.withLock { $0.watchers.removeValue(forKey: id) }
            }
            return (stream, rv)
        }
    }

    public var watcherCount: Int { state.withLock { $0.watchers.count } }
}
