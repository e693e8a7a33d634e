import ArgumentParser
import EchoServer
import Foundation
import KubeClient
import KubeModel
import Logging
import Netlink
import NodeAgent
import Simulation

/// Options every cluster command shares.
struct ClusterOptions: ParsableArguments {
    @Option(name: .customLong("name"), help: "Cluster name: prefix of its namespaces and state directory.")
    var prefix = "junction"

    @Option(help: "Where cluster state (kubeconfig, logs, PIDs) lives.")
    var stateRoot = "/run/junction"

    @Option(help: "Log level.")
    var logLevel = "info"

    func validate() throws {
        guard prefix.range(of: "^[a-z][a-z0-9-]{0,15}$", options: .regularExpression) != nil else {
            throw ValidationError("--name must be 1-16 lowercase letters, digits or '-', starting with a letter")
        }
    }

    func cluster(nodes: Int = 0) -> Cluster {
        var logger = Logger(label: "junction.cluster")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        // The shared addressing fixture when run from the repository; the same built-in plan otherwise.
        let fixture = "netns-fixtures/simulated-cluster.json"
        return Cluster(topology: Topology.load(prefix: prefix, nodes: nodes, fixture: fixture), stateRoot: stateRoot,
                       junctionBinary: junctionBinaryPath(), logger: logger)
    }
}

func junctionBinaryPath() -> String {
    URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
}

struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up", abstract: "Create a simulated cluster: nodes and pods in network namespaces, real processes.")

    @OptionGroup var options: ClusterOptions
    @Option(help: "Number of nodes.") var nodes = 3
    @Option(help: "Proxy mode for the nodes' service proxy: nftables or userspace.") var proxyMode = "nftables"
    @Option(help: "Reuse this control plane (a kubeconfig) instead of starting one.") var kubeconfig: String?
    @Option(help: "Also write the admin kubeconfig here.") var kubeconfigOut: String?

    func validate() throws {
        guard (1...50).contains(nodes) else { throw ValidationError("--nodes must be 1-50") }
        guard ["nftables", "userspace"].contains(proxyMode) else { throw ValidationError("--proxy-mode is nftables or userspace") }
        // Refuse rather than bring up a cluster whose Services silently go nowhere.
        guard proxyMode == "nftables" else { throw ValidationError("--proxy-mode userspace is not implemented yet; use nftables") }
    }

    func run() async throws {
        let cluster = options.cluster(nodes: nodes)
        var o = Cluster.Options()
        o.proxyMode = proxyMode
        o.existingKubeconfig = kubeconfig
        let start = Date()
        try await cluster.up(o)
        if let out = kubeconfigOut {
            try? FileManager.default.removeItem(atPath: out)
            try FileManager.default.copyItem(atPath: cluster.kubeconfigPath, toPath: out)
        }
        let t = cluster.topology
        print("""
            Cluster "\(t.prefix)" is Ready: \(nodes) node(s) in \(String(format: "%.1f", Date().timeIntervalSince(start))) s.
              nodes:  \((1...nodes).map { "\(t.nodeName($0)) \(t.nodeIP($0)) pods \(t.podCIDR($0))" }.joined(separator: "\n          "))
              client: \(t.clientNamespace) \(t.clientIP)

            Try:
              export KUBECONFIG=\(kubeconfigOut ?? cluster.kubeconfigPath)
              kubectl get nodes -o wide
              kubectl apply -f docs/examples/
              kubectl get pods -o wide
              junction exec --name \(t.prefix) node-1 -- curl -s http://<pod-ip>:8080/
              junction down --name \(t.prefix)
            """)
    }
}

struct DownCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down", abstract: "Remove a simulated cluster: processes, namespaces, links, files. Idempotent.")
    @OptionGroup var options: ClusterOptions

    func run() async throws {
        try options.cluster().down()
        print("Cluster \"\(options.prefix)\" removed.")
    }
}

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show a simulated cluster's daemons, namespaces and nodes.")
    @OptionGroup var options: ClusterOptions

    func run() async throws {
        let cluster = options.cluster()
        let namespaces = NetworkNamespace.list().filter { $0.hasPrefix(cluster.topology.namespacePrefix) }.sorted()
        guard !namespaces.isEmpty || FileManager.default.fileExists(atPath: cluster.stateDir) else {
            print("Cluster \"\(options.prefix)\" does not exist.")
            throw ExitCode(1)
        }
        print("Daemons:")
        for d in cluster.daemons() { print("  \(d.name.padding(toLength: 16, withPad: " ", startingAt: 0)) pid \(d.pid)  \(d.running ? "running" : "NOT RUNNING")") }
        print("Namespaces:")
        for ns in namespaces {
            let addrs = (try? NetworkNamespace.runSync(in: ns) { try NetlinkSession().addresses("eth0") }) ?? []
            print("  \(ns.padding(toLength: 32, withPad: " ", startingAt: 0)) \(addrs.joined(separator: " "))")
        }
        if let config = try? KubeConfig.load(path: cluster.kubeconfigPath), let api = try? KubeClient(config: config) {
            defer { Task { try? await api.shutdown() } }
            if let nodes = try? await api.json(.GET, "/api/v1/nodes") {
                print("Nodes:")
                for n in nodes["items"]?.arrayValue ?? [] {
                    let ready = (n.value(at: ["status", "conditions"])?.arrayValue ?? []).first { $0["type"]?.stringValue == "Ready" }?["status"]?.stringValue ?? "?"
                    print("  \(n.value(at: ["metadata", "name"])?.stringValue ?? "")  Ready=\(ready)  podCIDR=\(n.value(at: ["spec", "podCIDR"])?.stringValue ?? "")")
                }
            }
            print("KUBECONFIG=\(cluster.kubeconfigPath)")
        }
    }
}

struct ExecCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec", abstract: "Run a command inside a pod, a node (node-N) or the external client namespace.")
    @OptionGroup var options: ClusterOptions
    @Argument(help: "node-N, client, or a pod as NAMESPACE/NAME or NAME (in default).") var target: String
    @Argument(parsing: .captureForPassthrough, help: "The command, after --.") var command: [String] = []

    func run() async throws {
        let cluster = options.cluster()
        let t = cluster.topology
        var argv = command
        if argv.first == "--" { argv.removeFirst() }
        guard !argv.isEmpty else { throw ValidationError("give a command after --") }
        var netns: String
        var resolv: String?
        var hosts: String?
        if target == "client" {
            netns = t.clientNamespace
        } else if target.hasPrefix("node-") {
            netns = "\(t.prefix)-\(target)"
        } else {
            let parts = target.split(separator: "/").map(String.init)
            let (ns, name) = parts.count == 2 ? (parts[0], parts[1]) : ("default", target)
            let api = try KubeClient(config: KubeConfig.load(path: cluster.kubeconfigPath))
            defer { Task { try? await api.shutdown() } }
            let pod = try await api.json(.GET, "/api/v1/namespaces/\(ns)/pods/\(name)")
            let uid = pod.value(at: ["metadata", "uid"])?.stringValue ?? ""
            netns = "\(t.prefix)-pod-\(uid.prefix(8))"
            let node = pod.value(at: ["spec", "nodeName"])?.stringValue ?? ""
            let dir = "\(cluster.stateDir)/nodes/\(node)/pods/\(uid)"
            resolv = dir + "/resolv.conf"
            hosts = dir + "/hosts"
        }
        guard NetworkNamespace.exists(netns) else { throw ValidationError("no namespace \(netns): is the cluster up?") }
        let launch = ContainerLaunch(
            argv: argv, env: ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }, workdir: nil,
            netnsPath: NetworkNamespace.path(netns), resolvConf: resolv, hosts: hosts, hostname: nil,
            logPath: nil)
        let pid = try ContainerProcess.spawn(launch, inheritStdio: true)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let sig = status & 0x7f
        throw ExitCode(sig == 0 ? (status >> 8) & 0xff : 128 + sig)
    }
}

struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node", abstract: "Run a node agent (inside the node's network namespace).")
    @Option var nodeName: String
    @Option var clusterPrefix: String
    @Option var podCIDR: String
    @Option var internalIP: String
    @Option var stateDir: String
    @Option var logDir: String
    @Option var kubeconfig: String
    @Option var clusterDNS = "10.96.0.10"
    @Option var logLevel = "info"

    func run() async throws {
        var logger = Logger(label: "junction.node")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        logger[metadataKey: "node"] = "\(nodeName)"
        var config = NodeAgentConfig(
            nodeName: nodeName, clusterPrefix: clusterPrefix, podCIDR: podCIDR, internalIP: internalIP, stateDir: stateDir,
            logDir: logDir, junctionBinary: junctionBinaryPath(), api: try KubeConfig.load(path: kubeconfig))
        config.clusterDNS = clusterDNS
        config.kubeconfigPath = kubeconfig
        let agent = try NodeAgent(config: config, logger: logger)
        try await withSignalCancellation { try await agent.run() }
    }
}

struct EchoServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo-server", abstract: "The built-in image junction/echo: HTTP, TCP and UDP echo.")
    @Option var httpPort = 8080
    @Option var tcpPort = 9000
    @Option var udpPort = 9001

    func run() async throws {
        var config = EchoServerConfig(identity: .fromEnvironment())
        config.httpPort = httpPort
        config.tcpPort = tcpPort
        config.udpPort = udpPort
        let logger = Logger(label: "junction.echo")
        let final = config
        try await withSignalCancellation { try await EchoServer.run(final, logger: logger) }
    }
}
