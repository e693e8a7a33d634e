import KubeModel

/// One JSON object under construction.
///
/// Protobuf spreads a repeated field over any number of entries and lets a singular message field occur more than
/// once (the occurrences merge), so the object is kept in mutable pieces and turned into a `JSONValue` once it is
/// complete. Appending to an array already wrapped in a `JSONValue` would copy it for every element, which hostile
/// input could turn into quadratic work.
struct ObjectBuilder {
    var values: [String: JSONValue] = [:]
    var children: [String: ObjectBuilder] = [:]
    var lists: [String: [JSONValue]] = [:]
    var maps: [String: [String: JSONValue]] = [:]

    func build() -> JSONValue {
        var object = values
        for (key, child) in children { object[key] = child.build() }
        for (key, items) in lists { object[key] = .array(items) }
        for (key, entries) in maps { object[key] = .object(entries) }
        return .object(object)
    }
}

/// Walks protobuf messages of one body according to a `SchemaTable`.
struct MessageDecoder {
    let schema: SchemaTable
    let bytes: [UInt8]
    let maxDepth: Int

    /// Decodes message `name` stored in `range` into `object`, merging with what is already there as protobuf
    /// requires for repeated occurrences. `path` is the JSON path, used only in error messages.
    func decodeMessage(
        _ name: String, range: Range<Int>, into object: inout ObjectBuilder, depth: Int, path: String
    ) throws(KubeProtobufError) {
        guard depth <= maxDepth else {
            throw KubeProtobufError("protobuf message at \(describe(path)) is nested deeper than \(maxDepth) levels")
        }
        guard let message = schema.messages[name] else {
            throw KubeProtobufError("internal error: no protobuf schema for message \(name)")
        }
        var reader = WireReader(bytes, range: range)
        while !reader.isAtEnd {
            let (number, wireType) = try reader.readTag()
            guard let field = message.fields[number] else {
                try reader.skip(wireType)
                continue
            }
            let fieldPath = field.presence == .inline ? path : join(path, field.json)
            switch field.presence {
            case .inline:
                try expect(wireType, .lengthDelimited, at: fieldPath, number: number)
                let payload = try reader.readLengthDelimited()
                try decodeMessage(
                    field.type.messageName, range: payload, into: &object, depth: depth + 1, path: fieldPath)

            case .value, .pointer:
                if case .message(let inner) = field.type {
                    try expect(wireType, .lengthDelimited, at: fieldPath, number: number)
                    let payload = try reader.readLengthDelimited()
                    try decodeMessage(
                        inner, range: payload, into: &object.children[field.json, default: ObjectBuilder()],
                        depth: depth + 1, path: fieldPath)
                } else {
                    try expect(wireType, field.type.wireType, at: fieldPath, number: number)
                    let value = try decodeScalar(field.type, from: &reader, path: fieldPath)
                    if let value, field.presence == .pointer || !isZero(value, of: field.type) {
                        object.values[field.json] = value
                    } else {
                        object.values[field.json] = nil
                    }
                }

            case .list:
                if wireType == .lengthDelimited && field.type.wireType == .varint {
                    // Packed encoding: protobuf readers must accept it for repeated numbers even though Go's
                    // Kubernetes marshaller writes them unpacked.
                    let payload = try reader.readLengthDelimited()
                    var packed = WireReader(bytes, range: payload)
                    while !packed.isAtEnd {
                        let element = try decodeScalar(field.type, from: &packed, path: fieldPath) ?? .null
                        object.lists[field.json, default: []].append(element)
                    }
                } else {
                    try expect(wireType, field.type.wireType, at: fieldPath, number: number)
                    let index = object.lists[field.json]?.count ?? 0
                    let element = try decodeElement(
                        field.type, from: &reader, depth: depth + 1, path: "\(fieldPath)[\(index)]")
                    object.lists[field.json, default: []].append(element)
                }

            case .map:
                try expect(wireType, .lengthDelimited, at: fieldPath, number: number)
                let entry = try reader.readLengthDelimited()
                let (key, value) = try decodeMapEntry(field.type, range: entry, depth: depth + 1, path: fieldPath)
                object.maps[field.json, default: [:]][key] = value
            }
        }
    }

    /// A list element or map value: kept whatever its value, because zero means "unset" only for singular fields.
    private func decodeElement(
        _ type: FieldType, from reader: inout WireReader, depth: Int, path: String
    ) throws(KubeProtobufError) -> JSONValue {
        guard case .message(let name) = type else {
            return try decodeScalar(type, from: &reader, path: path) ?? .null
        }
        let payload = try reader.readLengthDelimited()
        var element = ObjectBuilder()
        try decodeMessage(name, range: payload, into: &element, depth: depth, path: path)
        return element.build()
    }

    /// Reads one map entry {1 key, 2 value}. Go writes both halves even when empty; a missing half takes the
    /// zero value, as protobuf specifies.
    private func decodeMapEntry(
        _ valueType: FieldType, range: Range<Int>, depth: Int, path: String
    ) throws(KubeProtobufError) -> (String, JSONValue) {
        guard depth <= maxDepth else {
            throw KubeProtobufError("protobuf message at \(describe(path)) is nested deeper than \(maxDepth) levels")
        }
        var reader = WireReader(bytes, range: range)
        var key = ""
        var value: JSONValue?
        while !reader.isAtEnd {
            let (number, wireType) = try reader.readTag()
            switch number {
            case 1:
                try expect(wireType, .lengthDelimited, at: path, number: number)
                key = try decodeUTF8(bytes, try reader.readLengthDelimited(), path: "a key of \(describe(path))")
            case 2:
                try expect(wireType, valueType.wireType, at: path, number: number)
                value = try decodeElement(valueType, from: &reader, depth: depth + 1, path: join(path, key))
            default:
                try reader.skip(wireType)
            }
        }
        return (key, value ?? valueType.zeroJSON)
    }

    /// Decodes a non-message field. Returns nil for a zero Time or an empty FieldsV1, which Go's JSON encoder
    /// writes as `null`, meaning "not set".
    private func decodeScalar(
        _ type: FieldType, from reader: inout WireReader, path: String
    ) throws(KubeProtobufError) -> JSONValue? {
        switch type {
        case .string:
            return .string(try decodeUTF8(bytes, try reader.readLengthDelimited(), path: describe(path)))
        case .int32:
            // Go's generated code keeps the low 32 bits; negative int32s arrive sign-extended to 10 bytes.
            return .int(Int64(Int32(truncatingIfNeeded: try reader.readVarint())))
        case .int64:
            return .int(Int64(bitPattern: try reader.readVarint()))
        case .bool:
            return .bool(try reader.readVarint() != 0)
        case .intOrString:
            return try decodeIntOrString(try reader.readLengthDelimited(), path: path)
        case .quantity:
            return try decodeQuantity(try reader.readLengthDelimited(), path: path)
        case .time:
            return try decodeTime(try reader.readLengthDelimited(), path: path)
        case .fieldsV1:
            return try decodeFieldsV1(try reader.readLengthDelimited(), path: path)
        case .message(let name):
            throw KubeProtobufError("internal error: message \(name) at \(describe(path)) decoded as a scalar")
        }
    }

    /// intstr.IntOrString {1 type (0 int, 1 string), 2 intVal, 3 strVal} becomes a bare JSON number or string.
    private func decodeIntOrString(_ range: Range<Int>, path: String) throws(KubeProtobufError) -> JSONValue {
        var reader = WireReader(bytes, range: range)
        var kind: UInt64 = 0
        var intValue: Int32 = 0
        var stringValue = ""
        while !reader.isAtEnd {
            let (number, wireType) = try reader.readTag()
            switch number {
            case 1:
                try expect(wireType, .varint, at: path, number: number)
                kind = try reader.readVarint()
            case 2:
                try expect(wireType, .varint, at: path, number: number)
                intValue = Int32(truncatingIfNeeded: try reader.readVarint())
            case 3:
                try expect(wireType, .lengthDelimited, at: path, number: number)
                stringValue = try decodeUTF8(bytes, try reader.readLengthDelimited(), path: describe(path))
            default:
                try reader.skip(wireType)
            }
        }
        switch kind {
        case 0: return .int(Int64(intValue))
        case 1: return .string(stringValue)
        default: throw KubeProtobufError("\(describe(path)) has IntOrString type \(kind); expected 0 or 1")
        }
    }

    /// resource.Quantity {1 string} carries the canonical text; a message without it is Go's zero Quantity, "0".
    private func decodeQuantity(_ range: Range<Int>, path: String) throws(KubeProtobufError) -> JSONValue {
        var reader = WireReader(bytes, range: range)
        var text = "0"
        while !reader.isAtEnd {
            let (number, wireType) = try reader.readTag()
            guard number == 1 else {
                try reader.skip(wireType)
                continue
            }
            try expect(wireType, .lengthDelimited, at: path, number: number)
            text = try decodeUTF8(bytes, try reader.readLengthDelimited(), path: describe(path))
        }
        return .string(text)
    }

    /// metav1.Time {1 seconds, 2 nanos}. Go writes a zero time as an empty message and ignores nanos when reading,
    /// because the JSON form has whole seconds only; this decoder does the same.
    private func decodeTime(_ range: Range<Int>, path: String) throws(KubeProtobufError) -> JSONValue? {
        guard !range.isEmpty else { return nil }
        var reader = WireReader(bytes, range: range)
        var seconds: Int64 = 0
        while !reader.isAtEnd {
            let (number, wireType) = try reader.readTag()
            switch number {
            case 1:
                try expect(wireType, .varint, at: path, number: number)
                seconds = Int64(bitPattern: try reader.readVarint())
            case 2:
                try expect(wireType, .varint, at: path, number: number)
                _ = try reader.readVarint()
            default:
                try reader.skip(wireType)
            }
        }
        guard let text = RFC3339.format(seconds: seconds) else {
            throw KubeProtobufError("\(describe(path)) is \(seconds) seconds, outside the years 0001 to 9999")
        }
        return .string(text)
    }

    /// metav1.FieldsV1 {1 Raw} holds the managed-fields set as JSON text, which is also its JSON form.
    private func decodeFieldsV1(_ range: Range<Int>, path: String) throws(KubeProtobufError) -> JSONValue? {
        var reader = WireReader(bytes, range: range)
        var raw: Range<Int>?
        while !reader.isAtEnd {
            let (number, wireType) = try reader.readTag()
            guard number == 1 else {
                try reader.skip(wireType)
                continue
            }
            try expect(wireType, .lengthDelimited, at: path, number: number)
            raw = try reader.readLengthDelimited()
        }
        guard let raw, !raw.isEmpty else { return nil }
        do {
            return try JSONParser.parse(bytes[raw])
        } catch {
            throw KubeProtobufError("\(describe(path)) is not valid JSON: \(error.message)")
        }
    }

    private func expect(
        _ actual: WireType, _ expected: WireType, at path: String, number: Int
    ) throws(KubeProtobufError) {
        guard actual == expected else {
            throw KubeProtobufError(
                "\(describe(path)) (field \(number)) has wire type \(actual.rawValue), expected \(expected.rawValue)")
        }
    }

    /// A Go value field at its zero value was written only because Go writes every value field; it means unset.
    /// A zero Quantity is written as "0" and a zero IntOrString as the integer 0.
    private func isZero(_ value: JSONValue, of type: FieldType) -> Bool {
        switch value {
        case .string(let text): return text.isEmpty || (type == .quantity && text == "0")
        case .int(let number): return number == 0
        case .bool(let flag): return !flag
        case .null: return true
        case .double, .array, .object: return false
        }
    }

    private func join(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    private func describe(_ path: String) -> String {
        path.isEmpty ? "the object" : path
    }
}

extension FieldType {
    /// The message an inline field embeds; inline rows always name one, so other types cannot reach here.
    var messageName: String {
        if case .message(let name) = self { return name }
        return ""
    }

    /// The value of a map entry whose value half is missing.
    var zeroJSON: JSONValue {
        switch self {
        case .string: return .string("")
        case .int32, .int64, .intOrString: return .int(0)
        case .bool: return .bool(false)
        case .quantity: return .string("0")
        case .time, .fieldsV1: return .null
        case .message: return .object([:])
        }
    }
}
