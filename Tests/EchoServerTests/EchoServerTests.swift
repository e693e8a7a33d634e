import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

@testable import EchoServer

@Suite("Echo server over real loopback sockets")
struct EchoServerTests {
    @Test("JSON answer names the pod and the client address the server saw")
    func jsonAnswer() async throws {
        try await withEchoServer { ports in
            let port = try #require(ports["http"])
            let (result, local) = try await fetch("/some/path?x=1", port: port, headers: [("X-Test", "hello")])
            #expect(result.head.status == .ok)
            #expect(result.head.headers["content-type"] == ["application/json"])
            let reply = try JSONDecoder().decode(EchoReply.self, from: Data(result.body.utf8))
            #expect(reply.pod == "echo-7d9f-abcde")
            #expect(reply.namespace == "default")
            #expect(reply.node == "node-2")
            #expect(reply.podIP == "10.244.2.7")
            #expect(reply.hostname == "echo-host")
            #expect(reply.client == local)
            #expect(reply.client.hasPrefix("127.0.0.1:"))
            #expect(reply.method == "GET")
            #expect(reply.path == "/some/path?x=1")
            #expect(reply.headers["x-test"] == "hello")
            #expect(reply.headers["host"] == "echo.test")
        }
    }

    @Test(
        "Plain-text answer for /text or Accept: text/plain",
        arguments: [
            ("/text", [(String, String)]()),
            ("/", [("Accept", "text/plain")]),
            ("/anything", [("Accept", "text/plain;q=0.9, application/json;q=0.5")]),
        ])
    func plainText(path: String, headers: [(String, String)]) async throws {
        try await withEchoServer { ports in
            let port = try #require(ports["http"])
            let (result, local) = try await fetch(path, port: port, headers: headers)
            #expect(result.head.status == .ok)
            #expect(result.head.headers["content-type"].first?.hasPrefix("text/plain") == true)
            #expect(result.body == "You've hit echo-7d9f-abcde on node-2, from \(local)\n")
        }
    }

    @Test("Two requests on one keep-alive connection are both answered")
    func keepAlive() async throws {
        try await withEchoServer { ports in
            let port = try #require(ports["http"])
            let connection = try await connectHTTP(port: port)
            let local = connection.channel.localAddress.echoDescription
            let (first, second) = try await connection.executeThenClose { inbound, outbound in
                var iterator = inbound.makeAsyncIterator()
                let first = try await exchange("/one", inbound: &iterator, outbound: outbound)
                let second = try await exchange("/two", inbound: &iterator, outbound: outbound)
                return (first, second)
            }
            #expect(first.head.headers["connection"].isEmpty)
            let replies = try [first, second].map {
                try JSONDecoder().decode(EchoReply.self, from: Data($0.body.utf8))
            }
            #expect(replies.map(\.path) == ["/one", "/two"])
            #expect(replies.map(\.client) == [local, local])
        }
    }

    @Test("/healthz answers 200 ok")
    func healthz() async throws {
        try await withEchoServer { ports in
            let port = try #require(ports["http"])
            let (result, _) = try await fetch("/healthz", port: port)
            #expect(result.head.status == .ok)
            #expect(result.body == "ok")
        }
    }

    @Test("HEAD gets headers with the body's length but no body")
    func head() async throws {
        try await withEchoServer { ports in
            let port = try #require(ports["http"])
            let (result, _) = try await fetch("/healthz", port: port, method: .HEAD)
            #expect(result.head.status == .ok)
            #expect(result.head.headers["content-length"] == ["2"])
            #expect(result.body.isEmpty)
        }
    }

    @Test("A client that half-closes after its request still gets the answer")
    func httpHalfClose() async throws {
        try await withEchoServer { ports in
            let port = try #require(ports["http"])
            let request = "GET /text HTTP/1.1\r\nHost: echo.test\r\n\r\n"
            let (local, received) = try await rawTCPExchange(port: port, send: Array(request.utf8), halfClose: true)
            let response = String(decoding: received, as: UTF8.self)
            #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(response.hasSuffix("\r\n\r\nYou've hit echo-7d9f-abcde on node-2, from \(local)\n"))
        }
    }

    @Test("Connection: close is honoured and the full answer arrives before the close")
    func connectionClose() async throws {
        try await withEchoServer { ports in
            let port = try #require(ports["http"])
            let request = "GET /text HTTP/1.1\r\nHost: echo.test\r\nConnection: close\r\n\r\n"
            let (local, received) = try await rawTCPExchange(port: port, send: Array(request.utf8), halfClose: false)
            let response = String(decoding: received, as: UTF8.self)
            #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(response.lowercased().contains("connection: close\r\n"))
            #expect(response.hasSuffix("You've hit echo-7d9f-abcde on node-2, from \(local)\n"))
        }
    }

    @Test("A malformed request gets 400 and the server keeps serving")
    func malformedRequest() async throws {
        let log = AccessLogCollector()
        try await withEchoServer(log: log) { ports in
            let port = try #require(ports["http"])
            let garbage = Array("THIS IS NOT HTTP\r\n\u{0}\u{1}\r\n\r\n".utf8)
            let (_, received) = try await rawTCPExchange(port: port, send: garbage, halfClose: false)
            #expect(String(decoding: received, as: UTF8.self).hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
            let (result, _) = try await fetch("/after", port: port)
            #expect(result.head.status == .ok)
        }
        #expect(log.all.contains { $0.contains(" - - from 127.0.0.1:") && $0.hasSuffix(" -> 400\n") })
    }

    @Test("200 concurrent connections each see their own client address")
    func manyConcurrentConnections() async throws {
        try await withEchoServer { ports in
            let port = try #require(ports["http"])
            let mismatches = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        let (result, local) = try await fetch("/c/\(index)", port: port)
                        let reply = try JSONDecoder().decode(EchoReply.self, from: Data(result.body.utf8))
                        return reply.client == local && reply.path == "/c/\(index)"
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 0 : 1) }
            }
            #expect(mismatches == 0)
        }
    }

    @Test("TCP echoes 1 MiB byte for byte and closes after the client half-closes")
    func tcpEchoOneMebibyte() async throws {
        let log = AccessLogCollector()
        try await withEchoServer(log: log) { ports in
            let port = try #require(ports["tcp"])
            var generator = SystemRandomNumberGenerator()
            let payload = (0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let (_, received) = try await rawTCPExchange(port: port, send: payload, halfClose: true)
            #expect(received.count == payload.count)
            #expect(received == payload)
        }
        #expect(log.all.contains { $0.contains(" TCP from 127.0.0.1:") && $0.hasSuffix(" echoed 1048576 bytes\n") })
    }

    /// 3000 bytes is above NIO's default 2 KiB datagram buffer, which would truncate silently.
    @Test("UDP answers `<pod> <client> <payload>`", arguments: [5, 3000])
    func udpEcho(size: Int) async throws {
        let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 % 251) }
        try await withEchoServer { ports in
            let port = try #require(ports["udp"])
            let server = try SocketAddress(ipAddress: "127.0.0.1", port: port)
            let client = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
                .bind(host: "127.0.0.1", port: 0) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(
                            wrappingChannelSynchronously: channel)
                    }
                }
            let local = client.channel.localAddress.echoDescription
            let reply = try await client.executeThenClose { inbound, outbound in
                try await outbound.write(AddressedEnvelope(remoteAddress: server, data: ByteBuffer(bytes: payload)))
                var iterator = inbound.makeAsyncIterator()
                return try #require(try await iterator.next())
            }
            let datagram = try #require(EchoDatagram(parsing: reply.data.readableBytesView))
            #expect(datagram.pod == "echo-7d9f-abcde")
            #expect(datagram.client == local)
            #expect(datagram.payload == payload)
            #expect(reply.remoteAddress == server)
        }
    }

    @Test("Every HTTP request leaves one access-log line")
    func accessLog() async throws {
        let log = AccessLogCollector()
        let local = try await withEchoServer(log: log) { ports in
            let port = try #require(ports["http"])
            return try await fetch("/logged?q=1", port: port).local
        }
        let lines = log.all.filter { $0.contains(" GET ") }
        #expect(lines.count == 1)
        let line = try #require(lines.first)
        #expect(line.hasSuffix(" GET /logged?q=1 from \(local) -> 200\n"))
        let timestamp = try #require(line.split(separator: " ").first)
        #expect(timestamp.count == "2026-11-22T00:00:00Z".count && timestamp.hasSuffix("Z"))
    }

    @Test("Only the enabled listeners are bound and reported")
    func disabledListeners() async throws {
        let config = EchoServerConfig(
            identity: testIdentity, host: "127.0.0.1", httpPort: 0, tcpPort: nil, udpPort: nil, accessLog: { _ in })
        let (bound, continuation) = AsyncStream.makeStream(of: [String: Int].self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { continuation.finish() }
                try await EchoServer.run(config, logger: testLogger) { continuation.yield($0) }
            }
            var iterator = bound.makeAsyncIterator()
            let ports = try #require(await iterator.next())
            #expect(Set(ports.keys) == ["http"])
            #expect((ports["http"] ?? 0) > 0)
            group.cancelAll()
            try await group.waitForAll()
        }
    }

    @Test("A port already in use makes run throw instead of serving partially")
    func portInUse() async throws {
        try await withEchoServer { ports in
            let busy = try #require(ports["tcp"])
            let config = EchoServerConfig(
                identity: testIdentity, host: "127.0.0.1", httpPort: 0, tcpPort: busy, udpPort: nil,
                accessLog: { _ in })
            await #expect(throws: (any Error).self) {
                try await EchoServer.run(config, logger: testLogger)
            }
        }
    }
}

@Suite("Echo server pure parts")
struct EchoServerUnitTests {
    @Test("Datagram replies round-trip, binary payloads and spaces included")
    func datagramRoundTrip() throws {
        let datagram = EchoDatagram(pod: "web-0", client: "10.244.1.5:43210", payload: Array("a b\u{0}c".utf8))
        #expect(String(decoding: datagram.encoded, as: UTF8.self) == "web-0 10.244.1.5:43210 a b\u{0}c")
        #expect(EchoDatagram(parsing: datagram.encoded) == datagram)
        #expect(EchoDatagram(parsing: Array("web-0 10.0.0.1:1 ".utf8))?.payload == [])
        #expect(EchoDatagram(parsing: Array("no-spaces".utf8)) == nil)
    }

    @Test(
        "Accept negotiation prefers text only when asked",
        arguments: [
            ("text/plain", true),
            ("TEXT/PLAIN; charset=utf-8", true),
            ("*/*", false),
            ("application/json, text/plain", false),
            ("text/html,application/xhtml+xml,*/*;q=0.8", false),
            ("text/html, text/plain", true),
        ])
    func acceptNegotiation(accept: String, text: Bool) {
        #expect(EchoHTTPResponder.prefersPlainText([Substring(accept)]) == text)
    }

    @Test("Identity comes from the downward-API variables and falls back to the host name")
    func identityFromEnvironment() {
        let full = EchoIdentity.fromEnvironment([
            "POD_NAME": "web-1", "POD_NAMESPACE": "prod", "NODE_NAME": "node-3", "POD_IP": "10.244.3.4",
        ])
        #expect(full.pod == "web-1")
        #expect(full.namespace == "prod")
        #expect(full.node == "node-3")
        #expect(full.podIP == "10.244.3.4")
        let empty = EchoIdentity.fromEnvironment(["POD_NAME": ""])
        #expect(empty.pod == EchoIdentity.currentHostname())
        #expect(!empty.pod.isEmpty)
        #expect(empty.namespace.isEmpty && empty.node.isEmpty && empty.podIP.isEmpty)
    }

    @Test(
        "Peer addresses print as ip:port, IPv6 bracketed, IPv4-mapped unwrapped",
        arguments: [
            ("10.244.1.5", 43210, "10.244.1.5:43210"),
            ("fd00::1", 80, "[fd00::1]:80"),
            ("::ffff:10.244.1.5", 8080, "10.244.1.5:8080"),
        ])
    func addressDescription(ip: String, port: Int, expected: String) throws {
        #expect(try SocketAddress(ipAddress: ip, port: port).echoDescription == expected)
    }
}
