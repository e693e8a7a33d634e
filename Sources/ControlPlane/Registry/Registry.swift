import Foundation
import KubeModel
import Logging
import Synchronization

public enum FieldValidation: String, Sendable {
    case strict = "Strict"
    case warn = "Warn"
    case ignore = "Ignore"
}

public struct WriteOptions: Sendable {
    public var fieldValidation: FieldValidation = .ignore
    public var dryRun = false
    /// Fields the body held more than once (strict validation refuses them).
    public var duplicateFields: [String] = []
    public init(fieldValidation: FieldValidation = .ignore, dryRun: Bool = false) {
        self.fieldValidation = fieldValidation
        self.dryRun = dryRun
    }
}

public struct WriteResult: Sendable {
    public var object: JSONValue
    public var created: Bool
    public var warnings: [String]
}

public enum PatchType: String, Sendable {
    case json = "application/json-patch+json"
    case merge = "application/merge-patch+json"
    case strategic = "application/strategic-merge-patch+json"
    case apply = "application/apply-patch+yaml"
}

public struct DeleteOptions: Sendable {
    public enum Propagation: String, Sendable {
        case background = "Background"
        case foreground = "Foreground"
        case orphan = "Orphan"
    }
    public var propagation: Propagation = .background
    public var gracePeriodSeconds: Int64?
    public var preconditionUID: String?
    public var preconditionResourceVersion: String?
    public var dryRun = false
    public init(propagation: Propagation = .background, gracePeriodSeconds: Int64? = nil) {
        self.propagation = propagation
        self.gracePeriodSeconds = gracePeriodSeconds
    }
}

/// The generic half of every API operation on top of `ObjectStore`: metadata rules, optimistic concurrency,
/// strict field validation, patches, deletion with cascade. Both the HTTP handlers and the in-process controllers
/// write through here, so a controller's write is validated exactly like a user's.
public final class Registry: Sendable {
    public let store: ObjectStore
    public let allocators: ServiceAllocators
    let strategies: [String: any ResourceStrategy]
    let logger: Logger
    let logSourceBox = Mutex<(any PodLogSource)?>(nil)

    public init(store: ObjectStore, allocators: ServiceAllocators, logger: Logger) {
        self.store = store
        self.allocators = allocators
        self.logger = logger
        var s: [String: any ResourceStrategy] = [:]
        for strategy in Strategies.all(allocators: allocators) { s[strategy.resource.storageKey] = strategy }
        self.strategies = s
        allocators.attach(to: store)
    }

    public func strategy(_ r: APIResource) -> any ResourceStrategy {
        strategies[r.storageKey] ?? TypedStrategy(r, GenericObject.self)
    }

    public func key(_ r: APIResource, _ namespace: String?, _ name: String) -> ObjectKey {
        ObjectKey(resource: r.storageKey, namespace: r.namespaced ? (namespace ?? "") : "", name: name)
    }

    // MARK: Reads

    public func get(_ r: APIResource, namespace: String?, name: String) throws(APIError) -> JSONValue {
        guard let obj = store.get(key(r, namespace, name)) else { throw .notFound(r, name) }
        return obj
    }

    public func list(_ r: APIResource, namespace: String?) -> (items: [JSONValue], resourceVersion: Int64) {
        let (items, rv) = store.list(resource: r.storageKey, namespace: r.namespaced ? namespace : nil)
        return (items.map(\.1), rv)
    }

    // MARK: Writes

    /// Creates an object. `namespace` comes from the URL; the body's must agree.
    public func create(_ r: APIResource, namespace: String?, body: JSONValue, options: WriteOptions = .init())
        async throws(APIError) -> WriteResult
    {
        var body = body
        try checkTypeMeta(r, &body)
        let ns = try resolveNamespace(r, namespace, body: body)
        if r.namespaced { body.setValue(.string(ns), at: ["metadata", "namespace"]) }
        var generated = body.value(at: ["metadata", "name"])?.stringValue ?? ""
        if generated.isEmpty, let prefix = body.value(at: ["metadata", "generateName"])?.stringValue, !prefix.isEmpty {
            generated = prefix + Self.randomSuffix()
            body.setValue(.string(generated), at: ["metadata", "name"])
        }
        let name = generated
        if name.isEmpty {
            throw .invalid(r, "", [.required(FieldPath.root("metadata").child("name"), "name or generateName is required")])
        }
        if r.namespaced { try checkNamespaceWritable(ns) }
        let input = body
        return try await write(r, key: key(r, ns, name), options: options) { current throws(APIError) in
            if current != nil { throw .alreadyExists(r, name) }
            return input
        }
    }

    /// Replaces an object (PUT). Creates it when missing only for resources kube allows that on (none here but
    /// leases, which clients upsert).
    public func update(
        _ r: APIResource, namespace: String?, name: String, body: JSONValue, subresource: String? = nil,
        options: WriteOptions = .init()
    ) async throws(APIError) -> WriteResult {
        var body = body
        try checkTypeMeta(r, &body)
        let ns = try resolveNamespace(r, namespace, body: body)
        if r.namespaced { body.setValue(.string(ns), at: ["metadata", "namespace"]) }
        let bodyName = body.value(at: ["metadata", "name"])?.stringValue ?? ""
        if bodyName.isEmpty {
            body.setValue(.string(name), at: ["metadata", "name"])
        } else if bodyName != name {
            throw .badRequest("the name of the object (\(bodyName)) does not match the name on the URL (\(name))")
        }
        let input = body
        return try await write(r, key: key(r, ns, name), options: options, subresource: subresource) {
            current throws(APIError) in
            if current == nil && r.kind != "Lease" { throw .notFound(r, name) }
            return input
        }
    }

    public func patch(
        _ r: APIResource, namespace: String?, name: String, type: PatchType, patch: JSONValue,
        subresource: String? = nil, options: WriteOptions = .init()
    ) async throws(APIError) -> WriteResult {
        let ns = r.namespaced ? (namespace ?? "default") : ""
        let schema = PatchSchema.forKind(group: r.group, kind: r.kind)
        if type == .apply, store.get(key(r, ns, name)) == nil, subresource == nil {
            // Server-side apply creates what is missing.
            var body: JSONValue
            do {
                body = try ServerSideApply.apply(try Self.applyPatchAsObject(patch), to: nil, schema: schema)
            } catch let e as APIError {
                throw e
            } catch let e as PatchError {
                throw Self.patchFailure(e)
            } catch {
                throw .badRequest("\(error)")
            }
            body.setValue(.string(name), at: ["metadata", "name"])
            return try await create(r, namespace: namespace, body: body, options: options)
        }
        return try await write(r, key: key(r, ns, name), options: options, subresource: subresource) {
            current throws(APIError) in
            guard let current else { throw .notFound(r, name) }
            var patched: JSONValue
            do {
                switch type {
                case .merge: patched = JSONMergePatch.apply(patch, to: current)
                case .json: patched = try JSONPatch.apply(patch, to: current)
                case .strategic: patched = try StrategicMergePatch.apply(patch, to: current, schema: schema)
                case .apply: patched = try ServerSideApply.apply(patch, to: current, schema: schema)
                }
            } catch let e as PatchError {
                throw Self.patchFailure(e)
            } catch {
                throw .badRequest("\(error)")
            }
            // A patch that does not name a resourceVersion is unconditional.
            if patch.value(at: ["metadata", "resourceVersion"]) == nil {
                patched.setValue(current.value(at: ["metadata", "resourceVersion"]), at: ["metadata", "resourceVersion"])
            }
            if patched["metadata"]?["name"]?.stringValue != name {
                throw .badRequest("metadata.name: Invalid value: the name of a patched object cannot be changed")
            }
            return patched
        }
    }

    /// kube-apiserver's codes: a body that is no patch is 400, a patch that does not fit the object 422,
    /// too many JSON patch operations 413.
    static func patchFailure(_ e: PatchError) -> APIError {
        let reason = e.httpStatus == 422 ? "Invalid" : e.httpStatus == 413 ? "RequestEntityTooLarge" : "BadRequest"
        return APIError(code: e.httpStatus, reason: reason, message: e.description)
    }

    static func applyPatchAsObject(_ patch: JSONValue) throws(APIError) -> JSONValue {
        guard case .object = patch else { throw .badRequest("an apply patch must be an object") }
        return patch
    }

    /// The shared write path: `produce` turns the current object into the requested one; everything after that
    /// (schema, metadata, defaults, validation, admission, concurrency) is decided here.
    func write(
        _ r: APIResource, key: ObjectKey, options: WriteOptions, subresource: String? = nil,
        produce: @escaping @Sendable (JSONValue?) throws(APIError) -> JSONValue
    ) async throws(APIError) -> WriteResult {
        let strategy = self.strategy(r)
        let warnings = WarningBox()
        let now = Self.timestamp()
        do {
            let (obj, written) = try await store.write(key) { current, _ in
                let requested = try produce(current)
                if !options.duplicateFields.isEmpty && options.fieldValidation != .ignore {
                    let message = options.duplicateFields.map { "duplicate field \"\($0)\"" }.joined(separator: ", ")
                    if options.fieldValidation == .strict { throw APIError.badRequest("strict decoding error: \(message)") }
                    warnings.add(message)
                }
                var obj: JSONValue
                do {
                    obj = try strategy.normalize(requested)
                } catch {
                    throw APIError.badRequest(
                        "\(r.kind) in version \"\(r.version)\" cannot be handled as a \(r.kind): \(error)")
                }
                if options.fieldValidation != .ignore {
                    let unknown = ObjectCodec.unknownFields(input: requested, decoded: obj)
                        .filter { !$0.hasPrefix("metadata.managedFields") }
                    if !unknown.isEmpty {
                        let message = unknown.map { "unknown field \"\($0)\"" }.joined(separator: ", ")
                        if options.fieldValidation == .strict {
                            throw APIError.badRequest("strict decoding error: \(message)")
                        }
                        warnings.add(message)
                    }
                }
                obj.setValue(nil, at: ["metadata", "managedFields"])
                obj.setValue(nil, at: ["metadata", "selfLink"])
                if let current {
                    try self.prepareUpdate(r, strategy, &obj, current: current, subresource: subresource)
                } else {
                    obj.setValue(.string(UUID().uuidString.lowercased()), at: ["metadata", "uid"])
                    obj.setValue(.string(now), at: ["metadata", "creationTimestamp"])
                    obj.setValue(nil, at: ["metadata", "deletionTimestamp"])
                    obj.setValue(nil, at: ["metadata", "resourceVersion"])
                    if obj["spec"] != nil { obj.setValue(.int(1), at: ["metadata", "generation"]) }
                    strategy.prepareForCreate(&obj)
                }
                let errors = strategy.validate(obj, old: current)
                    + MetadataValidation.validate(obj, resource: r, nameRule: Strategies.nameRule(r))
                if !errors.isEmpty {
                    throw APIError.invalid(r, obj.value(at: ["metadata", "name"])?.stringValue ?? "", errors)
                }
                if let current, Self.sameIgnoringVersion(current, obj) { return .unchanged }
                try strategy.admit(&obj, old: current, registry: self)
                if options.dryRun { throw DryRun(object: obj) }
                warnings.created = current == nil
                return current == nil ? .create(obj) : .update(obj)
            }
            return WriteResult(object: obj ?? .null, created: written && warnings.created, warnings: warnings.all)
        } catch let e as APIError {
            throw e
        } catch let dry as DryRun {
            return WriteResult(object: dry.object, created: false, warnings: warnings.all)
        } catch {
            logger.error("store write failed", metadata: ["key": "\(key)", "error": "\(error)"])
            throw .internalError("\(error)")
        }
    }

    struct DryRun: Error { var object: JSONValue }

    /// What a write closure reports back besides the object: warnings, and whether it created.
    final class WarningBox: Sendable {
        private let items = Mutex<[String]>([])
        private let createdFlag = Mutex(false)
        func add(_ s: String) { items.withLock { $0.append(s) } }
        var all: [String] { items.withLock { $0 } }
        var created: Bool {
            get { createdFlag.withLock { $0 } }
            set { createdFlag.withLock { $0 = newValue } }
        }
    }

    private func prepareUpdate(
        _ r: APIResource, _ strategy: any ResourceStrategy, _ obj: inout JSONValue, current: JSONValue,
        subresource: String?
    ) throws(APIError) {
        let name = current.value(at: ["metadata", "name"])?.stringValue ?? ""
        if let rv = obj.value(at: ["metadata", "resourceVersion"])?.stringValue, !rv.isEmpty,
            rv != current.value(at: ["metadata", "resourceVersion"])?.stringValue
        {
            throw .conflict(r, name)
        }
        if let uid = obj.value(at: ["metadata", "uid"])?.stringValue, !uid.isEmpty,
            uid != current.value(at: ["metadata", "uid"])?.stringValue
        {
            throw .conflict(r, name)
        }
        if subresource == "status" {
            // Only status changes through /status.
            var merged = current
            merged["status"] = obj["status"]
            obj = merged
            return
        }
        for field in ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"] {
            obj.setValue(current.value(at: ["metadata", field]), at: ["metadata", field])
        }
        // The main resource cannot change status; a binding sets spec.nodeName and the PodScheduled condition.
        if strategy.hasStatusSubresource && subresource == nil {
            obj["status"] = current["status"]
        }
        var a = obj
        var b = current
        for field in ["metadata", "status"] {
            a[field] = nil
            b[field] = nil
        }
        if a != b, obj["spec"] != nil {
            let generation = current.value(at: ["metadata", "generation"])?.intValue ?? 0
            obj.setValue(.int(generation + 1), at: ["metadata", "generation"])
        }
        strategy.prepareForUpdate(&obj, old: current)
    }

    static func sameIgnoringVersion(_ a: JSONValue, _ b: JSONValue) -> Bool {
        var a = a, b = b
        a.setValue(nil, at: ["metadata", "resourceVersion"])
        b.setValue(nil, at: ["metadata", "resourceVersion"])
        return a == b
    }

    // MARK: Delete

    public func delete(_ r: APIResource, namespace: String?, name: String, options: DeleteOptions = .init())
        async throws(APIError) -> JSONValue
    {
        let k = key(r, namespace, name)
        if r.kind == "Namespace", ["default", "kube-system", "kube-public"].contains(name) {
            throw .forbidden(r, name, "this namespace may not be deleted")
        }
        let graceful = r.kind == "Pod" && (options.gracePeriodSeconds ?? 1) > 0 && podHasLiveNode(k)
        let markOnly = graceful || r.kind == "Namespace"
        let now = Self.timestamp()
        let result: (object: JSONValue?, written: Bool)
        do {
            result = try await store.write(k) { current, _ in
                guard var current else { throw APIError.notFound(r, name) }
                if let uid = options.preconditionUID, uid != current.value(at: ["metadata", "uid"])?.stringValue {
                    throw APIError.conflict(r, name)
                }
                if let rv = options.preconditionResourceVersion,
                    rv != current.value(at: ["metadata", "resourceVersion"])?.stringValue
                {
                    throw APIError.conflict(r, name)
                }
                if options.dryRun { throw DryRun(object: current) }
                if markOnly {
                    if current.value(at: ["metadata", "deletionTimestamp"]) != nil { return .unchanged }
                    current.setValue(.string(now), at: ["metadata", "deletionTimestamp"])
                    if r.kind == "Pod" {
                        let grace = options.gracePeriodSeconds
                            ?? current.value(at: ["spec", "terminationGracePeriodSeconds"])?.intValue ?? 30
                        current.setValue(.int(grace), at: ["metadata", "deletionGracePeriodSeconds"])
                    } else {
                        current.setValue(.string("Terminating"), at: ["status", "phase"])
                    }
                    return .update(current)
                }
                return .delete
            }
        } catch let e as APIError {
            throw e
        } catch let dry as DryRun {
            return dry.object
        } catch {
            throw .internalError("\(error)")
        }
        guard let obj = result.object else { throw .notFound(r, name) }
        if r.kind == "Namespace" {
            Task { await self.finalizeNamespace(name) }
        } else if !markOnly, let uid = obj.value(at: ["metadata", "uid"])?.stringValue {
            let ns = r.namespaced ? (namespace ?? "") : nil
            Task { await self.collectDependents(ownerUID: uid, namespace: ns, propagation: options.propagation) }
        }
        return obj
    }

    /// A pod is deleted gracefully (left Terminating for its node agent to finish) only when a node agent is
    /// alive on its node, as shown by a recently renewed node Lease; otherwise nothing would ever finish it.
    func podHasLiveNode(_ k: ObjectKey) -> Bool {
        guard let pod = store.get(k), let node = pod.value(at: ["spec", "nodeName"])?.stringValue, !node.isEmpty,
            let lease = store.get(key(ResourceCatalog.leases, "kube-node-lease", node)),
            let renew = lease.value(at: ["spec", "renewTime"])?.stringValue, let at = Self.parseTimestamp(renew)
        else { return false }
        let duration = Double(lease.value(at: ["spec", "leaseDurationSeconds"])?.intValue ?? 40)
        return Date().timeIntervalSince(at) < duration
    }

    /// Background cascade: dependents whose ownerReferences name the deleted owner are deleted (or, for Orphan,
    /// released by removing that reference).
    func collectDependents(ownerUID: String, namespace: String?, propagation: DeleteOptions.Propagation) async {
        for r in ResourceCatalog.all where r.namespaced == (namespace != nil) || !r.namespaced {
            let (items, _) = store.list(resource: r.storageKey, namespace: r.namespaced ? namespace : nil)
            for (k, obj) in items {
                guard let refs = obj.value(at: ["metadata", "ownerReferences"])?.arrayValue,
                    refs.contains(where: { $0["uid"]?.stringValue == ownerUID })
                else { continue }
                if propagation == .orphan {
                    let remaining = JSONValue.array(refs.filter { $0["uid"]?.stringValue != ownerUID })
                    _ = try? await patch(
                        r, namespace: k.namespace, name: k.name, type: .merge,
                        patch: ["metadata": ["ownerReferences": remaining]])
                } else {
                    _ = try? await delete(r, namespace: k.namespace, name: k.name, options: .init(propagation: propagation))
                }
            }
        }
    }

    /// Deletes everything in a terminating namespace, then the namespace itself.
    func finalizeNamespace(_ name: String) async {
        for r in ResourceCatalog.all where r.namespaced {
            for (k, _) in store.list(resource: r.storageKey, namespace: name).items {
                _ = try? await delete(r, namespace: k.namespace, name: k.name, options: .init(gracePeriodSeconds: 0))
            }
        }
        _ = try? await store.write(key(ResourceCatalog.namespaces, nil, name)) { current, _ in
            current == nil ? .unchanged : .delete
        }
    }

    // MARK: Helpers

    private func checkTypeMeta(_ r: APIResource, _ body: inout JSONValue) throws(APIError) {
        guard case .object = body else { throw .badRequest("the body of the request must be a JSON or YAML object") }
        if let apiVersion = body["apiVersion"]?.stringValue, !apiVersion.isEmpty, apiVersion != r.apiVersion {
            throw .badRequest(
                "the API version in the data (\(apiVersion)) does not match the expected API version (\(r.apiVersion))")
        }
        if let kind = body["kind"]?.stringValue, !kind.isEmpty, kind != r.kind {
            throw .badRequest("the kind in the data (\(kind)) does not match the expected kind (\(r.kind))")
        }
        body["apiVersion"] = .string(r.apiVersion)
        body["kind"] = .string(r.kind)
    }

    private func resolveNamespace(_ r: APIResource, _ namespace: String?, body: JSONValue) throws(APIError) -> String {
        guard r.namespaced else { return "" }
        let ns = namespace ?? "default"
        if let bodyNS = body.value(at: ["metadata", "namespace"])?.stringValue, !bodyNS.isEmpty, bodyNS != ns {
            throw .badRequest("the namespace of the provided object does not match the namespace sent on the request")
        }
        return ns
    }

    private func checkNamespaceWritable(_ ns: String) throws(APIError) {
        guard let nsObj = store.get(key(ResourceCatalog.namespaces, nil, ns)) else { throw .namespaceNotFound(ns) }
        if nsObj.value(at: ["metadata", "deletionTimestamp"]) != nil {
            throw APIError(
                code: 403, reason: "Forbidden",
                message: "unable to create new content in namespace \(ns) because it is being terminated")
        }
    }

    static func randomSuffix() -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        return String((0..<5).map { _ in alphabet.randomElement() ?? "x" })
    }

    public static func timestamp(_ date: Date = Date()) -> String { KubeTime.string(date) }

    public static func parseTimestamp(_ s: String) -> Date? { KubeTime.parse(s) }
}

/// An object of a kind Junction stores without a schema of its own.
struct GenericObject: KubeObject {
    var apiVersion: String?
    var kind: String?
    var metadata = ObjectMeta()
}

/// Where `pods/{name}/log` reads from: the node agents, once they run.
public protocol PodLogSource: Sendable {
    func logs(namespace: String, pod: String, container: String, follow: Bool, tailLines: Int?) async throws
        -> AsyncStream<[UInt8]>
}

extension Registry {
    public var logSource: (any PodLogSource)? { logSourceBox.withLock { $0 } }

    public func setLogSource(_ source: (any PodLogSource)?) { logSourceBox.withLock { $0 = source } }

    /// Binds a pending pod to a node (what `pods/{name}/binding` and the scheduler do).
    public func bind(namespace: String, name: String, node: String) async throws(APIError) -> WriteResult {
        let now = Self.timestamp()
        return try await write(ResourceCatalog.pods, key: key(ResourceCatalog.pods, namespace, name), options: .init(),
                               subresource: "binding") {
            current throws(APIError) in
            guard var pod = current else { throw .notFound(ResourceCatalog.pods, name) }
            if let existing = pod.value(at: ["spec", "nodeName"])?.stringValue, !existing.isEmpty {
                throw APIError(code: 409, reason: "Conflict", message: "pod \(name) is already assigned to node \"\(existing)\"")
            }
            pod.setValue(.string(node), at: ["spec", "nodeName"])
            var conditions = (pod.value(at: ["status", "conditions"])?.arrayValue ?? []).filter { $0["type"]?.stringValue != "PodScheduled" }
            conditions.append(["type": "PodScheduled", "status": "True", "lastProbeTime": .null,
                               "lastTransitionTime": .string(now)])
            pod.setValue(.array(conditions), at: ["status", "conditions"])
            return pod
        }
    }
}
