import KubeModel

/// Which UDP conntrack entries are stale after a sync. UDP has no connection end, so an entry that still points a
/// client's 5-tuple at an endpoint that went away (or at nothing, when the service had no endpoints and was
/// rejected) would keep black-holing that client until the entry times out — minutes for a busy DNS client.
/// A flow is stale when its original destination is one of a UDP service port's frontends (ClusterIP, external IP,
/// LoadBalancer IP, or a NodePort on one of the node's addresses or loopback) and its reply source is not a serving endpoint of that port.
/// Traffic policy and topology are deliberately ignored, as upstream does: an endpoint that still serves somewhere
/// keeps its flows.
public struct StaleUDPFlows: Sendable {
    struct Frontend: Hashable {
        var ip: IPAddress
        var port: Int
    }

    struct Target: Hashable {
        var ip: IPAddress
        var port: Int
    }

    private var frontends: [Frontend: Set<Target>] = [:]
    private var nodePorts: [Int: Set<Target>] = [:]
    private let nodeIPs: Set<IPAddress>

    public init(_ snapshot: ProxySnapshot, nodeIPs: [IPAddress]) {
        self.nodeIPs = Set(nodeIPs)
        for (_, sp) in snapshot.servicePorts where sp.info.protocol == .udp {
            let serving = Set(sp.endpoints.filter(\.serving).map { Target(ip: $0.ip, port: $0.port) })
            let addresses = [sp.clusterIP] + sp.info.externalIPs + sp.info.loadBalancerVIPs
            for ip in addresses where !ip.isUnspecified {
                frontends[Frontend(ip: ip, port: sp.info.port), default: []].formUnion(serving)
            }
            if sp.info.nodePort > 0 { nodePorts[sp.info.nodePort, default: []].formUnion(serving) }
        }
    }

    /// Whether any UDP service exists (no need to read the conntrack table otherwise).
    public var isEmpty: Bool { frontends.isEmpty && nodePorts.isEmpty }

    /// Whether a UDP flow (original destination, and the reply's source: the endpoint the kernel chose) is stale.
    public func isStale(destination: IPAddress, destinationPort: Int, replySource: IPAddress, replySourcePort: Int) -> Bool {
        let target = Target(ip: replySource, port: replySourcePort)
        if let serving = frontends[Frontend(ip: destination, port: destinationPort)] {
            return !serving.contains(target)
        }
        if let serving = nodePorts[destinationPort], nodeIPs.contains(destination) || destination.isLoopback {
            return !serving.contains(target)
        }
        return false
    }
}
