import KubeModel
import ProxyCore

/// Walks a packet through an `NFTTable` the way netfilter would, interpreting the very objects the renderer
/// writes (it knows nothing of Services or policies), and reports every possible outcome with its probability.
///
/// Test support, public so that the daemon's tests can use it too. What it models: the hooks a packet crosses
/// (arriving from the network: prerouting, then input or forward and postrouting; sent by a local process:
/// output and postrouting, and for a local destination the loopback re-entry through prerouting and input),
/// base chains in priority order, jump/goto/return, verdict maps, named and inline sets, marks, `fib … type
/// local` from the node's addresses, DNAT (once per connection) and masquerade. Every packet is the first of its
/// connection (`ct state new`). Each `numgen random` is a branch point: compared to a constant it branches two
/// ways (equal with probability 1/N), as a map key N ways, so probabilities are exact.
public struct PacketTracer: Sendable {
    /// Where the packet comes from.
    public enum Origin: Sendable, Hashable {
        /// Received on an interface: from a pod on this node, another node, or outside the cluster.
        case network
        /// Sent by a process in the node's own network namespace (host-network pods too).
        case localProcess
    }

    public struct Packet: Sendable, Hashable {
        public var source: IPAddress
        public var destination: IPAddress
        public var `protocol`: ServiceProtocol
        public var port: Int
        public var origin: Origin
        public var mark: UInt32

        public init(
            from source: IPAddress, to destination: IPAddress, port: Int, protocol: ServiceProtocol = .tcp,
            origin: Origin = .network, mark: UInt32 = 0
        ) {
            self.source = source
            self.destination = destination
            self.protocol = `protocol`
            self.port = port
            self.origin = origin
            self.mark = mark
        }
    }

    public enum Verdict: Sendable, Hashable, CustomStringConvertible {
        case accept
        case drop
        case reject(NFTRejectKind)

        public var isReject: Bool {
            if case .reject = self { return true }
            return false
        }

        public var description: String {
            switch self {
            case .accept: "accept"
            case .drop: "drop"
            case .reject(.tcpReset): "reject(tcp-reset)"
            case .reject(.icmpPortUnreachable): "reject(icmp)"
            }
        }
    }

    /// An address and port a packet was DNATed to.
    public struct Destination: Sendable, Hashable, Comparable, CustomStringConvertible {
        public var ip: IPAddress
        public var port: Int

        public init(_ ip: IPAddress, _ port: Int) {
            self.ip = ip
            self.port = port
        }

        public static func < (lhs: Destination, rhs: Destination) -> Bool { (lhs.ip, lhs.port) < (rhs.ip, rhs.port) }
        public var description: String { ip.isV4 ? "\(ip):\(port)" : "[\(ip)]:\(port)" }
    }

    /// A key added to (or refreshed in) a dynamic set by an `update` statement.
    public struct SetUpdate: Sendable, Hashable {
        public var set: String
        public var key: NFTValue
    }

    /// Where an accepted packet ends up.
    public enum Delivery: Sendable, Hashable {
        /// To a socket on the node (input hook).
        case host
        /// Routed on (forward hook) or sent out (a local process's packet to a remote address).
        case routed
    }

    public struct Outcome: Sendable, Hashable, CustomStringConvertible {
        public var verdict: Verdict
        /// The DNAT destination, nil when the destination was not rewritten.
        public var dnat: Destination?
        /// Whether the source is rewritten to the node's address.
        public var masquerade: Bool
        /// Nil unless accepted.
        public var delivery: Delivery?
        public var setUpdates: Set<SetUpdate>

        public var description: String {
            var parts = [verdict.description]
            if let dnat { parts.append("dnat \(dnat)") }
            if masquerade { parts.append("masquerade") }
            if let delivery { parts.append(delivery == .host ? "to host" : "routed") }
            return parts.joined(separator: " ")
        }
    }

    /// Every possible outcome with its probability (they sum to 1).
    public struct Result: Sendable, CustomStringConvertible {
        public var outcomes: [Outcome: Double]

        public var verdicts: Set<Verdict> { Set(outcomes.keys.map(\.verdict)) }
        /// DNAT destinations of accepted outcomes.
        public var destinations: Set<Destination> {
            Set(outcomes.keys.compactMap { $0.verdict == .accept ? $0.dnat : nil })
        }
        /// Whether accepted outcomes masquerade (a set: it could depend on the chosen endpoint).
        public var masquerade: Set<Bool> { Set(outcomes.keys.filter { $0.verdict == .accept }.map(\.masquerade)) }
        public var isRejected: Bool { outcomes.keys.allSatisfy { $0.verdict.isReject } }
        public var isDropped: Bool { outcomes.keys.allSatisfy { $0.verdict == .drop } }
        /// Accepted without any DNAT (the service rules let it through untouched).
        public var isUntouched: Bool {
            outcomes.keys.allSatisfy { $0.verdict == .accept && $0.dnat == nil && !$0.masquerade }
        }

        public func probability(of destination: Destination) -> Double {
            outcomes.reduce(0) { $0 + ($1.key.dnat == destination && $1.key.verdict == .accept ? $1.value : 0) }
        }

        /// The dynamic-set contents after the outcome that went to `destination`, for tracing a follow-up packet.
        public func setUpdates(to destination: Destination) -> [String: Set<NFTValue>] {
            var sets: [String: Set<NFTValue>] = [:]
            for outcome in outcomes.keys where outcome.dnat == destination {
                for update in outcome.setUpdates { sets[update.set, default: []].insert(update.key) }
            }
            return sets
        }

        public var description: String {
            outcomes.sorted { $0.key.description < $1.key.description }
                .map { "\($0.key) (p=\(($0.value * 1000).rounded() / 1000))" }.joined(separator: "; ")
        }
    }

    public let table: NFTTable
    /// The node's own addresses (what `fib … type local` and routing to the host see), loopback included.
    public let localAddresses: Set<IPAddress>

    public init(table: NFTTable, localAddresses: some Sequence<IPAddress>) {
        self.table = table
        var addresses = Set(localAddresses)
        addresses.insert(table.family == .ip ? IPAddress(127, 0, 0, 1) : IPAddress(v6: 1))
        self.localAddresses = addresses
    }

    /// Traces one packet. `dynamicElements` is what dynamic sets (affinity) hold already, e.g. from a previous
    /// trace's `setUpdates(to:)`.
    public func trace(_ packet: Packet, dynamicElements: [String: Set<NFTValue>] = [:]) -> Result {
        var outcomes: [Outcome: Double] = [:]
        var script: [Int] = []
        while true {
            var run = Run(tracer: self, packet: packet, dynamic: dynamicElements, script: script)
            let outcome = run.walk()
            outcomes[outcome, default: 0] += run.probability
            // Advance the choices like an odometer: the last branch point that has an untried alternative.
            var next = run.choices
            while let last = next.last, last.choice + 1 >= last.arity { next.removeLast() }
            guard let last = next.popLast() else { break }
            script = next.map(\.choice) + [last.choice + 1]
        }
        return Result(outcomes: outcomes)
    }

    /// One deterministic walk, following `script` at branch points and taking the first alternative beyond it.
    struct Run {
        let tracer: PacketTracer
        var packet: Packet
        var dynamic: [String: Set<NFTValue>]
        let script: [Int]
        var choices: [(choice: Int, arity: Int)] = []
        var probability = 1.0
        var dnat: Destination?
        var masquerade = false
        var updates = Set<SetUpdate>()

        init(tracer: PacketTracer, packet: Packet, dynamic: [String: Set<NFTValue>], script: [Int]) {
            self.tracer = tracer
            self.packet = packet
            self.dynamic = dynamic
            self.script = script
        }

        enum Exit {
            /// Fell off the end of the chain or returned: the caller continues.
            case next
            case final(Verdict)
        }

        mutating func choose(_ weights: [Double]) -> Int {
            let index = choices.count
            let choice = index < script.count ? script[index] : 0
            choices.append((choice, weights.count))
            probability *= weights[choice]
            return choice
        }

        func outcome(_ verdict: Verdict, _ delivery: Delivery? = nil) -> Outcome {
            Outcome(
                verdict: verdict, dnat: dnat, masquerade: verdict == .accept && masquerade,
                delivery: verdict == .accept ? delivery : nil, setUpdates: updates)
        }

        mutating func walk() -> Outcome {
            let local = tracer.localAddresses
            switch packet.origin {
            case .network:
                if let verdict = runHook(.prerouting) { return outcome(verdict) }
                if local.contains(packet.destination) {
                    if let verdict = runHook(.input) { return outcome(verdict) }
                    return outcome(.accept, .host)
                }
                if let verdict = runHook(.forward) { return outcome(verdict) }
                if let verdict = runHook(.postrouting) { return outcome(verdict) }
                return outcome(.accept, .routed)
            case .localProcess:
                if let verdict = runHook(.output) { return outcome(verdict) }
                if let verdict = runHook(.postrouting) { return outcome(verdict) }
                guard local.contains(packet.destination) else { return outcome(.accept, .routed) }
                // Loopback re-entry: NAT is settled, but the filter chains of prerouting and input run again.
                if let verdict = runHook(.prerouting, natDone: true) { return outcome(verdict) }
                if let verdict = runHook(.input) { return outcome(verdict) }
                return outcome(.accept, .host)
            }
        }

        /// Runs the base chains of a hook; nil when the packet continues, else its final verdict.
        mutating func runHook(_ hook: NFTHook, natDone: Bool = false) -> Verdict? {
            var natSettled = natDone
            for chain in tracer.table.baseChains(for: hook) {
                if chain.base?.type == .nat {
                    // NAT chains run only until a mapping is set for the connection.
                    if natSettled { continue }
                }
                let hadNAT = dnat != nil || masquerade
                if case .final(let verdict) = run(chain.name, depth: 0), verdict != .accept { return verdict }
                if chain.base?.type == .nat && (dnat != nil || masquerade) != hadNAT { natSettled = true }
            }
            return nil
        }

        mutating func run(_ chainName: String, depth: Int) -> Exit {
            guard depth < 64, let chain = tracer.table.chains[chainName] else { return .next }
            ruleLoop: for rule in chain.rules {
                for match in rule.matches where !matches(match) { continue ruleLoop }
                for statement in rule.statements {
                    switch statement {
                    case .verdict(let verdict):
                        switch apply(verdict, depth: depth) {
                        case .continueRule: continue
                        case .exit(let exit): return exit
                        }
                    case .reject(let kind):
                        return .final(.reject(kind))
                    case .verdictMap(let fields, let map):
                        guard let data = lookup(map, key: value(of: fields)), case .verdict(let verdict) = data else {
                            continue ruleLoop
                        }
                        switch apply(verdict, depth: depth) {
                        case .continueRule: continue
                        case .exit(let exit): return exit
                        }
                    case .setMarkBits(let bits):
                        packet.mark |= bits
                    case .clearMarkBits(let bits):
                        packet.mark &= ~bits
                    case .masquerade:
                        masquerade = true
                        return .final(.accept)
                    case .dnat(let address, let port):
                        rewrite(to: Destination(address, port))
                        return .final(.accept)
                    case .dnatMap(let fields, let map):
                        switch lookup(map, key: value(of: fields)) {
                        case .addressAndPort(let address, let port)?:
                            rewrite(to: Destination(address, port))
                        case .concat(let parts)? where parts.count == 2:
                            guard case .address(let address) = parts[0], case .port(let port) = parts[1] else {
                                continue ruleLoop
                            }
                            rewrite(to: Destination(address, port))
                        default:
                            continue ruleLoop
                        }
                        return .final(.accept)
                    case .dnatMaps(let addressKey, let addressMap, let portKey, let portMap):
                        guard case .address(let address)? = lookup(addressMap, key: value(of: addressKey)),
                            case .port(let port)? = lookup(portMap, key: value(of: portKey))
                        else { continue ruleLoop }
                        rewrite(to: Destination(address, port))
                        return .final(.accept)
                    case .updateSet(let fields, let set):
                        let key = value(of: fields)
                        updates.insert(SetUpdate(set: set, key: key))
                        dynamic[set, default: []].insert(key)
                    }
                }
            }
            return .next
        }

        enum Step {
            case continueRule
            case exit(Exit)
        }

        mutating func apply(_ verdict: NFTVerdict, depth: Int) -> Step {
            switch verdict {
            case .accept: return .exit(.final(.accept))
            case .drop: return .exit(.final(.drop))
            case .return: return .exit(.next)
            case .goto(let target): return .exit(run(target, depth: depth + 1))
            case .jump(let target):
                if case .final(let v) = run(target, depth: depth + 1) { return .exit(.final(v)) }
                return .continueRule
            }
        }

        mutating func rewrite(to destination: Destination) {
            dnat = destination
            packet.destination = destination.ip
            packet.port = destination.port
        }

        /// The element data for `key` in a named map (nil when absent).
        func lookup(_ map: String, key: NFTValue) -> NFTValue? {
            tracer.table.sets[map]?.elements[key]?.data
        }

        func contains(_ set: String, _ key: NFTValue) -> Bool {
            guard let named = tracer.table.sets[set] else { return false }
            return named.elements[key] != nil || dynamic[set]?.contains(key) == true
        }

        mutating func value(of fields: [NFTField]) -> NFTValue {
            if fields.count == 1 { return value(of: fields[0]) }
            var parts: [NFTValue] = []
            for field in fields { parts.append(value(of: field)) }
            // The model keeps `address . port . index` keys in their own case.
            if parts.count == 3, case .address(let a) = parts[0], case .port(let p) = parts[1], case .integer(let i) = parts[2] {
                return .endpointKey(a, port: p, index: i)
            }
            if parts.count == 2, case .address(let a) = parts[0] {
                if case .integer(let i) = parts[1] { return .addressAndIndex(a, index: i) }
                if case .port(let p) = parts[1] { return .addressAndPort(a, p) }
            }
            return .concat(parts)
        }

        mutating func value(of field: NFTField) -> NFTValue {
            switch field {
            case .sourceAddress: return .address(packet.source)
            case .destinationAddress: return .address(packet.destination)
            case .l4proto: return .proto(packet.protocol)
            case .destinationPort: return .port(packet.port)
            case .mark: return .integer(Int(packet.mark))
            case .random(let modulus, let offset):
                let n = max(modulus, 1)
                return .integer(offset + choose(Array(repeating: 1.0 / Double(n), count: n)))
            }
        }

        func satisfies(_ actual: NFTValue, _ expected: NFTValue) -> Bool {
            if case .prefix(let cidr) = expected, case .address(let address) = actual { return cidr.contains(address) }
            return actual == expected
        }

        mutating func matches(_ match: NFTMatch) -> Bool {
            switch match {
            case .equals(.random(let modulus, let offset), .integer(let target), let negated):
                // Two-way branch: only whether the draw equals the constant matters.
                let n = max(modulus, 1)
                let wanted = target - offset
                guard wanted >= 0 && wanted < n else { return negated }
                let equal = n == 1 ? true : choose([1.0 / Double(n), Double(n - 1) / Double(n)]) == 0
                return equal != negated
            case .equals(let field, let expected, let negated):
                return satisfies(value(of: field), expected) != negated
            case .inList(let field, let values, let negated):
                let actual = value(of: field)
                return values.contains { satisfies(actual, $0) } != negated
            case .inSet(let fields, let set, let negated):
                return contains(set, value(of: fields)) != negated
            case .markBits(let mask, let isSet):
                return (packet.mark & mask != 0) == isSet
            case .connectionNew:
                return true
            case .connectionDNAT:
                return dnat != nil
            case .addressIsLocal(let source):
                return tracer.localAddresses.contains(source ? packet.source : packet.destination)
            }
        }
    }
}
