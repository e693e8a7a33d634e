import Foundation
import KubeModel
import Logging

/// One container's life on the node: its process, restarts with back-off, probe results.
struct ContainerRuntime {
    var spec: JSONValue
    var name: String { spec["name"]?.stringValue ?? "" }
    var pid: pid_t?
    var startedAt: Date?
    var restartCount = 0
    /// When the container may start again (back-off after an exit).
    var nextStart = Date.distantPast
    var backoff: Double = 0
    var lastExit: (code: Int32, at: Date, startedAt: Date?)?
    var waitingReason: String? = "ContainerCreating"
    var startError: String?
    var ready = false
    var readinessSuccesses = 0
    var readinessFailures = 0
    var livenessFailures = 0
    var lastReadinessProbe = Date.distantPast
    var lastLivenessProbe = Date.distantPast
    var stopRequested = false
}

/// A pod on this node: its sandbox and containers, and the status they add up to.
struct PodRuntime {
    let uid: String
    let namespace: String
    let name: String
    var pod: JSONValue
    let netns: String
    let ip: String
    let hostVeth: String
    let dir: String
    let logDir: String
    var containers: [ContainerRuntime] = []
    var startTime = Date()
    var terminatingSince: Date?
    /// Whether SIGTERM has gone out (after the preStop hooks, as the kubelet does).
    var signalled = false
    /// When the preStop sleep hooks end; exec hooks are tracked by the agent.
    var preStopUntil: Date?

    init(uid: String, namespace: String, name: String, pod: JSONValue, netns: String, ip: String, hostVeth: String,
         dir: String, logDir: String) {
        self.uid = uid
        self.namespace = namespace
        self.name = name
        self.pod = pod
        self.netns = netns
        self.ip = ip
        self.hostVeth = hostVeth
        self.dir = dir
        self.logDir = logDir
        containers = (pod.value(at: ["spec", "containers"])?.arrayValue ?? []).map { ContainerRuntime(spec: $0) }
    }

    var sandbox: ExecSandbox {
        ExecSandbox(netns: netns, hostname: name, resolvConf: dir + "/resolv.conf", hosts: dir + "/hosts")
    }

    var restartPolicy: String { pod.value(at: ["spec", "restartPolicy"])?.stringValue ?? "Always" }

    /// The containers' preStop hooks that run before SIGTERM: `sleep` (the seconds to wait) and `exec` commands.
    /// httpGet hooks are not run (noted in docs/features.md).
    var preStopHooks: (sleep: Double, exec: [[String]]) {
        var sleep = 0.0
        var exec: [[String]] = []
        for c in containers where c.pid != nil {
            guard let hook = c.spec.value(at: ["lifecycle", "preStop"]) else { continue }
            if let s = hook.value(at: ["sleep", "seconds"])?.intValue { sleep = max(sleep, Double(s)) }
            if let cmd = hook.value(at: ["exec", "command"])?.arrayValue?.compactMap(\.stringValue), !cmd.isEmpty { exec.append(cmd) }
        }
        return (sleep, exec)
    }
    var allExited: Bool { containers.allSatisfy { $0.pid == nil } }

    /// The command a container runs: the built-in echo image maps to `junction echo-server`; any other image runs
    /// the pod's `command` and `args` from the host.
    func argv(_ c: ContainerRuntime, config: NodeAgentConfig) -> [String]? {
        let image = c.spec["image"]?.stringValue ?? ""
        let command = (c.spec["command"]?.arrayValue ?? []).compactMap(\.stringValue)
        let args = (c.spec["args"]?.arrayValue ?? []).compactMap(\.stringValue)
        if image.hasPrefix("junction/echo") && command.isEmpty {
            var argv = [config.junctionBinary, "echo-server"]
            if let port = c.spec["ports"]?.arrayValue?.first(where: { ($0["protocol"]?.stringValue ?? "TCP") == "TCP" })?["containerPort"]?.intValue {
                argv += ["--http-port", String(port)]
            }
            return argv + args
        }
        if image.hasPrefix("junction/dns") && command.isEmpty, let kubeconfig = config.kubeconfigPath {
            // The cluster DNS add-on: Junction's responder, watching the API with the node's credentials. The
            // simulation is a closed world, so it forwards nowhere unless the pod's args name an upstream.
            let forward = args.contains { $0.hasPrefix("--upstream") } ? [] : ["--no-forward"]
            return [config.junctionBinary, "dns", "--kubeconfig", kubeconfig, "--listen", "0.0.0.0:53",
                    "--cluster-domain", config.clusterDomain] + forward + args
        }
        if !command.isEmpty { return command + args }
        if !args.isEmpty { return args }
        return nil
    }

    func environment(_ c: ContainerRuntime, config: NodeAgentConfig) -> [String] {
        var env = [
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root",
            "HOSTNAME=\(name)", "POD_NAME=\(name)", "POD_NAMESPACE=\(namespace)", "POD_IP=\(ip)",
            "NODE_NAME=\(config.nodeName)", "KUBERNETES_SERVICE_HOST=10.96.0.1", "KUBERNETES_SERVICE_PORT=443",
        ]
        for e in c.spec["env"]?.arrayValue ?? [] {
            guard let n = e["name"]?.stringValue else { continue }
            env.append("\(n)=\(e["value"]?.stringValue ?? "")")
        }
        return env
    }

    // MARK: Lifecycle

    mutating func reapAll() {
        for i in containers.indices {
            guard let pid = containers[i].pid, let code = ContainerProcess.reap(pid) else { continue }
            containers[i].pid = nil
            containers[i].ready = false
            containers[i].lastExit = (code, Date(), containers[i].startedAt)
            containers[i].startedAt = nil
            if terminatingSince != nil || containers[i].stopRequested { continue }
            let restart = restartPolicy == "Always" || (restartPolicy == "OnFailure" && code != 0)
            if restart {
                // First restart at once, then exponential back-off (CrashLoopBackOff while waiting).
                let c = containers[i]
                let delay = c.restartCount == 0 ? 0 : min(max(c.backoff * 2, 1), 30)
                containers[i].backoff = max(delay, 1)
                containers[i].nextStart = Date().addingTimeInterval(delay)
                containers[i].waitingReason = delay > 0 ? "CrashLoopBackOff" : nil
            } else {
                containers[i].nextStart = .distantFuture
            }
        }
    }

    mutating func startDue(config: NodeAgentConfig, logger: Logger) {
        let now = Date()
        for i in containers.indices where containers[i].pid == nil && containers[i].nextStart <= now && terminatingSince == nil {
            let c = containers[i]
            guard let argv = argv(c, config: config) else {
                containers[i].waitingReason = "InvalidImage"
                containers[i].startError = "image \(c.spec["image"]?.stringValue ?? "") has no command; set command in the pod spec"
                containers[i].nextStart = .distantFuture
                continue
            }
            let launch = ContainerLaunch(
                argv: argv, env: environment(c, config: config), workdir: c.spec["workingDir"]?.stringValue,
                netnsPath: "/run/netns/\(netns)", resolvConf: dir + "/resolv.conf", hosts: dir + "/hosts",
                hostname: name, logPath: logDir + "/\(c.name).log")
            do {
                let pid = try ContainerProcess.spawn(launch)
                if c.lastExit != nil { containers[i].restartCount += 1 }
                containers[i].pid = pid
                containers[i].startedAt = now
                containers[i].waitingReason = nil
                containers[i].startError = nil
                containers[i].readinessSuccesses = 0
                containers[i].readinessFailures = 0
                containers[i].livenessFailures = 0
                containers[i].ready = c.spec["readinessProbe"] == nil
                logger.info("container started", metadata: ["pod": "\(namespace)/\(name)", "container": "\(c.name)", "pid": "\(pid)"])
            } catch {
                containers[i].waitingReason = "RunContainerError"
                containers[i].startError = "\(error)"
                containers[i].backoff = min(max(c.backoff * 2, 1), 30)
                containers[i].nextStart = now.addingTimeInterval(containers[i].backoff)
            }
        }
    }

    mutating func probeAll(config: NodeAgentConfig) async {
        let now = Date()
        for i in containers.indices {
            guard containers[i].pid != nil, let started = containers[i].startedAt else { continue }
            let c = containers[i]
            if let probe = c.spec["readinessProbe"], Prober.due(probe, last: c.lastReadinessProbe, started: started, now: now) {
                containers[i].lastReadinessProbe = now
                let ok = await Prober.run(probe, podIP: ip, sandbox: sandbox, container: c.spec)
                if ok {
                    containers[i].readinessSuccesses += 1
                    containers[i].readinessFailures = 0
                    if containers[i].readinessSuccesses >= Int(probe["successThreshold"]?.intValue ?? 1) { containers[i].ready = true }
                } else {
                    containers[i].readinessFailures += 1
                    containers[i].readinessSuccesses = 0
                    if containers[i].readinessFailures >= Int(probe["failureThreshold"]?.intValue ?? 3) { containers[i].ready = false }
                }
            }
            if let probe = c.spec["livenessProbe"], Prober.due(probe, last: c.lastLivenessProbe, started: started, now: now) {
                containers[i].lastLivenessProbe = now
                if await Prober.run(probe, podIP: ip, sandbox: sandbox, container: c.spec) {
                    containers[i].livenessFailures = 0
                } else {
                    containers[i].livenessFailures += 1
                    if containers[i].livenessFailures >= Int(probe["failureThreshold"]?.intValue ?? 3), let pid = c.pid {
                        // A failed liveness probe kills the container; the restart policy brings it back.
                        ContainerProcess.signal(pid, SIGKILL)
                        containers[i].livenessFailures = 0
                    }
                }
            }
        }
    }

    /// SIGTERM to every container (SIGKILL when `grace` is 0).
    mutating func stopAll(grace: Double) {
        for i in containers.indices {
            containers[i].stopRequested = true
            if let pid = containers[i].pid { ContainerProcess.signal(pid, grace > 0 ? SIGTERM : SIGKILL) }
        }
        if grace <= 0 {
            killAll()
        }
    }

    mutating func killAll() {
        for i in containers.indices {
            guard let pid = containers[i].pid else { continue }
            ContainerProcess.signal(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            containers[i].pid = nil
            containers[i].ready = false
            containers[i].lastExit = (137, Date(), containers[i].startedAt)
        }
    }

    // MARK: Status

    func status(hostIP: String) -> JSONValue {
        let allReady = !containers.isEmpty && containers.allSatisfy { $0.ready && $0.pid != nil } && terminatingSince == nil
        let anyRunning = containers.contains { $0.pid != nil }
        var phase = "Pending"
        if anyRunning || containers.contains(where: { $0.restartCount > 0 || $0.lastExit != nil }) { phase = "Running" }
        if !anyRunning, restartPolicy != "Always", containers.allSatisfy({ $0.lastExit != nil && $0.nextStart == .distantFuture }) {
            phase = containers.allSatisfy { $0.lastExit?.code == 0 } ? "Succeeded" : "Failed"
        }
        let start = KubeTime.string(startTime)
        func cond(_ type: String, _ ok: Bool) -> JSONValue {
            ["type": .string(type), "status": .string(ok ? "True" : "False"), "lastProbeTime": .null,
             "lastTransitionTime": .string(start)]
        }
        let statuses: [JSONValue] = containers.map { c in
            var state: JSONValue
            if c.pid != nil, let s = c.startedAt {
                state = ["running": ["startedAt": .string(KubeTime.string(s))]]
            } else if let reason = c.waitingReason {
                var w: [String: JSONValue] = ["reason": .string(reason)]
                if let m = c.startError { w["message"] = .string(m) }
                state = ["waiting": .object(w)]
            } else if let exit = c.lastExit {
                state = ["terminated": ["exitCode": .int(Int64(exit.code)), "reason": exit.code == 0 ? "Completed" : "Error",
                                        "finishedAt": .string(KubeTime.string(exit.at))]]
            } else {
                state = ["waiting": ["reason": "ContainerCreating"]]
            }
            var s: [String: JSONValue] = [
                "name": .string(c.name), "ready": .bool(c.ready && c.pid != nil), "restartCount": .int(Int64(c.restartCount)),
                "image": c.spec["image"] ?? "", "imageID": "", "started": .bool(c.pid != nil), "state": state,
                "containerID": .string(c.pid.map { "junction://\($0)" } ?? ""),
            ]
            if let exit = c.lastExit, c.pid != nil || c.waitingReason != nil {
                s["lastState"] = ["terminated": ["exitCode": .int(Int64(exit.code)), "reason": exit.code == 0 ? "Completed" : "Error",
                                                 "startedAt": .string(KubeTime.string(exit.startedAt ?? exit.at)),
                                                 "finishedAt": .string(KubeTime.string(exit.at))]]
            } else {
                s["lastState"] = .object([:])
            }
            return .object(s)
        }
        return [
            "phase": .string(phase), "hostIP": .string(hostIP), "hostIPs": [["ip": .string(hostIP)]],
            "podIP": .string(ip), "podIPs": [["ip": .string(ip)]], "startTime": .string(start), "qosClass": "BestEffort",
            "conditions": [cond("PodReadyToStartContainers", true), cond("Initialized", true), cond("Ready", allReady),
                           cond("ContainersReady", allReady), cond("PodScheduled", true)],
            "containerStatuses": .array(statuses),
        ]
    }
}
