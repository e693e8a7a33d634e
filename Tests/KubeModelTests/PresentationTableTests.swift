import Foundation
import KubeModel
import Testing

/// Shared fixtures: a fixed clock and RFC 3339 timestamps relative to it, so ages are exact.
enum PresentationFixtures {
    /// 2025-01-01T12:00:00Z
    static let now = Date(timeIntervalSince1970: 1_735_732_800)

    static func ago(_ seconds: Int) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: now.addingTimeInterval(-Double(seconds)))
    }

    static func parse(_ json: String) throws -> JSONValue {
        try JSONParser.parse(json)
    }
}

@Suite("TablePrinter: services")
struct PresentationServiceTableTests {
    typealias F = PresentationFixtures

    static let cases: [(name: String, json: String, cells: [JSONValue])] = [
        (
            "ClusterIP",
            #"{"metadata":{"name":"kubernetes","creationTimestamp":"\#(F.ago(5 * 60))"},"spec":{"type":"ClusterIP","clusterIP":"10.96.0.1","clusterIPs":["10.96.0.1"],"ports":[{"port":443,"protocol":"TCP","targetPort":6443}]}}"#,
            ["kubernetes", "ClusterIP", "10.96.0.1", "<none>", "443/TCP", "5m", "<none>"]
        ),
        (
            "ClusterIP with externalIPs",
            #"{"metadata":{"name":"ext-ips","creationTimestamp":"\#(F.ago(30))"},"spec":{"type":"ClusterIP","clusterIPs":["10.96.0.9"],"externalIPs":["198.51.100.1","198.51.100.2"],"ports":[{"port":53,"protocol":"UDP"}],"selector":{"app":"dns"}}}"#,
            ["ext-ips", "ClusterIP", "10.96.0.9", "198.51.100.1,198.51.100.2", "53/UDP", "30s", "app=dns"]
        ),
        (
            "NodePort",
            #"{"metadata":{"name":"web","creationTimestamp":"\#(F.ago(45))"},"spec":{"type":"NodePort","clusterIP":"10.96.0.21","clusterIPs":["10.96.0.21"],"selector":{"tier":"front","app":"web"},"ports":[{"port":80,"nodePort":30080,"protocol":"TCP"},{"port":443,"protocol":"TCP"}]}}"#,
            ["web", "NodePort", "10.96.0.21", "<none>", "80:30080/TCP,443/TCP", "45s", "app=web,tier=front"]
        ),
        (
            "LoadBalancer pending",
            #"{"metadata":{"name":"lb","creationTimestamp":"\#(F.ago(200))"},"spec":{"type":"LoadBalancer","clusterIPs":["10.96.0.30"],"ports":[{"port":80,"nodePort":31000,"protocol":"TCP"}],"selector":{"app":"lb"}},"status":{"loadBalancer":{}}}"#,
            ["lb", "LoadBalancer", "10.96.0.30", "<pending>", "80:31000/TCP", "3m20s", "app=lb"]
        ),
        (
            "LoadBalancer assigned",
            #"{"metadata":{"name":"lb2","creationTimestamp":"\#(F.ago(400 * 86_400))"},"spec":{"type":"LoadBalancer","clusterIPs":["10.96.0.31"],"ports":[{"port":443,"nodePort":31443,"protocol":"TCP"}]},"status":{"loadBalancer":{"ingress":[{"ip":"203.0.113.10"},{"hostname":"lb.example.com"},{"ip":"192.0.2.7"}]}}}"#,
            [
                "lb2", "LoadBalancer", "10.96.0.31", "192.0.2.7,203.0.113.10,lb.example.com", "443:31443/TCP", "400d",
                "<none>",
            ]
        ),
        (
            "LoadBalancer with externalIPs",
            #"{"metadata":{"name":"lb3","creationTimestamp":"\#(F.ago(60))"},"spec":{"type":"LoadBalancer","clusterIPs":["10.96.0.32"],"externalIPs":["198.51.100.9"],"ports":[{"port":80,"nodePort":30001,"protocol":"TCP"}]},"status":{"loadBalancer":{"ingress":[{"ip":"203.0.113.11"}]}}}"#,
            ["lb3", "LoadBalancer", "10.96.0.32", "203.0.113.11,198.51.100.9", "80:30001/TCP", "60s", "<none>"]
        ),
        (
            "ExternalName",
            #"{"metadata":{"name":"db","creationTimestamp":"\#(F.ago(3 * 3600 + 60))"},"spec":{"type":"ExternalName","externalName":"db.example.com"}}"#,
            ["db", "ExternalName", "<none>", "db.example.com", "<none>", "3h1m", "<none>"]
        ),
        (
            "headless",
            #"{"metadata":{"name":"pg","creationTimestamp":"\#(F.ago(2 * 86_400))"},"spec":{"type":"ClusterIP","clusterIP":"None","clusterIPs":["None"],"selector":{"app":"db"},"ports":[{"port":5432,"protocol":"TCP"}]}}"#,
            ["pg", "ClusterIP", "None", "<none>", "5432/TCP", "2d", "app=db"]
        ),
        (
            "defaults: no type, no clusterIPs, no protocol",
            #"{"metadata":{"name":"bare"},"spec":{"clusterIP":"10.96.0.40","ports":[{"port":8080}]}}"#,
            ["bare", "ClusterIP", "10.96.0.40", "<none>", "8080/TCP", "<unknown>", "<none>"]
        ),
    ]

    @Test(arguments: cases)
    func cells(name: String, json: String, expected: [JSONValue]) throws {
        let svc = try F.parse(json)
        #expect(TablePrinter.cells(resource: ResourceCatalog.services, object: svc, now: F.now) == expected, "\(name)")
    }
}

@Suite("TablePrinter: pods")
struct PresentationPodTableTests {
    typealias F = PresentationFixtures

    static let cases: [(name: String, json: String, cells: [JSONValue])] = [
        (
            "Running and ready",
            #"{"metadata":{"name":"web-1","creationTimestamp":"\#(F.ago(600))"},"spec":{"nodeName":"node-a","containers":[{"name":"c","image":"nginx"}]},"status":{"phase":"Running","podIP":"10.244.0.5","podIPs":[{"ip":"10.244.0.5"}],"conditions":[{"type":"Ready","status":"True"}],"containerStatuses":[{"name":"c","ready":true,"restartCount":0,"state":{"running":{"startedAt":"\#(F.ago(590))"}}}]}}"#,
            ["web-1", "1/1", "Running", "0", "10m", "10.244.0.5", "node-a", "<none>", "<none>"]
        ),
        (
            "CrashLoopBackOff with last restart",
            #"{"metadata":{"name":"crash","creationTimestamp":"\#(F.ago(3600))"},"spec":{"nodeName":"node-a","containers":[{"name":"a"},{"name":"b"}]},"status":{"phase":"Running","podIPs":[{"ip":"10.244.0.6"}],"containerStatuses":[{"name":"a","ready":true,"restartCount":0,"state":{"running":{}}},{"name":"b","ready":false,"restartCount":5,"state":{"waiting":{"reason":"CrashLoopBackOff"}},"lastState":{"terminated":{"exitCode":1,"reason":"Error","finishedAt":"\#(F.ago(300))"}}}]}}"#,
            ["crash", "1/2", "CrashLoopBackOff", "5 (5m ago)", "60m", "10.244.0.6", "node-a", "<none>", "<none>"]
        ),
        (
            "Terminating",
            #"{"metadata":{"name":"bye","creationTimestamp":"\#(F.ago(2 * 86_400))","deletionTimestamp":"\#(F.ago(10))"},"spec":{"nodeName":"node-b","containers":[{"name":"c"}]},"status":{"phase":"Running","podIP":"10.244.1.7","containerStatuses":[{"name":"c","ready":true,"restartCount":0,"state":{"running":{}}}]}}"#,
            ["bye", "1/1", "Terminating", "0", "2d", "10.244.1.7", "node-b", "<none>", "<none>"]
        ),
        (
            "Pending, not yet scheduled",
            #"{"metadata":{"name":"pending","creationTimestamp":"\#(F.ago(30))"},"spec":{"containers":[{"name":"c"}]},"status":{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False","reason":"Unschedulable"}]}}"#,
            ["pending", "0/1", "Pending", "0", "30s", "<none>", "<none>", "<none>", "<none>"]
        ),
        (
            "ContainerCreating",
            #"{"metadata":{"name":"new","creationTimestamp":"\#(F.ago(5))"},"spec":{"nodeName":"node-a","containers":[{"name":"c"}]},"status":{"phase":"Pending","containerStatuses":[{"name":"c","ready":false,"restartCount":0,"state":{"waiting":{"reason":"ContainerCreating"}}}]}}"#,
            ["new", "0/1", "ContainerCreating", "0", "5s", "<none>", "node-a", "<none>", "<none>"]
        ),
        (
            "Completed",
            #"{"metadata":{"name":"job-x","creationTimestamp":"\#(F.ago(7200))"},"spec":{"nodeName":"node-a","containers":[{"name":"c"}]},"status":{"phase":"Succeeded","podIPs":[{"ip":"10.244.0.9"}],"containerStatuses":[{"name":"c","ready":false,"restartCount":0,"state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]}}"#,
            ["job-x", "0/1", "Completed", "0", "120m", "10.244.0.9", "node-a", "<none>", "<none>"]
        ),
        (
            "Completed and being deleted stays Completed",
            #"{"metadata":{"name":"job-y","creationTimestamp":"\#(F.ago(7200))","deletionTimestamp":"\#(F.ago(1))"},"spec":{"containers":[{"name":"c"}]},"status":{"phase":"Succeeded","containerStatuses":[{"name":"c","restartCount":0,"state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]}}"#,
            ["job-y", "0/1", "Completed", "0", "120m", "<none>", "<none>", "<none>", "<none>"]
        ),
        (
            "terminated without a reason shows the exit code",
            #"{"metadata":{"name":"oom"},"spec":{"containers":[{"name":"c"}]},"status":{"phase":"Failed","containerStatuses":[{"name":"c","restartCount":0,"state":{"terminated":{"exitCode":137}}}]}}"#,
            ["oom", "0/1", "ExitCode:137", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"]
        ),
        (
            "terminated by a signal",
            #"{"metadata":{"name":"sig"},"spec":{"containers":[{"name":"c"}]},"status":{"phase":"Failed","containerStatuses":[{"name":"c","restartCount":0,"state":{"terminated":{"exitCode":0,"signal":9}}}]}}"#,
            ["sig", "0/1", "Signal:9", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"]
        ),
        (
            "Completed container next to a running one, pod not ready",
            #"{"metadata":{"name":"mixed"},"spec":{"containers":[{"name":"a"},{"name":"b"}]},"status":{"phase":"Running","containerStatuses":[{"name":"a","ready":true,"restartCount":0,"state":{"running":{}}},{"name":"b","restartCount":0,"state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]}}"#,
            ["mixed", "1/2", "NotReady", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"]
        ),
        (
            "Init container still running",
            #"{"metadata":{"name":"init"},"spec":{"initContainers":[{"name":"i1"},{"name":"i2"}],"containers":[{"name":"c"}]},"status":{"phase":"Pending","initContainerStatuses":[{"name":"i1","restartCount":0,"state":{"terminated":{"exitCode":0,"reason":"Completed"}}},{"name":"i2","restartCount":0,"state":{"running":{}}}],"containerStatuses":[{"name":"c","restartCount":0,"state":{"waiting":{"reason":"PodInitializing"}}}]}}"#,
            ["init", "0/1", "Init:1/2", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"]
        ),
        (
            "Init container crash looping",
            #"{"metadata":{"name":"initcrash"},"spec":{"initContainers":[{"name":"i1"}],"containers":[{"name":"c"}]},"status":{"phase":"Pending","initContainerStatuses":[{"name":"i1","restartCount":3,"state":{"waiting":{"reason":"CrashLoopBackOff"}},"lastState":{"terminated":{"exitCode":1,"finishedAt":"\#(F.ago(61))"}}}]}}"#,
            ["initcrash", "0/1", "Init:CrashLoopBackOff", "3 (61s ago)", "<unknown>", "<none>", "<none>", "<none>", "<none>"]
        ),
        (
            "Init container failed",
            #"{"metadata":{"name":"initfail"},"spec":{"initContainers":[{"name":"i1"}],"containers":[{"name":"c"}]},"status":{"phase":"Pending","initContainerStatuses":[{"name":"i1","restartCount":0,"state":{"terminated":{"exitCode":2}}}]}}"#,
            ["initfail", "0/1", "Init:ExitCode:2", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"]
        ),
        (
            "sidecar counts as a container and its restarts count",
            #"{"metadata":{"name":"sidecar"},"spec":{"initContainers":[{"name":"proxy","restartPolicy":"Always"}],"containers":[{"name":"app"}]},"status":{"phase":"Running","conditions":[{"type":"Initialized","status":"True"}],"initContainerStatuses":[{"name":"proxy","started":true,"ready":true,"restartCount":2,"state":{"running":{}},"lastState":{"terminated":{"exitCode":1,"finishedAt":"\#(F.ago(7200))"}}}],"containerStatuses":[{"name":"app","ready":true,"restartCount":1,"state":{"running":{}},"lastState":{"terminated":{"exitCode":1,"finishedAt":"\#(F.ago(600))"}}}]}}"#,
            ["sidecar", "2/2", "Running", "3 (10m ago)", "<unknown>", "<none>", "<none>", "<none>", "<none>"]
        ),
        (
            "SchedulingGated",
            #"{"metadata":{"name":"gated"},"spec":{"containers":[{"name":"c"}],"schedulingGates":[{"name":"g"}]},"status":{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False","reason":"SchedulingGated"}]}}"#,
            ["gated", "0/1", "SchedulingGated", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"]
        ),
        (
            "status.reason wins over the phase (Evicted)",
            #"{"metadata":{"name":"evicted"},"spec":{"containers":[{"name":"c"}]},"status":{"phase":"Failed","reason":"Evicted"}}"#,
            ["evicted", "0/1", "Evicted", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"]
        ),
        (
            "NodeLost while deleting is Unknown",
            #"{"metadata":{"name":"lost","deletionTimestamp":"\#(F.ago(1))"},"spec":{"containers":[{"name":"c"}]},"status":{"phase":"Running","reason":"NodeLost"}}"#,
            ["lost", "0/1", "Unknown", "0", "<unknown>", "<none>", "<none>", "<none>", "<none>"]
        ),
        (
            "readiness gates and nominated node",
            #"{"metadata":{"name":"gates"},"spec":{"containers":[{"name":"c"}],"readinessGates":[{"conditionType":"example.com/a"},{"conditionType":"example.com/b"}]},"status":{"phase":"Pending","nominatedNodeName":"node-c","conditions":[{"type":"example.com/a","status":"True"},{"type":"example.com/b","status":"False"}]}}"#,
            ["gates", "0/1", "Pending", "0", "<unknown>", "<none>", "<none>", "node-c", "1/2"]
        ),
    ]

    @Test(arguments: cases)
    func cells(name: String, json: String, expected: [JSONValue]) throws {
        let pod = try F.parse(json)
        #expect(TablePrinter.cells(resource: ResourceCatalog.pods, object: pod, now: F.now) == expected, "\(name)")
    }

    @Test func finishedPodsCarryRowConditions() throws {
        let pod = try F.parse(#"{"metadata":{"name":"done"},"status":{"phase":"Succeeded"}}"#)
        let row = TablePrinter.row(resource: ResourceCatalog.pods, object: pod, now: F.now)
        let condition = try #require(row["conditions"]?.arrayValue?.first)
        #expect(condition["type"] == "Completed")
        #expect(condition["reason"] == "Succeeded")

        let running = try F.parse(#"{"metadata":{"name":"run"},"status":{"phase":"Running"}}"#)
        #expect(TablePrinter.row(resource: ResourceCatalog.pods, object: running, now: F.now)["conditions"] == nil)
    }
}

@Suite("TablePrinter: nodes, namespaces, workloads, slices, leases")
struct PresentationOtherTableTests {
    typealias F = PresentationFixtures

    static let nodeCases: [(name: String, json: String, cells: [JSONValue])] = [
        (
            "Ready control plane",
            #"{"metadata":{"name":"node-a","creationTimestamp":"\#(F.ago(3 * 86_400 + 4 * 3600))","labels":{"node-role.kubernetes.io/control-plane":"","kubernetes.io/hostname":"node-a"}},"spec":{},"status":{"conditions":[{"type":"MemoryPressure","status":"False"},{"type":"Ready","status":"True"}],"addresses":[{"type":"InternalIP","address":"192.168.1.10"},{"type":"Hostname","address":"node-a"},{"type":"ExternalIP","address":"203.0.113.5"}],"nodeInfo":{"kubeletVersion":"v1.32.0","osImage":"Debian GNU/Linux 12 (bookworm)","kernelVersion":"6.1.0-18-amd64","containerRuntimeVersion":"containerd://1.7.13"}}}"#,
            [
                "node-a", "Ready", "control-plane", "3d4h", "v1.32.0", "192.168.1.10", "203.0.113.5",
                "Debian GNU/Linux 12 (bookworm)", "6.1.0-18-amd64", "containerd://1.7.13",
            ]
        ),
        (
            "NotReady",
            #"{"metadata":{"name":"node-b","creationTimestamp":"\#(F.ago(86_400))"},"status":{"conditions":[{"type":"Ready","status":"False"}],"nodeInfo":{"kubeletVersion":"v1.32.0"}}}"#,
            ["node-b", "NotReady", "<none>", "24h", "v1.32.0", "<none>", "<none>", "<unknown>", "<unknown>", "<unknown>"]
        ),
        (
            "Ready but cordoned, several roles",
            #"{"metadata":{"name":"node-c","labels":{"node-role.kubernetes.io/worker":"","node-role.kubernetes.io/edge":"true","kubernetes.io/role":"gpu"}},"spec":{"unschedulable":true},"status":{"conditions":[{"type":"Ready","status":"True"}]}}"#,
            ["node-c", "Ready,SchedulingDisabled", "edge,gpu,worker", "<unknown>", "", "<none>", "<none>", "<unknown>", "<unknown>", "<unknown>"]
        ),
        (
            "no Ready condition yet",
            #"{"metadata":{"name":"node-d"},"spec":{"unschedulable":true}}"#,
            ["node-d", "Unknown,SchedulingDisabled", "<none>", "<unknown>", "", "<none>", "<none>", "<unknown>", "<unknown>", "<unknown>"]
        ),
    ]

    @Test(arguments: nodeCases)
    func nodeCells(name: String, json: String, expected: [JSONValue]) throws {
        let node = try F.parse(json)
        #expect(TablePrinter.cells(resource: ResourceCatalog.nodes, object: node, now: F.now) == expected, "\(name)")
    }

    @Test func namespaces() throws {
        let active = try F.parse(#"{"metadata":{"name":"default","creationTimestamp":"\#(F.ago(90))"},"status":{"phase":"Active"}}"#)
        let terminating = try F.parse(#"{"metadata":{"name":"old"},"status":{"phase":"Terminating"}}"#)
        let unset = try F.parse(#"{"metadata":{"name":"fresh"}}"#)
        #expect(TablePrinter.cells(resource: ResourceCatalog.namespaces, object: active, now: F.now) == ["default", "Active", "90s"])
        #expect(
            TablePrinter.cells(resource: ResourceCatalog.namespaces, object: terminating, now: F.now)
                == ["old", "Terminating", "<unknown>"])
        #expect(
            TablePrinter.cells(resource: ResourceCatalog.namespaces, object: unset, now: F.now)
                == ["fresh", "Active", "<unknown>"])
    }

    @Test func deployment() throws {
        let deploy = try F.parse(
            #"{"metadata":{"name":"web","creationTimestamp":"\#(F.ago(425))"},"spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"},"matchExpressions":[{"key":"env","operator":"NotIn","values":["prod","dev"]},{"key":"canary","operator":"DoesNotExist"}]},"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.27"},{"name":"side","image":"busybox"}]}}},"status":{"replicas":3,"readyReplicas":2,"updatedReplicas":3,"availableReplicas":2}}"#
        )
        #expect(
            TablePrinter.cells(resource: ResourceCatalog.deployments, object: deploy, now: F.now) == [
                "web", "2/3", .int(3), .int(2), "7m5s", "nginx,side", "nginx:1.27,busybox",
                "app=web,!canary,env notin (dev,prod)",
            ])
        let fresh = try F.parse(#"{"metadata":{"name":"new"},"spec":{"template":{"spec":{}}}}"#)
        #expect(
            TablePrinter.cells(resource: ResourceCatalog.deployments, object: fresh, now: F.now)
                == ["new", "0/1", .int(0), .int(0), "<unknown>", "", "", ""])
    }

    @Test func replicaSet() throws {
        let rs = try F.parse(
            #"{"metadata":{"name":"web-abc","creationTimestamp":"\#(F.ago(425))"},"spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"},"matchExpressions":[{"key":"tier","operator":"In","values":["front","back"]},{"key":"zone","operator":"Exists"}]},"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.27"}]}}},"status":{"replicas":3,"readyReplicas":2}}"#
        )
        #expect(
            TablePrinter.cells(resource: ResourceCatalog.replicaSets, object: rs, now: F.now) == [
                "web-abc", .int(3), .int(3), .int(2), "7m5s", "nginx", "nginx:1.27",
                "app=web,tier in (back,front),zone",
            ])
        let noSelector = try F.parse(#"{"metadata":{"name":"orphan"},"spec":{"replicas":0}}"#)
        #expect(
            TablePrinter.cells(resource: ResourceCatalog.replicaSets, object: noSelector, now: F.now)
                == ["orphan", .int(0), .int(0), .int(0), "<unknown>", "", "", "<none>"])
        let invalid = try F.parse(
            #"{"metadata":{"name":"bad"},"spec":{"selector":{"matchExpressions":[{"key":"a","operator":"In","values":[]}]}}}"#)
        #expect(TablePrinter.cells(resource: ResourceCatalog.replicaSets, object: invalid, now: F.now).last == "<error>")
    }

    static let sliceCases: [(name: String, json: String, cells: [JSONValue])] = [
        (
            "five endpoints, two ports",
            #"{"metadata":{"name":"web-xyz","creationTimestamp":"\#(F.ago(300))"},"addressType":"IPv4","ports":[{"name":"http","port":80,"protocol":"TCP"},{"name":"https","port":443}],"endpoints":[{"addresses":["10.0.0.1"]},{"addresses":["10.0.0.2","10.0.0.3"]},{"addresses":["10.0.0.4"]},{"addresses":["10.0.0.5"]}]}"#,
            ["web-xyz", "IPv4", "80,443", "10.0.0.1,10.0.0.2,10.0.0.3 + 2 more...", "5m"]
        ),
        (
            "no endpoints, unnamed port without number",
            #"{"metadata":{"name":"empty"},"addressType":"IPv6","ports":[{"name":""}],"endpoints":[]}"#,
            ["empty", "IPv6", "<unset>", "<unset>", "<unknown>"]
        ),
        (
            "port without name or number, named port, many ports",
            #"{"metadata":{"name":"ports"},"addressType":"FQDN","ports":[{},{"name":"metrics"},{"port":1},{"port":2},{"port":3}],"endpoints":[{"addresses":["a.example.com"]}]}"#,
            ["ports", "FQDN", "*,metrics,1 + 2 more...", "a.example.com", "<unknown>"]
        ),
    ]

    @Test(arguments: sliceCases)
    func endpointSliceCells(name: String, json: String, expected: [JSONValue]) throws {
        let slice = try F.parse(json)
        #expect(
            TablePrinter.cells(resource: ResourceCatalog.endpointSlices, object: slice, now: F.now) == expected,
            "\(name)")
    }

    @Test func lease() throws {
        let held = try F.parse(#"{"metadata":{"name":"leader","creationTimestamp":"\#(F.ago(5 * 3600))"},"spec":{"holderIdentity":"junction-0"}}"#)
        let free = try F.parse(#"{"metadata":{"name":"free"},"spec":{}}"#)
        #expect(TablePrinter.cells(resource: ResourceCatalog.leases, object: held, now: F.now) == ["leader", "junction-0", "5h"])
        #expect(TablePrinter.cells(resource: ResourceCatalog.leases, object: free, now: F.now) == ["free", "", "<unknown>"])
    }

    @Test func unknownKindsGetNameAndCreatedAt() throws {
        let configMaps = APIResource(
            group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", singular: "configmap", namespaced: true)
        let cm = try F.parse(#"{"metadata":{"name":"cfg","creationTimestamp":"2024-06-01T08:00:00Z"}}"#)
        #expect(TablePrinter.cells(resource: configMaps, object: cm, now: F.now) == ["cfg", "2024-06-01T08:00:00Z"])
        let names = TablePrinter.columnDefinitions(resource: configMaps).compactMap { $0["name"]?.stringValue }
        #expect(names == ["Name", "Created At"])
    }

    @Test func ageHandlesOffsetsFractionsAndGarbage() throws {
        // 2025-01-01T12:00:00Z expressed with an offset and a fraction.
        let offset = try F.parse(#"{"metadata":{"name":"a","creationTimestamp":"2025-01-01T13:59:30.500+02:00"}}"#)
        let garbage = try F.parse(#"{"metadata":{"name":"b","creationTimestamp":"yesterday"}}"#)
        let future = try F.parse(#"{"metadata":{"name":"c","creationTimestamp":"2025-01-01T12:00:05Z"}}"#)
        #expect(TablePrinter.cells(resource: ResourceCatalog.leases, object: offset, now: F.now).last == "29s")
        #expect(TablePrinter.cells(resource: ResourceCatalog.leases, object: garbage, now: F.now).last == "<unknown>")
        #expect(TablePrinter.cells(resource: ResourceCatalog.leases, object: future, now: F.now).last == "<invalid>")
    }
}

@Suite("TablePrinter: Table documents")
struct PresentationTableDocumentTests {
    typealias F = PresentationFixtures

    static let expectedColumns: [String: [String]] = [
        "namespaces": ["Name", "Status", "Age"],
        "nodes": ["Name", "Status", "Roles", "Age", "Version", "Internal-IP", "External-IP", "OS-Image", "Kernel-Version", "Container-Runtime"],
        "pods": ["Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node", "Readiness Gates"],
        "services": ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector"],
        "endpointslices": ["Name", "AddressType", "Ports", "Endpoints", "Age"],
        "deployments": ["Name", "Ready", "Up-to-date", "Available", "Age", "Containers", "Images", "Selector"],
        "replicasets": ["Name", "Desired", "Current", "Ready", "Age", "Containers", "Images", "Selector"],
        "leases": ["Name", "Holder", "Age"],
    ]

    static let wideColumns: [String: Int] = [
        "namespaces": 0, "nodes": 5, "pods": 4, "services": 1, "endpointslices": 0, "deployments": 3,
        "replicasets": 3, "leases": 0,
    ]

    @Test(arguments: ResourceCatalog.all)
    func columnsMatchUpstreamAndCellsLineUp(resource: APIResource) throws {
        let columns = TablePrinter.columnDefinitions(resource: resource)
        let names = columns.compactMap { $0["name"]?.stringValue }
        #expect(names == Self.expectedColumns[resource.plural])
        #expect(columns.first?["format"] == "name")
        for column in columns {
            for key in ["name", "type", "format", "description", "priority"] {
                #expect(column[key] != nil, "\(resource.plural) column lacks \(key)")
            }
        }
        let wide = columns.filter { $0["priority"] == .int(1) }.count
        #expect(wide == Self.wideColumns[resource.plural])
        #expect(Array(names.suffix(wide)) == Array((Self.expectedColumns[resource.plural] ?? []).suffix(wide)))

        // Every printer must fill exactly one cell per column, even for an almost empty object.
        let bare = try F.parse(#"{"metadata":{"name":"x"}}"#)
        #expect(TablePrinter.cells(resource: resource, object: bare, now: F.now).count == columns.count)
    }

    @Test func restartsAndCountsHaveUpstreamTypes() {
        func type(_ resource: APIResource, _ name: String) -> JSONValue? {
            TablePrinter.columnDefinitions(resource: resource).first { $0["name"] == .string(name) }?["type"]
        }
        #expect(type(ResourceCatalog.pods, "Restarts") == "string")
        #expect(type(ResourceCatalog.replicaSets, "Desired") == "integer")
        #expect(type(ResourceCatalog.deployments, "Up-to-date") == "string")
        #expect(type(ResourceCatalog.services, "Age") == "string")
    }

    @Test func tableEnvelope() throws {
        let svc = try F.parse(
            #"{"metadata":{"name":"web","namespace":"default","uid":"u1","resourceVersion":"106","creationTimestamp":"\#(F.ago(5))","labels":{"app":"web"}},"spec":{"type":"ClusterIP","clusterIPs":["10.96.0.9"],"ports":[{"port":80,"protocol":"TCP"}]}}"#
        )
        let table = TablePrinter.table(
            resource: ResourceCatalog.services, objects: [svc], resourceVersion: "109", continueToken: "abc", now: F.now)
        #expect(table["kind"] == "Table")
        #expect(table["apiVersion"] == "meta.k8s.io/v1")
        #expect(table["metadata"] == ["resourceVersion": "109", "continue": "abc"])
        #expect(table["columnDefinitions"]?.arrayValue?.count == 7)
        let row = try #require(table["rows"]?.arrayValue?.first)
        #expect(row["cells"] == ["web", "ClusterIP", "10.96.0.9", "<none>", "80/TCP", "5s", "<none>"])
        let metadata = try #require(svc["metadata"])
        #expect(
            row["object"] == ["kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": metadata])
        #expect(row["conditions"] == nil)
    }

    @Test func watchEventTablesMayOmitColumnsAndObjects() throws {
        let ns = try F.parse(#"{"metadata":{"name":"default"}}"#)
        let table = TablePrinter.table(
            resource: ResourceCatalog.namespaces, objects: [ns], resourceVersion: "5", continueToken: nil, now: F.now,
            includeColumnDefinitions: false, includeObject: .none)
        #expect(table["columnDefinitions"] == nil)
        #expect(table["metadata"] == ["resourceVersion": "5"])
        let row = try #require(table["rows"]?.arrayValue?.first)
        #expect(row["object"] == nil)

        let empty = TablePrinter.table(
            resource: ResourceCatalog.namespaces, objects: [], resourceVersion: "5", continueToken: "", now: F.now)
        #expect(empty["rows"] == [])
        #expect(empty["metadata"] == ["resourceVersion": "5"])
    }

    @Test func includeObjectFillsKindAndApiVersion() throws {
        let deploy = try F.parse(#"{"metadata":{"name":"web"},"spec":{}}"#)
        let row = TablePrinter.row(resource: ResourceCatalog.deployments, object: deploy, now: F.now, includeObject: .object)
        #expect(row["object"]?["kind"] == "Deployment")
        #expect(row["object"]?["apiVersion"] == "apps/v1")
        #expect(row["object"]?["spec"] == [:])
    }

    @Test(arguments: [
        (nil, TablePrinter.IncludeObject.metadata), ("None", .none), ("Object", .object), ("Metadata", .metadata),
        ("bogus", .metadata),
    ] as [(String?, TablePrinter.IncludeObject)])
    func includeObjectQuery(value: String?, expected: TablePrinter.IncludeObject) {
        #expect(TablePrinter.IncludeObject(queryValue: value) == expected)
    }
}
