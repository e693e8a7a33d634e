import Testing

@testable import KubeModel

@Suite("Strategic merge patch")
struct PatchStrategicMergeTests {
    static let service = PatchSchema.forKind(group: "", kind: "Service")
    static let deployment = PatchSchema.forKind(group: "apps", kind: "Deployment")
    static let pod = PatchSchema.forKind(group: "", kind: "Pod")

    func apply(_ patch: String, to live: JSONValue, schema: PatchSchema) throws -> JSONValue {
        try StrategicMergePatch.apply(try PatchFixture.parse(patch), to: live, schema: schema)
    }

    func expectEqual(_ actual: JSONValue?, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let want = try PatchFixture.parse(expected)
        #expect(actual.map(PatchFixture.text) == PatchFixture.text(want), sourceLocation: sourceLocation)
    }

    // MARK: kubectl apply (client-side)

    static let liveService = #"""
        {"apiVersion":"v1","kind":"Service",
         "metadata":{"name":"web","namespace":"default","uid":"5b1c","resourceVersion":"120",
           "creationTimestamp":"2025-01-01T00:00:00Z","labels":{"app":"web"},
           "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"annotations\":{},\"labels\":{\"app\":\"web\"},\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"ports\":[{\"name\":\"http\",\"port\":80,\"targetPort\":8080}],\"selector\":{\"app\":\"web\"}}}\n"}},
         "spec":{"clusterIP":"10.96.0.10","clusterIPs":["10.96.0.10"],"internalTrafficPolicy":"Cluster",
           "ipFamilies":["IPv4"],"ipFamilyPolicy":"SingleStack",
           "ports":[{"name":"http","port":80,"protocol":"TCP","targetPort":8080}],
           "selector":{"app":"web"},"sessionAffinity":"None","type":"ClusterIP"},
         "status":{"loadBalancer":{}}}
        """#

    /// The exact body kubectl 1.32 sent after the manifest's port changed 80→81 and app label web→web2.
    @Test func kubectlApplyChangesServicePort() throws {
        let live = try PatchFixture.parse(Self.liveService)
        let patch = #"""
            {"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"new\":true}\n"},"labels":{"app":"web2"}},
             "spec":{"$setElementOrder/ports":[{"port":81}],"ports":[{"name":"http","port":81,"targetPort":8080},{"$patch":"delete","port":80}],"selector":{"app":"web2"}}}
            """#
        let result = try apply(patch, to: live, schema: Self.service)
        try expectEqual(result.value(at: ["spec", "ports"]), #"[{"name":"http","port":81,"targetPort":8080}]"#)
        #expect(result.value(at: ["spec", "selector"]) == ["app": "web2"])
        #expect(result.value(at: ["metadata", "labels"]) == ["app": "web2"])
        #expect(result.value(at: ["metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration"]) == "{\"new\":true}\n")
        // Everything the patch does not mention survives.
        #expect(result.value(at: ["spec", "clusterIP"]) == "10.96.0.10")
        #expect(result.value(at: ["metadata", "uid"]) == "5b1c")
        #expect(result.value(at: ["status"]) == ["loadBalancer": [:]])
    }

    static let liveDeployment = #"""
        {"apiVersion":"apps/v1","kind":"Deployment",
         "metadata":{"name":"web","namespace":"default","uid":"d1","generation":1,"annotations":{"deployment.kubernetes.io/revision":"1"}},
         "spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},
           "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"}},
           "template":{"metadata":{"labels":{"app":"web"}},
             "spec":{"containers":[{"name":"c","image":"nginx:1.25","imagePullPolicy":"IfNotPresent",
                 "ports":[{"containerPort":8080,"protocol":"TCP"},{"containerPort":9090,"protocol":"TCP"}],
                 "resources":{},"terminationMessagePath":"/dev/termination-log"}],
               "restartPolicy":"Always","dnsPolicy":"ClusterFirst"}}},
         "status":{"replicas":1,"conditions":[{"type":"Available","status":"True"},{"type":"Progressing","status":"True"}]}}
        """#

    /// kubectl's patch after the manifest went to 3 replicas, nginx:1.27, and dropped container port 9090.
    @Test func kubectlApplyChangesDeploymentContainer() throws {
        let live = try PatchFixture.parse(Self.liveDeployment)
        let patch = #"""
            {"spec":{"replicas":3,"template":{"spec":{"$setElementOrder/containers":[{"name":"c"}],"containers":[{"$setElementOrder/ports":[{"containerPort":8080}],"image":"nginx:1.27","name":"c","ports":[{"$patch":"delete","containerPort":9090}]}]}}}}
            """#
        let result = try apply(patch, to: live, schema: Self.deployment)
        #expect(result.value(at: ["spec", "replicas"]) == 3)
        try expectEqual(result.value(at: ["spec", "template", "spec", "containers"]), #"""
            [{"name":"c","image":"nginx:1.27","imagePullPolicy":"IfNotPresent","ports":[{"containerPort":8080,"protocol":"TCP"}],
              "resources":{},"terminationMessagePath":"/dev/termination-log"}]
            """#)
        #expect(result.value(at: ["spec", "template", "spec", "restartPolicy"]) == "Always")
        #expect(result.value(at: ["status", "conditions"])?.arrayValue?.count == 2)
    }

    /// The Kubernetes docs' `kubectl patch` walkthrough: adding a container merges it into the list, and
    /// kube-apiserver puts the new container first.
    @Test func kubectlPatchAddsAContainerFirst() throws {
        let live = try PatchFixture.parse(#"""
            {"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"patch-demo-ctr","image":"nginx"}],
              "tolerations":[{"effect":"NoSchedule","key":"dedicated","value":"test-team"}]}}}}
            """#)
        let result = try apply(#"{"spec":{"template":{"spec":{"containers":[{"name":"patch-demo-ctr-2","image":"redis"}]}}}}"#,
                               to: live, schema: Self.deployment)
        try expectEqual(result.value(at: ["spec", "template", "spec", "containers"]),
                        #"[{"name":"patch-demo-ctr-2","image":"redis"},{"name":"patch-demo-ctr","image":"nginx"}]"#)
        // Tolerations have no patch strategy, so a patch replaces them.
        let tolerated = try apply(#"{"spec":{"template":{"spec":{"tolerations":[{"effect":"NoSchedule","key":"disktype","value":"ssd"}]}}}}"#,
                                  to: live, schema: Self.deployment)
        try expectEqual(tolerated.value(at: ["spec", "template", "spec", "tolerations"]),
                        #"[{"effect":"NoSchedule","key":"disktype","value":"ssd"}]"#)
    }

    /// `kubectl set image deployment/web c=nginx:1.27`.
    @Test func kubectlSetImage() throws {
        let live = try PatchFixture.parse(Self.liveDeployment)
        let result = try apply(#"{"spec":{"template":{"spec":{"containers":[{"image":"nginx:1.27","name":"c"}]}}}}"#,
                               to: live, schema: Self.deployment)
        let containers = try #require(result.value(at: ["spec", "template", "spec", "containers"])?.arrayValue)
        #expect(containers.count == 1)
        #expect(containers.first?["image"] == "nginx:1.27")
        #expect(containers.first?["ports"]?.arrayValue?.count == 2)
    }

    /// kubectl switching the strategy to Recreate clears rollingUpdate with `$retainKeys`.
    @Test func retainKeysClearsOtherUnionMembers() throws {
        let live = try PatchFixture.parse(Self.liveDeployment)
        let result = try apply(#"{"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":null,"type":"Recreate"}}}"#,
                               to: live, schema: Self.deployment)
        #expect(result.value(at: ["spec", "strategy"]) == ["type": "Recreate"])
    }

    @Test func retainKeysOnAVolumeSwitchesItsSource() throws {
        let live = try PatchFixture.parse(#"""
            {"spec":{"volumes":[{"name":"data","emptyDir":{}},{"name":"cfg","configMap":{"name":"a"}}]}}
            """#)
        let patch = #"""
            {"spec":{"$setElementOrder/volumes":[{"name":"data"},{"name":"cfg"}],
                     "volumes":[{"$retainKeys":["hostPath","name"],"hostPath":{"path":"/srv"},"name":"data"}]}}
            """#
        let result = try apply(patch, to: live, schema: Self.pod)
        try expectEqual(result.value(at: ["spec", "volumes"]),
                        #"[{"name":"data","hostPath":{"path":"/srv"}},{"name":"cfg","configMap":{"name":"a"}}]"#)
    }

    @Test func retainKeysRejectsAFieldItDoesNotList() throws {
        let live: JSONValue = ["spec": ["strategy": ["type": "RollingUpdate"]]]
        let error = try #require(throws: PatchError.self) {
            try apply(#"{"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":{"maxSurge":1}}}}"#, to: live, schema: Self.deployment)
        }
        #expect(error.httpStatus == 422)
        #expect(error.path == "spec.strategy")
        #expect(error.description.contains("rollingUpdate"))
    }

    // MARK: rollout undo for DaemonSet and StatefulSet

    /// kubectl rolls back DaemonSets and StatefulSets by sending the ControllerRevision's data, a strategic merge
    /// patch whose `spec.template` carries `$patch: replace`.
    @Test(arguments: [("apps", "DaemonSet"), ("apps", "StatefulSet")])
    func rolloutUndoReplacesTheTemplate(_ kind: (String, String)) throws {
        let live = try PatchFixture.parse(#"""
            {"metadata":{"name":"agent","generation":4},
             "spec":{"selector":{"matchLabels":{"app":"agent"}},
               "template":{"metadata":{"labels":{"app":"agent","new":"yes"}},
                 "spec":{"containers":[{"name":"agent","image":"agent:2","env":[{"name":"MODE","value":"fast"}]},
                                       {"name":"sidecar","image":"side:1"}],"hostNetwork":true}},
               "updateStrategy":{"type":"RollingUpdate"}}}
            """#)
        let revision = #"""
            {"spec":{"template":{"$patch":"replace","metadata":{"creationTimestamp":null,"labels":{"app":"agent"}},
              "spec":{"containers":[{"name":"agent","image":"agent:1","resources":{}}],"restartPolicy":"Always"}}}}
            """#
        let result = try apply(revision, to: live, schema: PatchSchema.forKind(group: kind.0, kind: kind.1))
        // creationTimestamp: null is dropped like any null in new content.
        try expectEqual(result.value(at: ["spec", "template"]), #"""
            {"metadata":{"labels":{"app":"agent"}},"spec":{"containers":[{"name":"agent","image":"agent:1","resources":{}}],"restartPolicy":"Always"}}
            """#)
        #expect(result.value(at: ["spec", "updateStrategy", "type"]) == "RollingUpdate")
    }

    // MARK: maps

    @Test func nullDeletesAndMapsMergeRecursively() throws {
        let live: JSONValue = ["metadata": ["labels": ["a": "1", "b": "2"], "annotations": ["x": "y"]], "spec": ["type": "ClusterIP"]]
        let result = try apply(#"{"metadata":{"labels":{"a":null,"c":"3"},"annotations":null},"spec":{"missing":null}}"#,
                               to: live, schema: Self.service)
        try expectEqual(result, #"{"metadata":{"labels":{"b":"2","c":"3"}},"spec":{"type":"ClusterIP"}}"#)
    }

    @Test func patchReplaceOnAMap() throws {
        let live: JSONValue = ["spec": ["selector": ["app": "web", "tier": "front"]]]
        let result = try apply(#"{"spec":{"selector":{"$patch":"replace","app":"api","gone":null}}}"#, to: live, schema: Self.service)
        try expectEqual(result, #"{"spec":{"selector":{"app":"api"}}}"#)
    }

    @Test func patchDeleteOnAMap() throws {
        let live = try PatchFixture.parse(Self.liveDeployment)
        let result = try apply(#"{"spec":{"strategy":{"rollingUpdate":{"$patch":"delete"}}}}"#, to: live, schema: Self.deployment)
        #expect(result.value(at: ["spec", "strategy"]) == ["type": "RollingUpdate"])
        // Deleting a map that is not there leaves nothing behind.
        let again = try apply(#"{"spec":{"paused":{"$patch":"delete"}}}"#, to: result, schema: Self.deployment)
        #expect(again.value(at: ["spec", "paused"]) == nil)
    }

    @Test func newSubtreesDropNullsAndResolveDirectives() throws {
        let live: JSONValue = ["metadata": ["name": "p"]]
        let result = try apply(#"""
            {"spec":{"nodeName":null,"containers":[{"name":"a","image":"x","args":null,"ports":[{"containerPort":80},{"$patch":"delete","containerPort":81}]}]}}
            """#, to: live, schema: Self.pod)
        try expectEqual(result.value(at: ["spec"]), #"{"containers":[{"name":"a","image":"x","ports":[{"containerPort":80}]}]}"#)
    }

    @Test func valueOfAnotherTypeIsReplaced() throws {
        let live: JSONValue = ["spec": ["ports": "oops", "selector": ["a", "b"]]]
        let result = try apply(#"{"spec":{"ports":[{"port":80}],"selector":{"app":"x"}}}"#, to: live, schema: Self.service)
        try expectEqual(result, #"{"spec":{"ports":[{"port":80}],"selector":{"app":"x"}}}"#)
    }

    // MARK: lists merged by key

    @Test func keyedListMergesAddsAndKeepsOthers() throws {
        let live = try PatchFixture.parse(#"""
            {"spec":{"containers":[{"name":"app","image":"a:1","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]},
                                   {"name":"istio-proxy","image":"proxy:1"}]}}
            """#)
        let patch = #"""
            {"spec":{"$setElementOrder/containers":[{"name":"app"},{"name":"logger"}],
                     "containers":[{"name":"app","env":[{"name":"B","value":"3"},{"name":"C","value":"4"},{"name":"A","$patch":"delete"}]},
                                   {"name":"logger","image":"log:1"}]}}
            """#
        let result = try apply(patch, to: live, schema: Self.pod)
        try expectEqual(result.value(at: ["spec", "containers"]), #"""
            [{"name":"app","image":"a:1","env":[{"name":"B","value":"3"},{"name":"C","value":"4"}]},
             {"name":"logger","image":"log:1"},
             {"name":"istio-proxy","image":"proxy:1"}]
            """#)
    }

    @Test func patchReplaceElementReplacesTheWholeList() throws {
        let live = try PatchFixture.parse(#"{"spec":{"containers":[{"name":"a","image":"1"},{"name":"b","image":"2"}]}}"#)
        let result = try apply(#"{"spec":{"containers":[{"name":"c","image":"3","env":[{"name":"X","value":null}]},{"$patch":"replace"}]}}"#,
                               to: live, schema: Self.pod)
        try expectEqual(result.value(at: ["spec", "containers"]), #"[{"name":"c","image":"3","env":[{"name":"X"}]}]"#)
        let emptied = try apply(#"{"spec":{"containers":[{"$patch":"replace"}]}}"#, to: live, schema: Self.pod)
        #expect(emptied.value(at: ["spec", "containers"]) == [])
    }

    @Test func deleteDirectiveRemovesEveryMatch() throws {
        let live = try PatchFixture.parse(#"{"spec":{"imagePullSecrets":[{"name":"a"},{"name":"b"},{"name":"a"}]}}"#)
        let result = try apply(#"{"spec":{"imagePullSecrets":[{"$patch":"delete","name":"a"}]}}"#, to: live, schema: Self.pod)
        #expect(result.value(at: ["spec", "imagePullSecrets"]) == [["name": "b"]])
    }

    @Test func statusConditionsMergeByType() throws {
        let live = try PatchFixture.parse(Self.liveDeployment)
        let result = try apply(#"{"status":{"conditions":[{"type":"Progressing","status":"False","reason":"Stuck"}]}}"#,
                               to: live, schema: Self.deployment)
        try expectEqual(result.value(at: ["status", "conditions"]),
                        #"[{"type":"Available","status":"True"},{"type":"Progressing","status":"False","reason":"Stuck"}]"#)
    }

    @Test func podStatusConditionsMergeButContainerStatusesReplace() throws {
        let live = try PatchFixture.parse(#"""
            {"status":{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"True"}],
                       "containerStatuses":[{"name":"a","ready":false,"restartCount":0},{"name":"b","ready":false}]}}
            """#)
        let patch = #"""
            {"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}],
                       "containerStatuses":[{"name":"a","ready":true,"restartCount":0}]}}
            """#
        let result = try apply(patch, to: live, schema: Self.pod)
        // A new element goes before live-only ones when the patch gives no $setElementOrder, as upstream.
        try expectEqual(result.value(at: ["status"]), #"""
            {"phase":"Running","conditions":[{"type":"Ready","status":"True"},{"type":"PodScheduled","status":"True"}],
             "containerStatuses":[{"name":"a","ready":true,"restartCount":0}]}
            """#)
    }

    @Test func ownerReferencesMergeByUIDForAnyKind() throws {
        let live = try PatchFixture.parse(#"{"metadata":{"ownerReferences":[{"uid":"1","name":"a","kind":"ReplicaSet"}]}}"#)
        let schema = PatchSchema.forKind(group: "example.com", kind: "Widget")
        let result = try apply(#"{"metadata":{"ownerReferences":[{"uid":"2","name":"b","kind":"ReplicaSet"},{"uid":"1","controller":true}]}}"#,
                               to: live, schema: schema)
        try expectEqual(result.value(at: ["metadata", "ownerReferences"]),
                        #"[{"uid":"2","name":"b","kind":"ReplicaSet"},{"uid":"1","name":"a","kind":"ReplicaSet","controller":true}]"#)
    }

    // MARK: Service port + protocol

    @Test func servicePortsAreTellApartByProtocol() throws {
        let live = try PatchFixture.parse(#"""
            {"spec":{"ports":[{"name":"dns","port":53,"protocol":"UDP","targetPort":53},{"name":"dns-tcp","port":53,"protocol":"TCP","targetPort":53}]}}
            """#)
        // No protocol: the TCP one (the default) is meant.
        let tcp = try apply(#"{"spec":{"ports":[{"port":53,"targetPort":5353}]}}"#, to: live, schema: Self.service)
        try expectEqual(tcp.value(at: ["spec", "ports"]), #"""
            [{"name":"dns","port":53,"protocol":"UDP","targetPort":53},{"name":"dns-tcp","port":53,"protocol":"TCP","targetPort":5353}]
            """#)
        // Explicit protocol picks that element.
        let udp = try apply(#"{"spec":{"ports":[{"port":53,"protocol":"UDP","targetPort":5353}]}}"#, to: live, schema: Self.service)
        #expect(udp.value(at: ["spec", "ports"])?.arrayValue?.first?["targetPort"] == 5353)
        // Deleting with a protocol removes only that one; without, every port 53 (as upstream).
        let oneGone = try apply(#"{"spec":{"ports":[{"$patch":"delete","port":53,"protocol":"UDP"}]}}"#, to: live, schema: Self.service)
        #expect(oneGone.value(at: ["spec", "ports"])?.arrayValue?.map { $0["name"] } == ["dns-tcp"])
        let allGone = try apply(#"{"spec":{"ports":[{"$patch":"delete","port":53}]}}"#, to: live, schema: Self.service)
        #expect(allGone.value(at: ["spec", "ports"]) == [])
    }

    @Test func servicePortWithNewProtocolIsAdded() throws {
        let live = try PatchFixture.parse(#"{"spec":{"ports":[{"name":"dns-tcp","port":53,"protocol":"TCP"}]}}"#)
        let result = try apply(#"{"spec":{"ports":[{"name":"dns","port":53,"protocol":"UDP"}]}}"#, to: live, schema: Self.service)
        #expect(result.value(at: ["spec", "ports"])?.arrayValue?.count == 2)
    }

    @Test func portOnlyPatchStillReachesANonDefaultProtocol() throws {
        // kubectl diffs by port alone, so changing a UDP-only port's targetPort sends no protocol.
        let live = try PatchFixture.parse(#"{"spec":{"ports":[{"name":"syslog","port":514,"protocol":"UDP","targetPort":514}]}}"#)
        let result = try apply(#"{"spec":{"$setElementOrder/ports":[{"port":514}],"ports":[{"port":514,"targetPort":5514}]}}"#,
                               to: live, schema: Self.service)
        try expectEqual(result.value(at: ["spec", "ports"]), #"[{"name":"syslog","port":514,"protocol":"UDP","targetPort":5514}]"#)
    }

    @Test func containerPortsMergeByContainerPortAndProtocol() throws {
        let live = try PatchFixture.parse(#"{"spec":{"containers":[{"name":"c","ports":[{"containerPort":53,"protocol":"TCP"}]}]}}"#)
        let result = try apply(#"{"spec":{"containers":[{"name":"c","ports":[{"containerPort":53,"protocol":"UDP","name":"dns"}]}]}}"#,
                               to: live, schema: Self.pod)
        #expect(result.value(at: ["spec", "containers"])?.arrayValue?.first?["ports"]?.arrayValue?.count == 2)
    }

    // MARK: order

    struct OrderCase: CustomTestStringConvertible, Sendable {
        var name: String
        var live: String
        var patch: String
        var result: String
        var testDescription: String { name }
    }

    /// The ordering outcomes kube-apiserver produces (its own test table), restated for a Pod's volumes list.
    static let orderCases: [OrderCase] = [
        OrderCase(name: "patch order wins over live order",
                  live: #"[{"name":"1"},{"name":"2","v":"b"},{"name":"3"}]"#,
                  patch: #"{"volumes":[{"name":"3","v":"c"},{"name":"1","v":"a"},{"name":"2","x":"x"}]}"#,
                  result: #"[{"name":"3","v":"c"},{"name":"1","v":"a"},{"name":"2","v":"b","x":"x"}]"#),
        OrderCase(name: "live-only elements keep their place before patched ones",
                  live: #"[{"name":"1"},{"name":"2","v":"b"},{"name":"3"}]"#,
                  patch: #"{"volumes":[{"name":"3","v":"c"},{"name":"1","v":"a"}]}"#,
                  result: #"[{"name":"2","v":"b"},{"name":"3","v":"c"},{"name":"1","v":"a"}]"#),
        OrderCase(name: "setElementOrder alone reorders, server-only last",
                  live: #"[{"name":"1","o":"a"},{"name":"3"},{"name":"4"},{"name":"2"},{"name":"9"}]"#,
                  patch: #"{"$setElementOrder/volumes":[{"name":"4"},{"name":"2"},{"name":"3"},{"name":"1"}]}"#,
                  result: #"[{"name":"4"},{"name":"2"},{"name":"3"},{"name":"1","o":"a"},{"name":"9"}]"#),
        OrderCase(name: "server-only element stays between its live neighbours",
                  live: #"[{"name":"1"},{"name":"2"},{"name":"9"},{"name":"3"},{"name":"4"}]"#,
                  patch: #"{"$setElementOrder/volumes":[{"name":"2"},{"name":"1"},{"name":"4"},{"name":"3"}]}"#,
                  result: #"[{"name":"2"},{"name":"1"},{"name":"9"},{"name":"4"},{"name":"3"}]"#),
        OrderCase(name: "several server-only elements stay together",
                  live: #"[{"name":"1"},{"name":"2"},{"name":"7"},{"name":"9"},{"name":"8"},{"name":"3"},{"name":"4"}]"#,
                  patch: #"{"$setElementOrder/volumes":[{"name":"2"},{"name":"1"},{"name":"4"},{"name":"3"}]}"#,
                  result: #"[{"name":"2"},{"name":"1"},{"name":"7"},{"name":"9"},{"name":"8"},{"name":"4"},{"name":"3"}]"#),
        OrderCase(name: "new element placed by setElementOrder",
                  live: #"[{"name":"1"},{"name":"2"}]"#,
                  patch: #"{"$setElementOrder/volumes":[{"name":"1"},{"name":"3"},{"name":"2"}],"volumes":[{"name":"3"}]}"#,
                  result: #"[{"name":"1"},{"name":"3"},{"name":"2"}]"#),
    ]

    @Test(arguments: orderCases)
    func listOrder(_ example: OrderCase) throws {
        let live: JSONValue = ["spec": ["volumes": try PatchFixture.parse(example.live)]]
        let patch: JSONValue = ["spec": try PatchFixture.parse(example.patch)]
        let result = try StrategicMergePatch.apply(patch, to: live, schema: Self.pod)
        try expectEqual(result.value(at: ["spec", "volumes"]), example.result)
    }

    // MARK: lists of primitives

    @Test func finalizersUnion() throws {
        let live: JSONValue = ["metadata": ["finalizers": ["a", "b"]]]
        let result = try apply(#"{"metadata":{"finalizers":["b","c","c"]}}"#, to: live, schema: Self.service)
        let finalizers = try #require(result.value(at: ["metadata", "finalizers"])?.arrayValue)
        #expect(Set(finalizers.compactMap(\.stringValue)) == ["a", "b", "c"])
        #expect(finalizers.count == 3)
    }

    @Test func primitiveOrderFollowsSetElementOrderWithServerOnlyInPlace() throws {
        let live: JSONValue = ["metadata": ["finalizers": ["1", "4", "2"]]]
        let result = try apply(#"{"metadata":{"$setElementOrder/finalizers":["3","1","2"],"finalizers":["3"]}}"#,
                               to: live, schema: Self.service)
        #expect(result.value(at: ["metadata", "finalizers"]) == ["3", "1", "4", "2"])
    }

    @Test func deleteFromPrimitiveList() throws {
        let live: JSONValue = ["metadata": ["finalizers": ["a", "b", "c", "b"]]]
        let result = try apply(#"{"metadata":{"$deleteFromPrimitiveList/finalizers":["b","zzz"],"$setElementOrder/finalizers":["c","a"]}}"#,
                               to: live, schema: Self.service)
        #expect(result.value(at: ["metadata", "finalizers"]) == ["c", "a"])
        // A list that does not exist is not created.
        let none = try apply(#"{"spec":{"$deleteFromPrimitiveList/podCIDRs":["10.0.0.0/24"]}}"#, to: ["spec": [:]],
                             schema: PatchSchema.forKind(group: "", kind: "Node"))
        #expect(none == ["spec": [:]])
    }

    @Test func additionAndDeletionInOnePatch() throws {
        let live: JSONValue = ["spec": ["podCIDRs": ["10.0.0.0/24"]]]
        let result = try apply(#"{"spec":{"podCIDRs":["fd00::/64"],"$deleteFromPrimitiveList/podCIDRs":["10.0.0.0/24"]}}"#,
                               to: live, schema: PatchSchema.forKind(group: "", kind: "Node"))
        #expect(result.value(at: ["spec", "podCIDRs"]) == ["fd00::/64"])
    }

    @Test func atomicListsAreReplaced() throws {
        let live = try PatchFixture.parse(#"{"spec":{"taints":[{"key":"a","effect":"NoSchedule"}],"podCIDRs":["10.0.0.0/24"]}}"#)
        let result = try apply(#"{"spec":{"taints":[{"key":"b","effect":"NoExecute","value":null}]}}"#, to: live,
                               schema: PatchSchema.forKind(group: "", kind: "Node"))
        try expectEqual(result.value(at: ["spec", "taints"]), #"[{"key":"b","effect":"NoExecute"}]"#)
    }

    @Test func unknownKindsReplaceEveryListButMetadata() throws {
        let schema = PatchSchema.forKind(group: "example.com", kind: "Widget")
        let live = try PatchFixture.parse(#"{"metadata":{"finalizers":["a"]},"spec":{"containers":[{"name":"a"}]}}"#)
        let result = try apply(#"{"metadata":{"finalizers":["b"]},"spec":{"containers":[{"name":"b"}]}}"#, to: live, schema: schema)
        try expectEqual(result, #"{"metadata":{"finalizers":["b","a"]},"spec":{"containers":[{"name":"b"}]}}"#)
        // EndpointSlice endpoints and ports are atomic too.
        let slice = PatchSchema.forKind(group: "discovery.k8s.io", kind: "EndpointSlice")
        #expect(slice.listType(at: ["endpoints"]) == .atomic)
        #expect(slice.listType(at: ["ports"]) == .atomic)
    }

    // MARK: errors

    struct Failure: CustomTestStringConvertible, Sendable {
        var name: String
        var live: String
        var patch: String
        var status: Int
        var message: String
        var testDescription: String { name }
    }

    static let failures: [Failure] = [
        Failure(name: "patch not an object", live: "{}", patch: "[1]", status: 400,
                message: "strategic merge patch: the patch must be a JSON object"),
        Failure(name: "setElementOrder not a list", live: #"{"spec":{}}"#,
                patch: #"{"spec":{"$setElementOrder/ports":{"port":80}}}"#, status: 400,
                message: "strategic merge patch: $setElementOrder/ports is not a list at spec"),
        Failure(name: "deleteFromPrimitiveList not a list", live: "{}",
                patch: #"{"metadata":{"$deleteFromPrimitiveList/finalizers":"a"}}"#, status: 400,
                message: "strategic merge patch: $deleteFromPrimitiveList/finalizers is not a list at metadata"),
        Failure(name: "element without merge key", live: #"{"spec":{"ports":[{"port":80}]}}"#,
                patch: #"{"spec":{"ports":[{"port":81},{"name":"x"}]}}"#, status: 422,
                message: "strategic merge patch: list element has no merge key \"port\" at spec.ports[1]"),
        Failure(name: "element not an object", live: #"{"spec":{}}"#, patch: #"{"spec":{"ports":[80]}}"#, status: 422,
                message: "strategic merge patch: list element is not an object; elements of this list merge by \"port\" at spec.ports[0]"),
        Failure(name: "delete without merge key", live: #"{"spec":{"ports":[{"port":80}]}}"#,
                patch: #"{"spec":{"ports":[{"$patch":"delete","name":"http"}]}}"#, status: 422,
                message: "strategic merge patch: $patch: delete element has no merge key \"port\" at spec.ports[0]"),
        Failure(name: "unknown map directive", live: "{}", patch: #"{"spec":{"$patch":"merge"}}"#, status: 400,
                message: "strategic merge patch: unknown $patch directive \"merge\"; expected \"replace\" or \"delete\" at spec"),
        Failure(name: "unknown list directive", live: "{}", patch: #"{"spec":{"ports":[{"$patch":"merge","port":1}]}}"#, status: 400,
                message: "strategic merge patch: unknown $patch directive \"merge\" in a list; expected \"replace\" or \"delete\" at spec.ports[0]"),
        Failure(name: "directive not a string", live: "{}", patch: #"{"spec":{"$patch":1}}"#, status: 400,
                message: "strategic merge patch: unknown $patch directive 1; expected \"replace\" or \"delete\" at spec"),
        Failure(name: "unknown $ key", live: "{}", patch: #"{"spec":{"$retainkeys":[]}}"#, status: 400,
                message: "strategic merge patch: unknown directive $retainkeys at spec"),
        Failure(name: "retainKeys not a list", live: "{}", patch: #"{"spec":{"$retainKeys":"type"}}"#, status: 400,
                message: "strategic merge patch: $retainKeys is not a list at spec"),
        Failure(name: "retainKeys with a non-string", live: "{}", patch: #"{"spec":{"$retainKeys":[1]}}"#, status: 400,
                message: "strategic merge patch: $retainKeys must list field names, found 1 at spec"),
        Failure(name: "object in a set of primitives", live: "{}", patch: #"{"metadata":{"finalizers":["a",{"b":1}]}}"#, status: 422,
                message: "strategic merge patch: expected a string or number: this list merges as a set of primitives at metadata.finalizers[1]"),
        Failure(name: "stored element not an object", live: #"{"spec":{"ports":[80]}}"#, patch: #"{"spec":{"ports":[{"port":80}]}}"#, status: 422,
                message: "strategic merge patch: the stored list element is not an object, so the list cannot merge by \"port\" at spec.ports[0]"),
        Failure(name: "setElementOrder entry without key", live: #"{"spec":{"ports":[{"port":80}]}}"#,
                patch: #"{"spec":{"$setElementOrder/ports":[{"name":"x"}]}}"#, status: 400,
                message: "strategic merge patch: $setElementOrder/ports[0] has no merge key \"port\" at spec.ports"),
    ]

    @Test(arguments: failures)
    func rejects(_ failure: Failure) throws {
        let live = try PatchFixture.parse(failure.live)
        let error = try #require(throws: PatchError.self) { try apply(failure.patch, to: live, schema: Self.service) }
        #expect(error.description == failure.message)
        #expect(error.httpStatus == failure.status)
    }

    @Test func targetMustBeAnObject() throws {
        let error = try #require(throws: PatchError.self) { try apply("{}", to: [1, 2], schema: Self.service) }
        #expect(error.httpStatus == 422)
    }

    @Test func neverTraps() {
        var random = PatchFixture.Random(state: 2024)
        let schemas = [Self.service, Self.pod, Self.deployment]
        for round in 0..<4000 {
            let target = random.value(depth: 4)
            let patch = random.value(depth: 4)
            let schema = schemas[round % schemas.count]
            _ = try? StrategicMergePatch.apply(patch, to: target, schema: schema)
            _ = try? StrategicMergePatch.apply(["spec": patch], to: ["spec": target], schema: schema)
            _ = try? StrategicMergePatch.apply(["spec": ["ports": patch]], to: ["spec": ["ports": target]], schema: schema)
        }
    }
}
