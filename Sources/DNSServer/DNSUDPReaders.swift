import CSocket
import DNSCore
import Foundation
import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The UDP side of the server with one queue: a bound socket and threads of its own, each blocked in `recvmmsg` on
/// it. A blocking receive on a UDP socket waits exclusively, so the kernel wakes one idle reader per datagram and a
/// query goes to whichever reader is free first; a reader that is held up (its vCPU taken by the hypervisor,
/// another task on its core) holds up only the queries it already took. Each reader takes up to
/// `ClusterDNSServer.udpReadBatch` datagrams per call, answers them from the index snapshot and sends the replies
/// with one `sendmmsg`; forwarded queries leave for a task and are sent from there.
///
/// Not an event loop: NIO's channels expect to own their descriptor, and a readable event on a socket another loop
/// has already drained is, to NIO, a broken invariant (an assertion in debug builds).
final class DNSUDPReaders: Sendable {
    /// Bytes each datagram may take: far above any query (one question and an OPT record; RFC 8467 padding stops at
    /// 468 bytes); a longer one is cut to this and gets FORMERR.
    static let datagramCapacity = 4_096
    /// How long a reader blocks before it looks at the stop flag and merges its metrics tally: the lag of a scrape
    /// behind light traffic.
    static let idleWakeup = timeval(tv_sec: 0, tv_usec: 100_000)
    /// Receive buffer asked for the one socket (the kernel caps it at net.core.rmem_max): the default 208 KiB holds
    /// about 200 queries, which a burst from many clients overflows while the readers are busy, and per-loop
    /// sockets had one such buffer each.
    static let receiveBuffer: CInt = 1 << 20

    private struct State {
        /// The descriptor, until `stop` closes it; the deferred replies send through it only while it is open.
        var descriptor: CInt?
        var running = 0
        var stopped = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    let server: ClusterDNSServer
    let port: Int
    private let descriptor: CInt
    private let state: Mutex<State>
    /// `state.stopped` for the readers' loop, read once per burst without taking the lock.
    private let stopping = Atomic<Bool>(false)
    /// `hold(reader:for:)`: which reader stays away from the socket (-1: none), and until when (uptime, ns).
    private let heldReader = Atomic<Int>(-1)
    private let heldUntil = Atomic<UInt64>(0)
    /// The reader that is staying away right now, or -1.
    private let holding = Atomic<Int>(-1)

    /// Binds the socket; `start` then starts its readers.
    init(server: ClusterDNSServer, host: String, port: Int) throws {
        let address = try SocketAddress(ipAddress: host, port: port)
        let family = address.protocol == .inet6 ? AF_INET6 : AF_INET
        let descriptor = socket(family, CInt(SOCK_DGRAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
        var one: CInt = 1
        var timeout = Self.idleWakeup
        var buffer = Self.receiveBuffer
        // Best effort: a smaller buffer is no reason not to serve.
        _ = setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &buffer, socklen_t(MemoryLayout<CInt>.size))
        let bound = setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<CInt>.size)) == 0
            && setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size)) == 0
            && address.withSockAddr { Glibc.bind(descriptor, $0, socklen_t($1)) } == 0
        var local = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = bound && withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        } == 0
        guard named else {
            let code = errno
            close(descriptor)
            throw IOError(errnoCode: code, reason: "bind \(host):\(port)")
        }
        self.server = server
        self.descriptor = descriptor
        self.port = Int(UInt16(bigEndian: withUnsafeBytes(of: local) { bytes in
            // sin_port and sin6_port sit at the same offset, right after the family.
            bytes.load(fromByteOffset: 2, as: UInt16.self)
        }))
        self.state = Mutex(State(descriptor: descriptor))
    }

    /// Starts `count` reader threads.
    func start(count: Int) {
        state.withLock { $0.running = count }
        for position in 0..<count {
            let thread = Thread { [self] in
                self.read(position: position)
                let waiter = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
                    state.running -= 1
                    return state.running == 0 ? state.waiter.take() : nil
                }
                waiter?.resume()
            }
            thread.name = "dns-udp-\(position)"
            thread.start()
        }
    }

    /// Stops the readers (they see the flag within `idleWakeup`; shutdown wakes them at once), waits for them, then
    /// closes the socket.
    func stop() async {
        let running = state.withLock { state -> Int in
            state.stopped = true
            stopping.store(true, ordering: .releasing)
            return state.running
        }
        _ = shutdown(descriptor, CInt(SHUT_RDWR))
        if running > 0 {
            await withCheckedContinuation { continuation in
                let done = state.withLock { state -> Bool in
                    if state.running == 0 { return true }
                    state.waiter = continuation
                    return false
                }
                if done { continuation.resume() }
            }
        }
        state.withLock { state in
            if let descriptor = state.descriptor { close(descriptor) }
            state.descriptor = nil
        }
    }


    /// Keeps reader `position` from taking datagrams for `duration` once it next comes back to the socket (within
    /// `idleWakeup` when idle), as a descheduled thread would be: for tests and diagnostics of the shared queue.
    /// `isHolding(reader:)` tells when it has.
    func hold(reader position: Int, for duration: TimeAmount) {
        heldUntil.store(NIODeadline.now().uptimeNanoseconds + UInt64(duration.nanoseconds), ordering: .relaxed)
        heldReader.store(position, ordering: .releasing)
    }

    /// Whether reader `position` is staying away from the socket now.
    func isHolding(reader position: Int) -> Bool {
        holding.load(ordering: .acquiring) == position
    }

    /// One reader: receive a burst, answer it, send the replies, until stopped.
    private func read(position: Int) {
        let batch = ClusterDNSServer.udpReadBatch
        let capacity = Self.datagramCapacity
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: batch * capacity, alignment: 16)
        let names = UnsafeMutablePointer<sockaddr_storage>.allocate(capacity: batch)
        let vectors = UnsafeMutablePointer<iovec>.allocate(capacity: batch)
        let headers = UnsafeMutablePointer<jn_mmsghdr>.allocate(capacity: batch)
        let replyVectors = UnsafeMutablePointer<iovec>.allocate(capacity: batch)
        let replyHeaders = UnsafeMutablePointer<jn_mmsghdr>.allocate(capacity: batch)
        var arena = UnsafeMutableRawBufferPointer.allocate(byteCount: batch * 512, alignment: 16)
        defer {
            arena.deallocate()
            buffer.deallocate()
            names.deallocate()
            vectors.deallocate()
            headers.deallocate()
            replyVectors.deallocate()
            replyHeaders.deallocate()
        }
        let recorder = server.metrics.map(DNSMetricsRecorder.init)
        defer { recorder?.mergeNow() }
        var replies: [(bytes: [UInt8], message: Int)] = []
        replies.reserveCapacity(batch)
        for i in 0..<batch {
            vectors[i] = iovec(iov_base: buffer + i * capacity, iov_len: capacity)
            headers[i] = jn_mmsghdr(
                msg_hdr: msghdr(msg_name: UnsafeMutableRawPointer(names + i),
                                msg_namelen: socklen_t(MemoryLayout<sockaddr_storage>.size),
                                msg_iov: vectors + i, msg_iovlen: 1, msg_control: nil, msg_controllen: 0,
                                msg_flags: 0),
                msg_len: 0)
        }
        while !stopping.load(ordering: .acquiring) {
            if heldReader.load(ordering: .acquiring) == position {
                let until = heldUntil.load(ordering: .relaxed)
                let now = NIODeadline.now().uptimeNanoseconds
                if now < until {
                    holding.store(position, ordering: .releasing)
                    usleep(useconds_t(min(until - now, 100_000_000) / 1_000))
                    continue
                }
                heldReader.store(-1, ordering: .relaxed)
                holding.store(-1, ordering: .releasing)
            }
            let received = jn_recvmmsg(descriptor, headers, UInt32(batch), JN_MSG_WAITFORONE)
            guard received > 0 else {
                // A timeout (nothing to read for `idleWakeup`), a signal, an ICMP error reported on the socket, or
                // the shutdown of `stop`: merge what the metrics owe and look at the flag again.
                recorder?.mergeNow()
                continue
            }
            let start: NIODeadline = recorder == nil ? .distantPast : .now()
            replies.removeAll(keepingCapacity: true)
            for i in 0..<Int(received) {
                let packet = Array(UnsafeRawBufferPointer(start: buffer + i * capacity, count: Int(headers[i].msg_len)))
                let ipv6 = names[i].ss_family == sa_family_t(AF_INET6)
                switch server.immediate(packet, transport: .udp) {
                case .reply(let bytes, let responder):
                    replies.append((bytes, i))
                    recorder?.record(packet, reply: bytes, transport: .udp, ipv6: ipv6, responder: responder,
                                     since: start)
                case .drop:
                    break
                case .deferred(let outcome):
                    let client = names[i]
                    let length = headers[i].msg_hdr.msg_namelen
                    let server = self.server
                    Task {
                        guard let (bytes, responder) = await server.complete(outcome, transport: .udp) else { return }
                        self.send(bytes, to: client, length: length)
                        server.metrics?.record(packet, reply: bytes, transport: .udp, ipv6: ipv6,
                                               responder: responder, since: start)
                    }
                }
            }
            sendReplies(replies, arena: &arena, names: names, headers: headers, vectors: replyVectors,
                        replyHeaders: replyHeaders)
            // recvmmsg wrote the address lengths and flags of the messages it filled; the rest are as set above.
            for i in 0..<Int(received) {
                headers[i].msg_hdr.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
                headers[i].msg_hdr.msg_flags = 0
            }
            recorder?.burstEnded()
        }
    }

    /// The burst's replies in one `sendmmsg` (more calls if the kernel takes fewer), each copied into `arena` (grown
    /// when a burst needs more); a reply the kernel refuses (a client address it cannot reach) is skipped, as a lost
    /// datagram.
    private func sendReplies(_ replies: [(bytes: [UInt8], message: Int)], arena: inout UnsafeMutableRawBufferPointer,
                             names: UnsafeMutablePointer<sockaddr_storage>, headers: UnsafeMutablePointer<jn_mmsghdr>,
                             vectors: UnsafeMutablePointer<iovec>, replyHeaders: UnsafeMutablePointer<jn_mmsghdr>) {
        guard !replies.isEmpty else { return }
        let total = replies.reduce(0) { $0 + $1.bytes.count }
        if total > arena.count {
            arena.deallocate()
            arena = .allocate(byteCount: total, alignment: 16)
        }
        var offset = 0
        for (index, reply) in replies.enumerated() {
            let slice = UnsafeMutableRawBufferPointer(rebasing: arena[offset..<(offset + reply.bytes.count)])
            reply.bytes.withUnsafeBytes { slice.copyMemory(from: $0) }
            offset += reply.bytes.count
            vectors[index] = iovec(iov_base: slice.baseAddress, iov_len: slice.count)
            replyHeaders[index] = jn_mmsghdr(
                msg_hdr: msghdr(msg_name: UnsafeMutableRawPointer(names + reply.message),
                                msg_namelen: headers[reply.message].msg_hdr.msg_namelen,
                                msg_iov: vectors + index, msg_iovlen: 1, msg_control: nil, msg_controllen: 0,
                                msg_flags: 0),
                msg_len: 0)
        }
        var next = 0
        while next < replies.count {
            let sent = jn_sendmmsg(descriptor, replyHeaders + next, UInt32(replies.count - next), 0)
            if sent > 0 {
                next += Int(sent)
            } else if errno != EINTR {
                next += 1
            }
        }
    }

    /// A deferred reply, from whatever thread completed it; dropped once the socket is closed.
    private func send(_ bytes: [UInt8], to client: sockaddr_storage, length: socklen_t) {
        var client = client
        state.withLock { state in
            guard let descriptor = state.descriptor, !state.stopped else { return }
            _ = withUnsafePointer(to: &client) { name in
                name.withMemoryRebound(to: sockaddr.self, capacity: 1) { name in
                    bytes.withUnsafeBytes { sendto(descriptor, $0.baseAddress, $0.count, 0, name, length) }
                }
            }
        }
    }
}
