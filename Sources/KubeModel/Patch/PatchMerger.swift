/// The recursive merge shared by strategic merge patch and the server-side apply approximation.
///
/// Both walk the patch and the live object together with the same rules (maps recurse, `null` removes, keyed
/// lists merge element-wise, other lists are replaced); they differ only in whether `$`-directives are read and
/// whether some maps are atomic. Keeping one walker means the two content types cannot drift apart on lists.
struct PatchMerger {
    let format: PatchFormat
    let schema: PatchSchema
    /// Strategic merge patch reads `$patch`, `$retainKeys`, `$setElementOrder/…` and `$deleteFromPrimitiveList/…`;
    /// an applied configuration has no directives, so server-side apply treats every key as data.
    let readsDirectives: Bool
    /// Server-side apply replaces maps the schema marks atomic (selectors); strategic merge patch merges them.
    let honoursAtomicMaps: Bool

    private static let setElementOrderPrefix = "$setElementOrder/"
    private static let deleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList/"

    /// Merges `patch` into `original` (nil: the field is absent, so the patch is taken as a new value with its
    /// nulls and directives resolved). Returns nil when the map itself is to be removed (`$patch: delete`).
    func mergeObject(_ original: [String: JSONValue]?, _ patch: [String: JSONValue], at path: PatchPath)
        throws(PatchError) -> [String: JSONValue]?
    {
        var patch = patch
        if readsDirectives, let directive = patch.removeValue(forKey: "$patch") {
            switch directive {
            // `patch` no longer holds `$patch`, so this recursion happens at most once.
            case .string("replace"): return try mergeObject(nil, patch, at: path)
            // Upstream leaves `{}` behind; the documented intent (and `null`'s effect) is removal.
            case .string("delete"): return nil
            default:
                throw malformed(path, "unknown $patch directive \(PatchValues.brief(directive)); expected \"replace\" or \"delete\"")
            }
        }
        if honoursAtomicMaps, original != nil, schema.isAtomicMap(at: path.fields) {
            return try mergeObject(nil, patch, at: path)
        }

        var result = original ?? [:]
        var fields: [(key: String, value: JSONValue)] = []
        var orders: [String: [JSONValue]] = [:]
        var deletions: [String: [JSONValue]] = [:]
        var retained: Set<String>?
        // Sorted so that, of several problems, the same one is reported on every run.
        for (key, value) in patch.sorted(by: { $0.key < $1.key }) {
            guard readsDirectives, key.hasPrefix("$") else {
                fields.append((key, value))
                continue
            }
            if key == "$retainKeys" {
                guard case .array(let names) = value else { throw malformed(path, "$retainKeys is not a list") }
                var set = Set<String>()
                for name in names {
                    guard case .string(let text) = name else {
                        throw malformed(path, "$retainKeys must list field names, found \(PatchValues.brief(name))")
                    }
                    set.insert(text)
                }
                retained = set
            } else if let list = Self.suffix(of: key, after: Self.setElementOrderPrefix) {
                guard case .array(let items) = value else { throw malformed(path, "\(key) is not a list") }
                orders[list] = items
            } else if let list = Self.suffix(of: key, after: Self.deleteFromPrimitiveListPrefix) {
                guard case .array(let items) = value else { throw malformed(path, "\(key) is not a list") }
                deletions[list] = items
            } else {
                throw malformed(path, "unknown directive \(key)")
            }
        }

        if let retained {
            // A union type (e.g. a volume source) is switched by naming the surviving members; a patch that also
            // sets an unnamed member contradicts itself.
            if let stray = fields.first(where: { !$0.value.isNull && !retained.contains($0.key) }) {
                throw unprocessable(path, "field \(stray.key) is set but not listed in $retainKeys")
            }
            result = result.filter { retained.contains($0.key) }
        }

        for (key, value) in fields {
            let child = path.child(key)
            switch value {
            case .null:
                result.removeValue(forKey: key)
            case .object(let patchFields):
                // A live value of another type is replaced, as upstream does.
                result[key] = try mergeObject(result[key]?.objectValue, patchFields, at: child).map(JSONValue.object)
            case .array(let patchItems):
                let order = orders.removeValue(forKey: key)
                result[key] = .array(try mergeList(result[key]?.arrayValue ?? [], patchItems, order: order, at: child))
            default:
                result[key] = value
            }
        }
        // An order directive without its list reorders the live list alone (kubectl sends this when only the
        // order of a list changed in the manifest).
        for (key, order) in orders.sorted(by: { $0.key < $1.key }) {
            guard case .array(let items)? = result[key] else { continue }
            result[key] = .array(try reorder(items, by: order, at: path.child(key)))
        }
        // Deletions run last so that they win over an addition of the same value in the same patch.
        for (key, doomed) in deletions.sorted(by: { $0.key < $1.key }) {
            guard case .array(let items)? = result[key] else { continue }
            result[key] = .array(items.filter { item in !doomed.contains { PatchValues.equal($0, item) } })
        }
        return result
    }

    func mergeList(_ original: [JSONValue], _ patch: [JSONValue], order: [JSONValue]?, at path: PatchPath)
        throws(PatchError) -> [JSONValue]
    {
        switch schema.listType(at: path.fields) {
        case .atomic:
            return try freshList(patch, at: path)
        case .set:
            return try mergeSet(original, patch, order: order, at: path)
        case .map(let key):
            return try mergeKeyed(original, patch, key: key, order: order, at: path)
        }
    }

    private func reorder(_ items: [JSONValue], by order: [JSONValue], at path: PatchPath) throws(PatchError)
        -> [JSONValue]
    {
        if case .atomic = schema.listType(at: path.fields) { return items }
        return try mergeList(items, [], order: order, at: path)
    }

    /// A replaced list: its elements are new values, so nulls in them are dropped and directives resolved.
    private func freshList(_ items: [JSONValue], at path: PatchPath) throws(PatchError) -> [JSONValue] {
        var out: [JSONValue] = []
        out.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            switch item {
            case .object(let fields):
                // `{"$patch":"replace"}` asks for what an atomic list does anyway.
                if readsDirectives, fields.count == 1, fields["$patch"] == .string("replace") { continue }
                if let cleaned = try mergeObject(nil, fields, at: path.element(index)) { out.append(.object(cleaned)) }
            case .array(let inner):
                out.append(.array(try freshList(inner, at: path.element(index))))
            default:
                out.append(item)
            }
        }
        return out
    }

    // MARK: - Sets of primitives

    private func mergeSet(_ original: [JSONValue], _ patch: [JSONValue], order: [JSONValue]?, at path: PatchPath)
        throws(PatchError) -> [JSONValue]
    {
        var entries: [ListEntry] = []
        for (index, item) in original.enumerated() where !entries.contains(where: { PatchValues.equal($0.value, item) }) {
            entries.append(ListEntry(value: item, serverIndex: index))
        }
        for (index, item) in patch.enumerated() {
            guard PatchValues.isPrimitive(item) else {
                throw unprocessable(path.element(index), "expected a string or number: this list merges as a set of primitives")
            }
            if let existing = entries.firstIndex(where: { PatchValues.equal($0.value, item) }) {
                if entries[existing].patchIndex == nil { entries[existing].patchIndex = index }
            } else {
                entries.append(ListEntry(value: item, patchIndex: index))
            }
        }
        entries = Self.normalizeOrder(entries)
        if let order {
            for index in entries.indices {
                entries[index].patchIndex = order.firstIndex { PatchValues.equal($0, entries[index].value) }
            }
            entries = Self.normalizeOrder(entries)
        }
        return entries.map(\.value)
    }

    // MARK: - Lists merged by key

    private func mergeKeyed(
        _ original: [JSONValue], _ patch: [JSONValue], key: PatchSchema.MergeKey, order: [JSONValue]?,
        at path: PatchPath
    ) throws(PatchError) -> [JSONValue] {
        var base: [[String: JSONValue]] = []
        base.reserveCapacity(original.count)
        for (index, item) in original.enumerated() {
            guard case .object(let fields) = item else {
                throw unprocessable(path.element(index), "the stored list element is not an object, so the list cannot merge by \"\(key.field)\"")
            }
            base.append(fields)
        }

        var replaceAll = false
        var items: [(index: Int, fields: [String: JSONValue])] = []
        for (index, item) in patch.enumerated() {
            guard case .object(let fields) = item else {
                throw unprocessable(path.element(index), "list element is not an object; elements of this list merge by \"\(key.field)\"")
            }
            if readsDirectives, let directive = fields["$patch"] {
                switch directive {
                case .string("delete"):
                    guard key.value(in: fields) != nil else {
                        throw unprocessable(path.element(index), "$patch: delete element has no merge key \"\(key.field)\"")
                    }
                    base.removeAll { key.deletes($0, probe: fields) }
                case .string("replace"):
                    replaceAll = true
                default:
                    throw malformed(path.element(index), "unknown $patch directive \(PatchValues.brief(directive)) in a list; expected \"replace\" or \"delete\"")
                }
                continue
            }
            guard key.value(in: fields) != nil else {
                throw unprocessable(path.element(index), "list element has no merge key \"\(key.field)\"")
            }
            items.append((index, fields))
        }
        if replaceAll { base = [] }

        var entries = base.enumerated().map { ListEntry(value: .object($1), serverIndex: $0) }
        for (index, fields) in items {
            if let match = key.resolve(fields, in: entries.map(\.value)) {
                let merged = try mergeObject(entries[match].value.objectValue, fields, at: path.element(index))
                if let merged {
                    entries[match].value = .object(merged)
                    if entries[match].patchIndex == nil { entries[match].patchIndex = index }
                } else {
                    entries.remove(at: match)
                }
            } else if let created = try mergeObject(nil, fields, at: path.element(index)) {
                entries.append(ListEntry(value: .object(created), patchIndex: index))
            }
        }
        entries = Self.normalizeOrder(entries)

        if let order {
            let directive = Self.setElementOrderPrefix + (path.fields.last ?? "")
            for index in entries.indices { entries[index].patchIndex = nil }
            for (position, probe) in order.enumerated() {
                guard case .object(let fields) = probe, key.value(in: fields) != nil else {
                    throw malformed(path, "\(directive)[\(position)] has no merge key \"\(key.field)\"")
                }
                let values = entries.map(\.value)
                if let match = key.resolve(fields, in: values, skipping: { entries[$0].patchIndex != nil }) {
                    entries[match].patchIndex = position
                }
            }
            entries = Self.normalizeOrder(entries)
        }
        return entries.map(\.value)
    }

    // MARK: - Ordering

    /// An element of a merged list with where it came from: its position in the live list and in the patch
    /// (or `$setElementOrder`) list.
    struct ListEntry {
        var value: JSONValue
        var serverIndex: Int?
        var patchIndex: Int?
    }

    /// Orders a merged list the way upstream does, so that kubectl sees the same order it would from
    /// kube-apiserver: elements named by the patch follow the patch's order, the others keep their live order,
    /// and the two runs are interleaved so that a live-only element stays in front of a patched element it
    /// preceded in the live list. Ties keep their current relative order.
    static func normalizeOrder(_ entries: [ListEntry]) -> [ListEntry] {
        let patched = entries.enumerated()
            .filter { $0.element.patchIndex != nil }
            .sorted { ($0.element.patchIndex ?? 0, $0.offset) < ($1.element.patchIndex ?? 0, $1.offset) }
            .map(\.element)
        let serverOnly = entries.enumerated()
            .filter { $0.element.patchIndex == nil }
            .sorted { (($0.element.serverIndex ?? Int.max), $0.offset) < (($1.element.serverIndex ?? Int.max), $1.offset) }
            .map(\.element)

        var result: [ListEntry] = []
        result.reserveCapacity(entries.count)
        var i = 0
        var j = 0
        while i < serverOnly.count || j < patched.count {
            if j >= patched.count {
                result.append(serverOnly[i]); i += 1
            } else if i >= serverOnly.count {
                result.append(patched[j]); j += 1
            } else if let left = serverOnly[i].serverIndex, let right = patched[j].serverIndex, left < right {
                result.append(serverOnly[i]); i += 1
            } else {
                result.append(patched[j]); j += 1
            }
        }
        return result
    }

    // MARK: - Errors

    private static func suffix(of key: String, after prefix: String) -> String? {
        guard key.hasPrefix(prefix) else { return nil }
        return String(key.dropFirst(prefix.count))
    }

    private func malformed(_ path: PatchPath, _ reason: String) -> PatchError {
        .malformed(format: format, path: path.display, reason: reason)
    }

    private func unprocessable(_ path: PatchPath, _ reason: String) -> PatchError {
        .unprocessable(format: format, path: path.display, reason: reason)
    }
}

extension PatchSchema.MergeKey {
    /// The element's key value; a null counts as absent.
    func value(in fields: [String: JSONValue]) -> JSONValue? {
        guard let value = fields[field], !value.isNull else { return nil }
        return value
    }

    private func qualifierValue(in fields: [String: JSONValue]) -> JSONValue? {
        guard let qualifier else { return nil }
        if let value = fields[qualifier], !value.isNull { return value }
        return qualifierDefault
    }

    /// The live element a patch element (or `$setElementOrder` entry) refers to, by the rules on `MergeKey`.
    func resolve(_ probe: [String: JSONValue], in elements: [JSONValue], skipping skip: (Int) -> Bool = { _ in false })
        -> Int?
    {
        guard let wanted = value(in: probe) else { return nil }
        let candidates = elements.indices.filter { index in
            guard !skip(index), case .object(let fields) = elements[index], let have = value(in: fields) else {
                return false
            }
            return PatchValues.equal(have, wanted)
        }
        guard let qualifier else { return candidates.first }
        func qualifierOf(_ index: Int) -> JSONValue? {
            guard case .object(let fields) = elements[index] else { return nil }
            return qualifierValue(in: fields)
        }
        if let explicit = probe[qualifier], !explicit.isNull {
            return candidates.first { index in
                guard let have = qualifierOf(index) else { return true }
                return PatchValues.equal(have, explicit)
            }
        }
        if let preferred = qualifierDefault,
            let index = candidates.first(where: { qualifierOf($0).map { PatchValues.equal($0, preferred) } ?? true })
        {
            return index
        }
        return candidates.first
    }

    /// Whether a `$patch: delete` element removes this live element. Like upstream, a delete that names only the
    /// key removes every element with that key; naming the qualifier too narrows it to that one.
    func deletes(_ element: [String: JSONValue], probe: [String: JSONValue]) -> Bool {
        guard let wanted = value(in: probe), let have = value(in: element), PatchValues.equal(have, wanted) else {
            return false
        }
        guard let qualifier, let explicit = probe[qualifier], !explicit.isNull else { return true }
        guard let actual = qualifierValue(in: element) else { return true }
        return PatchValues.equal(actual, explicit)
    }
}
