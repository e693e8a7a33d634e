/// The location of a field inside an object, rendered the way `field.Path` renders it (`spec.ports[0].port`,
/// `metadata.labels[app]`), because that text is the `field` of every StatusCause and prefixes every message.
public struct FieldPath: Sendable, Hashable, CustomStringConvertible {
    private var text: String
    /// True only for `none`: kube prints a nil path as `<nil>`, yet children of a nil path start afresh.
    private var isNil: Bool

    private init(text: String, isNil: Bool) {
        self.text = text
        self.isNil = isNil
    }

    /// The absent path. Errors raised without a path (e.g. a bad key in a label selector string) print it as
    /// `<nil>`, exactly as kube does.
    public static let none = FieldPath(text: "", isNil: true)

    public static func root(_ name: String, _ more: String...) -> FieldPath {
        var path = FieldPath(text: name, isNil: false)
        for name in more { path = path.child(name) }
        return path
    }

    public func child(_ name: String, _ more: String...) -> FieldPath {
        var path = FieldPath(text: isNil ? name : text + "." + name, isNil: false)
        for name in more { path = path.child(name) }
        return path
    }

    public func index(_ i: Int) -> FieldPath {
        FieldPath(text: (isNil ? "" : text) + "[\(i)]", isNil: false)
    }

    public func key(_ key: String) -> FieldPath {
        FieldPath(text: (isNil ? "" : text) + "[" + key + "]", isNil: false)
    }

    public var description: String { isNil ? "<nil>" : text }
}
