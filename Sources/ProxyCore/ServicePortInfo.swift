import KubeModel

/// `externalTrafficPolicy` / `internalTrafficPolicy`: whether traffic may go to any node's endpoints or only to
/// this node's.
public enum TrafficPolicy: String, Sendable, Hashable {
    case cluster = "Cluster"
    case local = "Local"
}

/// `sessionAffinity`. ClientIP pins a client address to one endpoint until it has been idle for the timeout.
public enum SessionAffinity: Sendable, Hashable {
    case none
    case clientIP(timeoutSeconds: Int)

    /// The API's default ClientIP timeout (3 hours), used when the config block is missing.
    public static let defaultTimeoutSeconds = 10800

    public var timeoutSeconds: Int? {
        if case .clientIP(let t) = self { return t }
        return nil
    }
}

/// One `status.loadBalancer.ingress[]` address. Only `VIP` mode (the default) is programmed: with `Proxy` the load
/// balancer rewrites the destination itself, so short-circuiting it on the node would skip its features (KEP-1860).
public struct LoadBalancerIngress: Sendable, Hashable {
    public enum Mode: String, Sendable, Hashable {
        case vip = "VIP"
        case proxy = "Proxy"
    }

    public var ip: IPAddress
    public var mode: Mode

    public init(ip: IPAddress, mode: Mode = .vip) {
        self.ip = ip
        self.mode = mode
    }
}

/// Everything the proxy needs about one Service port, taken from the Service object. Family-agnostic as parsed;
/// `restricted(to:)` gives the view one family's proxier works with.
public struct ServicePortInfo: Sendable, Hashable {
    /// `spec.clusterIPs` (or the legacy `spec.clusterIP`), primary family first.
    public var clusterIPs: [IPAddress]
    public var port: Int
    public var `protocol`: ServiceProtocol
    /// `targetPort` as written (a number or a port name), for diagnostics only: EndpointSlices already carry the
    /// resolved per-pod port, which is what the rules use.
    public var targetPort: String?
    /// 0 when the port has no NodePort.
    public var nodePort: Int
    public var externalIPs: [IPAddress]
    public var loadBalancerIngress: [LoadBalancerIngress]
    public var loadBalancerSourceRanges: [CIDR]
    public var sessionAffinity: SessionAffinity
    /// The effective policy: Local only where the API gives it meaning (a NodePort or LoadBalancer Service, or one
    /// with externalIPs), as kube's `apiservice.ExternalPolicyLocal` decides.
    public var externalTrafficPolicy: TrafficPolicy
    public var internalTrafficPolicy: TrafficPolicy
    /// 0 unless the Service is a LoadBalancer with externalTrafficPolicy Local (kube's `NeedsHealthCheck`).
    public var healthCheckNodePort: Int

    public init(
        clusterIPs: [IPAddress], port: Int, protocol: ServiceProtocol = .tcp, targetPort: String? = nil,
        nodePort: Int = 0, externalIPs: [IPAddress] = [], loadBalancerIngress: [LoadBalancerIngress] = [],
        loadBalancerSourceRanges: [CIDR] = [], sessionAffinity: SessionAffinity = .none,
        externalTrafficPolicy: TrafficPolicy = .cluster, internalTrafficPolicy: TrafficPolicy = .cluster,
        healthCheckNodePort: Int = 0
    ) {
        self.clusterIPs = clusterIPs
        self.port = port
        self.protocol = `protocol`
        self.targetPort = targetPort
        self.nodePort = nodePort
        self.externalIPs = externalIPs
        self.loadBalancerIngress = loadBalancerIngress
        self.loadBalancerSourceRanges = loadBalancerSourceRanges
        self.sessionAffinity = sessionAffinity
        self.externalTrafficPolicy = externalTrafficPolicy
        self.internalTrafficPolicy = internalTrafficPolicy
        self.healthCheckNodePort = healthCheckNodePort
    }

    /// The ClusterIP this view programs: the first of `clusterIPs`.
    public var clusterIP: IPAddress? { clusterIPs.first }

    /// Load-balancer addresses the node programs (VIP mode only).
    public var loadBalancerVIPs: [IPAddress] {
        loadBalancerIngress.compactMap { $0.mode == .vip ? $0.ip : nil }
    }

    /// Reachable other than through the ClusterIP (kube's `ExternallyAccessible`).
    public var externallyAccessible: Bool {
        nodePort != 0 || !loadBalancerVIPs.isEmpty || !externalIPs.isEmpty
    }

    public var externalPolicyLocal: Bool { externalTrafficPolicy == .local }
    public var internalPolicyLocal: Bool { internalTrafficPolicy == .local }

    /// Whether any traffic ever goes to cluster-wide endpoints: internal traffic with the Cluster policy, or any
    /// external traffic, since even with the Local policy pod and host traffic is short-circuited to all
    /// endpoints.
    public var usesClusterEndpoints: Bool { !internalPolicyLocal || externallyAccessible }

    /// Whether any traffic is restricted to this node's endpoints.
    public var usesLocalEndpoints: Bool { internalPolicyLocal || (externalPolicyLocal && externallyAccessible) }

    /// The view of one family's proxier: addresses and ranges of that family only, the ClusterIP of that family
    /// first; nil when the Service has no ClusterIP of that family (it is then not proxied in that family).
    public func restricted(to family: IPFamily) -> ServicePortInfo? {
        let ips = clusterIPs.sharingFilter(family.contains)
        guard !ips.isEmpty else { return nil }
        var view = self
        view.clusterIPs = ips
        view.externalIPs = externalIPs.sharingFilter(family.contains)
        view.loadBalancerIngress = loadBalancerIngress.sharingFilter { family.contains($0.ip) }
        view.loadBalancerSourceRanges = loadBalancerSourceRanges.sharingFilter(family.contains)
        return view
    }
}

/// The ports of one Service, keyed by port name.
public typealias ServicePorts = [ServicePortName: ServicePortInfo]

/// Why a Service gets no rules at all.
public enum ServiceSkipReason: String, Sendable, Hashable {
    /// `clusterIP: None`: DNS answers with the endpoints themselves.
    case headless
    /// `type: ExternalName`: a DNS CNAME, nothing to proxy.
    case externalName
    /// Labelled `service.kubernetes.io/service-proxy-name`: another proxy owns it.
    case otherProxy
    /// No ClusterIP allocated (yet), or none that parses.
    case noClusterIP
}

extension ServicePortInfo {
    /// The label that hands a Service to another proxy implementation; kube-proxy's informer excludes it.
    public static let serviceProxyNameLabel = "service.kubernetes.io/service-proxy-name"
    /// The label the EndpointSlice controller puts on a headless Service's slices.
    public static let headlessLabel = "service.kubernetes.io/headless"

    /// Parses a Service's API JSON into its ports, or the reason it is not proxied. Unknown or malformed values are
    /// dropped rather than failing the whole Service, as the proxy must keep programming everything else.
    public static func parse(service: JSONValue) -> (name: NamespacedName, ports: ServicePorts, skipped: ServiceSkipReason?) {
        let namespace = service.value(at: ["metadata", "namespace"])?.stringValue ?? "default"
        let name = NamespacedName(namespace: namespace, name: service.value(at: ["metadata", "name"])?.stringValue ?? "")
        if service.value(at: ["metadata", "labels", serviceProxyNameLabel]) != nil {
            return (name, [:], .otherProxy)
        }
        let spec = service["spec"] ?? .object([:])
        let type = spec["type"]?.stringValue ?? "ClusterIP"
        if type == "ExternalName" { return (name, [:], .externalName) }
        let primary = spec["clusterIP"]?.stringValue ?? ""
        if primary == "None" { return (name, [:], .headless) }
        var rawIPs = spec["clusterIPs"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if rawIPs.isEmpty && !primary.isEmpty { rawIPs = [primary] }
        let clusterIPs = rawIPs.compactMap(IPAddress.parseSloppy)
        guard !clusterIPs.isEmpty else { return (name, [:], .noClusterIP) }

        let externalIPs = (spec["externalIPs"]?.arrayValue ?? []).compactMap { $0.stringValue.flatMap(IPAddress.parseSloppy) }
        let ingress: [LoadBalancerIngress] = (service.value(at: ["status", "loadBalancer", "ingress"])?.arrayValue ?? [])
            .compactMap { entry in
                guard let ip = entry["ip"]?.stringValue.flatMap(IPAddress.parseSloppy) else { return nil }
                let mode = LoadBalancerIngress.Mode(rawValue: entry["ipMode"]?.stringValue ?? "VIP") ?? .vip
                return LoadBalancerIngress(ip: ip, mode: mode)
            }
        let sourceRanges = (spec["loadBalancerSourceRanges"]?.arrayValue ?? []).compactMap { value -> CIDR? in
            guard let text = value.stringValue?.trimmingSpaces, !text.isEmpty else { return nil }
            return CIDR.parseLenient(text)
        }
        let affinity: SessionAffinity
        if spec["sessionAffinity"]?.stringValue == "ClientIP" {
            let timeout = spec.value(at: ["sessionAffinityConfig", "clientIP", "timeoutSeconds"])?.intValue
            affinity = .clientIP(timeoutSeconds: timeout.map { Int($0) } ?? SessionAffinity.defaultTimeoutSeconds)
        } else {
            affinity = .none
        }
        let externallyReachableType = type == "NodePort" || type == "LoadBalancer" || !externalIPs.isEmpty
        let externalPolicy: TrafficPolicy =
            externallyReachableType && spec["externalTrafficPolicy"]?.stringValue == "Local" ? .local : .cluster
        let internalPolicy: TrafficPolicy = spec["internalTrafficPolicy"]?.stringValue == "Local" ? .local : .cluster
        let healthCheckNodePort =
            type == "LoadBalancer" && externalPolicy == .local ? Int(spec["healthCheckNodePort"]?.intValue ?? 0) : 0
        let usesNodePorts = type == "NodePort" || type == "LoadBalancer"

        var ports: ServicePorts = [:]
        for entry in spec["ports"]?.arrayValue ?? [] {
            guard let proto = ServiceProtocol(apiValue: entry["protocol"]?.stringValue),
                let port = entry["port"]?.intValue, port > 0, port < 65536
            else { continue }
            let portName = ServicePortName(service: name, port: entry["name"]?.stringValue ?? "", protocol: proto)
            let target: String? =
                switch entry["targetPort"] {
                case .int(let n): String(n)
                case .string(let s): s
                default: nil
                }
            ports[portName] = ServicePortInfo(
                clusterIPs: clusterIPs, port: Int(port), protocol: proto, targetPort: target,
                nodePort: usesNodePorts ? Int(entry["nodePort"]?.intValue ?? 0) : 0,
                externalIPs: externalIPs, loadBalancerIngress: ingress, loadBalancerSourceRanges: sourceRanges,
                sessionAffinity: affinity, externalTrafficPolicy: externalPolicy, internalTrafficPolicy: internalPolicy,
                healthCheckNodePort: healthCheckNodePort)
        }
        return (name, ports, nil)
    }
}

extension String {
    /// The string without leading and trailing spaces (source ranges are often written with them).
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
