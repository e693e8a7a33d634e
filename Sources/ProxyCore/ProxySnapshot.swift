import KubeModel

/// What the data plane does with a packet for a service address that has no endpoint it may use.
public enum NoEndpointsAction: String, Sendable, Hashable {
    /// No endpoint anywhere: refuse at once (TCP reset, ICMP port unreachable) so clients fail fast.
    case reject
    /// Endpoints exist, but the traffic policy allows none of them from here (Local policy, none on this node):
    /// drop, as kube does, so that the client retries or its load balancer's health check moves it elsewhere.
    case drop
}

/// Topology-aware routing as chosen from the endpoints' hints (kube's `topologyModeFromHints`).
public enum TopologyMode: String, Sendable, Hashable {
    case preferSameZone = "PreferSameZone"
    case preferSameNode = "PreferSameNode"
}

/// One Service port with its endpoints and every policy decision made, for one node and one family. Backends
/// only translate this into rules; they decide nothing.
public struct ServicePortSnapshot: Sendable, Hashable {
    public let name: ServicePortName
    /// The Service port as this family sees it.
    public let info: ServicePortInfo
    public var clusterIP: IPAddress { info.clusterIPs.first ?? IPAddress(v4: 0) }
    /// Every endpoint of this family, whatever its conditions, sorted.
    public let endpoints: [Endpoint]
    /// Endpoints the Cluster policy uses: ready ones (filtered by topology hints when they apply), or, when none is
    /// ready anywhere, the serving-and-terminating ones. Empty when nothing uses the Cluster policy.
    public let clusterEndpoints: [Endpoint]
    /// Endpoints the Local policy uses: this node's ready ones, or if none, this node's serving-and-terminating
    /// ones. Empty when nothing uses the Local policy.
    public let localEndpoints: [Endpoint]
    /// Whether any usable endpoint exists anywhere in the cluster (decides reject versus drop).
    public let hasEndpoints: Bool
    public let topologyMode: TopologyMode?

    public init(name: ServicePortName, info: ServicePortInfo, endpoints: [Endpoint], nodeName: String, nodeZone: String? = nil) {
        self.name = name
        self.info = info
        self.endpoints = endpoints
        var cluster: [Endpoint] = []
        var local: [Endpoint] = []
        var any = false
        var mode: TopologyMode? = nil
        if info.usesClusterEndpoints {
            mode = Self.topologyMode(endpoints, nodeName: nodeName, zone: nodeZone)
            cluster = endpoints.sharingFilter { $0.ready && Self.available($0, mode: mode, nodeName: nodeName, zone: nodeZone) }
            // Topology was already dropped when no ready endpoint matched it, so an empty list here means nothing
            // is ready anywhere: fall back to endpoints that still serve while terminating.
            if cluster.isEmpty { cluster = endpoints.sharingFilter(\.isServingTerminating) }
            any = !cluster.isEmpty
        }
        if info.usesLocalEndpoints {
            var hasLocalReady = false
            var hasLocalServingTerminating = false
            for endpoint in endpoints {
                if endpoint.ready {
                    any = true
                    if endpoint.isLocal(to: nodeName) { hasLocalReady = true }
                } else if endpoint.isServingTerminating {
                    any = true
                    if endpoint.isLocal(to: nodeName) { hasLocalServingTerminating = true }
                }
            }
            if hasLocalReady {
                local = endpoints.sharingFilter { $0.isLocal(to: nodeName) && $0.ready }
            } else if hasLocalServingTerminating {
                local = endpoints.sharingFilter { $0.isLocal(to: nodeName) && $0.isServingTerminating }
            }
        }
        clusterEndpoints = cluster
        localEndpoints = local
        hasEndpoints = any
        topologyMode = mode
    }

    /// Endpoints for traffic to the ClusterIP.
    public var internalEndpoints: [Endpoint] { info.internalPolicyLocal ? localEndpoints : clusterEndpoints }
    public var hasInternalEndpoints: Bool { !internalEndpoints.isEmpty }
    /// Endpoints for traffic from outside the node to a NodePort, external IP or load-balancer IP.
    public var externalEndpoints: [Endpoint] { info.externalPolicyLocal ? localEndpoints : clusterEndpoints }
    public var hasExternalEndpoints: Bool { !externalEndpoints.isEmpty }
    /// Whether external addresses get rules that forward at all. True even with no external endpoint, because
    /// pod and host traffic to a Local-policy external address is still short-circuited to cluster endpoints.
    public var usesExternalChain: Bool { hasEndpoints && info.externallyAccessible }
    /// What happens to ClusterIP traffic when it has no endpoint; nil when it has one.
    public var internalNoEndpoints: NoEndpointsAction? {
        hasInternalEndpoints ? nil : (hasEndpoints ? .drop : .reject)
    }
    /// What happens to external traffic (that is not short-circuited) when it has no endpoint; nil when it has one.
    public var externalNoEndpoints: NoEndpointsAction? {
        hasExternalEndpoints ? nil : (hasEndpoints ? .drop : .reject)
    }
    /// Endpoints any rule of this port may send to: the union of the cluster and local lists, sorted.
    public var reachableEndpoints: [Endpoint] {
        if localEndpoints.isEmpty { return clusterEndpoints }
        if clusterEndpoints.isEmpty { return localEndpoints }
        return Array(Set(clusterEndpoints).union(localEndpoints)).sorted()
    }

    /// Endpoints whose address may also be a packet's source on this node (pods here, or addresses without a
    /// node): the only ones a hairpin connection can come from.
    public func hairpinCandidates(nodeName: String) -> [Endpoint] {
        reachableEndpoints.filter { $0.nodeName == nil || $0.isLocal(to: nodeName) }
    }

    static func topologyMode(_ endpoints: [Endpoint], nodeName: String, zone: String?) -> TopologyMode? {
        var hasReady = false
        var allNodeHints = true
        var hintForNode = false
        var allZoneHints = true
        var hintForZone = false
        for endpoint in endpoints where endpoint.ready {
            hasReady = true
            if endpoint.nodeHints.isEmpty {
                allNodeHints = false
            } else if endpoint.nodeHints.contains(nodeName) {
                hintForNode = true
            }
            if endpoint.zoneHints.isEmpty {
                allZoneHints = false
            } else if let zone, endpoint.zoneHints.contains(zone) {
                hintForZone = true
            }
        }
        guard hasReady else { return nil }
        if allNodeHints && hintForNode { return .preferSameNode }
        if allZoneHints && hintForZone { return .preferSameZone }
        return nil
    }

    static func available(_ endpoint: Endpoint, mode: TopologyMode?, nodeName: String, zone: String?) -> Bool {
        switch mode {
        case nil: true
        case .preferSameNode: endpoint.nodeHints.contains(nodeName)
        case .preferSameZone: zone.map { endpoint.zoneHints.contains($0) } ?? false
        }
    }
}

extension Array {
    /// The elements that satisfy `isIncluded`, as `filter`, but the array itself when they all do: the lists a
    /// snapshot derives then share the buffer of the list they come from (arrays are copy-on-write), which at
    /// 10k services × 25 endpoints is the difference between one copy of the endpoints and three.
    func sharingFilter(_ isIncluded: (Element) throws -> Bool) rethrows -> [Element] {
        guard let first = try firstIndex(where: { try !isIncluded($0) }) else { return self }
        var result = Array(self[..<first])
        for element in self[(first + 1)...] where try isIncluded(element) { result.append(element) }
        return result
    }
}

/// The health-check state of one `healthCheckNodePort` (LoadBalancer Services with externalTrafficPolicy Local):
/// the node answers 200 while it has local ready endpoints, so the load balancer only picks nodes that do.
public struct ServiceHealth: Sendable, Hashable {
    public var service: NamespacedName
    /// Distinct local ready endpoint addresses over all the Service's ports (kube's `LocalReadyEndpoints`).
    public var localEndpoints: Int

    public init(service: NamespacedName, localEndpoints: Int) {
        self.service = service
        self.localEndpoints = localEndpoints
    }
}

/// Every proxied Service port of one family as seen from one node, with policy decided. A value: the daemon keeps
/// one per family and refreshes only the Services that changed.
public struct ProxySnapshot: Sendable, Equatable {
    public let nodeName: String
    public let family: IPFamily
    /// The node's `topology.kubernetes.io/zone` label, for PreferSameZone hints.
    public let nodeZone: String?
    public private(set) var servicePorts: [ServicePortName: ServicePortSnapshot] = [:]
    /// Each Service's port names, sorted (a small array costs less than a set per Service).
    private var portNamesByService: [NamespacedName: [ServicePortName]] = [:]
    /// The ports with a Local traffic policy or a health-check node port: the only ones the per-sync gauges and
    /// the health-check table (`healthChecks`) look at, so that neither walks every port after each sync.
    public private(set) var localPolicyPorts: Set<ServicePortName> = []

    public init(nodeName: String, family: IPFamily, nodeZone: String? = nil) {
        self.nodeName = nodeName
        self.family = family
        self.nodeZone = nodeZone
    }

    /// The proxied port names of one Service.
    public func portNames(of service: NamespacedName) -> [ServicePortName] { portNamesByService[service] ?? [] }

    /// Builds from applied tracker state.
    public init(
        nodeName: String, family: IPFamily, nodeZone: String? = nil,
        services: [NamespacedName: ServicePorts], endpoints: [NamespacedName: ServiceEndpoints]
    ) {
        self.init(nodeName: nodeName, family: family, nodeZone: nodeZone)
        refresh(services.keys, services: services, endpoints: endpoints)
    }

    /// Builds straight from API objects (Services and EndpointSlices as JSON), e.g. after a relist.
    public init(
        nodeName: String, family: IPFamily, nodeZone: String? = nil,
        services: some Sequence<JSONValue>, endpointSlices: some Sequence<JSONValue>
    ) {
        var serviceTracker = ServiceChangeTracker()
        var sliceTracker = EndpointSliceChangeTracker()
        for service in services { serviceTracker.update(previous: nil, current: service) }
        for slice in endpointSlices { sliceTracker.update(previous: nil, current: slice) }
        _ = serviceTracker.checkout()
        _ = sliceTracker.checkout()
        self.init(
            nodeName: nodeName, family: family, nodeZone: nodeZone, services: serviceTracker.services,
            endpoints: sliceTracker.endpoints)
    }

    /// Recomputes the given Services from tracker state (their ports may have appeared, changed or gone).
    /// - Returns: the port names whose snapshot changed, for the backend's incremental sync.
    @discardableResult
    public mutating func refresh(
        _ names: some Sequence<NamespacedName>, services: [NamespacedName: ServicePorts],
        endpoints: [NamespacedName: ServiceEndpoints]
    ) -> Set<ServicePortName> {
        var changed = Set<ServicePortName>()
        for service in names {
            let old = portNamesByService[service] ?? []
            var new: [ServicePortName] = []
            let serviceEndpoints = endpoints[service] ?? [:]
            for (portName, info) in services[service] ?? [:] {
                guard let view = info.restricted(to: family) else { continue }
                let portEndpoints = (serviceEndpoints[portName] ?? []).sharingFilter { $0.isV4 == (family == .ipv4) }
                let snapshot = ServicePortSnapshot(
                    name: portName, info: view, endpoints: portEndpoints, nodeName: nodeName, nodeZone: nodeZone)
                new.append(portName)
                if servicePorts[portName] != snapshot {
                    servicePorts[portName] = snapshot
                    changed.insert(portName)
                    if view.internalPolicyLocal || view.externalPolicyLocal || view.healthCheckNodePort != 0 {
                        localPolicyPorts.insert(portName)
                    } else {
                        localPolicyPorts.remove(portName)
                    }
                }
            }
            for gone in old where !new.contains(gone) {
                servicePorts[gone] = nil
                localPolicyPorts.remove(gone)
                changed.insert(gone)
            }
            portNamesByService[service] = new.isEmpty ? nil : new.sorted()
        }
        return changed
    }

    /// Health-check state per `healthCheckNodePort`.
    public var healthChecks: [Int: ServiceHealth] {
        var addresses: [Int: (NamespacedName, Set<IPAddress>)] = [:]
        for port in localPolicyPorts.compactMap({ servicePorts[$0] }) where port.info.healthCheckNodePort != 0 {
            let local = port.endpoints.filter { $0.ready && $0.isLocal(to: nodeName) }.map(\.ip)
            var entry = addresses[port.info.healthCheckNodePort] ?? (port.name.service, [])
            entry.1.formUnion(local)
            addresses[port.info.healthCheckNodePort] = entry
        }
        return addresses.mapValues { ServiceHealth(service: $0.0, localEndpoints: $0.1.count) }
    }
}

/// Trackers plus one snapshot per family: the proxy core the daemon owns (inside one actor).
public struct ProxyState: Sendable {
    public var services = ServiceChangeTracker()
    public var endpointSlices = EndpointSliceChangeTracker()
    public private(set) var snapshots: [IPFamily: ProxySnapshot]

    public init(nodeName: String, families: [IPFamily] = [.ipv4], nodeZone: String? = nil) {
        var snapshots: [IPFamily: ProxySnapshot] = [:]
        for family in families {
            snapshots[family] = ProxySnapshot(nodeName: nodeName, family: family, nodeZone: nodeZone)
        }
        self.snapshots = snapshots
    }

    public var hasPendingChanges: Bool { services.hasPendingChanges || endpointSlices.hasPendingChanges }

    /// The outcome of applying queued changes.
    public struct Update: Sendable {
        public var services: ServiceUpdateResult
        public var endpoints: EndpointsUpdateResult
        /// Per family, the port names whose snapshot changed.
        public var changedPorts: [IPFamily: Set<ServicePortName>]
    }

    /// Applies queued changes to the trackers and refreshes the affected Services in every family's snapshot.
    public mutating func applyPendingChanges() -> Update {
        let serviceResult = services.checkout()
        let endpointResult = endpointSlices.checkout()
        let affected = serviceResult.updatedServices.union(endpointResult.updatedServices)
        var changed: [IPFamily: Set<ServicePortName>] = [:]
        // Over a copy of the keys: a live `keys` view holds the dictionary, and each snapshot's port table would
        // then be copied whole (3.9 MB at 10k Services) before its refresh changed a few ports.
        for family in Array(snapshots.keys) {
            changed[family] = snapshots[family]?.refresh(
                affected, services: services.services, endpoints: endpointSlices.endpoints) ?? []
        }
        return Update(services: serviceResult, endpoints: endpointResult, changedPorts: changed)
    }

    /// Rebuilds every family's snapshot, e.g. after the node's zone label changed (topology decisions move).
    public mutating func rebuild(nodeZone: String?) {
        for (family, old) in snapshots {
            snapshots[family] = ProxySnapshot(
                nodeName: old.nodeName, family: family, nodeZone: nodeZone, services: services.services,
                endpoints: endpointSlices.endpoints)
        }
    }
}
