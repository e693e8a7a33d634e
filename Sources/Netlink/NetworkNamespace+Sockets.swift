import Glibc

/// A socket made inside a network namespace, with the port it ended up on.
///
/// The socket belongs to the namespace it was created in for its whole life, whichever thread uses it, so it can
/// be handed to SwiftNIO (`ServerBootstrap.withBoundSocket`, `DatagramBootstrap.withBoundSocket`,
/// `ClientBootstrap.withConnectedSocket`), which takes ownership. Otherwise the caller closes it.
public struct NamespaceSocket: Sendable, Hashable {
    /// The socket descriptor (close-on-exec, blocking).
    public var fileDescriptor: Int32
    /// The local port, as chosen by the kernel when 0 was asked for.
    public var port: UInt16

    public init(fileDescriptor: Int32, port: UInt16) {
        self.fileDescriptor = fileDescriptor
        self.port = port
    }
}

extension NetworkNamespace {
    /// Creates a socket (close-on-exec) inside the namespace and returns its descriptor; the caller binds, connects
    /// and closes it. Unix sockets bound to a path need no namespace: the path is in the file system, which all
    /// namespaces here share.
    public static func socket(in name: String, domain: Int32, type: Int32, protocol: Int32 = 0) throws -> Int32 {
        try runSync(in: name) {
            try makeSocket(domain: domain, type: type, protocol: `protocol`, namespace: name)
        }
    }

    /// A TCP socket inside the namespace, bound to `host`:`port` (port 0: the kernel picks) with SO_REUSEADDR,
    /// and listening. `ServerBootstrap.withBoundSocket` accepts it (its second `listen` only updates the backlog).
    /// Touches nothing but the new socket; closing it undoes everything.
    public static func listeningTCPSocket(
        in name: String, host: String, port: UInt16 = 0, backlog: Int32 = 128
    ) throws -> NamespaceSocket {
        let address = try IPSocketAddress(host: host, port: port)
        return try runSync(in: name) {
            let fd = try makeSocket(
                domain: address.family, type: Int32(SOCK_STREAM.rawValue), protocol: 0, namespace: name)
            do {
                var one: Int32 = 1
                try check(
                    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size)),
                    "set SO_REUSEADDR")
                try check(address.withSockAddr { bind(fd, $0, $1) }, "bind \(address) in namespace \(name)")
                try check(listen(fd, backlog), "listen on \(address) in namespace \(name)")
                return NamespaceSocket(fileDescriptor: fd, port: try localPort(fd))
            } catch {
                close(fd)
                throw error
            }
        }
    }

    /// A UDP socket inside the namespace, bound to `host`:`port` (port 0: the kernel picks), for
    /// `DatagramBootstrap.withBoundSocket`. Closing it undoes everything.
    public static func boundUDPSocket(in name: String, host: String, port: UInt16 = 0) throws -> NamespaceSocket {
        let address = try IPSocketAddress(host: host, port: port)
        return try runSync(in: name) {
            let fd = try makeSocket(
                domain: address.family, type: Int32(SOCK_DGRAM.rawValue), protocol: 0, namespace: name)
            do {
                try check(address.withSockAddr { bind(fd, $0, $1) }, "bind \(address) in namespace \(name)")
                return NamespaceSocket(fileDescriptor: fd, port: try localPort(fd))
            } catch {
                close(fd)
                throw error
            }
        }
    }

    /// A TCP socket inside the namespace, connected to `host`:`port`, for `ClientBootstrap.withConnectedSocket` or
    /// plain blocking I/O. The connect blocks the calling thread for at most `timeout`. Closing it undoes
    /// everything.
    public static func connectedTCPSocket(
        in name: String, host: String, port: UInt16, timeout: Duration = .seconds(5)
    ) throws -> NamespaceSocket {
        let address = try IPSocketAddress(host: host, port: port)
        return try runSync(in: name) {
            let fd = try makeSocket(
                domain: address.family, type: Int32(SOCK_STREAM.rawValue), protocol: 0, namespace: name)
            do {
                // SO_SNDTIMEO bounds a blocking connect on Linux; it is cleared again once connected.
                var limit = timeval(duration: timeout)
                try check(
                    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size)),
                    "set SO_SNDTIMEO")
                try check(address.withSockAddr { connect(fd, $0, $1) }, "connect to \(address) from namespace \(name)")
                var none = timeval()
                try check(
                    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &none, socklen_t(MemoryLayout<timeval>.size)),
                    "clear SO_SNDTIMEO")
                return NamespaceSocket(fileDescriptor: fd, port: try localPort(fd))
            } catch {
                close(fd)
                throw error
            }
        }
    }

    // MARK: - Helpers

    private static func makeSocket(domain: Int32, type: Int32, protocol: Int32, namespace: String) throws -> Int32 {
        let fd = Glibc.socket(domain, type | Int32(SOCK_CLOEXEC.rawValue), `protocol`)
        guard fd >= 0 else {
            throw NamespaceError.current("create socket in namespace \(namespace)")
        }
        return fd
    }

    private static func check(_ rc: Int32, _ operation: @autoclosure () -> String) throws {
        if rc != 0 {
            throw NamespaceError.current(operation())
        }
    }

    private static func localPort(_ fd: Int32) throws -> UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        try check(rc, "read local address of socket \(fd)")
        return IPSocketAddress.port(of: storage)
    }
}

/// An IPv4 or IPv6 socket address parsed from text.
struct IPSocketAddress: CustomStringConvertible {
    private enum Storage {
        case v4(sockaddr_in)
        case v6(sockaddr_in6)
    }

    private let storage: Storage
    let description: String

    init(host: String, port: UInt16) throws {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr = v4
            storage = .v4(address)
            description = "\(host):\(port)"
        } else if inet_pton(AF_INET6, host, &v6) == 1 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            address.sin6_addr = v6
            storage = .v6(address)
            description = "[\(host)]:\(port)"
        } else {
            throw NamespaceError(operation: "parse socket address \(host)", message: "not an IP address")
        }
    }

    var family: Int32 {
        switch storage {
        case .v4: AF_INET
        case .v6: AF_INET6
        }
    }

    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        switch storage {
        case .v4(var address):
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .v6(var address):
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
    }

    /// The port of an AF_INET or AF_INET6 address; 0 for other families.
    static func port(of storage: sockaddr_storage) -> UInt16 {
        var storage = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            }
        default:
            return 0
        }
    }
}

extension timeval {
    init(duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self.init(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }
}
