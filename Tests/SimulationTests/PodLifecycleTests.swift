import Foundation
import KubeClient
import KubeModel
import TestSupport
import Testing

/// What the node agent does with a pod's containers: commands, env, restarts and back-off, probes, termination.
@Suite("Node agent: pod lifecycle", .serialized)
struct PodLifecycleTests {
    @Test("command, args, env, workingDir; containers share the pod's network; restart policies and CrashLoopBackOff")
    func containers() async throws {
        try await withCluster(nodes: 1) { c in try await Self.containers(c) }
    }

    static func containerStatus(_ c: SimulatedCluster, _ pod: String, _ index: Int = 0) async throws -> JSONValue? {
        let p = try await c.client().json(.GET, "/api/v1/namespaces/default/pods/\(pod)")
        return p.value(at: ["status", "containerStatuses"])?.arrayValue?.dropFirst(index).first
    }

    static func phase(_ c: SimulatedCluster, _ pod: String) async throws -> String {
        try await c.client().json(.GET, "/api/v1/namespaces/default/pods/\(pod)").value(at: ["status", "phase"])?.stringValue ?? ""
    }

    static func containers(_ c: SimulatedCluster) async throws {
        let manifest = """
            apiVersion: v1
            kind: Pod
            metadata: {name: env}
            spec:
              restartPolicy: Never
              containers:
              - name: main
                image: debian
                command: [sh, -c]
                args: ['echo "FOO=$FOO"; pwd; echo "pod=$POD_NAME"']
                workingDir: /tmp
                env: [{name: FOO, value: bar}]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: shared}
            spec:
              containers:
              - name: server
                image: junction/echo
                ports: [{containerPort: 8080}]
              - name: client
                image: debian
                command: [sh, -c, 'until curl -s -m 1 http://127.0.0.1:8080/text; do sleep 0.2; done; sleep 300']
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: crasher}
            spec:
              containers:
              - name: main
                image: debian
                command: [sh, -c, 'exit 3']
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: onfailure}
            spec:
              restartPolicy: OnFailure
              containers:
              - name: main
                image: debian
                command: [sh, -c, 'exit 0']
            """
        try c.kubectl("apply", "-f", "-", stdin: manifest)

        // restartPolicy Never, exit 0 → Succeeded; command, args, env and workingDir as given.
        try await c.eventually("env pod Succeeded") { try await phase(c, "env") == "Succeeded" }
        let envLog = try c.kubectl("logs", "env").out
        #expect(envLog.contains("FOO=bar"))
        #expect(envLog.contains("/tmp"))
        #expect(envLog.contains("pod=env"))

        // Two containers, one network namespace: the client reaches the server on 127.0.0.1.
        try await c.eventually("the client container reached the server over loopback") {
            try c.kubectl("logs", "shared", "-c", "client").out.contains("You've hit shared")
        }

        // restartPolicy Always with a failing command: restarts with back-off, CrashLoopBackOff while waiting.
        try await c.eventually("CrashLoopBackOff", timeout: 20) {
            let s = try await containerStatus(c, "crasher")
            return (s?["restartCount"]?.intValue ?? 0) >= 2
                && s?.value(at: ["state", "waiting", "reason"])?.stringValue == "CrashLoopBackOff"
        }
        let s = try await containerStatus(c, "crasher")
        #expect(s?.value(at: ["lastState", "terminated", "exitCode"])?.intValue == 3)
        // kubectl shows the reason while the container waits (it alternates with Running as restarts happen).
        try await c.eventually("kubectl shows CrashLoopBackOff", timeout: 30) {
            try c.kubectl("get", "pod", "crasher").out.contains("CrashLoopBackOff")
        }

        // OnFailure with exit 0: not restarted, Succeeded.
        try await c.eventually("onfailure Succeeded") { try await phase(c, "onfailure") == "Succeeded" }
        #expect(try await containerStatus(c, "onfailure")?["restartCount"]?.intValue == 0)
    }

    @Test("a failing liveness probe restarts the container; graceful termination keeps endpoints terminating, then SIGKILL")
    func probesAndTermination() async throws {
        try await withCluster(nodes: 1) { c in try await Self.probesAndTermination(c) }
    }

    static func probesAndTermination(_ c: SimulatedCluster) async throws {
        let flag = c.stateDir + "/alive-flag"
        _ = FileManager.default.createFile(atPath: flag, contents: Data("ok".utf8))
        let manifest = """
            apiVersion: v1
            kind: Pod
            metadata: {name: live, labels: {app: live}}
            spec:
              containers:
              - name: main
                image: junction/echo
                ports: [{containerPort: 8080}]
                livenessProbe:
                  exec: {command: [cat, \(flag)]}
                  periodSeconds: 1
                  failureThreshold: 2
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: stubborn, labels: {app: stubborn}}
            spec:
              terminationGracePeriodSeconds: 3
              containers:
              - name: main
                image: debian
                command: [sh, -c, 'trap "" TERM; while true; do sleep 0.2; done']
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: stubborn}
            spec:
              selector: {app: stubborn}
              ports: [{port: 80}]
            """
        try c.kubectl("apply", "-f", "-", stdin: manifest)
        try await c.eventually("live running") { try await containerStatus(c, "live")?["ready"]?.boolValue == true }
        try FileManager.default.removeItem(atPath: flag)
        try await c.eventually("liveness restart", timeout: 20) {
            (try await containerStatus(c, "live")?["restartCount"]?.intValue ?? 0) >= 1
        }
        _ = FileManager.default.createFile(atPath: flag, contents: Data("ok".utf8))

        // A process that ignores SIGTERM: Terminating for the grace period, endpoint terminating, then killed.
        try await c.eventually("stubborn running") {
            let p = try await c.client().json(.GET, "/api/v1/namespaces/default/pods/stubborn")
            return isReady(p)
        }
        let deleted = Date()
        let del = try run("/usr/bin/kubectl", ["--kubeconfig", c.kubeconfig, "delete", "pod", "stubborn", "--wait=false"])
        #expect(del.code == 0)
        try await c.eventually("endpoint terminating") {
            let slices = try await c.client().json(.GET, "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dstubborn")
            let e = slices["items"]?.arrayValue?.first?["endpoints"]?.arrayValue?.first
            return e?.value(at: ["conditions", "terminating"])?.boolValue == true && e?.value(at: ["conditions", "ready"])?.boolValue == false
        }
        #expect(try c.kubectl("get", "pod", "stubborn").out.contains("Terminating"))
        try await c.eventually("stubborn gone", timeout: 15) {
            let r = try await c.client().raw(.GET, "/api/v1/namespaces/default/pods/stubborn")
            return r.code == 404
        }
        // It took the grace period (SIGTERM was ignored), not much more.
        let took = Date().timeIntervalSince(deleted)
        #expect(took >= 2.5 && took < 10, "took \(took) s")
    }
}
