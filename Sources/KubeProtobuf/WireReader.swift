/// The protobuf wire types this decoder accepts.
///
/// Groups (wire types 3 and 4) are a long-deprecated proto2 feature that no Kubernetes type uses, so a body that
/// contains one is malformed for our purposes and is rejected instead of being skipped.
enum WireType: UInt8, Sendable {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case fixed32 = 5
}

/// A cursor over one protobuf message inside a shared byte buffer.
///
/// Nested messages get their own reader over a sub-range of the same array, so decoding never copies the body.
/// Every read is bounds-checked against `end` and reports truncation as an error, because the bytes come straight
/// from an HTTP request and must never be able to trap the server.
struct WireReader {
    /// The largest field number protobuf allows (2^29 - 1).
    static let maxFieldNumber: UInt64 = (1 << 29) - 1

    let bytes: [UInt8]
    private(set) var position: Int
    let end: Int

    /// Reads `range` of `bytes`, clamped to the buffer so that a bad range cannot lead to an out-of-bounds access.
    init(_ bytes: [UInt8], range: Range<Int>) {
        self.bytes = bytes
        let upper = min(max(range.upperBound, 0), bytes.count)
        self.position = min(max(range.lowerBound, 0), upper)
        self.end = upper
    }

    init(_ bytes: [UInt8]) {
        self.init(bytes, range: 0..<bytes.count)
    }

    var isAtEnd: Bool { position >= end }

    mutating func readVarint() throws(KubeProtobufError) -> UInt64 {
        let start = position
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else {
                throw KubeProtobufError("truncated varint at byte \(start)")
            }
            let byte = bytes[position]
            position += 1
            // The tenth byte may only carry the 64th bit; anything more would overflow a UInt64.
            if shift == 63 && byte > 1 {
                throw KubeProtobufError("varint at byte \(start) is longer than 10 bytes or overflows 64 bits")
            }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// Reads a field key. Field number 0 and numbers past 2^29 - 1 are invalid in every protobuf message.
    mutating func readTag() throws(KubeProtobufError) -> (number: Int, wireType: WireType) {
        let start = position
        let key = try readVarint()
        let number = key >> 3
        guard number >= 1, number <= Self.maxFieldNumber else {
            throw KubeProtobufError("invalid field number \(number) at byte \(start)")
        }
        guard let wireType = WireType(rawValue: UInt8(key & 7)) else {
            throw KubeProtobufError("unsupported wire type \(key & 7) for field \(number) at byte \(start)")
        }
        return (Int(number), wireType)
    }

    mutating func readFixed64() throws(KubeProtobufError) -> UInt64 {
        guard end - position >= 8 else { throw KubeProtobufError("truncated 64-bit value at byte \(position)") }
        var value: UInt64 = 0
        for index in 0..<8 {
            value |= UInt64(bytes[position + index]) << UInt64(8 * index)
        }
        position += 8
        return value
    }

    mutating func readFixed32() throws(KubeProtobufError) -> UInt32 {
        guard end - position >= 4 else { throw KubeProtobufError("truncated 32-bit value at byte \(position)") }
        var value: UInt32 = 0
        for index in 0..<4 {
            value |= UInt32(bytes[position + index]) << UInt32(8 * index)
        }
        position += 4
        return value
    }

    /// Reads a length prefix and returns the range of the payload that follows it, leaving the cursor after it.
    mutating func readLengthDelimited() throws(KubeProtobufError) -> Range<Int> {
        let start = position
        let length = try readVarint()
        guard length <= UInt64(end - position) else {
            throw KubeProtobufError("length \(length) at byte \(start) runs past the end of its message")
        }
        let range = position..<(position + Int(length))
        position = range.upperBound
        return range
    }

    /// Skips the value of a field this decoder does not know, which protobuf requires readers to tolerate.
    mutating func skip(_ wireType: WireType) throws(KubeProtobufError) {
        switch wireType {
        case .varint: _ = try readVarint()
        case .fixed64: _ = try readFixed64()
        case .lengthDelimited: _ = try readLengthDelimited()
        case .fixed32: _ = try readFixed32()
        }
    }
}
