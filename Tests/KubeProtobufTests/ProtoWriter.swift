import KubeModel
import KubeProtobuf
import Testing

/// A minimal protobuf encoder for building test bodies field by field, laid out the way Go's Kubernetes
/// marshaller writes them (scalars as varints, everything else length-delimited, maps as {1 key, 2 value} entries).
struct ProtoWriter {
    private(set) var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    mutating func key(_ field: Int, _ wireType: UInt8) {
        varint(UInt64(field) << 3 | UInt64(wireType))
    }

    /// int32 and int64 alike: negative numbers are sign-extended to ten bytes, as Go does.
    mutating func int(_ field: Int, _ value: Int64) {
        key(field, 0)
        varint(UInt64(bitPattern: value))
    }

    mutating func bool(_ field: Int, _ value: Bool) {
        int(field, value ? 1 : 0)
    }

    mutating func string(_ field: Int, _ value: String) {
        raw(field, Array(value.utf8))
    }

    mutating func raw(_ field: Int, _ value: [UInt8]) {
        key(field, 2)
        varint(UInt64(value.count))
        bytes += value
    }

    mutating func fixed32(_ field: Int, _ value: UInt32) {
        key(field, 5)
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    mutating func fixed64(_ field: Int, _ value: UInt64) {
        key(field, 1)
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    mutating func message(_ field: Int, _ build: (inout ProtoWriter) -> Void) {
        var inner = ProtoWriter()
        build(&inner)
        raw(field, inner.bytes)
    }

    mutating func mapEntry(_ field: Int, _ key: String, _ value: String) {
        message(field) {
            $0.string(1, key)
            $0.string(2, value)
        }
    }

    mutating func quantityEntry(_ field: Int, _ key: String, _ value: String) {
        message(field) {
            $0.string(1, key)
            $0.message(2) { $0.string(1, value) }
        }
    }

    /// An IntOrString holding a number, with all three fields written as Go does.
    mutating func intOrString(_ field: Int, int value: Int32) {
        message(field) {
            $0.int(1, 0)
            $0.int(2, Int64(value))
            $0.string(3, "")
        }
    }

    mutating func intOrString(_ field: Int, string value: String) {
        message(field) {
            $0.int(1, 1)
            $0.int(2, 0)
            $0.string(3, value)
        }
    }

    /// A metav1.Time as Go writes it: seconds and a zero nanos.
    mutating func time(_ field: Int, seconds: Int64) {
        message(field) {
            $0.int(1, seconds)
            $0.int(2, 0)
        }
    }

    /// The whole request body: magic, then runtime.Unknown around the object message.
    static func envelope(
        apiVersion: String, kind: String, _ build: (inout ProtoWriter) -> Void
    ) -> [UInt8] {
        var object = ProtoWriter()
        build(&object)
        return envelope(apiVersion: apiVersion, kind: kind, raw: object.bytes)
    }

    static func envelope(apiVersion: String, kind: String, raw: [UInt8]) -> [UInt8] {
        var unknown = ProtoWriter()
        unknown.message(1) {
            $0.string(1, apiVersion)
            $0.string(2, kind)
        }
        unknown.raw(2, raw)
        unknown.string(3, "")
        unknown.string(4, "")
        return KubeProtobuf.magic + unknown.bytes
    }
}

/// Parses test fixture hex, ignoring whitespace; nil on any non-hex character or an odd digit count.
func decodeHex(_ text: String) -> [UInt8]? {
    var result: [UInt8] = []
    var high: UInt8?
    for scalar in text.unicodeScalars where !scalar.properties.isWhitespace {
        guard let nibble = hexValue(scalar) else { return nil }
        if let first = high {
            result.append(first << 4 | nibble)
            high = nil
        } else {
            high = nibble
        }
    }
    return high == nil ? result : nil
}

private func hexValue(_ scalar: Unicode.Scalar) -> UInt8? {
    switch scalar.value {
    case 0x30...0x39: return UInt8(scalar.value - 0x30)
    case 0x61...0x66: return UInt8(scalar.value - 0x61 + 10)
    case 0x41...0x46: return UInt8(scalar.value - 0x41 + 10)
    default: return nil
    }
}

/// Decodes and compares with the expected JSON text, printing both sides sorted when they differ.
func expectDecodes(
    _ bytes: [UInt8], to expectedJSON: String, sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let expected = try JSONParser.parse(expectedJSON)
    let decoded = try KubeProtobuf.decode(bytes)
    #expect(
        decoded == expected,
        "decoded \(JSONWriter.string(decoded))\nexpected \(JSONWriter.string(expected))",
        sourceLocation: sourceLocation)
}

/// A small deterministic generator (xorshift64*), so that fuzz-style loops are reproducible run to run.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed
    }

    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
}
