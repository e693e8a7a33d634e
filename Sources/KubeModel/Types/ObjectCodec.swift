import Foundation

/// Converts between stored JSON values and the typed API structs, and finds the fields a request carried that the
/// typed schema does not know.
public enum ObjectCodec {
    /// A body that is JSON but not the right shape: a field of the wrong type.
    public struct ShapeError: Error, Sendable, Equatable, CustomStringConvertible {
        /// Dotted field path, e.g. `spec.ports[0].port`.
        public var field: String
        public var message: String
        public var description: String { field.isEmpty ? message : "\(field): \(message)" }
    }

    public static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws(ShapeError) -> T {
        let data = Data(JSONWriter.bytes(value))
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw shapeError(error)
        } catch {
            throw ShapeError(field: "", message: "\(error)")
        }
    }

    public static func encode<T: Encodable>(_ value: T) -> JSONValue {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        guard let data = try? encoder.encode(value), let json = try? JSONParser.parse(data) else {
            // Encoding plain Codable structs of strings, numbers and JSONValue cannot fail.
            return .object([:])
        }
        return json
    }

    /// Decodes then re-encodes: the normalised stored form of a typed object.
    public static func normalize<T: Codable>(_ type: T.Type, _ value: JSONValue) throws(ShapeError) -> (T, JSONValue) {
        let typed = try decode(type, from: value)
        return (typed, encode(typed))
    }

    /// Paths of keys present in `input` (with a non-null value) that are absent from `decoded`, which is `input`
    /// after a typed decode and encode. Those are the fields the schema does not know.
    public static func unknownFields(input: JSONValue, decoded: JSONValue) -> [String] {
        var out: [String] = []
        collectUnknown(input, decoded, path: "", into: &out)
        return out.sorted()
    }

    private static func collectUnknown(_ input: JSONValue, _ decoded: JSONValue, path: String, into out: inout [String]) {
        switch (input, decoded) {
        case (.object(let a), .object(let b)):
            for (key, value) in a {
                let child = path.isEmpty ? key : "\(path).\(key)"
                if let other = b[key] {
                    collectUnknown(value, other, path: child, into: &out)
                } else if !value.isNull {
                    out.append(child)
                }
            }
        case (.object(let a), _):
            // A JSONValue passthrough field keeps everything, so a mismatch here means a typed field ate it.
            for (key, value) in a where !value.isNull { out.append(path.isEmpty ? key : "\(path).\(key)") }
        case (.array(let a), .array(let b)):
            for (i, value) in a.enumerated() where i < b.count {
                collectUnknown(value, b[i], path: "\(path)[\(i)]", into: &out)
            }
        default:
            break
        }
    }

    static func shapeError(_ error: DecodingError) -> ShapeError {
        func render(_ path: [any CodingKey]) -> String {
            var s = ""
            for key in path {
                if let i = key.intValue {
                    s += "[\(i)]"
                } else {
                    s += s.isEmpty ? key.stringValue : ".\(key.stringValue)"
                }
            }
            return s
        }
        switch error {
        case .typeMismatch(let type, let ctx):
            return ShapeError(field: render(ctx.codingPath), message: "Invalid value: expected \(typeName(type))")
        case .valueNotFound(let type, let ctx):
            return ShapeError(field: render(ctx.codingPath), message: "Invalid value: null, expected \(typeName(type))")
        case .keyNotFound(let key, let ctx):
            return ShapeError(field: render(ctx.codingPath + [key]), message: "Required value")
        case .dataCorrupted(let ctx):
            return ShapeError(field: render(ctx.codingPath), message: "Invalid value: \(ctx.debugDescription)")
        @unknown default:
            return ShapeError(field: "", message: "\(error)")
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "string"
        case is Int.Type, is Int64.Type, is Int32.Type: return "integer"
        case is Bool.Type: return "boolean"
        case is Double.Type: return "number"
        default:
            let n = String(describing: type)
            if n.hasPrefix("Array") { return "array" }
            if n.hasPrefix("Dictionary") { return "object" }
            return "object"
        }
    }
}
