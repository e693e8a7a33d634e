import KubeModel
import Synchronization

/// ClusterIP, NodePort and LoadBalancer IP allocation.
///
/// The in-use sets are a projection of the stored Services: a commit observer on the store adds what a committed
/// write holds and releases what it no longer holds, and at start-up they are rebuilt from the stored objects.
/// So allocations are persisted with the Service that holds them and can never leak or outlive it (kube-apiserver
/// needs a repair loop for its separately stored bitmaps; this design does not). Allocation itself runs inside
/// the store's serialised write, so two concurrent creates can never be handed the same address or port.
public final class ServiceAllocators: Sendable {
    public struct Config: Sendable {
        public var serviceCIDR: String
        public var nodePortRange: ClosedRange<Int>
        public var loadBalancerPool: String?
        public init(serviceCIDR: String = "10.96.0.0/12", nodePortRange: ClosedRange<Int> = 30000...32767,
                    loadBalancerPool: String? = "172.18.255.0/24") {
            self.serviceCIDR = serviceCIDR
            self.nodePortRange = nodePortRange
            self.loadBalancerPool = loadBalancerPool
        }
    }

    struct Used {
        var clusterIPs: [IPAddress: ObjectKey] = [:]
        var nodePorts: [Int: ObjectKey] = [:]
        var loadBalancerIPs: [IPAddress: ObjectKey] = [:]
    }

    public let serviceCIDR: CIDR
    public let nodePortRange: ClosedRange<Int>
    public let loadBalancerPool: CIDR?
    private let used = Mutex(Used())

    public init(_ config: Config) throws(APIError) {
        guard let cidr = CIDR.parseLenient(config.serviceCIDR), cidr.isV4 else {
            throw .badRequest("invalid service CIDR \(config.serviceCIDR)")
        }
        serviceCIDR = cidr
        nodePortRange = config.nodePortRange
        if let pool = config.loadBalancerPool {
            guard let p = CIDR.parseLenient(pool), p.isV4 else { throw .badRequest("invalid LoadBalancer pool \(pool)") }
            loadBalancerPool = p
        } else {
            loadBalancerPool = nil
        }
    }

    /// The first usable address: the `kubernetes` Service's.
    public var kubernetesServiceIP: IPAddress { serviceCIDR.address(at: 1) ?? serviceCIDR.network }
    /// The tenth address, kept for kube-system/kube-dns as kubeadm and kind do.
    public var dnsServiceIP: IPAddress { serviceCIDR.address(at: 10) ?? serviceCIDR.network }

    func attach(to store: ObjectStore) {
        store.addCommitObserver { [weak self] key, old, new in
            guard key.resource == "services", let self else { return }
            self.used.withLock { u in
                if let old { Self.release(old, key: key, from: &u) }
                if let new { Self.hold(new, key: key, in: &u) }
            }
        }
    }

    private static func clusterIPs(_ svc: JSONValue) -> [IPAddress] {
        var out: [IPAddress] = []
        if let ip = svc.value(at: ["spec", "clusterIP"])?.stringValue.flatMap(IPAddress.parse) { out.append(ip) }
        for v in svc.value(at: ["spec", "clusterIPs"])?.arrayValue ?? [] {
            if let ip = v.stringValue.flatMap(IPAddress.parse), !out.contains(ip) { out.append(ip) }
        }
        return out
    }

    private static func nodePorts(_ svc: JSONValue) -> [Int] {
        var out = (svc.value(at: ["spec", "ports"])?.arrayValue ?? []).compactMap { $0["nodePort"]?.intValue }.map { Int($0) }
        if let hc = svc.value(at: ["spec", "healthCheckNodePort"])?.intValue { out.append(Int(hc)) }
        return out
    }

    private static func lbIPs(_ svc: JSONValue) -> [IPAddress] {
        (svc.value(at: ["status", "loadBalancer", "ingress"])?.arrayValue ?? [])
            .compactMap { $0["ip"]?.stringValue.flatMap(IPAddress.parse) }
    }

    private static func hold(_ svc: JSONValue, key: ObjectKey, in u: inout Used) {
        for ip in clusterIPs(svc) { u.clusterIPs[ip] = key }
        for p in nodePorts(svc) { u.nodePorts[p] = key }
        for ip in lbIPs(svc) { u.loadBalancerIPs[ip] = key }
    }

    private static func release(_ svc: JSONValue, key: ObjectKey, from u: inout Used) {
        for ip in clusterIPs(svc) where u.clusterIPs[ip] == key { u.clusterIPs[ip] = nil }
        for p in nodePorts(svc) where u.nodePorts[p] == key { u.nodePorts[p] = nil }
        for ip in lbIPs(svc) where u.loadBalancerIPs[ip] == key { u.loadBalancerIPs[ip] = nil }
    }

    // MARK: Allocation (called only from inside a store write)

    /// Checks a requested ClusterIP or picks a free one. Dynamic picks skip the kubernetes and DNS addresses.
    func clusterIP(requested: String?, for key: ObjectKey, path: FieldPath) throws(APIError) -> String {
        let taken = used.withLock { $0.clusterIPs }
        if let requested, !requested.isEmpty {
            guard let ip = IPAddress.parse(requested) else {
                throw .invalid(ResourceCatalog.services, key.name,
                               [.invalid(path, .string(requested), "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")])
            }
            guard serviceCIDR.contains(ip) else {
                throw .invalid(ResourceCatalog.services, key.name,
                               [.invalid(path, .string(requested), "provided IP is not in the valid range. The range of valid IPs is \(serviceCIDR)")])
            }
            if let holder = taken[ip], holder != key {
                throw .invalid(ResourceCatalog.services, key.name,
                               [.invalid(path, .string(requested), "failed to allocate IP \(requested): provided IP is already allocated")])
            }
            return ip.description
        }
        if key.namespace == "kube-system" && key.name == "kube-dns", taken[dnsServiceIP] == nil {
            return dnsServiceIP.description
        }
        if key.namespace == "default" && key.name == "kubernetes", taken[kubernetesServiceIP] == nil {
            return kubernetesServiceIP.description
        }
        let size = serviceCIDR.size
        guard size > 3 else { throw exhausted("ClusterIP", "range is too small") }
        let reserved: Set<IPAddress> = [kubernetesServiceIP, dnsServiceIP]
        let usable = size - 2  // network and broadcast addresses
        let start = UInt64.random(in: 0..<usable)
        var i: UInt64 = 0
        while i < usable {
            let offset = 1 + (start + i) % usable
            if let ip = serviceCIDR.address(at: offset), taken[ip] == nil, !reserved.contains(ip) {
                return ip.description
            }
            i += 1
        }
        throw exhausted("ClusterIP", "range \(serviceCIDR) is full")
    }

    /// Checks requested node ports or picks free ones; `alsoTaken` holds ports already chosen in this request.
    func nodePort(requested: Int?, for key: ObjectKey, alsoTaken: Set<Int>, path: FieldPath) throws(APIError) -> Int {
        let taken = used.withLock { $0.nodePorts }
        if let requested, requested != 0 {
            guard nodePortRange.contains(requested) else {
                throw .invalid(ResourceCatalog.services, key.name,
                               [.invalid(path, .int(Int64(requested)), "provided port is not in the valid range. The range of valid ports is \(nodePortRange.lowerBound)-\(nodePortRange.upperBound)")])
            }
            if let holder = taken[requested], holder != key {
                throw .invalid(ResourceCatalog.services, key.name,
                               [.invalid(path, .int(Int64(requested)), "provided port is already allocated")])
            }
            if alsoTaken.contains(requested) {
                throw .invalid(ResourceCatalog.services, key.name, [.duplicate(path, .int(Int64(requested)))])
            }
            return requested
        }
        let count = nodePortRange.count
        let start = Int.random(in: 0..<count)
        for i in 0..<count {
            let port = nodePortRange.lowerBound + (start + i) % count
            if taken[port] == nil && !alsoTaken.contains(port) { return port }
        }
        throw exhausted("NodePort", "range \(nodePortRange.lowerBound)-\(nodePortRange.upperBound) is full")
    }

    func loadBalancerIP(requested: String?, for key: ObjectKey) throws(APIError) -> String? {
        guard let pool = loadBalancerPool else { return nil }
        let taken = used.withLock { $0.loadBalancerIPs }
        if let requested, !requested.isEmpty, let ip = IPAddress.parse(requested), pool.contains(ip) {
            if let holder = taken[ip], holder != key {
                throw .invalid(ResourceCatalog.services, key.name,
                               [.invalid(FieldPath.root("spec").child("loadBalancerIP"), .string(requested), "provided IP is already allocated")])
            }
            return ip.description
        }
        let usable = pool.size > 2 ? pool.size - 2 : pool.size
        for i in 0..<usable {
            if let ip = pool.address(at: pool.size > 2 ? i + 1 : i), taken[ip] == nil { return ip.description }
        }
        throw exhausted("LoadBalancer IP", "pool \(pool) is full")
    }

    private func exhausted(_ what: String, _ detail: String) -> APIError {
        APIError(code: 500, reason: "InternalError",
                 message: "Internal error occurred: failed to allocate a \(what): \(detail)")
    }

    public var usage: (clusterIPs: Int, nodePorts: Int, loadBalancerIPs: Int) {
        used.withLock { ($0.clusterIPs.count, $0.nodePorts.count, $0.loadBalancerIPs.count) }
    }
}
