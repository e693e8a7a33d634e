import AsyncHTTPClient
import Foundation
import KubeModel
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL
import Yams

/// Where and how to reach an API server: the parts of a kubeconfig Junction's clients use.
public struct KubeConfig: Sendable {
    public var server: String
    public var token: String?
    public var caPEM: String?
    public var insecureSkipTLSVerify = false
    public var namespace = "default"

    public init(server: String, token: String? = nil, caPEM: String? = nil) {
        self.server = server
        self.token = token
        self.caPEM = caPEM
    }

    public struct LoadError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads the current context of a kubeconfig file (token and CA data or file; client certificates are not
    /// supported yet).
    public static func load(path: String) throws -> KubeConfig {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        guard let doc = try Yams.load(yaml: text) as? [String: Any] else { throw LoadError(description: "\(path): not a kubeconfig") }
        func named(_ list: String, _ name: String?) -> [String: Any]? {
            (doc[list] as? [[String: Any]])?.first { name == nil || ($0["name"] as? String) == name }
        }
        let current = doc["current-context"] as? String
        let context = named("contexts", current)?["context"] as? [String: Any] ?? [:]
        guard let cluster = named("clusters", context["cluster"] as? String)?["cluster"] as? [String: Any],
            let server = cluster["server"] as? String
        else { throw LoadError(description: "\(path): no cluster server for context \(current ?? "<none>")") }
        let user = named("users", context["user"] as? String)?["user"] as? [String: Any] ?? [:]
        var config = KubeConfig(server: server, token: user["token"] as? String)
        if let tokenFile = user["tokenFile"] as? String {
            config.token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if let data = cluster["certificate-authority-data"] as? String, let decoded = Data(base64Encoded: data) {
            config.caPEM = String(decoding: decoded, as: UTF8.self)
        } else if let file = cluster["certificate-authority"] as? String {
            config.caPEM = try String(contentsOfFile: file, encoding: .utf8)
        }
        config.insecureSkipTLSVerify = cluster["insecure-skip-tls-verify"] as? Bool ?? false
        if let ns = context["namespace"] as? String { config.namespace = ns }
        return config
    }
}

/// A failed API call: the HTTP code and the Status the server answered with (or the body text).
public struct KubeAPIError: Error, CustomStringConvertible, Sendable {
    public var code: Int
    public var status: JSONValue?
    public var reason: String { status?["reason"]?.stringValue ?? "" }
    public var message: String { status?["message"]?.stringValue ?? "" }
    public var description: String { "HTTP \(code) \(reason): \(message)" }
}

/// A minimal Kubernetes REST client over AsyncHTTPClient: JSON requests, and watches as async streams.
public final class KubeClient: Sendable {
    public let config: KubeConfig
    let http: HTTPClient

    /// `maxConnections` bounds concurrent HTTP/1 connections to the server; every open watch holds one.
    public init(config: KubeConfig, maxConnections: Int = 16) throws {
        self.config = config
        var tls = TLSConfiguration.makeClientConfiguration()
        if let ca = config.caPEM {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(ca.utf8)))
        }
        if config.insecureSkipTLSVerify { tls.certificateVerification = .none }
        var c = HTTPClient.Configuration(tlsConfiguration: tls)
        c.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: maxConnections)
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: c)
    }

    public func shutdown() async throws { try await http.shutdown() }

    public struct Response: Sendable {
        public var code: Int
        public var body: [UInt8]
        public var json: JSONValue? { try? JSONParser.parse(body) }
    }

    /// Sends one request; `body` bytes go as is with `contentType`.
    public func raw(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, contentType: String? = "application/json",
                    accept: String = "application/json", timeout: TimeAmount = .seconds(30)) async throws -> Response {
        var request = HTTPClientRequest(url: config.server + path)
        request.method = method
        request.headers.add(name: "Accept", value: accept)
        if let token = config.token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await http.execute(request, timeout: timeout)
        let buffer = try await response.body.collect(upTo: 64 * 1024 * 1024)
        return Response(code: Int(response.status.code), body: Array(buffer.readableBytesView))
    }

    /// Sends a JSON request and returns the JSON reply; a non-2xx reply throws `KubeAPIError`.
    @discardableResult
    public func json(_ method: HTTPMethod, _ path: String, _ body: JSONValue? = nil,
                     contentType: String = "application/json") async throws -> JSONValue {
        let r = try await raw(method, path, body: body.map(JSONWriter.bytes), contentType: contentType)
        guard (200..<300).contains(r.code) else { throw KubeAPIError(code: r.code, status: r.json) }
        return r.json ?? .null
    }

    public enum WatchEvent: Sendable {
        case event(type: String, object: JSONValue)
    }

    /// Opens a watch (`path` is the collection, `query` without `watch=true`) and yields its events until the
    /// server ends the stream; a non-200 answer throws.
    public func watch(_ path: String, query: String = "") -> AsyncThrowingStream<(type: String, object: JSONValue), any Error> {
        let (stream, continuation) = AsyncThrowingStream<(type: String, object: JSONValue), any Error>.makeStream()
        let task = Task {
            do {
                var request = HTTPClientRequest(url: config.server + path + "?watch=true" + (query.isEmpty ? "" : "&" + query))
                if let token = config.token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
                let response = try await http.execute(request, timeout: .hours(24))
                guard response.status == .ok else {
                    let body = try await response.body.collect(upTo: 1 << 20)
                    throw KubeAPIError(code: Int(response.status.code), status: try? JSONParser.parse(Array(body.readableBytesView)))
                }
                var pending: [UInt8] = []
                for try await chunk in response.body {
                    pending.append(contentsOf: chunk.readableBytesView)
                    while let nl = pending.firstIndex(of: 0x0A) {
                        let line = Array(pending[..<nl])
                        pending.removeSubrange(...nl)
                        if line.isEmpty { continue }
                        let event = try JSONParser.parse(line)
                        continuation.yield((event["type"]?.stringValue ?? "", event["object"] ?? .null))
                    }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}
