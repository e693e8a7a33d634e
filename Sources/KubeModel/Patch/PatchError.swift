/// The four ways a client can ask the server to change an object in place.
///
/// Carried by `PatchError` so that one error type can serve every PATCH content type and still say which
/// format the client sent, because kubectl prints the server's message verbatim.
public enum PatchFormat: String, Sendable, Equatable, CaseIterable {
    case jsonPatch = "json patch"
    case mergePatch = "merge patch"
    case strategicMergePatch = "strategic merge patch"
    case serverSideApply = "server-side apply"
}

/// Why a patch could not be applied.
///
/// Split into cases by the HTTP status kube-apiserver answers with, so the API layer can map an error to a
/// `Status` without inspecting message text: a body that is not a patch of its format at all is a 400, a
/// well-formed patch that does not fit the object is a 422, and an oversized JSON patch is a 413.
public enum PatchError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The patch document itself is malformed (kube-apiserver: 400 Bad Request).
    case malformed(format: PatchFormat, path: String, reason: String)
    /// The patch is well-formed but cannot be applied to this object (kube-apiserver: 422 Unprocessable Entity).
    case unprocessable(format: PatchFormat, path: String, reason: String)
    /// A JSON patch with more operations than kube-apiserver accepts (413 Request Entity Too Large).
    case tooManyOperations(count: Int, limit: Int)

    /// The HTTP status kube-apiserver uses for the same failure.
    public var httpStatus: Int {
        switch self {
        case .malformed: return 400
        case .unprocessable: return 422
        case .tooManyOperations: return 413
        }
    }

    /// Where in the patch or object the problem is: a JSON pointer for JSON patch, a dotted path with list
    /// indices (`spec.ports[1]`) otherwise; empty for the document root.
    public var path: String {
        switch self {
        case .malformed(_, let path, _), .unprocessable(_, let path, _): return path
        case .tooManyOperations: return ""
        }
    }

    public var description: String {
        switch self {
        case .malformed(let format, let path, let reason), .unprocessable(let format, let path, let reason):
            return path.isEmpty ? "\(format.rawValue): \(reason)" : "\(format.rawValue): \(reason) at \(path)"
        case .tooManyOperations(let count, let limit):
            return "The allowed maximum operations in a JSON patch is \(limit), got \(count)"
        }
    }
}

/// Value comparisons shared by the patch engines.
enum PatchValues {
    /// JSON equality as RFC 6902 `test` defines it: numbers compare by value, so `1` equals `1.0`, and object
    /// members compare regardless of order. `JSONValue`'s own `==` keeps `.int` and `.double` apart, which is
    /// right for storage but wrong for a client that re-serialised a number.
    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.double(let x), .double(let y)): return x == y
        case (.int(let x), .double(let y)), (.double(let y), .int(let x)):
            // Compare in Double only when the integer converts exactly; otherwise they cannot be equal
            // unless the double is an exact integer in range.
            guard y.isFinite, y == y.rounded(.towardZero), y >= -9.223372036854775808e18, y < 9.223372036854775808e18
            else { return false }
            return Int64(y) == x
        case (.array(let x), .array(let y)):
            guard x.count == y.count else { return false }
            for (l, r) in zip(x, y) where !equal(l, r) { return false }
            return true
        case (.object(let x), .object(let y)):
            guard x.count == y.count else { return false }
            for (key, l) in x {
                guard let r = y[key], equal(l, r) else { return false }
            }
            return true
        default: return false
        }
    }

    static func isPrimitive(_ value: JSONValue) -> Bool {
        switch value {
        case .array, .object: return false
        default: return true
        }
    }

    /// A short rendering of a value for error messages, cut so a huge value cannot flood a Status message.
    static func brief(_ value: JSONValue) -> String {
        let text = JSONWriter.string(value)
        return text.count > 80 ? String(text.prefix(77)) + "..." : text
    }
}

/// A location inside a document being merged, kept two ways: the field names alone select the schema entry
/// (list elements add no step, because Kubernetes types never nest lists directly in lists), and the display
/// form with indices goes into error messages so a client can find the offending element.
struct PatchPath: Sendable {
    var fields: [String] = []
    var display: String = ""

    func child(_ field: String) -> PatchPath {
        PatchPath(fields: fields + [field], display: display.isEmpty ? field : display + "." + field)
    }

    func element(_ index: Int) -> PatchPath {
        PatchPath(fields: fields, display: display + "[\(index)]")
    }
}
