/// RFC 7386 JSON merge patch (`application/merge-patch+json`).
///
/// kubectl sends this for `label`, `annotate` and `scale`. It cannot fail: any JSON value is a valid merge patch,
/// and a non-object patch simply replaces the target, so the function does not throw.
public enum JSONMergePatch {
    public static func apply(_ patch: JSONValue, to target: JSONValue) -> JSONValue {
        guard case .object(let patchFields) = patch else { return patch }
        var result: [String: JSONValue]
        if case .object(let targetFields) = target {
            result = targetFields
        } else {
            result = [:]
        }
        for (key, value) in patchFields {
            if value.isNull {
                result.removeValue(forKey: key)
            } else {
                // A member the target lacks merges onto an empty object, which drops nulls nested in the patch
                // (RFC 7386 appendix A: `{}` patched with `{"a":{"bb":{"ccc":null}}}` gives `{"a":{"bb":{}}}`).
                result[key] = apply(value, to: result[key] ?? .null)
            }
        }
        return .object(result)
    }
}
