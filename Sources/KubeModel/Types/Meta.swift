/// Kubernetes API object types as Codable structs whose field names are the JSON names.
///
/// These structs are also the schema the API server checks requests against: a field a request carries that the
/// struct does not decode is an unknown field (see `UnknownFields`). Subtrees Junction passes through without
/// interpreting (volumes, security contexts, affinity…) are kept as `JSONValue`, so they are stored as given.

public struct ObjectMeta: Codable, Sendable, Hashable {
    public var name: String?
    public var generateName: String?
    public var namespace: String?
    public var selfLink: String?
    public var uid: String?
    public var resourceVersion: String?
    public var generation: Int64?
    public var creationTimestamp: String?
    public var deletionTimestamp: String?
    public var deletionGracePeriodSeconds: Int64?
    public var labels: [String: String]?
    public var annotations: [String: String]?
    public var ownerReferences: [OwnerReference]?
    public var finalizers: [String]?
    public var managedFields: JSONValue?

    public init(name: String? = nil, namespace: String? = nil, labels: [String: String]? = nil) {
        self.name = name
        self.namespace = namespace
        self.labels = labels
    }
}

public struct OwnerReference: Codable, Sendable, Hashable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var uid: String
    public var controller: Bool?
    public var blockOwnerDeletion: Bool?

    public init(apiVersion: String, kind: String, name: String, uid: String, controller: Bool? = true,
                blockOwnerDeletion: Bool? = true) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
        self.blockOwnerDeletion = blockOwnerDeletion
    }
}

/// metav1.LabelSelector in its JSON shape; `LabelSelector` is the parsed, matchable form.
public struct LabelSelectorSpec: Codable, Sendable, Hashable {
    public struct Requirement: Codable, Sendable, Hashable {
        public var key: String
        public var `operator`: String
        public var values: [String]?
    }
    public var matchLabels: [String: String]?
    public var matchExpressions: [Requirement]?

    public init(matchLabels: [String: String]? = nil, matchExpressions: [Requirement]? = nil) {
        self.matchLabels = matchLabels
        self.matchExpressions = matchExpressions
    }
}

/// A port given as a number or as a name (`targetPort: 8080` or `targetPort: http`).
public enum IntOrString: Codable, Sendable, Hashable, CustomStringConvertible {
    case int(Int)
    case string(String)

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let i = try? c.decode(Int.self) {
            self = .int(i)
        } else {
            self = .string(try c.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .int(let i): try c.encode(i)
        case .string(let s): try c.encode(s)
        }
    }

    public var description: String {
        switch self {
        case .int(let i): return String(i)
        case .string(let s): return s
        }
    }
}

/// metav1.Condition-like status condition used by pods, nodes and deployments (they share this shape).
public struct Condition: Codable, Sendable, Hashable {
    public var type: String
    public var status: String
    public var reason: String?
    public var message: String?
    public var lastTransitionTime: String?
    public var lastHeartbeatTime: String?
    public var lastProbeTime: String?
    public var lastUpdateTime: String?
    public var observedGeneration: Int64?

    public init(type: String, status: String, reason: String? = nil, message: String? = nil,
                lastTransitionTime: String? = nil) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
        self.lastTransitionTime = lastTransitionTime
    }
}

/// Something every stored object has: metadata, and a kind/apiVersion pair.
public protocol KubeObject: Codable, Sendable {
    var apiVersion: String? { get set }
    var kind: String? { get set }
    var metadata: ObjectMeta { get set }
}

extension KubeObject {
    public var name: String { metadata.name ?? "" }
    public var namespace: String { metadata.namespace ?? "" }
    public var labels: [String: String] { metadata.labels ?? [:] }
}

/// The `Status` object the API server answers errors (and some deletes) with.
public struct Status: Codable, Sendable, Hashable, Error {
    public struct Details: Codable, Sendable, Hashable {
        public var name: String?
        public var group: String?
        public var kind: String?
        public var uid: String?
        public var causes: [Cause]?
        public var retryAfterSeconds: Int?
    }
    public struct Cause: Codable, Sendable, Hashable {
        public var reason: String?
        public var message: String?
        public var field: String?
    }
    public var kind: String? = "Status"
    public var apiVersion: String? = "v1"
    public var metadata: JSONValue? = .object([:])
    public var status: String?
    public var message: String?
    public var reason: String?
    public var details: Details?
    public var code: Int

    public init(code: Int, reason: String, message: String, details: Details? = nil, status: String = "Failure") {
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.status = status
    }
}

extension Status.Details {
    public init(name: String?, group: String?, kind: String?, causes: [Status.Cause]? = nil) {
        self.name = name
        self.group = group
        self.kind = kind
        self.causes = causes
    }
}

extension Status.Cause {
    public init(reason: String, message: String, field: String) {
        self.reason = reason
        self.message = message
        self.field = field
    }
}
