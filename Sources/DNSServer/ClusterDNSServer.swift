import DNSCore
import Foundation
import KubeClient
import KubeModel
import Logging
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The cluster DNS responder: UDP and TCP listeners answering from a watch-driven `ClusterDNSIndex`, and a forwarder
/// for everything outside the cluster.
///
/// Queries never call the API: they read the current index snapshot, an immutable value held in a `Mutex` and
/// replaced whole by the single writer (the watch callbacks) whenever the `Builder` reports a change, so a query sees
/// either the old or the new cluster state and never a half-applied one. Until every watched collection has listed
/// once, queries for the cluster zone and the reverse zones get SERVFAIL: an NXDOMAIN from a half-known cluster would
/// be cached by clients as a fact, a SERVFAIL makes them retry.
public final class ClusterDNSServer: Sendable {
    /// The listening ports, once bound (UDP and TCP share one port number).
    public struct BoundPorts: Sendable, Hashable {
        public var udp: Int
        public var tcp: Int
    }

    struct Serving: Sendable {
        var index: ClusterDNSIndex
        var ready: Bool
    }

    public let config: ClusterDNSServerConfig
    let resolver: ClusterResolver
    let forwarder: DNSForwarder
    /// Prometheus metrics, when the server was given them; nil costs the query path nothing.
    public let metrics: DNSMetrics?
    let logger: Logger
    let group: any EventLoopGroup
    private let serving: Mutex<Serving>
    private let builder: Mutex<ClusterDNSIndex.Builder>
    private let syncedResources = Mutex<Set<String>>([])
    private let outstandingForwards = Mutex(0)

    /// The API collections the index is built from: pods only in `verified` mode, the one mode that looks at them.
    public var resources: [String] {
        var paths = ["/api/v1/services", "/apis/discovery.k8s.io/v1/endpointslices"]
        if config.podMode == .verified { paths.append("/api/v1/pods") }
        return paths
    }

    public init(config: ClusterDNSServerConfig, logger: Logger,
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, metrics: DNSMetrics? = nil) {
        self.config = config
        var resolverConfig = config.resolver
        // RA tells clients recursion works here; without upstreams it does not.
        resolverConfig.recursionAvailable = resolverConfig.outsideZones == .forward && !config.upstreams.isEmpty
        self.resolver = ClusterResolver(config: resolverConfig)
        self.logger = logger
        self.group = group
        self.metrics = metrics
        self.forwarder = DNSForwarder(upstreams: config.upstreams, timeout: config.upstreamTimeout,
                                      cacheCapacity: config.cacheCapacity, group: group, logger: logger,
                                      metrics: metrics)
        // Seeding the serial with the clock keeps it growing across restarts, as the Builder's doc asks.
        let seconds = UInt32(clamping: Int(Date().timeIntervalSince1970))
        let builder = ClusterDNSIndex.Builder(zone: config.zone, podMode: config.podMode, serial: max(1, seconds))
        self.builder = Mutex(builder)
        self.serving = Mutex(Serving(index: builder.snapshot(), ready: false))
    }

    /// True once every watched collection has been listed: the `/ready` condition.
    public var isReady: Bool { serving.withLock { $0.ready } }

    /// The snapshot queries are answered from.
    public var index: ClusterDNSIndex { serving.withLock { $0.index } }

    /// The Prometheus text exposition `GET /metrics` serves; empty without metrics.
    public func metricsExposition() -> [UInt8] {
        metrics?.exposition(cache: forwarder.cache) ?? []
    }

    // MARK: Feeding the index

    /// Applies one change from a watch (nil previous: added; nil current: deleted) and, once ready, publishes the new
    /// snapshot at once so that a Service resolves as soon as its watch event arrives.
    public func apply(previous: JSONValue?, current: JSONValue?) {
        builder.withLock { builder in
            let changed: Bool
            if let current {
                changed = builder.apply(current, deleted: false)
            } else if let previous {
                changed = builder.apply(previous, deleted: true)
            } else {
                changed = false
            }
            guard changed else { return }
            let snapshot = builder.snapshot()
            serving.withLock { state in
                if state.ready { state.index = snapshot }
            }
        }
    }

    /// Records that `resource` (one of `resources`) has completed a list; the first time all have, the index goes
    /// live and the server turns ready.
    public func markSynced(_ resource: String) {
        let all = syncedResources.withLock { synced in
            synced.insert(resource)
            return Set(resources).isSubset(of: synced)
        }
        guard all else { return }
        builder.withLock { builder in
            let snapshot = builder.snapshot()
            let wasReady = serving.withLock { state in
                defer {
                    state.index = snapshot
                    state.ready = true
                }
                return state.ready
            }
            if !wasReady {
                HeapTrim.releaseFreedMemory()
                logger.info("cluster DNS index synced", metadata: [
                    "services": "\(builder.serviceCount)", "endpointSlices": "\(builder.endpointSliceCount)",
                    "pods": "\(builder.podCount)", "names": "\(snapshot.nameCount)",
                ])
            }
        }
    }

    /// Runs one reflector per collection in `resources` against `client` until cancelled.
    public func watch(_ client: KubeClient) async {
        await withDiscardingTaskGroup { group in
            for path in resources {
                group.addTask {
                    // The index builder keeps its own sources and reads only the name from `previous`.
                    let reflector = Reflector(
                        client: client, path: path, retention: .version, logger: self.logger,
                        onChange: { previous, current in
                            self.apply(previous: previous.map { withKind($0, of: path) },
                                       current: current.map { withKind($0, of: path) })
                        },
                        onSynced: { self.markSynced(path) })
                    await reflector.run()
                }
            }
        }
    }

    // MARK: Answering

    /// What to do with one packet without waiting: a reply to send (and who wrote it, for the metrics), nothing, or
    /// an outcome that needs the forwarder.
    enum Immediate: Sendable {
        case reply([UInt8], DNSMetrics.Responder)
        case drop
        case deferred(PacketOutcome)
    }

    func immediate(_ packet: [UInt8], transport: DNSTransport) -> Immediate {
        let state = serving.withLock { $0 }
        if !state.ready, let reply = notReadyReply(packet, transport: transport) { return .reply(reply, .server) }
        switch resolver.respond(to: packet, transport: transport, index: state.index) {
        case .reply(let bytes):
            // FORMERR is the server refusing to parse, not an answer from the index.
            let formErr = bytes.count >= 4 && bytes[3] & 0x0F == UInt8(DNSRcode.formErr.rawValue)
            return .reply(bytes, formErr ? .server : .kubernetes)
        case .drop: return .drop
        case let outcome: return .deferred(outcome)
        }
    }

    /// SERVFAIL for a well-formed query about the cluster or reverse zones while the index is not yet synced; nil
    /// when the packet should take the normal path (outside names are forwarded even before the sync).
    private func notReadyReply(_ packet: [UInt8], transport: DNSTransport) -> [UInt8]? {
        guard let query = try? DNSMessage(decoding: packet), !query.header.isResponse,
            let question = query.questions.first
        else { return nil }
        let ours = question.name.isSubdomain(of: config.zone) || question.name.isSubdomain(of: inAddrArpa)
            || question.name.isSubdomain(of: ip6Arpa)
        guard ours else { return nil }
        return resolver.reply(to: query, .servFail).encode(maxSize: resolver.responseLimit(for: query, transport: transport))
    }

    /// Finishes a `.forward` or `.chase` outcome through the upstreams.
    func complete(_ outcome: PacketOutcome, transport: DNSTransport) async -> ([UInt8], DNSMetrics.Responder)? {
        switch outcome {
        case .reply(let bytes):
            return (bytes, .kubernetes)
        case .drop:
            return nil
        case .forward(let query):
            return await forward(query, transport: transport)
        case .chase(let query, let partial, let target):
            return (await chase(query, partial: partial, target: target, transport: transport), .kubernetes)
        }
    }

    /// Answers one packet, waiting for the upstreams when needed: the whole server short of the sockets.
    public func handle(_ packet: [UInt8], transport: DNSTransport) async -> [UInt8]? {
        switch immediate(packet, transport: transport) {
        case .reply(let bytes, _): return bytes
        case .drop: return nil
        case .deferred(let outcome): return await complete(outcome, transport: transport)?.0
        }
    }

    private func admitForward() -> Bool {
        let admitted = outstandingForwards.withLock { count in
            guard count < config.maxOutstandingForwards else { return false }
            count += 1
            return true
        }
        if !admitted { metrics?.forwardRejected() }
        return admitted
    }

    private func releaseForward() {
        outstandingForwards.withLock { $0 -= 1 }
    }

    private func forward(_ query: DNSMessage, transport: DNSTransport) async -> ([UInt8], DNSMetrics.Responder) {
        let limit = resolver.responseLimit(for: query, transport: transport)
        guard let question = query.questions.first, admitForward() else {
            return (resolver.reply(to: query, .servFail).encode(maxSize: limit), .server)
        }
        defer { releaseForward() }
        guard let resolution = await forwarder.lookup(question, checkingDisabled: query.header.checkingDisabled) else {
            return (resolver.reply(to: query, .servFail).encode(maxSize: limit), .server)
        }
        let upstream = resolution.message
        var reply = resolver.reply(to: query, upstream.header.rcode)
        reply.answers = upstream.answers
        reply.authority = upstream.authority
        reply.additional = upstream.additional
        return (reply.encode(maxSize: limit), resolution.cached ? .cache : .forward)
    }

    /// An ExternalName pointing outside the cluster: our CNAME followed by the upstream's answer for the target,
    /// with the upstream's rcode (RFC 6604); the bare CNAME when the upstream fails.
    private func chase(_ query: DNSMessage, partial: DNSMessage, target: DNSName, transport: DNSTransport) async -> [UInt8] {
        let limit = resolver.responseLimit(for: query, transport: transport)
        var message = partial
        if let question = query.questions.first, admitForward() {
            defer { releaseForward() }
            let chased = DNSQuestion(name: target, type: question.type, class: question.class)
            if let upstream = await forwarder.resolve(chased, checkingDisabled: query.header.checkingDisabled),
                upstream.header.rcode == .noError || upstream.header.rcode == .nxDomain {
                message.answers += upstream.answers
                message.header.rcode = upstream.header.rcode
                if upstream.answers.isEmpty { message.authority = upstream.authority }
            }
        }
        return message.encode(maxSize: limit)
    }

    // MARK: Sockets

    /// Binds UDP and TCP on one port, reports it, then serves until the calling task is cancelled; with a client,
    /// also runs the reflectors that feed the index.
    public func run(client: KubeClient?, onBound: @Sendable (BoundPorts) -> Void = { _ in }) async throws {
        let (udp, tcp) = try await bind()
        let ports = BoundPorts(udp: udp.port, tcp: tcp.localAddress?.port ?? 0)
        logger.info("cluster DNS listening", metadata: [
            "host": "\(config.host)", "udp": "\(ports.udp)", "tcp": "\(ports.tcp)", "zone": "\(config.zone)",
            "udpReaders": "\(udp.readerCount)", "udpQueue": "\(config.udpQueue.rawValue)",
            "upstreams": "\(config.upstreams.map { "\($0)" })",
        ])
        onBound(ports)
        let sockets = udp.channels + [tcp]
        await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self) { group in
                if let client {
                    group.addTask { await self.watch(client) }
                }
                for socket in sockets {
                    group.addTask { try? await socket.closeFuture.get() }
                }
                // The first to end (cancellation closes every socket; a socket error closes one) ends the server.
                _ = await group.next()
                for socket in sockets { socket.close(promise: nil) }
                group.cancelAll()
            }
        } onCancel: {
            for socket in sockets { socket.close(promise: nil) }
        }
        await udp.readers?.stop()
        logger.info("cluster DNS stopped")
    }

    /// The UDP side: reader threads on one socket (`UDPQueue.shared`) or one channel per event loop (`.perLoop`).
    struct UDPListeners: Sendable {
        var readers: DNSUDPReaders?
        var channels: [any Channel]
        var port: Int
        var readerCount: Int

        func close() async {
            await readers?.stop()
            for channel in channels { try? await channel.close() }
        }
    }

    /// Binds UDP first and TCP on its port; with port 0 another process may take that TCP port in between, so a few
    /// fresh ports are tried.
    private func bind() async throws -> (UDPListeners, any Channel) {
        var attempts = config.port == 0 ? 5 : 1
        while true {
            var udp: UDPListeners?
            do {
                let listeners = try await bindUDP()
                udp = listeners
                let tcp = try await bindTCP(port: listeners.port)
                listeners.readers?.start(count: listeners.readerCount)
                return (listeners, tcp)
            } catch {
                await udp?.close()
                attempts -= 1
                if attempts == 0 { throw error }
            }
        }
    }

    /// With `UDPQueue.shared`, one socket and `udpReaders` reader threads (not yet started): a datagram is read by
    /// whichever reader is free first. With `.perLoop` each event loop has its own SO_REUSEPORT socket on the port and
    /// the kernel spreads clients over them by a hash of their address. Either way each reader keeps its own metrics
    /// tally, sharing nothing but the index snapshot.
    private func bindUDP() async throws -> UDPListeners {
        let loops = Array(group.makeIterator())
        if config.udpQueue == .shared {
            let readers = try DNSUDPReaders(server: self, host: config.host, port: config.port)
            return UDPListeners(readers: readers, channels: [], port: readers.port,
                                readerCount: max(1, config.udpReaders ?? loops.count))
        }
        let count = max(1, min(config.udpReaders ?? loops.count, loops.count))
        var sockets: [any Channel] = []
        do {
            var port = config.port
            for position in 0..<count {
                var bootstrap = udpBootstrap(on: loops[position])
                if count > 1 {
                    bootstrap = bootstrap.channelOption(.socketOption(NIOBSDSocket.Option(rawValue: SO_REUSEPORT)),
                                                        value: 1)
                }
                let socket = try await bootstrap.bind(host: config.host, port: port).get()
                port = socket.localAddress?.port ?? port
                sockets.append(socket)
            }
            return UDPListeners(readers: nil, channels: sockets, port: port, readerCount: count)
        } catch {
            for socket in sockets { try? await socket.close() }
            throw error
        }
    }

    /// Datagrams read by one recvmmsg call.
    static let udpReadBatch = 16

    private func udpBootstrap(on loop: any EventLoop) -> DatagramBootstrap {
        DatagramBootstrap(group: loop)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            // One recvmmsg takes up to `udpReadBatch` datagrams into slices of one buffer; each slice holds 4 KiB,
            // far above any query (one question and an OPT record; RFC 8467 padding stops at 468 bytes).
            .channelOption(.datagramVectorReadMessageCount, value: Self.udpReadBatch)
            .channelOption(.recvAllocator,
                           value: FixedSizeRecvByteBufferAllocator(capacity: Self.udpReadBatch * 4_096))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DNSDatagramHandler(server: self))
                }
            }
    }

    private func bindTCP(port: Int) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // RFC 7766 §6.2.3: close idle connections so clients cannot hold sockets forever.
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: .seconds(30)))
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(DNSFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(DNSStreamHandler(server: self))
                }
            }
            .bind(host: config.host, port: port).get()
    }
}

/// The object with its `kind` set: items of a list response carry none (only watch events do), and the Builder
/// dispatches on it.
func withKind(_ object: JSONValue, of path: String) -> JSONValue {
    guard object["kind"] == nil else { return object }
    let kind = path.hasSuffix("/services") ? "Service" : path.hasSuffix("/endpointslices") ? "EndpointSlice" : "Pod"
    var copy = object
    copy.setValue(.string(kind), at: ["kind"])
    return copy
}

let inAddrArpa = DNSName("in-addr.arpa.") ?? .root
let ip6Arpa = DNSName("ip6.arpa.") ?? .root
