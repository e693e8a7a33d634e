import Foundation
import KubeClient
import KubeModel
import TestSupport
import Testing

/// A real `junction up` cluster with a unique name, always taken down again (also when the test fails).
final class SimulatedCluster: @unchecked Sendable {
    let name: String
    let stateRoot: String
    let nodes: Int
    private(set) var api: KubeClient?

    static var binary: String { junctionBinary }

    var stateDir: String { "\(stateRoot)/\(name)" }
    var kubeconfig: String { stateDir + "/kubeconfig" }

    init(nodes: Int) async throws {
        name = "jt" + String(UUID().uuidString.lowercased().filter(\.isHexDigit).prefix(8))
        stateRoot = NSTemporaryDirectory() + "junction-sim"
        self.nodes = nodes
        let r = try junction(["up", "--name", name, "--nodes", String(nodes)])
        guard r.code == 0 else { throw SimFailure("junction up failed: \(r.out)\(r.err)\n\(logs())") }
        api = try KubeClient(config: KubeConfig.load(path: kubeconfig))
    }

    func client() throws -> KubeClient {
        guard let api else { throw SimFailure("no client") }
        return api
    }

    @discardableResult
    func junction(_ args: [String]) throws -> (code: Int32, out: String, err: String) {
        try run(Self.binary, args + ["--state-root", stateRoot])
    }

    func exec(_ target: String, _ command: [String]) throws -> (code: Int32, out: String, err: String) {
        try run(Self.binary, ["exec", "--name", name, "--state-root", stateRoot, target, "--"] + command)
    }

    @discardableResult
    func kubectl(_ args: String..., stdin: String? = nil) throws -> (code: Int32, out: String, err: String) {
        let r = try run("/usr/bin/kubectl", ["--kubeconfig", kubeconfig, "--cache-dir", stateDir + "/kube-cache"] + args, stdin: stdin)
        if r.code != 0 { throw SimFailure("kubectl \(args.joined(separator: " ")): \(r.err)") }
        return r
    }

    func logs() -> String {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: stateDir))?.filter { $0.hasSuffix(".log") } ?? []
        return files.map { f in "--- \(f)\n" + String(((try? String(contentsOfFile: stateDir + "/" + f, encoding: .utf8)) ?? "").suffix(1500)) }
            .joined(separator: "\n")
    }

    func down() async {
        try? await api?.shutdown()
        api = nil
        _ = try? junction(["down", "--name", name])
    }

    func eventually(_ what: String, timeout: Double = 20, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        var lastError: (any Error)?
        while Date() < deadline {
            do {
                if try await condition() { return }
            } catch {
                lastError = error
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw SimFailure("timed out waiting for \(what)\(lastError.map { " (last error: \($0))" } ?? "")")
    }

    func pods(_ selector: String = "") async throws -> [JSONValue] {
        let q = selector.isEmpty ? "" : "?labelSelector=" + (selector.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? selector)
        return try await client().json(.GET, "/api/v1/namespaces/default/pods" + q)["items"]?.arrayValue ?? []
    }
}

/// Returns the cluster's name, so a caller can check that nothing of it is left.
@discardableResult
func withCluster(nodes: Int, _ body: (SimulatedCluster) async throws -> Void) async throws -> String {
    let c = try await SimulatedCluster(nodes: nodes)
    do {
        try await body(c)
        await c.down()
        return c.name
    } catch {
        let logs = c.logs()
        await c.down()
        throw SimFailure("\(error)\n\(logs)")
    }
}

struct SimFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

func meta(_ o: JSONValue, _ f: String) -> String { o.value(at: ["metadata", f])?.stringValue ?? "" }

func isReady(_ pod: JSONValue) -> Bool {
    (pod.value(at: ["status", "conditions"])?.arrayValue ?? []).contains { $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True" }
}

/// The root namespace's links, addresses, routes and nftables ruleset, to prove the simulation never touches them.
func rootNetworkSnapshot() throws -> String {
    try [["ip", "-o", "link"], ["ip", "-o", "addr"], ["ip", "route"], ["ip", "-6", "route"], ["nft", "list", "ruleset"]]
        .map { cmd -> String in
            let r = try run("/usr/bin/env", cmd)
            // Link statistics and neighbour churn are not ours; keep names, flags, addresses and routes.
            return r.out.split(separator: "\n").map { line in
                line.replacingOccurrences(of: #"\s+valid_lft.*"#, with: "", options: .regularExpression)
            }.joined(separator: "\n")
        }.joined(separator: "\n")
}
