/// How lists (and, for server-side apply, some maps) of one Kubernetes kind merge.
///
/// kube-apiserver reads this from Go struct tags (`patchStrategy`, `patchMergeKey`) and OpenAPI list-type markers.
/// Junction serves a fixed set of kinds, so the same facts are written out here as field paths. A path names object
/// keys from the root, and list elements add no step: `spec.template.spec.containers.ports` is the `ports` list of
/// every container. Kubernetes types never nest a list directly in a list, so this is unambiguous.
public struct PatchSchema: Sendable, Equatable {
    /// How a list at some path merges.
    public enum ListType: Sendable, Equatable {
        /// The patch value replaces the list (the default, as in JSON merge patch).
        case atomic
        /// A list of primitives merged as a set: union, deduplicated, order kept (e.g. `metadata.finalizers`).
        case set
        /// A list of objects merged element by element, matched on a key field.
        case map(MergeKey)
    }

    /// The field that identifies an element of a merged list.
    ///
    /// Upstream strategic merge patch keys Service and container ports on the port number alone, while the API
    /// allows the same port twice with different protocols (DNS on 53/TCP and 53/UDP). The optional qualifier
    /// tells those apart: an element that states the qualifier matches only elements with the same value (an
    /// element that omits it counts as `qualifierDefault`); one that omits it prefers the element with the
    /// default value and otherwise takes the first with the same port, so kubectl's port-only patches still land.
    public struct MergeKey: Sendable, Equatable {
        public var field: String
        public var qualifier: String?
        public var qualifierDefault: JSONValue?

        public init(_ field: String, qualifier: String? = nil, qualifierDefault: JSONValue? = nil) {
            self.field = field
            self.qualifier = qualifier
            self.qualifierDefault = qualifierDefault
        }
    }

    private var lists: [[String]: ListType]
    private var atomicMaps: Set<[String]>

    /// - Parameters:
    ///   - lists: dotted field paths of lists that are not atomic.
    ///   - atomicMaps: dotted paths of maps that server-side apply replaces rather than merges (label selectors,
    ///     `nodeSelector`). Strategic merge patch ignores this: upstream it merges those maps too.
    public init(lists: [String: ListType] = [:], atomicMaps: Set<String> = []) {
        var byPath: [[String]: ListType] = [:]
        for (path, type) in lists { byPath[Self.split(path)] = type }
        self.lists = byPath
        self.atomicMaps = Set(atomicMaps.map(Self.split))
    }

    public func listType(at path: [String]) -> ListType {
        lists[path] ?? .atomic
    }

    public func isAtomicMap(at path: [String]) -> Bool {
        atomicMaps.contains(path)
    }

    /// Adds or overrides entries, for kinds whose rules extend another's.
    public func adding(lists more: [String: ListType], atomicMaps moreMaps: Set<String> = []) -> PatchSchema {
        var copy = self
        for (path, type) in more { copy.lists[Self.split(path)] = type }
        for path in moreMaps { copy.atomicMaps.insert(Self.split(path)) }
        return copy
    }

    private static func split(_ path: String) -> [String] {
        path.split(separator: ".", omittingEmptySubsequences: true).map(String.init)
    }

    // MARK: - Kinds

    /// Object metadata merges the same way in every kind, including kinds this table does not know.
    public static let metadataOnly = PatchSchema(lists: [
        "metadata.finalizers": .set,
        "metadata.ownerReferences": .map(MergeKey("uid")),
    ])

    /// The schema for one kind. Kinds not listed here get `metadataOnly`: every other list is replaced whole,
    /// which is what upstream does for lists without a patch strategy.
    public static func forKind(group: String, kind: String) -> PatchSchema {
        switch (group == "core" ? "" : group, kind) {
        case ("", "Pod"):
            return metadataOnly.adding(lists: podSpecLists(at: "spec").merging(podStatusLists) { $1 },
                                       atomicMaps: ["spec.nodeSelector"])
        case ("", "PodTemplate"):
            return metadataOnly.adding(lists: podSpecLists(at: "template.spec"),
                                       atomicMaps: ["template.spec.nodeSelector"])
        case ("", "ReplicationController"):
            return workload(templateAt: "spec.template", selector: "spec.selector")
        case ("", "Service"):
            return metadataOnly.adding(lists: [
                "spec.ports": .map(MergeKey("port", qualifier: "protocol", qualifierDefault: "TCP")),
                "status.conditions": .map(MergeKey("type")),
            ], atomicMaps: ["spec.selector"])
        case ("", "Node"):
            // spec.taints has no patch strategy upstream, so it stays atomic.
            return metadataOnly.adding(lists: [
                "spec.podCIDRs": .set,
                "status.conditions": .map(MergeKey("type")),
                "status.addresses": .map(MergeKey("type")),
            ])
        case ("", "Namespace"), ("", "PersistentVolumeClaim"):
            return metadataOnly.adding(lists: ["status.conditions": .map(MergeKey("type"))])
        case ("", "ServiceAccount"):
            return metadataOnly.adding(lists: ["secrets": .map(MergeKey("name"))])
        case ("apps", "Deployment"), ("apps", "ReplicaSet"), ("apps", "StatefulSet"), ("apps", "DaemonSet"):
            return workload(templateAt: "spec.template", selector: "spec.selector")
        case ("batch", "Job"):
            return workload(templateAt: "spec.template", selector: "spec.selector")
        case ("batch", "CronJob"):
            return workload(templateAt: "spec.jobTemplate.spec.template", selector: "spec.jobTemplate.spec.selector")
        default:
            // EndpointSlice, Endpoints, Lease, ConfigMap, Secret, Event and unknown kinds: every list is atomic.
            return metadataOnly
        }
    }

    /// Kinds that stamp out pods from a template share the pod spec rules under the template and keep their
    /// status conditions keyed by type.
    private static func workload(templateAt template: String, selector: String) -> PatchSchema {
        metadataOnly.adding(
            lists: podSpecLists(at: template + ".spec").merging(["status.conditions": .map(MergeKey("type"))]) { $1 },
            atomicMaps: [selector, template + ".spec.nodeSelector"])
    }

    private static let podStatusLists: [String: ListType] = [
        "status.conditions": .map(MergeKey("type")),
        "status.podIPs": .map(MergeKey("ip")),
        "status.hostIPs": .map(MergeKey("ip")),
        "status.resourceClaimStatuses": .map(MergeKey("name")),
    ]

    private static func podSpecLists(at spec: String) -> [String: ListType] {
        var lists: [String: ListType] = [
            spec + ".volumes": .map(MergeKey("name")),
            spec + ".imagePullSecrets": .map(MergeKey("name")),
            spec + ".hostAliases": .map(MergeKey("ip")),
            spec + ".schedulingGates": .map(MergeKey("name")),
            spec + ".resourceClaims": .map(MergeKey("name")),
            spec + ".topologySpreadConstraints": .map(MergeKey("topologyKey", qualifier: "whenUnsatisfiable")),
        ]
        for containers in ["containers", "initContainers", "ephemeralContainers"] {
            let base = spec + "." + containers
            lists[base] = .map(MergeKey("name"))
            lists[base + ".ports"] = .map(MergeKey("containerPort", qualifier: "protocol", qualifierDefault: "TCP"))
            lists[base + ".env"] = .map(MergeKey("name"))
            lists[base + ".volumeMounts"] = .map(MergeKey("mountPath"))
            lists[base + ".volumeDevices"] = .map(MergeKey("devicePath"))
        }
        return lists
    }
}
