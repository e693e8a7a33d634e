import Foundation
import Netlink
import Testing

@Suite("NetworkNamespace", .enabled(if: runningAsRoot, "needs root to create network namespaces"))
struct NetworkNamespaceTests {
    @Test("run(in:) computes inside the namespace, on a thread of its own")
    func runComputesInsideTheNamespace() async throws {
        try await withAsyncSandbox { sandbox in
            try Topology.build(sandbox)
            let namesB = try await NetworkNamespace.run(in: sandbox.b) { try NetlinkSession().links().map(\.name) }
            #expect(namesB == ["lo", "eth0"])
            let namesA = try await NetworkNamespace.run(in: sandbox.a) { try NetlinkSession().links().map(\.name) }
            #expect(namesA == ["lo", "br0", "vb"])

            let expected = namespaceInode(NetworkNamespace.path(sandbox.b))
            let seen = try await NetworkNamespace.run(in: sandbox.b) { namespaceInode("/proc/thread-self/ns/net") }
            #expect(seen != nil && seen == expected)
            let syncSeen = try NetworkNamespace.runSync(in: sandbox.b) { namespaceInode("/proc/thread-self/ns/net") }
            #expect(syncSeen == expected)
            // The calling thread never moved.
            #expect(namespaceInode("/proc/thread-self/ns/net") == namespaceInode("/proc/self/ns/net"))
            #expect(namespaceInode("/proc/thread-self/ns/net") != expected)
        }
    }

    @Test("entering a missing namespace fails before the body runs")
    func missingNamespace() async throws {
        let name = "jnltest-missing-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        var ran = false
        #expect(throws: NamespaceError.self) { try NetworkNamespace.runSync(in: name) { ran = true } }
        #expect(!ran)
        await #expect(throws: NamespaceError.self) { try await NetworkNamespace.run(in: name) { 1 } }
        #expect(throws: NamespaceError.self) { try NetworkNamespace.runSync(in: "../etc") { 1 } }
        #expect(!NetworkNamespace.exists(name))
    }

    @Test("a listener made in B accepts a connection made from A")
    func listenerInBAcceptsConnectionFromA() throws {
        try withSandbox { sandbox in
            try Topology.build(sandbox)
            for (server, client) in [(Topology.podV4, Topology.bridgeV4), (Topology.podV6, Topology.bridgeV6)] {
                let listener = try NetworkNamespace.listeningTCPSocket(in: sandbox.b, host: server)
                defer { close(listener.fileDescriptor) }
                #expect(listener.port != 0)
                let connection = try NetworkNamespace.connectedTCPSocket(
                    in: sandbox.a, host: server, port: listener.port)
                defer { close(connection.fileDescriptor) }
                let (accepted, peer) = try acceptOne(listener.fileDescriptor)
                defer { close(accepted) }
                #expect(peer == client, "A's bridge address is the source")
                try send("hello from A", on: connection.fileDescriptor)
                #expect(try receive(on: accepted) == "hello from A")
                try send("hello from B", on: accepted)
                #expect(try receive(on: connection.fileDescriptor) == "hello from B")
            }
        }
    }

    @Test("sockets stay in the namespace they were made in")
    func socketsBelongToTheirNamespace() throws {
        try withSandbox { sandbox in
            try Topology.build(sandbox)
            // Loopback of B is not loopback of A.
            let loopback = try NetworkNamespace.listeningTCPSocket(in: sandbox.b, host: "127.0.0.1")
            defer { close(loopback.fileDescriptor) }
            let inside = try NetworkNamespace.connectedTCPSocket(in: sandbox.b, host: "127.0.0.1", port: loopback.port)
            close(inside.fileDescriptor)
            let refused = #expect(throws: NamespaceError.self) {
                try NetworkNamespace.connectedTCPSocket(in: sandbox.a, host: "127.0.0.1", port: loopback.port)
            }
            #expect(refused?.errno == ECONNREFUSED)

            // UDP: a bound socket in B, a plain socket made in A.
            let receiver = try NetworkNamespace.boundUDPSocket(in: sandbox.b, host: Topology.podV4)
            defer { close(receiver.fileDescriptor) }
            let sender = try NetworkNamespace.socket(in: sandbox.a, domain: AF_INET, type: Int32(SOCK_DGRAM.rawValue))
            defer { close(sender) }
            try sendDatagram("datagram from A", from: sender, to: Topology.podV4, port: receiver.port)
            #expect(try receive(on: receiver.fileDescriptor) == "datagram from A")
        }
    }

    @Test("create and delete are ensures, and delete removes everything")
    func createAndDelete() async throws {
        let before = try RootNetworkSnapshot.take()
        let sandbox = Sandbox()
        defer {
            sandbox.tearDown()
            expectRootUnchanged(since: before)
        }
        try sandbox.create()
        try sandbox.create()
        #expect(NetworkNamespace.exists(sandbox.a) && NetworkNamespace.exists(sandbox.b))
        #expect(NetworkNamespace.list().contains(sandbox.a))
        #expect(try Command.ip("netns", "list").output.contains(sandbox.b))
        let fresh = try NetworkNamespace.runSync(in: sandbox.a) { try NetlinkSession().links() }
        #expect(fresh.map(\.name) == ["lo"] && fresh.allSatisfy { !$0.up })

        try Topology.build(sandbox)
        try NetworkNamespace.delete(sandbox.a)
        try NetworkNamespace.delete(sandbox.a)
        #expect(!NetworkNamespace.exists(sandbox.a))
        #expect(!FileManager.default.fileExists(atPath: NetworkNamespace.path(sandbox.a)))
        #expect(!NetworkNamespace.list().contains(sandbox.a))
        #expect(try !Command.ip("netns", "list").output.contains(sandbox.a))
        // A's end of the veth dies with A and takes B's end with it; the kernel tears a namespace down
        // asynchronously, so give it a moment.
        var leftB: [String] = []
        for _ in 0..<50 {
            leftB = try NetworkNamespace.runSync(in: sandbox.b) { try NetlinkSession().links().map(\.name) }
            if leftB == ["lo"] { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(leftB == ["lo"])

        try NetworkNamespace.delete(sandbox.b)
        #expect(!NetworkNamespace.exists(sandbox.b))
        #expect(try !Command.ip("netns", "list").output.contains(sandbox.prefix))
    }
}
