import DNSCore
import Foundation
import KubeClient
import KubeModel
import TestSupport
import Testing

/// `junction dns` as a process: flags, the health endpoint and answers from the API.
@Suite("junction dns")
struct DNSCommandTests {
    /// The first `key=NUMBER` in the log after `marker`.
    static func port(in log: String, after marker: String, key: String) -> Int? {
        for line in log.split(separator: "\n") where line.contains(marker) {
            guard let range = line.range(of: key + "=") else { continue }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }
        return nil
    }

    @Test("serves /ready after the sync and answers cluster names")
    func commandServes() async throws {
        try await withControlPlane { cp in
            let api = try cp.api
            try await api.json(.POST, "/api/v1/namespaces/default/services",
                               Objects.service("web", clusterIP: "None", ports: [Objects.port("http", 80)]))
            try await api.json(.POST, "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices",
                               Objects.slice("web-1", service: "web", ips: ["10.244.3.4"], port: Objects.port("http", 80)))
            let logPath = cp.dir + "/dns.log"
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: junctionBinary)
            // The upstream is a loopback port where nothing listens: the host's resolvers are never asked.
            p.arguments = ["dns", "--kubeconfig", cp.kubeconfig, "--listen", "127.0.0.1:0",
                           "--health-bind", "127.0.0.1:0", "--metrics-bind", "127.0.0.1:0", "--upstream", "127.0.0.1:9",
                           "--ttl", "17"]
            let log = FileHandle(forWritingAtPath: logPath)
            p.standardOutput = log
            p.standardError = log
            try p.run()
            defer {
                if p.isRunning { kill(p.processIdentifier, SIGKILL) }
            }
            var dnsPort: Int?
            var healthPort: Int?
            var metricsPort: Int?
            for _ in 0..<200 where dnsPort == nil || healthPort == nil || metricsPort == nil {
                let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
                dnsPort = Self.port(in: text, after: "cluster DNS listening", key: "udp")
                healthPort = Self.port(in: text, after: "health endpoint listening", key: "port")
                metricsPort = Self.port(in: text, after: "metrics endpoint listening", key: "port")
                try await Task.sleep(for: .milliseconds(25))
            }
            let dns = try #require(dnsPort)
            let health = try #require(healthPort)
            let metrics = try #require(metricsPort)
            var ready = ""
            for _ in 0..<200 {
                ready = try await curlStatus("http://127.0.0.1:\(health)/ready")
                if ready == "200" { break }
                try await Task.sleep(for: .milliseconds(25))
            }
            #expect(ready == "200")
            #expect(try await curlStatus("http://127.0.0.1:\(health)/health") == "200")
            let answer = try await offload {
                try run("/usr/bin/dig", ["@127.0.0.1", "-p", "\(dns)", "+time=2", "+tries=1", "+noall", "+answer",
                                         "web.default.svc.cluster.local"])
            }.out
            #expect(answer.contains("10.244.3.4"))
            #expect(answer.contains("17"))
            // The dig's query shows up in /metrics, under the configured listen address.
            let key = #"coredns_dns_requests_total{server="dns://127.0.0.1:0",zone=".",view="",proto="udp",family="1",type="A"}"#
            try await eventually { samples(try await curlBody("http://127.0.0.1:\(metrics)/metrics"))[key] == 1 }
            // SIGTERM ends it cleanly; waited for off the cooperative pool, which the other tests' servers need.
            p.terminate()
            let status = try await offload {
                p.waitUntilExit()
                return p.terminationStatus
            }
            #expect(status == 0)
        }
    }
}
