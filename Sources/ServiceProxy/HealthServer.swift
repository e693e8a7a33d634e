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
/// `/healthz` also turns 503 while the node is being deleted (so load balancers drain it); `/livez` does not.
/// The metrics listener (kube-proxy's 127.0.0.1:10249) serves `/metrics`, `/healthz` and `/proxyMode`.
public final class HealthServer: Sendable {
    struct State {
        var healthy = true
        var nodeTerminating = false
        var lastUpdated = Date()
        var services: [Int: (namespace: String, name: String, localEndpoints: Int)] = [:]
        var channels: [Int: any Channel] = [:]
    }

    private let state = Mutex(State())
    let group: MultiThreadedEventLoopGroup
    let logger: Logger
    let metrics: ProxyMetrics
    let mode: String

    public init(logger: Logger, metrics: ProxyMetrics = ProxyMetrics(), mode: String = "nftables") {
        self.logger = logger
        self.metrics = metrics
        self.mode = mode
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    /// Starts the proxy's own health endpoint (kube-proxy's default is 0.0.0.0:10256).
    public func start(host: String, port: Int) async throws -> Int {
        let channel = try await bind(host: host, port: port) { [self] head in
            self.proxyHealth(livez: head.uri.hasPrefix("/livez"))
        }
        return channel.localAddress?.port ?? port
    }

    /// Starts the metrics endpoint (kube-proxy's default is 127.0.0.1:10249).
    public func startMetrics(host: String, port: Int) async throws -> Int {
        let channel = try await bind(host: host, port: port) { [self] head in
            switch head.uri.split(separator: "?").first.map(String.init) ?? "" {
            case "/metrics": return HTTPAnswer(.ok, metrics.render(), type: "text/plain; version=0.0.4; charset=utf-8")
            case "/healthz": return self.proxyHealth(livez: false)
            case "/proxyMode": return HTTPAnswer(.ok, mode, type: "text/plain; charset=utf-8")
            default: return HTTPAnswer(.notFound, "404 page not found\n", type: "text/plain; charset=utf-8")
            }
        }
        return channel.localAddress?.port ?? port
    }

    func proxyHealth(livez: Bool) -> HTTPAnswer {
        let s = state.withLock { $0 }
        let healthy = s.healthy && (livez || !s.nodeTerminating)
        var body = "{\"lastUpdated\": \"\(KubeTime.microString(s.lastUpdated))\",\"currentTime\": \"\(KubeTime.microString())\""
        if !livez && s.nodeTerminating { body += ",\"nodeEligible\": false" }
        body += "}"
        metrics.countHealth(livez: livez, code: healthy ? 200 : 503)
        return HTTPAnswer(healthy ? .ok : .serviceUnavailable, body)
    }

    /// The node is being deleted (deletionTimestamp, or the autoscaler's ToBeDeleted taint).
    public func update(nodeTerminating: Bool) {
        state.withLock { $0.nodeTerminating = nodeTerminating }
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

    func serviceHealth(_ port: Int) -> HTTPAnswer {
        guard let (s, proxyHealthy) = state.withLock({ st in st.services[port].map { ($0, st.healthy) } }) else {
            return HTTPAnswer(.notFound, "")
        }
        let body = "{\"service\":{\"namespace\":\"\(s.namespace)\",\"name\":\"\(s.name)\"},\"localEndpoints\":\(s.localEndpoints),\"serviceProxyHealthy\":\(proxyHealthy)}"
        return HTTPAnswer(s.localEndpoints > 0 && proxyHealthy ? .ok : .serviceUnavailable, body,
                          headers: [("X-Load-Balancing-Endpoint-Weight", String(s.localEndpoints))])
    }

    private func bind(host: String, port: Int, _ answer: @escaping @Sendable (HTTPRequestHead) -> HTTPAnswer)
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

/// A status, a body and its content type.
struct HTTPAnswer: Sendable {
    var status: HTTPResponseStatus
    var body: String
    var type: String
    var headers: [(String, String)]
    init(_ status: HTTPResponseStatus, _ body: String, type: String = "application/json", headers: [(String, String)] = []) {
        self.status = status
        self.body = body
        self.type = type
        self.headers = headers
    }
}

/// Answers every request with what the server decides; not Sendable, lives on its loop.
final class HealthHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let answer: @Sendable (HTTPRequestHead) -> HTTPAnswer
    var head: HTTPRequestHead?

    init(answer: @escaping @Sendable (HTTPRequestHead) -> HTTPAnswer) { self.answer = answer }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break
        case .end:
            guard let head else { return }
            let a = answer(head)
            let (status, body) = (a.status, a.body)
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: a.type)
            for (name, value) in a.headers { headers.add(name: name, value: value) }
            headers.add(name: "X-Content-Type-Options", value: "nosniff")
            headers.add(name: "Content-Length", value: String(body.utf8.count))
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            self.head = nil
        }
    }
}
