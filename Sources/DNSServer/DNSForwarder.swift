import DNSCore
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Resolves names outside the cluster through the upstream resolvers, with a cache.
///
/// Each attempt is one query on its own ephemeral socket with a fresh random ID, so a reply can only come from the
/// upstream it was sent to and cannot be confused with another query's (the source port and the ID are both
/// unpredictable to an off-path spoofer). Upstreams are tried in order from the last one that answered: a timeout, a
/// socket error, SERVFAIL or REFUSED moves on to the next one; a truncated UDP answer is retried over TCP to the same upstream.
final class DNSForwarder: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let upstreams: [SocketAddress]
    let timeout: TimeAmount
    let cache: DNSCache
    let group: any EventLoopGroup
    let logger: Logger
    let metrics: DNSMetrics?
    /// Where the next query starts: the last upstream that answered, so a dead first upstream costs one timeout
    /// rather than one per query (CoreDNS's `forward` marks unhealthy upstreams for the same reason).
    private let preferred = Mutex(0)

    init(upstreams: [SocketAddress], timeout: TimeAmount, cacheCapacity: Int, group: any EventLoopGroup,
         logger: Logger, metrics: DNSMetrics? = nil) {
        self.upstreams = upstreams
        self.timeout = timeout
        self.cache = DNSCache(capacity: cacheCapacity)
        self.group = group
        self.logger = logger
        self.metrics = metrics
    }

    /// An answer and where it came from.
    struct Resolution: Sendable {
        var message: DNSMessage
        var cached: Bool
    }

    /// The upstream (or cached) answer to `question`, or nil when no upstream gave a usable one.
    func resolve(_ question: DNSQuestion, checkingDisabled: Bool = false) async -> DNSMessage? {
        await lookup(question, checkingDisabled: checkingDisabled)?.message
    }

    /// `resolve`, saying whether the answer came from the cache.
    func lookup(_ question: DNSQuestion, checkingDisabled: Bool = false) async -> Resolution? {
        let hit = cache.lookup(question)
        metrics?.cacheLookup(hit: hit)
        if let hit {
            return Resolution(message: DNSMessage(
                header: DNSHeader(isResponse: true, recursionDesired: true, recursionAvailable: true, rcode: hit.rcode),
                questions: [question], answers: hit.answers, authority: hit.authority, additional: hit.additional),
                cached: true)
        }
        var fallback: DNSMessage?
        let start = preferred.withLock { $0 }
        for offset in upstreams.indices {
            let position = (start + offset) % upstreams.count
            let upstream = upstreams[position]
            let id = UInt16.random(in: 0...UInt16.max)
            var query = DNSMessage.query(id: id, name: question.name, type: question.type, class: question.class,
                                         edns: EDNS(udpPayloadSize: 1232))
            query.header.checkingDisabled = checkingDisabled
            let bytes = query.encode()
            metrics?.forwardRequest(to: upstream)
            let sent = ContinuousClock.now
            do {
                var response = try await exchangeUDP(bytes, id: id, with: upstream)
                if response.header.truncated {
                    response = try await exchangeTCP(bytes, id: id, with: upstream)
                }
                metrics?.forwardResponse(from: upstream, rcode: response.header.rcode,
                                         duration: ContinuousClock.now - sent)
                guard response.questions.first.map({ $0.name == question.name && $0.type == question.type }) ?? true
                else { throw Failure(description: "answer to another question") }
                if response.header.rcode == .servFail || response.header.rcode == .refused {
                    fallback = fallback ?? response
                    continue
                }
                cache.insert(question, response: response)
                if offset != 0 { preferred.withLock { $0 = position } }
                return Resolution(message: response, cached: false)
            } catch {
                logger.debug("upstream failed", metadata: ["upstream": "\(upstream)", "error": "\(error)"])
            }
        }
        return fallback.map { Resolution(message: $0, cached: false) }
    }

    private func exchangeUDP(_ query: [UInt8], id: UInt16, with upstream: SocketAddress) async throws -> DNSMessage {
        let loop = group.next()
        let promise = loop.makePromise(of: [UInt8].self)
        let bindHost = upstream.protocol == .inet6 ? "::" : "0.0.0.0"
        let channel = try await DatagramBootstrap(group: loop)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        UpstreamDatagramHandler(upstream: upstream, id: id, promise: promise))
                }
            }
            .bind(host: bindHost, port: 0).get()
        return try await finish(promise, channel: channel) {
            channel.writeAndFlush(AddressedEnvelope(remoteAddress: upstream, data: ByteBuffer(bytes: query)),
                                  promise: nil)
        }
    }

    private func exchangeTCP(_ query: [UInt8], id: UInt16, with upstream: SocketAddress) async throws -> DNSMessage {
        let loop = group.next()
        let promise = loop.makePromise(of: [UInt8].self)
        let channel = try await ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(UpstreamStreamHandler(id: id, promise: promise))
                }
            }
            .connect(to: upstream).get()
        var framed = ByteBuffer()
        framed.writeInteger(UInt16(truncatingIfNeeded: query.count))
        framed.writeBytes(query)
        return try await finish(promise, channel: channel) {
            channel.writeAndFlush(framed, promise: nil)
        }
    }

    /// Sends, waits for the reply or the timeout, and always closes the socket.
    private func finish(_ promise: EventLoopPromise<[UInt8]>, channel: any Channel,
                        send: () -> Void) async throws -> DNSMessage {
        let timer = channel.eventLoop.scheduleTask(in: timeout) {
            promise.fail(Failure(description: "timed out"))
        }
        send()
        defer {
            timer.cancel()
            channel.close(promise: nil)
        }
        let bytes = try await promise.futureResult.get()
        return try DNSMessage(decoding: bytes)
    }
}

/// Completes the promise with the first datagram from the upstream carrying our ID; anything else is ignored.
/// Loop-bound: lives in one channel's pipeline.
final class UpstreamDatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let upstream: SocketAddress
    let id: UInt16
    let promise: EventLoopPromise<[UInt8]>

    init(upstream: SocketAddress, id: UInt16, promise: EventLoopPromise<[UInt8]>) {
        self.upstream = upstream
        self.id = id
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard envelope.remoteAddress == upstream,
            envelope.data.getInteger(at: envelope.data.readerIndex, as: UInt16.self) == id
        else { return }
        promise.succeed(Array(envelope.data.readableBytesView))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(DNSForwarder.Failure(description: "socket closed"))
    }
}

@available(*, unavailable)
extension UpstreamDatagramHandler: Sendable {}

/// Collects one length-framed reply from a TCP upstream. Loop-bound.
final class UpstreamStreamHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let id: UInt16
    let promise: EventLoopPromise<[UInt8]>
    private var pending = ByteBuffer()

    init(id: UInt16, promise: EventLoopPromise<[UInt8]>) {
        self.id = id
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = unwrapInboundIn(data)
        pending.writeBuffer(&chunk)
        while let length = pending.getInteger(at: pending.readerIndex, as: UInt16.self),
            pending.readableBytes >= 2 + Int(length) {
            pending.moveReaderIndex(forwardBy: 2)
            guard let message = pending.readBytes(length: Int(length)) else { return }
            if message.count >= 2, UInt16(message[0]) << 8 | UInt16(message[1]) == id {
                promise.succeed(message)
                return
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(DNSForwarder.Failure(description: "connection closed before the answer"))
    }
}

@available(*, unavailable)
extension UpstreamStreamHandler: Sendable {}
