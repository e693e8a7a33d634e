import Foundation
import HTTPTypes
import Hummingbird
import KubeModel
import KubeProtobuf
import Logging
import NIOCore
import ServiceLifecycle
import Yams

/// Turns HTTP requests into registry calls, speaking the Kubernetes REST dialect kubectl expects: Status errors,
/// Tables, aggregated discovery, list/watch with selectors, five body formats.
public struct APIHandler: Sendable {
    public let registry: Registry
    public let token: String?
    public let maxBodyBytes: Int
    let logger: Logger

    public init(registry: Registry, token: String?, maxBodyBytes: Int = 3 * 1024 * 1024, logger: Logger) {
        self.registry = registry
        self.token = token
        self.maxBodyBytes = maxBodyBytes
        self.logger = logger
    }

    /// `clientCertificateVerified` says whether the connection offered a client certificate that the TLS
    /// handshake verified against the cluster CA; it is asked only when a request carries no valid token.
    public func respond(to request: Request, clientCertificateVerified: @Sendable () async -> Bool = { false }) async -> Response {
        do {
            return try await route(request, clientCertificateVerified)
        } catch let e as APIError {
            return Self.statusResponse(e)
        } catch {
            logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return Self.statusResponse(.internalError("\(error)"))
        }
    }

    private func route(_ request: Request, _ clientCertificateVerified: @Sendable () async -> Bool) async throws -> Response {
        let target = RequestTarget.parse(request.uri.path)
        let query = Query(request.uri.query)
        if case .health(let which) = target {
            return Self.text("ok", status: .ok, name: which)
        }
        if case .version = target {
            return Self.json(Self.versionInfo)
        }
        if !authenticated(request), await !clientCertificateVerified() { throw APIError.unauthorized() }
        switch target {
        case .discoveryCore:
            if Discovery.acceptsAggregated(request.headers[.accept]) {
                return Self.json(Discovery.aggregatedCore(), contentType: Discovery.aggregatedContentType)
            }
            let host = request.head.authority ?? "127.0.0.1:6443"
            return Self.json(Discovery.legacyCore(serverAddress: host))
        case .discoveryGroups:
            if Discovery.acceptsAggregated(request.headers[.accept]) {
                return Self.json(Discovery.aggregatedGroups(), contentType: Discovery.aggregatedContentType)
            }
            return Self.json(Discovery.legacyGroups())
        case .discoveryGroup(let g):
            guard let doc = Discovery.legacyGroup(g) else { throw APIError.notPathFound() }
            return Self.json(doc)
        case .resourceList(let g, let v):
            guard let doc = Discovery.resourceList(group: g, version: v) else { throw APIError.notPathFound() }
            return Self.json(doc)
        case .openAPIRoot:
            return Self.json(OpenAPI.v3Root())
        case .openAPIDocument(let p):
            guard let doc = OpenAPI.v3Document(path: p) else { throw APIError.notPathFound() }
            return Self.json(doc)
        case .openAPIV2, .unknown, .health, .version:
            throw APIError.notPathFound()
        case .resource(let t):
            return try await resource(request, t, query)
        }
    }

    /// Whether the request needs no credentials (no token configured) or carries the bearer token.
    private func authenticated(_ request: Request) -> Bool {
        guard let token else { return true }
        return request.headers[.authorization] == "Bearer \(token)"
    }

    // MARK: Resource requests

    private func resource(_ request: Request, _ t: ResourceTarget, _ q: Query) async throws -> Response {
        let r = t.resource
        let accept = request.headers[.accept] ?? ""
        let wantsTable = accept.contains("as=Table")
        if r.namespaced, let ns = t.namespace, t.name == nil, request.method == .post,
            registry.store.get(registry.key(ResourceCatalog.namespaces, nil, ns)) == nil
        {
            throw APIError.namespaceNotFound(ns)
        }
        switch (request.method, t.name, t.subresource) {
        case (.get, nil, _):
            if q.bool("watch") { return try watch(t, q, table: wantsTable) }
            return try list(t, q, table: wantsTable)
        case (.get, let name?, nil):
            let obj = try registry.get(r, namespace: t.namespace, name: name)
            if wantsTable {
                return Self.json(TablePrinter.table(resource: r, objects: [obj], resourceVersion: Self.rv(obj),
                                                    continueToken: nil, now: Date()))
            }
            return Self.json(obj)
        case (.get, let name?, "status"):
            return Self.json(try registry.get(r, namespace: t.namespace, name: name))
        case (.get, let name?, "scale"):
            return Self.json(try scale(of: try registry.get(r, namespace: t.namespace, name: name), r))
        case (.get, let name?, "log"):
            return try await podLog(t, name: name, q)
        case (.post, nil, nil):
            let (body, options) = try await decodeBody(request, q)
            let result = try await registry.create(r, namespace: t.namespace, body: body, options: options)
            return Self.json(result.object, status: .created, warnings: result.warnings)
        case (.post, let name?, "binding"):
            let (body, _) = try await decodeBody(request, q)
            return try await bind(t, name: name, body)
        case (.put, let name?, let sub):
            let (body, options) = try await decodeBody(request, q)
            if sub == "scale" {
                let replicas = body.value(at: ["spec", "replicas"])?.intValue ?? 0
                return try await setScale(t, name: name, replicas: Int(replicas), precondition: body.value(at: ["metadata", "resourceVersion"])?.stringValue)
            }
            let result = try await registry.update(r, namespace: t.namespace, name: name, body: body,
                                                   subresource: sub, options: options)
            return Self.json(result.object, status: result.created ? .created : .ok, warnings: result.warnings)
        case (.patch, let name?, let sub):
            let type = try patchType(request)
            let (body, options) = try await decodeBody(request, q, patch: type)
            if sub == "scale" {
                let current = try scale(of: try registry.get(r, namespace: t.namespace, name: name), r)
                let patched: JSONValue
                switch type {
                case .json: patched = try JSONPatch.apply(body, to: current)
                case .merge: patched = JSONMergePatch.apply(body, to: current)
                case .strategic, .apply:
                    patched = try StrategicMergePatch.apply(body, to: current, schema: PatchSchema.forKind(group: "autoscaling", kind: "Scale"))
                }
                let replicas = patched.value(at: ["spec", "replicas"])?.intValue ?? 0
                return try await setScale(t, name: name, replicas: Int(replicas), precondition: nil)
            }
            let result = try await registry.patch(r, namespace: t.namespace, name: name, type: type, patch: body,
                                                  subresource: sub, options: options)
            return Self.json(result.object, status: result.created ? .created : .ok, warnings: result.warnings)
        case (.delete, let name?, nil):
            let options = try await deleteOptions(request, q)
            let obj = try await registry.delete(r, namespace: t.namespace, name: name, options: options)
            return Self.json(obj)
        case (.delete, nil, nil):
            let options = try await deleteOptions(request, q)
            let items = try selected(t, q).items
            var deleted: [JSONValue] = []
            for obj in items {
                let name = obj.value(at: ["metadata", "name"])?.stringValue ?? ""
                let ns = obj.value(at: ["metadata", "namespace"])?.stringValue
                if let d = try? await registry.delete(r, namespace: ns, name: name, options: options) { deleted.append(d) }
            }
            return Self.json(listObject(r, deleted, rv: registry.store.resourceVersion, continueToken: nil))
        default:
            throw APIError.methodNotAllowed(
                "the server does not allow this method on the requested resource")
        }
    }

    /// Objects selected by the request's labelSelector and fieldSelector, sorted by namespace and name.
    private func selected(_ t: ResourceTarget, _ q: Query) throws(APIError) -> (items: [JSONValue], rv: Int64) {
        let (items, rv) = registry.list(t.resource, namespace: t.namespace)
        let filter = try selectionFilter(t, q)
        return (items.filter(filter), rv)
    }

    private func selectionFilter(_ t: ResourceTarget, _ q: Query) throws(APIError) -> @Sendable (JSONValue) -> Bool {
        var labels = LabelSelector.everything
        var fields: FieldSelector?
        do {
            if let text = q["labelSelector"], !text.isEmpty { labels = try LabelSelector.parse(text) }
            if let text = q["fieldSelector"], !text.isEmpty { fields = try FieldSelector.parse(text) }
        } catch {
            throw .badRequest("unable to parse requirement: \(error.message)")
        }
        let strategy = registry.strategy(t.resource)
        if let fields {
            let known = strategy.selectableFields(.object([:])).keys
            for f in fields.requirements.map(\.field) where !known.contains(f) {
                throw .badRequest("field label not supported: \(f)")
            }
        }
        let labelSelector = labels
        let fieldSelector = fields
        return { obj in
            if !labelSelector.isEmpty && !labelSelector.matches(labelsOf(obj)) { return false }
            if let fieldSelector, !fieldSelector.matches(strategy.selectableFields(obj)) { return false }
            return true
        }
    }

    private func list(_ t: ResourceTarget, _ q: Query, table: Bool) throws -> Response {
        var (items, rv) = try selected(t, q)
        var continueToken: String?
        var remaining: Int?
        if let token = q["continue"], !token.isEmpty {
            guard let c = ContinueToken(token) else { throw APIError.badRequest("continue key is not valid") }
            let ns = t.resource.namespaced ? t.namespace : nil
            let filter = try selectionFilter(t, q)
            do {
                items = try registry.store.list(resource: t.resource.storageKey, namespace: ns, at: c.resourceVersion)
                    .map(\.1).filter(filter)
            } catch {
                throw APIError.gone(
                    "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.")
            }
            rv = c.resourceVersion
            items = items.filter { Self.sortKey($0) > c.lastKey }
        }
        if let limit = q.int("limit"), limit > 0, items.count > limit {
            remaining = items.count - limit
            items = Array(items.prefix(limit))
            if let last = items.last {
                continueToken = ContinueToken(resourceVersion: rv, lastKey: Self.sortKey(last)).encoded
            }
        }
        if table {
            return Self.json(TablePrinter.table(resource: t.resource, objects: items, resourceVersion: String(rv),
                                                continueToken: continueToken, now: Date()))
        }
        var list = listObject(t.resource, items, rv: rv, continueToken: continueToken)
        if let remaining { list.setValue(.int(Int64(remaining)), at: ["metadata", "remainingItemCount"]) }
        return Self.json(list)
    }

    private func listObject(_ r: APIResource, _ items: [JSONValue], rv: Int64, continueToken: String?) -> JSONValue {
        var meta: [String: JSONValue] = ["resourceVersion": .string(String(rv))]
        if let continueToken { meta["continue"] = .string(continueToken) }
        return ["kind": .string(r.kind + "List"), "apiVersion": .string(r.apiVersion), "metadata": .object(meta),
                "items": .array(items)]
    }

    static func sortKey(_ obj: JSONValue) -> String {
        (obj.value(at: ["metadata", "namespace"])?.stringValue ?? "") + "/" + (obj.value(at: ["metadata", "name"])?.stringValue ?? "")
    }

    // MARK: Watch

    private func watch(_ t: ResourceTarget, _ q: Query, table: Bool) throws -> Response {
        let filter = try selectionFilter(t, q)
        let rvText = q["resourceVersion"] ?? ""
        let from: Int64?
        if rvText.isEmpty || rvText == "0" {
            from = nil
        } else if let v = Int64(rvText) {
            from = v
        } else {
            throw APIError.badRequest("invalid resource version: \(rvText)")
        }
        let r = t.resource
        let ns = r.namespaced ? t.namespace : nil
        let bookmarks = q.bool("allowWatchBookmarks")
        let timeout = q.int("timeoutSeconds").map { max(1, $0) }
        let store = registry.store
        let opened = Result { () throws(StoreError) in try store.watch(resource: r.storageKey, namespace: ns, from: from) }
        guard case .success(let (events, startRV)) = opened else {
            // kube answers a too-old watch with 200 and a single ERROR event carrying a 410 Status.
            var message = "too old resource version"
            if case .failure(.gone(let requested, let oldest)) = opened {
                message = "too old resource version: \(requested) (\(oldest - 1))"
            }
            let status = APIError.gone(message).status
            let line = JSONWriter.bytes(["type": "ERROR", "object": ObjectCodec.encode(status)]) + [0x0A]
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: line)))
        }
        let body = ResponseBody { writer in
            enum Output: Sendable {
                case event(StoreEvent)
                case bookmark
                case keepalive
            }
            let (out, cont) = AsyncStream<Output>.makeStream()
            let forward = Task {
                for await e in events { cont.yield(.event(e)) }
                cont.finish()
            }
            let ticker = Task {
                var elapsed = 0
                while !Task.isCancelled {
                    try await Task.sleep(for: .seconds(1))
                    elapsed += 1
                    if let timeout, elapsed >= timeout {
                        cont.finish()
                        return
                    }
                    if bookmarks && elapsed % 30 == 0 {
                        cont.yield(.bookmark)
                    } else if elapsed % 5 == 0 {
                        // Whitespace between events is valid in a JSON stream; writing it finds clients that left.
                        cont.yield(.keepalive)
                    }
                }
            }
            defer {
                forward.cancel()
                ticker.cancel()
            }
            // A server shutting down ends its watches (clients relist elsewhere or on restart).
            let shutdown = Task { try await gracefulShutdown(); cont.finish() }
            defer { shutdown.cancel() }
            var lastRV = startRV
            var first = true
            for await output in out {
                let line: JSONValue
                switch output {
                case .keepalive:
                    try await writer.write(ByteBuffer(bytes: [0x0A]))
                    continue
                case .bookmark:
                    line = ["type": "BOOKMARK",
                            "object": ["kind": .string(r.kind), "apiVersion": .string(r.apiVersion),
                                       "metadata": ["resourceVersion": .string(String(lastRV))]]]
                case .event(let e):
                    lastRV = max(lastRV, e.resourceVersion)
                    let now = filter(e.object)
                    let before = e.previous.map(filter) ?? false
                    let type: WatchEventType
                    var leftSelection = false
                    switch e.type {
                    case .added:
                        guard now else { continue }
                        type = .added
                    case .deleted:
                        guard before || now else { continue }
                        type = .deleted
                    case .modified:
                        if now && before {
                            type = .modified
                        } else if now {
                            type = .added
                        } else if before {
                            type = .deleted
                            leftSelection = true
                        } else {
                            continue
                        }
                    }
                    if leftSelection, var previous = e.previous {
                        // Leaving the selection is reported, as kube-apiserver does, with the object as the watcher
                        // last saw it, at the resourceVersion of the change.
                        previous.setValue(.string(String(e.resourceVersion)), at: ["metadata", "resourceVersion"])
                        first = false
                        try await writer.write(ByteBuffer(bytes: JSONWriter.bytes(["type": "DELETED", "object": previous]) + [0x0A]))
                        continue
                    }
                    if table && type != .deleted {
                        let object = TablePrinter.table(resource: r, objects: [e.object], resourceVersion: String(e.resourceVersion),
                                                        continueToken: nil, now: Date(), includeColumnDefinitions: first)
                        line = ["type": .string(type.rawValue), "object": object]
                    } else {
                        // The common case: the stored object as is, encoded once for all watchers.
                        var bytes = Array("{\"type\":\"\(type.rawValue)\",\"object\":".utf8)
                        bytes += e.objectBytes.bytes
                        bytes += Array("}\n".utf8)
                        first = false
                        try await writer.write(ByteBuffer(bytes: bytes))
                        continue
                    }
                    first = false
                }
                try await writer.write(ByteBuffer(bytes: JSONWriter.bytes(line) + [0x0A]))
            }
            try await writer.finish(nil)
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-cache, private"
        return Response(status: .ok, headers: headers, body: body)
    }

    // MARK: Subresources

    private func scale(of obj: JSONValue, _ r: APIResource) throws(APIError) -> JSONValue {
        let selector = try? LabelSelector(json: obj.value(at: ["spec", "selector"]) ?? .object([:]))
        var meta: [String: JSONValue] = [:]
        for f in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] {
            if let v = obj.value(at: ["metadata", f]) { meta[f] = v }
        }
        return ["kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": .object(meta),
                "spec": ["replicas": obj.value(at: ["spec", "replicas"]) ?? 0],
                "status": ["replicas": obj.value(at: ["status", "replicas"]) ?? 0,
                           "selector": .string(selector?.description ?? "")]]
    }

    private func setScale(_ t: ResourceTarget, name: String, replicas: Int, precondition: String?) async throws -> Response {
        var patch: JSONValue = ["spec": ["replicas": .int(Int64(replicas))]]
        if let precondition, !precondition.isEmpty { patch.setValue(.string(precondition), at: ["metadata", "resourceVersion"]) }
        let result = try await registry.patch(t.resource, namespace: t.namespace, name: name, type: .merge, patch: patch)
        return Self.json(try scale(of: result.object, t.resource))
    }

    private func bind(_ t: ResourceTarget, name: String, _ body: JSONValue) async throws -> Response {
        guard let node = body.value(at: ["target", "name"])?.stringValue, !node.isEmpty else {
            throw APIError.invalid(ResourceCatalog.pods, name, [.required(FieldPath.root("target").child("name"), "")])
        }
        let pod = try registry.get(ResourceCatalog.pods, namespace: t.namespace, name: name)
        if let existing = pod.value(at: ["spec", "nodeName"])?.stringValue, !existing.isEmpty {
            throw APIError(code: 409, reason: "Conflict", message: "pod \(name) is already assigned to node \"\(existing)\"")
        }
        _ = try await registry.bind(namespace: t.namespace ?? "default", name: name, node: node)
        return Self.json(ObjectCodec.encode(Status(code: 201, reason: "", message: "", status: "Success")), status: .created)
    }

    private func podLog(_ t: ResourceTarget, name: String, _ q: Query) async throws -> Response {
        let pod = try registry.get(ResourceCatalog.pods, namespace: t.namespace, name: name)
        let containers = pod.value(at: ["spec", "containers"])?.arrayValue ?? []
        let container = q["container"] ?? containers.first?["name"]?.stringValue ?? ""
        guard containers.contains(where: { $0["name"]?.stringValue == container }) else {
            throw APIError.badRequest("container \(container) is not valid for pod \(name)")
        }
        guard let source = registry.logSource else {
            throw APIError.badRequest("container \"\(container)\" in pod \"\(name)\" is waiting to start: ContainerCreating")
        }
        let stream = try await source.logs(namespace: t.namespace ?? "default", pod: name, container: container,
                                           follow: q.bool("follow"), tailLines: q.int("tailLines"))
        var headers = HTTPFields()
        headers[.contentType] = "text/plain"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            for await chunk in stream { try await writer.write(ByteBuffer(bytes: chunk)) }
            try await writer.finish(nil)
        })
    }

    // MARK: Bodies

    private func patchType(_ request: Request) throws(APIError) -> PatchType {
        let ct = (request.headers[.contentType] ?? "").split(separator: ";").first.map(String.init)?
            .trimmingCharacters(in: .whitespaces) ?? ""
        guard let type = PatchType(rawValue: ct) else { throw .unsupportedMediaType(ct) }
        return type
    }

    private func readBody(_ request: Request) async throws -> [UInt8] {
        let body = request.body
        do {
            let buffer = try await body.collect(upTo: maxBodyBytes)
            return Array(buffer.readableBytesView)
        } catch {
            throw APIError.tooLarge(maxBodyBytes)
        }
    }

    /// Decodes JSON, YAML or protobuf, and reads the write options from the query.
    private func decodeBody(_ request: Request, _ q: Query, patch: PatchType? = nil) async throws -> (JSONValue, WriteOptions) {
        let bytes = try await readBody(request)
        var options = WriteOptions()
        options.fieldValidation = FieldValidation(rawValue: q["fieldValidation"] ?? "") ?? .warn
        options.dryRun = q["dryRun"] == "All"
        let ct = (request.headers[.contentType] ?? "application/json").split(separator: ";").first.map(String.init)?
            .trimmingCharacters(in: .whitespaces).lowercased() ?? "application/json"
        if bytes.isEmpty { throw APIError.badRequest("the request body is empty") }
        switch ct {
        case "application/json", "", "application/merge-patch+json", "application/strategic-merge-patch+json",
            "application/json-patch+json":
            do {
                let (value, dups) = try JSONParser.parseReportingDuplicates(bytes)
                options.duplicateFields = dups
                return (value, options)
            } catch {
                throw APIError.badRequest("error decoding JSON body: \(error.description)")
            }
        case "application/yaml", "application/apply-patch+yaml", "application/x-yaml", "text/yaml":
            if let (value, dups) = try? JSONParser.parseReportingDuplicates(bytes) {
                options.duplicateFields = dups
                return (value, options)
            }
            return (try Self.parseYAML(bytes), options)
        case "application/vnd.kubernetes.protobuf":
            do {
                return (try KubeProtobuf.decode(bytes), options)
            } catch {
                throw APIError.badRequest("error decoding protobuf body: \(error.message)")
            }
        default:
            throw APIError.unsupportedMediaType(ct)
        }
    }

    static func parseYAML(_ bytes: [UInt8]) throws(APIError) -> JSONValue {
        let text = String(decoding: bytes, as: UTF8.self)
        let loaded: Any?
        do {
            loaded = try Yams.load(yaml: text)
        } catch {
            throw .badRequest("error decoding YAML body: \(error)")
        }
        guard let loaded else { throw .badRequest("the YAML body is empty") }
        return yamlToJSON(loaded)
    }

    static func yamlToJSON(_ v: Any) -> JSONValue {
        switch v {
        case let b as Bool: return .bool(b)
        case let i as Int: return .int(Int64(i))
        case let d as Double: return .double(d)
        case let s as String: return .string(s)
        case let a as [Any]: return .array(a.map(yamlToJSON))
        case let o as [String: Any]: return .object(o.mapValues(yamlToJSON))
        case let o as [AnyHashable: Any]:
            return .object(Dictionary(o.map { ("\($0.key)", yamlToJSON($0.value)) }, uniquingKeysWith: { a, _ in a }))
        default: return .null
        }
    }

    private func deleteOptions(_ request: Request, _ q: Query) async throws -> DeleteOptions {
        var options = DeleteOptions()
        let bytes = (try? await readBody(request)) ?? []
        let body = bytes.isEmpty ? JSONValue.object([:]) : ((try? JSONParser.parse(bytes)) ?? .object([:]))
        let propagation = q["propagationPolicy"] ?? body["propagationPolicy"]?.stringValue
        if let propagation {
            guard let p = DeleteOptions.Propagation(rawValue: propagation) else {
                throw APIError.badRequest("propagationPolicy: Unsupported value: \"\(propagation)\"")
            }
            options.propagation = p
        } else if q["orphanDependents"] == "true" || body["orphanDependents"]?.boolValue == true {
            options.propagation = .orphan
        }
        options.gracePeriodSeconds = q["gracePeriodSeconds"].flatMap { Int64($0) } ?? body["gracePeriodSeconds"]?.intValue
        options.preconditionUID = body.value(at: ["preconditions", "uid"])?.stringValue
        options.preconditionResourceVersion = body.value(at: ["preconditions", "resourceVersion"])?.stringValue
        options.dryRun = q["dryRun"] == "All"
        return options
    }

    // MARK: Responses

    static let versionInfo: JSONValue = [
        "major": "1", "minor": "32", "gitVersion": "v1.32.0-junction", "gitCommit": "junction",
        "gitTreeState": "clean", "buildDate": "2026-11-22T00:00:00Z", "goVersion": "n/a (Swift)",
        "compiler": "swift", "platform": "linux/amd64",
    ]

    static func rv(_ obj: JSONValue) -> String { obj.value(at: ["metadata", "resourceVersion"])?.stringValue ?? "" }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, contentType: String = "application/json",
                     warnings: [String] = []) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        for w in warnings {
            if let name = HTTPField.Name("Warning") {
                let escaped = w.replacingOccurrences(of: "\"", with: "\\\"")
                headers.append(HTTPField(name: name, value: "299 - \"\(escaped)\""))
            }
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: JSONWriter.bytes(value))))
    }

    static func text(_ s: String, status: HTTPResponse.Status, name: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: s)))
    }

    static func statusResponse(_ e: APIError) -> Response {
        json(ObjectCodec.encode(e.status), status: HTTPResponse.Status(code: e.code))
    }
}

/// An opaque continue token: the list's resourceVersion and the last key returned.
struct ContinueToken {
    var resourceVersion: Int64
    var lastKey: String

    init(resourceVersion: Int64, lastKey: String) {
        self.resourceVersion = resourceVersion
        self.lastKey = lastKey
    }

    init?(_ token: String) {
        guard let data = Data(base64Encoded: token), let json = try? JSONParser.parse(data),
            let rv = json["rv"]?.intValue, let key = json["start"]?.stringValue
        else { return nil }
        self.init(resourceVersion: rv, lastKey: key)
    }

    var encoded: String {
        Data(JSONWriter.bytes(["rv": .int(resourceVersion), "start": .string(lastKey)])).base64EncodedString()
    }
}
