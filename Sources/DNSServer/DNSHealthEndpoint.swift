import NIOCore
import NIOHTTP1
import NIOPosix

/// `/health` (the process answers) and `/ready` (the index has synced) over plain HTTP, for kubelet probes.
public enum DNSHealthEndpoint {
    /// Binds, then serves until the calling task is cancelled.
    public static func serve(host: String, port: Int, isReady: @escaping @Sendable () -> Bool,
                             onBound: @Sendable (Int) -> Void = { _ in }) async throws {
        let channel = try await bind(host: host, port: port, isReady: isReady)
        onBound(channel.localAddress?.port ?? port)
        await withTaskCancellationHandler {
            try? await channel.closeFuture.get()
        } onCancel: {
            channel.close(promise: nil)
        }
    }

    /// Binds and serves until the returned channel is closed.
    public static func bind(host: String, port: Int, isReady: @escaping @Sendable () -> Bool,
                            group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(HealthHandler(isReady: isReady))
                }
            }
            .bind(host: host, port: port).get()
    }
}

/// Answers one request per connection and closes it. Loop-bound.
final class HealthHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let isReady: @Sendable () -> Bool
    private var uri = ""

    init(isReady: @escaping @Sendable () -> Bool) {
        self.isReady = isReady
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            uri = head.uri
        case .body:
            break
        case .end:
            let path = uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? uri
            let (status, text): (HTTPResponseStatus, String) = switch path {
            case "/health": (.ok, "ok\n")
            case "/ready": isReady() ? (.ok, "ready\n") : (.serviceUnavailable, "not synced\n")
            default: (.notFound, "not found\n")
            }
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "text/plain")
            headers.add(name: "Content-Length", value: "\(text.utf8.count)")
            headers.add(name: "Connection", value: "close")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))),
                          promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: text)))),
                          promise: nil)
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        }
    }
}

@available(*, unavailable)
extension HealthHandler: Sendable {}
