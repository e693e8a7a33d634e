/// How a field's bytes turn into JSON.
///
/// The special cases exist because Kubernetes gives a few apimachinery types a JSON form that differs from their
/// protobuf message: a Quantity is a message wrapping a string but a JSON string, a Time is seconds since the epoch
/// but an RFC 3339 string, an IntOrString is a tagged message but a bare JSON number or string, and FieldsV1 carries
/// JSON text inside a bytes field.
enum FieldType: Sendable, Equatable {
    case string
    case int32
    case int64
    case bool
    case intOrString
    case quantity
    case time
    case fieldsV1
    case message(String)

    /// The wire type Go's marshaller uses for this field, so that a mismatch can be reported instead of misread.
    var wireType: WireType {
        switch self {
        case .int32, .int64, .bool: return .varint
        case .string, .intOrString, .quantity, .time, .fieldsV1, .message: return .lengthDelimited
        }
    }
}

/// How often a field may occur and what its absence or zero value means.
enum Presence: Sendable, Equatable {
    /// A Go value field. The Go marshaller writes it even when it holds the zero value, so a zero scalar on the wire
    /// means "unset" and is left out of the JSON. Nested messages are kept when present: Go's JSON encoder always
    /// writes non-pointer structs too, so `{}` is what the same client would have sent as JSON.
    case value
    /// A Go pointer field: written only when set, so even a zero value is meaningful (for example `replicas: 0`).
    case pointer
    /// A repeated field; elements are kept whatever their value.
    case list
    /// A `map<string, T>`, encoded as repeated entry messages {1 key, 2 value}.
    case map
    /// An embedded Go struct tagged `json:",inline"`: a nested message on the wire whose fields belong to the parent
    /// object in JSON (Probe's handler, Volume's source, ...).
    case inline
}

struct FieldSpec: Sendable, Equatable {
    let number: Int
    let json: String
    let type: FieldType
    let presence: Presence

    static func value(_ number: Int, _ json: String, _ type: FieldType) -> FieldSpec {
        FieldSpec(number: number, json: json, type: type, presence: .value)
    }

    static func pointer(_ number: Int, _ json: String, _ type: FieldType) -> FieldSpec {
        FieldSpec(number: number, json: json, type: type, presence: .pointer)
    }

    static func list(_ number: Int, _ json: String, _ type: FieldType) -> FieldSpec {
        FieldSpec(number: number, json: json, type: type, presence: .list)
    }

    static func map(_ number: Int, _ json: String, _ valueType: FieldType) -> FieldSpec {
        FieldSpec(number: number, json: json, type: valueType, presence: .map)
    }

    static func inline(_ number: Int, _ message: String) -> FieldSpec {
        FieldSpec(number: number, json: "", type: .message(message), presence: .inline)
    }
}

struct MessageSchema: Sendable {
    let name: String
    /// The fields in declaration order, kept so tests can check the table for duplicates and dangling references.
    let declared: [FieldSpec]
    let fields: [Int: FieldSpec]
}

/// The message descriptions the decoder walks, keyed by the Go type name (unique across the packages covered).
///
/// The table is data rather than generated Swift types because the decoder only needs to turn protobuf into the
/// JSON the rest of the server already understands; adding a kind means adding rows, not code.
struct SchemaTable: Sendable {
    private(set) var messages: [String: MessageSchema] = [:]

    mutating func add(_ name: String, _ fields: [FieldSpec]) {
        // A duplicated number would be a bug in the table; keeping the first lets the schema tests report it
        // rather than trapping at start-up.
        let byNumber = Dictionary(fields.map { ($0.number, $0) }, uniquingKeysWith: { first, _ in first })
        messages[name] = MessageSchema(name: name, declared: fields, fields: byNumber)
    }

    static let kubernetes: SchemaTable = {
        var table = SchemaTable()
        table.addMeta()
        table.addCore()
        table.addApps()
        table.addPolicy()
        return table
    }()
}

/// The `apiVersion` and `kind` from the envelope's TypeMeta, which select the root message.
struct GroupVersionKind: Hashable, Sendable {
    let apiVersion: String
    let kind: String
}

extension SchemaTable {
    /// The top-level kinds a protobuf body may carry. kubectl 1.32's typed `create` generators are the clients
    /// that matter today; Pod, Node, ReplicaSet and Eviction are the other objects client-go programs commonly
    /// POST or PUT with protobuf.
    static let rootKinds: [GroupVersionKind: String] = [
        GroupVersionKind(apiVersion: "apps/v1", kind: "Deployment"): "Deployment",
        GroupVersionKind(apiVersion: "apps/v1", kind: "ReplicaSet"): "ReplicaSet",
        GroupVersionKind(apiVersion: "v1", kind: "Pod"): "Pod",
        GroupVersionKind(apiVersion: "v1", kind: "Service"): "Service",
        GroupVersionKind(apiVersion: "v1", kind: "Namespace"): "Namespace",
        GroupVersionKind(apiVersion: "v1", kind: "Node"): "Node",
        GroupVersionKind(apiVersion: "policy/v1", kind: "Eviction"): "Eviction",
    ]
}
