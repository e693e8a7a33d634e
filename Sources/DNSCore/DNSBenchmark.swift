import KubeModel

/// A synthetic cluster and query mix for measuring the per-query path (decode, lookup, answer, encode) without
/// sockets, and a seed for the fuzz target. Not used by the server.
public enum DNSBenchmark {
    /// `services` ClusterIP services `svc-<i>` spread over ten namespaces `ns-<i % 10>`, each with a named TCP
    /// port, plus one headless service per namespace with `headlessEndpoints` ready endpoints (hostnames `pod-<j>`).
    public static func syntheticBuilder(services: Int, headlessEndpoints: Int = 3,
                                        podMode: PodRecordMode = .insecure) -> ClusterDNSIndex.Builder {
        var builder = ClusterDNSIndex.Builder(podMode: podMode)
        for i in 0..<services {
            let ip = IPAddress(v4: 0x0A60_0000 &+ UInt32(truncatingIfNeeded: i + 100))
            builder.upsertService([
                "kind": "Service",
                "metadata": ["name": .string("svc-\(i)"), "namespace": .string("ns-\(i % 10)")],
                "spec": [
                    "type": "ClusterIP", "clusterIP": .string(ip.description),
                    "ports": [["name": "http", "protocol": "TCP", "port": 80]],
                ],
            ])
        }
        for n in 0..<10 {
            builder.upsertService([
                "kind": "Service",
                "metadata": ["name": "db", "namespace": .string("ns-\(n)")],
                "spec": ["clusterIP": "None", "ports": [["name": "pg", "protocol": "TCP", "port": 5432]]],
            ])
            var endpoints: [JSONValue] = []
            for j in 0..<headlessEndpoints {
                let ip = IPAddress(v4: 0x0AF4_0000 &+ UInt32(truncatingIfNeeded: n << 12 | j))
                endpoints.append([
                    "addresses": [.string(ip.description)], "conditions": ["ready": true],
                    "hostname": .string("pod-\(j)"),
                ])
            }
            builder.upsertEndpointSlice([
                "kind": "EndpointSlice",
                "metadata": [
                    "name": "db-abcde", "namespace": .string("ns-\(n)"),
                    "labels": ["kubernetes.io/service-name": "db"],
                ],
                "addressType": "IPv4",
                "endpoints": .array(endpoints),
                "ports": [["name": "pg", "protocol": "TCP", "port": 5432]],
            ])
        }
        return builder
    }

    /// `count` query packets as `dig` sends them (RD, EDNS 1232): five in six ask A for an existing service, one
    /// in six a name that does not exist, like the mix of the dnsmasq/Knot/NSD baseline in the research notes.
    public static func queryPackets(services: Int, count: Int) -> [[UInt8]] {
        var packets: [[UInt8]] = []
        packets.reserveCapacity(count)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for k in 0..<count {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let i = Int(truncatingIfNeeded: state >> 33) % max(1, services)
            let service = k % 6 == 5 ? "missing-\(i)" : "svc-\(i)"
            let text = "\(service).ns-\(i % 10).svc.cluster.local"
            let name = DNSName(text) ?? .root
            let query = DNSMessage.query(id: UInt16(truncatingIfNeeded: state >> 17), name: name, type: .a,
                                         edns: EDNS(udpPayloadSize: 1232))
            packets.append(query.encode())
        }
        return packets
    }

    /// Runs every packet through `ClusterResolver.respond` `rounds` times on the calling thread; returns the
    /// number of queries answered and the time taken.
    public static func run(index: ClusterDNSIndex, packets: [[UInt8]], rounds: Int,
                           resolver: ClusterResolver = ClusterResolver()) -> (queries: Int, duration: Duration) {
        var replies = 0
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<rounds {
            for packet in packets {
                if case .reply(let bytes) = resolver.respond(to: packet, transport: .udp, index: index) {
                    replies &+= bytes.count > 0 ? 1 : 0
                }
            }
        }
        return (replies, clock.now - start)
    }
}
