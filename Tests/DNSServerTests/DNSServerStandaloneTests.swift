import DNSCore
@testable import DNSServer
import Foundation
import KubeClient
import KubeModel
import Logging
import NIOCore
import NIOPosix
import TestSupport
import Testing

/// An API server address where nothing listens: the reflectors never sync.
func unreachableAPI() throws -> KubeClient {
    try KubeClient(config: KubeConfig(server: "http://127.0.0.1:1"))
}

func curlStatus(_ url: String) async throws -> String {
    try await offload { try run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2", url]) }.out
}

@Suite("ClusterDNSServer without an API", .serialized)
struct DNSServerStandaloneTests {
    @Test("SERVFAIL for cluster names before the first sync; /ready follows the sync")
    func servfailBeforeSync() async throws {
        let client = try unreachableAPI()
        try await withDNSServer(client: client) { dns in
            let before = try await dns.udp("web.default.svc.cluster.local.", .a)
            #expect(before?.header.rcode == .servFail)
            #expect(try await dns.udp("1.0.96.10.in-addr.arpa.", .ptr)?.header.rcode == .servFail)
            #expect(try await dns.dig("web.default.svc.cluster.local").contains("status: SERVFAIL"))
            #expect(try await dns.dig("+tcp", "web.default.svc.cluster.local").contains("status: SERVFAIL"))

            let (bound, continuation) = AsyncStream<Int>.makeStream()
            let server = dns.server
            let health = Task {
                try await DNSHealthEndpoint.serve(host: "127.0.0.1", port: 0, isReady: { server.isReady },
                                                  onBound: { continuation.yield($0) })
            }
            defer { health.cancel() }
            var port = 0
            for await p in bound {
                port = p
                break
            }
            #expect(try await curlStatus("http://127.0.0.1:\(port)/health") == "200")
            #expect(try await curlStatus("http://127.0.0.1:\(port)/ready") == "503")

            for resource in server.resources { server.markSynced(resource) }
            #expect(server.isReady)
            #expect(try await curlStatus("http://127.0.0.1:\(port)/ready") == "200")
            #expect(try await dns.udp("web.default.svc.cluster.local.", .a)?.header.rcode == .nxDomain)
            health.cancel()
            _ = try? await health.value
        }
        try await client.shutdown()
    }

    @Test("UDP readers share one queue: with one held away from the socket, the other answers every client")
    func sharedQueue() async throws {
        var logger = Logger(label: "test.dns")
        logger.logLevel = .warning
        let server = ClusterDNSServer(config: ClusterDNSServerConfig(host: "127.0.0.1", port: 0), logger: logger)
        for resource in server.resources { server.markSynced(resource) }
        let query = DNSMessage.query(id: 7, name: DNSName("dns-version.cluster.local.") ?? .root, type: .txt).encode()
        /// Holds reader 0 of `readers` for 3 s, waits until it stays away (it sees the hold within its 100 ms idle
        /// wake-up), then asks from `clients` sockets at once: how many got an answer within a second.
        func answeredWhileHeld(_ readers: DNSUDPReaders, clients: Int) async throws -> Int {
            readers.hold(reader: 0, for: .seconds(3))
            let deadline = ContinuousClock.now + .seconds(2)
            while !readers.isHolding(reader: 0) {
                guard ContinuousClock.now < deadline else { throw TestFailure("reader 0 never stayed away") }
                try await Task.sleep(for: .milliseconds(10))
            }
            let port = readers.port
            return try await offload { try udpFanOut(query, port: port, clients: clients, timeoutMs: 1_000) }
        }

        let readers = try DNSUDPReaders(server: server, host: "127.0.0.1", port: 0)
        readers.start(count: 2)
        let port = readers.port
        #expect(try await offload { try udpFanOut(query, port: port, clients: 32, timeoutMs: 2_000) } == 32)
        #expect(try await answeredWhileHeld(readers, clients: 32) == 32)
        await readers.stop()
        // Stopped: the port is closed and nothing answers.
        #expect(try await offload { try udpFanOut(query, port: port, clients: 4, timeoutMs: 200) } == 0)

        // The control: a lone reader held the same way answers nothing until the hold ends.
        let lone = try DNSUDPReaders(server: server, host: "127.0.0.1", port: 0)
        lone.start(count: 1)
        #expect(try await answeredWhileHeld(lone, clients: 8) == 0)
        let lonePort = lone.port
        let afterwards = try await offload { try udpFanOut(query, port: lonePort, clients: 8, timeoutMs: 5_000) }
        #expect(afterwards == 8)
        await lone.stop()
    }

    @Test("per-loop UDP sockets: with a loop held up, the clients hashed to it wait for it")
    func perLoopQueues() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let dns = try await RunningDNSServer.start(client: nil, group: group, udpQueue: .perLoop)
        for resource in dns.server.resources { dns.server.markSynced(resource) }
        let query = DNSMessage.query(id: 7, name: DNSName("dns-version.cluster.local.") ?? .root, type: .txt).encode()
        let port = dns.port
        #expect(try await offload { try udpFanOut(query, port: port, clients: 32, timeoutMs: 2_000) } == 32)
        // Hold the first loop for 3 s, and ask once it is held.
        var loops = group.makeIterator()
        let held = Locked(false)
        loops.next()?.execute {
            held.withLock { $0 = true }
            Thread.sleep(forTimeInterval: 3)
        }
        let deadline = ContinuousClock.now + .seconds(2)
        while !held.withLock({ $0 }) {
            guard ContinuousClock.now < deadline else { throw TestFailure("the loop was never held") }
            try await Task.sleep(for: .milliseconds(10))
        }
        // The kernel hashes each source port to one of the two sockets: about half of the clients wait for the held
        // loop (all 32 landing on the free one has odds of 2^-31).
        #expect(try await offload { try udpFanOut(query, port: port, clients: 32, timeoutMs: 1_000) } < 32)
        try await Task.sleep(for: .seconds(2))
        #expect(try await offload { try udpFanOut(query, port: port, clients: 32, timeoutMs: 5_000) } == 32)
        await dns.stop()
        try await group.shutdownGracefully()
    }

    @Test("malformed packets get FORMERR or are dropped, and the server keeps answering")
    func malformed() async throws {
        try await withDNSServer(client: nil) { dns in
            for resource in dns.server.resources { dns.server.markSynced(resource) }
            #expect(try await dns.rawUDP([1, 2, 3], timeoutMs: 200) == nil)
            // A header promising a question that is not there.
            let header: [UInt8] = [0xAB, 0xCD, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
            let formErr = try #require(try await dns.rawUDP(header))
            let decoded = try DNSMessage(decoding: formErr)
            #expect(decoded.header.id == 0xABCD)
            #expect(decoded.header.rcode == .formErr)
            // A compression loop in the question name.
            let loop: [UInt8] = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1]
            #expect(try await dns.rawUDP(loop).map { try DNSMessage(decoding: $0).header.rcode } == .formErr)
            // Random garbage, and mutations of a valid query.
            var generator = SystemRandomNumberGenerator()
            let valid = DNSMessage.query(id: 9, name: DNSName("web.default.svc.cluster.local.") ?? .root, type: .a)
                .encode()
            var packets: [[UInt8]] = []
            for i in 0..<2000 {
                var packet: [UInt8]
                if i % 2 == 0 {
                    packet = (0..<Int.random(in: 0...80, using: &generator)).map { _ in UInt8.random(in: 0...255) }
                } else {
                    packet = valid
                    for _ in 0..<3 { packet[Int.random(in: 0..<packet.count)] = UInt8.random(in: 0...255) }
                    packet = Array(packet.prefix(Int.random(in: 0...packet.count)))
                }
                packets.append(packet)
            }
            try await dns.blastUDP(packets)
            // The same over TCP: a malformed frame gets FORMERR on the connection, which stays usable.
            let framedReplies = try await offload { [port = dns.port] in
                try tcpExchange([header, valid], port: port)
            }
            #expect(framedReplies.count == 2)
            #expect(framedReplies.first.flatMap { try? DNSMessage(decoding: $0) }?.header.rcode == .formErr)
            let version = DNSMessage.query(id: 5, name: DNSName("dns-version.cluster.local.") ?? .root, type: .txt)
            let replies = try await dns.tcp([version])
            #expect(replies.first?.header.rcode == .noError)
            // The blast overflows the socket's receive buffer, so a query sent while it drains may be lost (UDP);
            // the server must answer again within a few tries.
            var after: DNSMessage?
            for _ in 0..<20 where after == nil {
                after = try await dns.udp("dns-version.cluster.local.", .txt, timeoutMs: 250)
            }
            #expect(after?.header.rcode == .noError)
            #expect(after?.answers.count == 1)
        }
    }

    @Test("other names are forwarded with failover, TCP retry on TC, positive and negative caching; ExternalName is chased")
    func forwarding() async throws {
        let upstream = try await FakeUpstream.start()
        let silent = try await silentUpstream()
        do {
            let dead = try #require(silent.localAddress)
            try await withDNSServer(client: nil, upstreams: [dead, try upstream.address]) { dns in
                // The dead first upstream times out (1 s in tests, not 2: loaded debug builds still answer in time),
                // the second answers.
                #expect(lines(try await dns.dig("+short", "example.test")) == ["192.0.2.7"])
                let seen = upstream.count
                #expect(seen == 1)
                let cached = try await dns.udp("EXAMPLE.test.", .a)
                #expect(addresses(cached) == ["192.0.2.7"])
                #expect(cached?.header.recursionAvailable == true)
                #expect(cached?.header.authoritative == false)
                #expect((cached?.answers.first?.ttl ?? 0) <= 300)
                #expect(upstream.count == seen, "served from the cache")

                let missing = try await dns.udp("nothing.test.", .a)
                #expect(missing?.header.rcode == .nxDomain)
                #expect(missing?.authority.first?.type == .soa)
                let misses = upstream.count
                #expect(try await dns.udp("nothing.test.", .a)?.header.rcode == .nxDomain)
                #expect(upstream.count == misses, "NXDOMAIN cached for the SOA minimum")

                // Truncated over UDP upstream: retried over TCP, the client gets all three.
                let big = try await dns.udp("big.example.test.", .a, edns: EDNS(udpPayloadSize: 1232))
                #expect(addresses(big).sorted() == ["192.0.2.1", "192.0.2.2", "192.0.2.3"])
                #expect(big?.header.truncated == false)

                // An ExternalName outside the cluster: our CNAME followed by the upstream's answer.
                let server = dns.server
                server.apply(previous: nil, current: Objects.service("ext", type: "ExternalName",
                                                                     externalName: "example.test"))
                for resource in server.resources { server.markSynced(resource) }
                let chased = try #require(try await dns.udp("ext.default.svc.cluster.local.", .a))
                #expect(chased.answers.first?.data == DNSName("example.test.").map { .cname($0) })
                #expect(addresses(chased) == ["192.0.2.7"])
                #expect(chased.header.authoritative)
            }
        } catch {
            await upstream.stop()
            try? await silent.close()
            throw error
        }
        await upstream.stop()
        try? await silent.close()
    }

    @Test("without upstreams, forwarded names get SERVFAIL")
    func noUpstreams() async throws {
        try await withDNSServer(client: nil) { dns in
            let reply = try await dns.udp("example.test.", .a)
            #expect(reply?.header.rcode == .servFail)
        }
    }

    @Test("resolv.conf nameservers and upstream flags parse")
    func parsing() {
        let text = "# comment\nsearch example\nnameserver 10.0.0.1\nnameserver  ::1\nnameserver fe80::1%eth0\noptions ndots:5\n"
        let servers = ResolvConf.nameservers(in: text)
        #expect(servers.prefix(2).map(\.ipAddress) == ["10.0.0.1", "::1"])
        #expect(servers.allSatisfy { $0.port == 53 })
        #expect(DNSUpstream.parse("127.0.0.1:5353")?.port == 5353)
        #expect(DNSUpstream.parse("10.0.0.1")?.port == 53)
        #expect(DNSUpstream.parse("[::1]:54")?.port == 54)
        #expect(DNSUpstream.parse("dns.google:53") == nil)
    }

    @Test("the cache keeps answers for their TTL and denials for the SOA minimum, within its bound")
    func cache() throws {
        let cache = DNSCache(capacity: 2)
        let name = try #require(DNSName("a.test."))
        let question = DNSQuestion(name: name, type: .a)
        var positive = DNSMessage(header: DNSHeader(isResponse: true), questions: [question])
        positive.answers = [DNSRecord(name: name, type: .a, ttl: 10, data: .a(try #require(IPAddress.parse("192.0.2.1"))))]
        let now = NIODeadline.now()
        cache.insert(question, response: positive, now: now)
        #expect(cache.lookup(question, now: now + .seconds(4))?.answers.first?.ttl == 6)
        #expect(cache.lookup(question, now: now + .seconds(11)) == nil)
        var failure = positive
        failure.header.rcode = .servFail
        #expect(cache.lifetime(of: failure) == nil)
        var noSOA = positive
        noSOA.answers = []
        noSOA.header.rcode = .nxDomain
        #expect(cache.lifetime(of: noSOA) == nil)
        for i in 0..<10 {
            let other = DNSQuestion(name: try #require(DNSName("n\(i).test.")), type: .a)
            cache.insert(other, response: positive, now: now)
        }
        #expect(cache.count <= 2)
    }
}
