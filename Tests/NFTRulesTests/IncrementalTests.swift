import KubeModel
import NFTRules
import ProxyCore
import Testing

@Suite("Incremental and full transactions")
struct IncrementalTests {
    let builder = NFTRuleBuilder(config: Cluster.config())

    /// Packets whose fate the equivalence test compares: every semantics row, plus each fixture address.
    static let probes: [PacketTracer.Packet] = SemanticsTests.rows.map(\.packet) + (10...50).flatMap { last in
        [SemanticsTests.from("10.244.1.9", to: "10.96.0.\(last)", 80), SemanticsTests.from("172.18.0.100", to: "172.18.255.\(last)", 80)]
    } + [SemanticsTests.from("10.244.1.9", to: "10.96.0.40", 81), SemanticsTests.from("172.18.0.100", to: "10.96.0.40", 81)]

    @Test("Each incremental transaction turns the previous table into exactly a full build")
    func incrementalEqualsFull() throws {
        var state = Scenario.initialState()
        let initial = try #require(state.snapshots[.ipv4])
        var ruleset = builder.build(initial)
        var kernel = try NFTTable.apply(ruleset.fullTransaction(), to: nil)
        #expect(kernel == ruleset.table)
        for step in Scenario.steps {
            Scenario.apply(step.events, to: &state)
            let update = state.applyPendingChanges()
            let snapshot = try #require(state.snapshots[.ipv4])
            let before = ruleset
            let tx = builder.update(&ruleset, snapshot: snapshot, changed: update.changedPorts[.ipv4] ?? [])
            kernel = try NFTTable.apply(tx, to: kernel)
            // Structurally equal to a full build that keeps the endpoint-map layout of the previous ruleset...
            let full = builder.build(snapshot, previous: before)
            #expect(kernel == full.table, "after \(step.name):\n\(tx.rendered())")
            #expect(ruleset == full, "after \(step.name)")
            // ...and behaving exactly like a build from scratch, whose layout may differ.
            let scratch = PacketTracer(table: builder.build(snapshot).table, localAddresses: [Cluster.nodeIP])
            let traced = PacketTracer(table: try #require(kernel), localAddresses: [Cluster.nodeIP])
            for probe in Self.probes {
                let a = traced.trace(probe)
                let b = scratch.trace(probe)
                #expect(a.outcomes.mapValues { ($0 * 1e9).rounded() } == b.outcomes.mapValues { ($0 * 1e9).rounded() },
                        "after \(step.name), \(probe): \(a) vs \(b)")
            }
        }
    }

    /// Runs the scenario up to and including `stepName` and returns that step's transaction.
    func transaction(for stepName: String) throws -> NFTTransaction {
        var state = Scenario.initialState()
        var ruleset = builder.build(try #require(state.snapshots[.ipv4]))
        for step in Scenario.steps {
            Scenario.apply(step.events, to: &state)
            let update = state.applyPendingChanges()
            let tx = builder.update(&ruleset, snapshot: try #require(state.snapshots[.ipv4]), changed: update.changedPorts[.ipv4] ?? [])
            if step.name == stepName { return tx }
        }
        Issue.record("no step \(stepName)")
        return NFTTransaction(family: .ip, table: "junction")
    }

    @Test("Plain ports of one Service share one endpoint list; different addresses at one count give them chains")
    func sharedLists() throws {
        let shared = try transaction(for: "a two-port Service: both ports plain, one shared endpoint list").rendered()
        #expect(shared.contains("add element ip junction pick-tcp-2 { 10.96.0.40 . 0 : 10.244.1.60, 10.96.0.40 . 1 : 10.244.2.60 }"), "\(shared)")
        #expect(shared.contains("10.96.0.40 . 80 : 8080") && shared.contains("10.96.0.40 . 81 : 9090"))
        #expect(!shared.contains("svc-default/multi"))
        let split = try transaction(for: "its ports get different endpoints at the same count: both leave the plain layout").rendered()
        #expect(split.contains("add chain ip junction svc-default/multi/tcp/http") && split.contains("add chain ip junction svc-default/multi/tcp/alt"), "\(split)")
        #expect(split.contains("10.96.0.40 . tcp . 80 : goto svc-default/multi/tcp/http"))
        #expect(split.contains("delete element ip junction cluster-ports-tcp { 10.96.0.40 . 80, 10.96.0.40 . 81 }"))
        let rest = try transaction(for: "one port of the sharing pair goes: the other keeps the list").rendered()
        #expect(!rest.contains("pick-tcp-2 { 10.96.0.40"), "\(rest)")
        #expect(rest.contains("delete element ip junction cluster-ports-tcp { 10.96.0.40 . 81 }"))
        let mixed = try transaction(for: "endpoints of one port on different target ports: not plain").rendered()
        #expect(mixed.contains("add chain ip junction svc-default/multi/tcp/http"), "\(mixed)")
    }

    @Test("Replacing an endpoint at constant size changes map elements only, no rules")
    func endpointReplacementIsElementsOnly() throws {
        let tx = try transaction(for: "replace an endpoint, same count")
        // Only local endpoints are hairpin candidates, so 10.244.2.x changes no pair.
        #expect(tx.rendered() == """
            delete element ip junction pick-tcp-2 { 10.96.0.10 . 1 }
            delete element ip junction pick-udp-2 { 10.96.0.10 . 1 }
            add element ip junction pick-tcp-2 { 10.96.0.10 . 1 : 10.244.2.50 }
            add element ip junction pick-udp-2 { 10.96.0.10 . 1 : 10.244.2.50 }

            """)
    }

    @Test("Scaling up moves a plain port's list to the shared chain and map of its new endpoint count")
    func scaleUp() throws {
        let tx = try transaction(for: "scale up")
        let text = tx.rendered()
        // Endpoints are laid out in address order, so the new 10.244.1.20 takes index 1 and shifts 10.244.2.50.
        #expect(text.contains("add element ip junction pick-tcp-3 { 10.96.0.10 . 0 : 10.244.1.5, 10.96.0.10 . 1 : 10.244.1.20, 10.96.0.10 . 2 : 10.244.2.50 }"), "\(text)")
        #expect(text.contains("add element ip junction service-ips { 10.96.0.10 . tcp . 80 : goto pick-tcp-3, 10.96.0.10 . udp . 53 : goto pick-udp-3 }"))
        // The count-3 chains are created once (another port already uses pick-tcp-3); the count-2 ones go.
        #expect(text.contains("add rule ip junction pick-udp-3 meta l4proto udp dnat ip to ip daddr . numgen random mod 3 map @pick-udp-3 : ip daddr . th dport map @cluster-ports-udp"))
        #expect(!text.contains("add chain ip junction pick-tcp-3"))
        #expect(text.contains("delete chain ip junction pick-tcp-2"))
        #expect(text.contains("delete map ip junction pick-udp-2"))
    }

    @Test("A Service that goes while another comes in one sync: the newcomer reuses the freed endpoint-map slot")
    func slotReuse() throws {
        // NodePorts: only ports with chains of their own use the slot maps.
        let zeta = service("zeta", type: "NodePort", clusterIPs: ["10.96.1.1"], ports: [PortSpec(name: "http", port: 80, nodePort: 30701)])
        let alpha = service("alpha", type: "NodePort", clusterIPs: ["10.96.1.2"], ports: [PortSpec(name: "http", port: 80, nodePort: 30702)])
        let zetaSlice = slice("zeta-1", service: "zeta", ports: [("http", 8080, "TCP")], endpoints: [EndpointSpec(ip: "10.244.1.70", node: "node-b")])
        let alphaSlice = slice("alpha-1", service: "alpha", ports: [("http", 8080, "TCP")], endpoints: [EndpointSpec(ip: "10.244.1.71", node: "node-b")])
        var state = ProxyState(nodeName: Cluster.node)
        Scenario.apply([.service(nil, zeta), .slice(nil, zetaSlice)], to: &state)
        _ = state.applyPendingChanges()
        var ruleset = builder.build(try #require(state.snapshots[.ipv4]))
        let kernel = try NFTTable.apply(ruleset.fullTransaction(), to: nil)
        Scenario.apply([.service(zeta, nil), .slice(zetaSlice, nil), .service(nil, alpha), .slice(nil, alphaSlice)], to: &state)
        let update = state.applyPendingChanges()
        let before = ruleset
        let tx = builder.update(&ruleset, snapshot: try #require(state.snapshots[.ipv4]), changed: update.changedPorts[.ipv4] ?? [])
        let after = try NFTTable.apply(tx, to: kernel)
        #expect(after == builder.build(try #require(state.snapshots[.ipv4]), previous: before).table)
        #expect(ruleset.table == after)
        #expect(tx.rendered().contains("add element ip junction endpoints-tcp-0 { 0 : 10.244.1.71 . 8080 }"), "\(tx.rendered())")
        let tracer = PacketTracer(table: try #require(after), localAddresses: [Cluster.nodeIP])
        #expect(tracer.trace(SemanticsTests.from("10.244.1.9", to: "10.96.1.2", 80)).destinations == [dest("10.244.1.71", 8080)])
    }

    @Test("A no-op event produces an empty transaction")
    func noOp() throws {
        #expect(try transaction(for: "the same object again is a no-op").isEmpty)
    }

    @Test("Scale to zero: chains go, the ClusterIP moves to the reject map")
    func scaleToZero() throws {
        let text = try transaction(for: "scale to zero").rendered()
        #expect(text.contains("delete chain ip junction pick-tcp-2"))
        #expect(text.contains("delete map ip junction pick-tcp-2"))
        #expect(text.contains("10.96.0.10 . tcp . 80 comment \"default/web:http\" : goto reject-chain"))
        #expect(text.contains("delete element ip junction service-ips { 10.96.0.10 . tcp . 80, 10.96.0.10 . udp . 53 }"))
    }

    @Test("Conflicting external IPs: the smallest port name wins, the other takes over when it goes")
    func conflictingClaims() throws {
        let claimed = try transaction(for: "a second Service claims the same external IP and port").rendered()
        #expect(claimed.contains("delete element ip junction service-ips { 192.0.2.10 . tcp . 80 }"))
        #expect(claimed.contains("192.0.2.10 . tcp . 80 : goto ext-default/aaa-ext/tcp/http"))
        let released = try transaction(for: "the winning claimant goes away").rendered()
        #expect(released.contains("192.0.2.10 . tcp . 80 : goto ext-default/ext/tcp/http"))
    }

    @Test("A full refresh repairs drift, removes stale objects and keeps affinity state")
    func refreshRepairsDrift() throws {
        let state = Scenario.initialState()
        let ruleset = builder.build(try #require(state.snapshots[.ipv4]))
        var drifted = try #require(try NFTTable.apply(ruleset.fullTransaction(), to: nil))
        drifted.chains["pick-tcp-2"]?.rules.removeLast()
        drifted.sets["service-ips"]?.elements.removeValue(forKey: .concat([.address(ip("10.96.0.11")), .proto(.tcp), .port(80)]))
        drifted.sets["service-ips"]?.elements[.concat([.address(ip("10.96.9.9")), .proto(.tcp), .port(80)])] = NFTElementData(.verdict(.drop))
        drifted.chains["stale-chain"] = NFTChain("stale-chain", rules: [NFTRule([.verdict(.accept)])])
        drifted.sets["stale-set"] = NFTSet("stale-set", spec: .types([.ipv4Address]))
        let affinity = try #require(drifted.sets.keys.first { $0.hasPrefix("aff-default/aff/") })
        drifted.sets[affinity]?.elements[.address(ip("10.244.1.9"))] = NFTElementData()
        let existing = NFTExistingObjects(
            chains: Set(drifted.chains.keys), sets: drifted.sets.mapValues(\.isMap))
        let repaired = try #require(try NFTTable.apply(ruleset.fullTransaction(existing: existing), to: drifted))
        var expected = ruleset.table
        expected.sets[affinity]?.elements[.address(ip("10.244.1.9"))] = NFTElementData()
        #expect(repaired == expected)
        // Recreating instead loses the affinity state but is otherwise the same.
        #expect(try NFTTable.apply(ruleset.recreateTransaction(), to: drifted) == ruleset.table)
    }

    @Test("The model refuses what the kernel refuses")
    func strictApply() throws {
        let table = NFTTable(family: .ip, name: "junction", sets: ["s": NFTSet("s", spec: .types([.ipv4Address]))])
        let deleteMissing = NFTTransaction(family: .ip, table: "junction", commands: [.deleteElements(set: "s", [.address(ip("1.2.3.4"))])])
        #expect(throws: NFTApplyError.self) { try NFTTable.apply(deleteMissing, to: table) }
        let dangling = NFTTransaction(family: .ip, table: "junction", commands: [
            .addChain(NFTChain("a")), .addRule(chain: "a", NFTRule([.verdict(.goto("b"))])),
        ])
        #expect(throws: NFTApplyError.self) { try NFTTable.apply(dangling, to: table) }
        let busy = NFTTransaction(family: .ip, table: "junction", commands: [
            .addChain(NFTChain("a")), .addChain(NFTChain("b")), .addRule(chain: "a", NFTRule([.verdict(.goto("b"))])),
            .deleteChain("b"),
        ])
        #expect(throws: NFTApplyError.self) { try NFTTable.apply(busy, to: table) }
    }

    @Test("Existing objects parse from nft list output")
    func parseListing() {
        let listing = """
            table ip junction {
            \tcomment "Junction service proxy"
            \tmap service-ips {
            \t\ttype ipv4_addr . inet_proto . inet_service : verdict
            \t}
            \tset cluster-ips {
            \t\ttype ipv4_addr
            \t}
            \tchain svc-default/web/tcp/http {
            \t\tmeta l4proto tcp dnat ip to numgen random mod 2 map @svc-default/web/tcp/http
            \t}
            \tchain filter-input {
            \t\ttype filter hook input priority -110; policy accept;
            \t}
            }
            """
        let parsed = NFTExistingObjects.parse(listing: listing)
        #expect(parsed.chains == ["svc-default/web/tcp/http", "filter-input"])
        #expect(parsed.sets == ["service-ips": true, "cluster-ips": false])
        // A ruleset listing: only the named table counts; sizes are read.
        let ruleset = """
            table ip other {
            	chain c {
            	}
            	map pick-tcp-2 {
            		typeof ip daddr . numgen random mod 1 : ip daddr
            		size 64
            	}
            }
            table ip junction {
            	map pick-tcp-2 {
            		typeof ip daddr . numgen random mod 1 : ip daddr
            		size 256
            	}
            	chain pick-tcp-2 {
            	}
            }
            """
        let ours = NFTExistingObjects.parse(listing: ruleset, table: "ip junction")
        #expect(ours == NFTExistingObjects(chains: ["pick-tcp-2"], sets: ["pick-tcp-2": true], sizes: ["pick-tcp-2": 256]))
        #expect(NFTExistingObjects.parse(listing: ruleset, table: "ip6 junction") == NFTExistingObjects())
    }

    @Test("An endpoint list is a view of the snapshot's endpoints, no copy, and equal to another by address only")
    func endpointListsAreViews() {
        let endpoints = [Endpoint(ip: IPAddress(10, 244, 1, 5), port: 8080), Endpoint(ip: IPAddress(10, 244, 2, 6), port: 8080)]
        let view = EndpointAddresses(endpoints.prefix(2))
        endpoints.withUnsafeBufferPointer { whole in
            view.endpoints.withUnsafeBufferPointer { #expect($0.baseAddress == whole.baseAddress) }
        }
        #expect(Array(view) == [IPAddress(10, 244, 1, 5), IPAddress(10, 244, 2, 6)])
        let otherPort = EndpointAddresses(endpoints.map { Endpoint(ip: $0.ip, port: 9090) }.prefix(2))
        #expect(view == otherPort && view.hashValue == otherPort.hashValue)
        #expect(view != EndpointAddresses([IPAddress(10, 244, 1, 5)]))
        let list = NFTAddressList(key: IPAddress(10, 96, 0, 1), addresses: view)
        #expect(list.elements.map(\.key) == [.addressAndIndex(IPAddress(10, 96, 0, 1), index: 0), .addressAndIndex(IPAddress(10, 96, 0, 1), index: 1)])
    }
}
