/// Why the model refused a command: the same conditions under which the kernel fails a transaction.
public struct NFTApplyError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// ENOENT: the object does not exist.
        case notFound
        /// EEXIST: an object with that name or key exists with a different definition.
        case exists
        /// EBUSY: the object is still referenced.
        case busy
    }

    public var code: Code
    public var message: String
    public var description: String { "\(code.rawValue): \(message)" }
}

extension NFTTable {
    /// Applies a transaction to a model of the kernel's table, all or nothing, failing where the kernel would
    /// (missing objects, conflicting re-declarations, elements with another value, deleting what is referenced).
    /// Tests use it to check that an incremental transaction turns the previous model into the new one.
    ///
    /// Dynamic sets keep whatever elements they had unless flushed or deleted, as in the kernel.
    /// - Parameter table: the table before, or nil when it does not exist.
    /// - Returns: the table after, or nil when the transaction deleted it.
    public static func apply(_ transaction: NFTTransaction, to table: NFTTable?) throws(NFTApplyError) -> NFTTable? {
        var current = table
        func fail(_ code: NFTApplyError.Code, _ message: String) -> NFTApplyError {
            NFTApplyError(code: code, message: message)
        }
        func require() throws(NFTApplyError) -> NFTTable {
            guard let current else { throw fail(.notFound, "table \(transaction.family.rawValue) \(transaction.table)") }
            return current
        }
        func add(_ elements: [NFTElement], to setName: String) throws(NFTApplyError) -> NFTTable {
            var t = try require()
            guard var set = t.sets[setName] else { throw fail(.notFound, "set \(setName)") }
            for element in elements {
                if case .verdict(let v)? = element.value.data, let target = v.chain, t.chains[target] == nil {
                    throw fail(.notFound, "chain \(target) (from an element of \(setName))")
                }
                if let existing = set.elements[element.key] {
                    guard existing.data == element.value.data else {
                        throw fail(.exists, "element \(element.key.rendered(t.family)) of \(setName) with another value")
                    }
                    continue
                }
                set.elements[element.key] = element.value
            }
            t.sets[setName] = set
            return t
        }
        for command in transaction.commands {
            switch command {
            case .addTable(let comment):
                if current == nil {
                    current = NFTTable(family: transaction.family, name: transaction.table, comment: comment)
                }
            case .deleteTable:
                _ = try require()
                current = nil
            case .addChain(let chain):
                var t = try require()
                if let existing = t.chains[chain.name] {
                    guard existing.base == chain.base else { throw fail(.exists, "chain \(chain.name) with another hook") }
                } else {
                    t.chains[chain.name] = chain.declaration
                }
                current = t
            case .flushChain(let name):
                var t = try require()
                guard t.chains[name] != nil else { throw fail(.notFound, "chain \(name)") }
                t.chains[name]?.rules = []
                current = t
            case .deleteChain(let name):
                var t = try require()
                guard t.chains[name] != nil else { throw fail(.notFound, "chain \(name)") }
                if let user = t.referrers(ofChain: name) { throw fail(.busy, "chain \(name) is used by \(user)") }
                t.chains[name] = nil
                current = t
            case .addRule(let chainName, let rule):
                var t = try require()
                guard t.chains[chainName] != nil else { throw fail(.notFound, "chain \(chainName)") }
                for target in rule.chainReferences where t.chains[target] == nil {
                    throw fail(.notFound, "chain \(target) (from a rule in \(chainName))")
                }
                for set in rule.setReferences where t.sets[set] == nil {
                    throw fail(.notFound, "set \(set) (from a rule in \(chainName))")
                }
                t.chains[chainName]?.rules.append(rule)
                current = t
            case .addSet(let set):
                var t = try require()
                if let existing = t.sets[set.name] {
                    guard existing.declaration == set.declaration else {
                        throw fail(.exists, "set \(set.name) with another declaration")
                    }
                } else {
                    t.sets[set.name] = set.declaration
                }
                current = t
            case .flushSet(let name, _):
                var t = try require()
                guard t.sets[name] != nil else { throw fail(.notFound, "set \(name)") }
                t.sets[name]?.elements = [:]
                current = t
            case .deleteSet(let name, _):
                var t = try require()
                guard t.sets[name] != nil else { throw fail(.notFound, "set \(name)") }
                for (chainName, chain) in t.chains where chain.rules.contains(where: { $0.setReferences.contains(name) }) {
                    throw fail(.busy, "set \(name) is used by chain \(chainName)")
                }
                t.sets[name] = nil
                current = t
            case .addElements(let setName, let elements):
                current = try add(elements, to: setName)
            case .addAddressLists(let setName, let lists):
                current = try add(lists.flatMap(\.elements), to: setName)
            case .deleteElements(let setName, let keys):
                var t = try require()
                guard var set = t.sets[setName] else { throw fail(.notFound, "set \(setName)") }
                for key in keys {
                    guard set.elements.removeValue(forKey: key) != nil else {
                        throw fail(.notFound, "element \(key.rendered(t.family)) of \(setName)")
                    }
                }
                t.sets[setName] = set
                current = t
            }
        }
        return current

    }

    /// The first rule or map element that transfers to `chain`, described; nil when nothing does.
    func referrers(ofChain chain: String) -> String? {
        for (name, other) in chains where name != chain {
            if other.rules.contains(where: { $0.chainReferences.contains(chain) }) { return "chain \(name)" }
        }
        for (name, set) in sets {
            for element in set.elements.values {
                if case .verdict(let v)? = element.data, v.chain == chain { return "map \(name)" }
            }
        }
        return nil
    }
}
