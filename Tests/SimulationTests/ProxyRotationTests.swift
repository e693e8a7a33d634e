import Foundation
import KubeClient
import KubeModel
import TestSupport
import Testing

/// Endpoints entering and leaving the rotation while traffic flows: readiness, deletion, rolling updates, session
/// affinity, UDP through an endpoint change (conntrack cleanup), a failing transaction, and the proxy killed.
@Suite("nftables proxy: endpoints in and out of rotation", .serialized)
struct ProxyRotationTests {
    /// `replicas` echo pods behind Service `web`, each keeping its process alive for `preStop` seconds after
    /// deletion (as a well-behaved server does with a preStop sleep), and a `caller` pod.
    static func manifest(replicas: Int, preStop: Int, extraService: String = "") -> String {
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: \(replicas)
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
              - name: echo
                image: junction/echo
                ports: [{name: http, containerPort: 8080}, {name: udp, containerPort: 9001, protocol: UDP}]
                readinessProbe: {tcpSocket: {port: http}, periodSeconds: 1}
                \(preStop > 0 ? "lifecycle: {preStop: {sleep: {seconds: \(preStop)}}}" : "")
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: caller}
        spec:
          containers:
          - {name: sleep, image: debian, command: [sleep, "600"]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec:
          selector: {app: web}
          ports: [{port: 80, targetPort: http}]
        \(extraService)
        """
    }

    static func ready(_ c: SimulatedCluster, replicas: Int) async throws -> String {
        try await c.eventually("\(replicas) ready endpoints and a running caller", timeout: 40) {
            let pods = try await c.pods("app=web").filter { $0.value(at: ["metadata", "deletionTimestamp"]) == nil }
            let caller = try await c.client().json(.GET, "/api/v1/namespaces/default/pods/caller")
            return pods.count == replicas && pods.allSatisfy(isReady) && caller.value(at: ["status", "phase"])?.stringValue == "Running"
        }
        let svc = try await c.client().json(.GET, "/api/v1/namespaces/default/services/web")
        return try #require(svc.value(at: ["spec", "clusterIP"])?.stringValue)
    }

    /// One request through `address` from the caller; the answering pod's name, or nil on failure.
    static func who(_ c: SimulatedCluster, _ address: String) throws -> String? {
        let r = try c.exec("caller", ["curl", "-s", "-m", "2", "http://\(address)/"])
        guard r.code == 0 else { return nil }
        return try? JSONParser.parse(r.out)["pod"]?.stringValue
    }

    static func podIP(_ c: SimulatedCluster, _ name: String) async throws -> String {
        let pod = try await c.client().json(.GET, "/api/v1/namespaces/default/pods/\(name)")
        return try #require(pod.value(at: ["status", "podIP"])?.stringValue)
    }

    static func nodeOf(_ c: SimulatedCluster, _ pod: String) async throws -> String {
        let p = try await c.client().json(.GET, "/api/v1/namespaces/default/pods/\(pod)")
        return try #require(p.value(at: ["spec", "nodeName"])?.stringValue)
    }

    /// Waits until every current `app=web` endpoint is in the rules of `node` (the API saying Ready is not yet the
    /// proxy having synced it).
    static func webProgrammed(_ c: SimulatedCluster, node: String) async throws {
        let ips = try await c.pods("app=web").filter { $0.value(at: ["metadata", "deletionTimestamp"]) == nil }
            .compactMap { $0.value(at: ["status", "podIP"])?.stringValue }
        try await c.eventually("\(ips) in the rules of \(node)", timeout: 20) {
            try ips.allSatisfy { try programmed(c, node: node, $0) }
        }
    }

    /// Whether `ip` appears in a node's nftables table.
    static func programmed(_ c: SimulatedCluster, node: String, _ ip: String) throws -> Bool {
        let r = try c.exec(node, ["nft", "list", "table", "ip", "junction"])
        return r.out.contains(ip + " ") || r.out.contains(ip + ":") || r.out.contains(ip + "\n") || r.out.contains(ip + ",")
    }

    // MARK: Unready and deleted endpoints

    @Test("a pod that turns unready or is deleted leaves the rotation before its process exits; no request fails")
    func leavesRotation() async throws {
        try await withCluster(nodes: 3) { c in try await Self.leavesRotation(c) }
    }

    static func leavesRotation(_ c: SimulatedCluster) async throws {
        // Readiness by exec: the pod is ready while its marker file is absent (pods share the host's /tmp).
        let marker = NSTemporaryDirectory() + "\(c.name)-unready"
        defer { try? FileManager.default.removeItem(atPath: marker) }
        try c.kubectl("apply", "-f", "-", stdin: manifest(replicas: 3, preStop: 4)
            .replacingOccurrences(of: "readinessProbe: {tcpSocket: {port: http}, periodSeconds: 1}",
                                  with: "readinessProbe: {exec: {command: [sh, -c, 'test ! -e \(marker)-$(hostname)']}, periodSeconds: 1}"))
        let clusterIP = try await ready(c, replicas: 3)
        let callerNode = try await nodeOf(c, "caller")
        let pods = try await c.pods("app=web").map { meta($0, "name") }.sorted()
        try await webProgrammed(c, node: callerNode)
        let stream = try TrafficStream(c, from: "caller", url: "http://\(clusterIP)/")

        // Unready: out of every node's rules, while the process still answers on its own address.
        let unready = pods[0]
        let unreadyIP = try await podIP(c, unready)
        try "".write(toFile: "\(marker)-\(unready)", atomically: true, encoding: .utf8)
        try await c.eventually("\(unready) out of the rules of \(callerNode)", timeout: 20) {
            try !programmed(c, node: callerNode, unreadyIP)
        }
        #expect(try c.exec("caller", ["curl", "-s", "-m", "2", "http://\(unreadyIP):8080/"]).code == 0,
                "the unready pod's process still runs")
        for _ in 0..<15 { #expect(try who(c, clusterIP) != unready) }

        // Deleted: terminating, out of the rules while the process still answers (its preStop sleep), then gone.
        let deleted = pods[1]
        let deletedIP = try await podIP(c, deleted)
        try c.kubectl("delete", "pod", deleted, "--wait=false")
        try await c.eventually("\(deleted) out of the rules of \(callerNode)", timeout: 20) {
            try !programmed(c, node: callerNode, deletedIP)
        }
        #expect(try c.exec("caller", ["curl", "-s", "-m", "2", "http://\(deletedIP):8080/"]).code == 0,
                "the deleted pod's process is still running when it leaves the rotation")
        for _ in 0..<15 { #expect(![unready, deleted].contains(try who(c, clusterIP) ?? "")) }

        let result = try await stream.stop()
        #expect(result.failures.isEmpty, "requests failed while endpoints left: \(result.failures.prefix(5))")
        #expect(result.ok > 20, "the stream ran (\(result.ok) requests)")
    }

    // MARK: Rolling update

    @Test("a rolling update of 5 replicas under a steady request stream fails no request")
    func rollingUpdate() async throws {
        try await withCluster(nodes: 3) { c in try await Self.rollingUpdate(c) }
    }

    static func rollingUpdate(_ c: SimulatedCluster) async throws {
        try c.kubectl("apply", "-f", "-", stdin: manifest(replicas: 5, preStop: 2))
        let clusterIP = try await ready(c, replicas: 5)
        let before = Set(try await c.pods("app=web").map { meta($0, "name") })
        try await webProgrammed(c, node: try await nodeOf(c, "caller"))
        let stream = try TrafficStream(c, from: "caller", url: "http://\(clusterIP)/")
        try await Task.sleep(for: .seconds(1))
        try c.kubectl("set", "env", "deployment/web", "ROLLOUT=2")
        try await c.eventually("the rollout to finish", timeout: 90) {
            let pods = try await c.pods("app=web")
            let names = Set(pods.map { meta($0, "name") })
            return pods.count == 5 && names.isDisjoint(with: before) && pods.allSatisfy(isReady)
        }
        try await Task.sleep(for: .seconds(1))
        let result = try await stream.stop()
        #expect(result.failures.isEmpty, "requests failed during the rollout: \(result.failures.prefix(5))")
        #expect(result.ok > 50, "the stream ran through the rollout (\(result.ok) requests)")
        // Both generations answered the stream.
        #expect(!result.pods.isDisjoint(with: before) && !result.pods.subtracting(before).isEmpty, "\(result.pods)")
    }

    // MARK: Session affinity and UDP

    @Test("sessionAffinity ClientIP holds a client to one pod until the timeout; UDP survives its endpoint's deletion")
    func affinityAndUDP() async throws {
        try await withCluster(nodes: 3) { c in try await Self.affinityAndUDP(c) }
    }

    static func affinityAndUDP(_ c: SimulatedCluster) async throws {
        try c.kubectl("apply", "-f", "-", stdin: manifest(replicas: 3, preStop: 0, extraService: """
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: sticky}
            spec:
              selector: {app: web}
              sessionAffinity: ClientIP
              sessionAffinityConfig: {clientIP: {timeoutSeconds: 2}}
              ports: [{port: 80, targetPort: http}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: echo-udp}
            spec:
              selector: {app: web}
              ports: [{port: 53, targetPort: udp, protocol: UDP}]
            """))
        _ = try await ready(c, replicas: 3)
        try await webProgrammed(c, node: try await nodeOf(c, "caller"))
        let sticky = try #require(try await c.client().json(.GET, "/api/v1/namespaces/default/services/sticky")
            .value(at: ["spec", "clusterIP"])?.stringValue)

        // Within the timeout every request lands on the same pod.
        var held = Set<String>()
        try await c.eventually("the sticky Service answering", timeout: 20) { try who(c, sticky) != nil }
        for _ in 0..<12 { held.insert(try who(c, sticky) ?? "failed") }
        #expect(held.count == 1 && !held.contains("failed"), "affinity: \(held)")
        // After the timeout (2 s idle) the choice is free again: over several expiries more than one pod answers.
        var later = held
        for _ in 0..<8 where later.count < 2 {
            try await Task.sleep(for: .milliseconds(2600))
            later.insert(try who(c, sticky) ?? "failed")
        }
        #expect(later.count >= 2 && !later.contains("failed"), "after the timeout: \(later)")

        // UDP: one client socket (one conntrack entry) sending steadily; its pod is deleted; the entry pointing at
        // the gone endpoint is removed, so the same socket reaches another pod instead of a black hole.
        let udpIP = try #require(try await c.client().json(.GET, "/api/v1/namespaces/default/services/echo-udp")
            .value(at: ["spec", "clusterIP"])?.stringValue)
        let udp = try UDPStream(c, from: "caller", address: udpIP, port: 53, seconds: 25)
        var first: String?
        try await c.eventually("UDP replies", timeout: 10) {
            first = try udp.replies().first { $0 != "TIMEOUT" }
            return first != nil
        }
        let pinned = try #require(first)
        try c.kubectl("delete", "pod", pinned, "--wait=false")
        try await c.eventually("UDP answered by another pod through the same socket", timeout: 15) {
            try udp.replies().drop { $0 != pinned }.contains { $0 != pinned && $0 != "TIMEOUT" }
        }
        let replies = try udp.replies()
        let gap = replies.drop { $0 != pinned }.drop { $0 == pinned }.prefix { $0 == "TIMEOUT" }.count
        // The socket's replies: the pinned pod, a short gap while it stops, then another pod — not 120 s of silence.
        #expect(gap <= 15, "lost \(gap) datagrams (0.2 s apart) after the endpoint went: \(replies)")
        udp.stop()
    }

    // MARK: Failing transactions and a killed proxy

    @Test("a failing transaction leaves the old rules working; kill -9 of the proxy under traffic fails nothing and the restart converges without a flush")
    func failuresKeepRules() async throws {
        try await withCluster(nodes: 3) { c in try await Self.failuresKeepRules(c) }
    }

    static func failuresKeepRules(_ c: SimulatedCluster) async throws {
        try c.kubectl("apply", "-f", "-", stdin: manifest(replicas: 2, preStop: 0))
        let clusterIP = try await ready(c, replicas: 2)
        let node = try await nodeOf(c, "caller")
        let original = Set(try await c.pods("app=web").map { meta($0, "name") })
        try await webProgrammed(c, node: node)

        // Every sync of the caller's node fails from now on (the transaction carries a command the kernel rejects).
        let failpoint = c.stateDir + "/proxy-\(node).failpoint"
        try "".write(toFile: failpoint, atomically: true, encoding: .utf8)
        try c.kubectl("scale", "deployment", "web", "--replicas=3")
        _ = try await ready(c, replicas: 3)
        let added = try #require(Set(try await c.pods("app=web").map { meta($0, "name") }).subtracting(original).first)
        let addedIP = try await podIP(c, added)
        try await c.eventually("a failed sync on \(node)", timeout: 20) {
            try metric(c, node: node, "kubeproxy_sync_proxy_rules_nftables_sync_failures_total") ?? 0 > 0
        }
        // The old rules keep working: every request succeeds, none reaches the pod the failed syncs would add.
        var seen = Set<String>()
        for _ in 0..<20 { seen.insert(try who(c, clusterIP) ?? "failed") }
        #expect(seen == original, "with failing syncs: \(seen)")
        #expect(try !programmed(c, node: node, addedIP))
        // The failure clears: the retry brings the new endpoint in.
        try FileManager.default.removeItem(atPath: failpoint)
        try await c.eventually("\(added) in the rotation after the failure cleared", timeout: 30) {
            try programmed(c, node: node, addedIP)
        }

        // kill -9 under traffic: the kernel keeps forwarding with the last rules; a change made while the proxy is
        // down is picked up by the restarted proxy, which updates the same table (same handle) without a flush.
        let handle = try tableHandle(c, node: node)
        try await webProgrammed(c, node: node)
        let stream = try TrafficStream(c, from: "caller", url: "http://\(clusterIP)/")
        let pidFile = c.stateDir + "/proxy-\(node).pid"
        let pid = try #require(pid_t(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        let argv = try String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8).split(separator: "\0").map(String.init)
        #expect(kill(pid, SIGKILL) == 0)
        try c.kubectl("scale", "deployment", "web", "--replicas=4")
        _ = try await ready(c, replicas: 4)
        try await Task.sleep(for: .seconds(1))
        let restarted = try restartDaemon(c, argv: argv, namespace: "\(c.name)-\(node)", pidFile: pidFile, log: c.stateDir + "/proxy-\(node).log")
        let newest = Set(try await c.pods("app=web").map { meta($0, "name") })
        var reached = Set<String>()
        try await c.eventually("the restarted proxy (pid \(restarted)) brings the 4th endpoint in", timeout: 30) {
            reached.insert(try who(c, clusterIP) ?? "failed")
            return reached.isSuperset(of: newest)
        }
        #expect(try tableHandle(c, node: node) == handle, "the table was replaced, not updated")
        let result = try await stream.stop()
        #expect(result.failures.isEmpty, "requests failed across kill -9 and restart: \(result.failures.prefix(5))")
        #expect(result.ok > 20)
    }

    // MARK: Metrics and health

    @Test("kube-proxy's metrics count syncs and network programming; /healthz turns 503 while the node is being removed, /livez does not; rules deleted by hand come back")
    func metricsAndHealth() async throws {
        try await withCluster(nodes: 1) { c in try await Self.metricsAndHealth(c) }
    }

    static func metricsAndHealth(_ c: SimulatedCluster) async throws {
        try c.kubectl("apply", "-f", "-", stdin: manifest(replicas: 2, preStop: 0))
        _ = try await ready(c, replicas: 2)
        try await c.eventually("network programming observed", timeout: 20) {
            try metric(c, node: "node-1", "kubeproxy_network_programming_duration_seconds_count") ?? 0 > 0
        }
        #expect(try metric(c, node: "node-1", "kubeproxy_sync_proxy_rules_duration_seconds_count") ?? 0 > 0)
        #expect(try metric(c, node: "node-1", "kubeproxy_sync_full_proxy_rules_duration_seconds_count") ?? 0 >= 1)
        #expect(try metric(c, node: "node-1", "kubeproxy_sync_proxy_rules_endpoint_changes_total") ?? 0 > 0)
        #expect(try metric(c, node: "node-1", "kubeproxy_sync_proxy_rules_last_timestamp_seconds") ?? 0 > Date().timeIntervalSince1970 - 600)
        #expect(try metric(c, node: "node-1", "kubeproxy_sync_proxy_rules_nftables_sync_failures_total") == 0)
        #expect(try c.exec("node-1", ["curl", "-s", "-m", "2", "http://127.0.0.1:10249/proxyMode"]).out == "nftables")

        func code(_ path: String) throws -> String {
            try c.exec("node-1", ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "2", "http://127.0.0.1:10256\(path)"]).out
        }
        #expect(try code("/healthz") == "200")
        try c.kubectl("taint", "nodes", "node-1", "ToBeDeletedByClusterAutoscaler=1:NoSchedule")
        try await c.eventually("healthz 503 on a node being removed", timeout: 20) { try code("/healthz") == "503" }
        #expect(try code("/livez") == "200")
        try c.kubectl("taint", "nodes", "node-1", "ToBeDeletedByClusterAutoscaler-")
        try await c.eventually("healthz 200 again", timeout: 20) { try code("/healthz") == "200" }
        #expect(try metric(c, node: "node-1", "kubeproxy_proxy_healthz_total{code=\"503\"}") ?? 0 > 0)

        // Drift: every rule of the table deleted by hand; the periodic full resync (10 s in the simulation) puts
        // them back without any API change.
        let clusterIP = try #require(try await c.client().json(.GET, "/api/v1/namespaces/default/services/web")
            .value(at: ["spec", "clusterIP"])?.stringValue)
        try await c.eventually("the ClusterIP answering before the drift", timeout: 20) { try who(c, clusterIP) != nil }
        #expect(try c.exec("node-1", ["nft", "flush", "table", "ip", "junction"]).code == 0)
        #expect(try c.exec("caller", ["curl", "-s", "-m", "1", "http://\(clusterIP)/"]).code != 0, "the rules are gone")
        try await c.eventually("the resync to repair the table", timeout: 25) { try who(c, clusterIP) != nil }

        // A table another version wrote: the endpoint maps of both generations declared with another type.
        // Rewriting it in place fails, so after the second failure a full sync replaces the table.
        let maps = ["pick-tcp-2", "pick-tcp-2-g1"]
        #expect(try c.exec("node-1", ["nft", "flush", "table", "ip", "junction"]).code == 0)
        for map in maps {
            _ = try c.exec("node-1", ["nft", "delete", "map", "ip", "junction", map])
            let r = try c.exec("node-1", ["nft", "add", "map", "ip", "junction", map,
                                          "{ typeof ip daddr . tcp dport . numgen random mod 1 : ip daddr . tcp dport ; }"])
            #expect(r.code == 0, "\(map): \(r.err)")
        }
        try await c.eventually("a table with an old declaration replaced", timeout: 40) { try who(c, clusterIP) != nil }
        let listing = try c.exec("node-1", ["nft", "list", "table", "ip", "junction"]).out
        #expect(!listing.contains("tcp dport . numgen"), "\(listing)")
    }

    /// A metric's value from a node's proxy (`/metrics` on 127.0.0.1:10249 inside the node's namespace).
    static func metric(_ c: SimulatedCluster, node: String, _ name: String) throws -> Double? {
        let r = try c.exec(node, ["curl", "-s", "-m", "2", "http://127.0.0.1:10249/metrics"])
        return r.out.split(separator: "\n").first { $0.hasPrefix(name.hasSuffix("}") ? name : name + "{") || $0.hasPrefix(name + " ") }
            .flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }
    }

    /// The nftables handle of a node's `ip junction` table (a new table would get a new handle).
    static func tableHandle(_ c: SimulatedCluster, node: String) throws -> String {
        let r = try c.exec(node, ["nft", "-a", "list", "table", "ip", "junction"])
        let first = r.out.split(separator: "\n").first ?? ""
        return try #require(first.range(of: "# handle ").map { String(first[$0.upperBound...]) }, "\(r.out.prefix(200))")
    }

    /// Starts a killed daemon again with its own command line inside its namespace, recording the PID where
    /// `junction down` finds it (as a DaemonSet's restart would).
    static func restartDaemon(_ c: SimulatedCluster, argv: [String], namespace: String, pidFile: String, log: String) throws -> pid_t {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/nsenter")
        p.arguments = ["--net=/run/netns/\(namespace)", "--"] + argv
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        out.seekToEndOfFile()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        try String(p.processIdentifier).write(toFile: pidFile, atomically: true, encoding: .utf8)
        return p.processIdentifier
    }
}

/// Starts `command` in a pod through `junction exec`, its output going to the file `output`.
func startInPod(_ process: Process, _ c: SimulatedCluster, _ pod: String, _ command: [String], output: String) throws {
    process.executableURL = URL(fileURLWithPath: SimulatedCluster.binary)
    process.arguments = ["exec", "--name", c.name, "--state-root", c.stateRoot, pod, "--"] + command
    _ = FileManager.default.createFile(atPath: output, contents: nil)
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
    process.standardError = FileHandle.nullDevice
    try process.run()
}

/// Sequential HTTP requests from a pod in a shell loop until stopped: counts successes, records failures with
/// their time and curl's exit code, and which pods answered.
final class TrafficStream: @unchecked Sendable {
    let process = Process()
    let output: String
    let stopFile: String

    init(_ c: SimulatedCluster, from pod: String, url: String) throws {
        let id = UUID().uuidString.prefix(8)
        output = NSTemporaryDirectory() + "\(c.name)-stream-\(id).out"
        stopFile = NSTemporaryDirectory() + "\(c.name)-stream-\(id).stop"
        let script = """
            while [ ! -e \(stopFile) ]; do
              r=$(curl -s -m 2 \(url)); rc=$?
              if [ $rc -eq 0 ]; then echo "ok $r"; else echo "fail $(date +%T.%N) rc=$rc"; fi
              sleep 0.02
            done
            """
        try startInPod(process, c, pod, ["sh", "-c", script], output: output)
    }

    struct Result {
        var ok = 0
        var failures: [String] = []
        var pods = Set<String>()
    }

    func stop() async throws -> Result {
        try "".write(toFile: stopFile, atomically: true, encoding: .utf8)
        defer {
            try? FileManager.default.removeItem(atPath: stopFile)
            try? FileManager.default.removeItem(atPath: output)
        }
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        var result = Result()
        for line in try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n") {
            if line.hasPrefix("ok ") {
                result.ok += 1
                if let pod = try? JSONParser.parse(String(line.dropFirst(3)))["pod"]?.stringValue { result.pods.insert(pod) }
            } else if line.hasPrefix("fail") {
                result.failures.append(String(line))
            }
        }
        return result
    }
}

/// One UDP socket in a pod (bash's /dev/udp keeps its source port for the loop's life) sending a datagram every
/// 0.2 s; each reply's pod name, or TIMEOUT, one per line.
final class UDPStream: @unchecked Sendable {
    let process = Process()
    let output: String

    init(_ c: SimulatedCluster, from pod: String, address: String, port: Int, seconds: Int) throws {
        output = NSTemporaryDirectory() + "\(c.name)-udp-\(UUID().uuidString.prefix(8)).out"
        let script = """
            exec 3<>/dev/udp/\(address)/\(port)
            end=$((SECONDS+\(seconds)))
            while [ $SECONDS -lt $end ]; do
              echo ping >&3
              r=$(timeout 0.5 dd bs=65536 count=1 status=none <&3)
              if [ -n "$r" ]; then echo "${r%% *}"; else echo TIMEOUT; fi
              sleep 0.2
            done
            """
        try startInPod(process, c, pod, ["bash", "-c", script], output: output)
    }

    func replies() throws -> [String] {
        try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    func stop() {
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(atPath: output)
    }
}

/// The proxy command's own surface: `--cleanup` removes Junction's tables and nothing else; `--config` reads a
/// KubeProxyConfiguration and names what is wrong with a bad one.
@Suite("junction proxy command")
struct ProxyCommandTests {
    @Test("--cleanup deletes the ip and ip6 junction tables of its namespace and leaves other tables alone")
    func cleanup() throws {
        let ns = "jtpc" + String(UUID().uuidString.lowercased().filter(\.isHexDigit).prefix(8))
        try #require(try run("/usr/sbin/ip", ["netns", "add", ns]).code == 0)
        defer { _ = try? run("/usr/sbin/ip", ["netns", "delete", ns]) }
        for table in ["ip junction", "ip6 junction", "ip keepme"] {
            let r = try run("/usr/sbin/ip", ["netns", "exec", ns, "nft", "add", "table"] + table.split(separator: " ").map(String.init))
            try #require(r.code == 0, "\(r.err)")
        }
        let r = try run("/usr/sbin/ip", ["netns", "exec", ns, junctionBinary, "proxy", "--cleanup"])
        #expect(r.code == 0, "\(r.err)")
        let left = try run("/usr/sbin/ip", ["netns", "exec", ns, "nft", "list", "tables"]).out
        #expect(left.trimmingCharacters(in: .whitespacesAndNewlines) == "table ip keepme", "\(left)")
        // Twice is fine: nothing left to delete is not an error.
        #expect(try run("/usr/sbin/ip", ["netns", "exec", ns, junctionBinary, "proxy", "--cleanup"]).code == 0)
    }

    @Test("--config: a wrong kind and a malformed duration are refused with the field named")
    func badConfig() throws {
        let dir = NSTemporaryDirectory() + "jtpc-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cases = [
            ("apiVersion: v1\nkind: ConfigMap\n", "kind is ConfigMap"),
            ("apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nsyncPeriod: soon\n", "syncPeriod: invalid duration soon"),
            ("kind: KubeProxyConfiguration\nmetricsBindAddress: 127.0.0.1:99999\n", "metricsBindAddress: invalid port"),
            ("kind: KubeProxyConfiguration\nclusterCIDR: 10.0.0.0/33\n", "clusterCIDR: invalid value 10.0.0.0/33"),
        ]
        for (i, (yaml, message)) in cases.enumerated() {
            let path = "\(dir)/\(i).yaml"
            try yaml.write(toFile: path, atomically: true, encoding: .utf8)
            let r = try run(junctionBinary, ["proxy", "--config", path, "--kubeconfig", "/nonexistent"])
            #expect(r.code != 0)
            #expect(r.err.contains(message), "\(message): \(r.err)")
        }
    }
}
