/// The discovery documents kubectl reads to map names like `svc` or `deploy` to URLs.
///
/// kubectl 1.32 prefers aggregated discovery (two requests in all) and decides the format from the reply's
/// Content-Type alone, so the server must pick the body and the Content-Type together: use
/// `aggregatedVersion(accepting:)` to choose, then send `contentType(for:)` with `aggregatedCore(version:)`
/// or `aggregatedGroups(version:)`; otherwise send the legacy documents as plain `application/json`.
public enum Discovery {
    public static let aggregatedContentType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

    /// The aggregated discovery API versions a client may ask for. v2beta1 is what clients before 1.30 asked for;
    /// its documents have the same shape.
    public enum AggregatedVersion: String, Sendable, CaseIterable {
        case v2
        case v2beta1

        public var apiVersion: String { "apidiscovery.k8s.io/\(rawValue)" }
        public var contentType: String {
            "application/json;g=apidiscovery.k8s.io;v=\(rawValue);as=APIGroupDiscoveryList"
        }
    }

    /// Reply to GET /api when the client accepts aggregated discovery.
    public static func aggregatedCore(version: AggregatedVersion = .v2) -> JSONValue {
        aggregatedList(groups: ResourceCatalog.groups.filter { $0.group.isEmpty }, version: version)
    }

    /// Reply to GET /apis when the client accepts aggregated discovery.
    public static func aggregatedGroups(version: AggregatedVersion = .v2) -> JSONValue {
        aggregatedList(groups: ResourceCatalog.groups.filter { !$0.group.isEmpty }, version: version)
    }

    /// APIVersions for GET /api. kubectl ignores the address, but real servers always send one.
    public static func legacyCore(serverAddress: String) -> JSONValue {
        [
            "kind": "APIVersions",
            "versions": .array(ResourceCatalog.groups.filter { $0.group.isEmpty }.map { .string($0.version) }),
            "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string(serverAddress)]],
        ]
    }

    /// APIGroupList for GET /apis.
    public static func legacyGroups() -> JSONValue {
        [
            "kind": "APIGroupList",
            "apiVersion": "v1",
            "groups": .array(
                ResourceCatalog.groups.filter { !$0.group.isEmpty }.map { groupBody($0.group, $0.version) }),
        ]
    }

    /// APIGroup for GET /apis/{group}; nil for groups Junction does not serve (and for the core group, which
    /// has no such endpoint).
    public static func legacyGroup(_ group: String) -> JSONValue? {
        guard !group.isEmpty, let entry = ResourceCatalog.groups.first(where: { $0.group == group }) else {
            return nil
        }
        var body = groupBody(entry.group, entry.version)
        body["kind"] = "APIGroup"
        body["apiVersion"] = "v1"
        return body
    }

    /// APIResourceList for /api/v1 and /apis/{g}/{v}, including "deployments/scale"-style subresource entries.
    /// nil for a group-version that is not served.
    public static func resourceList(group: String, version: String) -> JSONValue? {
        guard let entry = ResourceCatalog.groups.first(where: { $0.group == group && $0.version == version }) else {
            return nil
        }
        var resources: [JSONValue] = []
        for r in entry.resources {
            var item: [String: JSONValue] = [
                "name": .string(r.plural),
                "singularName": .string(r.singular),
                "namespaced": .bool(r.namespaced),
                "kind": .string(r.kind),
                "verbs": strings(r.verbs),
            ]
            if !r.shortNames.isEmpty { item["shortNames"] = strings(r.shortNames) }
            if !r.categories.isEmpty { item["categories"] = strings(r.categories) }
            resources.append(.object(item))
            for sub in r.subresources {
                var subItem: [String: JSONValue] = [
                    "name": .string("\(r.plural)/\(sub.name)"),
                    "singularName": "",
                    "namespaced": .bool(r.namespaced),
                    "kind": .string(sub.kind),
                    "verbs": strings(sub.verbs),
                ]
                // Only a kind from another group-version (autoscaling/v1 Scale) names its group and version.
                if sub.group != group || sub.version != version {
                    subItem["group"] = .string(sub.group)
                    subItem["version"] = .string(sub.version)
                }
                resources.append(.object(subItem))
            }
        }
        return [
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": .string(group.isEmpty ? version : "\(group)/\(version)"),
            "resources": .array(resources),
        ]
    }

    /// True when Accept names aggregated discovery (as=APIGroupDiscoveryList, g=apidiscovery.k8s.io, v=v2 or
    /// v2beta1). kubectl always sends such a header.
    public static func acceptsAggregated(_ acceptHeader: String?) -> Bool {
        aggregatedVersion(accepting: acceptHeader) != nil
    }

    /// Which aggregated version to answer with, so the reply's Content-Type is one the client listed.
    ///
    /// Follows the client's preference: highest q first, then the order of the header (kubectl lists v2 first).
    /// Media ranges with q=0 are refusals and never match.
    public static func aggregatedVersion(accepting acceptHeader: String?) -> AggregatedVersion? {
        guard let acceptHeader else { return nil }
        var best: (version: AggregatedVersion, quality: Double)?
        for range in acceptHeader.split(separator: ",") {
            let parts = range.split(separator: ";").map { $0.trimmingASCIIWhitespace() }
            guard let mediaType = parts.first, mediaType.lowercased() == "application/json" else { continue }
            var params: [String: String] = [:]
            for part in parts.dropFirst() {
                guard let eq = part.firstIndex(of: "=") else { continue }
                let key = part[..<eq].trimmingASCIIWhitespace().lowercased()
                var value = part[part.index(after: eq)...].trimmingASCIIWhitespace()
                if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                    value = String(value.dropFirst().dropLast())
                }
                params[key] = value
            }
            guard params["as"] == "APIGroupDiscoveryList", params["g"] == "apidiscovery.k8s.io",
                let version = params["v"].flatMap(AggregatedVersion.init(rawValue:))
            else { continue }
            let quality = params["q"].flatMap(Double.init) ?? 1
            guard quality > 0 else { continue }
            if best == nil || quality > (best?.quality ?? 0) { best = (version, quality) }
        }
        return best?.version
    }

    // MARK: - Building blocks

    private static func aggregatedList(
        groups: [(group: String, version: String, resources: [APIResource])], version: AggregatedVersion
    ) -> JSONValue {
        [
            "kind": "APIGroupDiscoveryList",
            "apiVersion": .string(version.apiVersion),
            "metadata": [:],
            "items": .array(groups.map(aggregatedGroup)),
        ]
    }

    private static func aggregatedGroup(_ entry: (group: String, version: String, resources: [APIResource]))
        -> JSONValue
    {
        // The core group's item has empty metadata: its name is "".
        let metadata: JSONValue = entry.group.isEmpty ? [:] : ["name": .string(entry.group)]
        return [
            "metadata": metadata,
            "versions": [
                [
                    "version": .string(entry.version),
                    "freshness": "Current",
                    "resources": .array(entry.resources.map(aggregatedResource)),
                ]
            ],
        ]
    }

    private static func aggregatedResource(_ r: APIResource) -> JSONValue {
        var item: [String: JSONValue] = [
            "resource": .string(r.plural),
            "responseKind": gvk(r.group, r.version, r.kind),
            "scope": r.namespaced ? "Namespaced" : "Cluster",
            "singularResource": .string(r.singular),
            "verbs": strings(r.verbs),
        ]
        if !r.shortNames.isEmpty { item["shortNames"] = strings(r.shortNames) }
        if !r.categories.isEmpty { item["categories"] = strings(r.categories) }
        if !r.subresources.isEmpty {
            item["subresources"] = .array(
                r.subresources.map { sub in
                    [
                        "subresource": .string(sub.name),
                        "responseKind": gvk(sub.group, sub.version, sub.kind),
                        "verbs": strings(sub.verbs),
                    ]
                })
        }
        return .object(item)
    }

    private static func groupBody(_ group: String, _ version: String) -> JSONValue {
        let gv: JSONValue = ["groupVersion": .string("\(group)/\(version)"), "version": .string(version)]
        return ["name": .string(group), "versions": [gv], "preferredVersion": gv]
    }

    private static func gvk(_ group: String, _ version: String, _ kind: String) -> JSONValue {
        ["group": .string(group), "version": .string(version), "kind": .string(kind)]
    }

    private static func strings(_ values: [String]) -> JSONValue {
        .array(values.map { .string($0) })
    }
}

extension StringProtocol {
    /// Header parsing without Foundation: HTTP allows only spaces and tabs around list items and parameters.
    fileprivate func trimmingASCIIWhitespace() -> String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = firstIndex(where: { !isBlank($0) }), let end = lastIndex(where: { !isBlank($0) }) else {
            return ""
        }
        return String(self[start...end])
    }
}
