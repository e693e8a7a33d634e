import ArgumentParser

@main
struct Junction: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "junction",
        abstract: "Service networking for Kubernetes-style clusters: API server, proxy, DNS and a simulated cluster.",
        subcommands: [
            ControlPlaneCommand.self, UpCommand.self, DownCommand.self, StatusCommand.self, ExecCommand.self,
            NodeCommand.self, ProxyCommand.self, EchoServerCommand.self, BenchCommand.self, DNSCommand.self,
        ])
}
