import Foundation
import KubeClient
import KubeModel
import TestSupport
import Testing

/// The simulated cluster end to end, as root: real namespaces, real processes, real packets.
@Suite("Simulated cluster", .serialized)
struct SimulationTests {
    static let echoDeployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: echo}
        spec:
          replicas: 6
          selector: {matchLabels: {app: echo}}
          template:
            metadata: {labels: {app: echo}}
            spec:
              terminationGracePeriodSeconds: 2
              containers:
              - name: echo
                image: junction/echo
                ports: [{name: http, containerPort: 8080}]
                readinessProbe:
                  httpGet: {path: /healthz, port: http}
                  periodSeconds: 1
        """

    @Test("6 echo replicas on 3 nodes: Ready, spread, pod-to-pod HTTP without NAT, logs")
    func podsAcrossNodes() async throws {
        let before = try rootNetworkSnapshot()
        let name = try await withCluster(nodes: 3) { c in try await Self.podsAcrossNodes(c) }
        // Nothing of the cluster is left, and the root namespace is exactly as it was.
        #expect(try rootNetworkSnapshot() == before)
        let leftover = try run("/usr/bin/env", ["ip", "netns", "list"]).out
        #expect(!leftover.contains(name), "namespaces left behind: \(leftover)")
    }

    static func podsAcrossNodes(_ c: SimulatedCluster) async throws {
        try c.kubectl("apply", "-f", "-", stdin: echoDeployment)
        try await c.eventually("6 ready pods", timeout: 30) {
            let pods = try await c.pods("app=echo")
            return pods.count == 6 && pods.allSatisfy(isReady)
        }
        let pods = try await c.pods("app=echo")
        let nodes = Dictionary(grouping: pods) { $0.value(at: ["spec", "nodeName"])?.stringValue ?? "" }
        #expect(nodes.count == 3)
        #expect(nodes.values.allSatisfy { $0.count == 2 })

        let wide = try c.kubectl("get", "pods", "-o", "wide").out
        for p in pods {
            let ip = p.value(at: ["status", "podIP"])?.stringValue ?? ""
            #expect(wide.contains(ip))
        }

        // From a pod on node 1, every pod on every node answers with its own name and sees the caller's pod IP.
        let caller = try #require(pods.first { $0.value(at: ["spec", "nodeName"])?.stringValue == "node-1" })
        let callerIP = caller.value(at: ["status", "podIP"])?.stringValue ?? ""
        for target in pods {
            let ip = target.value(at: ["status", "podIP"])?.stringValue ?? ""
            let r = try c.exec(meta(caller, "name"), ["curl", "-s", "-m", "3", "http://\(ip):8080/"])
            #expect(r.code == 0, "curl \(ip) failed: \(r.err)")
            let reply = try JSONParser.parse(r.out)
            #expect(reply["pod"]?.stringValue == meta(target, "name"))
            #expect(reply["node"]?.stringValue == target.value(at: ["spec", "nodeName"])?.stringValue)
            #expect(reply["client"]?.stringValue?.hasPrefix(callerIP + ":") == true)
        }
        // The pod sees the cluster DNS in its resolv.conf.
        let resolv = try c.exec(meta(caller, "name"), ["cat", "/etc/resolv.conf"]).out
        #expect(resolv.contains("nameserver 10.96.0.10"))
        #expect(resolv.contains("search default.svc.cluster.local svc.cluster.local cluster.local"))
        #expect(resolv.contains("options ndots:5"))

        let status = try c.junction(["status", "--name", c.name])
        #expect(status.out.contains("node-1"))
        #expect(status.out.contains("172.18.0.2/16"))
        #expect(status.out.contains("running"))

        let logs = try c.kubectl("logs", meta(pods[1], "name")).out
        #expect(logs.contains("echo server listening"))
        #expect(logs.contains("GET /healthz"))
    }

    @Test("a killed container restarts; a deleted pod is replaced; a stopped node's pods move")
    func failures() async throws {
        try await withCluster(nodes: 3) { c in try await Self.failures(c) }
    }

    static func failures(_ c: SimulatedCluster) async throws {
        try c.kubectl("apply", "-f", "-", stdin: echoDeployment.replacingOccurrences(of: "replicas: 6", with: "replicas: 3"))
        try await c.eventually("3 ready pods", timeout: 30) {
            let pods = try await c.pods("app=echo")
            return pods.count == 3 && pods.allSatisfy(isReady)
        }
        // Kill the container's process: the node agent restarts it.
        let victim = try #require(try await c.pods("app=echo").first)
        let containerID = victim.value(at: ["status", "containerStatuses"])?.arrayValue?.first?["containerID"]?.stringValue ?? ""
        let pid = try #require(pid_t(containerID.replacingOccurrences(of: "junction://", with: "")))
        kill(pid, SIGKILL)
        try await c.eventually("restartCount 1") {
            let p = try await c.client().json(.GET, "/api/v1/namespaces/default/pods/\(meta(victim, "name"))")
            let s = p.value(at: ["status", "containerStatuses"])?.arrayValue?.first
            return s?["restartCount"]?.intValue == 1 && s?["ready"]?.boolValue == true
        }

        // Delete a pod: the ReplicaSet replaces it.
        try c.kubectl("delete", "pod", meta(victim, "name"))
        try await c.eventually("a replacement pod", timeout: 30) {
            let pods = try await c.pods("app=echo")
            return pods.count == 3 && !pods.contains { meta($0, "name") == meta(victim, "name") } && pods.allSatisfy(isReady)
        }

        // Stop a node agent: its node turns NotReady and its pods come back elsewhere.
        let pods = try await c.pods("app=echo")
        let node = try #require(pods.first?.value(at: ["spec", "nodeName"])?.stringValue)
        let agentPID = try #require(pid_t(try String(contentsOfFile: c.stateDir + "/\(node).pid", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        kill(agentPID, SIGKILL)
        try await c.eventually("\(node) NotReady", timeout: 20) {
            let n = try await c.client().json(.GET, "/api/v1/nodes/\(node)")
            return (n.value(at: ["status", "conditions"])?.arrayValue ?? []).contains {
                $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue != "True"
            }
        }
        try await c.eventually("pods rescheduled off \(node)", timeout: 40) {
            let now = try await c.pods("app=echo")
            return now.count == 3 && now.allSatisfy { isReady($0) && $0.value(at: ["spec", "nodeName"])?.stringValue != node }
        }
    }

    @Test("a failing readiness probe turns the pod not Ready and out of its EndpointSlice")
    func readiness() async throws {
        try await withCluster(nodes: 1) { c in try await Self.readiness(c) }
    }

    static func readiness(_ c: SimulatedCluster) async throws {
        let flag = c.stateDir + "/ready-flag"
        _ = FileManager.default.createFile(atPath: flag, contents: Data("ok".utf8))
        let manifest = """
            apiVersion: v1
            kind: Pod
            metadata: {name: probed, labels: {app: probed}}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: echo
                image: junction/echo
                ports: [{name: http, containerPort: 8080}]
                readinessProbe:
                  exec: {command: [cat, \(flag)]}
                  periodSeconds: 1
                  failureThreshold: 1
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: probed}
            spec:
              selector: {app: probed}
              ports: [{port: 80, targetPort: http}]
            """
        try c.kubectl("apply", "-f", "-", stdin: manifest)
        func endpointReady() async throws -> Bool? {
            let slices = try await c.client().json(.GET, "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dprobed")
            return slices["items"]?.arrayValue?.first?["endpoints"]?.arrayValue?.first?.value(at: ["conditions", "ready"])?.boolValue
        }
        try await c.eventually("pod ready and its endpoint ready", timeout: 20) {
            try await endpointReady() == true
        }
        try FileManager.default.removeItem(atPath: flag)
        try await c.eventually("pod not ready, endpoint not ready", timeout: 20) {
            let p = try await c.client().json(.GET, "/api/v1/namespaces/default/pods/probed")
            let endpoint = try await endpointReady()
            return !isReady(p) && endpoint == false
        }
    }

    @Test("down removes everything, also after an interrupted run; up clears leftovers")
    func downIsComplete() async throws {
        let before = try rootNetworkSnapshot()
        let c = try await SimulatedCluster(nodes: 2)
        try c.kubectl("run", "sleeper", "--image=busybox", "--", "sleep", "3017")
        try await c.eventually("sleeper running") {
            let p = try await c.client().json(.GET, "/api/v1/namespaces/default/pods/sleeper")
            return p.value(at: ["status", "phase"])?.stringValue == "Running"
        }
        // Simulate a crash: kill every daemon with SIGKILL, leaving pods' processes and namespaces behind.
        for f in try FileManager.default.contentsOfDirectory(atPath: c.stateDir) where f.hasSuffix(".pid") {
            if let pid = pid_t(try String(contentsOfFile: c.stateDir + "/" + f, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)) {
                kill(pid, SIGKILL)
            }
        }
        // A new `up` with the same name clears the leftovers and works.
        let again = try c.junction(["up", "--name", c.name, "--nodes", "1"])
        #expect(again.code == 0, "\(again.err)")
        await c.down()
        let namespaces = try run("/usr/bin/env", ["ip", "netns", "list"]).out
        #expect(!namespaces.contains(c.name))
        #expect(!FileManager.default.fileExists(atPath: c.stateDir))
        let procs = try run("/usr/bin/env", ["pgrep", "-f", "sleep 3017|\(c.name)"]).out
        #expect(procs.isEmpty, "processes left: \(procs)")
        #expect(try rootNetworkSnapshot() == before)
        // down is idempotent.
        #expect(try c.junction(["down", "--name", c.name]).code == 0)
    }
}
