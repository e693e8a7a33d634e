import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import Testing

@testable import EchoServer

/// Collects access-log lines instead of printing them, so tests can assert on what `kubectl logs` would show.
final class AccessLogCollector: Sendable {
    private let lines = Mutex<[String]>([])

    func append(_ line: String) {
        lines.withLock { $0.append(line) }
    }

    var all: [String] { lines.withLock { $0 } }
}

/// Silent: the lifecycle lines would drown the test report.
let testLogger = Logger(label: "echo-test", factory: { _ in SwiftLogNoOpLogHandler() })

let testIdentity = EchoIdentity(
    pod: "echo-7d9f-abcde", namespace: "default", node: "node-2", podIP: "10.244.2.7", hostname: "echo-host")

/// Starts `EchoServer.run` on 127.0.0.1 with every listener on port 0, runs `body` with the bound ports, then
/// cancels the server and waits for `run` to return, so every test also checks that cancellation stops it.
func withEchoServer<Result: Sendable>(
    identity: EchoIdentity = testIdentity,
    log: AccessLogCollector = AccessLogCollector(),
    _ body: @Sendable ([String: Int]) async throws -> Result
) async throws -> Result {
    let config = EchoServerConfig(
        identity: identity, host: "127.0.0.1", httpPort: 0, tcpPort: 0, udpPort: 0,
        accessLog: { log.append($0) })
    let (bound, continuation) = AsyncStream.makeStream(of: [String: Int].self)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            defer { continuation.finish() }
            try await EchoServer.run(config, logger: testLogger) { ports in
                continuation.yield(ports)
            }
        }
        var iterator = bound.makeAsyncIterator()
        let ports = try #require(await iterator.next())
        let result = try await body(ports)
        group.cancelAll()
        try await group.waitForAll()
        return result
    }
}

struct HTTPResult: Sendable {
    var head: HTTPResponseHead
    var body: String
}

typealias HTTPClientConnection = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

func connectHTTP(port: Int) async throws -> HTTPClientConnection {
    try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHTTPClientHandlers()
                return try HTTPClientConnection(wrappingChannelSynchronously: channel)
            }
        }
}

/// Sends one request and reads its whole response from an open connection (keep-alive friendly).
func exchange(
    _ path: String,
    method: HTTPMethod = .GET,
    headers: [(String, String)] = [],
    inbound: inout NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator,
    outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>
) async throws -> HTTPResult {
    var requestHeaders = HTTPHeaders([("Host", "echo.test")])
    requestHeaders.add(contentsOf: headers)
    try await outbound.write(.head(HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: requestHeaders)))
    try await outbound.write(.end(nil))
    var head: HTTPResponseHead?
    var body = ByteBuffer()
    while let part = try await inbound.next() {
        switch part {
        case .head(let responseHead):
            head = responseHead
        case .body(var chunk):
            body.writeBuffer(&chunk)
        case .end:
            return HTTPResult(head: try #require(head), body: String(buffer: body))
        }
    }
    throw EchoTestError.connectionClosedEarly
}

/// One request on a fresh connection; returns the answer and the client's own address as the server should see it.
func fetch(
    _ path: String, port: Int, method: HTTPMethod = .GET, headers: [(String, String)] = []
) async throws -> (result: HTTPResult, local: String) {
    let connection = try await connectHTTP(port: port)
    let local = connection.channel.localAddress.echoDescription
    let result = try await connection.executeThenClose { inbound, outbound in
        var iterator = inbound.makeAsyncIterator()
        return try await exchange(path, method: method, headers: headers, inbound: &iterator, outbound: outbound)
    }
    return (result, local)
}

/// Writes `bytes` on a plain TCP connection, optionally half-closes, and reads until the server closes.
func rawTCPExchange(port: Int, send bytes: [UInt8], halfClose: Bool) async throws -> (local: String, received: [UInt8]) {
    let connection = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                    wrappingChannelSynchronously: channel,
                    configuration: .init(isOutboundHalfClosureEnabled: true))
            }
        }
    let local = connection.channel.localAddress.echoDescription
    let received = try await connection.executeThenClose { inbound, outbound in
        try await withThrowingTaskGroup(of: [UInt8].self) { group in
            group.addTask {
                var all: [UInt8] = []
                for try await chunk in inbound {
                    all.append(contentsOf: chunk.readableBytesView)
                }
                return all
            }
            try await outbound.write(ByteBuffer(bytes: bytes))
            if halfClose {
                outbound.finish()
            }
            return try #require(try await group.next())
        }
    }
    return (local, received)
}

enum EchoTestError: Error {
    case connectionClosedEarly
}
