import KubeModel

/// An error the API answers with: a `Status` object and its HTTP code.
public struct APIError: Error, Sendable, CustomStringConvertible {
    public var status: Status
    public var code: Int { status.code }
    public var description: String { "\(status.code) \(status.reason ?? ""): \(status.message ?? "")" }

    public init(_ status: Status) { self.status = status }

    public init(code: Int, reason: String, message: String, details: Status.Details? = nil) {
        self.status = Status(code: code, reason: reason, message: message, details: details)
    }

    /// The name kube uses for a resource in messages: "services", "deployments.apps".
    static func qualified(_ r: APIResource) -> String { r.group.isEmpty ? r.plural : "\(r.plural).\(r.group)" }

    public static func notFound(_ r: APIResource, _ name: String) -> APIError {
        APIError(code: 404, reason: "NotFound", message: "\(qualified(r)) \"\(name)\" not found",
                 details: .init(name: name, group: r.group.isEmpty ? nil : r.group, kind: r.plural))
    }

    public static func namespaceNotFound(_ ns: String) -> APIError {
        APIError(code: 404, reason: "NotFound", message: "namespaces \"\(ns)\" not found",
                 details: .init(name: ns, group: nil, kind: "namespaces"))
    }

    public static func alreadyExists(_ r: APIResource, _ name: String) -> APIError {
        APIError(code: 409, reason: "AlreadyExists", message: "\(qualified(r)) \"\(name)\" already exists",
                 details: .init(name: name, group: r.group.isEmpty ? nil : r.group, kind: r.plural))
    }

    public static func conflict(_ r: APIResource, _ name: String) -> APIError {
        APIError(
            code: 409, reason: "Conflict",
            message: "Operation cannot be fulfilled on \(qualified(r)) \"\(name)\": the object has been modified; "
                + "please apply your changes to the latest version and try again",
            details: .init(name: name, group: r.group.isEmpty ? nil : r.group, kind: r.plural))
    }

    /// 422 with one cause per field error, worded as kube-apiserver words it.
    public static func invalid(_ r: APIResource, _ name: String, _ errors: [FieldError]) -> APIError {
        let causes = errors.map { Status.Cause(reason: $0.kind.rawValue, message: $0.message, field: $0.field) }
        return APIError(
            code: 422, reason: "Invalid", message: invalidMessage(kind: r.kind, name: name, errors: errors),
            details: .init(name: name, group: r.group.isEmpty ? nil : r.group, kind: r.kind, causes: causes))
    }

    public static func badRequest(_ message: String, causes: [Status.Cause]? = nil) -> APIError {
        APIError(code: 400, reason: "BadRequest", message: message,
                 details: causes.map { Status.Details(name: nil, group: nil, kind: nil, causes: $0) })
    }

    public static func gone(_ message: String) -> APIError {
        APIError(code: 410, reason: "Expired", message: message)
    }

    public static func methodNotAllowed(_ message: String) -> APIError {
        APIError(code: 405, reason: "MethodNotAllowed", message: message)
    }

    public static func unsupportedMediaType(_ contentType: String) -> APIError {
        APIError(code: 415, reason: "UnsupportedMediaType",
                 message: "the body of the request was in an unknown format - accepted media types include: "
                    + "application/json, application/yaml, application/vnd.kubernetes.protobuf, "
                    + "application/merge-patch+json, application/strategic-merge-patch+json, "
                    + "application/json-patch+json, application/apply-patch+yaml (got \(contentType))")
    }

    public static func tooLarge(_ limit: Int) -> APIError {
        APIError(code: 413, reason: "RequestEntityTooLarge",
                 message: "Request entity too large: limit is \(limit)")
    }

    public static func unauthorized() -> APIError {
        APIError(code: 401, reason: "Unauthorized", message: "Unauthorized")
    }

    public static func forbidden(_ r: APIResource, _ name: String, _ message: String) -> APIError {
        APIError(code: 403, reason: "Forbidden",
                 message: "\(qualified(r)) \"\(name)\" is forbidden: \(message)",
                 details: .init(name: name, group: r.group.isEmpty ? nil : r.group, kind: r.plural))
    }

    public static func notPathFound() -> APIError {
        APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
    }

    public static func internalError(_ message: String) -> APIError {
        APIError(code: 500, reason: "InternalError", message: "Internal error occurred: \(message)")
    }
}
