import ArgumentParser
import Foundation
import KubeClient
import KubeModel
import Logging
import NFTablesRunner
import ServiceProxy

struct ProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy", abstract: "Run the service proxy of one node (nftables mode), inside the node's network namespace.")

    @Option(help: "Kubeconfig of the API server to watch.") var kubeconfig: String
    @Option(name: [.customLong("hostname-override"), .customLong("node-name")], help: "This node's name.") var nodeName: String
    @Option(help: "This node's addresses (for NodePorts), comma-separated.") var nodeIP: String = ""
    @Option(help: "Pod CIDRs of the cluster, comma-separated (traffic from elsewhere is masqueraded).") var clusterCIDR = "10.244.0.0/16"
    @Option(help: "Proxy mode (only nftables so far).") var mode = "nftables"
    @Flag(help: "Masquerade all service traffic.") var masqueradeAll = false
    @Option(help: "Minimum seconds between syncs.") var minSyncPeriod: Double = 0.1
    @Option(help: "Seconds between full resyncs.") var syncPeriod: Double = 30
    @Flag(help: "Remove Junction's nftables table and exit.") var cleanup = false
    @Option var logLevel = "info"

    func validate() throws {
        guard mode == "nftables" else { throw ValidationError("--mode: only nftables is implemented so far") }
    }

    func run() async throws {
        var logger = Logger(label: "junction.proxy")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let runner = try NFTablesRunner()
        if cleanup {
            try? runner.run("delete table ip junction")
            return
        }
        var config = NFTablesProxy.Config(
            nodeName: nodeName, nodeIPs: nodeIP.split(separator: ",").compactMap { IPAddress.parse(String($0)) },
            clusterCIDRs: clusterCIDR.split(separator: ",").compactMap { CIDR.parseLenient(String($0)) })
        config.masqueradeAll = masqueradeAll
        config.minSyncInterval = .milliseconds(Int(minSyncPeriod * 1000))
        config.syncPeriod = .milliseconds(Int(syncPeriod * 1000))
        let api = try KubeClient(config: KubeConfig.load(path: kubeconfig))
        let proxy = NFTablesProxy(config: config, api: api, runner: runner, logger: logger)
        try await withSignalCancellation { await proxy.run() }
    }
}
