import ArgumentParser
import Foundation
import KubeClient
import KubeModel
import Logging
import Simulation

/// `junction up` to Ready for several cluster sizes and N pods to Ready, next to a baseline measured in the same
/// run: the same namespaces and veth pairs made with the `ip` CLI alone (the kernel work any simulator must do).
struct ClusterBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster", abstract: "Simulated cluster bring-up and pod start-up times.")

    @Option(help: "Cluster sizes to bring up, comma-separated.") var nodes = "3,10"
    @Option(help: "Pods to start (on a 3-node cluster).") var pods = 100
    @Option(help: "Repetitions of each measurement (median reported).") var runs = 3

    func run() async throws {
        let sizes = nodes.split(separator: ",").compactMap { Int($0) }
        var logger = Logger(label: "junction.bench")
        logger.logLevel = .warning
        let stateRoot = NSTemporaryDirectory() + "junction-bench"
        var lines: [String] = []
        for size in sizes {
            var upTimes: [Double] = []
            var baseTimes: [Double] = []
            for r in 0..<runs {
                let name = "jb\(size)x\(r)"
                let cluster = Cluster(topology: Topology(prefix: name, nodes: size), stateRoot: stateRoot,
                                      junctionBinary: junctionBinaryPath(), logger: logger)
                let t0 = Date()
                try await cluster.up()
                upTimes.append(Date().timeIntervalSince(t0))
                try cluster.down()
                baseTimes.append(try Self.ipBaseline(prefix: "jbb\(size)x\(r)", nodes: size))
            }
            let up = Self.median(upTimes), base = Self.median(baseTimes)
            lines.append(String(format: "  up to Ready, %2d nodes: %.2f s   (bare ip-CLI namespaces+veths: %.2f s, %.1fx)", size, up, base, up / max(base, 0.001)))
        }
        // Pods to Ready on a 3-node cluster.
        var podTimes: [Double] = []
        for r in 0..<runs {
            let cluster = Cluster(topology: Topology(prefix: "jbp\(r)", nodes: 3), stateRoot: stateRoot,
                                  junctionBinary: junctionBinaryPath(), logger: logger)
            try await cluster.up()
            defer { try? cluster.down() }
            let api = try KubeClient(config: KubeConfig.load(path: cluster.kubeconfigPath))
            let deployment: JSONValue = [
                "metadata": ["name": "bench"],
                "spec": ["replicas": .int(Int64(pods)), "selector": ["matchLabels": ["app": "bench"]],
                         "template": ["metadata": ["labels": ["app": "bench"]],
                                      "spec": ["containers": [["name": "echo", "image": "junction/echo",
                                                               "ports": [["containerPort": 8080]],
                                                               "readinessProbe": ["tcpSocket": ["port": 8080], "periodSeconds": 1]]]]]],
            ]
            let t0 = Date()
            try await api.json(.POST, "/apis/apps/v1/namespaces/default/deployments", deployment)
            while true {
                let d = try await api.json(.GET, "/apis/apps/v1/namespaces/default/deployments/bench")
                if d.value(at: ["status", "readyReplicas"])?.intValue == Int64(pods) { break }
                guard Date().timeIntervalSince(t0) < 120 else { throw ValidationError("pods not Ready after 120 s") }
                try await Task.sleep(for: .milliseconds(20))
            }
            podTimes.append(Date().timeIntervalSince(t0))
            try? await api.shutdown()
        }
        lines.append(String(format: "  %d pods to Ready (3 nodes): %.2f s", pods, Self.median(podTimes)))
        print("cluster benchmark (\(ProcessInfo.processInfo.activeProcessorCount) cores, median of \(runs))\n" + lines.joined(separator: "\n"))
    }

    static func median(_ v: [Double]) -> Double {
        let s = v.sorted()
        return s.isEmpty ? 0 : s[s.count / 2]
    }

    /// The kernel work alone, driven by the ip CLI: underlay + N node namespaces, a veth each, addresses up.
    static func ipBaseline(prefix: String, nodes: Int) throws -> Double {
        func ip(_ args: [String]) throws {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["ip"] + args
            try p.run()
            p.waitUntilExit()
        }
        let t0 = Date()
        let underlay = "\(prefix)-u"
        try ip(["netns", "add", underlay])
        try ip(["-n", underlay, "link", "add", "br0", "type", "bridge"])
        try ip(["-n", underlay, "link", "set", "br0", "up"])
        for n in 1...nodes {
            let ns = "\(prefix)-n\(n)"
            try ip(["netns", "add", ns])
            try ip(["-n", underlay, "link", "add", "v\(n)", "type", "veth", "peer", "name", "eth0", "netns", ns])
            try ip(["-n", underlay, "link", "set", "v\(n)", "master", "br0", "up"])
            try ip(["-n", ns, "addr", "add", "172.19.0.\(n + 1)/16", "dev", "eth0"])
            try ip(["-n", ns, "link", "set", "eth0", "up"])
            try ip(["-n", ns, "link", "add", "cbr0", "type", "bridge"])
            try ip(["-n", ns, "link", "set", "cbr0", "up"])
        }
        let elapsed = Date().timeIntervalSince(t0)
        for n in 1...nodes { try ip(["netns", "del", "\(prefix)-n\(n)"]) }
        try ip(["netns", "del", underlay])
        return elapsed
    }
}
