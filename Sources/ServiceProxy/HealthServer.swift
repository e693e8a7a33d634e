import Foundation
import KubeModel
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// kube-proxy's HTTP health endpoints: `/healthz` and `/livez` for the proxy itself (503 once a queued change has
/// waited more than twice the sync period), and one listener per `healthCheckNodePort` of an
/// `externalTrafficPolicy: Local` service, answering 200 with the count of local endpoints when there are any and
/// 503 when there are none — so an external load balancer only sends traffic to nodes that can serve it.
public final class HealthServer: Sendable {
    struct State {
        var healthy = true
        var lastUpdated = Date()
        var services: [Int: (namespace: String, name: String, localEndpoints: Int)] = [:]
        var channels: [Int: any Channel] = [:]
    }

    private let state = Mutex(State())
    let group: MultiThreadedEventLoopGroup
    let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    /// Starts the proxy's own health endpoint (kube-proxy's default is 0.0.0.0:10256).
    public func start(host: String, port: Int) async throws -> Int {
        let channel = try await bind(host: host, port: port) { [self] head in self.proxyHealth(head) }
        return channel.localAddress?.port ?? port
    }

    func proxyHealth(_ head: HTTPRequestHead) -> (HTTPResponseStatus, String) {
        let s = state.withLock { ($0.healthy, $0.lastUpdated) }
        let body = "{\"lastUpdated\": \"\(KubeTime.microString(s.1))\",\"currentTime\": \"\(KubeTime.microString())\"}"
        return (s.0 ? .ok : .serviceUnavailable, body)
    }

    public func update(healthy: Bool, synced: Bool) {
        state.withLock {
            $0.healthy = healthy
            if synced { $0.lastUpdated = Date() }
        }
    }

    /// Makes the per-service listeners match `services` (port → service and its local endpoint count).
    public func syncServices(_ services: [Int: (namespace: String, name: String, localEndpoints: Int)]) async {
        let (toOpen, toClose): ([Int], [any Channel]) = state.withLock { s in
            s.services = services
            let open = services.keys.filter { s.channels[$0] == nil }
            let close = s.channels.filter { services[$0.key] == nil }
            for k in close.keys { s.channels.removeValue(forKey: k) }
            return (open, Array(close.values))
        }
        for c in toClose { try? await c.close() }
        for port in toOpen {
            do {
                let channel = try await bind(host: "0.0.0.0", port: port) { [self] _ in self.serviceHealth(port) }
                state.withLock { $0.channels[port] = channel }
            } catch {
                logger.warning("cannot open health check node port", metadata: ["port": "\(port)", "error": "\(error)"])
            }
        }
    }

    func serviceHealth(_ port: Int) -> (HTTPResponseStatus, String) {
        guard let s = state.withLock({ $0.services[port] }) else { return (.notFound, "") }
        let body = "{\"service\":{\"namespace\":\"\(s.namespace)\",\"name\":\"\(s.name)\"},\"localEndpoints\":\(s.localEndpoints),\"serviceProxyHealthy\":true}"
        return (s.localEndpoints > 0 ? .ok : .serviceUnavailable, body)
    }

    private func bind(host: String, port: Int, _ answer: @escaping @Sendable (HTTPRequestHead) -> (HTTPResponseStatus, String))
        async throws -> any Channel
    {
        try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(HealthHandler(answer: answer))
                }
            }
            .bind(host: host, port: port).get()
    }

    public func shutdown() async {
        let channels = state.withLock { s in
            defer { s.channels = [:] }
            return Array(s.channels.values)
        }
        for c in channels { try? await c.close() }
        try? await group.shutdownGracefully()
    }
}

/// Answers every request with the status and JSON body the server decides; not Sendable, lives on its loop.
final class HealthHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let answer: @Sendable (HTTPRequestHead) -> (HTTPResponseStatus, String)
    var head: HTTPRequestHead?

    init(answer: @escaping @Sendable (HTTPRequestHead) -> (HTTPResponseStatus, String)) { self.answer = answer }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break
        case .end:
            guard let head else { return }
            let (status, body) = answer(head)
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "X-Content-Type-Options", value: "nosniff")
            headers.add(name: "Content-Length", value: String(body.utf8.count))
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            self.head = nil
        }
    }
}
