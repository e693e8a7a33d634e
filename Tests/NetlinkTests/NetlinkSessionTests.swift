import Foundation
import Netlink
import Testing

let runningAsRoot = getuid() == 0

/// Programs real namespaces through libnl and checks the result with packets, `ip`, and the session's own reads.
/// Everything happens in two `jnltest-<random>` namespaces; each test checks the root namespace is untouched.
@Suite("NetlinkSession in namespaces", .enabled(if: runningAsRoot, "needs root to create network namespaces"))
struct NetlinkSessionTests {
    @Test(
        "the topology carries pings both ways, IPv4 and IPv6",
        .enabled(if: Command.locate("ping") != nil, "needs ping (apt package iputils-ping)"))
    func topologyCarriesPings() throws {
        try withSandbox { sandbox in
            try Topology.build(sandbox)
            for (from, to) in [
                (sandbox.b, Topology.bridgeV4), (sandbox.b, Topology.bridgeV6),
                (sandbox.a, Topology.podV4), (sandbox.a, Topology.podV6),
            ] {
                let result = try ping(from: from, to)
                #expect(result.succeeded, "\(result)")
            }
        }
    }

    @Test("ip sees what the session programmed")
    func ipSeesTheTopology() throws {
        try withSandbox { sandbox in
            try Topology.build(sandbox)
            let routesB = try Command.ip("-n", sandbox.b, "route").output
            #expect(routesB.contains("default via 10.250.0.1 dev eth0"), "\(routesB)")
            #expect(routesB.contains("10.252.0.0/24 dev eth0 scope link"), "\(routesB)")
            let routes6B = try Command.ip("-n", sandbox.b, "-6", "route").output
            #expect(routes6B.contains("default via fd00:250::1 dev eth0"), "\(routes6B)")
            let routesA = try Command.ip("-n", sandbox.a, "route").output
            #expect(routesA.contains("10.251.0.0/24 via 10.250.0.2 dev br0"), "\(routesA)")
            let vb = try Command.ip("-n", sandbox.a, "-o", "link", "show", "vb").output
            #expect(vb.contains("master br0"), "\(vb)")
            #expect(vb.contains("link-netns \(sandbox.b)"), "the peer is in B: \(vb)")
            let eth0 = try Command.ip("-n", sandbox.b, "-d", "-o", "link", "show", "eth0").output
            #expect(eth0.contains("veth"), "\(eth0)")
        }
    }

    @Test("links() and addresses() read back the topology")
    func sessionReadsBack() throws {
        try withSandbox { sandbox in
            try Topology.build(sandbox)
            let (linksA, bridgeAddresses) = try NetworkNamespace.runSync(in: sandbox.a) {
                let netlink = try NetlinkSession()
                return (try netlink.links(), try netlink.addresses("br0"))
            }
            let bridge = try #require(linksA.first { $0.name == "br0" })
            let vb = try #require(linksA.first { $0.name == "vb" })
            let lo = try #require(linksA.first { $0.name == "lo" })
            #expect(bridge.kind == "bridge" && bridge.up)
            #expect(vb.kind == "veth" && vb.up && vb.masterIndex == bridge.index)
            #expect(lo.kind == nil && lo.up)
            #expect(Set(linksA.map(\.name)) == ["lo", "br0", "vb"])
            #expect(bridgeAddresses.starts(with: ["10.250.0.1/24"]))
            #expect(bridgeAddresses.contains("fd00:250::1/64"))

            let addressesB = try NetworkNamespace.runSync(in: sandbox.b) {
                try NetlinkSession().addresses("eth0")
            }
            #expect(addressesB.contains("10.250.0.2/24") && addressesB.contains("fd00:250::2/64"), "\(addressesB)")
            #expect(addressesB.contains { $0.hasPrefix("fe80::") }, "kernel link-local listed too: \(addressesB)")
        }
    }

    @Test("ensure operations can be repeated")
    func ensureOperationsAreIdempotent() throws {
        try withSandbox { sandbox in
            try Topology.build(sandbox)
            try Topology.build(sandbox)
            try NetworkNamespace.create(sandbox.a)

            let addresses = try Command.ip("-n", sandbox.a, "-o", "addr", "show", "br0").output
            #expect(addresses.components(separatedBy: "10.250.0.1/24").count == 2, "once: \(addresses)")
            let routes = try Command.ip("-n", sandbox.a, "route", "show", "10.251.0.0/24").output
            #expect(routes.split(separator: "\n").count == 1, "\(routes)")

            try NetworkNamespace.runSync(in: sandbox.a) {
                let netlink = try NetlinkSession()
                // Replacing a route's next hop leaves one route.
                try netlink.addRoute("10.251.0.0/24", via: "10.250.0.3", dev: "br0")
                try netlink.addRoute("10.251.0.0/24", via: "10.250.0.3", dev: "br0")
                try netlink.setMaster("vb", bridge: "br0")
                try netlink.setUp("br0")
                try netlink.deleteLink("no-such-link")
                try netlink.deleteLink("no-such-link")
            }
            let replaced = try Command.ip("-n", sandbox.a, "route", "show", "10.251.0.0/24").output
            #expect(replaced == "10.251.0.0/24 via 10.250.0.3 dev br0 \n", "\(replaced)")

            let remaining = try NetworkNamespace.runSync(in: sandbox.a) {
                let netlink = try NetlinkSession()
                for _ in 0..<2 {
                    try netlink.deleteRoute("10.251.0.0/24")
                    try netlink.deleteAddress("10.250.0.1/24", from: "br0")
                    try netlink.deleteAddress("10.250.0.1/24", from: "no-such-link")
                }
                return try netlink.addresses("br0")
            }
            #expect(!remaining.contains("10.250.0.1/24"))
            let after = try Command.ip("-n", sandbox.a, "route").output
            #expect(!after.contains("10.251.0.0/24") && !after.contains("10.250.0.0/24"), "\(after)")
        }
    }

    @Test("errors carry libnl's message and the kernel's")
    func errorsCarryLibnlMessages() throws {
        try withSandbox { sandbox in
            try Topology.build(sandbox)
            // Failures are caught inside the namespace thread and checked here, on the test's own thread.
            let errors = try NetworkNamespace.runSync(in: sandbox.a) { () throws -> [String: NetlinkError] in
                let netlink = try NetlinkSession()
                var errors: [String: NetlinkError] = [:]
                func record(_ key: String, _ body: () throws -> Void) throws {
                    do {
                        try body()
                    } catch let error as NetlinkError {
                        errors[key] = error
                    }
                }
                try record("missing bridge") { try netlink.setMaster("vb", bridge: "nosuchbr0") }
                try record("not a bridge") { try netlink.createBridge("vb") }
                try record("loopback port") { try netlink.setMaster("lo", bridge: "br0") }
                try record("bad address") { try netlink.addAddress("not-an-ip", to: "br0") }
                try record("no next hop") { try netlink.addRoute("10.9.0.0/16", via: nil, dev: nil) }
                try record("host bits") { try netlink.addRoute("10.9.0.1/16", via: nil, dev: "br0") }
                return errors
            }

            let missingBridge = try #require(errors["missing bridge"])
            #expect(missingBridge.message == "No such device")
            #expect(missingBridge.isNotFound)
            #expect(missingBridge.description == "set master of vb to nosuchbr0: look up link nosuchbr0: No such device")

            let notABridge = try #require(errors["not a bridge"])
            #expect(notABridge.message == "Object exists")
            #expect(notABridge.isAlreadyExists)
            #expect(notABridge.kernelErrno == EEXIST)
            #expect(notABridge.operation.contains("a veth of that name exists"))

            // The kernel's errno is kept even where libnl's code is generic.
            let loopbackPort = try #require(errors["loopback port"])
            #expect(loopbackPort.message == "Invalid input data or parameter")
            #expect(loopbackPort.kernelErrno == EINVAL)

            let badAddress = try #require(errors["bad address"])
            #expect(badAddress.operation.contains("not-an-ip"))

            let noNextHop = try #require(errors["no next hop"])
            #expect(noNextHop.message == "Missing attribute")

            // The kernel explains itself through an extended ack.
            let hostBits = try #require(errors["host bits"])
            #expect(hostBits.kernelErrno == EINVAL)
            #expect(hostBits.kernelMessage == "Invalid prefix for given prefix length", "\(hostBits)")
            #expect(hostBits.description.hasSuffix("(kernel: Invalid prefix for given prefix length)"))
        }
    }

    @Test("veth ends can be renamed, resized, detached and moved between namespaces")
    func linkChanges() throws {
        try withSandbox { sandbox in
            try Topology.build(sandbox)
            let (x0Link, x1bIndex, x1Index, x0Index) = try sandbox.withNamespaceFD(sandbox.b) { bFD in
                try NetworkNamespace.runSync(in: sandbox.a) {
                    let netlink = try NetlinkSession()
                    try netlink.createVeth("x0", peer: "x1", peerNamespaceFD: nil)
                    try netlink.createVeth("x0", peer: "x1", peerNamespaceFD: nil)
                    try netlink.setMTU("x0", 1400)
                    try netlink.rename("x1", to: "x1b")
                    try netlink.moveToNamespace("x1b", fd: bFD)
                    try netlink.setMaster("x0", bridge: "br0")
                    try netlink.setNoMaster("x0")
                    try netlink.setUp("x0")
                    try netlink.setDown("x0")
                    return (
                        try netlink.links().first { $0.name == "x0" }, try netlink.linkIndex("x1b"),
                        try netlink.linkIndex("x1"), try netlink.linkIndex("x0")
                    )
                }
            }
            let x0 = try #require(x0Link)
            #expect(x0.mtu == 1400 && !x0.up && x0.masterIndex == nil)
            #expect(x1bIndex == nil && x1Index == nil)
            #expect(x0Index == x0.index)
            let namesB = try NetworkNamespace.runSync(in: sandbox.b) { try NetlinkSession().links().map(\.name) }
            #expect(namesB == ["lo", "eth0", "x1b"])

            // Deleting one end removes the pair across namespaces.
            try NetworkNamespace.runSync(in: sandbox.a) {
                let netlink = try NetlinkSession()
                try netlink.deleteLink("x0")
                try netlink.deleteLink("vb")
                try netlink.deleteLink("vb")
            }
            let leftB = try NetworkNamespace.runSync(in: sandbox.b) { try NetlinkSession().links().map(\.name) }
            #expect(leftB == ["lo"])
        }
    }
}
