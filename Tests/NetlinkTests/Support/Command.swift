import Foundation

/// What a finished command printed (stdout and stderr together) and how it exited.
struct CommandResult: CustomStringConvertible {
    var arguments: [String]
    var status: Int32
    var output: String

    var succeeded: Bool { status == 0 }
    var description: String { "\(arguments.joined(separator: " ")) -> \(status)\n\(output)" }
}

/// Runs the CLIs the tests verify with (`ip`, `ping`). Commands are started from the test process, whose threads
/// stay in the root namespace; they reach a project namespace only through `ip netns exec NAME` or `ip -n NAME`.
enum Command {
    static func locate(_ tool: String) -> String? {
        ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
            .map { "\($0)/\(tool)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static var ipPath: String { locate("ip") ?? "ip" }

    /// Runs a command to completion and returns its merged output.
    static func run(_ arguments: [String]) throws -> CommandResult {
        guard let executable = arguments.first else {
            return CommandResult(arguments: arguments, status: -1, output: "no command")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
        process.arguments = executable.hasPrefix("/") ? Array(arguments.dropFirst()) : arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(
            arguments: arguments, status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    /// `ip ARGS…` in the root namespace (read-only uses) or with `-n NAME` in a project namespace.
    static func ip(_ arguments: String...) throws -> CommandResult {
        try run([ipPath] + arguments)
    }
}
