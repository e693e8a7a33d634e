import Testing

@testable import KubeModel

@Suite("Server-side apply (approximation) and patch schema")
struct PatchServerSideApplyTests {
    static let service = PatchSchema.forKind(group: "", kind: "Service")
    static let deployment = PatchSchema.forKind(group: "apps", kind: "Deployment")

    static let manifest = #"""
        {"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"default","labels":{"app":"web"}},
         "spec":{"ports":[{"name":"http","port":80,"targetPort":8080}],"selector":{"app":"web"},"type":null}}
        """#

    @Test func createsWhenThereIsNoLiveObject() throws {
        let result = try ServerSideApply.apply(try PatchFixture.parse(Self.manifest), to: nil, schema: Self.service)
        #expect(PatchFixture.text(result) == PatchFixture.text(try PatchFixture.parse(#"""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"default","labels":{"app":"web"}},
             "spec":{"ports":[{"name":"http","port":80,"targetPort":8080}],"selector":{"app":"web"}}}
            """#)))
    }

    @Test func mergesIntoTheLiveObject() throws {
        let live = try PatchFixture.parse(#"""
            {"apiVersion":"v1","kind":"Service",
             "metadata":{"name":"web","namespace":"default","uid":"u1","resourceVersion":"9","labels":{"app":"web","team":"a"},"finalizers":["x"]},
             "spec":{"clusterIP":"10.96.0.10","type":"ClusterIP","sessionAffinity":"None",
               "ports":[{"name":"http","port":80,"protocol":"TCP","targetPort":8080}],"selector":{"app":"web","tier":"front"}},
             "status":{"loadBalancer":{}}}
            """#)
        let applied = try PatchFixture.parse(#"""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"default","labels":{"app":"web2"},"finalizers":["y"]},
             "spec":{"ports":[{"name":"http","port":80,"targetPort":9090},{"name":"metrics","port":9100}],"selector":{"app":"web2"}}}
            """#)
        let result = try ServerSideApply.apply(applied, to: live, schema: Self.service)
        // The keyed list merges: port 80 (no protocol in the applied config means TCP) keeps its defaulted fields.
        #expect(PatchFixture.text(result.value(at: ["spec", "ports"]) ?? .null) == PatchFixture.text(try PatchFixture.parse(#"""
            [{"name":"http","port":80,"protocol":"TCP","targetPort":9090},{"name":"metrics","port":9100}]
            """#)))
        // A Service selector is an atomic map under server-side apply: the applied one replaces it whole.
        #expect(result.value(at: ["spec", "selector"]) == ["app": "web2"])
        // Ordinary maps merge; fields no one applied stay.
        #expect(result.value(at: ["metadata", "labels"]) == ["app": "web2", "team": "a"])
        #expect(result.value(at: ["metadata", "uid"]) == "u1")
        #expect(result.value(at: ["spec", "clusterIP"]) == "10.96.0.10")
        #expect(result.value(at: ["metadata", "finalizers"]) == ["y", "x"])
    }

    /// Without managed fields, dropping an element from the applied config does not remove it: the documented gap.
    @Test func droppedFieldsAreNotRemoved() throws {
        let live = try PatchFixture.parse(#"{"spec":{"ports":[{"port":80},{"port":81}],"type":"NodePort"}}"#)
        let applied = try PatchFixture.parse(#"{"spec":{"ports":[{"port":80,"name":"http"}]}}"#)
        let result = try ServerSideApply.apply(applied, to: live, schema: Self.service)
        #expect(result.value(at: ["spec", "ports"]) == [["port": 80, "name": "http"], ["port": 81]])
        #expect(result.value(at: ["spec", "type"]) == "NodePort")
        // An explicit null does remove.
        let cleared = try ServerSideApply.apply(try PatchFixture.parse(#"{"spec":{"type":null}}"#), to: live, schema: Self.service)
        #expect(cleared.value(at: ["spec", "type"]) == nil)
    }

    @Test func deploymentContainersMergeAndSelectorIsAtomic() throws {
        let live = try PatchFixture.parse(#"""
            {"spec":{"replicas":1,"selector":{"matchLabels":{"app":"web","old":"1"}},
              "template":{"metadata":{"labels":{"app":"web"}},
                "spec":{"nodeSelector":{"disk":"ssd","zone":"a"},
                  "containers":[{"name":"c","image":"nginx:1.25","imagePullPolicy":"IfNotPresent","ports":[{"containerPort":80,"protocol":"TCP"}]}]}}}}
            """#)
        let applied = try PatchFixture.parse(#"""
            {"spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},
              "template":{"spec":{"nodeSelector":{"zone":"b"},
                "containers":[{"name":"c","image":"nginx:1.27","ports":[{"containerPort":80}]}]}}}}
            """#)
        let result = try ServerSideApply.apply(applied, to: live, schema: Self.deployment)
        #expect(result.value(at: ["spec", "replicas"]) == 3)
        #expect(result.value(at: ["spec", "selector"]) == ["matchLabels": ["app": "web"]])
        #expect(result.value(at: ["spec", "template", "spec", "nodeSelector"]) == ["zone": "b"])
        #expect(result.value(at: ["spec", "template", "metadata", "labels"]) == ["app": "web"])
        #expect(PatchFixture.text(result.value(at: ["spec", "template", "spec", "containers"]) ?? .null) == PatchFixture.text(try PatchFixture.parse(#"""
            [{"name":"c","image":"nginx:1.27","imagePullPolicy":"IfNotPresent","ports":[{"containerPort":80,"protocol":"TCP"}]}]
            """#)))
    }

    @Test func directivesAreOrdinaryData() throws {
        let live: JSONValue = ["data": ["a": "1"]]
        let applied: JSONValue = ["data": ["$patch": "delete", "b": "2"]]
        let result = try ServerSideApply.apply(applied, to: live, schema: PatchSchema.forKind(group: "", kind: "ConfigMap"))
        #expect(result.value(at: ["data"]) == ["a": "1", "$patch": "delete", "b": "2"])
    }

    @Test func lastAppliedAnnotationFollowUp() throws {
        // kubectl's second apply (field manager kubectl-last-applied) carries just the annotation.
        let live = try PatchFixture.parse(#"{"metadata":{"name":"web","annotations":{"a":"b","kubectl.kubernetes.io/last-applied-configuration":"old"}},"spec":{"type":"ClusterIP"}}"#)
        let applied = try PatchFixture.parse(#"{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"new"}}}"#)
        let result = try ServerSideApply.apply(applied, to: live, schema: Self.service)
        #expect(result.value(at: ["metadata", "annotations"]) == ["a": "b", "kubectl.kubernetes.io/last-applied-configuration": "new"])
        #expect(result.value(at: ["spec"]) == ["type": "ClusterIP"])
    }

    @Test func errors() throws {
        let notObject = try #require(throws: PatchError.self) { try ServerSideApply.apply([1], to: nil, schema: Self.service) }
        #expect(notObject.httpStatus == 400)
        #expect(notObject.description == "server-side apply: the applied configuration must be a JSON object")

        let noKey = try #require(throws: PatchError.self) {
            try ServerSideApply.apply(try PatchFixture.parse(#"{"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}}"#),
                                      to: nil, schema: Self.deployment)
        }
        #expect(noKey.description == "server-side apply: list element has no merge key \"name\" at spec.template.spec.containers[0]")
        #expect(noKey.httpStatus == 422)

        let liveNotObject = try #require(throws: PatchError.self) {
            try ServerSideApply.apply(["a": 1], to: "text", schema: Self.service)
        }
        #expect(liveNotObject.httpStatus == 422)
    }

    @Test func neverTraps() {
        var random = PatchFixture.Random(state: 55)
        for _ in 0..<3000 {
            let live: JSONValue? = random.below(4) == 0 ? nil : random.value(depth: 4)
            _ = try? ServerSideApply.apply(random.value(depth: 4), to: live, schema: Self.deployment)
            _ = try? ServerSideApply.apply(["spec": random.value(depth: 3)], to: ["spec": random.value(depth: 3)], schema: Self.service)
        }
    }

    // MARK: schema

    @Test func podSpecPathsUnderEveryTemplate() {
        let byKind: [(String, String, String)] = [
            ("", "Pod", "spec"), ("core", "Pod", "spec"), ("apps", "Deployment", "spec.template.spec"),
            ("apps", "ReplicaSet", "spec.template.spec"), ("apps", "StatefulSet", "spec.template.spec"),
            ("apps", "DaemonSet", "spec.template.spec"), ("batch", "Job", "spec.template.spec"),
            ("batch", "CronJob", "spec.jobTemplate.spec.template.spec"), ("", "PodTemplate", "template.spec"),
            ("", "ReplicationController", "spec.template.spec"),
        ]
        for (group, kind, spec) in byKind {
            let schema = PatchSchema.forKind(group: group, kind: kind)
            let base = spec.split(separator: ".").map(String.init)
            #expect(schema.listType(at: base + ["containers"]) == .map(.init("name")), "\(kind)")
            #expect(schema.listType(at: base + ["initContainers"]) == .map(.init("name")), "\(kind)")
            #expect(schema.listType(at: base + ["ephemeralContainers"]) == .map(.init("name")), "\(kind)")
            #expect(schema.listType(at: base + ["containers", "ports"])
                        == .map(.init("containerPort", qualifier: "protocol", qualifierDefault: "TCP")), "\(kind)")
            #expect(schema.listType(at: base + ["containers", "env"]) == .map(.init("name")), "\(kind)")
            #expect(schema.listType(at: base + ["containers", "volumeMounts"]) == .map(.init("mountPath")), "\(kind)")
            #expect(schema.listType(at: base + ["containers", "volumeDevices"]) == .map(.init("devicePath")), "\(kind)")
            #expect(schema.listType(at: base + ["containers", "envFrom"]) == .atomic, "\(kind)")
            #expect(schema.listType(at: base + ["volumes"]) == .map(.init("name")), "\(kind)")
            #expect(schema.listType(at: base + ["imagePullSecrets"]) == .map(.init("name")), "\(kind)")
            #expect(schema.listType(at: base + ["hostAliases"]) == .map(.init("ip")), "\(kind)")
            #expect(schema.listType(at: base + ["tolerations"]) == .atomic, "\(kind)")
            #expect(schema.isAtomicMap(at: base + ["nodeSelector"]), "\(kind)")
            #expect(schema.listType(at: ["metadata", "finalizers"]) == .set, "\(kind)")
            #expect(schema.listType(at: ["metadata", "ownerReferences"]) == .map(.init("uid")), "\(kind)")
        }
    }

    @Test func perKindLists() {
        let pod = PatchSchema.forKind(group: "", kind: "Pod")
        #expect(pod.listType(at: ["status", "conditions"]) == .map(.init("type")))
        #expect(pod.listType(at: ["status", "podIPs"]) == .map(.init("ip")))
        #expect(pod.listType(at: ["status", "containerStatuses"]) == .atomic)
        let node = PatchSchema.forKind(group: "", kind: "Node")
        #expect(node.listType(at: ["status", "addresses"]) == .map(.init("type")))
        #expect(node.listType(at: ["status", "conditions"]) == .map(.init("type")))
        #expect(node.listType(at: ["spec", "taints"]) == .atomic)
        #expect(node.listType(at: ["spec", "podCIDRs"]) == .set)
        #expect(PatchSchema.forKind(group: "", kind: "Namespace").listType(at: ["status", "conditions"]) == .map(.init("type")))
        #expect(PatchSchema.forKind(group: "", kind: "Namespace").listType(at: ["spec", "finalizers"]) == .atomic)
        #expect(Self.deployment.listType(at: ["status", "conditions"]) == .map(.init("type")))
        #expect(PatchSchema.forKind(group: "apps", kind: "ReplicaSet").listType(at: ["status", "conditions"]) == .map(.init("type")))
        #expect(Self.deployment.isAtomicMap(at: ["spec", "selector"]))
        #expect(Self.service.listType(at: ["spec", "ports"]) == .map(.init("port", qualifier: "protocol", qualifierDefault: "TCP")))
        #expect(Self.service.isAtomicMap(at: ["spec", "selector"]))
        #expect(Self.service.listType(at: ["spec", "clusterIPs"]) == .atomic)
        let lease = PatchSchema.forKind(group: "coordination.k8s.io", kind: "Lease")
        #expect(lease == PatchSchema.metadataOnly)
        // A Deployment is not served from the core group.
        #expect(PatchSchema.forKind(group: "", kind: "Deployment") == PatchSchema.metadataOnly)
    }

    @Test func customSchemas() throws {
        let schema = PatchSchema(lists: ["spec.items": .map(.init("id")), "spec.tags": .set])
        let live = try PatchFixture.parse(#"{"spec":{"items":[{"id":1,"v":"a"}],"tags":["x"]}}"#)
        let result = try StrategicMergePatch.apply(try PatchFixture.parse(#"{"spec":{"items":[{"id":1.0,"w":"b"}],"tags":["x","y"]}}"#),
                                                   to: live, schema: schema)
        // Merge keys compare as JSON numbers, so 1 and 1.0 are the same element.
        #expect(PatchFixture.text(result.value(at: ["spec", "items"]) ?? .null) == #"[{"id":1,"v":"a","w":"b"}]"#)
        #expect(result.value(at: ["spec", "tags"]) == ["x", "y"])
        #expect(schema.adding(lists: ["spec.tags": .atomic]).listType(at: ["spec", "tags"]) == .atomic)
    }
}
