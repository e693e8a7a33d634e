import KubeModel
import ProxyCore

/// One element of an `add element` command.
public struct NFTElement: Sendable, Hashable {
    public var key: NFTValue
    public var value: NFTElementData

    public init(_ key: NFTValue, _ value: NFTElementData = NFTElementData()) {
        self.key = key
        self.value = value
    }
}

/// The addresses of some endpoints, read through the endpoints themselves: a view of the snapshot's endpoint
/// array (`ArraySlice` shares its storage), so the ruleset's endpoint lists cost no memory of their own — a copy as
/// `[IPAddress]` was 6 MB at 10k Services × 25 endpoints. Equal when the addresses are, whatever the ports.
public struct EndpointAddresses: Sendable, Hashable, RandomAccessCollection {
    public let endpoints: ArraySlice<Endpoint>

    public init(_ endpoints: ArraySlice<Endpoint>) {
        self.endpoints = endpoints
    }

    /// Addresses without endpoints (tests): each becomes an endpoint on port 0.
    public init(_ addresses: [IPAddress]) {
        self.endpoints = ArraySlice(addresses.map { Endpoint(ip: $0, port: 0) })
    }

    public var startIndex: Int { endpoints.startIndex }
    public var endIndex: Int { endpoints.endIndex }
    public subscript(position: Int) -> IPAddress { endpoints[position].ip }

    public static func == (lhs: EndpointAddresses, rhs: EndpointAddresses) -> Bool {
        lhs.elementsEqual(rhs)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        for address in self { hasher.combine(address) }
    }
}

/// Endpoint addresses under one key address: the elements `key . 0 : addresses[0]`, `key . 1 : addresses[1]`, …
/// of a ClusterIP endpoint map (`NFTSetSpec.clusterEndpoints`), kept as one list rather than as one element each:
/// there are a quarter of a million of them at 10k Services.
public struct NFTAddressList: Sendable, Hashable {
    public var key: IPAddress
    public var addresses: EndpointAddresses

    public init(key: IPAddress, addresses: EndpointAddresses) {
        self.key = key
        self.addresses = addresses
    }

    public var elements: [NFTElement] {
        addresses.enumerated().map { NFTElement(.addressAndIndex(key, index: $0.offset), NFTElementData(.address($0.element))) }
    }
}

/// One command of a transaction, knftables-style: objects, not text.
public enum NFTCommand: Sendable, Hashable {
    /// Creates the table if missing (never fails when it exists).
    case addTable(comment: String?)
    case deleteTable
    /// Declares a chain (no rules); a no-op when it exists with the same hook.
    case addChain(NFTChain)
    case flushChain(String)
    /// Deletes a chain and its rules; fails while anything still jumps to it.
    case deleteChain(String)
    case addRule(chain: String, NFTRule)
    /// Declares a set or map (no elements); a no-op when it exists with the same declaration.
    case addSet(NFTSet)
    case flushSet(String, isMap: Bool)
    case deleteSet(String, isMap: Bool)
    case addElements(set: String, [NFTElement])
    /// `add element` for the elements of address lists (what `NFTAddressList.elements` spells out).
    case addAddressLists(set: String, [NFTAddressList])
    case deleteElements(set: String, [NFTValue])
}

/// An ordered list of commands on one table, applied by the kernel as one atomic transaction: packets see either
/// the old rules or the new ones, never a mixture or an empty table.
public struct NFTTransaction: Sendable, Hashable {
    public var family: NFTFamily
    public var table: String
    public var commands: [NFTCommand]

    public init(family: NFTFamily, table: String, commands: [NFTCommand] = []) {
        self.family = family
        self.table = table
        self.commands = commands
    }

    public var isEmpty: Bool { commands.isEmpty }

    /// Elements per `add element` line: long enough to keep parsing cheap, short enough for readable errors.
    static let elementsPerLine = 1000

    /// The transaction as `nft -f` text, one command per line, for `nft_run_cmd_from_buffer`.
    public func rendered() -> String {
        var out = TextBuffer()
        out.bytes.reserveCapacity(commands.count * 96)
        let prefix = "\(family.rawValue) \(table)"
        for command in commands {
            switch command {
            case .addTable(let comment):
                out.append("add table \(prefix)")
                if let comment { out.append(" { comment \(quoted(comment)) ; }") }
            case .deleteTable:
                out.append("delete table \(prefix)")
            case .addChain(let chain):
                out.append("add chain \(prefix) \(chain.name)")
                if let base = chain.base { out.append(" " + base.rendered) }
            case .flushChain(let name):
                out.append("flush chain \(prefix) \(name)")
            case .deleteChain(let name):
                out.append("delete chain \(prefix) \(name)")
            case .addRule(let chain, let rule):
                out.append("add rule \(prefix) \(chain) ")
                out.append(rule.rendered(family))
            case .addSet(let set):
                out.append("add \(set.isMap ? "map" : "set") \(prefix) \(set.name) \(set.renderedDeclaration(family))")
            case .flushSet(let name, let isMap):
                out.append("flush \(isMap ? "map" : "set") \(prefix) \(name)")
            case .deleteSet(let name, let isMap):
                out.append("delete \(isMap ? "map" : "set") \(prefix) \(name)")
            case .addElements(let set, let elements):
                for start in stride(from: 0, to: elements.count, by: Self.elementsPerLine) {
                    if start > 0 { out.append("\n") }
                    out.append("add element \(prefix) \(set) { ")
                    for (i, element) in elements[start..<min(start + Self.elementsPerLine, elements.count)].enumerated() {
                        if i > 0 { out.append(", ") }
                        out.appendElement(element.key, element.value, family)
                    }
                    out.append(" }")
                }
            case .addAddressLists(let set, let lists):
                var count = 0
                for list in lists {
                    for (index, address) in list.addresses.enumerated() {
                        if count % Self.elementsPerLine == 0 {
                            if count > 0 { out.append(" }\n") }
                            out.append("add element \(prefix) \(set) { ")
                        } else {
                            out.append(", ")
                        }
                        out.append(list.key)
                        out.append(" . ")
                        out.append(index)
                        out.append(" : ")
                        out.append(address)
                        count += 1
                    }
                }
                if count > 0 { out.append(" }") }
            case .deleteElements(let set, let keys):
                for start in stride(from: 0, to: keys.count, by: Self.elementsPerLine) {
                    if start > 0 { out.append("\n") }
                    out.append("delete element \(prefix) \(set) { ")
                    for (i, key) in keys[start..<min(start + Self.elementsPerLine, keys.count)].enumerated() {
                        if i > 0 { out.append(", ") }
                        out.append(key, family)
                    }
                    out.append(" }")
                }
            }
            out.append("\n")
        }
        return out.string
    }
}

// MARK: Building transactions from tables

extension NFTTransaction {
    /// Replaces the table wholesale: `add table` (so that the delete cannot fail), `delete table`, then everything.
    ///
    /// Established connections keep working: their NAT bindings live in conntrack, not in the rules. What is lost
    /// is session-affinity state (the dynamic sets), so prefer `refresh` when it succeeds.
    ///
    /// - Parameter lists: elements of the table's sets kept as address lists, added after the sets' own elements.
    public static func recreate(_ table: NFTTable, lists: [String: [NFTAddressList]] = [:]) -> NFTTransaction {
        var tx = NFTTransaction(family: table.family, table: table.name)
        tx.commands.append(.addTable(comment: nil))
        tx.commands.append(.deleteTable)
        tx.appendContents(of: table, lists: lists, flushing: false)
        return tx
    }

    /// Rewrites every object of the table in place, keeping the table, its dynamic sets' contents and thus
    /// session affinity: declares everything (idempotent), flushes every chain and every non-dynamic set, refills
    /// them, and removes `existing` chains and sets the model no longer has. Repairs any drift inside our objects
    /// (a rule or element deleted by hand comes back). Fails if an existing object has an incompatible declaration
    /// (e.g. a set whose type changed between versions); then use `recreate`.
    ///
    /// - Parameter lists: elements of the table's sets kept as address lists, added after the sets' own elements.
    /// - Parameter filled: sets that earlier transactions created and filled and no rule uses yet (see
    ///   `NFTProxyRuleset.stagedFullSync`): declared, but neither flushed nor filled again.
    public static func refresh(
        _ table: NFTTable, lists: [String: [NFTAddressList]] = [:], existing: NFTExistingObjects? = nil,
        filled: Set<String> = []
    ) -> NFTTransaction {
        var tx = NFTTransaction(family: table.family, table: table.name)
        tx.appendContents(of: table, lists: lists, flushing: true, existing: existing, filled: filled)
        return tx
    }

    private mutating func appendContents(
        of table: NFTTable, lists: [String: [NFTAddressList]], flushing: Bool, existing: NFTExistingObjects? = nil,
        filled: Set<String> = []
    ) {
        commands.append(.addTable(comment: table.comment))
        let setNames = table.sets.keys.sorted()
        let chainNames = table.chains.keys.sorted { lhs, rhs in
            // Base chains first: they are what a reader of `nft list` looks for.
            let l = table.chains[lhs]?.base == nil
            let r = table.chains[rhs]?.base == nil
            return l == r ? lhs < rhs : !l
        }
        // Sets whose size changed are deleted and declared anew once no rule uses them (a size is a limit the
        // kernel checks as elements go in, before a new declaration takes effect).
        let resized = Set(setNames.filter { name in
            guard flushing, let size = table.sets[name]?.size, let existing, existing.sets[name] != nil else { return false }
            return existing.sizes[name] != size
        })
        for name in setNames where !resized.contains(name) {
            if let set = table.sets[name] { commands.append(.addSet(set.declaration)) }
        }
        for name in chainNames {
            if let chain = table.chains[name] { commands.append(.addChain(chain.declaration)) }
        }
        var staleChains: [String] = []
        if flushing {
            for name in chainNames { commands.append(.flushChain(name)) }
            for name in setNames where !resized.contains(name) && !filled.contains(name) {
                if let set = table.sets[name], !set.isDynamic { commands.append(.flushSet(name, isMap: set.isMap)) }
            }
            if let existing {
                staleChains = existing.chains.subtracting(table.chains.keys).sorted()
                for name in staleChains { commands.append(.flushChain(name)) }
                for (name, isMap) in existing.sets.sorted(by: { $0.key < $1.key }) where table.sets[name] == nil {
                    commands.append(.deleteSet(name, isMap: isMap))
                }
            }
            for name in resized.sorted() {
                guard let set = table.sets[name] else { continue }
                commands.append(.deleteSet(name, isMap: set.isMap))
                commands.append(.addSet(set.declaration))
            }
        }
        // Rules before elements: binding a rule to a map makes the kernel walk the elements already in it, so
        // filling maps last keeps a full load linear.
        for name in chainNames {
            guard let chain = table.chains[name] else { continue }
            for rule in chain.rules { commands.append(.addRule(chain: name, rule)) }
        }
        for name in setNames where !filled.contains(name) {
            guard let set = table.sets[name], !set.elements.isEmpty else { continue }
            commands.append(.addElements(set: name, set.sortedElements))
        }
        for name in lists.keys.sorted() where table.sets[name] != nil && !filled.contains(name) {
            guard let sets = lists[name], !sets.isEmpty else { continue }
            commands.append(.addAddressLists(set: name, sets))
        }
        for name in staleChains { commands.append(.deleteChain(name)) }
    }

    /// The commands that turn `old` into `new`, touching only what differs. `old` and `new` may be partial views
    /// (only the objects and element keys in scope): objects absent from both are left alone.
    ///
    /// Order matters inside the transaction: chains are declared before anything refers to them, flushed before
    /// the sets their rules use are deleted, and deleted only after the map elements and rules that jump to them
    /// are gone; rules are added before elements (binding a rule walks the map's elements).
    public static func diff(from old: NFTTable, to new: NFTTable) -> NFTTransaction {
        var tx = NFTTransaction(family: new.family, table: new.name)
        let addedChains = new.chains.keys.filter { old.chains[$0] == nil }.sorted()
        let removedChains = old.chains.keys.filter { new.chains[$0] == nil }.sorted()
        var changedChains: [String] = []
        var redeclaredChains: [String] = []
        for (name, chain) in new.chains.sorted(by: { $0.key < $1.key }) {
            guard let previous = old.chains[name] else { continue }
            if previous.base != chain.base {
                redeclaredChains.append(name)
            } else if previous.rules != chain.rules {
                changedChains.append(name)
            }
        }
        let addedSets = new.sets.keys.filter { old.sets[$0] == nil }.sorted()
        let removedSets = old.sets.keys.filter { new.sets[$0] == nil }.sorted()
        var redeclaredSets: [String] = []
        var keptSets: [String] = []
        for (name, set) in new.sets.sorted(by: { $0.key < $1.key }) {
            guard let previous = old.sets[name] else { continue }
            if previous.declaration != set.declaration {
                redeclaredSets.append(name)
            } else {
                keptSets.append(name)
            }
        }

        // A chain whose rules use a set that is being re-created must be flushed too, or the delete fails.
        let recreated = Set(redeclaredSets)
        if !recreated.isEmpty {
            for (name, chain) in new.chains.sorted(by: { $0.key < $1.key })
            where old.chains[name]?.base == chain.base && !changedChains.contains(name)
                && chain.rules.contains(where: { !recreated.isDisjoint(with: $0.setReferences) })
            {
                changedChains.append(name)
            }
        }

        for name in addedChains {
            if let chain = new.chains[name] { tx.commands.append(.addChain(chain.declaration)) }
        }
        for name in changedChains + removedChains + redeclaredChains { tx.commands.append(.flushChain(name)) }
        for name in redeclaredChains {
            tx.commands.append(.deleteChain(name))
            if let chain = new.chains[name] { tx.commands.append(.addChain(chain.declaration)) }
        }
        for name in keptSets {
            guard let before = old.sets[name], let after = new.sets[name], !after.isDynamic else { continue }
            let gone = before.elements.compactMap { key, value in after.elements[key] == value ? nil : key }
            if !gone.isEmpty { tx.commands.append(.deleteElements(set: name, gone.sorted())) }
        }
        for name in removedSets + redeclaredSets {
            if let set = old.sets[name] { tx.commands.append(.deleteSet(name, isMap: set.isMap)) }
        }
        for name in addedSets + redeclaredSets {
            if let set = new.sets[name] { tx.commands.append(.addSet(set.declaration)) }
        }
        for name in changedChains + addedChains + redeclaredChains {
            guard let chain = new.chains[name] else { continue }
            for rule in chain.rules { tx.commands.append(.addRule(chain: name, rule)) }
        }
        for name in addedSets + redeclaredSets {
            guard let set = new.sets[name], !set.elements.isEmpty else { continue }
            tx.commands.append(.addElements(set: name, set.sortedElements))
        }
        for name in keptSets {
            guard let before = old.sets[name], let after = new.sets[name], !after.isDynamic else { continue }
            let fresh = after.elements.compactMap { key, value in
                before.elements[key] == value ? nil : NFTElement(key, value)
            }
            if !fresh.isEmpty { tx.commands.append(.addElements(set: name, fresh.sorted { $0.key < $1.key })) }
        }
        for name in removedChains { tx.commands.append(.deleteChain(name)) }
        return tx
    }
}

extension NFTSet {
    /// Elements in key order, for stable output. Integer keys (the endpoint maps, a quarter million elements at
    /// scale) sort as plain integers.
    public var sortedElements: [NFTElement] {
        if case .addressAndIndex? = elements.first?.key {
            var keys: [(UInt128, Int, IPAddress)] = []
            keys.reserveCapacity(elements.count)
            for key in elements.keys {
                guard case .addressAndIndex(let a, let i) = key else {
                    return elements.keys.sorted().compactMap { key in elements[key].map { NFTElement(key, $0) } }
                }
                keys.append((a.value, i, a))
            }
            keys.sort { ($0.0, $0.1) < ($1.0, $1.1) }
            return keys.compactMap { k in
                let key = NFTValue.addressAndIndex(k.2, index: k.1)
                return elements[key].map { NFTElement(key, $0) }
            }
        }
        if case .endpointKey? = elements.first?.key {
            // The ClusterIP endpoint maps: sort (address, port, index) triples without going through `compare`.
            var keys: [(UInt128, Int, Int, IPAddress)] = []
            keys.reserveCapacity(elements.count)
            for key in elements.keys {
                guard case .endpointKey(let a, let p, let i) = key else {
                    return elements.keys.sorted().compactMap { key in elements[key].map { NFTElement(key, $0) } }
                }
                keys.append((a.value, p, i, a))
            }
            keys.sort { ($0.0, $0.1, $0.2) < ($1.0, $1.1, $1.2) }
            return keys.compactMap { k in
                let key = NFTValue.endpointKey(k.3, port: k.1, index: k.2)
                return elements[key].map { NFTElement(key, $0) }
            }
        }
        var integers: [(Int, NFTElementData)] = []
        integers.reserveCapacity(elements.count)
        for (key, value) in elements {
            guard case .integer(let n) = key else {
                // Sort the keys alone: moving (key, value) pairs around costs more than the comparisons.
                return elements.keys.sorted().compactMap { key in elements[key].map { NFTElement(key, $0) } }
            }
            integers.append((n, value))
        }
        integers.sort { $0.0 < $1.0 }
        return integers.map { NFTElement(.integer($0.0), $0.1) }
    }
}

/// The names of the chains and sets that exist in the kernel's copy of the table, for `refresh` to delete the ones
/// the model no longer has.
public struct NFTExistingObjects: Sendable, Hashable {
    public var chains: Set<String>
    /// Set and map names, with whether each is a map.
    public var sets: [String: Bool]
    /// The declared `size` of the sets that have one.
    public var sizes: [String: Int]

    public init(chains: Set<String> = [], sets: [String: Bool] = [:], sizes: [String: Int] = [:]) {
        self.chains = chains
        self.sets = sets
        self.sizes = sizes
    }

    /// Reads the names from `nft list table <family> <name>` output (`-t`/terse output works too): the lines
    /// opening `chain X {`, `set X {` and `map X {`, and the `size N` lines of sets. With `table` (`"ip junction"`),
    /// only that table's part of a longer listing counts, e.g. of `nft -t list ruleset ip`, which libnftables
    /// answers without fetching set elements (a terse `list table` fetches them all: seconds at 250k elements).
    /// The read command whose output `parse(listing:table:)` takes for `table` (`"ip junction"`).
    public static func listCommand(for table: String) -> String {
        "list ruleset " + (table.split(separator: " ").first.map(String.init) ?? "ip")
    }

    public static func parse(listing: String, table: String? = nil) -> NFTExistingObjects {
        var result = NFTExistingObjects()
        var currentSet: String?
        var inTable = table == nil
        for line in listing.split(separator: "\n") {
            if let table, line.hasPrefix("table ") {
                inTable = line == "table \(table) {"
                continue
            }
            guard inTable else { continue }
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if words.count == 2, words[0] == "size", let set = currentSet, let size = Int(words[1]) {
                result.sizes[set] = size
                continue
            }
            guard words.count >= 3, words.last == "{" else { continue }
            let name = String(words[1].filter { $0 != "\"" })
            currentSet = nil
            switch words[0] {
            case "chain": result.chains.insert(name)
            case "set", "map":
                result.sets[name] = words[0] == "map"
                currentSet = name
            default: break
            }
        }
        return result
    }
}
