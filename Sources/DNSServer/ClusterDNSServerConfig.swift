import DNSCore
import Foundation
import KubeModel
import NIOCore

/// Everything `ClusterDNSServer` needs besides the API client; the CLI fills it from flags.
public struct ClusterDNSServerConfig: Sendable {
    /// Address UDP and TCP listen on; port 0 picks one free port for both (tests).
    public var host: String
    public var port: Int
    public var zone: DNSName
    public var podMode: PodRecordMode
    public var resolver: ClusterResolverConfig
    /// Resolvers for names outside the cluster, tried in order; empty means forwarded queries get SERVFAIL.
    public var upstreams: [SocketAddress]
    /// How long one upstream gets to answer before the next is tried (the brief's 2 s, as CoreDNS's `forward`).
    public var upstreamTimeout: TimeAmount
    /// Entries kept by the forwarder's cache; bounds its memory (~1 KB per entry at worst).
    public var cacheCapacity: Int
    /// Forwarded queries in flight at once; beyond this new ones are answered SERVFAIL instead of queueing without
    /// bound when the upstreams are slow.
    public var maxOutstandingForwards: Int
    /// UDP readers: threads on the one socket (`UDPQueue.shared`) or event loops with a socket each (`.perLoop`,
    /// at most the group's loops); nil: as many as the group has loops (one per core).
    public var udpReaders: Int?
    /// How the readers share the UDP port.
    public var udpQueue: UDPQueue

    public init(host: String = "0.0.0.0", port: Int = 53, zone: DNSName = .clusterLocal,
                podMode: PodRecordMode = .insecure, resolver: ClusterResolverConfig = ClusterResolverConfig(),
                upstreams: [SocketAddress] = [], upstreamTimeout: TimeAmount = .seconds(2),
                cacheCapacity: Int = 10_000, maxOutstandingForwards: Int = 1_000, udpReaders: Int? = nil,
                udpQueue: UDPQueue = .shared) {
        self.host = host
        self.port = port
        self.zone = zone
        self.podMode = podMode
        self.resolver = resolver
        self.upstreams = upstreams
        self.upstreamTimeout = upstreamTimeout
        self.cacheCapacity = cacheCapacity
        self.maxOutstandingForwards = maxOutstandingForwards
        self.udpReaders = udpReaders
        self.udpQueue = udpQueue
    }
}

/// How the UDP readers divide the queries.
public enum UDPQueue: String, Sendable, CaseIterable {
    /// One socket read by threads of its own (`DNSUDPReaders`), each blocked in recvmmsg: each datagram waits in one
    /// queue and the kernel hands it to whichever reader is idle, so a reader that is descheduled (its vCPU taken,
    /// another task on its core) delays nothing the others can take.
    case shared
    /// One socket per event loop on the same port (SO_REUSEPORT), read through NIO: the kernel hashes each client's
    /// address to one socket, so a query waits for its own loop even while another is idle.
    case perLoop = "per-loop"
}

/// Upstream addresses as given on the command line.
public enum DNSUpstream {
    /// `IP:PORT`, `[IPv6]:PORT`, or a bare IP meaning port 53; nil for anything else (names are not resolved: the
    /// resolver cannot depend on a resolver).
    public static func parse(_ text: String) -> SocketAddress? {
        if let address = try? SocketAddress(ipAddress: text.trimmingCharacters(in: ["[", "]"]), port: 53) {
            return address
        }
        guard let (host, port) = HostPort.parse(text) else { return nil }
        return try? SocketAddress(ipAddress: host, port: port)
    }
}

/// The host's resolver list, the default `--upstream`.
public enum ResolvConf {
    /// The `nameserver` addresses of a resolv.conf text, each on port 53, in file order (the order glibc tries them).
    /// Loopback stub resolvers (systemd-resolved's 127.0.0.53) are kept: on a host they are the working path out.
    public static func nameservers(in text: String) -> [SocketAddress] {
        var result: [SocketAddress] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, fields[0] == "nameserver" else { continue }
            // A scoped IPv6 address (fe80::1%eth0) cannot be parsed by NIO; skip it rather than fail.
            if let address = try? SocketAddress(ipAddress: String(fields[1]), port: 53) { result.append(address) }
        }
        return result
    }
}
