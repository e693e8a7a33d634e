import KubeModel

/// Turns the Kubernetes protobuf request bodies that kubectl 1.32's typed `create` generators send into the JSON
/// object the same command would have sent as `application/json`, so the API server needs only one write path.
///
/// Only decoding is provided: clients that send protobuf also accept JSON replies.
public enum KubeProtobuf {
    /// The 4-byte magic "k8s\0" that starts every body.
    public static let magic: [UInt8] = [0x6B, 0x38, 0x73, 0x00]

    /// The media type of these bodies, for matching a request's Content-Type.
    public static let contentType = "application/vnd.kubernetes.protobuf"

    /// How deeply messages may nest before decoding gives up. The deepest path in the covered types is about a
    /// dozen levels; the limit only has to stop hostile input from exhausting the stack.
    public static let defaultMaxDepth = 64

    /// Whether a body starts with the protobuf magic (a cheap check before choosing a decoder).
    public static func hasMagic(_ bytes: [UInt8]) -> Bool {
        bytes.count >= magic.count && bytes[0..<magic.count].elementsEqual(magic)
    }

    /// Whether `decode` understands objects of this apiVersion and kind.
    public static func supports(apiVersion: String, kind: String) -> Bool {
        SchemaTable.rootKinds[GroupVersionKind(apiVersion: apiVersion, kind: kind)] != nil
    }

    /// The (apiVersion, kind) pairs `decode` understands, sorted, for error messages and documentation.
    public static var supportedKinds: [(apiVersion: String, kind: String)] {
        SchemaTable.rootKinds.keys
            .map { (apiVersion: $0.apiVersion, kind: $0.kind) }
            .sorted { ($0.apiVersion, $0.kind) < ($1.apiVersion, $1.kind) }
    }

    /// Decodes an envelope (magic + runtime.Unknown{1 typeMeta{1 apiVersion, 2 kind}, 2 raw, 3 contentEncoding,
    /// 4 contentType}) and the object inside it, returning a JSON object with "apiVersion" and "kind" set from the
    /// TypeMeta.
    public static func decode(_ bytes: [UInt8]) throws(KubeProtobufError) -> JSONValue {
        try decode(bytes, maxDepth: defaultMaxDepth)
    }

    /// `decode(_:)` with a custom nesting limit; tests use a small one to exercise the limit on real types.
    public static func decode(_ bytes: [UInt8], maxDepth: Int) throws(KubeProtobufError) -> JSONValue {
        guard hasMagic(bytes) else {
            throw KubeProtobufError("body does not start with the Kubernetes protobuf magic \"k8s\\0\"")
        }
        let envelope = try Envelope(bytes, range: magic.count..<bytes.count)
        guard envelope.contentEncoding.isEmpty else {
            throw KubeProtobufError("protobuf content encoding \"\(envelope.contentEncoding)\" is not supported")
        }
        guard envelope.contentType.isEmpty || envelope.contentType == contentType else {
            throw KubeProtobufError("protobuf envelope content type \"\(envelope.contentType)\" is not supported")
        }
        guard !envelope.kind.isEmpty, !envelope.apiVersion.isEmpty else {
            throw KubeProtobufError("protobuf envelope has no apiVersion or kind")
        }
        let gvk = GroupVersionKind(apiVersion: envelope.apiVersion, kind: envelope.kind)
        guard let root = SchemaTable.rootKinds[gvk] else {
            throw KubeProtobufError(
                "protobuf decoding of kind \(envelope.kind) (\(envelope.apiVersion)) is not supported; send JSON")
        }
        let decoder = MessageDecoder(schema: .kubernetes, bytes: bytes, maxDepth: maxDepth)
        var object = ObjectBuilder()
        try decoder.decodeMessage(root, range: envelope.raw, into: &object, depth: 1, path: "")
        object.values["apiVersion"] = .string(envelope.apiVersion)
        object.values["kind"] = .string(envelope.kind)
        return object.build()
    }
}

/// Why a protobuf body could not be decoded; the message is meant to be returned to the client in a 400 Status.
public struct KubeProtobufError: Error, Equatable, CustomStringConvertible, Sendable {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// The runtime.Unknown wrapper that carries the object's TypeMeta next to its encoded bytes.
struct Envelope {
    var apiVersion = ""
    var kind = ""
    var raw: Range<Int>
    var contentEncoding = ""
    var contentType = ""

    init(_ bytes: [UInt8], range: Range<Int>) throws(KubeProtobufError) {
        raw = range.upperBound..<range.upperBound
        var reader = WireReader(bytes, range: range)
        while !reader.isAtEnd {
            let (number, wireType) = try reader.readTag()
            guard (1...4).contains(number) else {
                try reader.skip(wireType)
                continue
            }
            guard wireType == .lengthDelimited else {
                throw KubeProtobufError(
                    "protobuf envelope field \(number) has wire type \(wireType.rawValue), expected 2")
            }
            let payload = try reader.readLengthDelimited()
            switch number {
            case 1: try readTypeMeta(bytes, range: payload)
            case 2: raw = payload
            case 3: contentEncoding = try decodeUTF8(bytes, payload, path: "contentEncoding")
            default: contentType = try decodeUTF8(bytes, payload, path: "contentType")
            }
        }
    }

    private mutating func readTypeMeta(_ bytes: [UInt8], range: Range<Int>) throws(KubeProtobufError) {
        var reader = WireReader(bytes, range: range)
        while !reader.isAtEnd {
            let (number, wireType) = try reader.readTag()
            guard number == 1 || number == 2 else {
                try reader.skip(wireType)
                continue
            }
            guard wireType == .lengthDelimited else {
                throw KubeProtobufError(
                    "protobuf TypeMeta field \(number) has wire type \(wireType.rawValue), expected 2")
            }
            let payload = try reader.readLengthDelimited()
            if number == 1 {
                apiVersion = try decodeUTF8(bytes, payload, path: "apiVersion")
            } else {
                kind = try decodeUTF8(bytes, payload, path: "kind")
            }
        }
    }
}

/// Protobuf strings must be UTF-8; rejecting bad bytes here keeps them from turning into replacement characters
/// in stored objects.
func decodeUTF8(_ bytes: [UInt8], _ range: Range<Int>, path: String) throws(KubeProtobufError) -> String {
    guard let string = String(validating: bytes[range], as: UTF8.self) else {
        throw KubeProtobufError("\(path.isEmpty ? "string" : path) is not valid UTF-8")
    }
    return string
}
