import ArgumentParser
import DNSDaemon
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
        DNSExecutable.execIfPresent(arguments: CommandLine.arguments)
        await main(nil)
    }
}

/// `junction dns` hands over to the DNS-only `junction-dns` executable when it sits next to `junction`, as git does
/// with its subcommands: the daemon then maps only the code it runs (docs/dns.md). Without it, or with
/// `JUNCTION_DNS_IN_PROCESS=1` in the environment, `junction dns` runs in this process, the same command.
enum DNSExecutable {
    static let name = "junction-dns"

    /// Replaces this process with `junction-dns` for `junction dns ARGS…`; returns when there is nothing to exec or
    /// the exec failed.
    static func execIfPresent(arguments: [String]) {
        guard arguments.count >= 2, arguments[1] == DNSCommand.configuration.commandName,
            ProcessInfo.processInfo.environment["JUNCTION_DNS_IN_PROCESS"] != "1"
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
