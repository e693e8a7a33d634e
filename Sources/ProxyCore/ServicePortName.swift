import KubeModel

/// A namespace and a name: the identity of a Service, and the key its EndpointSlices are grouped under.
public struct NamespacedName: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var namespace: String
    public var name: String

    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    public static func < (lhs: NamespacedName, rhs: NamespacedName) -> Bool {
        (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name)
    }

    /// `namespace/name`, as kube prints it.
    public var description: String { "\(namespace)/\(name)" }
}

/// The transport protocols a Service port may use. The kernel here has no SCTP sockets, but the rules for SCTP are
/// built all the same so that clusters with SCTP get them.
public enum ServiceProtocol: String, Sendable, Hashable, CaseIterable, Comparable {
    case tcp = "TCP"
    case udp = "UDP"
    case sctp = "SCTP"

    /// The API's spelling (`TCP`), defaulting to TCP as the API server does for an absent field.
    public init?(apiValue: String?) {
        guard let value = apiValue else {
            self = .tcp
            return
        }
        self.init(rawValue: value)
    }

    /// Lower-case name, as nftables and kube's chain names spell it.
    public var lowercaseName: String {
        switch self {
        case .tcp: "tcp"
        case .udp: "udp"
        case .sctp: "sctp"
        }
    }

    public static func < (lhs: ServiceProtocol, rhs: ServiceProtocol) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The key of everything the proxy programs: one port of one Service (kube's `proxy.ServicePortName`).
///
/// Port names are unique within a Service, so namespace, name and port name already identify the port; the
/// protocol is part of the key so that a port changing protocol is seen as one port going and another coming.
public struct ServicePortName: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var service: NamespacedName
    /// The port's name; empty for the single unnamed port a Service may have.
    public var port: String
    public var `protocol`: ServiceProtocol

    public init(service: NamespacedName, port: String, protocol: ServiceProtocol) {
        self.service = service
        self.port = port
        self.protocol = `protocol`
    }

    public init(namespace: String, name: String, port: String, protocol: ServiceProtocol) {
        self.init(service: NamespacedName(namespace: namespace, name: name), port: port, protocol: `protocol`)
    }

    public static func < (lhs: ServicePortName, rhs: ServicePortName) -> Bool {
        (lhs.service, lhs.port, lhs.protocol) < (rhs.service, rhs.port, rhs.protocol)
    }

    /// `namespace/name:port` (or `namespace/name` for an unnamed port), as kube logs it.
    public var description: String {
        port.isEmpty ? service.description : "\(service):\(port)"
    }
}

/// Which address family a proxier programs; kube runs one proxier per family and so do we.
public enum IPFamily: String, Sendable, Hashable, CaseIterable {
    case ipv4 = "IPv4"
    case ipv6 = "IPv6"

    public func contains(_ address: IPAddress) -> Bool { address.isV4 == (self == .ipv4) }
    public func contains(_ cidr: CIDR) -> Bool { cidr.isV4 == (self == .ipv4) }
}
