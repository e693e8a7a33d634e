import ArgumentParser
import DNSCore
import DNSServer
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import KubeClient
import KubeModel
import Logging

/// `junction dns`: the cluster DNS responder (issue 5), deployed behind Service `kube-system/kube-dns`.
///
/// Two executables run it: `junction dns` and the DNS-only `junction-dns`, which links nothing but the DNS server
/// and its API client and is what `junction dns` execs when it finds it next to itself (docs/dns.md).
public struct DNSCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "dns",
        abstract: "Serve cluster DNS (Kubernetes DNS specification 1.1.0) from the API, forwarding other names.")

    @Option(help: "Kubeconfig of the API server to watch (default: the in-cluster service account, as CoreDNS).")
    var kubeconfig: String?

    @Option(help: "Address for UDP and TCP, HOST:PORT (port 0 picks a free port).")
    var listen = "0.0.0.0:53"

    @Option(help: "The cluster domain answered with authority.")
    var clusterDomain = "cluster.local"

    @Option(name: .customLong("upstream"),
            help: "Resolver for other names, HOST:PORT (repeatable; default: the nameservers of /etc/resolv.conf).")
    var upstreams: [String] = []

    @Flag(help: "Forward nothing (names outside the cluster get SERVFAIL): for closed worlds like the simulation.")
    var noForward = false

    @Option(help: "TTL of positive answers, in seconds.")
    var ttl: UInt32 = 30

    @Option(help: "Pod records: insecure (any dashed IP), verified (existing pods only) or disabled.")
    var pods = "insecure"

    @Option(help: "Serve /health and /ready over HTTP here, HOST:PORT; empty disables.")
    var healthBind = "127.0.0.1:8080"

    @Option(help: "Serve Prometheus metrics (CoreDNS's names) at /metrics here, HOST:PORT; empty disables.")
    var metricsBind = "127.0.0.1:9153"

    @Option(help: "UDP readers: threads on the one socket (shared) or event loops with a socket each (per-loop); default: one per core.")
    var udpReaders: Int?

    @Option(help: "How the readers share the port: shared (one socket, each query taken by whichever reader is free) or per-loop (one SO_REUSEPORT socket per event loop, clients hashed over them).")
    var udpQueue = "shared"

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    public init() {}

    public func validate() throws {
        guard HostPort.parse(listen) != nil else { throw ValidationError("--listen must be HOST:PORT, got \(listen)") }
        guard healthBind.isEmpty || HostPort.parse(healthBind) != nil else {
            throw ValidationError("--health-bind must be HOST:PORT, got \(healthBind)")
        }
        guard metricsBind.isEmpty || HostPort.parse(metricsBind) != nil else {
            throw ValidationError("--metrics-bind must be HOST:PORT, got \(metricsBind)")
        }
        guard DNSName(clusterDomain) != nil else { throw ValidationError("invalid --cluster-domain \(clusterDomain)") }
        guard PodRecordMode(rawValue: pods) != nil else {
            throw ValidationError("--pods must be insecure, verified or disabled, got \(pods)")
        }
        for upstream in upstreams where DNSUpstream.parse(upstream) == nil {
            throw ValidationError("--upstream must be IP:PORT, got \(upstream)")
        }
        guard UDPQueue(rawValue: udpQueue) != nil else {
            throw ValidationError("--udp-queue must be shared or per-loop, got \(udpQueue)")
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
    }

    public func run() async throws {
        var configured = Logger(label: "junction.dns")
        configured.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let logger = configured
        guard let (host, port) = HostPort.parse(listen), let zone = DNSName(clusterDomain),
            let podMode = PodRecordMode(rawValue: pods), let queue = UDPQueue(rawValue: udpQueue)
        else { return }
        var addresses = upstreams.compactMap(DNSUpstream.parse)
        if upstreams.isEmpty && !noForward {
            let text = (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""
            addresses = ResolvConf.nameservers(in: text)
        }
        if addresses.isEmpty { logger.warning("no upstream resolvers: names outside the cluster get SERVFAIL") }
        let config = ClusterDNSServerConfig(
            host: host, port: port, zone: zone, podMode: podMode, resolver: ClusterResolverConfig(ttl: ttl),
            upstreams: addresses, udpReaders: udpReaders, udpQueue: queue)
        // No kubeconfig: the in-cluster configuration, as CoreDNS's kubernetes plugin in a pod.
        let client = try KubeClient(config: KubeConfig.load(path: kubeconfig))
        let metricsAddress = metricsBind.isEmpty ? nil : HostPort.parse(metricsBind)
        let metrics = metricsAddress.map { _ in DNSMetrics(host: host, port: port) }
        let server = ClusterDNSServer(config: config, logger: logger, metrics: metrics)
        let health = healthBind.isEmpty ? nil : HostPort.parse(healthBind)
        try await withSignalCancellation {
            try await withThrowingDiscardingTaskGroup { group in
                if let health {
                    group.addTask {
                        try await DNSHealthEndpoint.serve(
                            host: health.host, port: health.port, isReady: { server.isReady },
                            onBound: { logger.info("health endpoint listening", metadata: ["port": "\($0)"]) })
                    }
                }
                if let metricsAddress {
                    group.addTask {
                        try await DNSMetricsEndpoint.serve(
                            host: metricsAddress.host, port: metricsAddress.port, server: server,
                            onBound: { logger.info("metrics endpoint listening", metadata: ["port": "\($0)"]) })
                    }
                }
                group.addTask { try await server.run(client: client) }
            }
        }
        try? await client.shutdown()
    }
}
