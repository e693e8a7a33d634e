import DNSCore
import NIOCore

/// Counts the queries of one socket handler into a tally and merges it into the shared metrics every
/// `DNSMetricsTally.batch` queries or, when traffic is light, 100 ms after the first unmerged one, so a scrape lags
/// the traffic by at most that. Loop-bound: lives in one handler.
final class DNSMetricsRecorder {
    let metrics: DNSMetrics
    private var tally = DNSMetricsTally()
    private var mergeScheduled = false
    /// When the oldest unmerged query was recorded, for `burstEnded()`.
    private var firstPending: NIODeadline?

    init(metrics: DNSMetrics) {
        self.metrics = metrics
    }

    @inline(__always)
    func record(_ query: [UInt8], reply: [UInt8], transport: DNSTransport, ipv6: Bool,
                responder: DNSMetrics.Responder, since start: NIODeadline) {
        tally.record(query, reply: reply, transport: transport, ipv6: ipv6, responder: responder,
                     nanoseconds: (NIODeadline.now() - start).nanoseconds)
    }

    /// Called at the end of each read burst.
    func burstEnded(on loop: any EventLoop) {
        guard tally.pending > 0 else { return }
        if tally.pending >= DNSMetricsTally.batch {
            metrics.merge(&tally)
            return
        }
        guard !mergeScheduled else { return }
        mergeScheduled = true
        loop.assumeIsolated().scheduleTask(in: .milliseconds(100)) {
            self.mergeScheduled = false
            self.metrics.merge(&self.tally)
        }
    }

    /// Called at the end of each read burst by a reader without an event loop (`DNSUDPReaders`), which calls
    /// `mergeNow` when it has been idle: merges once the batch is full or the oldest unmerged query is 100 ms old.
    func burstEnded() {
        guard tally.pending > 0 else { return }
        let now = NIODeadline.now()
        guard let first = firstPending else {
            firstPending = now
            if tally.pending >= DNSMetricsTally.batch { mergeNow() }
            return
        }
        if tally.pending >= DNSMetricsTally.batch || now - first >= .milliseconds(100) { mergeNow() }
    }

    func mergeNow() {
        firstPending = nil
        guard tally.pending > 0 else { return }
        metrics.merge(&tally)
    }
}

@available(*, unavailable)
extension DNSMetricsRecorder: Sendable {}

/// Answers UDP queries on the event loop; only forwarded ones leave it (for a task awaiting the upstream).
/// Replies are written as they are made and flushed once per read burst. Loop-bound.
final class DNSDatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    let server: ClusterDNSServer
    private let recorder: DNSMetricsRecorder?
    private var pendingFlush = false

    init(server: ClusterDNSServer) {
        self.server = server
        self.recorder = server.metrics.map(DNSMetricsRecorder.init)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let packet = Array(envelope.data.readableBytesView)
        let client = envelope.remoteAddress
        let start: NIODeadline = server.metrics == nil ? .distantPast : .now()
        switch server.immediate(packet, transport: .udp) {
        case .reply(let bytes, let responder):
            let reply = AddressedEnvelope(remoteAddress: client, data: context.channel.allocator.buffer(bytes: bytes))
            context.write(wrapOutboundOut(reply), promise: nil)
            pendingFlush = true
            recorder?.record(packet, reply: bytes, transport: .udp, ipv6: client.protocol == .inet6,
                             responder: responder, since: start)
        case .drop:
            break
        case .deferred(let outcome):
            let channel = context.channel
            let server = self.server
            Task {
                guard let (bytes, responder) = await server.complete(outcome, transport: .udp) else { return }
                channel.writeAndFlush(AddressedEnvelope(remoteAddress: client, data: ByteBuffer(bytes: bytes)),
                                      promise: nil)
                server.metrics?.record(packet, reply: bytes, transport: .udp, ipv6: client.protocol == .inet6,
                                       responder: responder, since: start)
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if pendingFlush {
            pendingFlush = false
            context.flush()
        }
        recorder?.burstEnded(on: context.eventLoop)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        recorder?.mergeNow()
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
    private let recorder: DNSMetricsRecorder?
    /// The client's address family, read once when the connection starts (the `family` label).
    private var ipv6 = false

    init(server: ClusterDNSServer) {
        self.server = server
        self.recorder = server.metrics.map(DNSMetricsRecorder.init)
    }

    func channelActive(context: ChannelHandlerContext) {
        ipv6 = context.remoteAddress?.protocol == .inet6
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        let packet = Array(frame.readableBytesView)
        let start: NIODeadline = server.metrics == nil ? .distantPast : .now()
        switch server.immediate(packet, transport: .tcp) {
        case .reply(let bytes, let responder):
            context.writeAndFlush(wrapOutboundOut(lengthFramed(bytes)), promise: nil)
            recorder?.record(packet, reply: bytes, transport: .tcp, ipv6: ipv6, responder: responder, since: start)
        case .drop:
            break
        case .deferred(let outcome):
            let channel = context.channel
            let server = self.server
            let ipv6 = self.ipv6
            Task {
                guard let (bytes, responder) = await server.complete(outcome, transport: .tcp) else { return }
                channel.writeAndFlush(lengthFramed(bytes), promise: nil)
                server.metrics?.record(packet, reply: bytes, transport: .tcp, ipv6: ipv6, responder: responder,
                                       since: start)
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        recorder?.burstEnded(on: context.eventLoop)
        context.fireChannelReadComplete()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        recorder?.mergeNow()
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
