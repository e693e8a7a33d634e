import Foundation
import KubeClient
import KubeModel
import TestSupport
import Testing

/// The cluster DNS as pods see it: two `junction/dns` replicas behind kube-system/kube-dns (10.96.0.10), reached
/// through the nftables proxy, with the pod's resolv.conf search path and ndots:5.
@Suite("Cluster DNS in the simulated cluster", .serialized)
struct ClusterDNSTests {
    @Test("getent and curl by service name through the search path, across namespaces; headless gives pod IPs; new services resolve at once")
    func namesFromPods() async throws {
        try await withCluster(nodes: 2) { c in try await Self.namesFromPods(c) }
    }

    static func namesFromPods(_ c: SimulatedCluster) async throws {
        try c.kubectl("apply", "-f", "-", stdin: ProxyTests.manifest)
        try c.kubectl("create", "namespace", "other")
        try c.kubectl("create", "service", "clusterip", "web", "--tcp=80:8080", "-n", "other")
        try c.kubectl("run", "web-other", "-n", "other", "--image=junction/echo", "--labels=app=web", "--port=8080")
        try c.kubectl("apply", "-f", "-", stdin: """
            apiVersion: v1
            kind: Service
            metadata: {name: web-headless}
            spec:
              clusterIP: None
              selector: {app: web}
              ports: [{port: 80, targetPort: http}]
            """)
        try await c.eventually("web pods, caller and cluster DNS ready", timeout: 40) {
            let pods = try await c.pods("app=web")
            let dns = try await c.client().json(.GET, "/api/v1/namespaces/kube-system/pods")["items"]?.arrayValue ?? []
            let other = try await c.client().json(.GET, "/api/v1/namespaces/other/pods/web-other")
            return pods.count == 3 && pods.allSatisfy(isReady) && dns.count == 2 && dns.allSatisfy(isReady) && isReady(other)
        }
        let clusterIP = try #require(try await c.client().json(.GET, "/api/v1/namespaces/default/services/web")
            .value(at: ["spec", "clusterIP"])?.stringValue)

        try await c.eventually("getent hosts web", timeout: 20) {
            let r = try c.exec("caller", ["getent", "hosts", "web"])
            return r.code == 0 && r.out.hasPrefix(clusterIP + " ") && r.out.contains("web.default.svc.cluster.local")
        }
        let viaName = try c.exec("caller", ["curl", "-s", "-m", "3", "http://web/"])
        #expect(viaName.code == 0)
        #expect(try JSONParser.parse(viaName.out)["pod"]?.stringValue?.hasPrefix("web-") == true)
        let otherNS = try c.exec("caller", ["curl", "-s", "-m", "3", "http://web.other/"])
        #expect(otherNS.code == 0, "web.other: \(otherNS.err)")
        #expect(try JSONParser.parse(otherNS.out)["namespace"]?.stringValue == "other")

        let podIPs = Set(try await c.pods("app=web").compactMap { $0.value(at: ["status", "podIP"])?.stringValue })
        let headless = try c.exec("caller", ["getent", "ahostsv4", "web-headless"])
        let answered = Set(headless.out.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) })
        #expect(answered == podIPs)

        // A service created through the API resolves right away, and stops resolving once deleted.
        try c.kubectl("create", "service", "clusterip", "fresh", "--tcp=80:8080")
        try await c.eventually("fresh resolves", timeout: 15) {
            try c.exec("caller", ["getent", "hosts", "fresh"]).code == 0
        }
        try c.kubectl("delete", "service", "fresh")
        try await c.eventually("fresh stops resolving", timeout: 15) {
            try c.exec("caller", ["getent", "hosts", "fresh"]).code != 0
        }
    }
}
