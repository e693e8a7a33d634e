import KubeModel
import Testing

@Suite("OpenAPI v3 documents")
struct PresentationOpenAPITests {
    static func path(_ resource: APIResource) -> String {
        resource.group.isEmpty ? "api/\(resource.version)" : "apis/\(resource.group)/\(resource.version)"
    }

    /// The check kubectl's field-validation verifier performs: the first PATCH operation tagged with the GVK
    /// must list a `fieldValidation` query parameter.
    static func patchOperations(in doc: JSONValue, group: String, version: String, kind: String) -> [JSONValue] {
        let gvk: JSONValue = ["group": .string(group), "version": .string(version), "kind": .string(kind)]
        return (doc["paths"]?.objectValue ?? [:]).values.compactMap { item in
            guard let patch = item["patch"], patch["x-kubernetes-group-version-kind"] == gvk else { return nil }
            return patch
        }
    }

    @Test func rootListsEveryGroupVersionWithItsHash() throws {
        let paths = try #require(OpenAPI.v3Root()["paths"]?.objectValue)
        #expect(Set(paths.keys) == Set(ResourceCatalog.groups.map { $0.group.isEmpty ? "api/\($0.version)" : "apis/\($0.group)/\($0.version)" }))
        for (path, entry) in paths {
            let hash = try #require(OpenAPI.v3Hash(path: path))
            #expect(entry["serverRelativeURL"] == .string("/openapi/v3/\(path)?hash=\(hash)"))
        }
    }

    @Test func appsV1HasDeploymentPatchWithFieldValidation() throws {
        let doc = try #require(OpenAPI.v3Document(path: "apis/apps/v1"))
        #expect(doc["openapi"] == "3.0.0")
        let item = try #require(doc["paths"]?["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"])
        let patch = try #require(item["patch"])
        #expect(patch["x-kubernetes-group-version-kind"] == ["group": "apps", "version": "v1", "kind": "Deployment"])
        let parameters = patch["parameters"]?.arrayValue ?? []
        #expect(parameters.contains { $0["name"] == "fieldValidation" && $0["in"] == "query" })
        for verb in ["get", "put", "delete"] { #expect(item[verb] != nil, "\(verb)") }
        let collection = try #require(doc["paths"]?["/apis/apps/v1/namespaces/{namespace}/deployments"])
        #expect(collection["get"]?["x-kubernetes-action"] == "list")
        #expect(collection["post"]?["x-kubernetes-action"] == "post")
        #expect(doc["paths"]?["/apis/apps/v1/deployments"]?["get"] != nil)
    }

    @Test(arguments: ResourceCatalog.all)
    func everyKindPassesKubectlsFieldValidationCheck(resource: APIResource) throws {
        let doc = try #require(OpenAPI.v3Document(path: Self.path(resource)))
        let patches = Self.patchOperations(in: doc, group: resource.group, version: resource.version, kind: resource.kind)
        #expect(!patches.isEmpty)
        for patch in patches {
            let names = (patch["parameters"]?.arrayValue ?? []).filter { $0["in"] == "query" }.compactMap { $0["name"] }
            #expect(names.contains("fieldValidation"))
            // A body referencing meta.v1.Patch would make kubectl compute patches from these shallow schemas.
            #expect(patch["requestBody"] == nil)
        }
        let schemas = doc["components"]?["schemas"]?.objectValue ?? [:]
        let tagged = schemas.values.filter {
            $0["x-kubernetes-group-version-kind"]?.arrayValue?.contains([
                "group": .string(resource.group), "version": .string(resource.version), "kind": .string(resource.kind),
            ]) == true
        }
        #expect(tagged.count == 1)
    }

    @Test func clusterScopedPathsHaveNoNamespace() throws {
        let doc = try #require(OpenAPI.v3Document(path: "api/v1"))
        #expect(doc["paths"]?["/api/v1/nodes/{name}"]?["patch"] != nil)
        #expect(doc["paths"]?["/api/v1/namespaces/{namespace}/nodes/{name}"] == nil)
        #expect(doc["paths"]?["/api/v1/namespaces/{name}"]?["patch"] != nil)
        #expect(doc["paths"]?["/api/v1/namespaces/{namespace}/services/{name}/status"]?["patch"] != nil)
    }

    @Test func everyReferenceResolves() throws {
        for group in ResourceCatalog.groups {
            let path = group.group.isEmpty ? "api/\(group.version)" : "apis/\(group.group)/\(group.version)"
            let doc = try #require(OpenAPI.v3Document(path: path))
            let schemas = doc["components"]?["schemas"]?.objectValue ?? [:]
            var refs: [String] = []
            func collect(_ value: JSONValue) {
                switch value {
                case .object(let fields):
                    if let ref = fields["$ref"]?.stringValue { refs.append(ref) }
                    fields.values.forEach(collect)
                case .array(let items): items.forEach(collect)
                default: break
                }
            }
            collect(doc)
            #expect(!refs.isEmpty)
            for ref in refs {
                let prefix = "#/components/schemas/"
                #expect(ref.hasPrefix(prefix))
                #expect(schemas[String(ref.dropFirst(prefix.count))] != nil, "\(path): \(ref)")
            }
        }
    }

    @Test func hashesAreStableAndContentDerived() throws {
        let first = try #require(OpenAPI.v3Hash(path: "apis/apps/v1"))
        #expect(OpenAPI.v3Hash(path: "apis/apps/v1") == first)
        #expect(OpenAPI.v3Root() == OpenAPI.v3Root())
        let doc = try #require(OpenAPI.v3Document(path: "apis/apps/v1"))
        #expect(OpenAPI.digest(doc) == first)
        #expect(first.count == 16)
        #expect(first.allSatisfy { $0.isHexDigit })
        #expect(OpenAPI.v3Hash(path: "api/v1") != first)
        #expect(OpenAPI.digest(["a": 1]) == OpenAPI.digest(["a": 1]))
        #expect(OpenAPI.digest(["a": 1]) != OpenAPI.digest(["a": 2]))
    }

    @Test func requestPathsAreNormalised() {
        #expect(OpenAPI.v3Document(path: "/openapi/v3/apis/apps/v1?hash=X") == OpenAPI.v3Document(path: "apis/apps/v1"))
        #expect(OpenAPI.v3Document(path: "/api/v1") != nil)
        #expect(OpenAPI.v3Document(path: "apis/batch/v1") == nil)
        #expect(OpenAPI.v3Document(path: "") == nil)
    }
}
