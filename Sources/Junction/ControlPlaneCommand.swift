import ArgumentParser
import ControlPlane
import KubeModel
import Logging
import ServiceLifecycle

struct ControlPlaneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "control-plane",
        abstract: "Run the Kubernetes-compatible API server, its store and controllers.")

    @Option(help: "Directory for the store, the admin token and other state.")
    var dataDir = "/var/lib/junction"

    @Option(help: "Address to listen on, HOST:PORT (port 0 picks a free port).")
    var listen = "127.0.0.1:6443"

    @Option(help: "ClusterIP range for Services.")
    var serviceCIDR = "10.96.0.0/12"

    @Option(help: "NodePort range, FIRST-LAST.")
    var nodePortRange = "30000-32767"

    @Option(help: "LoadBalancer IP pool (a CIDR); empty disables LoadBalancer IP allocation.")
    var lbPool = "172.18.255.0/24"

    @Option(help: "Write an admin kubeconfig here once the server listens.")
    var kubeconfigOut: String?

    @Option(name: .customLong("tls-san"), help: "Extra name or address for the serving certificate (repeatable).")
    var tlsSANs: [String] = []

    @Option(help: "Also serve the API on this unix socket (plain HTTP, same token), for daemons in other network namespaces.")
    var unixSocket: String?

    @Option(help: "Directory node agents on this machine write container logs to (serves kubectl logs).")
    var podLogDir: String?

    @Option(help: "Seconds without a node heartbeat before the node turns NotReady.")
    var nodeMonitorGracePeriod: Double = 40

    @Option(help: "Seconds a node stays NotReady before its pods are deleted and replaced elsewhere.")
    var podEvictionTimeout: Double = 300

    @Option(help: "Events kept for watches that resume from an older resourceVersion (older ones get 410 Gone).")
    var watchWindow = 10_000

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func validate() throws {
        guard parseListen() != nil else { throw ValidationError("--listen must be HOST:PORT, got \(listen)") }
        guard parseRange() != nil else { throw ValidationError("--node-port-range must be FIRST-LAST, got \(nodePortRange)") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
    }

    func parseListen() -> (String, Int)? { HostPort.parse(listen) }

    func parseRange() -> ClosedRange<Int>? {
        let parts = nodePortRange.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 2, parts[0] <= parts[1], parts[0] > 0, parts[1] <= 65535 else { return nil }
        return parts[0]...parts[1]
    }

    func run() async throws {
        var logger = Logger(label: "junction.control-plane")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        guard let (host, port) = parseListen(), let range = parseRange() else { return }
        var config = ControlPlane.Config(dataDir: dataDir)
        config.host = host
        config.port = port
        config.kubeconfigOut = kubeconfigOut
        config.tlsSANs = tlsSANs
        config.unixSocket = unixSocket
        config.podLogDir = podLogDir
        config.nodeMonitorGracePeriod = nodeMonitorGracePeriod
        config.podEvictionTimeout = podEvictionTimeout
        config.watchWindow = max(10, watchWindow)
        config.allocators = .init(serviceCIDR: serviceCIDR, nodePortRange: range,
                                  loadBalancerPool: lbPool.isEmpty ? nil : lbPool)
        let controlPlane = try ControlPlane(config: config, logger: logger)
        try await controlPlane.bootstrap()
        let group = ServiceGroup(
            configuration: .init(services: try controlPlane.services().map { .init(service: $0) },
                                 gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
