import Foundation
import KubeClient
import KubeModel
import TestSupport
import Testing

/// The nftables proxy in the simulation: every node runs one, programming only its own namespace.
@Suite("nftables proxy in the simulated cluster", .serialized)
struct ProxyTests {
    /// Three echo pods behind `web`, a caller pod, and the same pods as a NodePort and a LoadBalancer Service.
    static let manifest = ProxyRotationTests.manifest(replicas: 3, preStop: 0, extraService: """
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web-np}
        spec:
          type: NodePort
          selector: {app: web}
          ports: [{port: 80, targetPort: http, nodePort: 30080}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web-lb}
        spec:
          type: LoadBalancer
          selector: {app: web}
          ports: [{port: 80, targetPort: http}]
        """)

    @Test("ClusterIP from a pod spreads over all endpoints, hairpin included; NodePort on every node and the LoadBalancer IP answer the outside; source ranges restrict the LB IP; no endpoints is refused at once")
    func serviceTraffic() async throws {
        try await withCluster(nodes: 3) { c in try await Self.serviceTraffic(c) }
    }

    static func serviceTraffic(_ c: SimulatedCluster) async throws {
        try c.kubectl("apply", "-f", "-", stdin: manifest)
        try await c.eventually("3 ready endpoints and a running caller", timeout: 30) {
            let pods = try await c.pods("app=web")
            let caller = try await c.client().json(.GET, "/api/v1/namespaces/default/pods/caller")
            return pods.count == 3 && pods.allSatisfy(isReady) && caller.value(at: ["status", "phase"])?.stringValue == "Running"
        }
        let svc = try await c.client().json(.GET, "/api/v1/namespaces/default/services/web")
        let clusterIP = try #require(svc.value(at: ["spec", "clusterIP"])?.stringValue)
        let podNames = Set(try await c.pods("app=web").map { meta($0, "name") })

        // ClusterIP from a pod: every endpoint answers sooner or later.
        var seen = Set<String>()
        try await c.eventually("all 3 endpoints seen through the ClusterIP", timeout: 20) {
            let r = try c.exec("caller", ["curl", "-s", "-m", "2", "http://\(clusterIP)/"])
            if r.code == 0, let pod = try? JSONParser.parse(r.out)["pod"]?.stringValue { seen.insert(pod) }
            return seen == podNames
        }

        // Hairpin: an endpoint reaching its own Service may be sent back to itself, and that works too.
        let member = try #require(podNames.sorted().first)
        var seenFromMember = Set<String>()
        try await c.eventually("an endpoint reaches every endpoint, itself included, through the ClusterIP", timeout: 20) {
            let r = try c.exec(member, ["curl", "-s", "-m", "2", "http://\(clusterIP)/"])
            if r.code == 0, let pod = try? JSONParser.parse(r.out)["pod"]?.stringValue { seenFromMember.insert(pod) }
            return seenFromMember == podNames
        }

        // NodePort on every node and the LoadBalancer IP, from the external client namespace.
        for n in 1...3 {
            let ip = "172.18.0.\(n + 1)"
            let r = try c.exec("client", ["curl", "-s", "-m", "3", "http://\(ip):30080/"])
            #expect(r.code == 0, "NodePort on \(ip): \(r.err)")
            #expect(podNames.contains(try JSONParser.parse(r.out)["pod"]?.stringValue ?? ""))
        }
        let lb = try await c.client().json(.GET, "/api/v1/namespaces/default/services/web-lb")
        let lbIP = try #require(lb.value(at: ["status", "loadBalancer", "ingress"])?.arrayValue?.first?["ip"]?.stringValue)
        let viaLB = try c.exec("client", ["curl", "-s", "-m", "3", "http://\(lbIP)/"])
        #expect(viaLB.code == 0, "LoadBalancer \(lbIP): \(viaLB.err)")
        #expect(podNames.contains(try JSONParser.parse(viaLB.out)["pod"]?.stringValue ?? ""))

        // loadBalancerSourceRanges: a range without the client drops it at the LB IP; adding the client's range
        // lets it in (the NodePort is not restricted, as upstream).
        try c.kubectl("patch", "service", "web-lb", "-p", #"{"spec":{"loadBalancerSourceRanges":["10.1.0.0/16"]}}"#)
        try await c.eventually("the LB IP closed to the client", timeout: 20) {
            try c.exec("client", ["curl", "-s", "-m", "1", "http://\(lbIP)/"]).code == 28
        }
        try c.kubectl("patch", "service", "web-lb", "-p", #"{"spec":{"loadBalancerSourceRanges":["10.1.0.0/16","172.18.0.0/24"]}}"#)
        try await c.eventually("the LB IP open to the client's range", timeout: 20) {
            try c.exec("client", ["curl", "-s", "-m", "1", "http://\(lbIP)/"]).code == 0
        }

        // Scale to zero: the ClusterIP refuses at once (TCP reset), no timeout.
        try c.kubectl("scale", "deployment", "web", "--replicas=0")
        try await c.eventually("refused without endpoints", timeout: 20) {
            let start = Date()
            let r = try c.exec("caller", ["curl", "-s", "-m", "3", "http://\(clusterIP)/"])
            return r.code == 7 && Date().timeIntervalSince(start) < 1
        }
    }
}

extension ProxyTests {
    @Test("externalTrafficPolicy Local: the client's address is preserved, only the node with an endpoint answers, health checks say which; internalTrafficPolicy Local")
    func externalTrafficPolicyLocal() async throws {
        try await withCluster(nodes: 3) { c in try await Self.externalTrafficPolicyLocal(c) }
    }

    static func externalTrafficPolicyLocal(_ c: SimulatedCluster) async throws {
        try c.kubectl("apply", "-f", "-", stdin: """
            apiVersion: v1
            kind: Pod
            metadata: {name: local, labels: {app: local}}
            spec:
              containers:
              - name: echo
                image: junction/echo
                ports: [{name: http, containerPort: 8080}]
                readinessProbe: {tcpSocket: {port: http}, periodSeconds: 1}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: local}
            spec:
              type: LoadBalancer
              externalTrafficPolicy: Local
              selector: {app: local}
              ports: [{port: 80, targetPort: http, nodePort: 30090}]
            """)
        try await c.eventually("pod ready", timeout: 30) {
            isReady(try await c.client().json(.GET, "/api/v1/namespaces/default/pods/local"))
        }
        let pod = try await c.client().json(.GET, "/api/v1/namespaces/default/pods/local")
        let home = try #require(pod.value(at: ["spec", "nodeName"])?.stringValue)
        let svc = try await c.client().json(.GET, "/api/v1/namespaces/default/services/local")
        let hc = try #require(svc.value(at: ["spec", "healthCheckNodePort"])?.intValue)
        let clientIP = "172.18.0.250"
        for n in 1...3 {
            let ip = "172.18.0.\(n + 1)"
            let isHome = "node-\(n)" == home
            try await c.eventually("health check on node-\(n)", timeout: 20) {
                let r = try c.exec("client", ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "2", "http://\(ip):\(hc)/"])
                return r.out == (isHome ? "200" : "503")
            }
            let r = try c.exec("client", ["curl", "-s", "-m", "2", "http://\(ip):30090/"])
            if isHome {
                #expect(r.code == 0, "NodePort on the endpoint's node: \(r.err)")
                // No masquerade: the pod sees the external client's own address.
                #expect(try JSONParser.parse(r.out)["client"]?.stringValue?.hasPrefix(clientIP + ":") == true)
            } else {
                #expect(r.code != 0, "node-\(n) has no local endpoint and must not answer")
            }
        }

        // internalTrafficPolicy Local: a pod on the endpoint's node reaches it; a pod elsewhere is dropped (a
        // timeout, not a refusal, as upstream).
        let away = home == "node-1" ? "node-2" : "node-1"
        try c.kubectl("apply", "-f", "-", stdin: """
            apiVersion: v1
            kind: Service
            metadata: {name: local-internal}
            spec:
              internalTrafficPolicy: Local
              selector: {app: local}
              ports: [{port: 80, targetPort: http}]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: near}
            spec:
              nodeName: \(home)
              containers: [{name: sleep, image: debian, command: [sleep, "600"]}]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: far}
            spec:
              nodeName: \(away)
              containers: [{name: sleep, image: debian, command: [sleep, "600"]}]
            """)
        let internalIP = try #require(try await c.client().json(.GET, "/api/v1/namespaces/default/services/local-internal")
            .value(at: ["spec", "clusterIP"])?.stringValue)
        try await c.eventually("the local endpoint through iTP Local from its node", timeout: 30) {
            try c.exec("near", ["curl", "-s", "-m", "1", "http://\(internalIP)/"]).code == 0
        }
        try await c.eventually("far running", timeout: 30) {
            try await c.client().json(.GET, "/api/v1/namespaces/default/pods/far").value(at: ["status", "phase"])?.stringValue == "Running"
        }
        let far = try c.exec("far", ["curl", "-s", "-m", "1", "http://\(internalIP)/"])
        #expect(far.code == 28, "no local endpoint on \(away): dropped, got \(far)")
    }
}
