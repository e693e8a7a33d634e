import Logging
import NIOCore
import NIOPosix

extension EchoServer {
    /// `Outbound == Never`: each chunk is echoed with an awaited `writeAndFlush`, which gives back-pressure (no
    /// further reads while a write is pending) and guarantees every byte is out before the socket is closed.
    typealias TCPConnection = NIOAsyncChannel<ByteBuffer, Never>
    typealias TCPListener = NIOAsyncChannel<TCPConnection, Never>

    static func bindTCP(host: String, port: Int, group: any EventLoopGroup) async throws -> TCPListener {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 512)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            // Without this an EOF from the client closes the socket at once and the tail of the echo is lost.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try TCPConnection(wrappingChannelSynchronously: channel)
                }
            }
    }

    static func serveTCP(
        _ listener: TCPListener, accessLog: @escaping @Sendable (String) -> Void, logger: Logger
    ) async throws {
        try await listener.executeThenClose { connections in
            try await withThrowingDiscardingTaskGroup { group in
                for try await connection in connections {
                    group.addTask {
                        await handleTCPConnection(connection, accessLog: accessLog, logger: logger)
                    }
                }
            }
        }
    }

    /// Echoes until the client half-closes, then closes: the client sees its bytes back followed by EOF.
    static func handleTCPConnection(
        _ connection: TCPConnection, accessLog: @Sendable (String) -> Void, logger: Logger
    ) async {
        let channel = connection.channel
        let client = channel.remoteAddress.echoDescription
        var echoed = 0
        do {
            try await connection.executeThenClose { inbound in
                for try await chunk in inbound {
                    echoed += chunk.readableBytes
                    try await channel.writeAndFlush(chunk)
                }
            }
        } catch {
            logger.debug("echo tcp connection failed", metadata: ["client": "\(client)", "error": "\(error)"])
        }
        accessLog(EchoAccessLog.streamLine(proto: "TCP", client: client, bytes: echoed))
    }
}
