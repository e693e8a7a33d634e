import KubeModel

extension ClusterDNSIndex {
    /// Turns watch events (Services, EndpointSlices, Pods as the API's JSON) into index snapshots.
    ///
    /// Owned by one writer (the informer side). Every change recomputes the records of the one Service (or Pod) it
    /// concerns, diffs them against what that object contributed before and touches only the names that differ, so
    /// an update costs in proportion to the object, not the cluster. `snapshot()` is O(1); the next change copies
    /// only the table shards it writes to.
    public struct Builder: Sendable {
        public let zone: DNSName
        public let podMode: PodRecordMode
        /// The Service whose cluster IPs are `ns.dns.<zone>`, the name server our SOA and NS records name.
        public let nameserverService: ObjectKey
        /// The SOA serial of the next snapshot; bumped on every effective change. Seed it with the start time so
        /// that serials grow across restarts, as CoreDNS's (the time of the last change) do.
        public var serial: UInt32

        var table = ShardedNameTable()
        var services: [ObjectKey: ServiceSource] = [:]
        /// Slices by the service they belong to, then by slice name; kept even before the service arrives.
        var slices: [ObjectKey: [String: SliceSource]] = [:]
        var sliceService: [ObjectKey: ObjectKey] = [:]
        var pods: [ObjectKey: PodSource] = [:]
        var contributions: [RecordSource: [DNSName: RRSets]] = [:]
        /// Every source at the names that have more than one, in the order they came (two headless services
        /// sharing a pod IP both put a PTR at its reverse name; host-network pods share an IP). Names with one source
        /// are not listed: their records are that source's.
        var sharedOwners: [DNSName: [RecordSource]] = [:]

        public init(zone: DNSName = .clusterLocal, podMode: PodRecordMode = .insecure,
                    nameserverService: ObjectKey = ObjectKey(namespace: "kube-system", name: "kube-dns"),
                    serial: UInt32 = 1) {
            self.zone = zone.lowercased()
            self.podMode = podMode
            self.nameserverService = nameserverService
            self.serial = serial
            var builtin: [DNSName: RRSets] = [self.zone: RRSets()]
            if let svc = self.zone.prepending("svc") { builtin[svc] = RRSets() }
            if podMode != .disabled, let pod = self.zone.prepending("pod") { builtin[pod] = RRSets() }
            if let version = self.zone.prepending("dns-version") {
                var txt = RRSets()
                txt.append(.txt, .text([ClusterDNSIndex.schemaVersion]))
                builtin[version] = txt
            }
            _ = setContribution(.builtin, builtin)
        }

        /// The current state as an immutable snapshot.
        public func snapshot() -> ClusterDNSIndex {
            ClusterDNSIndex(zone: zone, podMode: podMode, serial: serial, table: table)
        }

        public var serviceCount: Int { services.count }
        public var endpointSliceCount: Int { sliceService.count }
        public var podCount: Int { pods.count }

        // MARK: Events

        /// Applies a watch event for any of the three kinds, dispatching on `kind`; other kinds are ignored.
        /// Returns whether any DNS name changed.
        @discardableResult
        public mutating func apply(_ object: JSONValue, deleted: Bool) -> Bool {
            switch object["kind"]?.stringValue {
            case "Service": deleted ? deleteService(object) : upsertService(object)
            case "EndpointSlice": deleted ? deleteEndpointSlice(object) : upsertEndpointSlice(object)
            case "Pod": deleted ? deletePod(object) : upsertPod(object)
            default: false
            }
        }

        @discardableResult
        public mutating func upsertService(_ object: JSONValue) -> Bool {
            guard let key = ObjectKey(metadataOf: object) else { return false }
            let source = ServiceSource(object)
            if services[key] == source { return false }
            services[key] = source
            return refresh(service: key)
        }

        @discardableResult
        public mutating func deleteService(_ object: JSONValue) -> Bool {
            guard let key = ObjectKey(metadataOf: object) else { return false }
            return deleteService(key)
        }

        @discardableResult
        public mutating func deleteService(_ key: ObjectKey) -> Bool {
            guard services.removeValue(forKey: key) != nil else { return false }
            return refresh(service: key)
        }

        @discardableResult
        public mutating func upsertEndpointSlice(_ object: JSONValue) -> Bool {
            guard let key = ObjectKey(metadataOf: object) else { return false }
            guard let slice = SliceSource(object, namespace: key.namespace) else {
                return deleteEndpointSlice(key)
            }
            var changed = false
            if let previous = sliceService[key], previous != slice.service {
                changed = deleteEndpointSlice(key)
            }
            if slices[slice.service]?[key.name] == slice { return changed }
            slices[slice.service, default: [:]][key.name] = slice
            sliceService[key] = slice.service
            return refresh(service: slice.service) || changed
        }

        @discardableResult
        public mutating func deleteEndpointSlice(_ object: JSONValue) -> Bool {
            guard let key = ObjectKey(metadataOf: object) else { return false }
            return deleteEndpointSlice(key)
        }

        @discardableResult
        public mutating func deleteEndpointSlice(_ key: ObjectKey) -> Bool {
            guard let service = sliceService.removeValue(forKey: key) else { return false }
            slices[service]?[key.name] = nil
            if slices[service]?.isEmpty == true { slices[service] = nil }
            return refresh(service: service)
        }

        /// Pods matter only for `verified` pod records; in other modes they are not even stored.
        @discardableResult
        public mutating func upsertPod(_ object: JSONValue) -> Bool {
            guard podMode == .verified, let key = ObjectKey(metadataOf: object) else { return false }
            let source = PodSource(object)
            if pods[key] == source { return false }
            pods[key] = source
            return refresh(pod: key)
        }

        @discardableResult
        public mutating func deletePod(_ object: JSONValue) -> Bool {
            guard let key = ObjectKey(metadataOf: object) else { return false }
            return deletePod(key)
        }

        @discardableResult
        public mutating func deletePod(_ key: ObjectKey) -> Bool {
            guard pods.removeValue(forKey: key) != nil else { return false }
            return refresh(pod: key)
        }

        // MARK: Recomputing one object's names

        private mutating func refresh(service key: ObjectKey) -> Bool {
            var records: [DNSName: RRSets] = [:]
            if let service = services[key] {
                records = ServiceRecords.build(
                    key: key, service: service,
                    slices: (slices[key] ?? [:]).sorted { $0.key < $1.key }.map(\.value), zone: zone,
                    isNameserver: key == nameserverService)
            }
            return setContribution(.service(namespace: key.namespace, name: key.name), records)
        }

        private mutating func refresh(pod key: ObjectKey) -> Bool {
            var records: [DNSName: RRSets] = [:]
            if let pod = pods[key], let base = zone.prepending("pod")?.prepending(key.namespace.lowercased()) {
                for address in pod.addresses {
                    guard let name = base.prepending(dashedLabel(address)) else { continue }
                    records[name, default: RRSets()].append(address.isV4 ? .a : .aaaa,
                                                            address.isV4 ? .a(address) : .aaaa(address))
                }
            }
            return setContribution(.pod(namespace: key.namespace, name: key.name), records)
        }

        /// Replaces everything `source` contributed with `new`, touching only names whose records differ.
        private mutating func setContribution(_ source: RecordSource, _ new: [DNSName: RRSets]) -> Bool {
            let old = contributions[source] ?? [:]
            if old == new { return false }
            for (name, records) in old {
                if let replacement = new[name] {
                    if replacement != records { replace(source, at: name, with: replacement) }
                } else {
                    remove(source, at: name)
                }
            }
            for (name, records) in new where old[name] == nil {
                add(source, at: name, records)
            }
            contributions[source] = new.isEmpty ? nil : new
            serial &+= 1
            return true
        }

        // `add`, `replace` and `remove` run while `contributions[source]` still holds the source's old records:
        // `setContribution` stores the new ones after the diff.

        private mutating func add(_ source: RecordSource, at name: DNSName, _ records: RRSets) {
            var node = table[name] ?? NameNode()
            switch node.owners {
            case 0:
                node.records = records
            case 1:
                // The first source is found once, when a second arrives: a scan, but only for shared names.
                let first = contributions.first { $0.key != source && $0.value[name] != nil }?.key
                sharedOwners[name] = (first.map { [$0] } ?? []) + [source]
                node.records = merged(at: name, source, records)
            default:
                sharedOwners[name, default: []].append(source)
                node.records = merged(at: name, source, records)
            }
            node.owners += 1
            table[name] = node
            adjustAncestors(of: name, by: 1)
        }

        private mutating func replace(_ source: RecordSource, at name: DNSName, with records: RRSets) {
            guard var node = table[name] else { return }
            node.records = node.owners > 1 ? merged(at: name, source, records) : records
            table[name] = node
        }

        private mutating func remove(_ source: RecordSource, at name: DNSName) {
            guard var node = table[name] else { return }
            node.owners -= 1
            if var owners = sharedOwners[name] {
                owners.removeAll { $0 == source }
                sharedOwners[name] = owners.count > 1 ? owners : nil
                node.records = owners.count > 1 ? merged(at: name, source, nil)
                    : owners.first.flatMap { contributions[$0]?[name] } ?? RRSets()
            } else {
                node.records = RRSets()
            }
            table[name] = node.isEmpty ? nil : node
            adjustAncestors(of: name, by: -1)
        }

        /// The union of every source's records at a shared `name`, in the order the sources came, with `source`'s
        /// taken as `records` (nil: it has none any more).
        private func merged(at name: DNSName, _ source: RecordSource, _ records: RRSets?) -> RRSets {
            var out = RRSets()
            for owner in sharedOwners[name] ?? [source] {
                if let these = owner == source ? records : contributions[owner]?[name] { out.merge(these) }
            }
            return out
        }

        /// Counts an owner name in every name between it and the zone apex, so that those empty non-terminals
        /// exist exactly while something lies below them. Names outside the zone (reverse names) have no
        /// ancestors here: we answer for the PTR names themselves, not for the reverse tree.
        private mutating func adjustAncestors(of name: DNSName, by delta: Int32) {
            guard name.isSubdomain(of: zone), name != zone else { return }
            var current = name.parent
            while let ancestor = current, ancestor != zone, ancestor.isSubdomain(of: zone) {
                var node = table[ancestor] ?? NameNode()
                node.descendants += delta
                table[ancestor] = node.isEmpty ? nil : node
                current = ancestor.parent
            }
            // The apex is always present (a built-in contribution) and needs no count.
        }
    }

    /// The Kubernetes DNS schema version published at `dns-version.<zone>`.
    public static let schemaVersion = "1.1.0"
}

/// Collects records per name, dropping duplicates in constant time (a headless service can have thousands of
/// endpoints, and a linear `contains` per record would make an update quadratic).
struct RecordAccumulator {
    private struct Key: Hashable {
        var name: DNSName
        var type: DNSType
        var data: DNSRecord.RData
    }

    private(set) var records: [DNSName: RRSets] = [:]
    private var seen: Set<Key> = []

    mutating func add(_ name: DNSName, _ type: DNSType, _ data: DNSRecord.RData) {
        guard seen.insert(Key(name: name, type: type, data: data)).inserted else { return }
        records[name, default: RRSets()].append(type, data)
    }

    mutating func add(_ name: DNSName, address: IPAddress) {
        add(name, address.isV4 ? .a : .aaaa, address.isV4 ? .a(address) : .aaaa(address))
    }
}

/// The records one Service (with its EndpointSlices) puts into the zone, per the Kubernetes DNS specification.
enum ServiceRecords {
    /// `slices` must come in a stable order (by slice name) so that an unchanged service yields equal records and
    /// the diff finds nothing to do.
    static func build(key: ObjectKey, service: ServiceSource, slices: [SliceSource], zone: DNSName,
                      isNameserver: Bool) -> [DNSName: RRSets] {
        var out = RecordAccumulator()
        guard let base = zone.prepending("svc")?.prepending(key.namespace.lowercased())?
            .prepending(key.name.lowercased())
        else { return [:] }

        func srvName(_ port: PortSource) -> DNSName? {
            base.prepending("_" + port.proto)?.prepending("_" + port.name)
        }

        switch service.kind {
        case .none:
            break

        case .externalName(let target):
            out.add(base, .cname, .cname(target))

        case .clusterIP(let addresses):
            // §2.3.1 A/AAAA, §2.3.2 one SRV per named port targeting the service, §2.3.3 PTR per cluster IP.
            let nameserver = isNameserver ? zone.prepending("dns")?.prepending("ns") : nil
            for address in addresses {
                out.add(base, address: address)
                out.add(reverseName(address), .ptr, .ptr(base))
                if let nameserver { out.add(nameserver, address: address) }
            }
            for port in service.ports {
                guard let name = srvName(port) else { continue }
                out.add(name, .srv, .srv(DNSRecord.SRV(priority: 0, weight: 100, port: port.port, target: base)))
            }

        case .headless:
            // §2.4: only ready endpoints (all of them with publishNotReadyAddresses); no ready endpoint means the
            // service name does not exist at all (NXDOMAIN), nor anything below it.
            struct Target: Hashable {
                var name: DNSName
                var port: UInt16
                var target: DNSName
            }
            var srv: [DNSName: [Target]] = [:]
            var srvOrder: [DNSName] = []
            var srvSeen: Set<Target> = []
            for slice in slices {
                for endpoint in slice.endpoints where endpoint.ready || service.publishNotReadyAddresses {
                    for address in endpoint.addresses {
                        let label = endpoint.hostname.flatMap { $0.utf8.count <= 63 ? $0 : nil }
                            ?? dashedLabel(address)
                        guard let endpointName = base.prepending(label) else { continue }
                        out.add(base, address: address)
                        out.add(endpointName, address: address)
                        out.add(reverseName(address), .ptr, .ptr(endpointName))
                        for port in slice.ports {
                            guard let name = srvName(port) else { continue }
                            if srv[name] == nil { srvOrder.append(name) }
                            let entry = Target(name: name, port: port.port, target: endpointName)
                            guard srvSeen.insert(entry).inserted else { continue }
                            srv[name, default: []].append(entry)
                        }
                    }
                }
            }
            // Weight as CoreDNS gives it: the 100 of priority 0 shared evenly, at least 1.
            for name in srvOrder {
                let entries = srv[name] ?? []
                let weight = UInt16(max(1, 100 / max(1, entries.count)))
                for entry in entries {
                    out.add(name, .srv, .srv(DNSRecord.SRV(priority: 0, weight: weight, port: entry.port,
                                                            target: entry.target)))
                }
            }
        }
        return out.records
    }
}
