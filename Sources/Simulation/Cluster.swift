import CSpawn
import Foundation
import KubeClient
import KubeModel
import Logging
import Netlink

/// Brings a simulated cluster up and down: namespaces, links, addresses and routes through libnl; the control
/// plane in the root namespace (loopback + a unix socket the node agents use); one node agent per node namespace.
///
/// Everything it makes is named after the cluster prefix: namespaces `<prefix>-…`, the state directory
/// `<stateRoot>/<prefix>`. `down` removes exactly that, so two clusters (a test's and a user's) never touch each
/// other, and a later `up` clears what a crashed run left. Nothing is created in the root network namespace.
public struct Cluster: Sendable {
    public var topology: Topology
    public var stateRoot: String
    public var junctionBinary: String
    public var logger: Logger

    public init(topology: Topology, stateRoot: String = "/run/junction", junctionBinary: String, logger: Logger) {
        self.topology = topology
        self.stateRoot = stateRoot
        self.junctionBinary = junctionBinary
        self.logger = logger
    }

    public var stateDir: String { "\(stateRoot)/\(topology.prefix)" }
    public var kubeconfigPath: String { stateDir + "/kubeconfig" }
    public var apiSocket: String { stateDir + "/api.sock" }
    public var logDir: String { stateDir + "/logs" }
    func pidFile(_ name: String) -> String { stateDir + "/\(name).pid" }

    public struct Options: Sendable {
        public var proxyMode = "nftables"
        public var nodeMonitorGracePeriod: Double = 6
        public var podEvictionTimeout: Double = 10
        /// Reuse an existing control plane instead of starting one.
        public var existingKubeconfig: String?
        /// Run the cluster DNS (two `junction/dns` replicas behind kube-system/kube-dns at 10.96.0.10).
        public var clusterDNS = true
        public init() {}
    }

    // MARK: Up

    public func up(_ options: Options = Options()) async throws {
        try down()
        try FileManager.default.createDirectory(atPath: logDir, withIntermediateDirectories: true)
        try createNetwork()
        if let existing = options.existingKubeconfig {
            try FileManager.default.copyItem(atPath: existing, toPath: kubeconfigPath)
        } else {
            try startControlPlane(options)
        }
        try await waitForFile(kubeconfigPath, what: "control plane")
        let adminConfig = try KubeConfig.load(path: kubeconfigPath)
        try writeNodeKubeconfig(admin: adminConfig, viaSocket: options.existingKubeconfig == nil)
        for n in 1...topology.nodes { try startNodeAgent(n) }
        if options.proxyMode == "nftables" {
            for n in 1...topology.nodes { try startProxy(n) }
        }
        let api = try KubeClient(config: adminConfig)
        defer { Task { try? await api.shutdown() } }
        if options.clusterDNS { try await deployClusterDNS(api) }
        try await waitUntil("\(topology.nodes) nodes Ready", timeout: 30) {
            let nodes = try await api.json(.GET, "/api/v1/nodes")
            let ready = (nodes["items"]?.arrayValue ?? []).filter { node in
                (node.value(at: ["status", "conditions"])?.arrayValue ?? [])
                    .contains { $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True" }
                    && (1...topology.nodes).map(topology.nodeName).contains(node.value(at: ["metadata", "name"])?.stringValue ?? "")
            }
            return ready.count == topology.nodes
        }
    }

    func createNetwork() throws {
        let t = topology
        try NetworkNamespace.create(t.underlayNamespace)
        try NetworkNamespace.runSync(in: t.underlayNamespace) {
            let s = try NetlinkSession()
            try s.setUp("lo")
            try s.createBridge(t.underlayBridge)
            try s.setUp(t.underlayBridge)
        }
        var peers: [(ns: String, port: String, ip: String)] = (1...t.nodes).map { (t.nodeNamespace($0), "n\($0)", t.nodeIP($0)) }
        peers.append((t.clientNamespace, "client", t.clientIP))
        for p in peers {
            try NetworkNamespace.create(p.ns)
            let fd = try NetworkNamespace.openFD(p.ns)
            defer { close(fd) }
            // The pair is made inside the underlay namespace with its peer created directly in the other one.
            try NetworkNamespace.runSync(in: t.underlayNamespace) {
                let s = try NetlinkSession()
                try s.createVeth(p.port, peer: "eth0", peerNamespaceFD: fd)
                try s.setMaster(p.port, bridge: t.underlayBridge)
                try s.setUp(p.port)
            }
            let plen = t.underlayPrefixLength
            try NetworkNamespace.runSync(in: p.ns) {
                let s = try NetlinkSession()
                try s.setUp("lo")
                try s.addAddress("\(p.ip)/\(plen)", to: "eth0")
                try s.setUp("eth0")
            }
        }
        // The outside world reaches LoadBalancer IPs through node 1 (a static route until L2 announcements exist).
        let node1 = t.nodeIP(1)
        let pool = t.loadBalancerPool
        try NetworkNamespace.runSync(in: t.clientNamespace) {
            try NetlinkSession().addRoute(pool, via: node1, dev: "eth0")
        }
        for n in 1...t.nodes {
            try NetworkNamespace.runSync(in: t.nodeNamespace(n)) {
                try Self.writeSysctl("net/ipv4/ip_forward", "1")
                let s = try NetlinkSession()
                // Host-gw routing: other nodes' pod CIDRs via their underlay addresses, as kindnet does.
                for m in 1...t.nodes where m != n {
                    try s.addRoute(t.podCIDR(m), via: t.nodeIP(m), dev: "eth0")
                }
                // The service range is routed towards the underlay's edge (the client namespace, which does not
                // forward), as a real node's default route would: a packet to a ClusterIP then reaches the forward
                // hook, where the proxy rejects it (no endpoints) or drops it (no local endpoint), instead of the
                // kernel answering "network unreachable" before any rule sees it.
                try s.addRoute(t.serviceCIDR, via: t.clientIP, dev: "eth0")
            }
        }
    }

    /// Writes a sysctl of the calling thread's network namespace (the /proc/sys/net tree is per namespace).
    static func writeSysctl(_ key: String, _ value: String) throws {
        let path = "/proc/sys/\(key)"
        guard let h = FileHandle(forWritingAtPath: path) else { throw AgentFailure("cannot open \(path)") }
        defer { try? h.close() }
        try h.write(contentsOf: Data(value.utf8))
    }

    func startControlPlane(_ o: Options) throws {
        try daemon(name: "control-plane", netns: nil, args: [
            "control-plane", "--data-dir", stateDir + "/control-plane", "--listen", "127.0.0.1:0",
            "--kubeconfig-out", kubeconfigPath, "--unix-socket", apiSocket, "--pod-log-dir", logDir,
            "--node-monitor-grace-period", String(o.nodeMonitorGracePeriod),
            "--pod-eviction-timeout", String(o.podEvictionTimeout),
            "--service-cidr", topology.serviceCIDR,
        ])
    }

    /// Node agents reach the API server through the unix socket (a root-namespace loopback address is not
    /// reachable from a node's namespace), or at the given server when an outside control plane is reused.
    func writeNodeKubeconfig(admin: KubeConfig, viaSocket: Bool) throws {
        let server = viaSocket ? "http+unix://" + (apiSocket.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? apiSocket) : admin.server
        var text = """
            apiVersion: v1
            kind: Config
            clusters:
            - name: junction
              cluster:
                server: \(server)

            """
        if !viaSocket, let ca = admin.caPEM {
            text += "    certificate-authority-data: \(Data(ca.utf8).base64EncodedString())\n"
        }
        text += """
            contexts:
            - name: junction
              context: {cluster: junction, user: node}
            current-context: junction
            users:
            - name: node
              user:
                token: \(admin.token ?? "")

            """
        try text.write(toFile: stateDir + "/node-kubeconfig", atomically: true, encoding: .utf8)
    }

    func startNodeAgent(_ n: Int) throws {
        let t = topology
        try daemon(name: t.nodeName(n), netns: t.nodeNamespace(n), args: [
            "node", "--node-name", t.nodeName(n), "--cluster-prefix", t.prefix, "--pod-cidr", t.podCIDR(n),
            "--internal-ip", t.nodeIP(n), "--state-dir", stateDir + "/nodes/\(t.nodeName(n))", "--log-dir", logDir,
            "--kubeconfig", stateDir + "/node-kubeconfig",
        ])
    }

    /// The cluster DNS add-on, as kubeadm and kind install it: Service `kube-system/kube-dns` at the service
    /// CIDR's tenth address (UDP and TCP 53) and a Deployment of two replicas behind it.
    func deployClusterDNS(_ api: KubeClient) async throws {
        let labels: JSONValue = ["k8s-app": "kube-dns"]
        let service: JSONValue = [
            "metadata": ["name": "kube-dns", "namespace": "kube-system",
                         "labels": ["k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS"]],
            "spec": ["selector": labels, "clusterIP": "10.96.0.10",
                     "ports": [["name": "dns", "port": 53, "protocol": "UDP"], ["name": "dns-tcp", "port": 53, "protocol": "TCP"]]],
        ]
        let deployment: JSONValue = [
            "metadata": ["name": "coredns", "namespace": "kube-system", "labels": labels],
            "spec": ["replicas": 2, "selector": ["matchLabels": labels],
                     "template": ["metadata": ["labels": labels],
                                  "spec": ["dnsPolicy": "Default",
                                           "containers": [["name": "dns", "image": "junction/dns",
                                                           "ports": [["name": "dns", "containerPort": 53, "protocol": "UDP"],
                                                                     ["name": "dns-tcp", "containerPort": 53, "protocol": "TCP"]],
                                                           "readinessProbe": ["tcpSocket": ["port": 53], "periodSeconds": 1]]]]]],
        ]
        for (path, body) in [("/api/v1/namespaces/kube-system/services", service),
                             ("/apis/apps/v1/namespaces/kube-system/deployments", deployment)] {
            let r = try await api.raw(.POST, path, body: JSONWriter.bytes(body))
            guard r.code == 201 || r.code == 409 else {
                throw AgentFailure("cluster DNS: HTTP \(r.code) \(String(decoding: r.body, as: UTF8.self))")
            }
        }
    }

    /// The node's service proxy, in the node's namespace (its nftables table is that namespace's alone).
    func startProxy(_ n: Int) throws {
        let t = topology
        try daemon(name: "proxy-\(t.nodeName(n))", netns: t.nodeNamespace(n), args: [
            "proxy", "--kubeconfig", stateDir + "/node-kubeconfig", "--node-name", t.nodeName(n),
            "--node-ip", t.nodeIP(n), "--cluster-cidr", "\(t.podCIDRPrefix).0.0/16",
            // Fault injection for tests: touching this file makes the node's syncs fail (see ProxyTests).
            "--fail-syncs-while-exists", stateDir + "/proxy-\(t.nodeName(n)).failpoint",
            // Full resyncs every 10 s (kube-proxy: 30 s), so drift made by hand is repaired while one watches.
            "--sync-period", "10s",
            "--service-cidr", t.serviceCIDR,
        ])
    }

    /// Starts `junction ARGS` detached (own session), optionally inside a network namespace; records its PID.
    func daemon(name: String, netns: String?, args: [String]) throws {
        let log = stateDir + "/\(name).log"
        let fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw AgentFailure("cannot open \(log)") }
        defer { close(fd) }
        let argv = [junctionBinary] + args
        let env = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        let pid = Self.spawn(argv: argv, env: env, netns: netns.map(NetworkNamespace.path), stdout: fd)
        guard pid > 0 else { throw AgentFailure("cannot start \(name): \(String(cString: strerror(-pid)))") }
        try String(pid).write(toFile: pidFile(name), atomically: true, encoding: .utf8)
        logger.debug("started", metadata: ["daemon": "\(name)", "pid": "\(pid)"])
    }

    static func spawn(argv: [String], env: [String], netns: String?, stdout: Int32, stdin: Int32 = -1, session: Bool = true) -> pid_t {
        let a = argv.map { strdup($0) }
        let e = env.map { strdup($0) }
        defer {
            a.forEach { free($0) }
            e.forEach { free($0) }
        }
        let av = a.map { $0.map { UnsafePointer($0) } } + [nil]
        let ev = e.map { $0.map { UnsafePointer($0) } } + [nil]
        let netnsC = netns.map { strdup($0) }
        defer { netnsC.flatMap { free($0) } }
        var o = jn_spawn_options(netns_path: netnsC.map { UnsafePointer($0) } ?? nil, resolv_conf: nil, hosts: nil,
                                 hostname: nil, workdir: nil, stdin_fd: stdin, stdout_fd: stdout, stderr_fd: stdout,
                                 new_process_group: session ? 2 : 0)
        return jn_spawn(av, ev, &o)
    }

    // MARK: Down

    /// Removes everything this cluster made; safe to run when nothing (or only part) exists.
    public func down() throws {
        // Node agents first (they stop their pods on SIGTERM), then the control plane.
        let files = (try? FileManager.default.contentsOfDirectory(atPath: stateDir)) ?? []
        let pids = files.filter { $0.hasSuffix(".pid") }.sorted { a, _ in a != "control-plane.pid" }.compactMap { f -> pid_t? in
            (try? String(contentsOfFile: stateDir + "/" + f, encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        for pid in pids where Self.isOurs(pid) { kill(pid, SIGTERM) }
        Self.waitGone(pids.filter(Self.isOurs), seconds: 5)
        for pid in pids where Self.isOurs(pid) { kill(pid, SIGKILL) }
        // Listed only now: a node agent may have made a pod sandbox until the moment it stopped.
        let namespaces = NetworkNamespace.list().filter { $0.hasPrefix(topology.namespacePrefix) }
        // Whatever still runs inside our namespaces (pods of a killed agent) is stopped by PID.
        let inodes = Set(namespaces.compactMap { Self.inode(NetworkNamespace.path($0)) })
        var stragglers: [pid_t] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry), pid != getpid(), let ino = Self.inode("/proc/\(entry)/ns/net"), inodes.contains(ino) else { continue }
            stragglers.append(pid)
        }
        for pid in stragglers { kill(pid, SIGKILL) }
        Self.waitGone(stragglers, seconds: 2)
        for ns in namespaces { try? NetworkNamespace.delete(ns) }
        try? FileManager.default.removeItem(atPath: stateDir)
    }

    static func isOurs(_ pid: pid_t) -> Bool {
        // Only a live junction process is signalled (a recycled PID belongs to someone else).
        guard kill(pid, 0) == 0, let cmd = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8) else { return false }
        return cmd.contains("junction")
    }

    static func waitGone(_ pids: [pid_t], seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline && pids.contains(where: { kill($0, 0) == 0 && !isZombie($0) }) { usleep(20_000) }
    }

    static func isZombie(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return true }
        return stat[stat.index(close, offsetBy: 2)...].hasPrefix("Z")
    }

    static func inode(_ path: String) -> UInt64? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return UInt64(st.st_ino)
    }

    // MARK: Helpers

    func waitForFile(_ path: String, what: String, timeout: Double = 20) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !FileManager.default.fileExists(atPath: path) {
            guard Date() < deadline else { throw AgentFailure("\(what) did not start; see \(stateDir)/*.log") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    func waitUntil(_ what: String, timeout: Double, _ check: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if (try? await check()) == true { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw AgentFailure("timed out waiting for \(what); see \(stateDir)/*.log")
    }

    /// PIDs of the daemons that are still running, by name.
    public func daemons() -> [(name: String, pid: pid_t, running: Bool)] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: stateDir)) ?? []
        return files.filter { $0.hasSuffix(".pid") }.sorted().compactMap { f in
            guard let text = try? String(contentsOfFile: stateDir + "/" + f, encoding: .utf8),
                let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
            else { return nil }
            return (String(f.dropLast(4)), pid, Self.isOurs(pid))
        }
    }
}

public struct AgentFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
