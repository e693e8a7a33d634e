import Foundation

extension TablePrinter {
    static let podPrinter = Printer(
        columns: [
            .name,
            Column(name: "Ready", type: "string", description: "Ready containers out of all long-running containers."),
            Column(name: "Status", type: "string", description: "The aggregate status of the containers in this pod."),
            Column(
                name: "Restarts", type: "string",
                description: "Container restarts in this pod, and how long ago the last one happened."),
            .age,
            .wide("IP", "The pod's first IP address (status.podIPs)."),
            .wide("Node", "The node the pod is bound to (spec.nodeName)."),
            .wide("Nominated Node", "The node the scheduler nominated for preemption (status.nominatedNodeName)."),
            .wide("Readiness Gates", "True readiness-gate conditions out of those the pod declares."),
        ],
        cells: { pod, now in podCells(pod, now: now) })

    /// The STATUS text users know from `kubectl get pods`: the phase refined by the most telling container
    /// state. The precedence (init containers first, then regular containers from last to first, then
    /// deletion) mirrors kube-apiserver so that CrashLoopBackOff, Init:0/1 or Terminating show up alike.
    static func podCells(_ pod: JSONValue, now: Date) -> [JSONValue] {
        let phase = string(pod, "status", "phase") ?? ""
        let statusReason = string(pod, "status", "reason") ?? ""
        var reason = statusReason.isEmpty ? phase : statusReason
        let conditions = array(pod, "status", "conditions")
        if conditions.contains(where: {
            string($0, "type") == "PodScheduled" && string($0, "reason") == "SchedulingGated"
        }) {
            reason = "SchedulingGated"
        }

        let initContainers = array(pod, "spec", "initContainers")
        // Sidecars (init containers with restartPolicy Always) keep running, so they count as containers.
        var sidecars = Set<String>()
        for container in initContainers where string(container, "restartPolicy") == "Always" {
            sidecars.insert(string(container, "name") ?? "")
        }
        let totalContainers = array(pod, "spec", "containers").count + sidecars.count
        var readyContainers = 0
        var restarts: Int64 = 0
        var sidecarRestarts: Int64 = 0
        var lastRestart: Double?
        var lastSidecarRestart: Double?

        func later(_ current: Double?, _ status: JSONValue) -> Double? {
            guard let finished = string(status, "lastState", "terminated", "finishedAt"),
                let when = parseTimestamp(finished)
            else { return current }
            guard let current else { return when }
            return max(current, when)
        }

        var initializing = false
        let initStatuses = array(pod, "status", "initContainerStatuses")
        for (index, status) in initStatuses.enumerated() {
            let containerName = string(status, "name") ?? ""
            let isSidecar = sidecars.contains(containerName)
            restarts += int(status, "restartCount") ?? 0
            lastRestart = later(lastRestart, status)
            if isSidecar {
                sidecarRestarts += int(status, "restartCount") ?? 0
                lastSidecarRestart = later(lastSidecarRestart, status)
            }
            let terminated = object(status, "state", "terminated")
            let waiting = object(status, "state", "waiting")
            if let terminated, (int(terminated, "exitCode") ?? 0) == 0 {
                continue
            }
            if isSidecar, bool(status, "started") {
                if bool(status, "ready") { readyContainers += 1 }
                continue
            }
            if let terminated {
                reason = "Init:" + terminationText(terminated)
            } else if let waitingReason = string(waiting, "reason"), !waitingReason.isEmpty,
                waitingReason != "PodInitializing"
            {
                reason = "Init:" + waitingReason
            } else {
                reason = "Init:\(index)/\(initContainers.count)"
            }
            initializing = true
            break
        }

        let initialized = conditions.contains {
            string($0, "type") == "Initialized" && string($0, "status") == "True"
        }
        if !initializing || initialized {
            restarts = sidecarRestarts
            lastRestart = lastSidecarRestart
            var hasRunning = false
            for status in array(pod, "status", "containerStatuses").reversed() {
                restarts += int(status, "restartCount") ?? 0
                lastRestart = later(lastRestart, status)
                let terminated = object(status, "state", "terminated")
                if let waitingReason = string(status, "state", "waiting", "reason"), !waitingReason.isEmpty {
                    reason = waitingReason
                } else if let terminated {
                    reason = terminationText(terminated)
                } else if bool(status, "ready"), object(status, "state", "running") != nil {
                    hasRunning = true
                    readyContainers += 1
                }
            }
            // A pod whose last container completed while another still runs is not "Completed".
            if reason == "Completed", hasRunning {
                let ready = conditions.contains { string($0, "type") == "Ready" && string($0, "status") == "True" }
                reason = ready ? "Running" : "NotReady"
            }
        }

        if string(pod, "metadata", "deletionTimestamp") != nil {
            if statusReason == "NodeLost" {
                reason = "Unknown"
            } else if phase != "Succeeded", phase != "Failed" {
                reason = "Terminating"
            }
        }

        var restartsText = String(restarts)
        if restarts != 0, let lastRestart {
            let ago = humanDuration(seconds: Int((now.timeIntervalSince1970 - lastRestart).rounded(.towardZero)))
            restartsText = "\(restarts) (\(ago) ago)"
        }

        return [
            .string(name(pod)),
            .string("\(readyContainers)/\(totalContainers)"),
            .string(reason),
            .string(restartsText),
            age(pod, now),
            .string(podIP(pod) ?? "<none>"),
            .string(nonEmpty(string(pod, "spec", "nodeName")) ?? "<none>"),
            .string(nonEmpty(string(pod, "status", "nominatedNodeName")) ?? "<none>"),
            .string(readinessGates(pod, conditions: conditions)),
        ]
    }

    /// A terminated state's reason, else the signal or exit code that ended it.
    private static func terminationText(_ terminated: JSONValue) -> String {
        if let reason = string(terminated, "reason"), !reason.isEmpty { return reason }
        if let signal = int(terminated, "signal"), signal != 0 { return "Signal:\(signal)" }
        return "ExitCode:\(int(terminated, "exitCode") ?? 0)"
    }

    /// status.podIPs is authoritative; status.podIP is the older single-address field the server mirrors.
    private static func podIP(_ pod: JSONValue) -> String? {
        if let first = array(pod, "status", "podIPs").first, let ip = nonEmpty(string(first, "ip")) { return ip }
        return nonEmpty(string(pod, "status", "podIP"))
    }

    private static func readinessGates(_ pod: JSONValue, conditions: [JSONValue]) -> String {
        let gates = array(pod, "spec", "readinessGates")
        if gates.isEmpty { return "<none>" }
        var trueCount = 0
        for gate in gates {
            let type = string(gate, "conditionType")
            if let condition = conditions.first(where: { string($0, "type") == type }),
                string(condition, "status") == "True"
            {
                trueCount += 1
            }
        }
        return "\(trueCount)/\(gates.count)"
    }

    static func nonEmpty(_ s: String?) -> String? {
        guard let s, !s.isEmpty else { return nil }
        return s
    }
}
