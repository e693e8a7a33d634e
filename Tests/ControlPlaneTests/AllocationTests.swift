import Foundation
import KubeClient
import KubeModel
import TestSupport
import Testing

@Suite("ClusterIP, NodePort and LoadBalancer allocation")
struct AllocationTests {
    static func service(_ name: String, type: String = "NodePort") -> JSONValue {
        ["metadata": ["name": .string(name)],
         "spec": ["type": .string(type), "selector": ["app": "x"], "ports": [["port": 80, "targetPort": 8080]]]]
    }

    @Test("1000 concurrent creates get unique ClusterIPs and NodePorts; deletes free them")
    func concurrentCreates() async throws {
        try await withControlPlane { cp in try await Self.concurrentCreates(cp) }
    }

    static func concurrentCreates(_ cp: TestControlPlane) async throws {
        let api = try cp.api
        let count = 1000
        let created = try await withThrowingTaskGroup(of: JSONValue.self) { group in
            for i in 0..<count {
                group.addTask { try await api.json(.POST, "/api/v1/namespaces/default/services", service("svc-\(i)")) }
            }
            var out: [JSONValue] = []
            for try await s in group { out.append(s) }
            return out
        }
        #expect(created.count == count)
        let ips = created.compactMap { $0.value(at: ["spec", "clusterIP"])?.stringValue }
        let ports = created.compactMap { $0.value(at: ["spec", "ports"])?.arrayValue?.first?["nodePort"]?.intValue }
        #expect(Set(ips).count == count)
        #expect(Set(ports).count == count)
        #expect(!ips.contains("10.96.0.1"))
        #expect(!ips.contains("10.96.0.10"))
        let range = try #require(CIDR.parse("10.96.0.0/12"))
        #expect(ips.allSatisfy { IPAddress.parse($0).map(range.contains) ?? false })
        #expect(ports.allSatisfy { (30000...32767).contains($0) })

        // What the server lists agrees with what the creates returned.
        let list = try await api.json(.GET, "/api/v1/namespaces/default/services")
        let listed = (list["items"]?.arrayValue ?? []).compactMap { $0.value(at: ["spec", "clusterIP"])?.stringValue }
        #expect(Set(listed).isSuperset(of: ips))

        // Deleting frees: the same addresses and ports can be asked for again by new services.
        let freedIP = ips[0]
        let freedPort = ports[0]
        try await api.json(.DELETE, "/api/v1/namespaces/default/services/\(created[0].value(at: ["metadata", "name"])?.stringValue ?? "")")
        var reuse = service("reuse")
        reuse.setValue(.string(freedIP), at: ["spec", "clusterIP"])
        reuse.setValue([["port": 80, "targetPort": 8080, "nodePort": .int(freedPort)]], at: ["spec", "ports"])
        let again = try await api.json(.POST, "/api/v1/namespaces/default/services", reuse)
        #expect(again.value(at: ["spec", "clusterIP"])?.stringValue == freedIP)

        // A taken address is refused with the field named.
        var taken = service("taken")
        taken.setValue(.string(ips[1]), at: ["spec", "clusterIP"])
        let r = try await api.raw(.POST, "/api/v1/namespaces/default/services", body: JSONWriter.bytes(taken))
        #expect(r.code == 422)
        #expect(r.json?.value(at: ["details", "causes"])?.arrayValue?.first?["field"]?.stringValue == "spec.clusterIP")
    }

    @Test("exhausted ranges give a clear error; type changes release node ports")
    func exhaustion() async throws {
        // A /28 has 14 usable addresses; .1 (kubernetes) is taken and .10 reserved for DNS: 12 left.
        try await withControlPlane(["--service-cidr", "10.96.0.0/28", "--node-port-range", "30000-30004",
                                    "--lb-pool", "172.18.255.0/30"]) { cp in try await Self.exhaustion(cp) }
    }

    static func exhaustion(_ cp: TestControlPlane) async throws {
        let api = try cp.api
        for i in 0..<5 { try await api.json(.POST, "/api/v1/namespaces/default/services", service("np-\(i)")) }
        let sixth = try await api.raw(.POST, "/api/v1/namespaces/default/services", body: JSONWriter.bytes(service("np-5")))
        #expect(sixth.code == 500 || sixth.code == 422)
        #expect(sixth.json?["message"]?.stringValue?.contains("failed to allocate a NodePort: range 30000-30004 is full") == true)
        #expect(try await api.raw(.GET, "/api/v1/namespaces/default/services/np-5").code == 404)

        // Turning one NodePort service into ClusterIP releases its port for the next.
        try await api.json(.PATCH, "/api/v1/namespaces/default/services/np-0",
                           ["spec": ["type": "ClusterIP", "ports": [["port": 80, "targetPort": 8080]]]],
                           contentType: "application/merge-patch+json")
        let np0 = try await api.json(.GET, "/api/v1/namespaces/default/services/np-0")
        #expect(np0.value(at: ["spec", "ports"])?.arrayValue?.first?["nodePort"] == nil)
        try await api.json(.POST, "/api/v1/namespaces/default/services", service("np-5"))

        for i in 0..<6 { try await api.json(.POST, "/api/v1/namespaces/default/services", service("c-\(i)", type: "ClusterIP")) }
        let full = try await api.raw(.POST, "/api/v1/namespaces/default/services", body: JSONWriter.bytes(service("c-6", type: "ClusterIP")))
        #expect(full.json?["message"]?.stringValue?.contains("failed to allocate a ClusterIP") == true)

        // The LoadBalancer pool /30 has two usable addresses.
        try await api.json(.DELETE, "/api/v1/namespaces/default/services/c-0")
        try await api.json(.DELETE, "/api/v1/namespaces/default/services/c-1")
        try await api.json(.DELETE, "/api/v1/namespaces/default/services/np-1")
        try await api.json(.DELETE, "/api/v1/namespaces/default/services/np-2")
        let lb1 = try await api.json(.POST, "/api/v1/namespaces/default/services", service("lb-1", type: "LoadBalancer"))
        let ingress = lb1.value(at: ["status", "loadBalancer", "ingress"])?.arrayValue?.first
        #expect(ingress?["ip"]?.stringValue == "172.18.255.1")
        #expect(ingress?["ipMode"]?.stringValue == "VIP")
        try await api.json(.POST, "/api/v1/namespaces/default/services", service("lb-2", type: "LoadBalancer"))
        try await api.json(.DELETE, "/api/v1/namespaces/default/services/np-3")
        try await api.json(.DELETE, "/api/v1/namespaces/default/services/np-4")
        let lb3 = try await api.raw(.POST, "/api/v1/namespaces/default/services", body: JSONWriter.bytes(service("lb-3", type: "LoadBalancer")))
        #expect(lb3.json?["message"]?.stringValue?.contains("failed to allocate a LoadBalancer IP: pool 172.18.255.0/30 is full") == true)
    }
}
