/// A label selector, as kube's `labels.Selector`: an AND of requirements on an object's labels.
///
/// Built from the query-string syntax (`parse`), from a metav1.LabelSelector (`init(json:)`,
/// `init(matchLabels:matchExpressions:)`) or from a plain map (`init(set:)`). Requirements are kept sorted by key
/// as kube sorts them, so `description` is the canonical text kube would print (e.g. for `Scale.status.selector`).
///
/// Empty versus nil: an empty selector (`everything`) matches every object, while `nothing` matches none.
/// metav1.LabelSelector follows that rule (`null` → nothing, `{}` → everything), but some APIs decide otherwise —
/// a Service whose `spec.selector` map is nil *or empty* selects no Pods. That choice belongs to the caller:
/// check the map for emptiness before building a selector from it.
public struct LabelSelector: Sendable, Hashable, CustomStringConvertible {
    public enum Requirement: Sendable, Hashable, CustomStringConvertible {
        case equals(String, String)
        case notEquals(String, String)
        case `in`(String, Set<String>)
        case notIn(String, Set<String>)
        case exists(String)
        case doesNotExist(String)
        case gt(String, Int64)
        case lt(String, Int64)

        public var key: String {
            switch self {
            case .equals(let k, _), .notEquals(let k, _), .in(let k, _), .notIn(let k, _),
                .exists(let k), .doesNotExist(let k), .gt(let k, _), .lt(let k, _):
                k
            }
        }

        /// Kube's rules: `!=` and `notin` also match objects without the key; `gt`/`lt` need the key and an
        /// integer value (a non-integer label never matches).
        public func matches(_ labels: [String: String]) -> Bool {
            switch self {
            case .equals(let k, let v): labels[k] == v
            case .notEquals(let k, let v): labels[k] != v
            case .in(let k, let vs): labels[k].map(vs.contains) ?? false
            case .notIn(let k, let vs): !(labels[k].map(vs.contains) ?? false)
            case .exists(let k): labels[k] != nil
            case .doesNotExist(let k): labels[k] == nil
            case .gt(let k, let n): labels[k].flatMap { Int64($0) }.map { $0 > n } ?? false
            case .lt(let k, let n): labels[k].flatMap { Int64($0) }.map { $0 < n } ?? false
            }
        }

        /// Kube's `Requirement.String()`; set values print sorted. `==` prints as `=` (the two are not told apart).
        public var description: String {
            switch self {
            case .equals(let k, let v): k + "=" + v
            case .notEquals(let k, let v): k + "!=" + v
            case .in(let k, let vs): k + " in (" + vs.sorted().joined(separator: ",") + ")"
            case .notIn(let k, let vs): k + " notin (" + vs.sorted().joined(separator: ",") + ")"
            case .exists(let k): k
            case .doesNotExist(let k): "!" + k
            case .gt(let k, let n): k + ">" + String(n)
            case .lt(let k, let n): k + "<" + String(n)
            }
        }
    }

    /// Sorted by key (stable for equal keys), as kube sorts them.
    public var requirements: [Requirement]
    /// True only for `nothing`, which no requirement list can express.
    public private(set) var isNothing: Bool = false

    /// Requirements are taken as given (no validation) and sorted by key.
    public init(requirements: [Requirement]) {
        self.requirements = Self.sortedByKey(requirements)
    }

    static func sortedByKey(_ requirements: [Requirement]) -> [Requirement] {
        requirements.enumerated()
            .sorted { $0.element.key != $1.element.key ? $0.element.key < $1.element.key : $0.offset < $1.offset }
            .map(\.element)
    }

    /// Matches every object.
    public static let everything = LabelSelector(requirements: [])

    /// Matches no object (kube's `labels.Nothing()`, what a nil metav1.LabelSelector converts to).
    public static let nothing: LabelSelector = {
        var s = LabelSelector(requirements: [])
        s.isNothing = true
        return s
    }()

    /// Equality requirements for each entry, unvalidated: kube's `SelectorFromSet`, used for Service, ReplicationController
    /// and nodeSelector maps. An empty map gives `everything`; see the type's note on Services.
    public init(set: [String: String]) {
        self.init(requirements: set.map { .equals($0.key, $0.value) })
    }

    public func matches(_ labels: [String: String]) -> Bool {
        if isNothing { return false }
        return requirements.allSatisfy { $0.matches(labels) }
    }

    /// True when the selector does not restrict anything (false for `nothing`).
    public var isEmpty: Bool { !isNothing && requirements.isEmpty }

    /// Requirements joined by ",", e.g. `app=web,tier in (a,b)`; empty for both `everything` and `nothing`.
    public var description: String {
        requirements.map(\.description).joined(separator: ",")
    }

    /// The single value the selector demands for `key`, if it demands exactly one (kube's RequiresExactMatch);
    /// lets a store narrow a list by an indexed label.
    public func requiresExactMatch(_ key: String) -> String? {
        guard let r = requirements.first(where: { $0.key == key }) else { return nil }
        switch r {
        case .equals(_, let v): return v
        case .in(_, let vs) where vs.count == 1: return vs.first
        default: return nil
        }
    }
}

// MARK: metav1.LabelSelector

extension LabelSelector {
    /// A selector from metav1.LabelSelector parts, as `LabelSelectorAsSelector` builds it (operators `In`, `NotIn`,
    /// `Exists`, `DoesNotExist`). Both empty gives `everything`. Errors carry kube's text, e.g.
    /// `"Foo" is not a valid label selector operator` or `values: Invalid value: []string(nil): for 'in', 'notin'
    /// operators, values set can't be empty`.
    public init(matchLabels: [String: String],
                matchExpressions: [(key: String, operator: String, values: [String])]) throws(SelectorError) {
        if matchLabels.isEmpty && matchExpressions.isEmpty {
            self = .everything
            return
        }
        var requirements: [Requirement] = []
        // Go walks the map in random order and stops at the first bad entry; sorted order makes that deterministic.
        for (key, value) in matchLabels.sorted(by: { $0.key < $1.key }) {
            requirements.append(try Self.requirement(key: key, op: .equals, values: [value], path: .none))
        }
        for expr in matchExpressions {
            let op: LabelOperator
            switch expr.operator {
            case "In": op = .in
            case "NotIn": op = .notIn
            case "Exists": op = .exists
            case "DoesNotExist": op = .doesNotExist
            default: throw SelectorError(GoFormat.quote(expr.operator) + " is not a valid label selector operator")
            }
            requirements.append(try Self.requirement(key: expr.key, op: op, values: expr.values, path: .none))
        }
        self.init(requirements: requirements)
    }

    /// A selector from a metav1.LabelSelector JSON object (`{"matchLabels": {...}, "matchExpressions": [...]}`).
    /// JSON `null` gives `nothing`, `{}` gives `everything` — as kube converts them. Shapes kube's decoder would
    /// reject (a non-string label value, a non-object) throw.
    public init(json: JSONValue) throws(SelectorError) {
        if json.isNull {
            self = .nothing
            return
        }
        let (labels, expressions) = try Self.decode(json)
        try self.init(matchLabels: labels, matchExpressions: expressions)
    }

    static func decode(_ json: JSONValue) throws(SelectorError)
        -> ([String: String], [(key: String, operator: String, values: [String])])
    {
        guard let object = json.objectValue else {
            throw SelectorError("a label selector must be a JSON object, got \(json)")
        }
        var labels: [String: String] = [:]
        if let raw = object["matchLabels"], !raw.isNull {
            guard let map = raw.objectValue else { throw SelectorError("matchLabels must be an object of strings") }
            for (key, value) in map {
                guard let s = value.stringValue else {
                    throw SelectorError("matchLabels[\(key)] must be a string, got \(value)")
                }
                labels[key] = s
            }
        }
        var expressions: [(key: String, operator: String, values: [String])] = []
        if let raw = object["matchExpressions"], !raw.isNull {
            guard let items = raw.arrayValue else { throw SelectorError("matchExpressions must be an array") }
            for item in items {
                guard item.objectValue != nil else { throw SelectorError("matchExpressions items must be objects") }
                let key = item["key"]?.stringValue ?? ""
                let op = item["operator"]?.stringValue ?? ""
                var values: [String] = []
                if let rawValues = item["values"], !rawValues.isNull {
                    guard let list = rawValues.arrayValue else {
                        throw SelectorError("matchExpressions values must be an array of strings")
                    }
                    for v in list {
                        guard let s = v.stringValue else {
                            throw SelectorError("matchExpressions values must be an array of strings")
                        }
                        values.append(s)
                    }
                }
                expressions.append((key: key, operator: op, values: values))
            }
        }
        return (labels, expressions)
    }

    /// The field errors kube's `ValidateLabelSelector` reports for a metav1.LabelSelector at `path`
    /// (e.g. `spec.selector`), which is what a Deployment or ReplicaSet create answers with. `null` is valid here;
    /// whether a selector is required is the caller's rule.
    public static func validate(json: JSONValue?, path: FieldPath) -> FieldErrors {
        guard let json, !json.isNull else { return [] }
        guard let object = json.objectValue else {
            return [.typeInvalid(path, json, "must be an object")]
        }
        var errs: FieldErrors = []
        if let labels = object["matchLabels"]?.objectValue {
            var map: [String: String] = [:]
            for (key, value) in labels {
                if let s = value.stringValue {
                    map[key] = s
                } else {
                    errs.append(.typeInvalid(path.child("matchLabels").key(key), value, "must be a string"))
                }
            }
            errs += NameValidation.validateLabels(map, path: path.child("matchLabels"))
        }
        for (i, item) in (object["matchExpressions"]?.arrayValue ?? []).enumerated() {
            let exprPath = path.child("matchExpressions").index(i)
            let key = item["key"]?.stringValue ?? ""
            let op = item["operator"]?.stringValue ?? ""
            let values = (item["values"]?.arrayValue ?? []).compactMap(\.stringValue)
            switch op {
            case "In", "NotIn":
                if values.isEmpty {
                    errs.append(.required(exprPath.child("values"), "must be specified when `operator` is 'In' or 'NotIn'"))
                }
            case "Exists", "DoesNotExist":
                if !values.isEmpty {
                    errs.append(.forbidden(exprPath.child("values"),
                                           "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
                }
            default:
                errs.append(.invalid(exprPath.child("operator"), .string(op), "not a valid selector operator"))
            }
            for msg in NameValidation.qualifiedName(key) {
                errs.append(.invalid(exprPath.child("key"), .string(key), msg))
            }
            for (j, value) in values.enumerated() {
                for msg in NameValidation.labelValue(value) {
                    errs.append(.invalid(exprPath.child("values").index(j), .string(value), msg))
                }
            }
        }
        return errs
    }
}

// MARK: Requirement construction (NewRequirement upstream)

/// The operators of kube's `selection.Operator` that label requirements use; `==` survives parsing only to be
/// folded into `=`.
enum LabelOperator: String {
    case `in` = "in", notIn = "notin", equals = "=", doubleEquals = "==", notEquals = "!="
    case gt = "gt", lt = "lt", exists = "exists", doesNotExist = "!"
}

extension LabelSelector {
    /// Validates as `labels.NewRequirement` does and reports every problem at once, in kube's aggregate form.
    /// `path` is where the requirement sits; kube's parser passes none, so value errors read `values[0][key]`.
    static func requirement(key: String, op: LabelOperator, values: [String],
                            path: FieldPath) throws(SelectorError) -> Requirement {
        var errs: FieldErrors = []
        let keyProblems = NameValidation.qualifiedName(key)
        if !keyProblems.isEmpty {
            errs.append(.invalid(path.child("key"), .string(key), keyProblems.joined(separator: "; ")))
        }
        let valuesPath = path.child("values")
        var number: Int64 = 0
        switch op {
        case .in, .notIn:
            if values.isEmpty {
                errs.append(.invalid(valuesPath, rendered: GoFormat.goSyntax(nil as [String]?),
                                     "for 'in', 'notin' operators, values set can't be empty"))
            }
        case .equals, .doubleEquals, .notEquals:
            if values.count != 1 {
                errs.append(.invalid(valuesPath, rendered: GoFormat.goSyntax(Self.goSlice(values)),
                                     "exact-match compatibility requires one single value"))
            }
        case .exists, .doesNotExist:
            if !values.isEmpty {
                errs.append(.invalid(valuesPath, rendered: GoFormat.goSyntax(Self.goSlice(values)),
                                     "values set must be empty for exists and does not exist"))
            }
        case .gt, .lt:
            if values.count != 1 {
                errs.append(.invalid(valuesPath, rendered: GoFormat.goSyntax(Self.goSlice(values)),
                                     "for 'Gt', 'Lt' operators, exactly one value is required"))
            }
            for (i, v) in values.enumerated() {
                if let n = Int64(v) {
                    number = n
                } else {
                    errs.append(.invalid(valuesPath.index(i), .string(v),
                                         "for 'Gt', 'Lt' operators, the value must be an integer"))
                }
            }
        }
        for (i, v) in values.enumerated() {
            let problems = NameValidation.labelValue(v)
            if !problems.isEmpty {
                errs.append(.invalid(valuesPath.index(i).key(key), .string(v), problems.joined(separator: "; ")))
            }
        }
        if let message = errs.aggregateMessage { throw SelectorError(message) }
        switch op {
        case .in: return .in(key, Set(values))
        case .notIn: return .notIn(key, Set(values))
        case .equals, .doubleEquals: return .equals(key, values.first ?? "")
        case .notEquals: return .notEquals(key, values.first ?? "")
        case .exists: return .exists(key)
        case .doesNotExist: return .doesNotExist(key)
        case .gt: return .gt(key, number)
        case .lt: return .lt(key, number)
        }
    }

    /// Go's `append([]string(nil), values...)` is nil when empty, which `%#v` prints as `[]string(nil)`.
    private static func goSlice(_ values: [String]) -> [String]? {
        values.isEmpty ? nil : values
    }
}
