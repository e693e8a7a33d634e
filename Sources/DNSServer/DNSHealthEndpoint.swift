import NIOCore
import NIOHTTP1
import NIOPosix

/// `/health` (the process answers) and `/ready` (the index has synced) over plain HTTP, for kubelet probes.
public enum DNSHealthEndpoint {
    /// Binds, then serves until the calling task is cancelled.
    public static func serve(host: String, port: Int, isReady: @escaping @Sendable () -> Bool,
                             onBound: @Sendable (Int) -> Void = { _ in }) async throws {
        let channel = try await bind(host: host, port: port, isReady: isReady)
        try await DNSHTTPEndpoint.serve(channel, onBound: onBound)
    }

    /// Binds and serves until the returned channel is closed.
    public static func bind(host: String, port: Int, isReady: @escaping @Sendable () -> Bool,
                            group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> any Channel {
        try await DNSHTTPEndpoint.bind(host: host, port: port, group: group) { path in
            switch path {
            case "/health": .text(.ok, "ok\n")
            case "/ready": isReady() ? .text(.ok, "ready\n") : .text(.serviceUnavailable, "not synced\n")
            default: .text(.notFound, "not found\n")
            }
        }
    }
}

/// `GET /metrics` in the Prometheus text format, on its own address (CoreDNS's `prometheus` plugin: port 9153).
public enum DNSMetricsEndpoint {
    /// Binds, then serves `server`'s metrics until the calling task is cancelled.
    public static func serve(host: String, port: Int, server: ClusterDNSServer,
                             onBound: @Sendable (Int) -> Void = { _ in }) async throws {
        let channel = try await DNSHTTPEndpoint.bind(host: host, port: port) { path in
            guard path == "/metrics" else { return .text(.notFound, "not found\n") }
            return DNSHTTPEndpoint.Reply(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8",
                                         body: server.metricsExposition())
        }
        try await DNSHTTPEndpoint.serve(channel, onBound: onBound)
    }
}

/// The small HTTP/1.1 server behind the health and metrics endpoints: one GET per connection, routed by path.
enum DNSHTTPEndpoint {
    struct Reply: Sendable {
        var status: HTTPResponseStatus
        var contentType: String
        var body: [UInt8]

        static func text(_ status: HTTPResponseStatus, _ text: String) -> Reply {
            Reply(status: status, contentType: "text/plain", body: Array(text.utf8))
        }
    }

    typealias Route = @Sendable (_ path: String) -> Reply

    static func bind(host: String, port: Int, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                     route: @escaping Route) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(HTTPRouteHandler(route: route))
                }
            }
            .bind(host: host, port: port).get()
    }

    /// Reports the bound port, then waits until the calling task is cancelled and closes the channel.
    static func serve(_ channel: any Channel, onBound: @Sendable (Int) -> Void) async throws {
        onBound(channel.localAddress?.port ?? 0)
        await withTaskCancellationHandler {
            try? await channel.closeFuture.get()
        } onCancel: {
            channel.close(promise: nil)
        }
    }
}

/// Answers one request per connection through the route and closes it. Loop-bound.
final class HTTPRouteHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let route: DNSHTTPEndpoint.Route
    private var uri = ""

    init(route: @escaping DNSHTTPEndpoint.Route) {
        self.route = route
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            uri = head.uri
        case .body:
            break
        case .end:
            let path = uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? uri
            let reply = route(path)
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: reply.contentType)
            headers.add(name: "Content-Length", value: "\(reply.body.count)")
            headers.add(name: "Connection", value: "close")
            context.write(
                wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: reply.status, headers: headers))),
                promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: reply.body)))),
                          promise: nil)
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        }
    }
}

@available(*, unavailable)
extension HTTPRouteHandler: Sendable {}
