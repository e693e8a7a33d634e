import KubeModel

/// One endpoint of one Service port: an address, the resolved target port, and the conditions the traffic policy
/// decides on.
public struct Endpoint: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var ip: IPAddress
    public var port: Int
    /// Ready: in the normal rotation. (A nil condition in the API means true.)
    public var ready: Bool
    /// Serving: answering its readiness probe, even while terminating. (A nil condition means "as ready".)
    public var serving: Bool
    public var terminating: Bool
    public var nodeName: String?
    public var zone: String?
    /// `hints.forZones[].name`: the zones topology-aware routing sends this endpoint's traffic from.
    public var zoneHints: [String]
    /// `hints.forNodes[].name` (PreferSameNode).
    public var nodeHints: [String]

    public init(
        ip: IPAddress, port: Int, ready: Bool = true, serving: Bool? = nil, terminating: Bool = false,
        nodeName: String? = nil, zone: String? = nil, zoneHints: [String] = [], nodeHints: [String] = []
    ) {
        self.ip = ip
        self.port = port
        self.ready = ready
        self.serving = serving ?? ready
        self.terminating = terminating
        self.nodeName = nodeName
        self.zone = zone
        self.zoneHints = zoneHints
        self.nodeHints = nodeHints
    }

    /// The fallback class: still answering but on its way out. Used only when no endpoint is ready.
    public var isServingTerminating: Bool { serving && terminating }

    /// Whether the endpoint runs on `node`. An endpoint without a node name is never local.
    public func isLocal(to node: String) -> Bool { !node.isEmpty && nodeName == node }

    /// Ordered by address, then port: the order endpoint choices are laid out in, so that rule output is stable.
    public static func < (lhs: Endpoint, rhs: Endpoint) -> Bool {
        (lhs.ip, lhs.port) < (rhs.ip, rhs.port)
    }

    /// `ip:port`, or `[ip]:port` for IPv6.
    public var description: String { ip.isV4 ? "\(ip):\(port)" : "[\(ip)]:\(port)" }
}

/// An EndpointSlice reduced to what the proxy uses, so that unrelated edits (annotations, targetRef) are no-ops.
public struct EndpointSliceInfo: Sendable, Hashable {
    public struct Port: Sendable, Hashable {
        public var name: String
        public var `protocol`: ServiceProtocol
        public var port: Int
    }

    public struct Address: Sendable, Hashable {
        public var ip: IPAddress
        public var ready: Bool
        public var serving: Bool
        public var terminating: Bool
        public var nodeName: String?
        public var zone: String?
        public var zoneHints: [String]
        public var nodeHints: [String]
    }

    public var service: NamespacedName
    public var sliceName: String
    public var ports: [Port]
    public var addresses: [Address]

    /// The label linking a slice to its Service.
    public static let serviceNameLabel = "kubernetes.io/service-name"

    /// Parses a slice; nil when it names no Service, belongs to a headless Service or another proxy, or has an
    /// address type the proxy does not program (FQDN).
    public static func parse(slice: JSONValue) -> EndpointSliceInfo? {
        guard let labels = slice.value(at: ["metadata", "labels"]),
            let serviceName = labels[serviceNameLabel]?.stringValue, !serviceName.isEmpty,
            let sliceName = slice.value(at: ["metadata", "name"])?.stringValue
        else { return nil }
        if labels[ServicePortInfo.headlessLabel] != nil || labels[ServicePortInfo.serviceProxyNameLabel] != nil {
            return nil
        }
        let addressType = slice["addressType"]?.stringValue ?? "IPv4"
        guard addressType == "IPv4" || addressType == "IPv6" else { return nil }
        let namespace = slice.value(at: ["metadata", "namespace"])?.stringValue ?? "default"
        var ports: [Port] = []
        for entry in slice["ports"]?.arrayValue ?? [] {
            // kube ignores ports without a number; a missing name is the unnamed port.
            guard let number = entry["port"]?.intValue, number > 0, number < 65536,
                let proto = ServiceProtocol(apiValue: entry["protocol"]?.stringValue)
            else { continue }
            ports.append(Port(name: entry["name"]?.stringValue ?? "", protocol: proto, port: Int(number)))
        }
        var addresses: [Address] = []
        for entry in slice["endpoints"]?.arrayValue ?? [] {
            // Only the first address is used, as kube does (the API requires exactly one for IP slices).
            guard let first = entry["addresses"]?.arrayValue?.first?.stringValue,
                let ip = IPAddress.parseSloppy(first), ip.isV4 == (addressType == "IPv4")
            else { continue }
            let conditions = entry["conditions"]
            let ready = conditions?["ready"]?.boolValue ?? true
            let hints = entry["hints"]
            addresses.append(
                Address(
                    ip: ip, ready: ready,
                    serving: conditions?["serving"]?.boolValue ?? ready,
                    terminating: conditions?["terminating"]?.boolValue ?? false,
                    nodeName: entry["nodeName"]?.stringValue, zone: entry["zone"]?.stringValue,
                    zoneHints: (hints?["forZones"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue },
                    nodeHints: (hints?["forNodes"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }))
        }
        return EndpointSliceInfo(
            service: NamespacedName(namespace: namespace, name: serviceName), sliceName: sliceName, ports: ports,
            addresses: addresses)
    }
}

/// Endpoints of every port of one Service.
public typealias ServiceEndpoints = [ServicePortName: [Endpoint]]

extension EndpointSliceInfo {
    /// Merges a Service's slices into endpoints per port: duplicates across slices (during slice rebalancing)
    /// collapse to one, a ready copy winning; each list is sorted.
    public static func merge(_ slices: some Sequence<EndpointSliceInfo>) -> ServiceEndpoints {
        var byPort: [ServicePortName: [String: Endpoint]] = [:]
        for slice in slices.sorted(by: { $0.sliceName < $1.sliceName }) {
            for port in slice.ports {
                let name = ServicePortName(service: slice.service, port: port.name, protocol: port.protocol)
                var set = byPort[name] ?? [:]
                for address in slice.addresses {
                    let endpoint = Endpoint(
                        ip: address.ip, port: port.port, ready: address.ready, serving: address.serving,
                        terminating: address.terminating, nodeName: address.nodeName, zone: address.zone,
                        zoneHints: address.zoneHints, nodeHints: address.nodeHints)
                    let key = endpoint.description
                    if let existing = set[key], existing.ready || !endpoint.ready { continue }
                    set[key] = endpoint
                }
                byPort[name] = set
            }
        }
        var result: ServiceEndpoints = [:]
        for (name, set) in byPort where !set.isEmpty {
            result[name] = set.values.sorted()
        }
        return result
    }
}
