import ControlPlane
import Foundation
import KubeClient
import KubeModel
import TestSupport
import Testing

/// Client certificates, as kind's and kubeadm's admin kubeconfigs use them: a certificate the cluster CA signed
/// authenticates without a token (kubectl and our own client, inline data and relative files); one from another CA
/// is refused in the handshake; no credentials at all is a 401.
@Suite("Client certificate authentication")
struct ClientCertificateTests {
    static func kubeconfig(server: String, caPEM: String, user: [String: String]) -> String {
        let userLines = user.sorted { $0.key < $1.key }.map { "    \($0.key): \($0.value)" }.joined(separator: "\n")
        return """
            apiVersion: v1
            kind: Config
            clusters:
            - name: c
              cluster:
                server: \(server)
                certificate-authority-data: \(Data(caPEM.utf8).base64EncodedString())
            users:
            - name: u
              user:
            \(userLines)
            contexts:
            - name: ctx
              context: {cluster: c, user: u}
            current-context: ctx
            """
    }

    @Test("a CA-signed client certificate authenticates kubectl and KubeClient; a foreign one and none are refused")
    func clientCertificates() async throws {
        try await withControlPlane { cp in
            let admin = try KubeConfig.load(path: cp.kubeconfig)
            let caPEM = try #require(admin.caPEM)
            let issued = try ClusterPKI.issueClientCertificate(dir: cp.dir + "/data", user: "kube-proxy", groups: ["system:node-proxier"])

            // Inline data.
            let inline = cp.dir + "/cert.kubeconfig"
            try Self.kubeconfig(server: admin.server, caPEM: caPEM, user: [
                "client-certificate-data": Data(issued.certificatePEM.utf8).base64EncodedString(),
                "client-key-data": Data(issued.keyPEM.utf8).base64EncodedString(),
            ]).write(toFile: inline, atomically: true, encoding: .utf8)
            let r = try run("/usr/bin/kubectl", ["--kubeconfig", inline, "--cache-dir", cp.dir + "/kube-cache-cert", "get", "namespaces", "-o", "name"])
            #expect(r.code == 0, "\(r.err)")
            #expect(r.out.contains("namespace/kube-system"))
            let client = try KubeClient(config: KubeConfig.load(path: inline))
            let services = try await client.json(.GET, "/api/v1/namespaces/default/services")
            #expect(services["items"]?.arrayValue?.contains { $0.value(at: ["metadata", "name"])?.stringValue == "kubernetes" } == true)
            try await client.shutdown()

            // Files, relative to the kubeconfig's directory.
            try issued.certificatePEM.write(toFile: cp.dir + "/proxy.crt", atomically: true, encoding: .utf8)
            try issued.keyPEM.write(toFile: cp.dir + "/proxy.key", atomically: true, encoding: .utf8)
            let files = cp.dir + "/files.kubeconfig"
            try Self.kubeconfig(server: admin.server, caPEM: caPEM, user: ["client-certificate": "proxy.crt", "client-key": "proxy.key"])
                .write(toFile: files, atomically: true, encoding: .utf8)
            let fromFiles = try KubeClient(config: KubeConfig.load(path: files))
            #expect(try await fromFiles.raw(.GET, "/api/v1/namespaces").code == 200)
            try await fromFiles.shutdown()

            // A certificate from another CA: the handshake fails, nothing is served.
            let foreignDir = cp.dir + "/foreign"
            try FileManager.default.createDirectory(atPath: foreignDir, withIntermediateDirectories: true)
            _ = try ClusterPKI.loadOrCreate(dir: foreignDir, hosts: [])
            let foreign = try ClusterPKI.issueClientCertificate(dir: foreignDir, user: "mallory")
            var foreignConfig = KubeConfig(server: admin.server, caPEM: caPEM)
            foreignConfig.clientCertificatePEM = foreign.certificatePEM
            foreignConfig.clientKeyPEM = foreign.keyPEM
            let impostor = try KubeClient(config: foreignConfig)
            await #expect(throws: (any Error).self) { _ = try await impostor.raw(.GET, "/api/v1/namespaces") }
            try await impostor.shutdown()

            // No credentials: 401 with a Status.
            let anonymous = try KubeClient(config: KubeConfig(server: admin.server, caPEM: caPEM))
            let denied = try await anonymous.raw(.GET, "/api/v1/namespaces")
            #expect(denied.code == 401)
            #expect(denied.json?["kind"]?.stringValue == "Status")
            try await anonymous.shutdown()

            // A certificate without its key is a clear kubeconfig error.
            let broken = cp.dir + "/broken.kubeconfig"
            try Self.kubeconfig(server: admin.server, caPEM: caPEM, user: ["client-certificate": "proxy.crt"])
                .write(toFile: broken, atomically: true, encoding: .utf8)
            #expect(throws: KubeConfig.LoadError.self) { try KubeConfig.load(path: broken) }
        }
    }

    @Test("in-cluster configuration: the service account's token and CA from the secrets directory, the server from the environment")
    func inCluster() async throws {
        try await withControlPlane { cp in
            let admin = try KubeConfig.load(path: cp.kubeconfig)
            let secrets = cp.dir + "/serviceaccount"
            try FileManager.default.createDirectory(atPath: secrets, withIntermediateDirectories: true)
            try (admin.token ?? "").write(toFile: secrets + "/token", atomically: true, encoding: .utf8)
            try (admin.caPEM ?? "").write(toFile: secrets + "/ca.crt", atomically: true, encoding: .utf8)
            try "kube-system\n".write(toFile: secrets + "/namespace", atomically: true, encoding: .utf8)
            let url = try #require(URL(string: admin.server))
            let config = try KubeConfig.inCluster(
                environment: ["KUBERNETES_SERVICE_HOST": url.host ?? "", "KUBERNETES_SERVICE_PORT": String(url.port ?? 443)],
                secrets: secrets)
            #expect(config.namespace == "kube-system")
            let client = try KubeClient(config: config)
            #expect(try await client.raw(.GET, "/api/v1/namespaces/kube-system").code == 200)
            try await client.shutdown()
            #expect(throws: KubeConfig.LoadError.self) { try KubeConfig.inCluster(environment: [:], secrets: secrets) }
        }
    }
}
