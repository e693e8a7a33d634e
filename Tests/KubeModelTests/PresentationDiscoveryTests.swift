import KubeModel
import Testing

@Suite("Discovery documents")
struct PresentationDiscoveryTests {
    /// The exact Accept header kubectl 1.32 sends to /api and /apis.
    static let kubectlAccept =
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"

    /// Every resource entry of an aggregated list, keyed by plural.
    static func aggregatedResources(_ list: JSONValue) -> [String: (group: String, version: String, entry: JSONValue)] {
        var result: [String: (String, String, JSONValue)] = [:]
        for item in list["items"]?.arrayValue ?? [] {
            let group = item["metadata"]?["name"]?.stringValue ?? ""
            for version in item["versions"]?.arrayValue ?? [] {
                for resource in version["resources"]?.arrayValue ?? [] {
                    if let plural = resource["resource"]?.stringValue {
                        result[plural] = (group, version["version"]?.stringValue ?? "", resource)
                    }
                }
            }
        }
        return result
    }

    @Test func aggregatedEnvelope() {
        let core = Discovery.aggregatedCore()
        #expect(core["kind"] == "APIGroupDiscoveryList")
        #expect(core["apiVersion"] == "apidiscovery.k8s.io/v2")
        #expect(core["metadata"] == [:])
        let items = core["items"]?.arrayValue ?? []
        #expect(items.count == 1)
        #expect(items.first?["metadata"] == [:])
        #expect(items.first?["versions"]?.arrayValue?.first?["freshness"] == "Current")

        let groups = Discovery.aggregatedGroups()["items"]?.arrayValue ?? []
        let names = groups.compactMap { $0["metadata"]?["name"]?.stringValue }
        #expect(names == ResourceCatalog.groups.map(\.group).filter { !$0.isEmpty })
        #expect(Discovery.aggregatedGroups(version: .v2beta1)["apiVersion"] == "apidiscovery.k8s.io/v2beta1")
    }

    @Test(arguments: ResourceCatalog.all)
    func aggregatedDescribesEveryResource(resource: APIResource) throws {
        let list = resource.group.isEmpty ? Discovery.aggregatedCore() : Discovery.aggregatedGroups()
        let found = try #require(Self.aggregatedResources(list)[resource.plural])
        #expect(found.group == resource.group)
        #expect(found.version == resource.version)
        let entry = found.entry
        #expect(entry["responseKind"] == ["group": .string(resource.group), "version": .string(resource.version), "kind": .string(resource.kind)])
        #expect(entry["scope"] == (resource.namespaced ? "Namespaced" : "Cluster"))
        #expect(entry["singularResource"] == .string(resource.singular))
        #expect(entry["verbs"] == .array(resource.verbs.map { .string($0) }))
        #expect((entry["shortNames"]?.arrayValue ?? []) == resource.shortNames.map { .string($0) })
        #expect((entry["categories"]?.arrayValue ?? []) == resource.categories.map { .string($0) })
        let subs = (entry["subresources"]?.arrayValue ?? []).compactMap { $0["subresource"]?.stringValue }
        #expect(subs == resource.subresources.map(\.name))
    }

    @Test(arguments: ["svc", "deploy", "po", "no", "ns", "rs"])
    func kubectlShortNamesAreAdvertised(shortName: String) {
        let all = Self.aggregatedResources(Discovery.aggregatedCore())
            .merging(Self.aggregatedResources(Discovery.aggregatedGroups())) { a, _ in a }
        let owners = all.values.filter { $0.entry["shortNames"]?.arrayValue?.contains(.string(shortName)) == true }
        #expect(owners.count == 1)
    }

    @Test func scaleSubresourceNamesItsOwnGroup() throws {
        let deployments = try #require(Self.aggregatedResources(Discovery.aggregatedGroups())["deployments"])
        let scale = try #require(deployments.entry["subresources"]?.arrayValue?.first { $0["subresource"] == "scale" })
        #expect(scale["responseKind"] == ["group": "autoscaling", "version": "v1", "kind": "Scale"])
        #expect(scale["verbs"] == ["get", "patch", "update"])
    }

    @Test func legacyCoreAndGroups() throws {
        #expect(
            Discovery.legacyCore(serverAddress: "127.0.0.1:6443") == [
                "kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"]],
            ])
        let groups = Discovery.legacyGroups()
        #expect(groups["kind"] == "APIGroupList")
        #expect(groups["apiVersion"] == "v1")
        let apps = try #require(groups["groups"]?.arrayValue?.first { $0["name"] == "apps" })
        #expect(apps["versions"] == [["groupVersion": "apps/v1", "version": "v1"]])
        #expect(apps["preferredVersion"] == ["groupVersion": "apps/v1", "version": "v1"])
        #expect(groups["groups"]?.arrayValue?.contains { $0["name"] == "" } == false)

        let group = try #require(Discovery.legacyGroup("discovery.k8s.io"))
        #expect(group["kind"] == "APIGroup")
        #expect(group["preferredVersion"]?["groupVersion"] == "discovery.k8s.io/v1")
        #expect(Discovery.legacyGroup("") == nil)
        #expect(Discovery.legacyGroup("batch") == nil)
    }

    @Test(arguments: ResourceCatalog.all)
    func legacyResourceListDescribesEveryResource(resource: APIResource) throws {
        let list = try #require(Discovery.resourceList(group: resource.group, version: resource.version))
        #expect(list["kind"] == "APIResourceList")
        #expect(list["groupVersion"] == .string(resource.apiVersion))
        let entries = list["resources"]?.arrayValue ?? []
        let entry = try #require(entries.first { $0["name"] == .string(resource.plural) })
        #expect(entry["kind"] == .string(resource.kind))
        #expect(entry["namespaced"] == .bool(resource.namespaced))
        #expect(entry["singularName"] == .string(resource.singular))
        #expect(entry["verbs"] == .array(resource.verbs.map { .string($0) }))
        #expect((entry["shortNames"]?.arrayValue ?? []) == resource.shortNames.map { .string($0) })
        for sub in resource.subresources {
            let subEntry = try #require(entries.first { $0["name"] == .string("\(resource.plural)/\(sub.name)") })
            #expect(subEntry["kind"] == .string(sub.kind))
            #expect(subEntry["singularName"] == "")
            #expect(subEntry["verbs"] == .array(sub.verbs.map { .string($0) }))
            let foreign = sub.group != resource.group || sub.version != resource.version
            #expect(subEntry["group"] == (foreign ? .string(sub.group) : nil))
        }
    }

    @Test func resourceListForUnknownGroupVersion() {
        #expect(Discovery.resourceList(group: "apps", version: "v1beta1") == nil)
        #expect(Discovery.resourceList(group: "batch", version: "v1") == nil)
    }

    @Test func kubectlHeaderSelectsV2() {
        #expect(Discovery.acceptsAggregated(Self.kubectlAccept))
        #expect(Discovery.aggregatedVersion(accepting: Self.kubectlAccept) == .v2)
        #expect(Discovery.AggregatedVersion.v2.contentType == Discovery.aggregatedContentType)
    }

    @Test(arguments: [
        ("application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json", .v2beta1),
        ("application/json; as=APIGroupDiscoveryList; v=v2; g=apidiscovery.k8s.io", .v2),
        (
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList;q=0.5,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList",
            .v2beta1
        ),
        ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList;q=0", nil),
        ("application/json", nil),
        ("application/json, */*", nil),
        ("application/json;as=Table;v=v1;g=meta.k8s.io,application/json", nil),
        ("application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList", nil),
        ("application/yaml;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", nil),
        ("", nil),
    ] as [(String, Discovery.AggregatedVersion?)])
    func acceptNegotiation(header: String, expected: Discovery.AggregatedVersion?) {
        #expect(Discovery.aggregatedVersion(accepting: header) == expected)
        #expect(Discovery.acceptsAggregated(header) == (expected != nil))
    }

    @Test func missingAcceptMeansLegacy() {
        #expect(!Discovery.acceptsAggregated(nil))
    }
}
