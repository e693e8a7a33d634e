import Foundation
import KubeClient
import KubeModel

/// A real `junction control-plane` process on a free loopback port, with its own data directory, kubeconfig and
/// kubectl cache. Tests drive it with the stock kubectl and with `KubeClient`. `stop()` kills it by PID and removes
/// its files; `restart()` keeps the data directory.
public final class TestControlPlane: @unchecked Sendable {
    public let dir: String
    public let extraArgs: [String]
    public private(set) var process: Process?
    public private(set) var client: KubeClient?
    public var kubeconfig: String { dir + "/kubeconfig" }

    public static var binary: String { junctionBinary }

    public init(_ extraArgs: [String] = []) async throws {
        dir = NSTemporaryDirectory() + "junction-test-" + UUID().uuidString.prefix(8).lowercased()
        self.extraArgs = extraArgs
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try await start()
    }

    public func start() async throws {
        try? FileManager.default.removeItem(atPath: kubeconfig)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary)
        p.arguments = ["control-plane", "--data-dir", dir + "/data", "--listen", "127.0.0.1:0",
                       "--kubeconfig-out", kubeconfig, "--log-level", "warning"] + extraArgs
        let logPath = dir + "/control-plane.log"
        if !FileManager.default.fileExists(atPath: logPath) {
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        }
        let log = FileHandle(forWritingAtPath: logPath)
        log?.seekToEndOfFile()
        p.standardOutput = log
        p.standardError = log
        try p.run()
        process = p
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: kubeconfig) {
            guard p.isRunning, Date() < deadline else {
                throw TestFailure("control plane did not start: \(logText)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        try await client?.shutdown()
        client = try KubeClient(config: KubeConfig.load(path: kubeconfig))
    }

    public var logText: String { (try? String(contentsOfFile: dir + "/control-plane.log", encoding: .utf8)) ?? "" }

    public var api: KubeClient {
        get throws {
            guard let client else { throw TestFailure("no client") }
            return client
        }
    }

    /// SIGKILL, no chance to flush anything: what survives is what was committed.
    public func kill9() {
        guard let p = process, p.isRunning else { return }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
    }

    public func restart() async throws {
        if let p = process, p.isRunning {
            p.terminate()
            p.waitUntilExit()
        }
        try await start()
    }

    public func stop() async {
        // Close the client's keep-alive connections first: the server's graceful shutdown waits for open ones.
        try? await client?.shutdown()
        client = nil
        if let p = process, p.isRunning {
            p.terminate()
            let deadline = Date().addingTimeInterval(5)
            while p.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
            p.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Runs the stock kubectl against this control plane.
    @discardableResult
    public func kubectl(_ args: String..., stdin: String? = nil, check: Bool = true) throws -> (code: Int32, out: String, err: String) {
        try kubectl(args: args, stdin: stdin, check: check)
    }

    @discardableResult
    public func kubectl(args: [String], stdin: String? = nil, check: Bool = true) throws -> (code: Int32, out: String, err: String) {
        let r = try run("/usr/bin/kubectl", ["--kubeconfig", kubeconfig, "--cache-dir", dir + "/kube-cache"] + args, stdin: stdin)
        if check && r.code != 0 {
            throw TestFailure("kubectl \(args.joined(separator: " ")) failed (\(r.code)): \(r.err)\(r.out)")
        }
        return r
    }

    /// Starts kubectl in the background (for `get -w`); the caller terminates it.
    public func kubectlBackground(_ args: String...) throws -> (Process, Pipe) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/kubectl")
        p.arguments = ["--kubeconfig", kubeconfig, "--cache-dir", dir + "/kube-cache"] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        return (p, out)
    }

    /// Registers a Ready node (what a node agent does), for controller tests that need no real nodes.
    public func addReadyNode(_ name: String, labels: [String: String] = [:]) async throws {
        var l: [String: JSONValue] = ["kubernetes.io/hostname": .string(name)]
        for (k, v) in labels { l[k] = .string(v) }
        try await api.json(.POST, "/api/v1/nodes", ["metadata": ["name": .string(name), "labels": .object(l)]])
        try await api.json(.PATCH, "/api/v1/nodes/\(name)/status",
                           ["status": ["conditions": [["type": "Ready", "status": "True", "reason": "KubeletReady"]]]],
                           contentType: "application/merge-patch+json")
    }

    /// Marks a pod Running and Ready with an IP, as a node agent would once its containers run.
    public func markPodReady(namespace: String = "default", _ name: String, ip: String, ready: Bool = true) async throws {
        try await api.json(.PATCH, "/api/v1/namespaces/\(namespace)/pods/\(name)/status",
                           ["status": ["phase": "Running", "podIP": .string(ip), "podIPs": [["ip": .string(ip)]],
                                       "conditions": [["type": "Ready", "status": ready ? "True" : "False"]]]],
                           contentType: "application/merge-patch+json")
    }

    /// Polls `condition` until it holds or the timeout passes.
    public func eventually(_ what: String, timeout: Double = 10, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if (try? await condition()) == true { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("timed out waiting for \(what)")
    }
}

/// Runs `body` with a fresh control plane and always stops it, also when the body throws.
public func withControlPlane(_ args: [String] = [], _ body: (TestControlPlane) async throws -> Void) async throws {
    let cp = try await TestControlPlane(args)
    do {
        try await body(cp)
        await cp.stop()
    } catch {
        let log = cp.logText
        await cp.stop()
        throw TestFailure("\(error)\n--- control plane log ---\n\(log.suffix(4000))")
    }
}

