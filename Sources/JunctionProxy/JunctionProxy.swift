import ArgumentParser
import ProxyDaemon

/// `junction-proxy`: the nftables service proxy alone, with the flags of `junction proxy` (and its usage text).
///
/// As `junction-dns` does for the DNS daemon: the `junction` executable links the control plane, the node agent, the
/// DNS server and the benchmarks, and a process counts in its RSS whatever pages of its image and libraries start-up
/// touches. This one links only the proxy, with the Swift runtime and Foundation inside. `junction proxy` execs it
/// when it sits next to `junction` (docs/architecture.md, service proxy).
@main
struct JunctionProxy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "junction", subcommands: [ProxyCommand.self])

    static func main() async {
        await main([ProxyCommand.configuration.commandName ?? "proxy"] + CommandLine.arguments.dropFirst())
    }
}
