import KubeModel

/// How one resource is defaulted, validated, admitted and selected: the kind-specific half of every write.
/// The generic half (metadata, resourceVersion checks, storage, events) is `Registry`.
public protocol ResourceStrategy: Sendable {
    var resource: APIResource { get }
    /// Whether `status` is a subresource: writes to the main resource keep the stored status, and writes to
    /// `/status` change nothing but status.
    var hasStatusSubresource: Bool { get }

    /// Decodes the body into the typed schema and encodes it back: the stored form, and the type errors of fields.
    func normalize(_ object: JSONValue) throws(ObjectCodec.ShapeError) -> JSONValue

    /// Defaults filled in on create (before validation).
    func prepareForCreate(_ object: inout JSONValue)
    /// Defaults and carried-over fields on update (before validation).
    func prepareForUpdate(_ object: inout JSONValue, old: JSONValue)
    /// Field errors of an object; `old` is set for updates (immutable fields).
    func validate(_ object: JSONValue, old: JSONValue?) -> [FieldError]
    /// Runs inside the serialised store write, after validation: allocations that must not race.
    func admit(_ object: inout JSONValue, old: JSONValue?, registry: Registry) throws(APIError)
    /// The fields a field selector may name, with their values.
    func selectableFields(_ object: JSONValue) -> [String: String]
}

extension ResourceStrategy {
    public var hasStatusSubresource: Bool { resource.hasSubresource("status") }
    public func prepareForCreate(_ object: inout JSONValue) {}
    public func prepareForUpdate(_ object: inout JSONValue, old: JSONValue) {}
    public func validate(_ object: JSONValue, old: JSONValue?) -> [FieldError] { [] }
    public func admit(_ object: inout JSONValue, old: JSONValue?, registry: Registry) throws(APIError) {}
    public func selectableFields(_ object: JSONValue) -> [String: String] { baseSelectableFields(object) }

    public func baseSelectableFields(_ object: JSONValue) -> [String: String] {
        var f = ["metadata.name": object.value(at: ["metadata", "name"])?.stringValue ?? ""]
        if resource.namespaced {
            f["metadata.namespace"] = object.value(at: ["metadata", "namespace"])?.stringValue ?? ""
        }
        return f
    }
}

/// A strategy whose schema is a typed struct and which adds nothing else.
public struct TypedStrategy<T: KubeObject>: ResourceStrategy {
    public let resource: APIResource
    public init(_ resource: APIResource, _ type: T.Type) { self.resource = resource }
    public func normalize(_ object: JSONValue) throws(ObjectCodec.ShapeError) -> JSONValue {
        try ObjectCodec.normalize(T.self, object).1
    }
}

/// Validation shared by every kind: the object's name, labels and annotations.
enum MetadataValidation {
    static func validate(_ object: JSONValue, resource: APIResource, nameRule: (String) -> [String]) -> [FieldError] {
        var errors: [FieldError] = []
        let meta = FieldPath.root("metadata")
        let name = object.value(at: ["metadata", "name"])?.stringValue ?? ""
        if name.isEmpty {
            errors.append(.required(meta.child("name"), "name or generateName is required"))
        } else {
            for problem in nameRule(name) { errors.append(.invalid(meta.child("name"), .string(name), problem)) }
        }
        if let labels = object.value(at: ["metadata", "labels"])?.objectValue {
            errors += NameValidation.validateLabels(labels.compactMapValues(\.stringValue), path: meta.child("labels"))
        }
        if let annotations = object.value(at: ["metadata", "annotations"])?.objectValue {
            errors += NameValidation.validateAnnotations(
                annotations.compactMapValues(\.stringValue), path: meta.child("annotations"))
        }
        return errors
    }
}
