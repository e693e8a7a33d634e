/// A label or field selector that could not be parsed or built; `message` is kube's own wording, which the API
/// server returns as the message of a 400 BadRequest (e.g. `unable to parse requirement: found '', expected: ...`).
public struct SelectorError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// `metadata.labels` of an object; a missing or malformed map reads as no labels, and non-string values are
/// skipped, since a stored object has already been validated and matching must never fail.
public func labelsOf(_ object: JSONValue) -> [String: String] {
    guard let fields = object["metadata"]?["labels"]?.objectValue else { return [:] }
    var labels: [String: String] = [:]
    labels.reserveCapacity(fields.count)
    for (key, value) in fields {
        if let s = value.stringValue { labels[key] = s }
    }
    return labels
}
