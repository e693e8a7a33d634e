/// Kubernetes strategic merge patch (`application/strategic-merge-patch+json`).
///
/// kubectl's client-side `apply`, `edit`, `set image` and `rollout` for DaemonSets and StatefulSets send this. It is
/// JSON merge patch plus per-field list rules from `PatchSchema` and these directives:
/// - `null` removes a field; `{"$patch":"delete"}` removes a map; `{"$patch":"replace", …}` replaces a map whole.
/// - `$retainKeys: [names]` clears every other field of the map (used to switch union members).
/// - In a list merged by key, `{"$patch":"delete", <key>: v}` removes matching elements and an element
///   `{"$patch":"replace"}` makes the rest of the patch list the whole new list.
/// - `$setElementOrder/<list>: [...]` fixes the order of the merged list; `$deleteFromPrimitiveList/<list>: [...]`
///   removes values from a set of primitives.
///
/// Differences from kube-apiserver, all in corner cases kubectl does not produce: `$patch: delete` removes the
/// map instead of leaving `{}`; directives inside a new list element are resolved instead of stored verbatim;
/// `$setElementOrder` is not checked against the patch list's own order; unknown `$`-keys are rejected.
public enum StrategicMergePatch {
    public static func apply(_ patch: JSONValue, to target: JSONValue, schema: PatchSchema) throws(PatchError)
        -> JSONValue
    {
        guard case .object(let patchFields) = patch else {
            throw .malformed(format: .strategicMergePatch, path: "", reason: "the patch must be a JSON object")
        }
        guard case .object(let targetFields) = target else {
            throw .unprocessable(format: .strategicMergePatch, path: "", reason: "the object to patch is not a JSON object")
        }
        let merger = PatchMerger(
            format: .strategicMergePatch, schema: schema, readsDirectives: true, honoursAtomicMaps: false)
        return .object(try merger.mergeObject(targetFields, patchFields, at: PatchPath()) ?? [:])
    }
}

/// Server-side apply (`application/apply-patch+yaml`, which kubectl sends as JSON), approximated without
/// managed fields.
///
/// Real server-side apply records which manager owns each field, removes fields a manager stops applying, and
/// reports conflicts when two managers set the same field. This approximation keeps none of that state: it merges
/// the applied configuration into the live object with the strategic-merge rules of `PatchSchema` (maps recurse,
/// keyed lists merge by key, sets union, other lists and atomic maps such as selectors are replaced, an explicit
/// `null` removes a field). Consequences:
/// - a field or keyed list element dropped from a later apply is not removed; the client must set it to `null`
///   or delete it another way;
/// - there are never conflicts, so `force` has no effect, and `metadata.managedFields` is not maintained;
/// - `$`-prefixed keys are ordinary data, since an applied configuration has no patch directives.
/// That is enough for `kubectl apply --server-side`, whose output does not depend on ownership.
public enum ServerSideApply {
    /// Merges an applied configuration into the live object (nil when the object does not exist yet: then the result is the applied config).
    public static func apply(_ applied: JSONValue, to live: JSONValue?, schema: PatchSchema) throws(PatchError)
        -> JSONValue
    {
        guard case .object(let appliedFields) = applied else {
            throw .malformed(format: .serverSideApply, path: "", reason: "the applied configuration must be a JSON object")
        }
        let merger = PatchMerger(format: .serverSideApply, schema: schema, readsDirectives: false, honoursAtomicMaps: true)
        switch live {
        case nil:
            // Merging onto nothing still validates keyed lists and drops explicit nulls.
            return .object(try merger.mergeObject(nil, appliedFields, at: PatchPath()) ?? [:])
        case .object(let liveFields)?:
            return .object(try merger.mergeObject(liveFields, appliedFields, at: PatchPath()) ?? [:])
        case .some:
            throw .unprocessable(format: .serverSideApply, path: "", reason: "the live object is not a JSON object")
        }
    }
}
