public struct Service: KubeObject, Hashable {
    public var apiVersion: String? = "v1"
    public var kind: String? = "Service"
    public var metadata = ObjectMeta()
    public var spec = ServiceSpec()
    public var status: ServiceStatus?

    public init(metadata: ObjectMeta = ObjectMeta(), spec: ServiceSpec = ServiceSpec()) {
        self.metadata = metadata
        self.spec = spec
    }
}

public struct ServiceSpec: Codable, Sendable, Hashable {
    public var ports: [ServicePort]?
    public var selector: [String: String]?
    public var clusterIP: String?
    public var clusterIPs: [String]?
    public var type: String?
    public var externalIPs: [String]?
    public var sessionAffinity: String?
    public var loadBalancerIP: String?
    public var loadBalancerSourceRanges: [String]?
    public var externalName: String?
    public var externalTrafficPolicy: String?
    public var healthCheckNodePort: Int?
    public var publishNotReadyAddresses: Bool?
    public var sessionAffinityConfig: SessionAffinityConfig?
    public var ipFamilies: [String]?
    public var ipFamilyPolicy: String?
    public var allocateLoadBalancerNodePorts: Bool?
    public var loadBalancerClass: String?
    public var internalTrafficPolicy: String?
    public var trafficDistribution: String?

    public init(ports: [ServicePort]? = nil, selector: [String: String]? = nil, type: String? = nil) {
        self.ports = ports
        self.selector = selector
        self.type = type
    }

    public var serviceType: ServiceType { ServiceType(rawValue: type ?? "ClusterIP") ?? .clusterIP }
    public var isHeadless: Bool { clusterIP == "None" }
}

public enum ServiceType: String, Sendable, CaseIterable {
    case clusterIP = "ClusterIP"
    case nodePort = "NodePort"
    case loadBalancer = "LoadBalancer"
    case externalName = "ExternalName"

    /// Whether the type gets node ports (LoadBalancer may opt out with allocateLoadBalancerNodePorts: false).
    public var usesNodePorts: Bool { self == .nodePort || self == .loadBalancer }
}

public struct SessionAffinityConfig: Codable, Sendable, Hashable {
    public struct ClientIPConfig: Codable, Sendable, Hashable {
        public var timeoutSeconds: Int?
    }
    public var clientIP: ClientIPConfig?
}

public struct ServicePort: Codable, Sendable, Hashable {
    public var name: String?
    public var `protocol`: String?
    public var appProtocol: String?
    public var port: Int
    public var targetPort: IntOrString?
    public var nodePort: Int?

    public init(name: String? = nil, protocol: String? = "TCP", port: Int, targetPort: IntOrString? = nil,
                nodePort: Int? = nil) {
        self.name = name
        self.protocol = `protocol`
        self.port = port
        self.targetPort = targetPort
        self.nodePort = nodePort
    }

    /// Decodes `port` leniently (a missing port is 0) so that validation, not decoding, names the field.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        `protocol` = try c.decodeIfPresent(String.self, forKey: .protocol)
        appProtocol = try c.decodeIfPresent(String.self, forKey: .appProtocol)
        port = try c.decodeIfPresent(Int.self, forKey: .port) ?? 0
        targetPort = try c.decodeIfPresent(IntOrString.self, forKey: .targetPort)
        nodePort = try c.decodeIfPresent(Int.self, forKey: .nodePort)
    }
}

public struct ServiceStatus: Codable, Sendable, Hashable {
    public struct LoadBalancerStatus: Codable, Sendable, Hashable {
        public var ingress: [LoadBalancerIngress]?
    }
    public struct LoadBalancerIngress: Codable, Sendable, Hashable {
        public var ip: String?
        public var hostname: String?
        public var ipMode: String?
        public var ports: JSONValue?
        public init(ip: String?, ipMode: String? = "VIP") {
            self.ip = ip
            self.ipMode = ipMode
        }
    }
    public var loadBalancer: LoadBalancerStatus?
    public var conditions: [Condition]?

    public init(loadBalancer: LoadBalancerStatus? = nil) { self.loadBalancer = loadBalancer }
}

public struct EndpointSlice: KubeObject, Hashable {
    public var apiVersion: String? = "discovery.k8s.io/v1"
    public var kind: String? = "EndpointSlice"
    public var metadata = ObjectMeta()
    public var addressType: String = "IPv4"
    public var endpoints: [Endpoint]?
    public var ports: [EndpointPort]?

    public init(metadata: ObjectMeta = ObjectMeta(), addressType: String = "IPv4") {
        self.metadata = metadata
        self.addressType = addressType
    }

    public struct Endpoint: Codable, Sendable, Hashable {
        public var addresses: [String]
        public var conditions: Conditions?
        public var hostname: String?
        public var targetRef: ObjectReference?
        public var nodeName: String?
        public var zone: String?
        public var hints: JSONValue?

        public init(addresses: [String], conditions: Conditions? = nil) {
            self.addresses = addresses
            self.conditions = conditions
        }
    }

    public struct Conditions: Codable, Sendable, Hashable {
        public var ready: Bool?
        public var serving: Bool?
        public var terminating: Bool?
        public init(ready: Bool?, serving: Bool?, terminating: Bool?) {
            self.ready = ready
            self.serving = serving
            self.terminating = terminating
        }
    }

    public struct EndpointPort: Codable, Sendable, Hashable {
        public var name: String?
        public var `protocol`: String?
        public var port: Int?
        public var appProtocol: String?
        public init(name: String?, protocol: String?, port: Int?, appProtocol: String? = nil) {
            self.name = name
            self.protocol = `protocol`
            self.port = port
            self.appProtocol = appProtocol
        }
    }
}

public struct ObjectReference: Codable, Sendable, Hashable {
    public var kind: String?
    public var namespace: String?
    public var name: String?
    public var uid: String?
    public var apiVersion: String?
    public var resourceVersion: String?
    public var fieldPath: String?

    public init(kind: String? = nil, namespace: String? = nil, name: String? = nil, uid: String? = nil) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.uid = uid
    }
}
