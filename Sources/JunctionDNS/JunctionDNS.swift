import ArgumentParser
import DNSDaemon

/// `junction-dns`: the cluster DNS daemon alone, with the flags of `junction dns` (and its usage text).
///
/// The `junction` executable links the control plane, the proxy, the node agent and the benchmarks, and a process
/// counts in its RSS whatever pages of its image and libraries start-up touches. This one links only DNSServer,
/// DNSCore, KubeClient and KubeModel, so the DNS daemon's memory is the DNS daemon's. `junction dns` execs it when
/// it sits next to `junction` (docs/dns.md).
@main
struct JunctionDNS: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "junction", subcommands: [DNSCommand.self])

    static func main() async {
        await main([DNSCommand.configuration.commandName ?? "dns"] + CommandLine.arguments.dropFirst())
    }
}
