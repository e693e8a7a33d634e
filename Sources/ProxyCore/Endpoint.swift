import KubeModel

/// One endpoint of one Service port: an address, the resolved target port, and the conditions the traffic policy
/// decides on.
///
/// Compact, as a proxy holds a quarter million of these several times over: 16 bytes inline. An IPv4 address,
/// the port and the conditions share one word; the IPv6 address, node, zone and hints live in an out-of-line
/// `Details` box that is nil for an IPv4 endpoint without any of them, and that endpoints with equal details
/// (a slice's endpoints on one node) share.
public struct Endpoint: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Bits 0–15 the port, 16–47 the IPv4 address (0 for IPv6), 48 ready, 49 serving, 50 terminating, 51 IPv6:
    /// for IPv4, the low 48 bits order as (address, port).
    private var bits: UInt64
    private var details: Details?

    private static let addressAndPortMask: UInt64 = 0xFFFF_FFFF_FFFF
    private static let readyBit: UInt64 = 1 << 48
    private static let servingBit: UInt64 = 1 << 49
    private static let terminatingBit: UInt64 = 1 << 50
    private static let v6Bit: UInt64 = 1 << 51

    /// What few endpoints have, out of line and shared.
    final class Details: Sendable, Hashable {
        /// The IPv6 address; 0 for an IPv4 endpoint.
        let v6: UInt128
        let nodeName: String?
        let zone: String?
        let zoneHints: [String]
        let nodeHints: [String]

        init(v6: UInt128, nodeName: String?, zone: String?, zoneHints: [String], nodeHints: [String]) {
            self.v6 = v6
            self.nodeName = nodeName
            self.zone = zone
            self.zoneHints = zoneHints
            self.nodeHints = nodeHints
        }

        /// The box for these values, nil when there is nothing to box.
        static func make(v6: UInt128, nodeName: String?, zone: String?, zoneHints: [String], nodeHints: [String]) -> Details? {
            if v6 == 0 && nodeName == nil && zone == nil && zoneHints.isEmpty && nodeHints.isEmpty { return nil }
            return Details(v6: v6, nodeName: nodeName, zone: zone, zoneHints: zoneHints, nodeHints: nodeHints)
        }

        static func == (lhs: Details, rhs: Details) -> Bool {
            lhs === rhs
                || (lhs.v6 == rhs.v6 && lhs.nodeName == rhs.nodeName && lhs.zone == rhs.zone
                    && lhs.zoneHints == rhs.zoneHints && lhs.nodeHints == rhs.nodeHints)
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(v6)
            hasher.combine(nodeName)
            hasher.combine(zone)
            hasher.combine(zoneHints)
            hasher.combine(nodeHints)
        }
    }

    public init(
        ip: IPAddress, port: Int, ready: Bool = true, serving: Bool? = nil, terminating: Bool = false,
        nodeName: String? = nil, zone: String? = nil, zoneHints: [String] = [], nodeHints: [String] = []
    ) {
        bits = Self.addressBits(ip) | UInt64(UInt16(port))
        details = Details.make(
            v6: ip.isV4 ? 0 : ip.value, nodeName: nodeName, zone: zone, zoneHints: zoneHints, nodeHints: nodeHints)
        self.ready = ready
        self.serving = serving ?? ready
        self.terminating = terminating
    }

    /// An endpoint with `details` as they are (interned by the caller).
    init(ip: IPAddress, port: Int, ready: Bool, serving: Bool, terminating: Bool, details: Details?) {
        bits = Self.addressBits(ip) | UInt64(UInt16(port))
        self.details = details
        self.ready = ready
        self.serving = serving
        self.terminating = terminating
    }

    /// The same endpoint with another port.
    func with(port: Int) -> Endpoint {
        var copy = self
        copy.port = port
        return copy
    }

    private static func addressBits(_ ip: IPAddress) -> UInt64 {
        ip.isV4 ? UInt64(UInt32(truncatingIfNeeded: ip.value)) << 16 : v6Bit
    }

    private func flag(_ bit: UInt64) -> Bool { bits & bit != 0 }

    private mutating func setFlag(_ bit: UInt64, _ on: Bool) {
        if on { bits |= bit } else { bits &= ~bit }
    }

    private mutating func replaceDetails(
        v6: UInt128? = nil, nodeName: String?? = nil, zone: String?? = nil, zoneHints: [String]? = nil,
        nodeHints: [String]? = nil
    ) {
        details = Details.make(
            v6: v6 ?? details?.v6 ?? 0, nodeName: nodeName ?? details?.nodeName, zone: zone ?? details?.zone,
            zoneHints: zoneHints ?? details?.zoneHints ?? [], nodeHints: nodeHints ?? details?.nodeHints ?? [])
    }

    var isV4: Bool { !flag(Self.v6Bit) }

    public var ip: IPAddress {
        get {
            isV4 ? IPAddress(v4: UInt32(truncatingIfNeeded: bits >> 16)) : IPAddress(v6: details?.v6 ?? 0)
        }
        set {
            bits = (bits & ~((Self.addressAndPortMask ^ 0xFFFF) | Self.v6Bit)) | Self.addressBits(newValue)
            replaceDetails(v6: newValue.isV4 ? 0 : newValue.value)
        }
    }

    public var port: Int {
        get { Int(bits & 0xFFFF) }
        set { bits = (bits & ~0xFFFF) | UInt64(UInt16(newValue)) }
    }

    /// Ready: in the normal rotation. (A nil condition in the API means true.)
    public var ready: Bool {
        get { flag(Self.readyBit) }
        set { setFlag(Self.readyBit, newValue) }
    }

    /// Serving: answering its readiness probe, even while terminating. (A nil condition means "as ready".)
    public var serving: Bool {
        get { flag(Self.servingBit) }
        set { setFlag(Self.servingBit, newValue) }
    }

    public var terminating: Bool {
        get { flag(Self.terminatingBit) }
        set { setFlag(Self.terminatingBit, newValue) }
    }

    public var nodeName: String? {
        get { details?.nodeName }
        set { replaceDetails(nodeName: .some(newValue)) }
    }

    public var zone: String? {
        get { details?.zone }
        set { replaceDetails(zone: .some(newValue)) }
    }

    /// `hints.forZones[].name`: the zones topology-aware routing sends this endpoint's traffic from.
    public var zoneHints: [String] {
        get { details?.zoneHints ?? [] }
        set { replaceDetails(zoneHints: newValue) }
    }

    /// `hints.forNodes[].name` (PreferSameNode).
    public var nodeHints: [String] {
        get { details?.nodeHints ?? [] }
        set { replaceDetails(nodeHints: newValue) }
    }

    /// The fallback class: still answering but on its way out. Used only when no endpoint is ready.
    public var isServingTerminating: Bool { serving && terminating }

    /// Whether the endpoint runs on `node`. An endpoint without a node name is never local.
    public func isLocal(to node: String) -> Bool { !node.isEmpty && details?.nodeName == node }

    /// The address and port, what duplicates across slices share.
    struct AddressAndPort: Hashable {
        var bits: UInt64
        var v6: UInt128
    }

    var addressAndPort: AddressAndPort {
        AddressAndPort(bits: bits & (Self.addressAndPortMask | Self.v6Bit), v6: details?.v6 ?? 0)
    }

    /// Ordered by address, then port: the order endpoint choices are laid out in, so that rule output is stable.
    public static func < (lhs: Endpoint, rhs: Endpoint) -> Bool {
        if lhs.isV4 && rhs.isV4 { return lhs.bits & addressAndPortMask < rhs.bits & addressAndPortMask }
        return (lhs.ip, lhs.port) < (rhs.ip, rhs.port)
    }

    public static func == (lhs: Endpoint, rhs: Endpoint) -> Bool {
        lhs.bits == rhs.bits && lhs.details == rhs.details
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(bits)
        hasher.combine(details)
    }

    /// `ip:port`, or `[ip]:port` for IPv6.
    public var description: String { isV4 ? "\(ip):\(port)" : "[\(ip)]:\(port)" }
}

/// An EndpointSlice reduced to what the proxy uses, so that unrelated edits (annotations, targetRef) are no-ops.
public struct EndpointSliceInfo: Sendable, Hashable {
    public struct Port: Sendable, Hashable {
        public var name: String
        public var `protocol`: ServiceProtocol
        public var port: Int
    }

    /// One entry of the slice: an endpoint whose port is the slice's port when it has exactly one, else 0 (the
    /// slice's ports apply to all its entries).
    public typealias Address = Endpoint

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
        let entries = slice["endpoints"]?.arrayValue ?? []
        var addresses: [Address] = []
        addresses.reserveCapacity(entries.count)
        // Endpoints on the same node with the same zone and hints share one details box.
        var shared = Set<Endpoint.Details>()
        for entry in entries {
            // Only the first address is used, as kube does (the API requires exactly one for IP slices).
            guard let first = entry["addresses"]?.arrayValue?.first?.stringValue,
                let ip = IPAddress.parseSloppy(first), ip.isV4 == (addressType == "IPv4")
            else { continue }
            let conditions = entry["conditions"]
            let ready = conditions?["ready"]?.boolValue ?? true
            let hints = entry["hints"]
            var details = Endpoint.Details.make(
                v6: ip.isV4 ? 0 : ip.value, nodeName: entry["nodeName"]?.stringValue, zone: entry["zone"]?.stringValue,
                zoneHints: (hints?["forZones"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue },
                nodeHints: (hints?["forNodes"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue })
            if let box = details, ip.isV4 { details = shared.insert(box).memberAfterInsert }
            addresses.append(
                Endpoint(
                    ip: ip, port: 0, ready: ready, serving: conditions?["serving"]?.boolValue ?? ready,
                    terminating: conditions?["terminating"]?.boolValue ?? false, details: details))
        }
        // With one port (the usual case) the entries carry it, and sorted without duplicates they are already the
        // merged list of a Service with this one slice, which then shares their buffer (see `merge`).
        if ports.count == 1 {
            for i in addresses.indices { addresses[i].port = ports[0].port }
        }
        if !addresses.isStrictlyIncreasing {
            let sorted = addresses.sorted()
            if sorted.isStrictlyIncreasing { addresses = sorted }
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
    /// collapse to one, the first ready copy (in slice name order) winning, or else the first; each list is sorted.
    public static func merge(_ slices: some Sequence<EndpointSliceInfo>) -> ServiceEndpoints {
        let slices = slices.sorted(by: { $0.sliceName < $1.sliceName })
        if slices.count == 1, let only = slices.first, only.ports.count == 1, let port = only.ports.first,
            !only.addresses.isEmpty, only.addresses.isStrictlyIncreasing, only.addresses[0].port == port.port
        {
            // One slice with one port whose entries are sorted and distinct: they are the merged list as they are.
            let name = ServicePortName(service: only.service, port: port.name, protocol: port.protocol)
            return [name: only.addresses]
        }
        var byPort: [ServicePortName: [Endpoint]] = [:]
        for slice in slices {
            for port in slice.ports {
                let name = ServicePortName(service: slice.service, port: port.name, protocol: port.protocol)
                byPort[name, default: []].append(contentsOf: slice.addresses.lazy.map { $0.with(port: port.port) })
            }
        }
        var result: ServiceEndpoints = [:]
        for (name, all) in byPort where !all.isEmpty {
            var list: [Endpoint] = []
            list.reserveCapacity(all.count)
            var seen: [Endpoint.AddressAndPort: Int] = [:]
            seen.reserveCapacity(all.count)
            for endpoint in all {
                if let i = seen[endpoint.addressAndPort] {
                    if !list[i].ready && endpoint.ready { list[i] = endpoint }
                } else {
                    seen[endpoint.addressAndPort] = list.count
                    list.append(endpoint)
                }
            }
            list.sort()
            result[name] = list
        }
        return result
    }
}

extension [Endpoint] {
    /// Sorted, with no address and port twice.
    var isStrictlyIncreasing: Bool {
        indices.dropFirst().allSatisfy { self[$0 - 1] < self[$0] }
    }
}
