import Foundation
import KubeModel

/// The addressing plan of a simulated cluster (see `netns-fixtures/simulated-cluster.json`, which tests and docs
/// share): an underlay bridge in a namespace of its own, N node namespaces on it, an external client namespace.
public struct Topology: Sendable, Equatable {
    public var prefix: String
    public var nodes: Int
    /// Underlay network; node N (1-based) gets host `nodeHostOffset + N` in it.
    public var underlayCIDR = "172.18.0.0/16"
    public var nodeHostOffset = 1
    /// The external client's address on the underlay.
    public var clientHost: UInt64 = 250
    /// Node N's pod CIDR is `10.244.N.0/24`.
    public var podCIDRPrefix = "10.244"
    public var underlayBridge = "br-underlay"
    public var loadBalancerPool = "172.18.255.0/24"
    /// ClusterIPs come from here (the control plane's `--service-cidr`).
    public var serviceCIDR = "10.96.0.0/12"

    public init(prefix: String, nodes: Int) {
        self.prefix = prefix
        self.nodes = nodes
    }

    /// Reads the shared fixture; falls back to the built-in plan when it is not there.
    public static func load(prefix: String, nodes: Int, fixture: String?) -> Topology {
        var t = Topology(prefix: prefix, nodes: nodes)
        guard let fixture, let data = FileManager.default.contents(atPath: fixture), let json = try? JSONParser.parse(data) else {
            return t
        }
        if let v = json["underlayCIDR"]?.stringValue { t.underlayCIDR = v }
        if let v = json["nodeHostOffset"]?.intValue { t.nodeHostOffset = Int(v) }
        if let v = json["clientHost"]?.intValue { t.clientHost = UInt64(v) }
        if let v = json["podCIDRPrefix"]?.stringValue { t.podCIDRPrefix = v }
        if let v = json["underlayBridge"]?.stringValue { t.underlayBridge = v }
        if let v = json["loadBalancerPool"]?.stringValue { t.loadBalancerPool = v }
        if let v = json["serviceCIDR"]?.stringValue { t.serviceCIDR = v }
        return t
    }

    public var underlayNamespace: String { "\(prefix)-underlay" }
    public var clientNamespace: String { "\(prefix)-client" }
    public func nodeName(_ n: Int) -> String { "node-\(n)" }
    public func nodeNamespace(_ n: Int) -> String { "\(prefix)-node-\(n)" }
    public func podCIDR(_ n: Int) -> String { "\(podCIDRPrefix).\(n).0/24" }

    var underlay: CIDR? { CIDR.parseLenient(underlayCIDR) }

    public func nodeIP(_ n: Int) -> String { underlay?.address(at: UInt64(nodeHostOffset + n))?.description ?? "" }
    public var clientIP: String { underlay?.address(at: clientHost)?.description ?? "" }
    public var underlayPrefixLength: Int { underlay?.prefixLength ?? 16 }

    /// Every namespace the cluster owns starts with this, and nothing else does.
    public var namespacePrefix: String { "\(prefix)-" }
}
