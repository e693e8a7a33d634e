import DNSCore
@testable import DNSServer
import Foundation
import KubeClient
import KubeModel
import Logging
import NIOCore
import NIOPosix
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Runs blocking socket or process work on a thread of its own: not on the cooperative pool, which the server's
/// tasks need, nor on Dispatch's global queue, whose few threads `run` itself waits on (two cores here).
func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// A `ClusterDNSServer` on 127.0.0.1 port 0 in this process, fed by `client` when given.
final class RunningDNSServer: Sendable {
    let server: ClusterDNSServer
    let port: Int
    private let task: Task<Void, any Error>

    private init(server: ClusterDNSServer, port: Int, task: Task<Void, any Error>) {
        self.server = server
        self.port = port
        self.task = task
    }

    static func start(client: KubeClient?, podMode: PodRecordMode = .insecure, upstreams: [SocketAddress] = [],
                      upstreamTimeout: TimeAmount = .seconds(1), metrics: DNSMetrics? = nil,
                      group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                      udpQueue: UDPQueue = .shared) async throws -> RunningDNSServer {
        var logger = Logger(label: "test.dns")
        logger.logLevel = .warning
        let config = ClusterDNSServerConfig(host: "127.0.0.1", port: 0, podMode: podMode, upstreams: upstreams,
                                            upstreamTimeout: upstreamTimeout, udpQueue: udpQueue)
        let server = ClusterDNSServer(config: config, logger: logger, group: group, metrics: metrics)
        let (ports, continuation) = AsyncStream<ClusterDNSServer.BoundPorts>.makeStream()
        let task = Task {
            defer { continuation.finish() }
            try await server.run(client: client, onBound: { continuation.yield($0) })
        }
        for await bound in ports {
            return RunningDNSServer(server: server, port: bound.udp, task: task)
        }
        try await task.value
        throw TestFailure("DNS server ended before binding")
    }

    func stop() async {
        task.cancel()
        _ = try? await task.value
    }

    /// Waits until the reflectors have synced.
    func waitReady(timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !server.isReady {
            guard ContinuousClock.now < deadline else { throw TestFailure("DNS server never synced") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// One query over UDP through a plain socket; nil when nothing came back in time.
    func udp(_ name: String, _ type: DNSType, edns: EDNS? = nil, id: UInt16 = 0x1234,
             timeoutMs: Int = 5000) async throws -> DNSMessage? {
        guard let qname = DNSName(name) else { throw TestFailure("bad name \(name)") }
        let query = DNSMessage.query(id: id, name: qname, type: type, edns: edns).encode()
        guard let bytes = try await rawUDP(query, timeoutMs: timeoutMs) else { return nil }
        return try DNSMessage(decoding: bytes)
    }

    func rawUDP(_ packet: [UInt8], timeoutMs: Int = 5000) async throws -> [UInt8]? {
        let port = self.port
        return try await offload { try udpExchange(packet, port: port, timeoutMs: timeoutMs) }
    }

    /// Sends every packet from one socket without waiting for replies (robustness tests).
    func blastUDP(_ packets: [[UInt8]]) async throws {
        let port = self.port
        try await offload { try udpSend(packets, port: port) }
    }

    /// Several queries on one TCP connection, written back to back; the replies in arrival order.
    func tcp(_ queries: [DNSMessage]) async throws -> [DNSMessage] {
        let port = self.port
        let packets = queries.map { $0.encode() }
        let replies = try await offload { try tcpExchange(packets, port: port) }
        return try replies.map { try DNSMessage(decoding: $0) }
    }

    /// `dig @127.0.0.1 -p PORT` with one try and a short timeout; stdout.
    func dig(_ args: String...) async throws -> String {
        let all = ["@127.0.0.1", "-p", "\(port)", "+time=4", "+tries=1"] + args
        let result = try await offload { try run("/usr/bin/dig", all) }
        return result.out
    }
}

/// Runs `body` with a server and always stops it.
func withDNSServer(client: KubeClient?, podMode: PodRecordMode = .insecure, upstreams: [SocketAddress] = [],
                   upstreamTimeout: TimeAmount = .seconds(1), metrics: DNSMetrics? = nil,
                   _ body: (RunningDNSServer) async throws -> Void) async throws {
    let server = try await RunningDNSServer.start(client: client, podMode: podMode, upstreams: upstreams,
                                                  upstreamTimeout: upstreamTimeout, metrics: metrics)
    do {
        try await body(server)
        await server.stop()
    } catch {
        await server.stop()
        throw error
    }
}

private func loopback(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return address
}

private func withSockaddr<R>(_ address: sockaddr_in, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
    var copy = address
    return withUnsafePointer(to: &copy) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
}

private func setTimeout(_ fd: Int32, ms: Int) {
    var tv = timeval(tv_sec: ms / 1000, tv_usec: (ms % 1000) * 1000)
    _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
}

/// One datagram out, one back (or nil on timeout).
func udpExchange(_ packet: [UInt8], port: Int, timeoutMs: Int) throws -> [UInt8]? {
    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    guard fd >= 0 else { throw TestFailure("socket failed") }
    defer { close(fd) }
    setTimeout(fd, ms: timeoutMs)
    let sent = withSockaddr(loopback(port: port)) { sendto(fd, packet, packet.count, 0, $0, $1) }
    guard sent == packet.count else { throw TestFailure("sendto failed") }
    var buffer = [UInt8](repeating: 0, count: 65_536)
    let n = recv(fd, &buffer, buffer.count, 0)
    guard n >= 0 else { return nil }
    return Array(buffer[..<n])
}

/// The same query from `clients` sockets at once (each its own source port); how many got a reply within the
/// timeout, all waiting together.
func udpFanOut(_ packet: [UInt8], port: Int, clients: Int, timeoutMs: Int) throws -> Int {
    var sockets: [Int32] = []
    defer { for fd in sockets { close(fd) } }
    for _ in 0..<clients {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket failed") }
        sockets.append(fd)
        let sent = withSockaddr(loopback(port: port)) { sendto(fd, packet, packet.count, 0, $0, $1) }
        guard sent == packet.count else { throw TestFailure("sendto failed") }
    }
    var waiting = Set(sockets)
    let deadline = ContinuousClock.now + .milliseconds(timeoutMs)
    var buffer = [UInt8](repeating: 0, count: 4_096)
    while !waiting.isEmpty && ContinuousClock.now < deadline {
        var fds = waiting.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        guard poll(&fds, nfds_t(fds.count), 10) >= 0 else { throw TestFailure("poll failed") }
        for entry in fds where entry.revents & Int16(POLLIN) != 0 {
            if recv(entry.fd, &buffer, buffer.count, 0) > 0 { waiting.remove(entry.fd) }
        }
    }
    return clients - waiting.count
}

/// Datagrams out, nothing read.
func udpSend(_ packets: [[UInt8]], port: Int) throws {
    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    guard fd >= 0 else { throw TestFailure("socket failed") }
    defer { close(fd) }
    for packet in packets {
        _ = withSockaddr(loopback(port: port)) { sendto(fd, packet, packet.count, 0, $0, $1) }
    }
}

/// Writes every query length-framed on one connection, then reads as many framed replies.
func tcpExchange(_ packets: [[UInt8]], port: Int, timeoutMs: Int = 3000) throws -> [[UInt8]] {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestFailure("socket failed") }
    defer { close(fd) }
    setTimeout(fd, ms: timeoutMs)
    guard withSockaddr(loopback(port: port), { connect(fd, $0, $1) }) == 0 else { throw TestFailure("connect failed") }
    var out: [UInt8] = []
    for p in packets { out += [UInt8(p.count >> 8), UInt8(p.count & 0xFF)] + p }
    guard send(fd, out, out.count, 0) == out.count else { throw TestFailure("send failed") }
    var pending: [UInt8] = []
    var replies: [[UInt8]] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while replies.count < packets.count {
        while pending.count >= 2, pending.count >= 2 + (Int(pending[0]) << 8 | Int(pending[1])) {
            let length = Int(pending[0]) << 8 | Int(pending[1])
            replies.append(Array(pending[2..<(2 + length)]))
            pending.removeFirst(2 + length)
        }
        if replies.count == packets.count { break }
        let n = recv(fd, &buffer, buffer.count, 0)
        guard n > 0 else { throw TestFailure("connection ended after \(replies.count) replies") }
        pending += buffer[..<n]
    }
    return replies
}

/// A resolver the test runs on 127.0.0.1 to stand for the host's upstreams (which tests never query):
/// `example.test.` A 192.0.2.7; `big.example.test.` truncated over UDP and three A records over TCP; everything
/// else NXDOMAIN with an SOA. Counts the queries it gets, to observe the cache.
final class FakeUpstream: Sendable {
    let udp: any Channel
    let tcp: any Channel
    private let counter: Locked<Int>

    var address: SocketAddress {
        get throws {
            guard let address = udp.localAddress else { throw TestFailure("unbound") }
            return address
        }
    }

    /// Queries received, over both transports.
    var count: Int { counter.withLock { $0 } }

    private init(udp: any Channel, tcp: any Channel, counter: Locked<Int>) {
        self.udp = udp
        self.tcp = tcp
        self.counter = counter
    }

    static func start() async throws -> FakeUpstream {
        // UDP takes a free port and TCP must get the same number, which another test may hold meanwhile: retry
        // with a fresh port then, as the server itself does for port 0.
        for attempt in 1...5 {
            do {
                return try await bind()
            } catch where attempt < 5 {
                continue
            }
        }
        throw TestFailure("no port free for both UDP and TCP")
    }

    private static func bind() async throws -> FakeUpstream {
        let counter = Locked(0)
        let udp = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(FakeUpstreamDatagramHandler(counter: counter))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = udp.localAddress?.port ?? 0
        let tcpBound = try? await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(DNSFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(FakeUpstreamStreamHandler(counter: counter))
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
        guard let tcp = tcpBound else {
            try? await udp.close()
            throw TestFailure("TCP port \(port) taken")
        }
        return FakeUpstream(udp: udp, tcp: tcp, counter: counter)
    }

    func stop() async {
        try? await udp.close()
        try? await tcp.close()
    }

    static func answer(_ bytes: [UInt8], tcp: Bool) -> [UInt8]? {
        guard let query = try? DNSMessage(decoding: bytes), let question = query.questions.first else { return nil }
        var reply = DNSMessage.response(to: query, rcode: .noError, recursionAvailable: true)
        func a(_ text: String) -> DNSRecord? {
            IPAddress.parse(text).map { DNSRecord(name: question.name, type: .a, ttl: 300, data: .a($0)) }
        }
        if question.name == DNSName("example.test."), question.type == .a {
            reply.answers = [a("192.0.2.7")].compactMap { $0 }
        } else if question.name == DNSName("big.example.test."), question.type == .a {
            if tcp {
                reply.answers = ["192.0.2.1", "192.0.2.2", "192.0.2.3"].compactMap(a)
            } else {
                reply.header.truncated = true
            }
        } else if let zone = DNSName("test."), let mname = DNSName("ns.test."), let rname = DNSName("admin.test.") {
            reply.header.rcode = .nxDomain
            reply.authority = [DNSRecord(name: zone, type: .soa, ttl: 60, data: .soa(DNSRecord.SOA(
                mname: mname, rname: rname, serial: 1, refresh: 60, retry: 60, expire: 60, minimum: 60)))]
        }
        return reply.encode()
    }
}

/// Loop-bound.
final class FakeUpstreamDatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>
    let counter: Locked<Int>
    init(counter: Locked<Int>) { self.counter = counter }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        counter.withLock { $0 += 1 }
        guard let reply = FakeUpstream.answer(Array(envelope.data.readableBytesView), tcp: false) else { return }
        context.writeAndFlush(
            wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: ByteBuffer(bytes: reply))),
            promise: nil)
    }
}

/// Loop-bound.
final class FakeUpstreamStreamHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let counter: Locked<Int>
    init(counter: Locked<Int>) { self.counter = counter }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        counter.withLock { $0 += 1 }
        guard let reply = FakeUpstream.answer(Array(frame.readableBytesView), tcp: true) else { return }
        context.writeAndFlush(wrapOutboundOut(lengthFramed(reply)), promise: nil)
    }
}

/// A UDP socket on loopback that reads and never answers: the dead first upstream of failover tests.
func silentUpstream() async throws -> any Channel {
    try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
}
