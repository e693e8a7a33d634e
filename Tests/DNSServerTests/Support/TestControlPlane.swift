import Foundation
import KubeClient
import KubeModel
import TestSupport

/// A real `junction control-plane` process on a free loopback port with its own data directory and kubeconfig
/// (the pattern of ControlPlaneTests, trimmed to what DNS tests need). `stop()` ends it by PID and removes its files.
final class TestControlPlane: @unchecked Sendable {
    let dir: String
    private(set) var process: Process?
    private(set) var client: KubeClient?
    var kubeconfig: String { dir + "/kubeconfig" }

    init() async throws {
        dir = NSTemporaryDirectory() + "junction-dns-test-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        do {
            try await start()
        } catch {
            await stop()
            throw error
        }
    }

    private func start() async throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: junctionBinary)
        p.arguments = ["control-plane", "--data-dir", dir + "/data", "--listen", "127.0.0.1:0",
                       "--kubeconfig-out", kubeconfig, "--log-level", "warning"]
        let logPath = dir + "/control-plane.log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = FileHandle(forWritingAtPath: logPath)
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
        client = try KubeClient(config: KubeConfig.load(path: kubeconfig))
    }

    var logText: String { (try? String(contentsOfFile: dir + "/control-plane.log", encoding: .utf8)) ?? "" }

    var api: KubeClient {
        get throws {
            guard let client else { throw TestFailure("no client") }
            return client
        }
    }

    /// SIGTERM, then SIGKILL after a second, then the client: these tests keep nothing, and a cancelled watch's
    /// request stays open in the client until the server goes away, which would hold up both the server's graceful
    /// shutdown and the client's.
    func stop() async {
        if let p = process, p.isRunning {
            p.terminate()
            let deadline = Date().addingTimeInterval(1)
            while p.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
            _ = try? await offload { p.waitUntilExit() }
        }
        try? await client?.shutdown()
        client = nil
        try? FileManager.default.removeItem(atPath: dir)
    }
}

/// Runs `body` with a fresh control plane and always stops it, also when the body throws.
func withControlPlane(_ body: (TestControlPlane) async throws -> Void) async throws {
    let cp = try await TestControlPlane()
    do {
        try await body(cp)
        await cp.stop()
    } catch {
        let log = cp.logText
        await cp.stop()
        throw TestFailure("\(error)\n--- control plane log ---\n\(log.suffix(4000))")
    }
}
