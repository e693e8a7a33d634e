import Foundation

/// The JSON body the echo workload answers every HTTP request with: who answered, and what it saw.
///
/// Public and `Decodable` so cluster tests can decode a reply and assert on the backend (`pod`, `node`) and on
/// source-IP preservation (`client`) without re-declaring the shape.
public struct EchoReply: Codable, Sendable, Hashable {
    public var pod: String
    public var namespace: String
    public var node: String
    public var podIP: String
    public var hostname: String
    /// The peer address of the TCP connection as the server saw it, `ip:port`.
    public var client: String
    public var method: String
    /// The request target as sent, including any query string.
    public var path: String
    /// Request headers with lower-cased names; repeated headers are joined with `", "` (RFC 9110 §5.3).
    public var headers: [String: String]

    public init(
        identity: EchoIdentity, client: String, method: String, path: String, headers: [String: String]
    ) {
        self.pod = identity.pod
        self.namespace = identity.namespace
        self.node = identity.node
        self.podIP = identity.podIP
        self.hostname = identity.hostname
        self.client = client
        self.method = method
        self.path = path
        self.headers = headers
    }

    /// The `kubia`-style line for humans and `curl` in a shell loop.
    public var plainText: String {
        "You've hit \(pod) on \(node), from \(client)\n"
    }
}

/// The UDP echo reply: `<pod> <client ip:port> <original payload>`.
///
/// The pod name (a DNS label) and the address contain no spaces, so the reply splits unambiguously at its first two
/// spaces; the payload follows byte for byte, so binary payloads survive. Example: a datagram `hello` from
/// `10.244.1.5:43210` answered by `web-0` comes back as `web-0 10.244.1.5:43210 hello`.
public struct EchoDatagram: Sendable, Hashable {
    public var pod: String
    public var client: String
    public var payload: [UInt8]

    public init(pod: String, client: String, payload: [UInt8]) {
        self.pod = pod
        self.client = client
        self.payload = payload
    }

    /// Parses a reply; `nil` if it lacks the two space-separated fields.
    public init?(parsing bytes: some Collection<UInt8>) {
        let space = UInt8(ascii: " ")
        guard let firstSpace = bytes.firstIndex(of: space) else { return nil }
        let afterPod = bytes.index(after: firstSpace)
        guard let secondSpace = bytes[afterPod...].firstIndex(of: space) else { return nil }
        self.pod = String(decoding: bytes[..<firstSpace], as: UTF8.self)
        self.client = String(decoding: bytes[afterPod..<secondSpace], as: UTF8.self)
        self.payload = Array(bytes[bytes.index(after: secondSpace)...])
    }

    public var encoded: [UInt8] {
        Array("\(pod) \(client) ".utf8) + payload
    }
}
