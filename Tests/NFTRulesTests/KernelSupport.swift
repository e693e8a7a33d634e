import Foundation
import NFTRules

#if canImport(Glibc)
import Glibc
#endif

/// Runs a program and collects its output. Test support only: the production runner uses libnftables in process.
enum Command {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
        var succeeded: Bool { status == 0 }
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting so that a large listing cannot fill the pipe and block the child.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }
}

/// A throwaway network namespace for loading rules into the real kernel. Every nft command runs inside it
/// (`ip netns exec`), never in the root namespace; the namespace is deleted afterwards even when the test fails.
struct TestNamespace {
    static let ip = "/usr/sbin/ip"
    static let nftPath = "/usr/sbin/nft"
    static let python = "/usr/bin/python3"

    /// Root, with `ip` and `nft` installed: what the kernel tests need.
    static var available: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: ip)
            && FileManager.default.isExecutableFile(atPath: nftPath)
    }

    let name: String
    let directory: URL

    /// Creates a namespace with a unique name, runs `body` in it, and deletes it whatever happens.
    static func with<T>(_ body: (TestNamespace) throws -> T) throws -> T {
        let name = "jnft-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let created = try Command.run(ip, ["netns", "add", name])
        guard created.succeeded else { throw Failure(message: "ip netns add \(name): \(created.stderr)") }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(name)
        defer {
            _ = try? Command.run(ip, ["netns", "delete", name])
            try? FileManager.default.removeItem(at: directory)
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return try body(TestNamespace(name: name, directory: directory))
    }

    struct Failure: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// Runs a command inside the namespace.
    func exec(_ arguments: [String]) throws -> Command.Output {
        try Command.run(Self.ip, ["netns", "exec", name] + arguments)
    }

    /// `nft <arguments>` inside the namespace.
    func nft(_ arguments: [String]) throws -> Command.Output {
        try exec([Self.nftPath] + arguments)
    }

    /// Loads a transaction with `nft -f` (one atomic batch, like `nft_run_cmd_from_buffer`); `check` only
    /// validates it (`nft -c`).
    func load(_ transaction: NFTTransaction, check: Bool = false) throws -> Command.Output {
        let file = directory.appendingPathComponent("tx-\(UInt32.random(in: 0...UInt32.max)).nft")
        try transaction.rendered().write(to: file, atomically: true, encoding: .utf8)
        return try nft((check ? ["-c"] : []) + ["-f", file.path])
    }
}
