import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

extension EchoServer {
    /// `Outbound == Never`: responses are written with `Channel.writeAndFlush` and awaited, so when a
    /// `Connection: close` exchange ends and `executeThenClose` closes the socket, the reply has already left
    /// (a full close drops writes still queued in the channel).
    typealias HTTPConnection = NIOAsyncChannel<HTTPServerRequestPart, Never>
    typealias HTTPListener = NIOAsyncChannel<HTTPConnection, Never>

    static func bindHTTP(host: String, port: Int, group: any EventLoopGroup) async throws -> HTTPListener {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 512)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            // Half-close aware: `printf 'GET / ...' | nc -N` shuts its write side and must still get its answer;
            // `HTTPServerPipelineHandler` delivers the half-close after the request it follows.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    // With error handling: a malformed request gets `400` and its connection closed, nothing more.
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    return try HTTPConnection(wrappingChannelSynchronously: channel)
                }
            }
    }

    static func serveHTTP(
        _ listener: HTTPListener, identity: EchoIdentity, accessLog: @escaping @Sendable (String) -> Void,
        logger: Logger
    ) async throws {
        let responder = EchoHTTPResponder(identity: identity)
        try await listener.executeThenClose { connections in
            try await withThrowingDiscardingTaskGroup { group in
                for try await connection in connections {
                    group.addTask {
                        await handleHTTPConnection(
                            connection, responder: responder, accessLog: accessLog, logger: logger)
                    }
                }
            }
        }
    }

    /// Serves keep-alive requests in order until the client closes, asks to close, or sends garbage. Errors end
    /// only this connection.
    static func handleHTTPConnection(
        _ connection: HTTPConnection, responder: EchoHTTPResponder,
        accessLog: @Sendable (String) -> Void, logger: Logger
    ) async {
        let channel = connection.channel
        let client = channel.remoteAddress.echoDescription
        do {
            try await connection.executeThenClose { inbound in
                var request: HTTPRequestHead?
                for try await part in inbound {
                    switch part {
                    case .head(let head):
                        request = head
                    case .body:
                        continue
                    case .end:
                        guard let head = request else { continue }
                        request = nil
                        let response = responder.response(to: head, client: client)
                        try await write(response, answering: head, on: channel)
                        accessLog(
                            EchoAccessLog.httpLine(
                                method: head.method.rawValue, uri: head.uri, client: client,
                                status: Int(response.status.code)))
                        guard head.isKeepAlive else { return }
                    }
                }
            }
        } catch is HTTPParserError {
            // `HTTPServerProtocolErrorHandler` has already answered 400 and the connection is gone.
            accessLog(EchoAccessLog.httpLine(method: "-", uri: "-", client: client, status: 400))
        } catch {
            logger.debug(
                "echo http connection failed", metadata: ["client": "\(client)", "error": "\(error)"])
        }
    }

    private static func write(
        _ response: EchoHTTPResponder.Response, answering request: HTTPRequestHead, on channel: any Channel
    ) async throws {
        let body = ByteBuffer(string: response.body)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        if !request.isKeepAlive {
            headers.add(name: "Connection", value: "close")
        } else if request.version == .http1_0 {
            headers.add(name: "Connection", value: "keep-alive")
        }
        let head = HTTPResponseHead(version: request.version, status: response.status, headers: headers)
        channel.write(HTTPServerResponsePart.head(head), promise: nil)
        if request.method != .HEAD {
            channel.write(HTTPServerResponsePart.body(.byteBuffer(body)), promise: nil)
        }
        try await channel.writeAndFlush(HTTPServerResponsePart.end(nil))
    }
}
