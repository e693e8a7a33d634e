import Conntrack
import Foundation
import KubeModel
import Netlink
import Testing

/// The conntrack table through netfilter netlink, in a sandbox namespace: a UDP datagram DNATed the way the proxy
/// does shows up with its reply source (the endpoint), and deleting it by its original tuple removes it.
@Suite("Conntrack table in a namespace", .enabled(if: runningAsRoot, "needs root to create network namespaces"))
struct ConntrackTests {
    @Test("a DNATed UDP flow is listed with the endpoint as reply source and deleted by its tuple")
    func dumpAndDelete() throws {
        try withSandbox { sandbox in
            try Topology.build(sandbox)
            // A service address in A translated to B's address, as a ClusterIP rule would (fixture: nft CLI).
            let script = NSTemporaryDirectory() + "jct-\(UUID().uuidString.prefix(8)).nft"
            try """
                table ip jcttest {
                    chain out { type nat hook output priority -100; ip daddr 10.251.0.9 udp dport 5300 dnat to 10.250.0.2:5301; }
                }
                """.write(toFile: script, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: script) }
            let loaded = try Command.run([Command.ipPath, "netns", "exec", sandbox.a, "nft", "-f", script])
            try #require(loaded.succeeded, "\(loaded)")

            let sourcePort = try NetworkNamespace.runSync(in: sandbox.a) { () throws -> Int in
                let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
                defer { close(fd) }
                try sendDatagram("ping", from: fd, to: "10.251.0.9", port: 5300)
                var address = sockaddr_in()
                var length = socklen_t(MemoryLayout<sockaddr_in>.size)
                _ = withUnsafeMutablePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
                }
                return Int(UInt16(bigEndian: address.sin_port))
            }

            let (before, after) = try NetworkNamespace.runSync(in: sandbox.a) {
                let table = try ConntrackTable()
                let flows = try table.flows(.udp)
                for flow in flows where flow.origDestination == IPAddress.parse("10.251.0.9") { try table.delete(flow) }
                // Deleting what is already gone is not an error.
                for flow in flows where flow.origDestination == IPAddress.parse("10.251.0.9") { try table.delete(flow) }
                return (flows, try table.flows(.udp))
            }
            let otherNamespace = try NetworkNamespace.runSync(in: sandbox.b) { try ConntrackTable().flows(.udp) }
            let flow = try #require(before.first { $0.origDestination == IPAddress.parse("10.251.0.9") }, "\(before)")
            #expect(flow.origDestinationPort == 5300)
            #expect(flow.origSourcePort == sourcePort)
            #expect(flow.origSource == IPAddress.parse("10.250.0.1"))
            #expect(flow.replySource == IPAddress.parse("10.250.0.2"))
            #expect(flow.replySourcePort == 5301)
            #expect(!after.contains { $0.origDestination == IPAddress.parse("10.251.0.9") }, "\(after)")
            // Each namespace has its own table: B never saw A's translated flow.
            #expect(!otherNamespace.contains { $0.origDestination == IPAddress.parse("10.251.0.9") })
        }
    }
}
