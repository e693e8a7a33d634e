import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Who is answering: the pod identity the echo workload reports in every reply.
///
/// The simulated kubelet passes these through the downward-API style environment variables
/// (`POD_NAME`, `POD_NAMESPACE`, `NODE_NAME`, `POD_IP`), so a test can tell from a reply alone which
/// backend a Service picked and on which node it runs.
public struct EchoIdentity: Sendable, Hashable {
    public var pod: String
    public var namespace: String
    public var node: String
    public var podIP: String
    /// The kernel host name of the process; inside a pod sandbox this is normally the pod name too.
    public var hostname: String

    public init(pod: String, namespace: String = "", node: String = "", podIP: String = "", hostname: String? = nil) {
        self.pod = pod
        self.namespace = namespace
        self.node = node
        self.podIP = podIP
        self.hostname = hostname ?? Self.currentHostname()
    }

    /// Reads the identity from the environment; an unset or empty `POD_NAME` falls back to the host name
    /// (the way `kubia` reports `os.hostname()`), the other fields fall back to the empty string.
    ///
    /// - Parameter environment: injected so tests need not mutate the process environment.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> EchoIdentity {
        func value(_ name: String) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return value
        }
        let hostname = currentHostname()
        return EchoIdentity(
            pod: value("POD_NAME") ?? hostname,
            namespace: value("POD_NAMESPACE") ?? "",
            node: value("NODE_NAME") ?? "",
            podIP: value("POD_IP") ?? "",
            hostname: hostname)
    }

    /// `gethostname(2)` directly: `ProcessInfo.hostName` may try name resolution, which can stall inside a
    /// freshly created network namespace whose DNS server is not up yet.
    public static func currentHostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        let result = buffer.withUnsafeMutableBufferPointer { pointer -> Int32 in
            guard let base = pointer.baseAddress else { return -1 }
            return gethostname(base, pointer.count - 1)
        }
        guard result == 0 else { return "" }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Where the echo workload listens and who it says it is.
public struct EchoServerConfig: Sendable {
    /// Address all listeners bind to; `0.0.0.0` inside a pod, `127.0.0.1` in tests.
    public var host: String
    /// HTTP/1.1 listener; 0 picks a free port (reported through `onBound`).
    public var httpPort: Int
    /// Raw TCP echo listener, or `nil` for none.
    public var tcpPort: Int?
    /// UDP echo listener, or `nil` for none.
    public var udpPort: Int?
    public var identity: EchoIdentity
    /// Receives one finished line (with trailing newline) per HTTP request, TCP connection and UDP datagram.
    /// Defaults to standard output because that is what becomes the pod's `kubectl logs`; tests capture it instead.
    public var accessLog: @Sendable (String) -> Void

    public init(
        identity: EchoIdentity = .fromEnvironment(),
        host: String = "0.0.0.0",
        httpPort: Int = 8080,
        tcpPort: Int? = 9000,
        udpPort: Int? = 9001,
        accessLog: @escaping @Sendable (String) -> Void = EchoAccessLog.writeToStandardOutput
    ) {
        self.identity = identity
        self.host = host
        self.httpPort = httpPort
        self.tcpPort = tcpPort
        self.udpPort = udpPort
        self.accessLog = accessLog
    }
}
