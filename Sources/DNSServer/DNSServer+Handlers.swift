import DNSCore
import NIOCore

/// Answers UDP queries on the event loop; only forwarded ones leave it (for a task awaiting the upstream).
/// Replies are written as they are made and flushed once per read burst. Loop-bound.
final class DNSDatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    let server: ClusterDNSServer
    private var pendingFlush = false

    init(server: ClusterDNSServer) {
        self.server = server
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let packet = Array(envelope.data.readableBytesView)
        let client = envelope.remoteAddress
        switch server.immediate(packet, transport: .udp) {
        case .reply(let bytes):
            let reply = AddressedEnvelope(remoteAddress: client, data: context.channel.allocator.buffer(bytes: bytes))
            context.write(wrapOutboundOut(reply), promise: nil)
            pendingFlush = true
        case .drop:
            break
        case .deferred(let outcome):
            let channel = context.channel
            let server = self.server
            Task {
                guard let bytes = await server.complete(outcome, transport: .udp) else { return }
                channel.writeAndFlush(AddressedEnvelope(remoteAddress: client, data: ByteBuffer(bytes: bytes)),
                                      promise: nil)
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if pendingFlush {
            pendingFlush = false
            context.flush()
        }
    }

    /// A UDP socket error (an ICMP unreachable from a client that went away) must not stop the server.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {}
}

@available(*, unavailable)
extension DNSDatagramHandler: Sendable {}

/// Splits a TCP stream into DNS messages by their two-byte length prefix (RFC 1035 §4.2.2).
struct DNSFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
            buffer.readableBytes >= 2 + Int(length)
        else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 2)
        guard let frame = buffer.readSlice(length: Int(length)) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer,
                             seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}

/// A message with its two-byte TCP length prefix.
func lengthFramed(_ bytes: [UInt8]) -> ByteBuffer {
    var buffer = ByteBuffer()
    buffer.reserveCapacity(bytes.count + 2)
    buffer.writeInteger(UInt16(truncatingIfNeeded: bytes.count))
    buffer.writeBytes(bytes)
    return buffer
}

/// Answers each framed query on a TCP connection, any number per connection (RFC 7766); forwarded answers may
/// overtake slower ones, which the IDs allow. Loop-bound.
final class DNSStreamHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let server: ClusterDNSServer

    init(server: ClusterDNSServer) {
        self.server = server
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        let packet = Array(frame.readableBytesView)
        switch server.immediate(packet, transport: .tcp) {
        case .reply(let bytes):
            context.writeAndFlush(wrapOutboundOut(lengthFramed(bytes)), promise: nil)
        case .drop:
            break
        case .deferred(let outcome):
            let channel = context.channel
            let server = self.server
            Task {
                guard let bytes = await server.complete(outcome, transport: .tcp) else { return }
                channel.writeAndFlush(lengthFramed(bytes), promise: nil)
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension DNSStreamHandler: Sendable {}
