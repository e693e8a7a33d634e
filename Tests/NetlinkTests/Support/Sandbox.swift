import Foundation
import Netlink
import Testing

/// The root namespace's network state as `ip` prints it; two snapshots must be byte-identical when the tests
/// kept to their own namespaces.
struct RootNetworkSnapshot: Equatable, CustomStringConvertible {
    var links: String
    var addresses: String
    var routes: String
    var routes6: String

    /// Reads the root namespace with read-only `ip` commands from the test process (whose threads stay in root).
    static func take() throws -> RootNetworkSnapshot {
        RootNetworkSnapshot(
            links: try Command.ip("-o", "link").output,
            addresses: try Command.ip("-o", "addr").output,
            routes: try Command.ip("route").output,
            routes6: try Command.ip("-6", "route").output)
    }

    var description: String {
        "-- ip -o link\n\(links)-- ip -o addr\n\(addresses)-- ip route\n\(routes)-- ip -6 route\n\(routes6)"
    }
}

/// Two fresh project namespaces, `A` and `B`, named `jnltest-<random>-a`/`-b`.
///
/// `withSandbox` snapshots the root namespace before creating them and, whatever the body did or threw, removes
/// both namespaces (falling back to `ip netns delete`) and checks the root namespace is byte-identical again.
struct Sandbox: Sendable {
    let prefix: String
    var a: String { "\(prefix)-a" }
    var b: String { "\(prefix)-b" }

    init() {
        prefix = "jnltest-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
    }

    func create() throws {
        try NetworkNamespace.create(a)
        try NetworkNamespace.create(b)
    }

    /// Removes both namespaces; safe to call more than once.
    func tearDown() {
        for name in [a, b] {
            do {
                try NetworkNamespace.delete(name)
            } catch {
                Issue.record("deleting namespace \(name): \(error)")
                _ = try? Command.ip("netns", "delete", name)
            }
        }
    }

    /// Opens B for `IFLA_NET_NS_FD` and closes it after `body`.
    func withNamespaceFD<T>(_ name: String, _ body: (Int32) throws -> T) throws -> T {
        let fd = try NetworkNamespace.openFD(name)
        defer { close(fd) }
        return try body(fd)
    }
}

/// Runs `body` with a fresh sandbox; see `Sandbox`.
func withSandbox(_ body: (Sandbox) throws -> Void) throws {
    let before = try RootNetworkSnapshot.take()
    let sandbox = Sandbox()
    defer {
        sandbox.tearDown()
        expectRootUnchanged(since: before)
    }
    try sandbox.create()
    try body(sandbox)
}

/// Runs `body` with a fresh sandbox; see `Sandbox`.
func withAsyncSandbox(_ body: (Sandbox) async throws -> Void) async throws {
    let before = try RootNetworkSnapshot.take()
    let sandbox = Sandbox()
    defer {
        sandbox.tearDown()
        expectRootUnchanged(since: before)
    }
    try sandbox.create()
    try await body(sandbox)
}

func expectRootUnchanged(since before: RootNetworkSnapshot, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        let after = try RootNetworkSnapshot.take()
        #expect(after == before, "root namespace changed", sourceLocation: sourceLocation)
    } catch {
        Issue.record("snapshotting the root namespace: \(error)", sourceLocation: sourceLocation)
    }
}

/// The test topology: in A a bridge `br0` (10.250.0.1/24, fd00:250::1/64) with the veth end `vb` attached; its
/// peer `eth0` created directly in B (10.250.0.2/24, fd00:250::2/64) with default routes via br0's addresses;
/// in A a route to 10.251.0.0/24 via B. Every call is an ensure, so building twice must succeed.
enum Topology {
    static let bridgeV4 = "10.250.0.1"
    static let bridgeV6 = "fd00:250::1"
    static let podV4 = "10.250.0.2"
    static let podV6 = "fd00:250::2"

    static func build(_ sandbox: Sandbox) throws {
        try sandbox.withNamespaceFD(sandbox.b) { bFD in
            try NetworkNamespace.runSync(in: sandbox.a) {
                let netlink = try NetlinkSession()
                try netlink.setUp("lo")
                try netlink.createBridge("br0")
                try netlink.createVeth("vb", peer: "eth0", peerNamespaceFD: bFD)
                try netlink.setMaster("vb", bridge: "br0")
                try netlink.setUp("vb")
                try netlink.setUp("br0")
                try netlink.addAddress("\(bridgeV4)/24", to: "br0")
                try netlink.addAddress("\(bridgeV6)/64", to: "br0")
                try netlink.addRoute("10.251.0.0/24", via: podV4, dev: nil)
            }
        }
        try NetworkNamespace.runSync(in: sandbox.b) {
            let netlink = try NetlinkSession()
            try netlink.setUp("lo")
            try netlink.setUp("eth0")
            try netlink.addAddress("\(podV4)/24", to: "eth0")
            try netlink.addAddress("\(podV6)/64", to: "eth0")
            try netlink.addRoute("default", via: bridgeV4, dev: "eth0")
            try netlink.addRoute("default", via: bridgeV6, dev: nil)
            try netlink.addRoute("10.252.0.0/24", via: nil, dev: "eth0")
        }
    }
}

/// `ping -c1 -W1` from inside a namespace, retried a few times while a fresh link settles.
func ping(from namespace: String, _ address: String) throws -> CommandResult {
    let ping = Command.locate("ping") ?? "ping"
    var result = CommandResult(arguments: [], status: -1, output: "")
    for _ in 0..<5 {
        result = try Command.run([Command.ipPath, "netns", "exec", namespace, ping, "-c1", "-W1", address])
        if result.succeeded { break }
    }
    return result
}
