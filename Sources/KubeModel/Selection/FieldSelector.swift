/// A field selector (`?fieldSelector=metadata.name=web,spec.nodeName!=n1`), with kube's `fields.ParseSelector`
/// rules: terms split on unescaped commas, operators `=`, `==`, `!=`, values unescaped (`\,` `\=` `\\`), and no
/// whitespace trimming. A field the object does not have reads as the empty string, so `spec.nodeName=` selects
/// unscheduled Pods. Which fields a resource supports is the caller's rule (see `checkSupported`).
public struct FieldSelector: Sendable, Hashable, CustomStringConvertible {
    public enum Operator: String, Sendable, Hashable {
        case equals = "="
        case doubleEquals = "=="
        case notEquals = "!="
    }

    public struct Requirement: Sendable, Hashable, CustomStringConvertible {
        public var field: String
        public var op: Operator
        public var value: String

        public init(field: String, op: Operator, value: String) {
            self.field = field
            self.op = op
            self.value = value
        }

        public func matches(_ fields: [String: String]) -> Bool {
            let actual = fields[field] ?? ""
            return op == .notEquals ? actual != value : actual == value
        }

        /// `field=value` or `field!=value` with the value escaped; `==` prints as `=`, as kube prints it.
        public var description: String {
            field + (op == .notEquals ? "!=" : "=") + FieldSelector.escape(value)
        }
    }

    /// In kube's order: terms sorted by their raw text.
    public var requirements: [Requirement]

    public init(requirements: [Requirement]) {
        self.requirements = requirements
    }

    public static let everything = FieldSelector(requirements: [])

    /// Requires each field to equal its value (kube's `fields.SelectorFromSet`), in sorted field order.
    public init(set: [String: String]) {
        self.init(requirements: set.sorted { $0.key < $1.key }.map { Requirement(field: $0.key, op: .equals, value: $0.value) })
    }

    public func matches(_ fields: [String: String]) -> Bool {
        requirements.allSatisfy { $0.matches(fields) }
    }

    public var isEmpty: Bool { requirements.isEmpty }

    public var description: String { requirements.map(\.description).joined(separator: ",") }

    /// The value an equality term demands for `field`, if any; lets a store narrow by `metadata.name` or
    /// `spec.nodeName` before matching.
    public func requiresExactMatch(_ field: String) -> String? {
        requirements.first { $0.field == field && $0.op != .notEquals }?.value
    }

    /// Fails with kube's `field label not supported: <field>` for the first term (in selector order) whose field is
    /// not in `supported` — what kube-apiserver answers (400) for a field a resource cannot be selected by.
    public func checkSupported(_ supported: Set<String>) throws(SelectorError) {
        if let bad = requirements.first(where: { !supported.contains($0.field) }) {
            throw SelectorError("field label not supported: " + bad.field)
        }
    }

    public static func parse(_ text: String) throws(SelectorError) -> FieldSelector {
        var requirements: [Requirement] = []
        for term in splitTerms(text).sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            if term.isEmpty { continue }
            guard let (field, op, rawValue) = splitTerm(term) else {
                throw SelectorError("invalid selector: '\(text)'; can't understand '\(term)'")
            }
            let value = try unescape(rawValue)
            // Upstream's Transform drops a term whose field and value are both empty, so "=" selects everything.
            if field.isEmpty && value.isEmpty { continue }
            requirements.append(Requirement(field: field, op: op, value: value))
        }
        return FieldSelector(requirements: requirements)
    }

    /// Splits on commas not escaped by a backslash; escapes stay in the terms.
    static func splitTerms(_ text: String) -> [String] {
        if text.isEmpty { return [] }
        var terms: [String] = []
        var current = ""
        var inSlash = false
        for ch in text.unicodeScalars {
            if inSlash {
                inSlash = false
            } else if ch == "\\" {
                inSlash = true
            } else if ch == "," {
                terms.append(current)
                current = ""
                continue
            }
            current.unicodeScalars.append(ch)
        }
        terms.append(current)
        return terms
    }

    /// The first operator occurrence splits the term (the field cannot contain one); `!=` and `==` win over `=`
    /// at the same position.
    static func splitTerm(_ term: String) -> (String, Operator, String)? {
        let bytes = Array(term.utf8)
        for i in bytes.indices {
            for op in [Operator.notEquals, .doubleEquals, .equals] {
                let opBytes = Array(op.rawValue.utf8)
                if bytes[i...].starts(with: opBytes) {
                    return (String(decoding: bytes[..<i], as: UTF8.self), op,
                            String(decoding: bytes[(i + opBytes.count)...], as: UTF8.self))
                }
            }
        }
        return nil
    }

    /// Kube's `fields.EscapeValue`.
    public static func escape(_ value: String) -> String {
        var out = ""
        for ch in value.unicodeScalars {
            if ch == "\\" || ch == "," || ch == "=" { out += "\\" }
            out.unicodeScalars.append(ch)
        }
        return out
    }

    /// Kube's `fields.UnescapeValue`, with its messages. Upstream prints the offending rune with `%v`, i.e. as a
    /// number: an unescaped `=` reads "unescaped character in value: 61".
    public static func unescape(_ value: String) throws(SelectorError) -> String {
        var out = ""
        var inSlash = false
        for ch in value.unicodeScalars {
            if inSlash {
                guard ch == "\\" || ch == "," || ch == "=" else {
                    throw SelectorError("invalid field selector: invalid escape sequence: \\" + String(ch))
                }
                out.unicodeScalars.append(ch)
                inSlash = false
                continue
            }
            switch ch {
            case "\\": inSlash = true
            case ",", "=": throw SelectorError("invalid field selector: unescaped character in value: \(ch.value)")
            default: out.unicodeScalars.append(ch)
            }
        }
        if inSlash { throw SelectorError("invalid field selector: invalid escape sequence: \\") }
        return out
    }
}
