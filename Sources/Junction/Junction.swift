import ArgumentParser
import DNSDaemon
import ProxyDaemon
import Foundation

#if canImport(Glibc)
import Glibc
#endif

@main
struct Junction: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "junction",
        abstract: "Service networking for Kubernetes-style clusters: API server, proxy, DNS and a simulated cluster.",
        subcommands: [
            ControlPlaneCommand.self, UpCommand.self, DownCommand.self, StatusCommand.self, ExecCommand.self,
            NodeCommand.self, ProxyCommand.self, EchoServerCommand.self, BenchCommand.self, DNSCommand.self,
        ])

    static func main() async {
        DaemonExecutable.execIfPresent(arguments: CommandLine.arguments)
        await main(nil)
    }
}

/// `junction dns` and `junction proxy` hand over to the daemon-only `junction-dns` and `junction-proxy` executables
/// when they sit next to `junction`, as git does with its subcommands: a daemon then maps only the code it runs
/// (docs/dns.md, docs/architecture.md). Without them, or with `JUNCTION_DNS_IN_PROCESS=1` /
/// `JUNCTION_PROXY_IN_PROCESS=1` in the environment, the command runs in this process, the same command.
enum DaemonExecutable {
    /// Subcommand, executable, and the variable that keeps it in process.
    static let daemons = [
        (DNSCommand.configuration.commandName ?? "dns", "junction-dns", "JUNCTION_DNS_IN_PROCESS"),
        (ProxyCommand.configuration.commandName ?? "proxy", "junction-proxy", "JUNCTION_PROXY_IN_PROCESS"),
    ]

    /// Replaces this process with the daemon's executable for `junction dns|proxy ARGS…`; returns when there is
    /// nothing to exec or the exec failed.
    static func execIfPresent(arguments: [String]) {
        guard arguments.count >= 2,
            let (_, name, variable) = daemons.first(where: { $0.0 == arguments[1] }),
            ProcessInfo.processInfo.environment[variable] != "1"
        else { return }
        let path = URL(fileURLWithPath: junctionBinaryPath()).deletingLastPathComponent().appendingPathComponent(name).path
        guard access(path, X_OK) == 0 else { return }
        let argv = [path] + arguments.dropFirst(2)
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) }
        cArgs.append(nil)
        execv(path, cArgs)
        // Still here: the exec failed; run in this process instead.
        for arg in cArgs { free(arg) }
    }
}
