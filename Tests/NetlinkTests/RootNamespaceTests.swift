import Foundation
import Netlink
import Testing

/// The safety rule, checked: a whole scenario (namespaces, bridge, veths across namespaces, addresses, routes,
/// pings, sockets, moves, deletes) leaves the root namespace's `ip -o link`, `ip -o addr`, `ip route` and
/// `ip -6 route` byte-identical.
@Suite("Root namespace", .enabled(if: runningAsRoot, "needs root to create network namespaces"))
struct RootNamespaceTests {
    @Test("a whole scenario leaves the root namespace byte-identical")
    func wholeScenarioLeavesRootUntouched() throws {
        let before = try RootNetworkSnapshot.take()
        let sandbox = Sandbox()
        do {
            defer { sandbox.tearDown() }
            try sandbox.create()
            try Topology.build(sandbox)
            try Topology.build(sandbox)
            if Command.locate("ping") != nil {
                let result = try ping(from: sandbox.b, Topology.bridgeV4)
                #expect(result.succeeded, "\(result)")
            }
            let listener = try NetworkNamespace.listeningTCPSocket(in: sandbox.b, host: Topology.podV4)
            defer { close(listener.fileDescriptor) }
            let client = try NetworkNamespace.connectedTCPSocket(
                in: sandbox.a, host: Topology.podV4, port: listener.port)
            defer { close(client.fileDescriptor) }
            let accepted = try acceptOne(listener.fileDescriptor)
            close(accepted.fd)
            try sandbox.withNamespaceFD(sandbox.b) { bFD in
                try NetworkNamespace.runSync(in: sandbox.a) {
                    let netlink = try NetlinkSession()
                    try netlink.createVeth("m0", peer: "m1", peerNamespaceFD: nil)
                    try netlink.moveToNamespace("m1", fd: bFD)
                    try netlink.setMTU("m0", 1300)
                    try netlink.deleteLink("m0")
                }
            }
        }
        let after = try RootNetworkSnapshot.take()
        #expect(after == before, "root namespace changed:\nbefore:\n\(before)\nafter:\n\(after)")
        #expect(!NetworkNamespace.exists(sandbox.a) && !NetworkNamespace.exists(sandbox.b))
    }
}
