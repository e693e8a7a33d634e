/// One validation failure, shaped like `field.Error` so that messages, StatusCauses and the 422 text match
/// kube-apiserver (Kubernetes 1.32 wording) and kubectl shows users what they would see against a real cluster.
public struct FieldError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The machine-readable cause type; the raw value is what a StatusCause carries in `reason`.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case required = "FieldValueRequired"
        case invalid = "FieldValueInvalid"
        case notSupported = "FieldValueNotSupported"
        case duplicate = "FieldValueDuplicate"
        case forbidden = "FieldValueForbidden"
        case tooLong = "FieldValueTooLong"
        case tooMany = "FieldValueTooMany"
        case notFound = "FieldValueNotFound"
        case typeInvalid = "FieldValueTypeInvalid"
        case `internal` = "InternalError"

        /// The human-readable lead of the message (`ErrorType.String()` upstream).
        public var title: String {
            switch self {
            case .required: "Required value"
            case .invalid, .typeInvalid: "Invalid value"
            case .notSupported: "Unsupported value"
            case .duplicate: "Duplicate value"
            case .forbidden: "Forbidden"
            case .tooLong: "Too long"
            case .tooMany: "Too many"
            case .notFound: "Not found"
            case .internal: "Internal error"
            }
        }

        /// Kinds whose message never shows the value (kube omits it for these whatever was passed).
        var omitsValue: Bool {
            switch self {
            case .required, .forbidden, .tooLong, .internal: true
            default: false
            }
        }
    }

    public var kind: Kind
    /// The rendered path, e.g. `spec.ports[0].port`.
    public var field: String
    /// The offending value; nil means "not shown" (kube's omitted value), while `.null` prints as `"null"`
    /// (quoted: kube 1.32 substitutes the string "null" for a nil value).
    public var badValue: JSONValue?
    public var detail: String
    /// Text printed verbatim in place of `badValue`. Kube 1.32 prints some bad values in Go syntax
    /// (`map[string]string{"app":"web"}`, `[]string(nil)`) that no JSON value renders as; see `GoFormat.goSyntax`.
    public var renderedBadValue: String?

    public init(kind: Kind, field: String, badValue: JSONValue?, detail: String, renderedBadValue: String? = nil) {
        self.kind = kind
        self.field = field
        self.badValue = badValue
        self.detail = detail
        self.renderedBadValue = renderedBadValue
    }

    /// The message without the field (`ErrorBody()` upstream); this is the `message` of a StatusCause.
    public var body: String {
        var s = kind.title
        if !kind.omitsValue {
            if let renderedBadValue {
                s += ": " + renderedBadValue
            } else if let badValue {
                s += ": " + Self.render(badValue)
            }
        }
        if !detail.isEmpty { s += ": " + detail }
        return s
    }

    /// `field: body`, the text kube puts in aggregate messages.
    public var message: String { field + ": " + body }

    public var description: String { message }

    /// Scalars print as Go's `%v`/`%q` print them; compound values as compact JSON with sorted keys (what
    /// current kube prints; 1.32 printed Go syntax for typed values — pass `renderedBadValue` when that matters).
    static func render(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): GoFormat.quote(s)
        case .int(let i): String(i)
        case .double(let d): GoFormat.float(d)
        case .bool(let b): b ? "true" : "false"
        case .null: "\"null\""  // 1.32 turns a nil value into the string "null" before quoting it
        case .array, .object: JSONWriter.string(value)
        }
    }
}

extension FieldError {
    public static func required(_ path: FieldPath, _ detail: String = "") -> FieldError {
        FieldError(kind: .required, field: path.description, badValue: nil, detail: detail)
    }

    public static func invalid(_ path: FieldPath, _ value: JSONValue, _ detail: String) -> FieldError {
        FieldError(kind: .invalid, field: path.description, badValue: value, detail: detail)
    }

    /// An invalid-value error whose value is printed verbatim (for Go-syntax values kube prints with `%#v`).
    public static func invalid(_ path: FieldPath, rendered: String, _ detail: String) -> FieldError {
        FieldError(kind: .invalid, field: path.description, badValue: nil, detail: detail, renderedBadValue: rendered)
    }

    /// `validValues` are listed in the order given; kube callers pass them sorted (e.g. `"SCTP", "TCP", "UDP"`).
    public static func notSupported(_ path: FieldPath, _ value: JSONValue, _ validValues: [String]) -> FieldError {
        let detail = validValues.isEmpty
            ? "" : "supported values: " + validValues.map(GoFormat.quote).joined(separator: ", ")
        return FieldError(kind: .notSupported, field: path.description, badValue: value, detail: detail)
    }

    public static func duplicate(_ path: FieldPath, _ value: JSONValue) -> FieldError {
        FieldError(kind: .duplicate, field: path.description, badValue: value, detail: "")
    }

    public static func forbidden(_ path: FieldPath, _ detail: String) -> FieldError {
        FieldError(kind: .forbidden, field: path.description, badValue: nil, detail: detail)
    }

    /// A negative `maxLength` means the limit is not stated.
    public static func tooLong(_ path: FieldPath, maxLength: Int) -> FieldError {
        let detail = maxLength >= 0 ? "may not be more than \(maxLength) bytes" : "value is too long"
        return FieldError(kind: .tooLong, field: path.description, badValue: nil, detail: detail)
    }

    /// A negative `actual` leaves the count out of the message; a negative `max` leaves the limit out.
    public static func tooMany(_ path: FieldPath, actual: Int, max: Int) -> FieldError {
        let detail = max >= 0 ? "must have at most \(max) items" : "has too many items"
        return FieldError(kind: .tooMany, field: path.description,
                          badValue: actual >= 0 ? .int(Int64(actual)) : nil, detail: detail)
    }

    public static func notFound(_ path: FieldPath, _ value: JSONValue) -> FieldError {
        FieldError(kind: .notFound, field: path.description, badValue: value, detail: "")
    }

    public static func typeInvalid(_ path: FieldPath, _ value: JSONValue, _ detail: String) -> FieldError {
        FieldError(kind: .typeInvalid, field: path.description, badValue: value, detail: detail)
    }

    public static func `internal`(_ path: FieldPath, _ detail: String) -> FieldError {
        FieldError(kind: .internal, field: path.description, badValue: nil, detail: detail)
    }
}

public typealias FieldErrors = [FieldError]

extension Array where Element == FieldError {
    /// The text of `ErrorList.ToAggregate()`: one message alone, several in brackets joined by ", ", repeats dropped;
    /// nil for no errors.
    public var aggregateMessage: String? {
        var seen = Set<String>()
        var messages: [String] = []
        for error in self {
            let message = error.message
            if seen.insert(message).inserted { messages.append(message) }
        }
        switch messages.count {
        case 0: return nil
        case 1: return messages[0]
        default: return "[" + messages.joined(separator: ", ") + "]"
        }
    }
}

/// The message of the 422 `Invalid` Status kube-apiserver answers for a rejected object, e.g.
/// `Service "web" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive`.
/// `group` is empty for the core group; otherwise the kind is qualified as kube does (`Deployment.apps "web" ...`).
public func invalidMessage(kind: String, group: String = "", name: String, errors: FieldErrors) -> String {
    let qualifiedKind = group.isEmpty ? kind : kind + "." + group
    let head = qualifiedKind + " " + GoFormat.quote(name) + " is invalid"
    guard let aggregate = errors.aggregateMessage else { return head }
    return head + ": " + aggregate
}
