import Foundation

/// Server-side `meta.k8s.io/v1` Tables: what `kubectl get` asks for (`Accept: …;as=Table;…`) and prints.
///
/// kubectl renders whatever columns and cells the server sends, so these must match kube-apiserver's built-in
/// printers for the output to look like a real cluster. Like kube-apiserver, every row carries the wide
/// (`priority: 1`) cells too; kubectl hides them unless `-o wide`.
public enum TablePrinter {
    /// What each row's `object` holds, as the `includeObject` query parameter selects. kubectl never sends it,
    /// so `.metadata` is the default; it is what fills the NAMESPACE column for `-A` and LABELS for `--show-labels`.
    public enum IncludeObject: String, Sendable {
        case none = "None"
        case metadata = "Metadata"
        case object = "Object"

        /// Reads the query parameter; anything unrecognised falls back to the default as the real server does
        /// after validation, so a typo never yields an empty NAMESPACE column.
        public init(queryValue: String?) {
            self = queryValue.flatMap(IncludeObject.init(rawValue:)) ?? .metadata
        }
    }

    /// A meta.k8s.io/v1 Table for a list of stored objects of `resource` (objects are full JSON objects as stored).
    ///
    /// `includeColumnDefinitions` is false for watch events after the first: kubectl keeps the columns of the
    /// list it printed, so repeating them only costs bandwidth.
    public static func table(
        resource: APIResource, objects: [JSONValue], resourceVersion: String, continueToken: String?, now: Date,
        includeColumnDefinitions: Bool = true, includeObject: IncludeObject = .metadata
    ) -> JSONValue {
        var metadata: [String: JSONValue] = ["resourceVersion": .string(resourceVersion)]
        if let continueToken, !continueToken.isEmpty { metadata["continue"] = .string(continueToken) }
        var table: [String: JSONValue] = [
            "kind": "Table",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": .object(metadata),
            "rows": .array(objects.map { row(resource: resource, object: $0, now: now, includeObject: includeObject) }),
        ]
        if includeColumnDefinitions {
            table["columnDefinitions"] = .array(columnDefinitions(resource: resource))
        }
        return .object(table)
    }

    /// One `TableRow`: the cells, upstream's row conditions (pods that finished), and the object as requested.
    public static func row(
        resource: APIResource, object: JSONValue, now: Date, includeObject: IncludeObject = .metadata
    ) -> JSONValue {
        var row: [String: JSONValue] = ["cells": .array(cells(resource: resource, object: object, now: now))]
        let conditions = rowConditions(resource: resource, object: object)
        if !conditions.isEmpty { row["conditions"] = .array(conditions) }
        switch includeObject {
        case .none:
            break
        case .metadata:
            row["object"] = [
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": object["metadata"] ?? .object([:]),
            ]
        case .object:
            var full = object
            if full["kind"] == nil { full["kind"] = .string(resource.kind) }
            if full["apiVersion"] == nil { full["apiVersion"] = .string(resource.apiVersion) }
            row["object"] = full
        }
        return .object(row)
    }

    /// The cells of one row (exposed for tests).
    public static func cells(resource: APIResource, object: JSONValue, now: Date) -> [JSONValue] {
        printer(for: resource).cells(object, now)
    }

    public static func columnDefinitions(resource: APIResource) -> [JSONValue] {
        printer(for: resource).columns.map(\.json)
    }

    // MARK: - Printer registry

    struct Column: Sendable {
        var name: String
        var type: String
        var format: String = ""
        var description: String
        var priority: Int64 = 0

        var json: JSONValue {
            [
                "name": .string(name), "type": .string(type), "format": .string(format),
                "description": .string(description), "priority": .int(priority),
            ]
        }

        static let name = Column(
            name: "Name", type: "string", format: "name",
            description: "Name must be unique within a namespace; it identifies the object in URLs and commands.")
        static let age = Column(
            name: "Age", type: "string",
            description: "Time since the server created the object (metadata.creationTimestamp).")

        static func wide(_ name: String, _ description: String, type: String = "string") -> Column {
            Column(name: name, type: type, description: description, priority: 1)
        }
    }

    struct Printer: Sendable {
        var columns: [Column]
        var cells: @Sendable (JSONValue, Date) -> [JSONValue]
    }

    /// Upstream keys printers by Go type; the catalog identifies a type by group and plural.
    static func printer(for resource: APIResource) -> Printer {
        switch (resource.group, resource.plural) {
        case ("", "namespaces"): return namespacePrinter
        case ("", "nodes"): return nodePrinter
        case ("", "pods"): return podPrinter
        case ("", "services"): return servicePrinter
        case ("discovery.k8s.io", "endpointslices"): return endpointSlicePrinter
        case ("apps", "deployments"): return deploymentPrinter
        case ("apps", "replicasets"): return replicaSetPrinter
        case ("coordination.k8s.io", "leases"): return leasePrinter
        default: return defaultPrinter
        }
    }

    /// Kinds without a dedicated printer get what kube-apiserver's default table convertor gives custom
    /// resources without printer columns: the name and the creation time as an RFC 3339 date.
    static let defaultPrinter = Printer(
        columns: [
            .name,
            Column(name: "Created At", type: "date", description: "Time the server created the object."),
        ],
        cells: { object, _ in
            [.string(name(object)), .string(string(object, "metadata", "creationTimestamp") ?? "")]
        })

    static func rowConditions(resource: APIResource, object: JSONValue) -> [JSONValue] {
        guard resource.group.isEmpty, resource.plural == "pods" else { return [] }
        // Upstream marks finished pods so that clients may choose to hide them.
        switch string(object, "status", "phase") {
        case "Succeeded":
            return [
                [
                    "type": "Completed", "status": "True", "reason": "Succeeded",
                    "message": "The pod has completed successfully.",
                ]
            ]
        case "Failed":
            return [["type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."]]
        default:
            return []
        }
    }

    // MARK: - Reading stored JSON leniently

    // Stored objects come from clients and may lack any field; every accessor treats a missing or mistyped
    // field as unset, as Go's zero values would, instead of failing the row.

    static func value(_ object: JSONValue?, _ path: [String]) -> JSONValue? {
        guard let object, let v = object.value(at: path), !v.isNull else { return nil }
        return v
    }

    static func string(_ object: JSONValue?, _ path: String...) -> String? {
        value(object, path)?.stringValue
    }

    static func int(_ object: JSONValue?, _ path: String...) -> Int64? {
        value(object, path)?.intValue
    }

    static func bool(_ object: JSONValue?, _ path: String...) -> Bool {
        value(object, path)?.boolValue ?? false
    }

    static func array(_ object: JSONValue?, _ path: String...) -> [JSONValue] {
        value(object, path)?.arrayValue ?? []
    }

    static func object(_ object: JSONValue?, _ path: String...) -> JSONValue? {
        guard let v = value(object, path), v.objectValue != nil else { return nil }
        return v
    }

    static func stringMap(_ object: JSONValue?, _ path: String...) -> [String: String] {
        guard let fields = value(object, path)?.objectValue else { return [:] }
        return fields.compactMapValues(\.stringValue)
    }

    static func name(_ object: JSONValue) -> String {
        string(object, "metadata", "name") ?? ""
    }

    static func age(_ object: JSONValue, _ now: Date) -> JSONValue {
        .string(age(of: string(object, "metadata", "creationTimestamp"), now: now))
    }
}
