import KubeModel

/// A change to one Service between two syncs: its ports as last applied and as they are now.
public struct ServiceChange: Sendable, Equatable {
    public var previous: ServicePorts
    public var current: ServicePorts
}

/// What applying the queued Service changes did.
public struct ServiceUpdateResult: Sendable, Equatable {
    public var changes: [NamespacedName: ServiceChange] = [:]
    /// Services whose rules must be rebuilt.
    public var updatedServices: Set<NamespacedName> { Set(changes.keys) }
    /// ClusterIPs of UDP ports that went away: their conntrack entries would keep steering packets to the old
    /// endpoints, so the conntrack cleaner deletes them.
    public var deletedUDPClusterIPs: Set<IPAddress> = []
}

/// Accumulates Service events between syncs (kube's `ServiceChangeTracker`).
///
/// Each pending entry keeps `previous` (the ports as last applied) and `current`; an event that brings a Service
/// back to what was applied drops the entry, so a flapping object costs no sync work. `checkout()` applies the
/// pending entries and returns them. Not thread-safe by itself: one owner (an actor) mutates it.
public struct ServiceChangeTracker: Sendable {
    /// Applied state: each proxied Service's ports. Skipped Services (headless, ExternalName, …) have no entry.
    public private(set) var services: [NamespacedName: ServicePorts] = [:]
    private var pending: [NamespacedName: ServiceChange] = [:]

    public init() {}

    /// Records an informer event: add (`previous` nil), update, or delete (`current` nil). Only the identity is
    /// read from `previous`; the tracker's own applied state is the "before" it compares with.
    /// - Returns: whether any change is now pending.
    @discardableResult
    public mutating func update(previous: JSONValue?, current: JSONValue?) -> Bool {
        guard let object = current ?? previous else { return !pending.isEmpty }
        let parsed = ServicePortInfo.parse(service: object)
        let now: ServicePorts = current == nil ? [:] : parsed.ports
        let before = pending[parsed.name]?.previous ?? services[parsed.name] ?? [:]
        if now == before {
            pending[parsed.name] = nil
        } else {
            pending[parsed.name] = ServiceChange(previous: before, current: now)
        }
        return !pending.isEmpty
    }

    public var hasPendingChanges: Bool { !pending.isEmpty }
    public var pendingCount: Int { pending.count }

    /// Applies every pending change and returns what changed.
    public mutating func checkout() -> ServiceUpdateResult {
        var result = ServiceUpdateResult()
        for (name, change) in pending {
            services[name] = change.current.isEmpty ? nil : change.current
            for (portName, info) in change.previous where info.protocol == .udp {
                let still = change.current[portName]
                for ip in info.clusterIPs where still?.clusterIPs.contains(ip) != true {
                    result.deletedUDPClusterIPs.insert(ip)
                }
            }
        }
        result.changes = pending
        pending = [:]
        return result
    }
}

/// A change to one Service's endpoints between two syncs.
public struct EndpointsChange: Sendable, Equatable {
    public var previous: ServiceEndpoints
    public var current: ServiceEndpoints
}

/// What applying the queued EndpointSlice changes did.
public struct EndpointsUpdateResult: Sendable, Equatable {
    public var changes: [NamespacedName: EndpointsChange] = [:]
    public var updatedServices: Set<NamespacedName> { Set(changes.keys) }
    /// UDP endpoints that were serving and no longer are, per port: conntrack entries pointing at them are stale.
    public var staleUDPEndpoints: [ServicePortName: [Endpoint]] = [:]
}

/// Accumulates EndpointSlice events between syncs (kube's `EndpointsChangeTracker` with its slice cache).
///
/// Keyed by slice (namespace and name) with `{previous, current}`, dropping changes that bring a slice back to
/// its applied state; `checkout()` merges each affected Service's slices into endpoints per port.
public struct EndpointSliceChangeTracker: Sendable {
    struct SliceKey: Hashable, Sendable {
        var namespace: String
        var name: String
    }

    struct SliceChange: Sendable {
        var previous: EndpointSliceInfo?
        var current: EndpointSliceInfo?
    }

    private var slices: [SliceKey: EndpointSliceInfo] = [:]
    /// Each Service's slices (usually one: a small array costs less than a set per Service).
    private var slicesByService: [NamespacedName: [SliceKey]] = [:]
    private var pending: [SliceKey: SliceChange] = [:]
    /// Applied state: the merged endpoints of every Service that has any.
    public private(set) var endpoints: [NamespacedName: ServiceEndpoints] = [:]

    public init() {}

    /// Records an informer event for one EndpointSlice (add, update or delete as for Services).
    /// - Returns: whether any change is now pending.
    @discardableResult
    public mutating func update(previous: JSONValue?, current: JSONValue?) -> Bool {
        guard let object = current ?? previous,
            let name = object.value(at: ["metadata", "name"])?.stringValue
        else { return !pending.isEmpty }
        let key = SliceKey(namespace: object.value(at: ["metadata", "namespace"])?.stringValue ?? "default", name: name)
        let now = current.flatMap(EndpointSliceInfo.parse(slice:))
        let before: EndpointSliceInfo? = if let queued = pending[key] { queued.previous } else { slices[key] }
        if now == before {
            pending[key] = nil
        } else {
            pending[key] = SliceChange(previous: before, current: now)
        }
        return !pending.isEmpty
    }

    public var hasPendingChanges: Bool { !pending.isEmpty }
    public var pendingCount: Int { pending.count }

    /// Applies every pending slice change and returns, per affected Service, its endpoints before and after.
    public mutating func checkout() -> EndpointsUpdateResult {
        var affected = Set<NamespacedName>()
        for (key, change) in pending {
            if let old = change.previous {
                affected.insert(old.service)
                slicesByService[old.service]?.removeAll { $0 == key }
                if slicesByService[old.service]?.isEmpty == true { slicesByService[old.service] = nil }
            }
            if let new = change.current {
                affected.insert(new.service)
                if slicesByService[new.service]?.contains(key) != true { slicesByService[new.service, default: []].append(key) }
            }
            slices[key] = change.current
        }
        pending = [:]
        var result = EndpointsUpdateResult()
        for service in affected {
            let before = endpoints[service] ?? [:]
            let keys = slicesByService[service] ?? []
            let after = EndpointSliceInfo.merge(keys.compactMap { slices[$0] })
            endpoints[service] = after.isEmpty ? nil : after
            guard before != after else { continue }
            result.changes[service] = EndpointsChange(previous: before, current: after)
            for (portName, old) in before where portName.protocol == .udp {
                let serving = Set((after[portName] ?? []).filter(\.serving).map(\.description))
                let stale = old.filter { $0.serving && !serving.contains($0.description) }
                if !stale.isEmpty { result.staleUDPEndpoints[portName] = stale }
            }
        }
        return result
    }
}
