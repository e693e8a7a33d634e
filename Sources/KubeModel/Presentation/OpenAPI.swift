/// OpenAPI v3 documents, served so that `kubectl create -f` and `apply -f` work with default validation.
///
/// kubectl looks in the group-version document for a PATCH operation tagged with the object's
/// `x-kubernetes-group-version-kind` that lists a `fieldValidation` query parameter; finding one, it leaves
/// validation to the server (`?fieldValidation=Strict`). Component schemas are deliberately shallow: enough
/// for `kubectl explain <kind>` to find the kind, not a full API description.
///
/// PATCH operations carry no request body on purpose. If one referenced the `meta.v1.Patch` schema, kubectl's
/// client-side apply would compute strategic merge patches from these schemas, which lack the merge keys, and
/// would replace whole lists; without it kubectl uses its compiled-in types.
public enum OpenAPI {
    /// `{"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1?hash=…"},…}}` for GET /openapi/v3.
    public static func v3Root() -> JSONValue { root }

    /// The document for "api/v1", "apis/apps/v1", …; nil for a group-version that is not served.
    /// A leading "/" and a query string ("?hash=…") are ignored, so a request path can be passed as it came.
    public static func v3Document(path: String) -> JSONValue? {
        documents[normalize(path)]?.document
    }

    /// The stable digest of a document, for the `hash` query parameter and an ETag.
    public static func v3Hash(path: String) -> String? {
        documents[normalize(path)]?.hash
    }

    /// Any stable 64-bit digest will do; the value only has to change when the document does. FNV-1a over the
    /// canonical (sorted-key) JSON bytes, written as 16 upper-case hex digits.
    public static func digest(_ value: JSONValue) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in JSONWriter.bytes(value) {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16, uppercase: true)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    // MARK: - Cached documents

    // The catalog is fixed at compile time, so every document and hash is built once, on first use.

    private static let documents: [String: (document: JSONValue, hash: String)] = {
        var result: [String: (document: JSONValue, hash: String)] = [:]
        for entry in ResourceCatalog.groups {
            let doc = buildDocument(group: entry.group, version: entry.version, resources: entry.resources)
            result[urlPath(group: entry.group, version: entry.version)] = (doc, digest(doc))
        }
        return result
    }()

    private static let root: JSONValue = {
        var paths: [String: JSONValue] = [:]
        for (path, entry) in documents {
            paths[path] = ["serverRelativeURL": .string("/openapi/v3/\(path)?hash=\(entry.hash)")]
        }
        return ["paths": .object(paths)]
    }()

    private static func urlPath(group: String, version: String) -> String {
        group.isEmpty ? "api/\(version)" : "apis/\(group)/\(version)"
    }

    private static func normalize(_ path: String) -> String {
        var p = Substring(path)
        if let q = p.firstIndex(of: "?") { p = p[..<q] }
        while p.hasPrefix("/") { p = p.dropFirst() }
        if p.hasPrefix("openapi/v3/") { p = p.dropFirst("openapi/v3/".count) }
        while p.hasSuffix("/") { p = p.dropLast() }
        return String(p)
    }

    // MARK: - Document construction

    private static func buildDocument(group: String, version: String, resources: [APIResource]) -> JSONValue {
        var paths: [String: JSONValue] = [:]
        var schemas: [String: JSONValue] = [
            objectMetaSchemaName: objectMetaSchema,
            listMetaSchemaName: listMetaSchema,
        ]
        let prefix = "/" + urlPath(group: group, version: version)
        let operationPrefix = operationGroupName(group: group, version: version)

        for r in resources {
            let kindRef = schemaName(group: r.group, version: r.version, kind: r.kind)
            let listRef = schemaName(group: r.group, version: r.version, kind: r.kind + "List")
            schemas[kindRef] = kindSchema(r)
            schemas[listRef] = listSchema(r, itemRef: kindRef)
            let scoped = r.namespaced ? "Namespaced" : ""
            let gvk = gvkExtension(r.group, r.version, r.kind)
            let base = r.namespaced ? "\(prefix)/namespaces/{namespace}/\(r.plural)" : "\(prefix)/\(r.plural)"
            let pathParams: [JSONValue] = r.namespaced ? [namespaceParameter] : []

            // Collection: list, create, deletecollection.
            var collection: [String: JSONValue] = ["parameters": .array(pathParams)]
            if r.verbs.contains("list") {
                collection["get"] = operation(
                    id: "list\(operationPrefix)\(scoped)\(r.kind)", action: "list", gvk: gvk,
                    parameters: listParameters, responseRef: listRef)
            }
            if r.verbs.contains("create") {
                collection["post"] = operation(
                    id: "create\(operationPrefix)\(scoped)\(r.kind)", action: "post", gvk: gvk,
                    parameters: writeParameters, responseRef: kindRef, body: kindRef, created: true)
            }
            if r.verbs.contains("deletecollection") {
                collection["delete"] = operation(
                    id: "deletecollection\(operationPrefix)\(scoped)\(r.kind)", action: "deletecollection",
                    gvk: gvk, parameters: listParameters, responseRef: nil)
            }
            paths[base] = .object(collection)

            // All namespaces at once, as `kubectl get -A` reads them.
            if r.namespaced, r.verbs.contains("list") {
                paths["\(prefix)/\(r.plural)"] = [
                    "get": operation(
                        id: "list\(operationPrefix)\(r.kind)ForAllNamespaces", action: "list", gvk: gvk,
                        parameters: listParameters, responseRef: listRef)
                ]
            }

            // Item: get, replace, patch, delete.
            var item: [String: JSONValue] = ["parameters": .array([nameParameter(r.kind)] + pathParams)]
            if r.verbs.contains("get") {
                item["get"] = operation(
                    id: "read\(operationPrefix)\(scoped)\(r.kind)", action: "get", gvk: gvk, parameters: [],
                    responseRef: kindRef)
            }
            if r.verbs.contains("update") {
                item["put"] = operation(
                    id: "replace\(operationPrefix)\(scoped)\(r.kind)", action: "put", gvk: gvk,
                    parameters: writeParameters, responseRef: kindRef, body: kindRef)
            }
            if r.verbs.contains("patch") {
                item["patch"] = operation(
                    id: "patch\(operationPrefix)\(scoped)\(r.kind)", action: "patch", gvk: gvk,
                    parameters: patchParameters, responseRef: kindRef)
            }
            if r.verbs.contains("delete") {
                item["delete"] = operation(
                    id: "delete\(operationPrefix)\(scoped)\(r.kind)", action: "delete", gvk: gvk,
                    parameters: deleteParameters, responseRef: nil)
            }
            paths["\(base)/{name}"] = .object(item)

            // Subresources: status and scale take the same read/replace/patch verbs; others (log, binding) are
            // streaming or action endpoints that kubectl never validates against, so they are left out.
            for sub in r.subresources where sub.name == "status" || sub.name == "scale" {
                let subRef = schemaName(group: sub.group, version: sub.version, kind: sub.kind)
                if schemas[subRef] == nil { schemas[subRef] = subresourceKindSchema(sub) }
                let subGVK = gvkExtension(sub.group, sub.version, sub.kind)
                let suffix = sub.name.prefix(1).uppercased() + sub.name.dropFirst()
                var subPath: [String: JSONValue] = ["parameters": .array([nameParameter(sub.kind)] + pathParams)]
                if sub.verbs.contains("get") {
                    subPath["get"] = operation(
                        id: "read\(operationPrefix)\(scoped)\(r.kind)\(suffix)", action: "get", gvk: subGVK,
                        parameters: [], responseRef: subRef)
                }
                if sub.verbs.contains("update") {
                    subPath["put"] = operation(
                        id: "replace\(operationPrefix)\(scoped)\(r.kind)\(suffix)", action: "put", gvk: subGVK,
                        parameters: writeParameters, responseRef: subRef, body: subRef)
                }
                if sub.verbs.contains("patch") {
                    subPath["patch"] = operation(
                        id: "patch\(operationPrefix)\(scoped)\(r.kind)\(suffix)", action: "patch", gvk: subGVK,
                        parameters: patchParameters, responseRef: subRef)
                }
                paths["\(base)/{name}/\(sub.name)"] = .object(subPath)
            }
        }

        return [
            "openapi": "3.0.0",
            "info": ["title": "Kubernetes", "version": "v1.32.0"],
            "paths": .object(paths),
            "components": ["schemas": .object(schemas)],
        ]
    }

    private static func operation(
        id: String, action: String, gvk: JSONValue, parameters: [JSONValue], responseRef: String?,
        body: String? = nil, created: Bool = false
    ) -> JSONValue {
        let okBody: JSONValue =
            if let responseRef {
                ["description": "OK", "content": ["application/json": ["schema": schemaRef(responseRef)]]]
            } else {
                ["description": "OK"]
            }
        var responses: [String: JSONValue] = ["200": okBody, "401": ["description": "Unauthorized"]]
        if created { responses["201"] = okBody }
        var op: [String: JSONValue] = [
            "operationId": .string(id),
            "parameters": .array(parameters),
            "responses": .object(responses),
            "x-kubernetes-action": .string(action),
            "x-kubernetes-group-version-kind": gvk,
        ]
        if let body {
            op["requestBody"] = [
                "required": true,
                "content": ["application/json": ["schema": schemaRef(body)]],
            ]
        }
        return .object(op)
    }

    private static func schemaRef(_ name: String) -> JSONValue {
        ["$ref": .string("#/components/schemas/\(name)")]
    }

    // MARK: Parameters

    private static func query(_ name: String, _ type: String, _ description: String) -> JSONValue {
        [
            "name": .string(name), "in": "query", "description": .string(description),
            "schema": ["type": .string(type), "uniqueItems": true],
        ]
    }

    private static let namespaceParameter: JSONValue = [
        "name": "namespace", "in": "path", "required": true,
        "description": "object name and auth scope, such as for teams and projects",
        "schema": ["type": "string", "uniqueItems": true],
    ]

    private static func nameParameter(_ kind: String) -> JSONValue {
        [
            "name": "name", "in": "path", "required": true, "description": .string("name of the \(kind)"),
            "schema": ["type": "string", "uniqueItems": true],
        ]
    }

    private static let dryRun = query(
        "dryRun", "string", "When present, indicates that modifications should not be persisted.")
    private static let fieldManager = query("fieldManager", "string", "Name of the actor making these changes.")
    private static let fieldValidation = query(
        "fieldValidation", "string",
        "How to treat unknown or duplicate fields in the request: Ignore, Warn or Strict.")

    private static let writeParameters: [JSONValue] = [dryRun, fieldManager, fieldValidation]
    private static let patchParameters: [JSONValue] =
        writeParameters + [query("force", "boolean", "Force apply requests to take over conflicting fields.")]
    private static let deleteParameters: [JSONValue] = [
        dryRun,
        query("gracePeriodSeconds", "integer", "Seconds before the object should be deleted."),
        query("propagationPolicy", "string", "Orphan, Background or Foreground garbage collection of dependents."),
    ]
    private static let listParameters: [JSONValue] = [
        query("allowWatchBookmarks", "boolean", "Request BOOKMARK watch events."),
        query("continue", "string", "Continue token from a previous paginated list."),
        query("fieldSelector", "string", "Restrict the list by fields, e.g. metadata.name=web."),
        query("labelSelector", "string", "Restrict the list by labels."),
        query("limit", "integer", "Maximum number of items to return."),
        query("resourceVersion", "string", "Which version of the collection to serve or watch from."),
        query("timeoutSeconds", "integer", "Timeout for list and watch calls."),
        query("watch", "boolean", "Stream changes instead of returning a list."),
    ]

    // MARK: Schemas

    private static let objectMetaSchemaName = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
    private static let listMetaSchemaName = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"

    /// Upstream names schemas after Go packages: the core group is "core", and a dotted group uses its first
    /// label ("discovery.k8s.io" → "discovery"). Kubectl matches schemas by GVK extension, not name.
    private static func schemaName(group: String, version: String, kind: String) -> String {
        let package = group.isEmpty ? "core" : String(group.split(separator: ".").first ?? Substring(group))
        return "io.k8s.api.\(package).\(version).\(kind)"
    }

    private static func operationGroupName(group: String, version: String) -> String {
        let words = (group.isEmpty ? ["core"] : group.split(separator: ".").prefix(1).map(String.init)) + [version]
        return words.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    private static func gvkExtension(_ group: String, _ version: String, _ kind: String) -> JSONValue {
        ["group": .string(group), "version": .string(version), "kind": .string(kind)]
    }

    private static func typed(_ type: String, _ description: String) -> JSONValue {
        ["type": .string(type), "description": .string(description)]
    }

    private static let apiVersionProperty = typed(
        "string", "APIVersion defines the versioned schema of this representation of an object.")
    private static let kindProperty = typed(
        "string", "Kind is a string value representing the REST resource this object represents.")

    private static func kindSchema(_ r: APIResource) -> JSONValue {
        var properties: [String: JSONValue] = [
            "apiVersion": apiVersionProperty,
            "kind": kindProperty,
            "metadata": [
                "allOf": [schemaRef(objectMetaSchemaName)],
                "default": [:],
                "description": "Standard object's metadata.",
            ],
        ]
        switch r.kind {
        case "Lease":
            properties["spec"] = typed("object", "Specification of the Lease.")
        case "EndpointSlice":
            properties["addressType"] = typed("string", "The type of address carried by this EndpointSlice.")
            properties["endpoints"] = [
                "type": "array", "description": "A list of unique endpoints in this slice.",
                "items": ["type": "object"],
            ]
            properties["ports"] = [
                "type": "array", "description": "The network ports exposed by each endpoint.",
                "items": ["type": "object"],
            ]
        default:
            properties["spec"] = typed("object", "Desired state of the \(r.kind).")
            properties["status"] = typed("object", "Most recently observed state of the \(r.kind); read-only.")
        }
        var schema: [String: JSONValue] = [
            "type": "object",
            "description": .string("\(r.kind) (\(r.apiVersion)), served by Junction."),
            "properties": .object(properties),
            "x-kubernetes-group-version-kind": [gvkExtension(r.group, r.version, r.kind)],
        ]
        if r.kind == "EndpointSlice" { schema["required"] = ["addressType", "endpoints"] }
        return .object(schema)
    }

    private static func subresourceKindSchema(_ sub: APIResource.Subresource) -> JSONValue {
        [
            "type": "object",
            "description": .string("\(sub.kind) (\(sub.group.isEmpty ? sub.version : "\(sub.group)/\(sub.version)"))."),
            "properties": [
                "apiVersion": apiVersionProperty,
                "kind": kindProperty,
                "metadata": [
                    "allOf": [schemaRef(objectMetaSchemaName)],
                    "default": [:],
                    "description": "Standard object's metadata.",
                ],
                "spec": typed("object", "Desired state."),
                "status": typed("object", "Observed state; read-only."),
            ],
            "x-kubernetes-group-version-kind": [gvkExtension(sub.group, sub.version, sub.kind)],
        ]
    }

    private static func listSchema(_ r: APIResource, itemRef: String) -> JSONValue {
        [
            "type": "object",
            "description": .string("A list of \(r.kind) objects."),
            "required": ["items"],
            "properties": [
                "apiVersion": apiVersionProperty,
                "kind": kindProperty,
                "items": [
                    "type": "array", "description": .string("The \(r.kind) objects."),
                    "items": ["allOf": [schemaRef(itemRef)], "default": [:]],
                ],
                "metadata": [
                    "allOf": [schemaRef(listMetaSchemaName)],
                    "default": [:],
                    "description": "Standard list metadata.",
                ],
            ],
            "x-kubernetes-group-version-kind": [gvkExtension(r.group, r.version, r.kind + "List")],
        ]
    }

    private static let objectMetaSchema: JSONValue = [
        "type": "object",
        "description": "Metadata every persisted resource carries.",
        "properties": [
            "name": typed("string", "Name, unique within a namespace."),
            "generateName": typed("string", "Prefix the server uses to generate a unique name."),
            "namespace": typed("string", "Namespace the object belongs to."),
            "uid": typed("string", "Unique identifier the server assigns."),
            "resourceVersion": typed("string", "Opaque version used for optimistic concurrency and watches."),
            "generation": ["type": "integer", "format": "int64", "description": "Sequence number of spec changes."],
            "creationTimestamp": [
                "type": "string", "format": "date-time", "description": "When the object was created.",
            ],
            "deletionTimestamp": [
                "type": "string", "format": "date-time", "description": "When deletion was requested.",
            ],
            "labels": [
                "type": "object", "description": "Map of string keys and values for selecting objects.",
                "additionalProperties": ["type": "string", "default": ""],
            ],
            "annotations": [
                "type": "object", "description": "Map of string keys and values for arbitrary metadata.",
                "additionalProperties": ["type": "string", "default": ""],
            ],
            "finalizers": [
                "type": "array", "description": "Conditions that must be cleared before deletion.",
                "items": ["type": "string", "default": ""],
            ],
            "ownerReferences": [
                "type": "array", "description": "Objects this object depends on.", "items": ["type": "object"],
            ],
        ],
    ]

    private static let listMetaSchema: JSONValue = [
        "type": "object",
        "description": "Metadata of a list.",
        "properties": [
            "resourceVersion": typed("string", "Version of the collection, where a watch may start."),
            "continue": typed("string", "Token for the next page, when the list was truncated."),
            "remainingItemCount": ["type": "integer", "format": "int64", "description": "Items not yet returned."],
        ],
    ]
}
