// swift-tools-version:6.1
//
// Module layout (imports point one way: pure model at the bottom, I/O at the edges):
//   KubeModel     pure: JSON values, API types, selectors, validation, patches, IP/CIDR. No NIO, no C.
//   KubeProtobuf  pure: decoder for the Kubernetes protobuf envelope kubectl 1.32 sends. No NIO, no C.
//   DNSCore       pure: DNS wire codec, cluster name index, resolver (fuzzed by DNSFuzz). No NIO, no C.
//   ControlPlane  I/O: store (SQLite via GRDB), API server (Hummingbird), watch, allocators, controllers.
//   KubeClient    I/O: a Kubernetes REST client (AsyncHTTPClient) with list/watch, used by daemons and tests.
//   CNetlink      C: libnl-route-3 shim (system library, pkg-config libnl-route-3.0).
//   Netlink       I/O: netlink session (links, addresses, routes) and network-namespace helpers.
//   DNSDaemon     the `dns` command, shared by `junction` and the DNS-only `junction-dns` executable.
//   ProxyDaemon   the `proxy` command, shared by `junction` and the proxy-only `junction-proxy` executable.
//   Junction      the `junction` executable: one ArgumentParser tree.
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

/// Links the Swift runtime and Foundation statically (for `junction-dns`). Modules compiled without -static-stdlib
/// name only Foundation's dynamic libraries, so its static archives' own dependencies are named here.
let foundationArchives: [String] = ["FoundationInternationalization", "CoreFoundation", "_FoundationCollections",
                                    "_FoundationCShims", "_FoundationICU"]
let staticSwiftLibraries: [String] = ["-static-stdlib", "-Xlinker", "--start-group"]
    + foundationArchives.flatMap { ["-Xlinker", "-l" + $0] } + ["-Xlinker", "--end-group", "-Xlinker", "-lstdc++"]
    // lld (in the toolchain), because gold repeats glibc's link-time warning about mktemp, which FoundationEssentials
    // references and this daemon never calls, with no option to silence it.
    + ["-use-ld=lld"]

/// A daemon's command as a library (which `junction` links too) and an executable of its own that links only that,
/// with the Swift runtime and Foundation linked in: only the pages the daemon touches then count in its RSS, where
/// the shared libraries cost 10–18 MiB of file-backed pages (docs/benchmarks.md, DNS and proxy).
func daemon(library: String, executable: String, dependencies: [Target.Dependency]) -> [Target] {
    let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
    return [
        .target(
            name: library,
            dependencies: dependencies + [argumentParser, .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        .executableTarget(
            name: executable, dependencies: [.target(name: library), argumentParser], swiftSettings: strict,
            linkerSettings: [.unsafeFlags(staticSwiftLibraries, .when(platforms: [.linux]))]),
    ]
}

let package = Package(
    name: "junction",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "junction", targets: ["Junction"]),
        // The DNS daemon alone, exec'd by `junction dns` when it sits next to `junction` (docs/dns.md).
        .executable(name: "junction-dns", targets: ["JunctionDNS"]),
        .executable(name: "junction-proxy", targets: ["JunctionProxy"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.25.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.10.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.27.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.1.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
    ],
    targets: [
        // Pure targets: no NIO, Hummingbird or C imports.
        .target(name: "KubeModel", swiftSettings: strict),
        .target(name: "KubeProtobuf", dependencies: ["KubeModel"], swiftSettings: strict),
        // Pure: proxy change trackers, the policy-decided snapshot, the sync scheduler. No NIO, no C.
        .target(name: "ProxyCore", dependencies: ["KubeModel"], swiftSettings: strict),
        // Pure: nftables ruleset builder, transaction renderer, packet tracer. No NIO, no C.
        .target(name: "NFTRules", dependencies: ["ProxyCore", "KubeModel"], swiftSettings: strict),
        // DNS wire codec, cluster name index and resolver. Pure: no NIO, no C, no Foundation.
        .target(name: "DNSCore", dependencies: ["KubeModel"], swiftSettings: strict),
        // libFuzzer entry point for DNSCore; build recipe in Sources/DNSFuzz/main.swift.
        .executableTarget(name: "DNSFuzz", dependencies: ["DNSCore", "KubeModel"], swiftSettings: strict),

        // I/O adapters and servers.
        .target(
            name: "KubeClient",
            dependencies: [
                "KubeModel",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .target(
            name: "ControlPlane",
            dependencies: [
                "KubeModel", "KubeProtobuf",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        // libnftables, in process: the nftables proxy's only way to the kernel.
        .systemLibrary(name: "CNFTables", pkgConfig: "libnftables", providers: [.apt(["libnftables-dev"])]),
        .target(name: "NFTablesRunner", dependencies: ["CNFTables"], swiftSettings: strict),
        // libnl-nf-3: the conntrack table over netfilter netlink (stale UDP flows are deleted after syncs).
        .systemLibrary(name: "CConntrack", pkgConfig: "libnl-nf-3.0", providers: [.apt(["libnl-nf-3-dev"])]),
        .target(name: "Conntrack", dependencies: ["CConntrack", "KubeModel"], swiftSettings: strict),
        // The proxy daemons: reflectors → trackers → snapshot → scheduler → nftables.
        .target(
            name: "ServiceProxy",
            dependencies: ["ProxyCore", "NFTRules", "NFTablesRunner", "Conntrack", "KubeClient", "KubeModel",
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "Prometheus", package: "swift-prometheus"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "NIOHTTP1", package: "swift-nio")],
            swiftSettings: strict),
        // fork/exec into a pod's namespaces (setns, private mounts, hostname) with only async-signal-safe calls.
        .target(name: "CSpawn"),
        // recvmmsg/sendmmsg, which Swift's Glibc module does not declare (they need _GNU_SOURCE).
        .target(name: "CSocket"),
        .target(
            name: "NodeAgent",
            dependencies: ["KubeModel", "KubeClient", "Netlink", "CSpawn", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        .target(
            name: "Simulation",
            dependencies: ["KubeModel", "KubeClient", "Netlink", "CSpawn", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        .executableTarget(
            name: "Junction",
            dependencies: [
                "ControlPlane", "KubeClient", "KubeModel", "NodeAgent", "Simulation", "EchoServer", "Netlink", "ServiceProxy",
                "NFTablesRunner", "ProxyCore", "NFTRules",
                "DNSServer", "DNSCore", "DNSDaemon", "ProxyDaemon", "CSpawn",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        .target(
            name: "EchoServer",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // The `junction dns` responder: UDP/TCP listeners, API watches feeding DNSCore's index, the forwarder.
        .target(
            name: "DNSServer",
            dependencies: [
                "DNSCore", "KubeClient", "KubeModel", "CSocket",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict),
        // libnl-route-3 (netlink) for the Netlink adapter; its dev packages are on the build machines via apt.
        .systemLibrary(
            name: "CNetlink",
            pkgConfig: "libnl-route-3.0",
            providers: [.apt(["libnl-3-dev", "libnl-route-3-dev"])]),
        .target(
            name: "Netlink",
            dependencies: ["CNetlink", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),

        // Helpers shared by the integration test targets: running processes, shared state, a real control plane.
        .target(name: "TestSupport", dependencies: ["KubeClient", "KubeModel"], path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "KubeModelTests", dependencies: ["KubeModel"], swiftSettings: strict),
        .testTarget(name: "KubeProtobufTests", dependencies: ["KubeProtobuf", "KubeModel"], swiftSettings: strict),
        .testTarget(name: "ProxyCoreTests", dependencies: ["ProxyCore", "KubeModel"], swiftSettings: strict),
        .testTarget(name: "NFTRulesTests", dependencies: ["NFTRules", "ProxyCore", "KubeModel"], swiftSettings: strict),
        .testTarget(name: "DNSCoreTests", dependencies: ["DNSCore", "KubeModel"], swiftSettings: strict),
        .testTarget(
            name: "ControlPlaneTests",
            dependencies: [
                "ControlPlane", "KubeClient", "KubeModel", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "EchoServerTests",
            dependencies: [
                "EchoServer",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "DNSServerTests",
            dependencies: [
                "DNSServer", "DNSCore", "KubeClient", "KubeModel", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(name: "NetlinkTests", dependencies: ["Netlink", "Conntrack", "KubeModel", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "SimulationTests", dependencies: ["KubeClient", "KubeModel", "TestSupport"], swiftSettings: strict),
    ]
        // The `dns` command (flags → ClusterDNSServer) and `junction-dns`.
        + daemon(library: "DNSDaemon", executable: "JunctionDNS", dependencies: ["DNSServer", "DNSCore", "KubeClient", "KubeModel"])
        // The `proxy` command (flags and KubeProxyConfiguration → NFTablesProxy) and `junction-proxy`.
        + daemon(
            library: "ProxyDaemon", executable: "JunctionProxy",
            dependencies: [
                "ServiceProxy", "NFTablesRunner", "ProxyCore", "KubeClient", "KubeModel",
                .product(name: "Yams", package: "Yams"),
            ])
)
