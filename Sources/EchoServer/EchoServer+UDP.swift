import Logging
import NIOCore
import NIOPosix

extension EchoServer {
    typealias UDPListener = NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>

    static func bindUDP(host: String, port: Int, group: any EventLoopGroup) async throws -> UDPListener {
        try await DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            // NIO's default datagram buffer is 2 KiB and would silently truncate larger datagrams.
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try UDPListener(wrappingChannelSynchronously: channel)
                }
            }
    }

    /// Answers each datagram with an `EchoDatagram`. A failing socket ends `run` with the error rather than
    /// leaving a pod that looks healthy but no longer answers UDP.
    static func serveUDP(
        _ listener: UDPListener, identity: EchoIdentity, accessLog: @escaping @Sendable (String) -> Void,
        logger: Logger
    ) async throws {
        try await listener.executeThenClose { inbound, outbound in
            for try await envelope in inbound {
                let client = envelope.remoteAddress.echoDescription
                let payload = envelope.data.readableBytesView
                let reply = EchoDatagram(pod: identity.pod, client: client, payload: Array(payload))
                try await outbound.write(
                    AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: ByteBuffer(bytes: reply.encoded)))
                accessLog(EchoAccessLog.streamLine(proto: "UDP", client: client, bytes: payload.count))
            }
        }
    }
}
