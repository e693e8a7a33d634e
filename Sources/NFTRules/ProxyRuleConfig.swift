import KubeModel
import ProxyCore

/// Which destination addresses accept NodePorts.
public enum NodePortAddresses: Sendable, Hashable {
    /// Every local address but loopback (kube's empty `--nodeport-addresses`): matched with `fib daddr type local`,
    /// so it follows addresses as they come and go without a resync.
    case all
    /// Exactly these addresses: those of the node's addresses that `--nodeport-addresses` CIDRs select (or the
    /// node's primary IPs for `primary`).
    case addresses([IPAddress])

    /// The addresses among `local` that `cidrs` select; `.all` for an empty CIDR list (kube's semantics).
    public static func select(cidrs: [CIDR], from local: [IPAddress]) -> NodePortAddresses {
        if cidrs.isEmpty { return .all }
        return .addresses(local.filter { address in cidrs.contains { $0.contains(address) } })
    }
}

/// What the rules depend on besides the Services: the node and kube-proxy's flags, for one family.
public struct NFTProxyConfig: Sendable, Hashable {
    public var family: IPFamily
    /// The table's name (`ip junction`, `ip6 junction`). Junction touches nothing outside it.
    public var tableName: String
    public var nodeName: String
    /// The node's own addresses (its Node object's InternalIPs): a load-balancer source range that contains one
    /// also admits the VIPs themselves, for requests a node sends to a VIP it holds.
    public var nodeIPs: [IPAddress]
    public var nodePortAddresses: NodePortAddresses
    /// Opt-in: NodePorts also answer on 127.0.0.1 (IPv4 only; the daemon must set `route_localnet`, and such
    /// connections are always masqueraded, since a loopback source cannot leave the node).
    public var localhostNodePorts: Bool
    /// The pod network (`--cluster-cidr`): traffic from outside it to a ClusterIP is masqueraded, and pod traffic
    /// to a Local-policy external address is short-circuited to all endpoints. Empty: no local-traffic detection.
    public var clusterCIDRs: [CIDR]
    /// `--masquerade-all`: masquerade every ClusterIP connection.
    public var masqueradeAll: Bool
    /// The packet-mark bit that flags a connection for masquerade (kube's `masqueradeBit`, 14).
    public var masqueradeBit: Int
    /// Service CIDRs: packets to an address in them that is no ClusterIP are dropped rather than routed out.
    public var serviceCIDRs: [CIDR]
    /// How many slot-based endpoint maps TCP ports are spread over (UDP gets a quarter, SCTP a sixteenth, at least
    /// one each). They serve only the ports with chains of their own (external, Local-policy); more maps make
    /// each element insert and rule bind cheaper in the kernel (the work is per rule using the map), but every
    /// map costs every later libnftables command ~10 µs of cache fill, so 8.
    public var endpointMapBuckets: Int

    public init(
        family: IPFamily = .ipv4, tableName: String = "junction", nodeName: String, nodeIPs: [IPAddress] = [],
        nodePortAddresses: NodePortAddresses = .all, localhostNodePorts: Bool = false, clusterCIDRs: [CIDR] = [],
        masqueradeAll: Bool = false, masqueradeBit: Int = 14, serviceCIDRs: [CIDR] = [], endpointMapBuckets: Int = 8
    ) {
        self.family = family
        self.tableName = tableName
        self.nodeName = nodeName
        self.nodeIPs = nodeIPs
        self.nodePortAddresses = nodePortAddresses
        self.localhostNodePorts = localhostNodePorts
        self.clusterCIDRs = clusterCIDRs
        self.masqueradeAll = masqueradeAll
        self.masqueradeBit = masqueradeBit
        self.serviceCIDRs = serviceCIDRs
        self.endpointMapBuckets = endpointMapBuckets
    }

    /// The number of shared endpoint maps for a protocol.
    public func endpointMapBuckets(_ proto: ServiceProtocol) -> Int {
        let tcp = max(endpointMapBuckets, 1)
        switch proto {
        case .tcp: return tcp
        case .udp: return max(tcp / 4, 1)
        case .sctp: return max(tcp / 16, 1)
        }
    }

    public var nftFamily: NFTFamily { NFTFamily(family) }
    public var masqueradeMark: UInt32 { UInt32(1) << UInt32(min(max(masqueradeBit, 0), 31)) }
    var familyClusterCIDRs: [CIDR] { clusterCIDRs.filter(family.contains) }
    var familyServiceCIDRs: [CIDR] { serviceCIDRs.filter(family.contains) }
    var familyNodeIPs: [IPAddress] { nodeIPs.filter(family.contains) }
    /// Localhost NodePorts only exist for IPv4: IPv6 has no `route_localnet`.
    var localhostNodePortsEnabled: Bool { localhostNodePorts && family == .ipv4 }
}
