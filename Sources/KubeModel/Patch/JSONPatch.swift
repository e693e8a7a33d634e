/// RFC 6902 JSON patch (`application/json-patch+json`), addressed with RFC 6901 JSON pointers.
///
/// kubectl sends it for `patch --type json` and for `rollout undo` of a Deployment (two `replace` operations on
/// `/spec/template` and `/metadata/annotations`). Operations apply in order to a working copy, so a failing
/// operation leaves the caller's object untouched.
public enum JSONPatch {
    /// kube-apiserver's cap on operations in one patch, which bounds the work a single request can demand.
    public static let maxOperations = 10_000

    public static func apply(_ patch: JSONValue, to target: JSONValue) throws(PatchError) -> JSONValue {
        guard case .array(let operations) = patch else {
            throw .malformed(format: .jsonPatch, path: "", reason: "the patch must be a JSON array of operations")
        }
        guard operations.count <= maxOperations else {
            throw .tooManyOperations(count: operations.count, limit: maxOperations)
        }
        var document = target
        for (index, operation) in operations.enumerated() {
            guard case .object(let fields) = operation else {
                throw .malformed(format: .jsonPatch, path: "", reason: "operation \(index) is not a JSON object")
            }
            try apply(operation: fields, index: index, to: &document)
        }
        return document
    }

    private static func apply(operation: [String: JSONValue], index: Int, to document: inout JSONValue)
        throws(PatchError)
    {
        guard let opValue = operation["op"] else { throw unprocessable("", "operation \(index) has no \"op\"") }
        guard case .string(let op) = opValue else {
            throw unprocessable("", "operation \(index) has an \"op\" that is not a string")
        }
        let pathText = try stringMember("path", of: operation, op: op, index: index)
        let path = try JSONPointer(parsing: pathText)

        switch op {
        case "add":
            try path.add(try value(of: operation, op: op, index: index), to: &document)
        case "remove":
            _ = try path.remove(from: &document)
        case "replace":
            try path.replace(with: try value(of: operation, op: op, index: index), in: &document)
        case "move":
            let fromText = try stringMember("from", of: operation, op: op, index: index)
            let from = try JSONPointer(parsing: fromText)
            if from == path { _ = try from.get(from: document); return }
            if from.isProperPrefix(of: path) {
                throw unprocessable(pathText, "cannot move \(fromText) into one of its own children")
            }
            let moved = try from.remove(from: &document)
            try path.add(moved, to: &document)
        case "copy":
            let fromText = try stringMember("from", of: operation, op: op, index: index)
            let copied = try JSONPointer(parsing: fromText).get(from: document)
            try path.add(copied, to: &document)
        case "test":
            let expected = try value(of: operation, op: op, index: index)
            let actual = try path.get(from: document)
            guard PatchValues.equal(actual, expected) else {
                throw unprocessable(pathText, "test operation failed")
            }
        default:
            throw unprocessable("", "operation \(index) has unknown op \"\(op)\"")
        }
    }

    private static func stringMember(_ name: String, of operation: [String: JSONValue], op: String, index: Int)
        throws(PatchError) -> String
    {
        guard let member = operation[name] else {
            throw unprocessable("", "\(op) operation \(index) has no \"\(name)\"")
        }
        guard case .string(let text) = member else {
            throw unprocessable("", "\(op) operation \(index) has a \"\(name)\" that is not a string")
        }
        return text
    }

    /// The `value` member; an explicit `null` is a value, so only absence is an error.
    private static func value(of operation: [String: JSONValue], op: String, index: Int) throws(PatchError)
        -> JSONValue
    {
        guard let value = operation["value"] else {
            throw unprocessable("", "\(op) operation \(index) has no \"value\"")
        }
        return value
    }

    static func unprocessable(_ path: String, _ reason: String) -> PatchError {
        .unprocessable(format: .jsonPatch, path: path, reason: reason)
    }
}

/// An RFC 6901 JSON pointer, decoded into reference tokens.
///
/// Mutations recurse through `inout` values rather than returning rebuilt trees, so unchanged siblings are not
/// copied at each level (Swift's copy-on-write keeps them shared).
public struct JSONPointer: Sendable, Hashable, CustomStringConvertible {
    public let tokens: [String]

    public init(tokens: [String]) { self.tokens = tokens }

    public init(parsing text: String) throws(PatchError) {
        if text.isEmpty {
            tokens = []
            return
        }
        guard text.first == "/" else {
            throw JSONPatch.unprocessable(text, "a JSON pointer must be empty or start with \"/\"")
        }
        var result: [String] = []
        for raw in text.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            var token = ""
            var iterator = raw.makeIterator()
            while let c = iterator.next() {
                guard c == "~" else {
                    token.append(c)
                    continue
                }
                // "~01" must decode to "~1", so escapes are decoded left to right in one pass.
                switch iterator.next() {
                case "0": token.append("~")
                case "1": token.append("/")
                default: throw JSONPatch.unprocessable(text, "\"~\" must be followed by 0 or 1 in a JSON pointer")
                }
            }
            result.append(token)
        }
        tokens = result
    }

    public var description: String {
        tokens.map { "/" + $0.replacingTildeAndSlash() }.joined()
    }

    func isProperPrefix(of other: JSONPointer) -> Bool {
        tokens.count < other.tokens.count && Array(other.tokens.prefix(tokens.count)) == tokens
    }

    public func get(from document: JSONValue) throws(PatchError) -> JSONValue {
        var current = document
        for (depth, token) in tokens.enumerated() {
            switch current {
            case .object(let fields):
                guard let next = fields[token] else { throw missing(depth) }
                current = next
            case .array(let items):
                let index = try existingIndex(token, count: items.count, depth: depth)
                current = items[index]
            default:
                throw missing(depth)
            }
        }
        return current
    }

    func add(_ value: JSONValue, to document: inout JSONValue) throws(PatchError) {
        guard !tokens.isEmpty else {
            document = value
            return
        }
        try modifyParent(of: &document, depth: 0) { (container: inout JSONValue, token: String) throws(PatchError) in
            switch container {
            case .object(var fields):
                fields[token] = value
                container = .object(fields)
            case .array(var items):
                let index: Int
                if token == "-" {
                    index = items.count
                } else {
                    // Adding may target one past the end (an append), unlike every other operation.
                    index = try parseIndex(token, depth: tokens.count - 1)
                    guard index <= items.count else { throw outOfRange(token, count: items.count) }
                }
                items.insert(value, at: index)
                container = .array(items)
            default:
                throw missing(tokens.count - 1)
            }
        }
    }

    func remove(from document: inout JSONValue) throws(PatchError) -> JSONValue {
        guard !tokens.isEmpty else {
            throw JSONPatch.unprocessable("", "cannot remove the whole document")
        }
        var removed: JSONValue = .null
        try modifyParent(of: &document, depth: 0) { (container: inout JSONValue, token: String) throws(PatchError) in
            switch container {
            case .object(var fields):
                guard let old = fields.removeValue(forKey: token) else { throw missing(tokens.count - 1) }
                removed = old
                container = .object(fields)
            case .array(var items):
                let index = try existingIndex(token, count: items.count, depth: tokens.count - 1)
                removed = items.remove(at: index)
                container = .array(items)
            default:
                throw missing(tokens.count - 1)
            }
        }
        return removed
    }

    func replace(with value: JSONValue, in document: inout JSONValue) throws(PatchError) {
        guard !tokens.isEmpty else {
            document = value
            return
        }
        try modifyParent(of: &document, depth: 0) { (container: inout JSONValue, token: String) throws(PatchError) in
            switch container {
            case .object(var fields):
                guard fields[token] != nil else { throw missing(tokens.count - 1) }
                fields[token] = value
                container = .object(fields)
            case .array(var items):
                let index = try existingIndex(token, count: items.count, depth: tokens.count - 1)
                items[index] = value
                container = .array(items)
            default:
                throw missing(tokens.count - 1)
            }
        }
    }

    /// Walks to the container holding the last token and lets `body` change it in place.
    private func modifyParent(
        of node: inout JSONValue, depth: Int,
        _ body: (inout JSONValue, String) throws(PatchError) -> Void
    ) throws(PatchError) {
        let token = tokens[depth]
        if depth == tokens.count - 1 {
            try body(&node, token)
            return
        }
        switch node {
        case .object(var fields):
            guard var child = fields[token] else { throw missing(depth) }
            // Release the parent's reference before mutating so the child is not copied.
            fields[token] = nil
            node = .null
            defer {
                fields[token] = child
                node = .object(fields)
            }
            try modifyParent(of: &child, depth: depth + 1, body)
        case .array(var items):
            let index = try existingIndex(token, count: items.count, depth: depth)
            var child = items[index]
            items[index] = .null
            node = .null
            defer {
                items[index] = child
                node = .array(items)
            }
            try modifyParent(of: &child, depth: depth + 1, body)
        default:
            throw missing(depth)
        }
    }

    private func existingIndex(_ token: String, count: Int, depth: Int) throws(PatchError) -> Int {
        if token == "-" { throw outOfRange(token, count: count) }
        let index = try parseIndex(token, depth: depth)
        guard index < count else { throw outOfRange(token, count: count) }
        return index
    }

    /// Array indices are decimal without leading zeros (RFC 6901 section 4), so "01" and "+1" are rejected.
    private func parseIndex(_ token: String, depth: Int) throws(PatchError) -> Int {
        let digits = token.utf8
        guard !digits.isEmpty, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            token == "0" || digits.first != UInt8(ascii: "0"), let index = Int(token)
        else {
            throw JSONPatch.unprocessable(prefix(depth + 1), "\"\(token)\" is not a valid array index")
        }
        return index
    }

    private func prefix(_ count: Int) -> String {
        JSONPointer(tokens: Array(tokens.prefix(count))).description
    }

    private func missing(_ depth: Int) -> PatchError {
        let reached = prefix(depth + 1)
        let full = description
        let reason = reached == full ? "path does not exist" : "path does not exist (\(reached) is missing)"
        return JSONPatch.unprocessable(full, reason)
    }

    private func outOfRange(_ token: String, count: Int) -> PatchError {
        JSONPatch.unprocessable(description, "array index \(token) is out of range for an array of \(count)")
    }
}

extension String {
    fileprivate func replacingTildeAndSlash() -> String {
        var out = ""
        for c in self {
            switch c {
            case "~": out += "~0"
            case "/": out += "~1"
            default: out.append(c)
            }
        }
        return out
    }
}
