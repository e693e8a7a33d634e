import Foundation
import KubeModel
import NFTRules
import ProxyCore
import Testing

/// Sync cost at scale, opt-in: `JUNCTION_NFT_BENCH=10000x25 swift test --filter BenchmarkTests`. Prints the
/// time to build and render the rules in process and, as root, to load them with `nft -f` in a throwaway
/// namespace (that includes starting nft and its cache fetch; the in-process libnftables runner pays less).
/// `JUNCTION_NFT_BENCH_DIR` keeps the rendered transactions there for other tools.
@Suite("Benchmark", .enabled(if: ProcessInfo.processInfo.environment["JUNCTION_NFT_BENCH"] != nil), .serialized)
struct BenchmarkTests {
    static func size() -> (services: Int, endpoints: Int) {
        let spec = ProcessInfo.processInfo.environment["JUNCTION_NFT_BENCH"] ?? "1000x25"
        let parts = spec.split(separator: "x").compactMap { Int($0) }
        return (parts.first ?? 1000, parts.count > 1 ? parts[1] : 25)
    }

    static func address(_ base: UInt32, _ n: Int) -> IPAddress { IPAddress(v4: base + UInt32(n)) }

    static func servicePorts(_ i: Int) -> ServicePorts {
        let name = ServicePortName(namespace: "bench", name: "svc-\(i)", port: "http", protocol: .tcp)
        return [name: ServicePortInfo(clusterIPs: [address(0x0A60_0000, i)], port: 80)]
    }

    static func endpoints(_ i: Int, count: Int, salt: Int = 0) -> ServiceEndpoints {
        let name = ServicePortName(namespace: "bench", name: "svc-\(i)", port: "http", protocol: .tcp)
        let list = (0..<count).map { j in
            // About one endpoint in fifty is on this node, as on a node running ~110 pods in a large cluster.
            Endpoint(ip: address(0x0A80_0000, i * count + j + salt), port: 8080, nodeName: (i + j) % 50 == 0 ? "node-a" : "node-b")
        }
        return [name: list.sorted()]
    }

    func measure<T>(_ label: String, _ body: () throws -> T) rethrows -> T {
        let clock = ContinuousClock()
        var result: T?
        let elapsed = try clock.measure { result = try body() }
        print("bench \(label): \(elapsed)")
        guard let result else { preconditionFailure("measured body produced no result") }
        return result
    }

    @Test("Full and incremental syncs at scale")
    func scale() throws {
        let (count, perService) = Self.size()
        var services: [NamespacedName: ServicePorts] = [:]
        var endpoints: [NamespacedName: ServiceEndpoints] = [:]
        for i in 0..<count {
            let name = NamespacedName(namespace: "bench", name: "svc-\(i)")
            services[name] = Self.servicePorts(i)
            endpoints[name] = Self.endpoints(i, count: perService)
        }
        let builder = NFTRuleBuilder(config: Cluster.config())
        var snapshot = measure("snapshot \(count)x\(perService)") {
            ProxySnapshot(nodeName: Cluster.node, family: .ipv4, services: services, endpoints: endpoints)
        }
        var ruleset = measure("build") { builder.build(snapshot) }
        let full = measure("render full") { ruleset.fullTransaction().rendered() }
        print("bench full transaction: \(full.utf8.count) bytes")

        var transactions: [(String, String)] = [("full", full)]
        let target = NamespacedName(namespace: "bench", name: "svc-7")
        let changes: [(String, ServiceEndpoints?, ServicePorts?)] = [
            ("replace-one-endpoint", Self.endpoints(7, count: perService).mapValues { list in
                var l = list
                l[l.count - 1].ip = Self.address(0x0AF0_0000, 1)
                return l.sorted()
            }, nil),
            ("remove-one-endpoint", Self.endpoints(7, count: perService - 1), nil),
            ("add-one-endpoint", Self.endpoints(7, count: perService), nil),
        ]
        for (label, newEndpoints, newPorts) in changes {
            if let newEndpoints { endpoints[target] = newEndpoints }
            if let newPorts { services[target] = newPorts }
            let text = measure("incremental \(label) (refresh + update + render)") { () -> String in
                let changed = snapshot.refresh([target], services: services, endpoints: endpoints)
                return builder.update(&ruleset, snapshot: snapshot, changed: changed).rendered()
            }
            transactions.append((label, text))
        }
        let added = NamespacedName(namespace: "bench", name: "svc-\(count)")
        services[added] = Self.servicePorts(count)
        endpoints[added] = Self.endpoints(count, count: perService)
        let addService = measure("incremental add-service (refresh + update + render)") { () -> String in
            let changed = snapshot.refresh([added], services: services, endpoints: endpoints)
            return builder.update(&ruleset, snapshot: snapshot, changed: changed).rendered()
        }
        transactions.append(("add-service", addService))

        if let directory = ProcessInfo.processInfo.environment["JUNCTION_NFT_BENCH_DIR"] {
            for (index, (label, text)) in transactions.enumerated() {
                try text.write(toFile: "\(directory)/\(index)-\(label).nft", atomically: true, encoding: .utf8)
            }
        }
        guard TestNamespace.available else { return }
        try TestNamespace.with { ns in
            for (label, text) in transactions {
                let file = ns.directory.appendingPathComponent("\(label).nft")
                try text.write(to: file, atomically: true, encoding: .utf8)
                let loaded = try measure("nft -f \(label)") { try ns.nft(["-f", file.path]) }
                #expect(loaded.succeeded, "\(label): \(loaded.stderr.prefix(2000))")
            }
        }
    }
}
