import Foundation
import KubeModel
import NFTRules
import ProxyCore
import Testing

/// The rendered text against the real kernel and libnftables, always inside a throwaway network namespace.
@Suite("Kernel: transactions load into nftables in a throwaway namespace", .enabled(if: TestNamespace.available), .serialized)
struct KernelTests {
    static let table = ["ip", "junction"]

    @Test("A pick map declares a size; an update that outgrows it asks for a full sync, which declares it anew")
    func outgrowing() throws {
        try TestNamespace.with { ns in
            let builder = NFTRuleBuilder(config: Cluster.config())
            // Single-endpoint Services share `pick-tcp-1`: 170 fit its 256, 270 do not.
            func snapshot(_ count: Int) -> ProxySnapshot {
                let services = (0..<count).map { i in
                    NFTRulesTests.service("s\(i)", clusterIPs: ["10.96.\(1 + i / 200).\(i % 200)"], ports: [PortSpec(name: "http", port: 80)])
                }
                let slices = (0..<count).map { i in
                    NFTRulesTests.slice("s\(i)-1", service: "s\(i)", ports: [("http", 8080, "TCP")],
                                        endpoints: [EndpointSpec(ip: "10.244.\(2 + i / 200).\(i % 200)", node: "node-b")])
                }
                return Cluster.snapshot(services: services, slices: slices)
            }
            let small = snapshot(170)
            var ruleset = builder.build(small)
            #expect(ruleset.table.sets["pick-tcp-1"]?.size == 256)
            #expect(try ns.load(ruleset.fullTransaction()).succeeded)

            let large = snapshot(270)
            let changed = Set(large.servicePorts.keys).subtracting(small.servicePorts.keys)
            let before = ruleset
            _ = builder.update(&ruleset, snapshot: large, changed: changed)
            #expect(ruleset.outgrown)
            let grown = builder.build(large, previous: before)
            #expect(!grown.outgrown && grown.table.sets["pick-tcp-1"]?.size == 512)
            let existing = NFTExistingObjects.parse(listing: try ns.nft(["list", "table"] + Self.table).stdout)
            #expect(existing.sizes["pick-tcp-1"] == 256)
            let tx = grown.fullTransaction(existing: existing)
            #expect(tx.rendered().contains("delete map ip junction pick-tcp-1\nadd map ip junction pick-tcp-1"))
            let loaded = try ns.load(tx)
            #expect(loaded.succeeded, "\(loaded.stderr)")
            let map = try ns.nft(["list", "map"] + Self.table + ["pick-tcp-1"]).stdout
            #expect(map.contains("size 512"))
            #expect(map.components(separatedBy: " : ").count - 1 == 270 + 1, "typeof line and 270 elements")
            // The model agrees: the same transaction on the model of the old table gives the new table.
            let model = try NFTTable.apply(tx, to: before.table)
            #expect(model == grown.table)
        }
    }

    /// Applies every scenario step to `state` and loads each step's incremental transaction into the kernel.
    static func loadSteps(into ns: TestNamespace, builder: NFTRuleBuilder, ruleset: inout NFTProxyRuleset, state: inout ProxyState) throws {
        for step in Scenario.steps {
            Scenario.apply(step.events, to: &state)
            let update = state.applyPendingChanges()
            let tx = builder.update(&ruleset, snapshot: try #require(state.snapshots[.ipv4]), changed: update.changedPorts[.ipv4] ?? [])
            if tx.isEmpty { continue }
            let loaded = try ns.load(tx)
            #expect(loaded.succeeded, "step \(step.name): \(loaded.stderr)\n\(tx.rendered())")
        }
    }

    @Test("Staged full syncs: the other generation's pick maps are filled first, then one transaction switches; updates follow")
    func staged() throws {
        try TestNamespace.with { ns in
            let builder = NFTRuleBuilder(config: Cluster.config())
            var state = Scenario.initialState()
            func listing() throws -> NFTExistingObjects {
                NFTExistingObjects.parse(listing: try ns.nft(["list", "table"] + Self.table).stdout)
            }
            func pickMaps(_ objects: NFTExistingObjects) -> Set<String> { Set(objects.sets.keys.filter { $0.hasPrefix("pick-") }) }
            // Into a namespace without the table, as a proxy's first sync.
            var ruleset = builder.build(try #require(state.snapshots[.ipv4]), generation: 0)
            let first = try #require(ruleset.stagedFullSync(existing: NFTExistingObjects(), workers: 2))
            #expect(first.fills.count == 2)
            for fill in first.fills { #expect(try ns.load(fill).succeeded) }
            #expect(!pickMaps(try listing()).isEmpty, "the fills made the maps")
            let commit = try ns.load(first.commit)
            #expect(commit.succeeded, "\(commit.stderr)")
            var existing = try listing()
            #expect(existing.chains == Set(ruleset.table.chains.keys))
            #expect(existing.sets == ruleset.table.sets.mapValues(\.isMap))
            var model: NFTTable? = nil
            for tx in first.fills + [first.commit] { model = try NFTTable.apply(tx, to: model) }
            #expect(model == ruleset.table)
            // The same generation again cannot be staged: its maps are in use.
            #expect(ruleset.stagedFullSync(existing: existing, workers: 2) == nil)

            // A switch that does not happen: the cleanup leaves the kernel as it was.
            let current = try #require(state.snapshots[.ipv4])
            let abandoned = try #require(builder.build(current, previous: ruleset, generation: 1).stagedFullSync(existing: existing, workers: 2))
            for fill in abandoned.fills { #expect(try ns.load(fill).succeeded) }
            #expect(try listing() != existing)
            for tx in abandoned.cleanup { #expect(try ns.load(tx).succeeded) }
            #expect(try listing() == existing)

            // A resync in the other generation: new maps filled beside the old, the old ones gone after the switch.
            let resynced = builder.build(try #require(state.snapshots[.ipv4]), previous: ruleset, generation: 1)
            let second = try #require(resynced.stagedFullSync(existing: existing, workers: 2))
            for fill in second.fills { #expect(try ns.load(fill).succeeded) }
            let switched = try ns.load(second.commit)
            #expect(switched.succeeded, "\(switched.stderr)")
            existing = try listing()
            #expect(existing.sets == resynced.table.sets.mapValues(\.isMap))
            #expect(pickMaps(existing).allSatisfy { $0.hasSuffix("-g1") } && !pickMaps(existing).isEmpty)
            let rule = try ns.nft(["list", "chain"] + Self.table + ["pick-tcp-2"]).stdout
            #expect(rule.contains("map @pick-tcp-2-g1"), "\(rule)")
            ruleset = resynced

            // Incremental updates carry on in the new generation.
            try Self.loadSteps(into: ns, builder: builder, ruleset: &ruleset, state: &state)
            #expect(try listing().sets == ruleset.table.sets.mapValues(\.isMap))
        }
    }

    @Test("Full load, every incremental step, drift repair, a refused transaction, recreate")
    func scenario() throws {
        try TestNamespace.with { ns in
            let builder = NFTRuleBuilder(config: Cluster.config())
            var state = Scenario.initialState()
            var ruleset = builder.build(try #require(state.snapshots[.ipv4]))
            let full = try ns.load(ruleset.fullTransaction())
            #expect(full.succeeded, "\(full.stderr)")
            // Loading the same full transaction again (a periodic resync) is fine too.
            let again = try ns.load(ruleset.fullTransaction())
            #expect(again.succeeded, "\(again.stderr)")

            try Self.loadSteps(into: ns, builder: builder, ruleset: &ruleset, state: &state)

            // The kernel holds exactly the model's chains and sets.
            let listing = try ns.nft(["list", "table"] + Self.table)
            let existing = NFTExistingObjects.parse(listing: listing.stdout)
            #expect(existing.chains == Set(ruleset.table.chains.keys))
            #expect(existing.sets == ruleset.table.sets.mapValues(\.isMap))

            // Drift: a chain emptied, an element deleted, leftovers added by hand; a refresh repairs all of it.
            for command in [
                ["flush", "chain"] + Self.table + ["svc-default/local/tcp/http"],
                ["delete", "element"] + Self.table + ["service-ips", "{ 10.96.0.12 . tcp . 80 }"],
                ["add", "chain"] + Self.table + ["stale-chain"],
                ["add", "set"] + Self.table + ["stale-set", "{ type ipv4_addr ; }"],
            ] {
                let done = try ns.nft(command)
                #expect(done.succeeded, "\(command): \(done.stderr)")
            }
            let drifted = NFTExistingObjects.parse(listing: try ns.nft(["list", "table"] + Self.table).stdout)
            #expect(drifted.chains.contains("stale-chain"))
            let repair = try ns.load(ruleset.fullTransaction(existing: drifted))
            #expect(repair.succeeded, "\(repair.stderr)")
            let repaired = NFTExistingObjects.parse(listing: try ns.nft(["list", "table"] + Self.table).stdout)
            #expect(repaired == existing)
            let chain = try ns.nft(["list", "chain"] + Self.table + ["svc-default/local/tcp/http"])
            let dispatch = ruleset.table.chains["svc-default/local/tcp/http"]?.rules.last?.rendered(.ip) ?? "?"
            #expect(dispatch.hasPrefix("meta l4proto tcp dnat ip to numgen random mod 2 offset "))
            #expect(chain.stdout.contains(dispatch), "\(chain.stdout)")
            let map = try ns.nft(["list", "map"] + Self.table + ["service-ips"])
            #expect(map.stdout.contains("10.96.0.12 . tcp . 80 : goto svc-default/local/tcp/http"), "\(map.stdout)")

            // A transaction the kernel refuses changes nothing: the flush before the failing delete is undone.
            let refused = NFTTransaction(family: .ip, table: "junction", commands: [
                .flushChain(NFTNames.services),
                .deleteElements(set: NFTNames.serviceIPs, [.concat([.address(ip("10.9.9.9")), .proto(.tcp), .port(1)])]),
            ])
            let failed = try ns.load(refused)
            #expect(!failed.succeeded)
            #expect(!failed.stderr.isEmpty)
            let services = try ns.nft(["list", "chain"] + Self.table + [NFTNames.services])
            #expect(services.stdout.contains("vmap @service-ips"))

            // Recreating the table wholesale works on top of a populated one.
            let recreated = try ns.load(ruleset.recreateTransaction())
            #expect(recreated.succeeded, "\(recreated.stderr)")
            #expect(NFTExistingObjects.parse(listing: try ns.nft(["list", "table"] + Self.table).stdout) == existing)
        }
    }

    @Test("IPv6 table and every builder option (node-port addresses, localhost, service CIDRs, masquerade-all)")
    func options() throws {
        try TestNamespace.with { ns in
            let services = [
                service("dual", type: "NodePort", clusterIPs: ["10.96.0.40", "fd00:96::40"],
                        ports: [PortSpec(name: "http", port: 80, nodePort: 30400)], affinityTimeout: 30),
                service("lb6", type: "LoadBalancer", clusterIPs: ["fd00:96::41"], ports: [PortSpec(name: "http", port: 80, nodePort: 30401)],
                        lbIngress: [("fd00:18:255::1", nil)], sourceRanges: ["fd00:18::/64"], externalPolicy: "Local"),
            ]
            let slices = [
                slice("dual-v6", service: "dual", addressType: "IPv6", ports: [("http", 8080, "TCP")],
                      endpoints: [EndpointSpec(ip: "fd00:244:1::40", node: "node-a"), EndpointSpec(ip: "fd00:244:2::40", node: "node-b")]),
                slice("lb6-1", service: "lb6", addressType: "IPv6", ports: [("http", 8080, "TCP")],
                      endpoints: [EndpointSpec(ip: "fd00:244:1::41", node: "node-a")]),
            ]
            let v6 = Cluster.snapshot(family: .ipv6, services: services, slices: slices)
            let config6 = NFTProxyConfig(
                family: .ipv6, nodeName: Cluster.node, nodeIPs: [ip("fd00:18::2")],
                nodePortAddresses: .addresses([ip("fd00:18::2")]), localhostNodePorts: true,
                clusterCIDRs: [cidr("fd00:244::/32")], masqueradeAll: true, serviceCIDRs: [cidr("fd00:96::/108")])
            let loaded6 = try ns.load(NFTRuleBuilder(config: config6).build(v6).fullTransaction())
            #expect(loaded6.succeeded, "\(loaded6.stderr)")

            let config4 = Cluster.config(nodePorts: .addresses([Cluster.nodeIP]), localhost: true, masqueradeAll: true,
                                         serviceCIDRs: [cidr("10.96.0.0/12"), cidr("10.200.0.0/16")])
            let loaded4 = try ns.load(NFTRuleBuilder(config: config4).build(Cluster.snapshot()).fullTransaction())
            #expect(loaded4.succeeded, "\(loaded4.stderr)")
            let tables = try ns.nft(["list", "tables"])
            #expect(tables.stdout.contains("table ip junction") && tables.stdout.contains("table ip6 junction"))
        }
    }

    @Test("Data path: a ClusterIP reaches its endpoint, a Service without endpoints refuses at once, affinity is recorded",
          .enabled(if: FileManager.default.isExecutableFile(atPath: TestNamespace.python)))
    func dataPath() throws {
        try TestNamespace.with { ns in
            // One interface (a veth end; the dummy module may be missing) carries the "pod" addresses: 10.244.1.5
            // is the client, 10.244.1.6 the endpoint; ClusterIPs are routed out of it.
            for command in [
                ["link", "set", "lo", "up"], ["link", "add", "d0", "type", "veth", "peer", "name", "d1"],
                ["addr", "add", "10.244.1.5/24", "dev", "d0"], ["addr", "add", "10.244.1.6/24", "dev", "d0"],
                ["link", "set", "d0", "up"], ["link", "set", "d1", "up"], ["route", "add", "10.96.0.0/12", "dev", "d0"],
            ] {
                let done = try ns.exec([TestNamespace.ip] + command)
                #expect(done.succeeded, "\(command): \(done.stderr)")
            }
            let services = [
                service("web", clusterIPs: ["10.96.0.10"], ports: [PortSpec(name: "http", port: 80)]),
                service("aff", clusterIPs: ["10.96.0.17"], ports: [PortSpec(name: "http", port: 80)], affinityTimeout: 300),
                service("empty", clusterIPs: ["10.96.0.20"], ports: [PortSpec(name: "http", port: 80)]),
            ]
            let slices = ["web", "aff"].map { name in
                slice("\(name)-1", service: name, ports: [("http", 8080, "TCP")], endpoints: [EndpointSpec(ip: "10.244.1.6", node: "node-a")])
            }
            let ruleset = NFTRuleBuilder(config: Cluster.config()).build(Cluster.snapshot(services: services, slices: slices))
            let loaded = try ns.load(ruleset.fullTransaction())
            #expect(loaded.succeeded, "\(loaded.stderr)")

            let script = """
                import socket, threading, time
                server = socket.socket()
                server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                server.bind(("10.244.1.6", 8080))
                server.listen(8)
                def serve():
                    while True:
                        conn, peer = server.accept()
                        conn.sendall(("hello " + peer[0]).encode())
                        conn.close()
                threading.Thread(target=serve, daemon=True).start()
                for address in ["10.96.0.10", "10.96.0.17"]:
                    client = socket.create_connection((address, 80), timeout=3)
                    print(address, client.recv(100).decode())
                    client.close()
                start = time.monotonic()
                try:
                    socket.create_connection(("10.96.0.20", 80), timeout=3)
                    print("empty connected")
                except ConnectionRefusedError:
                    print("empty refused after %.3f s" % (time.monotonic() - start))
                except Exception as error:
                    print("empty other", error)
                """
            let file = ns.directory.appendingPathComponent("client.py")
            try script.write(to: file, atomically: true, encoding: .utf8)
            let run = try ns.exec([TestNamespace.python, file.path])
            #expect(run.succeeded, "\(run.stderr)")
            let lines = run.stdout.split(separator: "\n").map(String.init)
            #expect(lines.contains("10.96.0.10 hello 10.244.1.5"), "\(run.stdout)")
            #expect(lines.contains("10.96.0.17 hello 10.244.1.5"), "\(run.stdout)")
            let refusal = lines.first { $0.hasPrefix("empty") } ?? ""
            #expect(refusal.hasPrefix("empty refused after 0.0"), "\(run.stdout)")
            let affinity = try ns.nft(["list", "set", "ip", "junction", "aff-default/aff/tcp/http__10.244.1.6/8080"])
            #expect(affinity.stdout.contains("10.244.1.5"), "\(affinity.stdout)")
        }
    }
}
