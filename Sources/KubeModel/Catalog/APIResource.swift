/// One REST resource the API server serves: how it is named in URLs, discovery and `kubectl`.
public struct APIResource: Sendable, Hashable {
    /// API group; "" is the core group served under /api.
    public var group: String
    public var version: String
    public var kind: String
    /// Lower-case plural used in URLs, e.g. "services".
    public var plural: String
    public var singular: String
    public var shortNames: [String]
    public var namespaced: Bool
    public var categories: [String]
    public var verbs: [String]
    public var subresources: [Subresource]

    public struct Subresource: Sendable, Hashable {
        public var name: String
        public var group: String
        public var version: String
        public var kind: String
        public var verbs: [String]
        public init(name: String, group: String, version: String, kind: String, verbs: [String]) {
            self.name = name
            self.group = group
            self.version = version
            self.kind = kind
            self.verbs = verbs
        }
    }

    public init(
        group: String, version: String, kind: String, plural: String, singular: String, shortNames: [String] = [],
        namespaced: Bool, categories: [String] = [], verbs: [String] = APIResource.allVerbs,
        subresources: [Subresource] = []
    ) {
        self.group = group
        self.version = version
        self.kind = kind
        self.plural = plural
        self.singular = singular
        self.shortNames = shortNames
        self.namespaced = namespaced
        self.categories = categories
        self.verbs = verbs
        self.subresources = subresources
    }

    public static let allVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

    /// "v1" for the core group, "apps/v1" otherwise: the apiVersion objects of this resource carry.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// The key the store files objects under, e.g. "services" or "apps/deployments".
    public var storageKey: String { group.isEmpty ? plural : "\(group)/\(plural)" }

    /// The URL prefix of this resource's group-version: "/api/v1" or "/apis/apps/v1".
    public var groupVersionPath: String { group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)" }

    public func hasSubresource(_ name: String) -> Bool { subresources.contains { $0.name == name } }
}

/// Every resource Junction serves, in discovery order.
public enum ResourceCatalog {
    private static func status(_ r: (group: String, version: String, kind: String)) -> APIResource.Subresource {
        .init(name: "status", group: r.group, version: r.version, kind: r.kind, verbs: ["get", "patch", "update"])
    }

    public static let namespaces = APIResource(
        group: "", version: "v1", kind: "Namespace", plural: "namespaces", singular: "namespace",
        shortNames: ["ns"], namespaced: false, verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
        subresources: [status(("", "v1", "Namespace"))])
    public static let nodes = APIResource(
        group: "", version: "v1", kind: "Node", plural: "nodes", singular: "node", shortNames: ["no"],
        namespaced: false, subresources: [status(("", "v1", "Node"))])
    public static let pods = APIResource(
        group: "", version: "v1", kind: "Pod", plural: "pods", singular: "pod", shortNames: ["po"], namespaced: true,
        categories: ["all"],
        subresources: [
            status(("", "v1", "Pod")),
            .init(name: "log", group: "", version: "v1", kind: "Pod", verbs: ["get"]),
            .init(name: "binding", group: "", version: "v1", kind: "Binding", verbs: ["create"]),
        ])
    public static let services = APIResource(
        group: "", version: "v1", kind: "Service", plural: "services", singular: "service", shortNames: ["svc"],
        namespaced: true, categories: ["all"],
        verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
        subresources: [status(("", "v1", "Service"))])
    public static let endpointSlices = APIResource(
        group: "discovery.k8s.io", version: "v1", kind: "EndpointSlice", plural: "endpointslices",
        singular: "endpointslice", namespaced: true)
    public static let deployments = APIResource(
        group: "apps", version: "v1", kind: "Deployment", plural: "deployments", singular: "deployment",
        shortNames: ["deploy"], namespaced: true, categories: ["all"],
        subresources: [
            .init(name: "scale", group: "autoscaling", version: "v1", kind: "Scale", verbs: ["get", "patch", "update"]),
            status(("apps", "v1", "Deployment")),
        ])
    public static let replicaSets = APIResource(
        group: "apps", version: "v1", kind: "ReplicaSet", plural: "replicasets", singular: "replicaset",
        shortNames: ["rs"], namespaced: true, categories: ["all"],
        subresources: [
            .init(name: "scale", group: "autoscaling", version: "v1", kind: "Scale", verbs: ["get", "patch", "update"]),
            status(("apps", "v1", "ReplicaSet")),
        ])
    public static let leases = APIResource(
        group: "coordination.k8s.io", version: "v1", kind: "Lease", plural: "leases", singular: "lease",
        namespaced: true)

    public static let all: [APIResource] = [
        namespaces, nodes, pods, services, endpointSlices, deployments, replicaSets, leases,
    ]

    /// Resources by group then version, in a stable order: the core group first.
    public static let groups: [(group: String, version: String, resources: [APIResource])] = {
        var order: [String] = []
        var byGroup: [String: [APIResource]] = [:]
        for r in all {
            if byGroup[r.group] == nil { order.append(r.group) }
            byGroup[r.group, default: []].append(r)
        }
        return order.map { g in (g, byGroup[g]?.first?.version ?? "v1", byGroup[g] ?? []) }
    }()

    public static func resource(group: String, version: String, plural: String) -> APIResource? {
        all.first { $0.group == group && $0.version == version && $0.plural == plural }
    }

    public static func resource(apiVersion: String, kind: String) -> APIResource? {
        all.first { $0.apiVersion == apiVersion && $0.kind == kind }
    }
}
