import Foundation
import KubeClient
import KubeModel
import TestSupport
import Testing

/// The stock kubectl 1.32 against a fresh control plane: the day-to-day commands a user runs.
@Suite("kubectl against the control plane", .serialized)
struct KubectlTests {
    static let manifest = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          labels: {app: web}
        spec:
          replicas: 3
          selector:
            matchLabels: {app: web}
          template:
            metadata:
              labels: {app: web}
            spec:
              containers:
              - name: echo
                image: junction/echo
                ports:
                - {name: http, containerPort: 8080}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec:
          selector: {app: web}
          ports:
          - {name: http, port: 80, targetPort: http}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web-np}
        spec:
          type: NodePort
          selector: {app: web}
          ports:
          - {port: 80, targetPort: 8080, nodePort: 30080}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web-lb}
        spec:
          type: LoadBalancer
          selector: {app: web}
          ports:
          - {port: 80, targetPort: 8080}
        """

    /// Column headers of a kubectl table, split on runs of two or more spaces.
    static func header(_ out: String) -> [String] {
        (out.split(separator: "\n").first.map(String.init) ?? "")
            .split(separator: "  ", omittingEmptySubsequences: true).map { $0.trimmingCharacters(in: .whitespaces) }
    }

    static func row(_ out: String, _ name: String) -> [String]? {
        for line in out.split(separator: "\n") {
            let fields: [String] = line.split(separator: " ").map { String($0) }
            if fields.first == name { return fields }
        }
        return nil
    }

    @Test("apply -f twice (changed), get with kube-apiserver's columns")
    func applyAndGet() async throws {
        try await withControlPlane { cp in try await Self.applyAndGet(cp) }
    }

    static func applyAndGet(_ cp: TestControlPlane) async throws {
        for n in 1...3 { try await cp.addReadyNode("node-\(n)") }
        let first = try cp.kubectl("apply", "-f", "-", stdin: Self.manifest)
        #expect(first.out.contains("deployment.apps/web created"))
        #expect(first.out.contains("service/web-lb created"))

        let svc = try cp.kubectl("get", "svc", "-o", "wide")
        #expect(Self.header(svc.out).joined(separator: "|") == "NAME|TYPE|CLUSTER-IP|EXTERNAL-IP|PORT(S)|AGE|SELECTOR")
        let np = try #require(Self.row(svc.out, "web-np"))
        #expect(np[1] == "NodePort")
        #expect(np[2].hasPrefix("10."))
        #expect(np[4] == "80:30080/TCP")
        let lb = try #require(Self.row(svc.out, "web-lb"))
        #expect(lb[1] == "LoadBalancer")
        #expect(lb[3].hasPrefix("172.18.255."))
        #expect(lb[4].hasPrefix("80:3"))

        // Second apply with a changed port and label: a strategic merge patch, no --validate=false.
        let changed = Self.manifest.replacingOccurrences(of: "{name: http, port: 80, targetPort: http}",
                                                         with: "{name: http, port: 81, targetPort: http}")
            .replacingOccurrences(of: "replicas: 3", with: "replicas: 2")
        let second = try cp.kubectl("apply", "-f", "-", stdin: changed)
        #expect(second.out.contains("service/web configured"))
        #expect(second.out.contains("deployment.apps/web configured"))
        #expect(second.out.contains("service/web-np unchanged"))
        let web = try cp.kubectl("get", "svc", "web", "-o", "jsonpath={.spec.ports[0].port} {.spec.clusterIP}")
        #expect(web.out.hasPrefix("81 10."))
        let npAfter = try cp.kubectl("get", "svc", "web-np", "-o", "jsonpath={.spec.ports[0].nodePort}")
        #expect(npAfter.out == "30080")

        try await cp.eventually("2 pods") {
            try cp.kubectl("get", "pods", "--no-headers").out.split(separator: "\n").count == 2
        }
        let pods = try cp.kubectl("get", "pods", "-o", "wide")
        #expect(Self.header(pods.out).joined(separator: "|") == "NAME|READY|STATUS|RESTARTS|AGE|IP|NODE|NOMINATED NODE|READINESS GATES")
        #expect(pods.out.contains("node-"))
        let deploy = try cp.kubectl("get", "deploy", "-o", "wide")
        #expect(Self.header(deploy.out).joined(separator: "|") == "NAME|READY|UP-TO-DATE|AVAILABLE|AGE|CONTAINERS|IMAGES|SELECTOR")
        let rs = try cp.kubectl("get", "rs")
        #expect(Self.header(rs.out).joined(separator: "|") == "NAME|DESIRED|CURRENT|READY|AGE")
        let slices = try cp.kubectl("get", "endpointslices")
        #expect(Self.header(slices.out).joined(separator: "|") == "NAME|ADDRESSTYPE|PORTS|ENDPOINTS|AGE")
        #expect(slices.out.contains("web-"))

        // Server-side apply: creates what is missing, merges into what exists.
        let ssa = """
            apiVersion: v1
            kind: Service
            metadata: {name: ssa, labels: {team: a}}
            spec:
              selector: {app: web}
              ports: [{name: http, port: 8080}]
            """
        let created = try cp.kubectl("apply", "--server-side", "-f", "-", stdin: ssa)
        #expect(created.out.contains("service/ssa serverside-applied"))
        try cp.kubectl("apply", "--server-side", "-f", "-", stdin: ssa.replacingOccurrences(of: "team: a", with: "team: b"))
        #expect(try cp.kubectl("get", "svc", "ssa", "-o", "jsonpath={.metadata.labels.team} {.spec.ports[0].port}").out == "b 8080")
    }

    @Test("create deployment (protobuf), run, expose, scale, label, rollout undo, delete")
    func imperativeCommands() async throws {
        try await withControlPlane { cp in try await Self.imperativeCommands(cp) }
    }

    static func imperativeCommands(_ cp: TestControlPlane) async throws {
        for n in 1...2 { try await cp.addReadyNode("node-\(n)") }
        // kubectl 1.32 sends this one as protobuf.
        try cp.kubectl("create", "deployment", "nginx", "--image=nginx:1.27", "--replicas=2", "--port=8080")
        let image = try cp.kubectl("get", "deploy", "nginx", "-o", "jsonpath={.spec.template.spec.containers[0].image}")
        #expect(image.out == "nginx:1.27")
        try cp.kubectl("create", "namespace", "demo")
        try cp.kubectl("create", "service", "nodeport", "np", "--tcp=80:8080", "-n", "demo")
        #expect(try cp.kubectl("get", "svc", "np", "-n", "demo", "-o", "jsonpath={.spec.type}").out == "NodePort")

        try cp.kubectl("run", "busy", "--image=busybox", "--", "sleep", "3600")
        #expect(try cp.kubectl("get", "pod", "busy", "-o", "jsonpath={.metadata.labels.run}").out == "busy")

        let expose = try cp.kubectl("expose", "deployment", "nginx", "--port=80", "--target-port=8080", "--type=NodePort")
        #expect(expose.out.contains("service/nginx exposed"))
        let np = try cp.kubectl("get", "svc", "nginx", "-o", "jsonpath={.spec.ports[0].nodePort}")
        #expect((30000...32767).contains(Int(np.out) ?? 0))

        try cp.kubectl("scale", "deployment", "nginx", "--replicas=4")
        try await cp.eventually("4 nginx pods") {
            try cp.kubectl("get", "pods", "-l", "app=nginx", "--no-headers").out.split(separator: "\n").count == 4
        }
        try cp.kubectl("label", "svc", "nginx", "tier=front")
        #expect(try cp.kubectl("get", "svc", "-l", "tier=front", "-o", "name").out.contains("service/nginx"))
        let dup = try cp.kubectl("label", "svc", "nginx", "tier=back", check: false)
        #expect(dup.code != 0)
        #expect(dup.err.contains("already has a value"))

        // Roll out a new image, then undo it.
        try cp.kubectl("set", "image", "deployment/nginx", "nginx=nginx:1.28")
        try await cp.eventually("two replicasets") {
            try cp.kubectl("get", "rs", "-l", "app=nginx", "--no-headers").out.split(separator: "\n").count == 2
        }
        let undo = try cp.kubectl("rollout", "undo", "deployment/nginx")
        #expect(undo.out.contains("rolled back"))
        try await cp.eventually("template back to 1.27") {
            try cp.kubectl("get", "deploy", "nginx", "-o", "jsonpath={.spec.template.spec.containers[0].image}").out == "nginx:1.27"
        }
        try await cp.eventually("revision 3 on the deployment") {
            try cp.kubectl("get", "deploy", "nginx", "-o", "jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}").out == "3"
        }

        // Delete cascades to replicasets and pods.
        let del = try cp.kubectl("delete", "deployment", "nginx")
        #expect(del.out.contains("deployment.apps \"nginx\" deleted"))
        try await cp.eventually("nginx pods gone") {
            try cp.kubectl("get", "pods", "-l", "app=nginx", "--no-headers").out.isEmpty
                && cp.kubectl("get", "rs", "--no-headers").out.isEmpty
        }
        try cp.kubectl("delete", "svc", "nginx")
        let gone = try cp.kubectl("get", "svc", "nginx", check: false)
        #expect(gone.err.contains("Error from server (NotFound): services \"nginx\" not found"))
    }

    @Test("get svc -w shows a change as it happens")
    func watchService() async throws {
        try await withControlPlane { cp in try await Self.watchService(cp) }
    }

    static func watchService(_ cp: TestControlPlane) async throws {
        try cp.kubectl("create", "service", "clusterip", "web", "--tcp=80:8080")
        let (watcher, pipe) = try cp.kubectlBackground("get", "svc", "-w")
        defer {
            if watcher.isRunning { watcher.terminate() }
            watcher.waitUntilExit()
        }
        let buffer = Locked(Data())
        let text = { String(decoding: buffer.withLock { $0 }, as: UTF8.self) }
        pipe.fileHandleForReading.readabilityHandler = { h in let d = h.availableData; buffer.withLock { $0.append(d) } }
        try await cp.eventually("initial rows") { text().contains("web") && text().contains("kubernetes") }
        try cp.kubectl("label", "svc", "web", "x=y")
        try cp.kubectl("create", "service", "nodeport", "later", "--tcp=81:8080")
        try await cp.eventually("the new service in the watch") {
            text().contains("later") && text().contains("NodePort")
        }
        // The first list rows appear once, not twice (the watch starts from the list's resourceVersion).
        #expect(text().components(separatedBy: "kubernetes ").count - 1 == 1)
        pipe.fileHandleForReading.readabilityHandler = nil
    }

    @Test("an invalid Service is refused with the field named, and nothing is stored")
    func invalidService() async throws {
        try await withControlPlane { cp in try await Self.invalidService(cp) }
    }

    static func invalidService(_ cp: TestControlPlane) async throws {
        let bad = """
            apiVersion: v1
            kind: Service
            metadata: {name: bad}
            spec:
              ports:
              - {port: 70000, protocol: ICMP}
            """
        let r = try cp.kubectl("apply", "-f", "-", stdin: bad, check: false)
        #expect(r.code != 0)
        #expect(r.err.contains("The Service \"bad\" is invalid"))
        #expect(r.err.contains("spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive"))
        #expect(r.err.contains("spec.ports[0].protocol: Unsupported value: \"ICMP\""))
        #expect(try cp.kubectl("get", "svc", "bad", check: false).code != 0)

        let unknown = """
            apiVersion: v1
            kind: Service
            metadata: {name: typo}
            spec:
              prots: [{port: 80}]
            """
        let u = try cp.kubectl("create", "-f", "-", stdin: unknown, check: false)
        #expect(u.code != 0)
        #expect(u.err.contains("unknown field \"spec.prots\""))
    }
}
