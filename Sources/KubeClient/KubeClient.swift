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
    /// A client certificate and its key (PEM), for API servers that authenticate clients by certificate.
    public var clientCertificatePEM: String?
    public var clientKeyPEM: String?
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

    /// The in-cluster configuration a pod gets (client-go's `InClusterConfig`): the API server from
    /// `KUBERNETES_SERVICE_HOST`/`_PORT`, the service account's token and CA from the mounted secret directory.
    public static func inCluster(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        secrets: String = "/var/run/secrets/kubernetes.io/serviceaccount"
    ) throws -> KubeConfig {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
            let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty
        else { throw LoadError(description: "not in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set") }
        let server = host.contains(":") ? "https://[\(host)]:\(port)" : "https://\(host):\(port)"
        do {
            var config = KubeConfig(
                server: server,
                token: try String(contentsOfFile: secrets + "/token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
                caPEM: try String(contentsOfFile: secrets + "/ca.crt", encoding: .utf8))
            if let ns = try? String(contentsOfFile: secrets + "/namespace", encoding: .utf8) {
                config.namespace = ns.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            return config
        } catch {
            throw LoadError(description: "in-cluster configuration: \(error.localizedDescription)")
        }
    }

    /// A kubeconfig file when a path is given, else the in-cluster configuration (kube-proxy's and CoreDNS's rule).
    public static func load(path: String?) throws -> KubeConfig {
        if let path, !path.isEmpty { return try load(path: path) }
        return try inCluster()
    }

    /// Reads the current context of a kubeconfig file: the server, the CA (data or file), and the user's bearer
    /// token (inline or `tokenFile`) and/or client certificate and key (data or files). Relative file paths are
    /// relative to the kubeconfig's directory, as client-go reads them.
    public static func load(path: String) throws -> KubeConfig {
        let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
        func file(_ name: String) throws -> String {
            try String(contentsOfFile: name.hasPrefix("/") ? name : base + "/" + name, encoding: .utf8)
        }
        func inline(_ value: Any?, field: String) throws -> String? {
            guard let text = value as? String else { return nil }
            guard let decoded = Data(base64Encoded: text) else { throw LoadError(description: "\(path): \(field) is not base64") }
            return String(decoding: decoded, as: UTF8.self)
        }
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
            config.token = try file(tokenFile).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if let pem = try inline(cluster["certificate-authority-data"], field: "certificate-authority-data") {
            config.caPEM = pem
        } else if let name = cluster["certificate-authority"] as? String {
            config.caPEM = try file(name)
        }
        if let pem = try inline(user["client-certificate-data"], field: "client-certificate-data") {
            config.clientCertificatePEM = pem
        } else if let name = user["client-certificate"] as? String {
            config.clientCertificatePEM = try file(name)
        }
        if let pem = try inline(user["client-key-data"], field: "client-key-data") {
            config.clientKeyPEM = pem
        } else if let name = user["client-key"] as? String {
            config.clientKeyPEM = try file(name)
        }
        if (config.clientCertificatePEM == nil) != (config.clientKeyPEM == nil) {
            throw LoadError(description: "\(path): a client certificate needs its key and a key its certificate")
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
        if let cert = config.clientCertificatePEM, let key = config.clientKeyPEM {
            tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(cert.utf8)).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(key.utf8), format: .pem))
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
