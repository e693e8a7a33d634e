import Foundation
import KubeModel
import Logging
import Synchronization

/// Keeps a local copy of one collection in step with the API server, as client-go's reflector does: list, then
/// watch from the list's resourceVersion; on a 410 or any broken watch, relist after a back-off and report the
/// difference as individual changes. Every change reaches `onChange` as (previous, current) — nil previous is an
/// add, nil current a delete — and `onSynced` fires after each complete list.
public final class Reflector: Sendable {
    /// What the reflector keeps of each object between events.
    public enum Retention: Sendable {
        /// The whole object: `previous` is the full last-seen object.
        case full
        /// Only its identity (name, namespace, uid, resourceVersion, labels): for consumers that keep their own
        /// parsed state and read nothing else from `previous` — a 10k-Service cache then costs kilobytes, not
        /// tens of megabytes of JSON trees. Changes are detected by resourceVersion.
        case identity
        /// Only the resourceVersion, under the namespace/name key: for consumers that find an object's state by its
        /// name (the DNS index), to which `previous` is `{"metadata": {namespace, name, resourceVersion}}`. About
        /// 100 bytes per object, where `identity` keeps a small JSON tree (about 800 at 10k Services).
        case version
    }

    public let path: String
    public let query: String
    public let retention: Retention
    let client: KubeClient
    let logger: Logger
    let onChange: @Sendable (_ previous: JSONValue?, _ current: JSONValue?) async -> Void
    let onSynced: @Sendable () async -> Void
    private let items = Mutex<[String: Stored]>([:])
    private let syncedOnce = Mutex(false)

    /// `path` is a collection, e.g. `/api/v1/services`; `query` an extra selector such as `fieldSelector=…`.
    public init(client: KubeClient, path: String, query: String = "", retention: Retention = .full, logger: Logger,
                onChange: @escaping @Sendable (JSONValue?, JSONValue?) async -> Void,
                onSynced: @escaping @Sendable () async -> Void = {}) {
        self.client = client
        self.path = path
        self.query = query
        self.retention = retention
        self.logger = logger
        self.onChange = onChange
        self.onSynced = onSynced
    }

    public var hasSynced: Bool { syncedOnce.withLock { $0 } }
    /// What is kept of each object (the whole object, or its identity: see `Retention`).
    public var snapshot: [JSONValue] { items.withLock { $0.map { $0.value.json(key: $0.key) } } }

    /// One stored object. Under identity retention only the identity's fields are kept, without the dictionaries
    /// of a JSON tree (at 10k Services and 10k EndpointSlices about 400 instead of 950 bytes an object); under
    /// version retention only the resourceVersion. `json(key:)` rebuilds the `{"metadata": {…}}` object consumers
    /// are handed as `previous`.
    enum Stored: Sendable, Equatable {
        case object(JSONValue)
        indirect case identity(name: JSONValue?, namespace: JSONValue?, uid: JSONValue?, resourceVersion: JSONValue?,
                               labels: JSONValue?)
        case version(String)

        func json(key: String) -> JSONValue {
            switch self {
            case .object(let o):
                return o
            case .identity(let name, let namespace, let uid, let resourceVersion, let labels):
                var metadata: [String: JSONValue] = [:]
                metadata["name"] = name
                metadata["namespace"] = namespace
                metadata["uid"] = uid
                metadata["resourceVersion"] = resourceVersion
                metadata["labels"] = labels
                return ["metadata": .object(metadata)]
            case .version(let version):
                let slash = key.firstIndex(of: "/") ?? key.startIndex
                var metadata: [String: JSONValue] = ["name": .string(String(key[key.index(after: slash)...]))]
                if slash > key.startIndex { metadata["namespace"] = .string(String(key[..<slash])) }
                if !version.isEmpty { metadata["resourceVersion"] = .string(version) }
                return ["metadata": .object(metadata)]
            }
        }

        var resourceVersion: String? {
            switch self {
            case .object(let o): o.value(at: ["metadata", "resourceVersion"])?.stringValue
            case .identity(_, _, _, let resourceVersion, _): resourceVersion?.stringValue
            case .version(let version): version.isEmpty ? nil : version
            }
        }
    }

    /// What is stored for `o` under this reflector's retention.
    func retained(_ o: JSONValue) -> Stored {
        let field = { (name: String) in o.value(at: ["metadata", name]) }
        switch retention {
        case .full: return .object(o)
        case .version: return .version(field("resourceVersion")?.stringValue ?? "")
        case .identity:
            return .identity(name: field("name"), namespace: field("namespace"), uid: field("uid"),
                             resourceVersion: field("resourceVersion"), labels: field("labels"))
        }
    }

    /// Whether `new` differs from what was stored: by resourceVersion when both have one (the API's promise: same
    /// version, same object), else by content.
    func differs(_ stored: Stored?, _ new: JSONValue) -> Bool {
        guard let stored else { return true }
        if let a = stored.resourceVersion,
            let b = new.value(at: ["metadata", "resourceVersion"])?.stringValue {
            return a != b
        }
        return retained(new) != stored
    }

    static func key(_ o: JSONValue) -> String {
        (o.value(at: ["metadata", "namespace"])?.stringValue ?? "") + "/" + (o.value(at: ["metadata", "name"])?.stringValue ?? "")
    }

    /// Runs until cancelled.
    public func run() async {
        var backoff = 0.2
        var resume: String?
        while !Task.isCancelled {
            do {
                let rv: String
                if let resume { rv = resume } else { rv = try await relist() }
                backoff = 0.2
                // A watch the server ended normally (its timeout) resumes where it stopped, without a relist.
                resume = try await watch(from: rv)
                continue
            } catch is CancellationError {
                return
            } catch {
                resume = nil
                logger.debug("reflector restarting", metadata: ["path": "\(path)", "error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(backoff))
            backoff = min(backoff * 2, 10)
        }
    }

    /// Objects per list page, as client-go's reflector asks (`limit=500`): a large collection is never one giant
    /// response in memory, and the pages form one consistent snapshot (the continue token pins the version).
    public static let pageSize = 500

    private func relist() async throws -> String {
        let old = items.withLock { $0 }
        var fresh: [String: Stored] = [:]
        var continueToken: String?
        var rv = "0"
        repeat {
            var q = "limit=\(Self.pageSize)" + (query.isEmpty ? "" : "&" + query)
            if let token = continueToken {
                q += "&continue=" + (token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? token)
            }
            let page = try await client.json(.GET, path + "?" + q)
            // Each page's changes go out as it arrives; only the retained form of its objects is kept.
            for o in page["items"]?.arrayValue ?? [] {
                let k = Self.key(o)
                fresh[k] = retained(o)
                if differs(old[k], o) { await onChange(old[k]?.json(key: k), o) }
            }
            rv = page.value(at: ["metadata", "resourceVersion"])?.stringValue ?? rv
            continueToken = page.value(at: ["metadata", "continue"])?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        } while continueToken != nil
        items.withLock { $0 = fresh }
        for (k, o) in old where fresh[k] == nil { await onChange(o.json(key: k), nil) }
        syncedOnce.withLock { $0 = true }
        await onSynced()
        return rv
    }

    /// Watches until the server ends the stream; returns the last resourceVersion seen.
    private func watch(from rv: String) async throws -> String {
        let q = "resourceVersion=\(rv)&allowWatchBookmarks=true&timeoutSeconds=\(Int.random(in: 300...600))"
            + (query.isEmpty ? "" : "&" + query)
        var last = rv
        for try await e in client.watch(path, query: q) {
            if let seen = e.object.value(at: ["metadata", "resourceVersion"])?.stringValue, e.type != "ERROR" { last = seen }
            let k = Self.key(e.object)
            switch e.type {
            case "ADDED", "MODIFIED":
                let previous = items.withLock { $0.updateValue(retained(e.object), forKey: k) }
                if differs(previous, e.object) { await onChange(previous?.json(key: k), e.object) }
            case "DELETED":
                if let previous = items.withLock({ $0.removeValue(forKey: k) }) { await onChange(previous.json(key: k), nil) }
            case "ERROR":
                throw KubeAPIError(code: Int(e.object["code"]?.intValue ?? 500), status: e.object)
            default:
                break  // BOOKMARK
            }
        }
        if Task.isCancelled { throw CancellationError() }
        return last
    }
}
