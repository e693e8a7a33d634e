import ArgumentParser
import Foundation
import KubeClient
import KubeModel
import Logging
import NFTablesRunner
import ProxyCore
import ServiceProxy
import Yams

public struct ProxyCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "Run the service proxy of one node (nftables mode), inside the node's network namespace.",
        discussion: """
            Flags mean what kube-proxy's mean. --config reads a KubeProxyConfiguration (kubeproxy.config.k8s.io \
            v1alpha1); flags given on the command line win over the file.
            """)

    @Option(help: "A KubeProxyConfiguration YAML file.") var config: String?
    @Option(help: "Kubeconfig of the API server to watch (default: the in-cluster service account).") var kubeconfig: String?
    @Option(name: [.customLong("hostname-override"), .customLong("node-name")], help: "This node's name.") var nodeName: String?
    @Option(help: "This node's addresses (for NodePorts and source ranges), comma-separated.") var nodeIP: String?
    @Option(help: "Pod CIDRs of the cluster, comma-separated (traffic from elsewhere to a ClusterIP is masqueraded).") var clusterCIDR: String?
    @Option(help: "CIDRs whose node addresses accept NodePorts, comma-separated (empty: all local addresses).") var nodeportAddresses: String?
    @Option(help: "Service CIDRs: unallocated addresses in them are dropped instead of routed.") var serviceCIDR: String?
    @Option(name: [.customLong("proxy-mode"), .customLong("mode")], help: "Proxy mode (only nftables so far).") var mode: String?
    @Flag(help: "Masquerade all service traffic.") var masqueradeAll = false
    @Flag(help: "NodePorts also answer on 127.0.0.1 (sets route_localnet in this namespace).") var localhostNodeports = false
    @Option(help: "Minimum interval between syncs (seconds, or a duration like 1s).") var minSyncPeriod: String?
    @Option(help: "Interval between full resyncs (seconds, or a duration like 30s).") var syncPeriod: String?
    @Option(help: "HOST:PORT of /healthz and /livez (empty disables).") var healthzBindAddress: String?
    @Option(help: "HOST:PORT of /metrics (empty disables).") var metricsBindAddress: String?
    @Option(help: ArgumentHelp("Fault injection for tests: syncs fail while this file exists.", visibility: .hidden))
    var failSyncsWhileExists: String?
    @Flag(help: "Remove Junction's nftables tables from this namespace and exit.") var cleanup = false
    @Option var logLevel = "info"

    public init() {}

    public func run() async throws {
        // Before any thread allocates: see `HeapTrim.limitArenas`.
        HeapTrim.limitArenas(2)
        HeapTrim.mmapAllocations(from: 256 << 10)
        var logger = Logger(label: "junction.proxy")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let runner = try NFTablesRunner()
        if cleanup {
            for table in ["ip junction", "ip6 junction"] {
                do {
                    try runner.run("delete table \(table)")
                    print("deleted table \(table)")
                } catch {
                    // An absent table is what cleanup wants; anything else is reported.
                    if !error.message.contains("No such file or directory") { throw error }
                }
            }
            return
        }
        let settings = try ProxySettings.resolve(file: config, flags: self)
        if settings.mode != "nftables" {
            throw ValidationError("proxy mode \(settings.mode): only nftables is implemented so far")
        }
        guard let node = settings.nodeName ?? ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) else {
            throw ValidationError("--hostname-override is required")
        }
        if settings.localhostNodePorts {
            // route_localnet lets packets to 127.0.0.1 be DNATed to a pod; it is per namespace.
            try "1".write(toFile: "/proc/sys/net/ipv4/conf/all/route_localnet", atomically: false, encoding: .utf8)
        }
        var proxyConfig = NFTablesProxy.Config(nodeName: node, nodeIPs: settings.nodeIPs, clusterCIDRs: settings.clusterCIDRs)
        proxyConfig.families = settings.families
        proxyConfig.nodePortCIDRs = settings.nodePortCIDRs
        proxyConfig.serviceCIDRs = settings.serviceCIDRs
        proxyConfig.localhostNodePorts = settings.localhostNodePorts
        proxyConfig.masqueradeAll = settings.masqueradeAll
        proxyConfig.masqueradeBit = settings.masqueradeBit
        proxyConfig.minSyncInterval = settings.minSyncPeriod
        proxyConfig.syncPeriod = settings.syncPeriod
        (proxyConfig.healthzHost, proxyConfig.healthzPort) = settings.healthz.map { ($0.host, $0.port) } ?? (nil, 0)
        (proxyConfig.metricsHost, proxyConfig.metricsPort) = settings.metrics.map { ($0.host, $0.port) } ?? (nil, 0)
        proxyConfig.failSyncsWhileExists = failSyncsWhileExists
        // No kubeconfig: the in-cluster configuration, as kube-proxy in a DaemonSet pod.
        let api = try KubeClient(config: KubeConfig.load(path: settings.kubeconfig))
        let proxy = NFTablesProxy(config: proxyConfig, api: api, runner: runner, logger: logger)
        logger.info("proxy starting", metadata: ["node": "\(node)", "families": "\(settings.families)"])
        try await withSignalCancellation { await proxy.run() }
    }
}

/// The proxy's settings: kube-proxy's defaults, then the KubeProxyConfiguration file, then explicit flags.
struct ProxySettings {
    var kubeconfig: String?
    var nodeName: String?
    var nodeIPs: [IPAddress] = []
    var clusterCIDRs: [CIDR] = [CIDR.parseLenient("10.244.0.0/16")].compactMap { $0 }
    var nodePortCIDRs: [CIDR] = []
    var serviceCIDRs: [CIDR] = []
    var mode = "nftables"
    var masqueradeAll = false
    var masqueradeBit = 14
    var localhostNodePorts = false
    /// kube-proxy's default is 1 s; a partial sync here costs milliseconds, so bursts are batched over 100 ms.
    var minSyncPeriod: Duration = .milliseconds(100)
    var syncPeriod: Duration = .seconds(30)
    var healthz: (host: String, port: Int)? = ("0.0.0.0", 10256)
    var metrics: (host: String, port: Int)? = ("127.0.0.1", 10249)

    /// IPv4 always; IPv6 too when the node or the cluster CIDRs have an IPv6 address (dual-stack).
    var families: [IPFamily] {
        let v6 = nodeIPs.contains(where: \.isV6) || clusterCIDRs.contains { !$0.isV4 }
        let v4 = nodeIPs.isEmpty || nodeIPs.contains(where: \.isV4) || clusterCIDRs.contains(where: \.isV4)
        return (v4 ? [.ipv4] : []) + (v6 ? [.ipv6] : [])
    }

    static func resolve(file: String?, flags: ProxyCommand) throws -> ProxySettings {
        var s = ProxySettings()
        if let file { try s.apply(configFile: file) }
        if let v = flags.kubeconfig { s.kubeconfig = v }
        if let v = flags.nodeName { s.nodeName = v }
        if let v = flags.nodeIP { s.nodeIPs = try list(v, "--node-ip", IPAddress.parse) }
        if let v = flags.clusterCIDR { s.clusterCIDRs = try list(v, "--cluster-cidr", CIDR.parseLenient) }
        if let v = flags.nodeportAddresses { s.nodePortCIDRs = try list(v, "--nodeport-addresses", CIDR.parseLenient) }
        if let v = flags.serviceCIDR { s.serviceCIDRs = try list(v, "--service-cidr", CIDR.parseLenient) }
        if let v = flags.mode { s.mode = v }
        if flags.masqueradeAll { s.masqueradeAll = true }
        if flags.localhostNodeports { s.localhostNodePorts = true }
        if let v = flags.minSyncPeriod { s.minSyncPeriod = try duration(v, "--min-sync-period") }
        if let v = flags.syncPeriod { s.syncPeriod = try duration(v, "--sync-period") }
        if let v = flags.healthzBindAddress { s.healthz = try bind(v, "--healthz-bind-address", defaultPort: 10256) }
        if let v = flags.metricsBindAddress { s.metrics = try bind(v, "--metrics-bind-address", defaultPort: 10249) }
        return s
    }

    /// Reads the fields of a KubeProxyConfiguration that mean something here; unknown fields are ignored (as
    /// kube-proxy's lenient decoding does), a wrong kind or a malformed value is an error naming the field.
    mutating func apply(configFile path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        guard let doc = try Yams.load(yaml: text) as? [String: Any] else {
            throw ValidationError("\(path): not a YAML mapping")
        }
        if let kind = doc["kind"] as? String, kind != "KubeProxyConfiguration" {
            throw ValidationError("\(path): kind is \(kind), expected KubeProxyConfiguration")
        }
        func string(_ key: String) -> String? { doc[key].map { "\($0)" } }
        if let v = (doc["clientConnection"] as? [String: Any])?["kubeconfig"] as? String, !v.isEmpty { kubeconfig = v }
        if let v = string("hostnameOverride"), !v.isEmpty { nodeName = v }
        if let v = string("mode"), !v.isEmpty { mode = v }
        if let v = string("clusterCIDR"), !v.isEmpty { clusterCIDRs = try Self.list(v, "clusterCIDR", CIDR.parseLenient) }
        if let v = doc["nodePortAddresses"] as? [Any] {
            nodePortCIDRs = try v.map { "\($0)" }.filter { $0 != "primary" }.map {
                guard let c = CIDR.parseLenient($0) else { throw ValidationError("nodePortAddresses: invalid CIDR \($0)") }
                return c
            }
        }
        if let v = doc["masqueradeAll"] as? Bool { masqueradeAll = v }
        if let v = (doc["nftables"] as? [String: Any])?["masqueradeBit"] as? Int { masqueradeBit = v }
        if let v = (doc["nftables"] as? [String: Any])?["minSyncPeriod"] as? String { minSyncPeriod = try Self.duration(v, "nftables.minSyncPeriod") }
        if let v = (doc["nftables"] as? [String: Any])?["syncPeriod"] as? String { syncPeriod = try Self.duration(v, "nftables.syncPeriod") }
        if let v = string("syncPeriod") { syncPeriod = try Self.duration(v, "syncPeriod") }
        if let v = string("minSyncPeriod") { minSyncPeriod = try Self.duration(v, "minSyncPeriod") }
        if let v = string("healthzBindAddress") { healthz = try Self.bind(v, "healthzBindAddress", defaultPort: 10256) }
        if let v = string("metricsBindAddress") { metrics = try Self.bind(v, "metricsBindAddress", defaultPort: 10249) }
    }

    static func list<T>(_ text: String, _ field: String, _ parse: (String) -> T?) throws -> [T] {
        try text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map {
            guard let v = parse($0) else { throw ValidationError("\(field): invalid value \($0)") }
            return v
        }
    }

    /// A Go-style duration (`1s`, `500ms`, `1m30s`) or plain seconds.
    static func duration(_ text: String, _ field: String) throws -> Duration {
        if let seconds = Double(text) { return .milliseconds(Int(seconds * 1000)) }
        var total = 0.0
        var rest = Substring(text)
        let units: [(String, Double)] = [("ms", 0.001), ("h", 3600), ("m", 60), ("s", 1)]
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            rest = rest.dropFirst(number.count)
            guard let value = Double(number), let unit = units.first(where: { rest.hasPrefix($0.0) }) else {
                throw ValidationError("\(field): invalid duration \(text)")
            }
            total += value * unit.1
            rest = rest.dropFirst(unit.0.count)
        }
        return .milliseconds(Int(total * 1000))
    }

    /// `HOST:PORT`, `:PORT` or `HOST` (with the default port); empty disables the server.
    static func bind(_ text: String, _ field: String, defaultPort: Int) throws -> (host: String, port: Int)? {
        if text.isEmpty { return nil }
        // A colon outside brackets means a port is given.
        guard text.contains(":"), !text.hasSuffix("]") else { return (text.trimmingCharacters(in: ["[", "]"]), defaultPort) }
        guard let (host, port) = HostPort.parse(text) else { throw ValidationError("\(field): invalid port in \(text)") }
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }
}
