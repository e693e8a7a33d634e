import KubeModel

/// What a request path names, before any verb is considered.
enum RequestTarget: Equatable {
    case version
    case health(String)
    case discoveryCore
    case discoveryGroups
    case resourceList(group: String, version: String)
    case discoveryGroup(String)
    case openAPIRoot
    case openAPIDocument(String)
    case openAPIV2
    case resource(ResourceTarget)
    case unknown
}

struct ResourceTarget: Equatable {
    var resource: APIResource
    /// Namespace from the URL (nil for all-namespaces requests and cluster-scoped resources).
    var namespace: String?
    var name: String?
    var subresource: String?
}

extension RequestTarget {
    static func parse(_ path: String) -> RequestTarget {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard let first = segments.first else { return .unknown }
        switch first {
        case "version": return segments.count == 1 ? .version : .unknown
        case "healthz", "livez", "readyz": return .health(first)
        case "openapi":
            if segments.count >= 2 && segments[1] == "v2" { return .openAPIV2 }
            guard segments.count >= 2, segments[1] == "v3" else { return .unknown }
            if segments.count == 2 { return .openAPIRoot }
            return .openAPIDocument(segments[2...].joined(separator: "/"))
        case "api":
            if segments.count == 1 { return .discoveryCore }
            guard segments[1] == "v1" else { return .unknown }
            if segments.count == 2 { return .resourceList(group: "", version: "v1") }
            return resource(group: "", version: "v1", Array(segments[2...]))
        case "apis":
            if segments.count == 1 { return .discoveryGroups }
            if segments.count == 2 { return .discoveryGroup(segments[1]) }
            if segments.count == 3 { return .resourceList(group: segments[1], version: segments[2]) }
            return resource(group: segments[1], version: segments[2], Array(segments[3...]))
        default:
            return .unknown
        }
    }

    private static func resource(group: String, version: String, _ rest: [String]) -> RequestTarget {
        var rest = rest
        var namespace: String?
        if rest.count >= 3, rest[0] == "namespaces",
            let r = ResourceCatalog.resource(group: group, version: version, plural: rest[2]), r.namespaced
        {
            namespace = rest[1]
            rest.removeFirst(2)
        }
        guard let plural = rest.first, let r = ResourceCatalog.resource(group: group, version: version, plural: plural),
            rest.count <= 3
        else { return .unknown }
        if r.namespaced && namespace == nil && rest.count > 1 { return .unknown }
        let name = rest.count > 1 ? rest[1] : nil
        let sub = rest.count > 2 ? rest[2] : nil
        if let sub, !r.hasSubresource(sub) && !(r.kind == "Namespace" && sub == "finalize") { return .unknown }
        return .resource(ResourceTarget(resource: r, namespace: namespace, name: name, subresource: sub))
    }
}

/// Query parameters, percent-decoded; the last value of a repeated key wins.
struct Query {
    private var values: [String: String] = [:]

    init(_ raw: String?) {
        guard let raw, !raw.isEmpty else { return }
        for pair in raw.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.decode(parts[0])
            values[key] = parts.count > 1 ? Self.decode(parts[1]) : ""
        }
    }

    subscript(_ key: String) -> String? { values[key] }

    func bool(_ key: String) -> Bool { values[key] == "true" || values[key] == "1" }

    func int(_ key: String) -> Int? { values[key].flatMap { Int($0) } }

    static func decode(_ s: Substring) -> String {
        var bytes: [UInt8] = []
        var it = Array(s.utf8)[...]
        while let b = it.popFirst() {
            if b == UInt8(ascii: "+") {
                bytes.append(0x20)
            } else if b == UInt8(ascii: "%"), it.count >= 2,
                let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(v)
                it = it.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
