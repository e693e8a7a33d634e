import KubeModel
import ProxyCore

/// Names of the objects every Junction table has (the same as kube-proxy's where they mean the same).
public enum NFTNames {
    public static let serviceIPs = "service-ips"
    public static let serviceNodePorts = "service-nodeports"
    public static let noEndpointServices = "no-endpoint-services"
    public static let noEndpointNodePorts = "no-endpoint-nodeports"
    public static let firewallIPs = "firewall-ips"
    public static let clusterIPs = "cluster-ips"
    public static let nodePortIPs = "nodeport-ips"
    public static let hairpin = "hairpin"

    public static let services = "services"
    public static let masquerading = "masquerading"
    public static let rejectChain = "reject-chain"
    public static let firewallCheck = "firewall-check"
    public static let serviceEndpointsCheck = "service-endpoints-check"
    public static let nodePortEndpointsCheck = "nodeport-endpoints-check"
    public static let clusterIPsCheck = "cluster-ips-check"
    /// Where external traffic without a local endpoint (Local policy) is dropped, unless the host sent it: host
    /// traffic goes on to be short-circuited to all endpoints by the external chain.
    public static let noLocalEndpoints = "no-local-endpoints"

    /// `namespace/name/protocol/port`: unique per Service port, and readable in `nft list`. Namespaces, names
    /// and port names are DNS labels, so the result is a valid nft identifier well under its 255-byte limit.
    public static func portID(_ name: ServicePortName) -> String {
        "\(name.service.namespace)/\(name.service.name)/\(name.protocol.lowercaseName)/\(name.port)"
    }

    /// The Cluster-policy chain of a port; its endpoint map has the same name (chains and sets do not share a
    /// namespace in nftables).
    public static func clusterChain(_ name: ServicePortName) -> String { "svc-" + portID(name) }
    /// The Local-policy chain (this node's endpoints) and its endpoint map.
    public static func localChain(_ name: ServicePortName) -> String { "local-" + portID(name) }
    /// Where NodePort, external-IP and load-balancer traffic enters.
    public static func externalChain(_ name: ServicePortName) -> String { "ext-" + portID(name) }
    /// `loadBalancerSourceRanges` filtering.
    public static func firewallChain(_ name: ServicePortName) -> String { "fw-" + portID(name) }
    /// The shared chain, and its endpoint map of the same name, of every plain ClusterIP port with `count`
    /// endpoints of `proto` (see `NFTRuleBuilder`).
    public static func pickChain(_ proto: ServiceProtocol, count: Int) -> String { "pick-\(proto.lowercaseName)-\(count)" }
    /// The endpoint map of a `pick-…` chain: the chain's name in generation 0, with `-g1` in generation 1. A full
    /// sync fills the maps of the other generation before the transaction that points the chains at them (see
    /// `NFTProxyRuleset.stagedFullSync`).
    public static func pickMap(_ proto: ServiceProtocol, count: Int, generation: Int) -> String {
        pickChain(proto, count: count) + (generation == 0 ? "" : "-g\(generation)")
    }
    /// `ClusterIP . port` to target port of the plain ports of `proto`.
    public static func clusterPorts(_ proto: ServiceProtocol) -> String { "cluster-ports-\(proto.lowercaseName)" }
    /// The ClientIP-affinity set of one endpoint of one port (`:` of IPv6 addresses spelled `.`).
    public static func affinitySet(_ name: ServicePortName, _ endpoint: Endpoint) -> String {
        let address = endpoint.ip.description.map { $0 == ":" ? "." : $0 }
        return "aff-\(portID(name))__\(String(address))/\(endpoint.port)"
    }
}

/// An element of a set shared by all Service ports (the dispatch maps, `cluster-ips`, `hairpin`).
struct SharedKey: Sendable, Hashable {
    var set: String
    var key: NFTValue
}

/// The ports that want one shared element, with the value each wants. Almost every element has one claimant,
/// so that case stores no dictionary.
enum Claimants: Sendable, Equatable {
    case one(ServicePortName, NFTElementData)
    case many([ServicePortName: NFTElementData])

    /// The value of the smallest port name.
    var winner: NFTElementData? {
        switch self {
        case .one(_, let value): value
        case .many(let owners): owners.keys.min().flatMap { owners[$0] }
        }
    }

    /// The smallest port name.
    var winnerName: ServicePortName? {
        switch self {
        case .one(let name, _): name
        case .many(let owners): owners.keys.min()
        }
    }

    func adding(_ name: ServicePortName, _ value: NFTElementData) -> Claimants {
        switch self {
        case .one(let other, _) where other == name:
            return .one(name, value)
        case .one(let other, let otherValue):
            return .many([other: otherValue, name: value])
        case .many(var owners):
            owners[name] = value
            return .many(owners)
        }
    }

    /// Nil when no claimant is left.
    func removing(_ name: ServicePortName) -> Claimants? {
        switch self {
        case .one(let other, _): return other == name ? nil : self
        case .many(var owners):
            owners[name] = nil
            if owners.count == 1, let (other, value) = owners.first { return .one(other, value) }
            return owners.isEmpty ? nil : .many(owners)
        }
    }
}

/// Elements of a shared set that only one port ever writes (its range of an endpoint map): no arbitration.
struct OwnedElements: Sendable, Equatable {
    var set: String
    var elements: [NFTElement]
}

/// Where the endpoint list of a plain ClusterIP port lives: under its ClusterIP in the `pick-<proto>-<N>` map.
struct ListKey: Sendable, Hashable {
    var map: String
    var clusterIP: IPAddress
}

/// The endpoint addresses of plain ports: one list per ClusterIP, protocol and endpoint count, shared by the ports
/// of that Service that have this protocol and count (they have the same addresses; see `NFTRuleBuilder.isPlain`).
struct ClusterList: Sendable, Equatable {
    var key: ListKey
    var addresses: EndpointAddresses
}

/// The shared elements a plain port claims (`NFTRuleBuilder.plainObjects`), kept as the few values they are made
/// of rather than as a dictionary of elements per port (5 MB at 10k Services).
struct PlainClaims: Sendable, Equatable {
    var clusterIP: IPAddress
    var port: Int
    var targetPort: Int
    var `protocol`: ServiceProtocol
    /// The `pick-…` chain the port's dispatch element goes to.
    var pick: String
    /// Endpoints that may be the port's clients too (`hairpin`).
    var hairpin: [Endpoint]

    /// A dispatch element in `service-ips`, the ClusterIP in `cluster-ips`, the target port in
    /// `cluster-ports-<proto>`, and the hairpin pairs.
    var elements: [(SharedKey, NFTElementData)] {
        var out: [(SharedKey, NFTElementData)] = [
            (SharedKey(set: NFTNames.serviceIPs, key: .concat([.address(clusterIP), .proto(`protocol`), .port(port)])),
             NFTElementData(.verdict(.goto(pick)))),
            (SharedKey(set: NFTNames.clusterIPs, key: .address(clusterIP)), NFTElementData()),
            (SharedKey(set: NFTNames.clusterPorts(`protocol`), key: .addressAndPort(clusterIP, port)),
             NFTElementData(.port(targetPort))),
        ]
        for endpoint in hairpin {
            out.append((SharedKey(set: NFTNames.hairpin, key: .concat([.address(endpoint.ip), .address(endpoint.ip)])),
                        NFTElementData()))
        }
        return out
    }
}

/// What one Service port contributes to the table.
struct PortObjects: Sendable, Equatable {
    var chains: [NFTChain] = []
    var sets: [NFTSet] = []
    var claims: [SharedKey: NFTElementData] = [:]
    /// A plain port's claims, in place of `claims`.
    var plainClaims: PlainClaims? = nil
    var owned: [OwnedElements] = []
    /// Chains and sets several ports may contribute identically (the `pick-…` chain and map of an endpoint
    /// count): in the table while at least one port wants them.
    var sharedChains: [NFTChain] = []
    var sharedSets: [NFTSet] = []
    var clusterList: ClusterList? = nil

    /// Every shared element the port claims.
    var allClaims: [(SharedKey, NFTElementData)] {
        guard let plainClaims else { return claims.map { ($0.key, $0.value) } }
        return plainClaims.elements + claims.map { ($0.key, $0.value) }
    }
}

/// The built rules: the table as the kernel should have it, plus the bookkeeping that lets a sync change only
/// the Service ports that changed. A value; the daemon keeps the one whose transaction last succeeded.
public struct NFTProxyRuleset: Sendable, Equatable {
    public let config: NFTProxyConfig
    /// Which names the `pick-…` maps have (`NFTNames.pickMap`): 0 or 1.
    public let generation: Int
    /// Everything Junction wants in its table except the plain ports' endpoint lists, which are in `lists`, and
    /// the claimed elements of the shared sets, which are in `claims` (`withClaims` adds them).
    private(set) var base: NFTTable
    var contributions: [ServicePortName: PortObjects] = [:]
    /// Who wants which shared element. Two ports may claim the same key (a ClusterIP shared by several ports, or
    /// two Services given the same external IP and port); the smallest port name wins, deterministically, rather
    /// than letting a conflict fail every transaction.
    var claims: [SharedKey: Claimants] = [:]
    /// The elements of the `pick-…` maps as address lists, with how many ports use each. Kept as lists rather
    /// than as elements of `base`: a quarter of a million elements at 10k Services × 25 endpoints.
    var lists: [ListKey: (users: Int, addresses: EndpointAddresses)] = [:]
    /// Elements per `pick-…` map (the sum of its lists), which decides the map's `size`.
    var listElementCounts: [String: Int] = [:]
    /// An update put more elements in a `pick-…` map than its `size` allows: the kernel would refuse the
    /// transaction, so run a full sync instead (`build(_:previous:)` sizes the maps anew).
    public internal(set) var outgrown = false
    /// Where each endpoint list lives in the shared endpoint maps.
    var slots = SlotAllocator()
    /// How many ports want each shared chain (`chain NAME`) and set (`set NAME`).
    var sharedUsers: [String: Int] = [:]
    /// One copy of the shared chains and sets of each `pick-…` chain name, that ports' contributions point to.
    var sharedObjects: [String: (chains: [NFTChain], sets: [NFTSet])] = [:]

    init(config: NFTProxyConfig, generation: Int, table: NFTTable) {
        self.config = config
        self.generation = generation
        self.base = table
    }

    public static func == (lhs: NFTProxyRuleset, rhs: NFTProxyRuleset) -> Bool {
        lhs.config == rhs.config && lhs.generation == rhs.generation && lhs.base == rhs.base && lhs.contributions == rhs.contributions
            && lhs.claims == rhs.claims && lhs.slots == rhs.slots && lhs.sharedUsers == rhs.sharedUsers
            && lhs.lists.count == rhs.lists.count
            && lhs.lists.allSatisfy { key, value in rhs.lists[key].map { $0 == value } ?? false }
    }

    /// Everything Junction wants in its table, every element spelled out (for tests and the packet tracer; syncs
    /// render the lists directly).
    public var table: NFTTable {
        var table = withClaims
        for (key, list) in lists {
            for element in NFTAddressList(key: key.clusterIP, addresses: list.addresses).elements {
                table.sets[key.map]?.elements[element.key] = element.value
            }
        }
        return table
    }

    /// `base` with the shared sets' claimed elements, each key with its winning value: what full syncs render.
    var withClaims: NFTTable {
        var table = base
        for (key, claimants) in claims {
            guard let value = claimants.winner else { continue }
            table.sets[key.set]?.elements[key.key] = value
        }
        return table
    }

    /// The endpoint lists by map, in address order.
    var addressLists: [String: [NFTAddressList]] {
        var byMap: [String: [NFTAddressList]] = [:]
        for (key, list) in lists {
            byMap[key.map, default: []].append(NFTAddressList(key: key.clusterIP, addresses: list.addresses))
        }
        for map in byMap.keys { byMap[map]?.sort { $0.key < $1.key } }
        return byMap
    }

    /// The whole table, for the first sync and periodic resyncs (see `NFTTransaction.refresh`/`recreate`).
    public func fullTransaction(existing: NFTExistingObjects? = nil) -> NFTTransaction {
        NFTTransaction.refresh(withClaims, lists: addressLists, existing: existing)
    }

    /// A full sync in steps: `fills` create this generation's `pick-…` maps and fill them, each its own
    /// transaction and independent of the others (they may run at once, on separate libnftables contexts); no rule
    /// uses those maps yet, so traffic does not see them. Then `commit`, one atomic transaction, rewrites everything
    /// else as `fullTransaction` does, pointing the `pick-…` chains at the new maps and deleting the other
    /// generation's. libnftables spends most of a large full sync parsing and evaluating map elements, one core
    /// per context, so on two cores the elements load in about half the time.
    ///
    /// `cleanup` deletes the filled maps again, one transaction each (a fill may have failed before making its
    /// maps), for when the switch does not happen: the kernel is then as it was.
    ///
    /// Nil when one of this generation's maps already exists in the kernel (left by an interrupted sync, or the
    /// same generation as the kernel's rules): then use `fullTransaction`.
    public func stagedFullSync(
        existing: NFTExistingObjects, workers: Int
    ) -> (fills: [NFTTransaction], commit: NFTTransaction, cleanup: [NFTTransaction])? {
        let lists = addressLists
        let maps = Set(lists.keys)
        guard !maps.isEmpty, maps.allSatisfy({ existing.sets[$0] == nil }) else { return nil }
        // Lists dealt to the workers by element count, largest first, each to the least loaded.
        var work = lists.flatMap { map, lists in lists.map { (map, $0) } }
        work.sort { ($0.1.addresses.count, $0.0, $0.1.key) > ($1.1.addresses.count, $1.0, $1.1.key) }
        var shares = Array(repeating: (count: 0, lists: [String: [NFTAddressList]]()), count: max(1, workers))
        for (map, list) in work {
            let least = shares.indices.min { shares[$0].count < shares[$1].count } ?? 0
            shares[least].count += list.addresses.count
            shares[least].lists[map, default: []].append(list)
        }
        let fills = shares.filter { $0.count > 0 }.map { share in
            var tx = NFTTransaction(family: base.family, table: base.name)
            tx.commands.append(.addTable(comment: base.comment))
            for map in share.lists.keys.sorted() {
                guard let set = base.sets[map] else { continue }
                tx.commands.append(.addSet(set.declaration))
                let sorted = (share.lists[map] ?? []).sorted { $0.key < $1.key }
                tx.commands.append(.addAddressLists(set: map, sorted))
            }
            return tx
        }
        let cleanup = maps.sorted().map {
            NFTTransaction(family: base.family, table: base.name, commands: [.deleteSet($0, isMap: true)])
        }
        return (fills, NFTTransaction.refresh(withClaims, lists: lists, existing: existing, filled: maps), cleanup)
    }

    /// A full sync as the proxy runs it: staged (`stagedFullSync`) when the kernel's table could be read and this
    /// generation's maps are free, otherwise one `fullTransaction` (no fills, nothing to clean up).
    public func fullSync(
        existing: NFTExistingObjects?, workers: Int
    ) -> (fills: [NFTTransaction], commit: NFTTransaction, cleanup: [NFTTransaction]) {
        if let existing, let staged = stagedFullSync(existing: existing, workers: workers) { return staged }
        return ([], fullTransaction(existing: existing), [])
    }

    /// The whole table, replacing whatever the kernel has (when `fullTransaction` fails on an incompatible
    /// leftover).
    public func recreateTransaction() -> NFTTransaction {
        NFTTransaction.recreate(withClaims, lists: addressLists)
    }

    /// The element value the winning claimant wants, if any.
    func effective(_ key: SharedKey) -> NFTElementData? { claims[key]?.winner }

    /// The elements of an endpoint list, if it is in the table.
    func listElements(_ key: ListKey) -> [NFTElement] {
        lists[key].map { NFTAddressList(key: key.clusterIP, addresses: $0.addresses).elements } ?? []
    }

    mutating func write(_ elements: [NFTElement], to setName: String, remove: Bool) {
        // Taken out of the dictionary while changed, so that its element storage is not copied.
        guard var set = base.sets.removeValue(forKey: setName) else { return }
        for element in elements { set.elements[element.key] = remove ? nil : element.value }
        base.sets[setName] = set
    }

    mutating func remove(_ name: ServicePortName) {
        guard let old = contributions[name] else { return }
        contributions[name] = nil
        for chain in old.chains { base.chains[chain.name] = nil }
        for set in old.sets { base.sets[set.name] = nil }
        for (key, _) in old.allClaims { claims[key] = claims[key]?.removing(name) }
        for group in old.owned { write(group.elements, to: group.set, remove: true) }
        if let list = old.clusterList, let entry = lists[list.key] {
            lists[list.key] = entry.users > 1 ? (entry.users - 1, entry.addresses) : nil
            if entry.users == 1 { listElementCounts[list.key.map, default: 0] -= entry.addresses.count }
        }
        for chain in old.sharedChains where release("chain " + chain.name) {
            base.chains[chain.name] = nil
            sharedObjects[chain.name] = nil
        }
        for set in old.sharedSets where release("set " + set.name) { base.sets[set.name] = nil }
    }

    mutating func insert(_ name: ServicePortName, _ objects: PortObjects) {
        var objects = objects
        // Every plain port with the same protocol and count contributes the same shared chain and map: keep one
        // copy of each (the arrays share their storage), not one per port (~40 MB at 10k ports).
        if let first = objects.sharedChains.first, let interned = sharedObjects[first.name],
            interned.chains == objects.sharedChains, interned.sets == objects.sharedSets
        {
            objects.sharedChains = interned.chains
            objects.sharedSets = interned.sets
        } else if let first = objects.sharedChains.first {
            sharedObjects[first.name] = (objects.sharedChains, objects.sharedSets)
        }
        for chain in objects.sharedChains where retain("chain " + chain.name) { base.chains[chain.name] = chain }
        for set in objects.sharedSets where retain("set " + set.name) { base.sets[set.name] = set }
        contributions[name] = objects
        for chain in objects.chains { base.chains[chain.name] = chain }
        for set in objects.sets { base.sets[set.name] = set }
        for (key, value) in objects.allClaims { claims[key] = claims[key].map { $0.adding(name, value) } ?? .one(name, value) }
        for group in objects.owned { write(group.elements, to: group.set, remove: false) }
        if let list = objects.clusterList {
            // The ports sharing a list have the same addresses; the first one's stay while any uses it.
            let entry = lists[list.key]
            lists[list.key] = ((entry?.users ?? 0) + 1, entry?.addresses ?? list.addresses)
            if entry == nil { listElementCounts[list.key.map, default: 0] += list.addresses.count }
        }
    }

    /// The `size` of a `pick-…` map of `count` elements: a power of two with room to grow by half; the current
    /// size stays while the count is between an eighth of it and all of it. Declared sizes let the kernel make
    /// the hash table big enough at once (at 10k × 25 a full load spends half as long in the kernel as when the
    /// table grows as elements arrive).
    static func capacity(for count: Int, current: Int?) -> Int {
        if let current, count <= current, count * 8 >= current { return current }
        var size = 256
        while size < count + count / 2 { size *= 2 }
        return size
    }

    /// Sizes `maps` for their element counts, keeping the sizes `current` gives where they fit (see `capacity`).
    mutating func size(_ maps: some Sequence<String>, current: (String) -> Int?) {
        for map in maps where base.sets[map] != nil {
            base.sets[map]?.size = Self.capacity(for: listElementCounts[map] ?? 0, current: current(map))
        }
    }

    /// After an update: new `pick-…` maps get a size; an existing one that no longer fits sets `outgrown`.
    mutating func checkSizes(_ maps: some Sequence<String>) {
        for map in maps {
            guard let set = base.sets[map] else { continue }
            let count = listElementCounts[map] ?? 0
            if let size = set.size {
                if count > size { outgrown = true }
            } else {
                base.sets[map]?.size = Self.capacity(for: count, current: nil)
            }
        }
    }

    /// Counts a user of a shared object; true for the first.
    private mutating func retain(_ name: String) -> Bool {
        let users = sharedUsers[name, default: 0] + 1
        sharedUsers[name] = users
        return users == 1
    }

    /// Drops a user of a shared object; true for the last.
    private mutating func release(_ name: String) -> Bool {
        let users = sharedUsers[name, default: 1] - 1
        sharedUsers[name] = users > 0 ? users : nil
        return users <= 0
    }
}

/// Builds Junction's nftables table from a `ProxySnapshot`. Pure: no I/O, no clock.
///
/// ## Layout
/// Dispatch is by verdict maps, flat in the number of Services: `services` looks the packet's
/// `daddr . l4proto . dport` up in `service-ips` (and NodePorts in `service-nodeports`) and goes to the port's
/// chain. Filter chains at priority dstnat−10 see the pre-NAT destination: `firewall-check` applies
/// loadBalancerSourceRanges, `service-endpoints-check`/`nodeport-endpoints-check` refuse ports without endpoints
/// (`reject` is only allowed in input, forward and output), and `cluster-ips-check` refuses unknown ports on a
/// ClusterIP. Masquerading is decided by setting a mark bit, and done in `masquerading` (postrouting).
///
/// ## Plain ports: no chain of their own
/// A port reachable only on its ClusterIP, with the Cluster internal policy and no affinity (`isPlain`), is only
/// elements: `service-ips` sends it to `pick-<proto>-<N>`, shared by every such port with N endpoints, whose rule
/// `dnat ip to ip daddr . th dport . numgen random mod N map @pick-<proto>-<N>` finds the endpoint under
/// `ClusterIP . port . index` in the map of the same name. libnftables 1.0.6 dumps every chain of the namespace
/// into its cache before each command that adds or deletes an element or rule, so at 10k Services a chain per
/// port made every one-endpoint update cost 8–11 ms; without them it costs well under a millisecond.
///
/// ## Endpoint choice for the other ports: one rule per port and shared data maps, no chain or set per endpoint
/// kube-proxy jumps from `numgen random mod N vmap { i : goto endpoint-chain }` to one chain per endpoint, which
/// `research/nft-sync.md` measured superlinear (254 s to load 10k Services × 25 endpoints). Here each port's
/// `svc-…` (and `local-…`) chain has one dispatch rule,
/// `meta l4proto tcp dnat ip to numgen random mod N offset B map @endpoints-tcp-K`: the port's endpoint list
/// occupies keys `B ..< B+N` of one of a few shared data maps (`B` = slot × `EndpointMaps.stride`; the slot is
/// the list's for as long as it exists; `K` = slot mod the bucket count). Why this shape, measured on this
/// machine at 10k × 25 in process through libnftables (2 loaded cores):
/// - a named map per Service loads in 11.5 s, 75% of it in the kernel's linear name lookups over 10k sets
///   (`nf_tables_newset`, `nft_set_lookup_global`), and every later command pays for listing 10k sets;
/// - one shared map loads in 46 s: the kernel's work per element insert and per rule bind grows with the rules
///   bound to the map and the elements in it; 64 buckets bring the full load to ~2.8 s (1.4 s of it nft parsing
///   text), and rules are added before elements so binds walk empty maps;
/// - an endpoint replaced at constant size is an element delete and add in a plain data map, the cheapest
///   transaction there is (~8–11 ms, mostly libnftables' cache refill); a size change also rewrites one short
///   rule (~17–25 ms); kube-proxy's layout needs ~60 ms for the same;
/// - a sync parses one rule per port instead of one chain and rules per endpoint.
/// Hairpin masquerade, which kube does per endpoint chain (`ip saddr <endpoint> mark`), is one postrouting rule
/// over a `hairpin` set of `address . address` pairs of the endpoints that can be local sources.
///
/// ClientIP affinity needs to know which endpoint was chosen in order to remember it, so affine ports use rules
/// per endpoint instead: first `ip saddr @aff-<endpoint> … dnat` for remembered clients, then a chain of
/// `numgen random mod (N−i) == 0 update @aff-<endpoint> … dnat` rules; rule i fires with probability
/// 1/(N−i) given the ones before it did not, which makes every endpoint equally likely (1/N), as the tracer's
/// probabilities check. The affinity sets are per endpoint, as kube's, so removing one endpoint forgets only its
/// clients. (Affine Services are few; their sets are the only per-endpoint objects.)
public struct NFTRuleBuilder: Sendable {
    public let config: NFTProxyConfig

    public init(config: NFTProxyConfig) {
        self.config = config
    }

    private var family: NFTFamily { config.nftFamily }
    private var addressType: NFTDataType { family.addressType }

    /// The complete ruleset for a snapshot.
    ///
    /// - Parameter previous: the ruleset in the kernel, if any: endpoint lists keep their places in the shared
    ///   endpoint maps, so a periodic full sync rewrites the same elements instead of renumbering them, and the
    ///   result is exactly what incremental updates from `previous` would give.
    ///
    /// - Parameter generation: the names of the `pick-…` maps (`NFTNames.pickMap`); by default `previous`'s.
    public func build(_ snapshot: ProxySnapshot, previous: NFTProxyRuleset? = nil, generation: Int? = nil) -> NFTProxyRuleset {
        let generation = generation ?? previous?.generation ?? 0
        var ruleset = NFTProxyRuleset(config: config, generation: generation, table: staticTable())
        ruleset.claims.reserveCapacity(snapshot.servicePorts.count * 4)
        ruleset.contributions.reserveCapacity(snapshot.servicePorts.count)
        ruleset.lists.reserveCapacity(snapshot.servicePorts.count)
        if let previous, previous.config == config {
            ruleset.slots = previous.slots
            let wanted = Set(snapshot.servicePorts.values.flatMap { endpointLists(for: $0, in: snapshot) })
            for list in ruleset.slots.lists where !wanted.contains(list) { ruleset.slots.release(list) }
        }
        for name in snapshot.servicePorts.keys.sorted() {
            guard let port = snapshot.servicePorts[name] else { continue }
            ruleset.insert(name, objects(for: port, in: snapshot, generation: generation, slots: &ruleset.slots))
        }
        let previousSets = previous?.config == config && previous?.generation == generation ? previous?.base.sets : nil
        ruleset.size(Array(ruleset.listElementCounts.keys)) { previousSets?[$0]?.size }
        return ruleset
    }

    /// Brings `ruleset` up to date for the ports in `changed` (the snapshot's `refresh` result) and returns the
    /// minimal transaction for it: only those ports' chains are flushed and refilled, only their map elements
    /// added or deleted. Apply it only to a kernel that holds the previous `ruleset`; after a failure, run a full
    /// transaction instead.
    public func update(_ ruleset: inout NFTProxyRuleset, snapshot: ProxySnapshot, changed: some Sequence<ServicePortName>) -> NFTTransaction {
        var old = NFTTable(family: family, name: config.tableName)
        var new = old
        // A port's layout depends on the other ports of its Service (plain ports share endpoint lists), so all of
        // a changed Service's ports are rebuilt.
        var expanded = Set(changed)
        for service in Set(expanded.map(\.service)) { expanded.formUnion(snapshot.portNames(of: service)) }
        let names = expanded.sorted()
        // Free the places of endpoint lists that go away first, then place new lists in name order: the same
        // sequence `build(_:previous:)` follows, so both give the same table.
        for name in names {
            let wanted = Set(snapshot.servicePorts[name].map { endpointLists(for: $0, in: snapshot) } ?? [])
            for list in ruleset.slots.lists(of: name) where !wanted.contains(list) { ruleset.slots.release(list) }
        }
        var touched = Set<SharedKey>()
        var touchedLists = Set<ListKey>()
        var built: [(ServicePortName, PortObjects?)] = []
        var sharedChains = Set<String>()
        var sharedSets = Set<String>()
        for name in names {
            let before = ruleset.contributions[name]
            let after = snapshot.servicePorts[name].map {
                objects(for: $0, in: snapshot, generation: ruleset.generation, slots: &ruleset.slots)
            }
            if before == after { continue }
            built.append((name, after))
            for objects in [before, after].compactMap({ $0 }) {
                sharedChains.formUnion(objects.sharedChains.map(\.name))
                sharedSets.formUnion(objects.sharedSets.map(\.name))
                if let list = objects.clusterList { touchedLists.insert(list.key) }
            }
            for chain in before?.chains ?? [] { old.chains[chain.name] = chain }
            for set in before?.sets ?? [] { old.sets[set.name] = set }
            for chain in after?.chains ?? [] { new.chains[chain.name] = chain }
            for set in after?.sets ?? [] { new.sets[set.name] = set }
            for objects in [before, after].compactMap({ $0 }) { touched.formUnion(objects.allClaims.map(\.0)) }
            // Owned elements need no arbitration: the old side has the old port's, the new side the new port's.
            // The map itself stays (it is static), so both sides declare it.
            for group in (before?.owned ?? []) + (after?.owned ?? []) {
                guard let declaration = ruleset.base.sets[group.set]?.declaration else { continue }
                if old.sets[group.set] == nil { old.sets[group.set] = declaration }
                if new.sets[group.set] == nil { new.sets[group.set] = declaration }
            }
            for group in before?.owned ?? [] {
                for element in group.elements { old.sets[group.set]?.elements[element.key] = element.value }
            }
            for group in after?.owned ?? [] {
                for element in group.elements { new.sets[group.set]?.elements[element.key] = element.value }
            }
        }
        // Shared objects are in a view when they exist on its side, sets as declarations: their elements are the
        // endpoint lists, of which only the touched ones are added.
        func addSharedObjects(to view: inout NFTTable) {
            for name in sharedChains { if let chain = ruleset.base.chains[name] { view.chains[name] = chain } }
            for name in sharedSets where view.sets[name] == nil {
                if let set = ruleset.base.sets[name] { view.sets[name] = set.declaration }
            }
            for key in touchedLists {
                let elements = ruleset.listElements(key)
                if elements.isEmpty { continue }
                if view.sets[key.map] == nil, let declaration = ruleset.base.sets[key.map]?.declaration {
                    view.sets[key.map] = declaration
                }
                for element in elements { view.sets[key.map]?.elements[element.key] = element.value }
            }
        }
        addSharedObjects(to: &old)
        for key in touched {
            guard let declaration = ruleset.base.sets[key.set]?.declaration else { continue }
            if old.sets[key.set] == nil { old.sets[key.set] = declaration }
            old.sets[key.set]?.elements[key.key] = ruleset.effective(key)
        }
        // All removals before any insertion: a new list may have taken the slot a removed one freed.
        for (name, _) in built { ruleset.remove(name) }
        for (name, objects) in built {
            if let objects { ruleset.insert(name, objects) }
        }
        ruleset.checkSizes(Set(touchedLists.map(\.map)))
        addSharedObjects(to: &new)
        for key in touched {
            guard let declaration = ruleset.base.sets[key.set]?.declaration else { continue }
            if new.sets[key.set] == nil { new.sets[key.set] = declaration }
            new.sets[key.set]?.elements[key.key] = ruleset.effective(key)
        }
        return NFTTransaction.diff(from: old, to: new)
    }

    // MARK: Static objects

    private func ctNew(_ target: String) -> NFTRule { NFTRule([.connectionNew], [.verdict(.jump(target))]) }

    private var destinationKey: [NFTField] { [.destinationAddress, .l4proto, .destinationPort] }

    /// Matches a packet for a NodePort address.
    private var nodePortMatches: [NFTMatch] {
        switch config.nodePortAddresses {
        case .all:
            var matches: [NFTMatch] = [.addressIsLocal(source: false)]
            if !config.localhostNodePortsEnabled {
                let loopback: NFTValue =
                    family == .ip
                    ? CIDR(containing: IPAddress(127, 0, 0, 0), prefixLength: 8).map(NFTValue.prefix)
                        ?? .address(IPAddress(127, 0, 0, 1))
                    : .address(IPAddress(v6: 1))
                matches.append(.equals(.destinationAddress, loopback, negated: true))
            }
            return matches
        case .addresses:
            return [.inSet([.destinationAddress], set: NFTNames.nodePortIPs)]
        }
    }

    /// Everything that does not depend on Services: base chains, fixed chains, the shared sets and maps.
    public func staticTable() -> NFTTable {
        let mark = config.masqueradeMark
        let filter = { (hook: NFTHook, priority: Int) in NFTBaseChain(type: .filter, hook: hook, priority: priority) }
        let nat = { (hook: NFTHook, priority: Int) in NFTBaseChain(type: .nat, hook: hook, priority: priority) }
        let early = NFTBaseChain.dstnat - 10
        var chains: [NFTChain] = [
            NFTChain("filter-prerouting", base: filter(.prerouting, early), rules: [ctNew(NFTNames.firewallCheck)]),
            NFTChain(
                "filter-input", base: filter(.input, early),
                rules: [ctNew(NFTNames.nodePortEndpointsCheck), ctNew(NFTNames.serviceEndpointsCheck)]),
            NFTChain(
                "filter-forward", base: filter(.forward, early),
                rules: [ctNew(NFTNames.serviceEndpointsCheck), ctNew(NFTNames.clusterIPsCheck)]),
            NFTChain(
                "filter-output", base: filter(.output, early),
                rules: [ctNew(NFTNames.serviceEndpointsCheck), ctNew(NFTNames.firewallCheck)]),
            NFTChain(
                "filter-output-post-dnat", base: filter(.output, NFTBaseChain.dstnat + 10),
                rules: [ctNew(NFTNames.clusterIPsCheck)]),
            NFTChain("nat-prerouting", base: nat(.prerouting, NFTBaseChain.dstnat), rules: [NFTRule([.verdict(.jump(NFTNames.services))])]),
            NFTChain("nat-output", base: nat(.output, NFTBaseChain.dstnat), rules: [NFTRule([.verdict(.jump(NFTNames.services))])]),
            NFTChain(
                "nat-postrouting", base: nat(.postrouting, NFTBaseChain.srcnat),
                rules: [NFTRule([.verdict(.jump(NFTNames.masquerading))])]),
            NFTChain(
                NFTNames.firewallCheck, rules: [NFTRule([.verdictMap(destinationKey, map: NFTNames.firewallIPs)])]),
            NFTChain(
                NFTNames.rejectChain,
                rules: [
                    NFTRule([.equals(.l4proto, .proto(.tcp))], [.reject(.tcpReset)]),
                    NFTRule([.reject(.icmpPortUnreachable)]),
                ]),
            NFTChain(
                NFTNames.noLocalEndpoints,
                rules: [
                    NFTRule([.addressIsLocal(source: true)], [.verdict(.return)], comment: "host traffic is short-circuited"),
                    NFTRule([.verdict(.drop)]),
                ]),
            NFTChain(
                NFTNames.serviceEndpointsCheck,
                rules: [NFTRule([.verdictMap(destinationKey, map: NFTNames.noEndpointServices)])]),
            NFTChain(
                NFTNames.nodePortEndpointsCheck,
                rules: [
                    NFTRule(nodePortMatches, [.verdictMap([.l4proto, .destinationPort], map: NFTNames.noEndpointNodePorts)])
                ]),
            NFTChain(
                NFTNames.services,
                rules: [
                    NFTRule([.verdictMap(destinationKey, map: NFTNames.serviceIPs)]),
                    NFTRule(nodePortMatches, [.verdictMap([.l4proto, .destinationPort], map: NFTNames.serviceNodePorts)]),
                ]),
            NFTChain(
                NFTNames.masquerading,
                rules: [
                    NFTRule([.markBits(mark, isSet: true)], [.clearMarkBits(mark), .masquerade]),
                    NFTRule(
                        [.connectionDNAT, .inSet([.sourceAddress, .destinationAddress], set: NFTNames.hairpin)],
                        [.masquerade], comment: "hairpin"),
                ]),
        ]
        var checks = [NFTRule([.inSet([.destinationAddress], set: NFTNames.clusterIPs)], [.verdict(.goto(NFTNames.rejectChain))])]
        let serviceCIDRs = config.familyServiceCIDRs
        if !serviceCIDRs.isEmpty {
            checks.append(NFTRule([.inList(.destinationAddress, serviceCIDRs.map(NFTValue.prefix))], [.verdict(.drop)]))
        }
        chains.append(NFTChain(NFTNames.clusterIPsCheck, rules: checks))

        let dispatch = NFTSetSpec.types([addressType, .inetProto, .inetService], data: .verdict)
        let nodePortDispatch = NFTSetSpec.types([.inetProto, .inetService], data: .verdict)
        var sets: [NFTSet] = [
            NFTSet(NFTNames.serviceIPs, spec: dispatch, comment: "ClusterIP, external IP and LB IP to service chain"),
            NFTSet(NFTNames.serviceNodePorts, spec: nodePortDispatch, comment: "NodePort to service chain"),
            NFTSet(NFTNames.noEndpointServices, spec: dispatch, comment: "service addresses without usable endpoints"),
            NFTSet(NFTNames.noEndpointNodePorts, spec: nodePortDispatch, comment: "NodePorts without usable endpoints"),
            NFTSet(NFTNames.firewallIPs, spec: dispatch, comment: "LB IPs with source ranges"),
            NFTSet(NFTNames.clusterIPs, spec: .types([addressType]), comment: "active ClusterIPs"),
            NFTSet(NFTNames.hairpin, spec: .types([addressType, addressType]), comment: "endpoint address pairs for hairpin"),
        ]
        for proto in ServiceProtocol.allCases {
            sets.append(NFTSet(
                NFTNames.clusterPorts(proto), spec: .types([addressType, .inetService], data: .inetService),
                comment: "ClusterIP and port to target port of plain \(proto.lowercaseName) ports"))
            for bucket in 0..<config.endpointMapBuckets(proto) {
                sets.append(NFTSet(EndpointMaps.name(proto, bucket: bucket), spec: .endpointIndex(proto)))
            }
        }
        if case .addresses(let addresses) = config.nodePortAddresses {
            var elements: [NFTValue: NFTElementData] = [:]
            for address in addresses where config.family.contains(address) { elements[.address(address)] = NFTElementData() }
            if config.localhostNodePortsEnabled { elements[.address(IPAddress(127, 0, 0, 1))] = NFTElementData() }
            sets.append(NFTSet(NFTNames.nodePortIPs, spec: .types([addressType]), comment: "NodePort addresses", elements: elements))
        }
        return NFTTable(
            family: family, name: config.tableName, comment: "Junction service proxy: rewritten by every sync",
            chains: Dictionary(uniqueKeysWithValues: chains.map { ($0.name, $0) }),
            sets: Dictionary(uniqueKeysWithValues: sets.map { ($0.name, $0) }))
    }

    // MARK: Per Service port

    /// The no-endpoint map value: reject, or drop — for external traffic only when it does not come from the
    /// host, since host (and pod) traffic to a Local-policy external address is short-circuited to all endpoints.
    /// (Pod traffic needs no exemption: the check runs after DNAT in the forward hook.)
    private func verdict(_ action: NoEndpointsAction, external: Bool = false) -> NFTValue {
        switch action {
        case .reject: .verdict(.goto(NFTNames.rejectChain))
        case .drop: external ? .verdict(.goto(NFTNames.noLocalEndpoints)) : .verdict(.drop)
        }
    }

    private func sourceIsCluster(negated: Bool) -> NFTMatch? {
        let cidrs = config.familyClusterCIDRs
        if cidrs.isEmpty { return nil }
        if cidrs.count == 1 { return .equals(.sourceAddress, .prefix(cidrs[0]), negated: negated) }
        return .inList(.sourceAddress, cidrs.map(NFTValue.prefix), negated: negated)
    }

    /// The endpoint lists of a port that live in the shared endpoint maps (affine ports use rules instead).
    func endpointLists(for port: ServicePortSnapshot, in snapshot: ProxySnapshot) -> [EndpointList] {
        guard port.info.sessionAffinity == .none, !isPlain(port, in: snapshot) else { return [] }
        var lists: [EndpointList] = []
        if !port.clusterEndpoints.isEmpty { lists.append(EndpointList(port: port.name, local: false)) }
        if !port.localEndpoints.isEmpty { lists.append(EndpointList(port: port.name, local: true)) }
        return lists
    }

    /// Reachable only on its ClusterIP, Cluster policy, no affinity, some endpoints, all on one target port.
    func hasPlainShape(_ port: ServicePortSnapshot) -> Bool {
        guard port.info.sessionAffinity == .none, !port.info.externallyAccessible, !port.info.internalPolicyLocal,
            port.localEndpoints.isEmpty, let first = port.clusterEndpoints.first
        else { return false }
        return port.clusterEndpoints.prefix(EndpointMaps.stride).allSatisfy { $0.port == first.port }
    }

    /// Whether a port takes the plain layout, with no chain of its own (see the type's documentation): it has the
    /// plain shape, and every other port of its Service with that shape, protocol and endpoint count has the same
    /// endpoint addresses, since they share one list under the ClusterIP. (Ports of one Service normally have the
    /// same endpoints; named target ports that some pods lack are the exception.)
    func isPlain(_ port: ServicePortSnapshot, in snapshot: ProxySnapshot) -> Bool {
        guard hasPlainShape(port) else { return false }
        let used = port.clusterEndpoints.prefix(EndpointMaps.stride)
        for sibling in snapshot.portNames(of: port.name.service) where sibling != port.name && sibling.protocol == port.name.protocol {
            guard let other = snapshot.servicePorts[sibling], hasPlainShape(other) else { continue }
            let otherUsed = other.clusterEndpoints.prefix(EndpointMaps.stride)
            if otherUsed.count == used.count && !otherUsed.elementsEqual(used, by: { $0.ip == $1.ip }) { return false }
        }
        return true
    }

    /// The objects of a plain port: a dispatch element to the shared chain of its endpoint count, its target port
    /// in `cluster-ports-<proto>`, and its endpoint addresses under `ClusterIP . index` in the chain's map.
    func plainObjects(for port: ServicePortSnapshot, generation: Int) -> PortObjects {
        var out = PortObjects()
        let info = port.info
        let proto = info.protocol
        let used = port.clusterEndpoints.prefix(EndpointMaps.stride)
        let pick = NFTNames.pickChain(proto, count: used.count)
        let map = NFTNames.pickMap(proto, count: used.count, generation: generation)
        let ports = NFTNames.clusterPorts(proto)
        out.plainClaims = PlainClaims(
            clusterIP: port.clusterIP, port: info.port, targetPort: used.first?.port ?? info.port, protocol: proto,
            pick: pick, hairpin: port.hairpinCandidates(nodeName: config.nodeName))
        var rules: [NFTRule] = []
        if config.masqueradeAll {
            rules.append(NFTRule([.setMarkBits(config.masqueradeMark)]))
        } else if let offCluster = sourceIsCluster(negated: true) {
            rules.append(NFTRule([offCluster], [.setMarkBits(config.masqueradeMark)]))
        }
        rules.append(NFTRule(
            [.equals(.l4proto, .proto(proto))],
            [.dnatMaps(
                address: [.destinationAddress, .random(modulus: used.count)], addressMap: map,
                port: [.destinationAddress, .destinationPort], portMap: ports)]))
        out.sharedChains = [NFTChain(pick, rules: rules)]
        out.sharedSets = [NFTSet(map, spec: .clusterEndpoints(proto))]
        out.clusterList = ClusterList(key: ListKey(map: map, clusterIP: port.clusterIP), addresses: EndpointAddresses(used))
        return out
    }

    /// The chains, private sets and shared elements of one Service port: every policy decision is already in
    /// `port`; this only lays it out (placing its endpoint lists in the shared maps through `slots`).
    func objects(
        for port: ServicePortSnapshot, in snapshot: ProxySnapshot, generation: Int, slots: inout SlotAllocator
    ) -> PortObjects {
        if isPlain(port, in: snapshot) { return plainObjects(for: port, generation: generation) }
        var out = PortObjects()
        let name = port.name
        let info = port.info
        let proto = NFTValue.proto(info.protocol)
        let mark = config.masqueradeMark
        let clusterChain = NFTNames.clusterChain(name)
        let localChain = NFTNames.localChain(name)
        let externalChain = NFTNames.externalChain(name)
        let internalChain = info.internalPolicyLocal ? localChain : clusterChain
        let label = name.description

        func key(_ address: IPAddress) -> NFTValue { .concat([.address(address), proto, .port(info.port)]) }
        func claim(_ set: String, _ key: NFTValue, _ data: NFTValue? = nil, comment: String? = nil) {
            out.claims[SharedKey(set: set, key: key)] = NFTElementData(data, comment: comment)
        }

        // Dispatch of the ClusterIP.
        claim(NFTNames.clusterIPs, .address(port.clusterIP))
        if let action = port.internalNoEndpoints {
            claim(NFTNames.noEndpointServices, key(port.clusterIP), verdict(action), comment: label)
        } else {
            claim(NFTNames.serviceIPs, key(port.clusterIP), .verdict(.goto(internalChain)))
        }
        // External addresses.
        let vips = info.loadBalancerVIPs
        for address in info.externalIPs + vips {
            if port.usesExternalChain { claim(NFTNames.serviceIPs, key(address), .verdict(.goto(externalChain))) }
            if let action = port.externalNoEndpoints {
                claim(NFTNames.noEndpointServices, key(address), verdict(action, external: true), comment: label)
            }
        }
        if !vips.isEmpty && !info.loadBalancerSourceRanges.isEmpty {
            let firewallChain = NFTNames.firewallChain(name)
            var allowed = info.loadBalancerSourceRanges.map(NFTValue.prefix)
            let nodeIPs = config.familyNodeIPs
            if info.loadBalancerSourceRanges.contains(where: { range in nodeIPs.contains(where: range.contains) }) {
                allowed += vips.map(NFTValue.address)
            }
            out.chains.append(
                NFTChain(firewallChain, rules: [NFTRule([.inList(.sourceAddress, allowed, negated: true)], [.verdict(.drop)])]))
            for vip in vips { claim(NFTNames.firewallIPs, key(vip), .verdict(.goto(firewallChain)), comment: label) }
        }
        if info.nodePort != 0 {
            let nodePortKey = NFTValue.concat([proto, .port(info.nodePort)])
            if port.usesExternalChain { claim(NFTNames.serviceNodePorts, nodePortKey, .verdict(.goto(externalChain))) }
            if let action = port.externalNoEndpoints {
                claim(NFTNames.noEndpointNodePorts, nodePortKey, verdict(action, external: true), comment: label)
            }
        }
        for endpoint in port.hairpinCandidates(nodeName: config.nodeName) {
            claim(NFTNames.hairpin, .concat([.address(endpoint.ip), .address(endpoint.ip)]))
        }

        // Policy chains.
        var masqueradeClusterIP: NFTRule? = nil
        if config.masqueradeAll || !config.familyClusterCIDRs.isEmpty {
            var matches: [NFTMatch] = [
                .equals(.destinationAddress, .address(port.clusterIP)), .equals(.l4proto, proto),
                .equals(.destinationPort, .port(info.port)),
            ]
            if !config.masqueradeAll, let offCluster = sourceIsCluster(negated: true) { matches.append(offCluster) }
            masqueradeClusterIP = NFTRule(matches, [.setMarkBits(mark)])
        }
        for (chainName, endpoints, local) in [(clusterChain, port.clusterEndpoints, false), (localChain, port.localEndpoints, true)]
        where !endpoints.isEmpty {
            var rules: [NFTRule] = []
            if chainName == internalChain, let masqueradeClusterIP { rules.append(masqueradeClusterIP) }
            if port.info.sessionAffinity == .none {
                let slot = slots.place(EndpointList(port: name, local: local))
                rules.append(dispatchRule(port, endpoints: endpoints, slot: slot, into: &out))
            } else {
                rules += affinityRules(port, endpoints: endpoints, into: &out)
            }
            out.chains.append(NFTChain(chainName, rules: rules))
        }
        if port.usesExternalChain {
            var rules: [NFTRule] = []
            if info.externalPolicyLocal {
                if let podSource = sourceIsCluster(negated: false) {
                    rules.append(NFTRule([podSource], [.verdict(.goto(clusterChain))], comment: "short-circuit pod traffic"))
                }
                rules.append(NFTRule([.addressIsLocal(source: true)], [.setMarkBits(mark)]))
                rules.append(NFTRule([.addressIsLocal(source: true)], [.verdict(.goto(clusterChain))], comment: "short-circuit host traffic"))
                if port.hasExternalEndpoints { rules.append(NFTRule([.verdict(.goto(localChain))])) }
            } else {
                rules.append(NFTRule([.setMarkBits(mark)]))
                rules.append(NFTRule([.verdict(.goto(clusterChain))]))
            }
            out.chains.append(NFTChain(externalChain, rules: rules))
        }
        return out
    }

    /// The rule that picks one of `endpoints` uniformly and DNATs to it: a random index into the port's range of
    /// a shared endpoint map, whose elements hold the endpoints.
    private func dispatchRule(_ port: ServicePortSnapshot, endpoints: [Endpoint], slot: Int, into out: inout PortObjects) -> NFTRule {
        let proto = port.info.protocol
        let used = endpoints.prefix(EndpointMaps.stride)
        let base = slot * EndpointMaps.stride
        let map = EndpointMaps.name(proto, bucket: slot % config.endpointMapBuckets(proto))
        let elements = used.enumerated().map { index, endpoint in
            NFTElement(.integer(base + index), NFTElementData(.addressAndPort(endpoint.ip, endpoint.port)))
        }
        out.owned.append(OwnedElements(set: map, elements: elements))
        return NFTRule(
            [.equals(.l4proto, .proto(proto))], [.dnatMap([.random(modulus: used.count, offset: base)], map: map)])
    }

    /// ClientIP affinity: the chosen endpoint must be known to remember it, so one rule per endpoint for
    /// remembered clients, then one per endpoint that picks it with probability 1/(remaining).
    private func affinityRules(_ port: ServicePortSnapshot, endpoints: [Endpoint], into out: inout PortObjects) -> [NFTRule] {
        let l4 = NFTMatch.equals(.l4proto, .proto(port.info.protocol))
        let timeout = port.info.sessionAffinity.timeoutSeconds ?? SessionAffinity.defaultTimeoutSeconds
        var remembered: [NFTRule] = []
        var chosen: [NFTRule] = []
        for (index, endpoint) in endpoints.enumerated() {
            let set = NFTNames.affinitySet(port.name, endpoint)
            if !out.sets.contains(where: { $0.name == set }) {
                out.sets.append(NFTSet(set, spec: .types([addressType]), flags: [.dynamic, .timeout], timeout: timeout))
            }
            let statements: [NFTStatement] = [
                .updateSet([.sourceAddress], set: set), .dnat(endpoint.ip, port: endpoint.port),
            ]
            remembered.append(NFTRule([.inSet([.sourceAddress], set: set), l4], statements))
            let remaining = endpoints.count - index
            let pick: [NFTMatch] = remaining > 1 ? [.equals(.random(modulus: remaining), .integer(0))] : []
            chosen.append(NFTRule(pick + [l4], statements))
        }
        return remembered + chosen
    }
}

/// One endpoint list of one port: the Cluster-policy list or the Local-policy one.
struct EndpointList: Sendable, Hashable, Comparable {
    var port: ServicePortName
    var local: Bool

    static func < (lhs: EndpointList, rhs: EndpointList) -> Bool {
        (lhs.port, lhs.local ? 1 : 0) < (rhs.port, rhs.local ? 1 : 0)
    }
}

/// Gives each endpoint list a slot, its private range `slot × stride ..< (slot + 1) × stride` of keys in the
/// shared endpoint maps. A list keeps its slot while it exists; new lists take the lowest free slot, so slots
/// stay dense and the same sequence of changes always gives the same layout.
struct SlotAllocator: Sendable, Equatable {
    private(set) var slots: [EndpointList: Int] = [:]
    private var free = Set<Int>()
    private var next = 0

    var lists: [EndpointList] { Array(slots.keys) }

    func lists(of port: ServicePortName) -> [EndpointList] {
        [EndpointList(port: port, local: false), EndpointList(port: port, local: true)].filter { slots[$0] != nil }
    }

    /// The list's slot, allocating one if it has none.
    mutating func place(_ list: EndpointList) -> Int {
        if let slot = slots[list] { return slot }
        let slot: Int
        if let lowest = free.min() {
            free.remove(lowest)
            slot = lowest
        } else {
            slot = next
            next += 1
        }
        slots[list] = slot
        return slot
    }

    mutating func release(_ list: EndpointList) {
        guard let slot = slots.removeValue(forKey: list) else { return }
        free.insert(slot)
    }
}

/// The shared endpoint maps: `endpoints-<protocol>-<bucket>`, random index to `address . port`.
public enum EndpointMaps {
    /// Keys per endpoint list: a port uses at most this many endpoints per list (kube's scalability limits stop
    /// far below), and the 32-bit key space holds 2^19 lists.
    public static let stride = 8192

    public static func name(_ proto: ServiceProtocol, bucket: Int) -> String {
        "endpoints-\(proto.lowercaseName)-\(bucket)"
    }
}
