/// Policy knobs of the cluster responder; every default is explained in docs/dns.md.
public struct ClusterResolverConfig: Hashable, Sendable {
    /// What to do with names outside the cluster zone (and reverse names we hold no record for).
    public enum OutsideZones: Hashable, Sendable {
        /// Hand them to the forwarder (the stock CoreDNS `forward . /etc/resolv.conf`).
        case forward
        /// Answer REFUSED: an authoritative-only server.
        case refuse
    }

    /// TTL of positive answers (CoreDNS addon and kube-dns: 30).
    public var ttl: UInt32
    /// TTL of the SOA in negative answers and its MINIMUM field, hence how long NXDOMAIN/NODATA is cached
    /// (RFC 2308 §5). Short, so a Service created after a miss resolves soon even through a caching resolver.
    public var negativeTTL: UInt32
    public var outsideZones: OutsideZones
    /// The RA bit in every reply; true when a forwarder stands behind us.
    public var recursionAvailable: Bool
    /// Our EDNS UDP payload size, advertised in replies and the cap on UDP replies (1232: DNS Flag Day 2020, no
    /// IP fragmentation on any common path).
    public var udpPayloadSize: UInt16
    /// CNAMEs followed inside the zone before the answer is returned as it stands (CoreDNS stops at 8 too).
    public var maxCNAMEHops: Int
    /// Rotate multi-address answers by query ID so that clients which take the first address (most do) spread
    /// over a headless service's pods, as CoreDNS's `loadbalance` plugin does in the stock configuration.
    public var rotateAddresses: Bool

    public init(ttl: UInt32 = 30, negativeTTL: UInt32 = 5, outsideZones: OutsideZones = .forward,
                recursionAvailable: Bool? = nil, udpPayloadSize: UInt16 = 1232, maxCNAMEHops: Int = 8,
                rotateAddresses: Bool = true) {
        self.ttl = ttl
        self.negativeTTL = negativeTTL
        self.outsideZones = outsideZones
        self.recursionAvailable = recursionAvailable ?? (outsideZones == .forward)
        self.udpPayloadSize = max(512, udpPayloadSize)
        self.maxCNAMEHops = maxCNAMEHops
        self.rotateAddresses = rotateAddresses
    }
}

/// What the server does with a query.
public enum ResolverResult: Hashable, Sendable {
    /// Send this reply (authoritative for cluster names; error replies for malformed or unsupported queries).
    case answer(DNSMessage)
    /// Not ours: ask the upstream resolvers and relay their answer.
    case forward
    /// Not ours and forwarding is off (or a zone transfer was asked for): reply REFUSED.
    case refused
    /// An ExternalName service pointing outside the cluster: `partial` holds the CNAME (authoritative). The server
    /// resolves `target` with the question's type through the forwarder, appends the upstream answer records and
    /// takes the upstream rcode (RFC 6604: the rcode speaks of the last name of the chain); if the upstream fails,
    /// it sends `partial` as it is. Stub resolvers do not chase CNAMEs themselves, so a bare CNAME would leave
    /// `getaddrinfo` with no address.
    case chase(partial: DNSMessage, target: DNSName)
}

/// Answers queries from a `ClusterDNSIndex` snapshot. Pure and lock-free: any number of threads may call it with
/// the snapshot they hold.
public struct ClusterResolver: Sendable {
    public var config: ClusterResolverConfig

    public init(config: ClusterResolverConfig = ClusterResolverConfig()) {
        self.config = config
    }

    public func answer(_ query: DNSMessage, index: ClusterDNSIndex) -> ResolverResult {
        guard query.header.opcode == .query else { return .answer(reply(to: query, .notImp)) }
        // RFC 9619: a QUERY carries exactly one question.
        guard query.questions.count == 1 else { return .answer(reply(to: query, .formErr)) }
        if let edns = query.edns, edns.version != 0 { return .answer(reply(to: query, .badVers)) }
        let question = query.questions[0]
        let served = question.class == .in || question.class == .any

        if question.name.isSubdomain(of: index.zone) {
            // Zone transfers are not offered (CoreDNS refuses them without its transfer plugin), nor other classes.
            guard served, question.type != .axfr, question.type != .ixfr else { return .refused }
            return authoritative(query, question, index: index)
        }
        if served, question.type != .axfr, question.type != .ixfr, let node = index.node(question.name) {
            if let zone = reverseZone(of: question.name) {
                return .answer(reverse(query, question, node: node, zone: zone, index: index))
            }
        }
        return config.outsideZones == .forward ? .forward : .refused
    }

    /// An empty reply with `rcode`, with RA as configured.
    public func reply(to query: DNSMessage, _ rcode: DNSRcode) -> DNSMessage {
        DNSMessage.response(to: query, rcode: rcode, recursionAvailable: config.recursionAvailable,
                            udpPayloadSize: config.udpPayloadSize)
    }

    private func reverseZone(of name: DNSName) -> DNSName? {
        if name.isSubdomain(of: inAddrArpa) { return inAddrArpa }
        if name.isSubdomain(of: ip6Arpa) { return ip6Arpa }
        return nil
    }

    // MARK: Cluster zone

    /// The records at `name` inside the zone: nil when the name does not exist. Pod names in insecure mode are
    /// made up from the name itself.
    private func lookup(_ name: DNSName, index: ClusterDNSIndex) -> RRSets? {
        if let node = index.node(name) { return node.records }
        guard index.podMode == .insecure else { return nil }
        let relative = name.labelCount - index.zoneLabels
        guard relative == 2 || relative == 3, let pod = name.label(at: relative - 1),
            DNSName.equalFolded(pod, podLabel[...])
        else { return nil }
        // `<ns>.pod.<zone>`: any namespace has (made-up) pod names below it.
        if relative == 2 { return RRSets() }
        guard let first = name.label(at: 0), let address = addressFromDashed(first) else { return nil }
        var sets = RRSets()
        sets.append(address.isV4 ? .a : .aaaa, address.isV4 ? .a(address) : .aaaa(address))
        return sets
    }

    private func authoritative(_ query: DNSMessage, _ question: DNSQuestion, index: ClusterDNSIndex) -> ResolverResult {
        var message = reply(to: query, .noError)
        message.header.authoritative = true
        let type = question.type
        var owner = question.name
        var hops = 0
        while true {
            guard let sets = lookup(owner, index: index) else {
                message.header.rcode = .nxDomain
                message.authority = [soa(index.zone, index: index)]
                return .answer(message)
            }
            if type != .cname, case .cname(let target)? = sets[.cname].first {
                message.answers.append(DNSRecord(name: owner, type: .cname, ttl: config.ttl, data: .cname(target)))
                if type == .any { return .answer(message) }
                guard target.isSubdomain(of: index.zone) else {
                    return config.outsideZones == .forward
                        ? .chase(partial: message, target: target) : .answer(message)
                }
                hops += 1
                let looped = message.answers.contains { $0.name == target }
                if hops > config.maxCNAMEHops || looped { return .answer(message) }
                owner = target
                continue
            }

            let isApex = owner == index.zone
            var found = 0
            if isApex && (type == .soa || type == .any) {
                message.answers.append(soa(owner, index: index))
                found += 1
            }
            if isApex && (type == .ns || type == .any) {
                message.answers.append(DNSRecord(name: owner, type: .ns, ttl: config.ttl, data: .ns(index.soaMName)))
                addAddresses(of: index.soaMName, to: &message.additional, index: index)
                found += 1
            }
            for set in sets.sets where set.type == type || type == .any {
                appendSet(set, owner: owner, id: query.header.id, to: &message.answers)
                found += set.data.count
                if set.type == .srv {
                    var glued: Set<DNSName> = []
                    for case .srv(let srv) in set.data where glued.insert(srv.target).inserted {
                        addAddresses(of: srv.target, to: &message.additional, index: index)
                    }
                }
            }
            if found == 0 {
                // NODATA: the name exists (records of another type, or names below it).
                message.authority = [soa(index.zone, index: index)]
            }
            return .answer(message)
        }
    }

    private func appendSet(_ set: RRSets.RRSet, owner: DNSName, id: UInt16, to records: inout [DNSRecord]) {
        let count = set.data.count
        let rotate = config.rotateAddresses && count > 1 && (set.type == .a || set.type == .aaaa)
        let start = rotate ? Int(id) % count : 0
        records.reserveCapacity(records.count + count)
        for i in 0..<count {
            let j = start + i < count ? start + i : start + i - count
            records.append(DNSRecord(name: owner, type: set.type, ttl: config.ttl, data: set.data[j]))
        }
    }

    private func addAddresses(of name: DNSName, to records: inout [DNSRecord], index: ClusterDNSIndex) {
        guard let sets = index.node(name)?.records else { return }
        for type in [DNSType.a, .aaaa] {
            for data in sets[type] { records.append(DNSRecord(name: name, type: type, ttl: config.ttl, data: data)) }
        }
    }

    /// The SOA of a zone we answer for: `ns.dns.<zone>` / `hostmaster.<zone>` like CoreDNS, the index serial,
    /// and the negative TTL as both the record TTL and MINIMUM, so negative caching lasts exactly `negativeTTL`.
    private func soa(_ zone: DNSName, index: ClusterDNSIndex) -> DNSRecord {
        DNSRecord(
            name: zone, type: .soa, ttl: config.negativeTTL,
            data: .soa(DNSRecord.SOA(
                mname: index.soaMName, rname: index.soaRName, serial: index.serial, refresh: 7200, retry: 1800,
                expire: 86400, minimum: config.negativeTTL)))
    }

    // MARK: Reverse zones

    /// A reverse name we hold PTRs for: answered with authority, as CoreDNS does for the names its `kubernetes`
    /// plugin knows; every other reverse name goes to the forwarder (CoreDNS's `fallthrough in-addr.arpa ip6.arpa`).
    private func reverse(_ query: DNSMessage, _ question: DNSQuestion, node: NameNode, zone: DNSName,
                         index: ClusterDNSIndex) -> DNSMessage {
        var message = reply(to: query, .noError)
        message.header.authoritative = true
        var found = 0
        for set in node.records.sets where set.type == question.type || question.type == .any {
            appendSet(set, owner: question.name, id: query.header.id, to: &message.answers)
            found += set.data.count
        }
        if found == 0 { message.authority = [soa(zone, index: index)] }
        return message
    }
}

private let podLabel: [UInt8] = Array("pod".utf8)
