import Foundation
import KubeClient
import KubeModel
import Logging
import Netlink

/// The node agent (Junction's kubelet): runs inside its node's network namespace, registers the Node, renews its
/// Lease, and makes the pods bound to it real — a network namespace per pod wired into the node's bridge, and a
/// process per container — reporting their status back to the API server.
public struct NodeAgentConfig: Sendable {
    public var nodeName: String
    /// Prefix of every namespace this cluster made; pod namespaces are `<prefix>-pod-<uid prefix>`.
    public var clusterPrefix: String
    public var podCIDR: String
    public var internalIP: String
    public var stateDir: String
    public var logDir: String
    /// The `junction` binary, run for the built-in image `junction/echo`.
    public var junctionBinary: String
    public var api: KubeConfig
    /// The kubeconfig file the agent uses; cluster add-ons it runs (the `junction/dns` image) get it too.
    public var kubeconfigPath: String?
    public var clusterDNS = "10.96.0.10"
    public var clusterDomain = "cluster.local"
    public var bridge = "cbr0"
    public var heartbeat: Duration = .seconds(2)
    public var leaseDurationSeconds = 10
    public var syncInterval: Duration = .milliseconds(100)
    /// CrashLoopBackOff: the first restart is immediate, then this doubles up to `maxBackoff`.
    public var initialBackoff: Double = 1
    public var maxBackoff: Double = 30

    public init(nodeName: String, clusterPrefix: String, podCIDR: String, internalIP: String, stateDir: String,
                logDir: String, junctionBinary: String, api: KubeConfig) {
        self.nodeName = nodeName
        self.clusterPrefix = clusterPrefix
        self.podCIDR = podCIDR
        self.internalIP = internalIP
        self.stateDir = stateDir
        self.logDir = logDir
        self.junctionBinary = junctionBinary
        self.api = api
    }
}

public actor NodeAgent {
    let config: NodeAgentConfig
    let api: KubeClient
    let logger: Logger
    let ipam: PodIPAM
    var pods: [String: PodRuntime] = [:]
    /// The latest object of each pod bound to this node, by UID, from the watch.
    var desired: [String: JSONValue] = [:]
    var lastStatus: [String: JSONValue] = [:]
    /// Pods whose preStop exec hooks are still running.
    var preStopRunning: Set<String> = []

    public init(config: NodeAgentConfig, logger: Logger) throws {
        self.config = config
        self.logger = logger
        api = try KubeClient(config: config.api, maxConnections: 32)
        guard let cidr = CIDR.parseLenient(config.podCIDR) else { throw AgentError("bad pod CIDR \(config.podCIDR)") }
        try FileManager.default.createDirectory(atPath: config.stateDir, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: config.logDir, withIntermediateDirectories: true)
        ipam = PodIPAM(cidr: cidr, path: config.stateDir + "/ipam.json")
    }

    public func run() async throws {
        try ensureBridge()
        try await register()
        await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.heartbeatLoop() }
            group.addTask { try await self.watchLoop() }
            group.addTask { try await self.syncLoop() }
            try? await group.next()
            group.cancelAll()
        }
        await shutdownAll()
    }

    // MARK: Node

    func ensureBridge() throws {
        let s = try NetlinkSession()
        try s.createBridge(config.bridge)
        try s.addAddress("\(ipam.gateway)/\(ipam.cidr.prefixLength)", to: config.bridge)
        try s.setUp(config.bridge)
    }

    func nodeStatus(ready: Bool) -> JSONValue {
        let now = KubeTime.string()
        return ["conditions": [["type": "Ready", "status": ready ? "True" : "False",
                                "reason": ready ? "KubeletReady" : "KubeletNotReady",
                                "message": ready ? "junction node agent is posting ready status" : "stopping",
                                "lastHeartbeatTime": .string(now), "lastTransitionTime": .string(now)]],
                "addresses": [["type": "InternalIP", "address": .string(config.internalIP)],
                              ["type": "Hostname", "address": .string(config.nodeName)]],
                "capacity": ["cpu": "2", "memory": "4Gi", "pods": "110"],
                "allocatable": ["cpu": "2", "memory": "4Gi", "pods": "110"],
                "nodeInfo": ["kubeletVersion": "v1.32.0-junction", "kubeProxyVersion": "", "osImage": "Junction simulated node",
                             "kernelVersion": .string(Self.kernelVersion()), "containerRuntimeVersion": "junction://processes",
                             "operatingSystem": "linux", "architecture": "amd64", "machineID": "", "systemUUID": "", "bootID": ""]]
    }

    static func kernelVersion() -> String {
        var u = utsname()
        uname(&u)
        return withUnsafeBytes(of: &u.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    func register() async throws {
        let node: JSONValue = [
            "metadata": ["name": .string(config.nodeName),
                         "labels": ["kubernetes.io/hostname": .string(config.nodeName), "kubernetes.io/os": "linux",
                                    "kubernetes.io/arch": "amd64"]],
            "spec": ["podCIDR": .string(config.podCIDR), "podCIDRs": [.string(config.podCIDR)]],
        ]
        let r = try await api.raw(.POST, "/api/v1/nodes", body: JSONWriter.bytes(node))
        guard r.code == 201 || r.code == 409 else { throw AgentError("register node: HTTP \(r.code) \(String(decoding: r.body, as: UTF8.self))") }
        try await postNodeStatus(ready: true)
    }

    func postNodeStatus(ready: Bool) async throws {
        try await api.json(.PATCH, "/api/v1/nodes/\(config.nodeName)/status", ["status": nodeStatus(ready: ready)],
                           contentType: "application/merge-patch+json")
    }

    func renewLease() async throws {
        let path = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/\(config.nodeName)"
        let lease: JSONValue = [
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": ["name": .string(config.nodeName), "namespace": "kube-node-lease"],
            "spec": ["holderIdentity": .string(config.nodeName), "leaseDurationSeconds": .int(Int64(config.leaseDurationSeconds)),
                     "renewTime": .string(Self.microTime())],
        ]
        try await api.json(.PUT, path, lease)
    }

    static func microTime() -> String { KubeTime.microString() }

    func heartbeatLoop() async throws {
        var beats = 0
        while !Task.isCancelled {
            do {
                try await renewLease()
                if beats % 5 == 0 { try await postNodeStatus(ready: true) }
            } catch {
                logger.warning("heartbeat failed", metadata: ["error": "\(error)"])
            }
            beats += 1
            try await Task.sleep(for: config.heartbeat)
        }
    }

    // MARK: Pods

    func watchLoop() async throws {
        let selector = "fieldSelector=spec.nodeName%3D\(config.nodeName)"
        while !Task.isCancelled {
            do {
                let list = try await api.json(.GET, "/api/v1/pods?\(selector)")
                var fresh: [String: JSONValue] = [:]
                for p in list["items"]?.arrayValue ?? [] { fresh[meta(p, "uid")] = p }
                desired = fresh
                let rv = list.value(at: ["metadata", "resourceVersion"])?.stringValue ?? "0"
                for try await e in api.watch("/api/v1/pods", query: "\(selector)&resourceVersion=\(rv)&allowWatchBookmarks=true") {
                    let uid = meta(e.object, "uid")
                    switch e.type {
                    case "ADDED", "MODIFIED": desired[uid] = e.object
                    case "DELETED": desired[uid] = nil
                    case "ERROR": throw AgentError("watch: \(e.object["message"]?.stringValue ?? "error")")
                    default: break
                    }
                }
            } catch {
                logger.debug("pod watch restarting", metadata: ["error": "\(error)"])
                try await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    func syncLoop() async throws {
        while !Task.isCancelled {
            await syncOnce()
            try await Task.sleep(for: config.syncInterval)
        }
    }

    func syncOnce() async {
        // Pods gone from the API: tear down.
        for uid in pods.keys where desired[uid] == nil {
            if var rt = pods[uid] {
                rt.stopAll(grace: 0)
                teardown(rt)
                pods[uid] = nil
                lastStatus[uid] = nil
            }
        }
        // Pods sync concurrently: each touches only its own entry, and their API calls and probes overlap.
        await withTaskGroup(of: Void.self) { group in
            for (uid, pod) in desired {
                group.addTask {
                    do {
                        try await self.sync(uid: uid, pod: pod)
                    } catch {
                        self.logger.warning("pod sync failed", metadata: ["pod": "\(meta(pod, "namespace"))/\(meta(pod, "name"))", "error": "\(error)"])
                    }
                }
            }
        }
    }

    func sync(uid: String, pod: JSONValue) async throws {
        let phase = pod.value(at: ["status", "phase"])?.stringValue
        if pods[uid] == nil {
            if phase == "Succeeded" || phase == "Failed" { return }
            if pod.value(at: ["metadata", "deletionTimestamp"]) != nil {
                try await forceDelete(pod)
                return
            }
            pods[uid] = try createSandbox(uid: uid, pod: pod)
        }
        guard var rt = pods[uid] else { return }
        rt.pod = pod
        if pod.value(at: ["metadata", "deletionTimestamp"]) != nil {
            let grace = Double(pod.value(at: ["metadata", "deletionGracePeriodSeconds"])?.intValue ?? 30)
            if rt.terminatingSince == nil {
                // As the kubelet: preStop hooks first (their time counts against the grace period), then SIGTERM.
                let now = Date()
                rt.terminatingSince = now
                let hooks = grace > 0 ? rt.preStopHooks : (sleep: 0, exec: [])
                if hooks.sleep > 0 { rt.preStopUntil = now.addingTimeInterval(min(hooks.sleep, grace)) }
                if !hooks.exec.isEmpty { runPreStopExec(uid: uid, commands: hooks.exec, sandbox: rt.sandbox, timeout: grace) }
            }
            let hooksDone = (rt.preStopUntil.map { Date() >= $0 } ?? true) && !preStopRunning.contains(uid)
            if !rt.signalled && hooksDone {
                rt.signalled = true
                rt.stopAll(grace: grace)
            }
            rt.reapAll()
            let deadline = (rt.terminatingSince ?? Date()).addingTimeInterval(grace)
            if rt.allExited || Date() >= deadline {
                rt.killAll()
                pods[uid] = rt
                try await postStatus(rt)
                teardown(rt)
                pods[uid] = nil
                try await forceDelete(pod)
                return
            }
            pods[uid] = rt
            try await postStatus(rt)
            return
        }
        rt.reapAll()
        rt.startDue(config: config, logger: logger)
        await rt.probeAll(config: config)
        pods[uid] = rt
        try await postStatus(rt)
    }

    /// Runs a pod's preStop exec hooks inside its namespaces, off the actor; SIGTERM waits for them.
    func runPreStopExec(uid: String, commands: [[String]], sandbox: ExecSandbox, timeout: Double) {
        preStopRunning.insert(uid)
        Task.detached { [logger] in
            for command in commands {
                let ok = await Prober.exec(command, sandbox: sandbox, timeout: timeout)
                if !ok { logger.info("preStop hook failed", metadata: ["pod": "\(uid)", "command": "\(command)"]) }
            }
            await self.preStopFinished(uid)
        }
    }

    func preStopFinished(_ uid: String) { preStopRunning.remove(uid) }

    func forceDelete(_ pod: JSONValue) async throws {
        let path = "/api/v1/namespaces/\(meta(pod, "namespace"))/pods/\(meta(pod, "name"))"
        let r = try await api.raw(.DELETE, path, body: JSONWriter.bytes(["gracePeriodSeconds": 0,
                                                                           "preconditions": ["uid": .string(meta(pod, "uid"))]]))
        guard r.code == 200 || r.code == 404 || r.code == 409 else { throw AgentError("delete pod: HTTP \(r.code)") }
        ipam.release(meta(pod, "uid"))
    }

    func postStatus(_ rt: PodRuntime) async throws {
        let status = rt.status(hostIP: config.internalIP)
        guard lastStatus[rt.uid] != status else { return }
        let path = "/api/v1/namespaces/\(rt.namespace)/pods/\(rt.name)/status"
        try await api.json(.PATCH, path, ["status": status], contentType: "application/strategic-merge-patch+json")
        lastStatus[rt.uid] = status
    }

    func shutdownAll() async {
        for (uid, var rt) in pods {
            rt.stopAll(grace: 0)
            pods[uid] = rt
        }
        try? await postNodeStatus(ready: false)
        try? await api.shutdown()
    }

    // MARK: Sandboxes

    func netnsName(_ uid: String) -> String { "\(config.clusterPrefix)-pod-\(uid.prefix(8))" }

    func createSandbox(uid: String, pod: JSONValue) throws -> PodRuntime {
        let ns = netnsName(uid)
        let ip = try ipam.address(for: uid)
        let hostVeth = "veth" + uid.replacingOccurrences(of: "-", with: "").prefix(8)
        if !NetworkNamespace.exists(ns) { try NetworkNamespace.create(ns) }
        let fd = try NetworkNamespace.openFD(ns)
        defer { close(fd) }
        let node = try NetlinkSession()
        if try node.linkIndex(hostVeth) == nil {
            try node.createVeth(hostVeth, peer: "eth0", peerNamespaceFD: fd)
        }
        try node.setMaster(hostVeth, bridge: config.bridge)
        try node.setHairpin(hostVeth, on: true)
        try node.setUp(hostVeth)
        let prefix = ipam.cidr.prefixLength
        let gateway = ipam.gateway.description
        try NetworkNamespace.runSync(in: ns) {
            let s = try NetlinkSession()
            try s.setUp("lo")
            try s.addAddress("\(ip)/\(prefix)", to: "eth0")
            try s.setUp("eth0")
            try s.addRoute("default", via: gateway, dev: "eth0")
        }
        let dir = config.stateDir + "/pods/" + uid
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let namespace = meta(pod, "namespace")
        let name = meta(pod, "name")
        let domain = config.clusterDomain
        try """
            nameserver \(config.clusterDNS)
            search \(namespace).svc.\(domain) svc.\(domain) \(domain)
            options ndots:5

            """.write(toFile: dir + "/resolv.conf", atomically: true, encoding: .utf8)
        try """
            127.0.0.1\tlocalhost
            ::1\tlocalhost ip6-localhost ip6-loopback
            \(ip)\t\(name)

            """.write(toFile: dir + "/hosts", atomically: true, encoding: .utf8)
        let logs = config.logDir + "/\(namespace)_\(name)_\(uid)"
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        logger.info("pod sandbox ready", metadata: ["pod": "\(namespace)/\(name)", "ip": "\(ip)", "netns": "\(ns)"])
        return PodRuntime(uid: uid, namespace: namespace, name: name, pod: pod, netns: ns, ip: ip.description,
                          hostVeth: hostVeth, dir: dir, logDir: logs)
    }

    func teardown(_ rt: PodRuntime) {
        if let s = try? NetlinkSession() { try? s.deleteLink(rt.hostVeth) }
        try? NetworkNamespace.delete(rt.netns)
        try? FileManager.default.removeItem(atPath: rt.dir)
    }
}

public struct AgentError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

func meta(_ obj: JSONValue, _ field: String) -> String { obj.value(at: ["metadata", field])?.stringValue ?? "" }

