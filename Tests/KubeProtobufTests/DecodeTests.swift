import KubeModel
import KubeProtobuf
import Testing

/// Hand-built bodies for what kubectl's generators never set. Field numbers are those of k8s.io/api
/// generated.proto, written out here independently of the decoder's table.
@Suite("Decoding hand-built objects")
struct DecodeTests {
    @Test func serviceWithNumericAndNamedTargetPorts() throws {
        let body = ProtoWriter.envelope(apiVersion: "v1", kind: "Service") { service in
            service.message(1) { meta in
                meta.string(1, "web")
                meta.string(3, "default")
            }
            service.message(2) { spec in
                spec.message(1) { port in
                    port.string(1, "http")
                    port.string(2, "TCP")
                    port.int(3, 80)
                    port.intOrString(4, int: 8080)
                    port.int(5, 30080)
                    port.string(6, "kubernetes.io/h2c")
                }
                spec.message(1) { port in
                    port.string(1, "metrics")
                    port.string(2, "TCP")
                    port.int(3, 9090)
                    port.intOrString(4, string: "metrics")
                    port.int(5, 0)
                }
                spec.mapEntry(2, "app", "web")
                spec.string(3, "10.96.0.10")
                spec.string(4, "LoadBalancer")
                spec.string(5, "192.0.2.1")
                spec.string(7, "ClientIP")
                spec.string(8, "198.51.100.7")
                spec.string(9, "203.0.113.0/24")
                spec.string(10, "")
                spec.string(11, "Local")
                spec.int(12, 31000)
                spec.bool(13, true)
                spec.message(14) { affinity in
                    affinity.message(1) { $0.int(1, 600) }
                }
                spec.string(17, "SingleStack")
                spec.string(18, "10.96.0.10")
                spec.string(19, "IPv4")
                spec.bool(20, false)
                spec.string(21, "example.com/lb")
                spec.string(22, "Cluster")
            }
            service.message(3) { status in
                status.message(1) { _ in }
            }
        }
        try expectDecodes(
            body,
            to: """
                {"apiVersion": "v1", "kind": "Service",
                 "metadata": {"name": "web", "namespace": "default"},
                 "spec": {
                   "ports": [
                     {"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080, "nodePort": 30080,
                      "appProtocol": "kubernetes.io/h2c"},
                     {"name": "metrics", "protocol": "TCP", "port": 9090, "targetPort": "metrics"}],
                   "selector": {"app": "web"},
                   "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"], "type": "LoadBalancer",
                   "externalIPs": ["192.0.2.1"], "sessionAffinity": "ClientIP", "loadBalancerIP": "198.51.100.7",
                   "loadBalancerSourceRanges": ["203.0.113.0/24"], "externalTrafficPolicy": "Local",
                   "healthCheckNodePort": 31000, "publishNotReadyAddresses": true,
                   "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 600}},
                   "ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv4"], "allocateLoadBalancerNodePorts": false,
                   "loadBalancerClass": "example.com/lb", "internalTrafficPolicy": "Cluster"},
                 "status": {"loadBalancer": {}}}
                """)
    }

    @Test func externalNameService() throws {
        let body = ProtoWriter.envelope(apiVersion: "v1", kind: "Service") { service in
            service.message(1) { $0.string(1, "ext") }
            service.message(2) { spec in
                spec.string(4, "ExternalName")
                spec.string(10, "example.com")
            }
        }
        try expectDecodes(
            body,
            to: """
                {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ext"},
                 "spec": {"type": "ExternalName", "externalName": "example.com"}}
                """)
    }

    @Test func namespaceWithFinalizers() throws {
        let body = ProtoWriter.envelope(apiVersion: "v1", kind: "Namespace") { namespace in
            namespace.message(1) { meta in
                meta.string(1, "demo")
                meta.mapEntry(11, "team", "a")
                meta.mapEntry(12, "note", "")
            }
            namespace.message(2) { $0.string(1, "kubernetes") }
            namespace.message(3) { $0.string(1, "") }
        }
        try expectDecodes(
            body,
            to: """
                {"apiVersion": "v1", "kind": "Namespace",
                 "metadata": {"name": "demo", "labels": {"team": "a"}, "annotations": {"note": ""}},
                 "spec": {"finalizers": ["kubernetes"]}, "status": {}}
                """)
    }

    /// Go writes every value field; zero strings, numbers and booleans there mean "not set".
    @Test func zeroValuedValueFieldsAreDropped() throws {
        let body = ProtoWriter.envelope(apiVersion: "apps/v1", kind: "Deployment") { deployment in
            deployment.message(1) { meta in
                meta.string(1, "web")
                meta.string(2, "")
                meta.string(3, "")
                meta.string(5, "")
                meta.string(6, "")
                meta.int(7, 0)
                meta.message(8) { _ in }
            }
            deployment.message(2) { spec in
                spec.message(4) { $0.string(1, "") }
                spec.int(5, 0)
                spec.bool(7, false)
                spec.message(3) { template in
                    template.message(2) { pod in
                        pod.message(2) { container in
                            container.string(1, "c")
                            container.string(5, "")
                            container.string(13, "")
                            container.bool(16, false)
                            container.message(6) { port in
                                port.string(1, "")
                                port.int(2, 0)
                                port.int(3, 8080)
                                port.string(4, "")
                            }
                        }
                        pod.string(3, "")
                        pod.bool(11, false)
                    }
                }
            }
        }
        try expectDecodes(
            body,
            to: """
                {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                 "spec": {"strategy": {},
                          "template": {"spec": {"containers": [{"name": "c", "ports": [{"containerPort": 8080}]}]}}}}
                """)
    }

    /// Pointer fields are written only when set, so their zero values carry meaning and must survive.
    @Test func zeroValuedPointerFieldsAreKept() throws {
        let body = ProtoWriter.envelope(apiVersion: "apps/v1", kind: "Deployment") { deployment in
            deployment.message(2) { spec in
                spec.int(1, 0)
                spec.int(6, 0)
                spec.message(4) { strategy in
                    strategy.string(1, "RollingUpdate")
                    strategy.message(2) { rolling in
                        rolling.intOrString(1, int: 0)
                        rolling.intOrString(2, string: "25%")
                    }
                }
                spec.message(3) { template in
                    template.message(2) { pod in
                        pod.int(4, 0)
                        pod.bool(21, false)
                        pod.int(25, 0)
                        pod.message(2) { container in
                            container.string(1, "c")
                            container.message(15) { security in
                                security.bool(2, false)
                                security.int(4, 0)
                            }
                        }
                    }
                }
            }
        }
        try expectDecodes(
            body,
            to: """
                {"apiVersion": "apps/v1", "kind": "Deployment",
                 "spec": {"replicas": 0, "revisionHistoryLimit": 0,
                          "strategy": {"type": "RollingUpdate",
                                       "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}},
                          "template": {"spec": {
                            "terminationGracePeriodSeconds": 0, "automountServiceAccountToken": false, "priority": 0,
                            "containers": [{"name": "c", "securityContext": {"privileged": false, "runAsUser": 0}}]}}}}
                """)
    }

    @Test func objectMetaInFull() throws {
        let body = ProtoWriter.envelope(apiVersion: "v1", kind: "Pod") { pod in
            pod.message(1) { meta in
                meta.string(1, "web-1")
                meta.string(2, "web-")
                meta.string(3, "prod")
                meta.string(5, "6f1c2f0e-2a8d-4c8e-9f44-0d3b1c1f0a11")
                meta.string(6, "42")
                meta.int(7, 3)
                meta.time(8, seconds: 1_700_000_000)
                meta.time(9, seconds: 1_700_000_060)
                meta.int(10, 30)
                meta.mapEntry(11, "app", "web")
                meta.mapEntry(11, "tier", "front")
                meta.mapEntry(12, "a/b", "c")
                meta.message(13) { owner in
                    owner.string(1, "ReplicaSet")
                    owner.string(3, "web-abc")
                    owner.string(4, "uid-1")
                    owner.string(5, "apps/v1")
                    owner.bool(6, true)
                    owner.bool(7, false)
                }
                meta.string(14, "example.com/cleanup")
                meta.string(14, "example.com/other")
                meta.message(17) { entry in
                    entry.string(1, "kubectl")
                    entry.string(2, "Update")
                    entry.string(3, "v1")
                    entry.time(4, seconds: 0)
                    entry.string(6, "FieldsV1")
                    entry.message(7) { $0.string(1, #"{"f:metadata":{"f:labels":{}}}"#) }
                }
            }
        }
        try expectDecodes(
            body,
            to: """
                {"apiVersion": "v1", "kind": "Pod",
                 "metadata": {
                   "name": "web-1", "generateName": "web-", "namespace": "prod",
                   "uid": "6f1c2f0e-2a8d-4c8e-9f44-0d3b1c1f0a11", "resourceVersion": "42", "generation": 3,
                   "creationTimestamp": "2023-11-14T22:13:20Z", "deletionTimestamp": "2023-11-14T22:14:20Z",
                   "deletionGracePeriodSeconds": 30,
                   "labels": {"app": "web", "tier": "front"}, "annotations": {"a/b": "c"},
                   "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-abc",
                                        "uid": "uid-1", "controller": true, "blockOwnerDeletion": false}],
                   "finalizers": ["example.com/cleanup", "example.com/other"],
                   "managedFields": [{"manager": "kubectl", "operation": "Update", "apiVersion": "v1",
                                      "time": "1970-01-01T00:00:00Z", "fieldsType": "FieldsV1",
                                      "fieldsV1": {"f:metadata": {"f:labels": {}}}}]}}
                """)
    }

    @Test func podSpecContainersProbesAndVolumes() throws {
        let body = ProtoWriter.envelope(apiVersion: "v1", kind: "Pod") { pod in
            pod.message(1) { $0.string(1, "web") }
            pod.message(2) { spec in
                spec.message(1) { volume in
                    volume.string(1, "scratch")
                    volume.message(2) { source in
                        source.message(2) { emptyDir in
                            emptyDir.string(1, "Memory")
                            emptyDir.message(2) { $0.string(1, "64Mi") }
                        }
                    }
                }
                spec.message(1) { volume in
                    volume.string(1, "config")
                    volume.message(2) { source in
                        source.message(19) { configMap in
                            configMap.message(1) { $0.string(1, "web-config") }
                            configMap.int(3, 0o644)
                        }
                    }
                }
                spec.message(2) { container in
                    container.string(1, "web")
                    container.string(2, "nginx:1.27")
                    container.string(3, "nginx")
                    container.string(4, "-g")
                    container.string(4, "daemon off;")
                    container.string(5, "/srv")
                    container.message(6) { port in
                        port.string(1, "http")
                        port.int(2, 8081)
                        port.int(3, 8080)
                        port.string(4, "TCP")
                    }
                    container.message(7) { env in
                        env.string(1, "MODE")
                        env.string(2, "prod")
                    }
                    container.message(7) { env in
                        env.string(1, "EMPTY")
                        env.string(2, "")
                    }
                    container.message(7) { env in
                        env.string(1, "POD_IP")
                        env.string(2, "")
                        env.message(3) { source in
                            source.message(1) { field in
                                field.string(1, "v1")
                                field.string(2, "status.podIP")
                            }
                        }
                    }
                    container.message(8) { resources in
                        resources.quantityEntry(1, "cpu", "500m")
                        resources.quantityEntry(1, "memory", "128Mi")
                        resources.quantityEntry(2, "cpu", "100m")
                    }
                    container.message(9) { mount in
                        mount.string(1, "scratch")
                        mount.bool(2, true)
                        mount.string(3, "/tmp")
                    }
                    container.message(10) { probe in
                        probe.message(1) { handler in
                            handler.message(3) { $0.intOrString(1, int: 8080) }
                        }
                        probe.int(2, 5)
                        probe.int(3, 1)
                        probe.int(4, 10)
                        probe.int(5, 1)
                        probe.int(6, 3)
                    }
                    container.message(11) { probe in
                        probe.message(1) { handler in
                            handler.message(2) { get in
                                get.string(1, "/healthz")
                                get.intOrString(2, string: "http")
                                get.string(3, "")
                                get.string(4, "HTTP")
                                get.message(5) { header in
                                    header.string(1, "X-Probe")
                                    header.string(2, "1")
                                }
                            }
                        }
                        probe.int(2, -5)
                    }
                    container.message(22) { probe in
                        probe.message(1) { handler in
                            handler.message(1) { exec in
                                exec.string(1, "cat")
                                exec.string(1, "/tmp/ready")
                            }
                        }
                        probe.int(6, 30)
                    }
                    container.string(13, "/dev/termination-log")
                    container.string(14, "IfNotPresent")
                    container.string(20, "File")
                }
                spec.string(3, "Always")
                spec.int(4, 30)
                spec.string(6, "ClusterFirst")
                spec.mapEntry(7, "disk", "ssd")
                spec.string(8, "web")
                spec.string(10, "node-1")
                spec.bool(11, true)
                spec.message(14) { security in
                    security.int(4, 1000)
                    security.raw(4, packedVarints([2000, 3000]))
                    security.int(5, 2000)
                }
                spec.string(16, "web-0")
                spec.string(17, "web")
                spec.string(19, "default-scheduler")
                spec.message(20) { initContainer in
                    initContainer.string(1, "init")
                    initContainer.string(2, "busybox")
                    initContainer.message(8) { _ in }
                }
                spec.message(22) { toleration in
                    toleration.string(1, "node.kubernetes.io/not-ready")
                    toleration.string(2, "Exists")
                    toleration.string(3, "")
                    toleration.string(4, "NoExecute")
                    toleration.int(5, 300)
                }
                spec.string(24, "high")
                spec.int(25, 1000)
            }
        }
        try expectDecodes(
            body,
            to: """
                {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
                 "spec": {
                   "volumes": [{"name": "scratch", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}},
                               {"name": "config", "configMap": {"name": "web-config", "defaultMode": 420}}],
                   "containers": [{
                     "name": "web", "image": "nginx:1.27", "command": ["nginx"], "args": ["-g", "daemon off;"],
                     "workingDir": "/srv",
                     "ports": [{"name": "http", "hostPort": 8081, "containerPort": 8080, "protocol": "TCP"}],
                     "env": [{"name": "MODE", "value": "prod"}, {"name": "EMPTY"},
                             {"name": "POD_IP",
                              "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}}}],
                     "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}, "requests": {"cpu": "100m"}},
                     "volumeMounts": [{"name": "scratch", "readOnly": true, "mountPath": "/tmp"}],
                     "livenessProbe": {"tcpSocket": {"port": 8080}, "initialDelaySeconds": 5, "timeoutSeconds": 1,
                                       "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3},
                     "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http", "scheme": "HTTP",
                                                    "httpHeaders": [{"name": "X-Probe", "value": "1"}]},
                                        "initialDelaySeconds": -5},
                     "startupProbe": {"exec": {"command": ["cat", "/tmp/ready"]}, "failureThreshold": 30},
                     "terminationMessagePath": "/dev/termination-log", "imagePullPolicy": "IfNotPresent",
                     "terminationMessagePolicy": "File"}],
                   "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
                   "nodeSelector": {"disk": "ssd"}, "serviceAccountName": "web", "nodeName": "node-1",
                   "hostNetwork": true,
                   "securityContext": {"supplementalGroups": [1000, 2000, 3000], "fsGroup": 2000},
                   "hostname": "web-0", "subdomain": "web", "schedulerName": "default-scheduler",
                   "initContainers": [{"name": "init", "image": "busybox", "resources": {}}],
                   "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
                                    "tolerationSeconds": 300}],
                   "priorityClassName": "high", "priority": 1000}}
                """)
    }

    @Test func replicaSetWithMatchExpressions() throws {
        let body = ProtoWriter.envelope(apiVersion: "apps/v1", kind: "ReplicaSet") { replicaSet in
            replicaSet.message(1) { $0.string(1, "web-abc") }
            replicaSet.message(2) { spec in
                spec.int(1, 2)
                spec.message(2) { selector in
                    selector.mapEntry(1, "app", "web")
                    selector.message(2) { requirement in
                        requirement.string(1, "tier")
                        requirement.string(2, "In")
                        requirement.string(3, "front")
                        requirement.string(3, "edge")
                    }
                    selector.message(2) { requirement in
                        requirement.string(1, "canary")
                        requirement.string(2, "DoesNotExist")
                    }
                }
                spec.message(3) { template in
                    template.message(1) { $0.mapEntry(11, "app", "web") }
                    template.message(2) { pod in
                        pod.message(2) { container in
                            container.string(1, "c")
                            container.string(2, "x")
                        }
                    }
                }
                spec.int(4, 10)
            }
            replicaSet.message(3) { status in
                status.int(1, 2)
                status.int(3, 7)
            }
        }
        try expectDecodes(
            body,
            to: """
                {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web-abc"},
                 "spec": {"replicas": 2, "minReadySeconds": 10,
                          "selector": {"matchLabels": {"app": "web"},
                                       "matchExpressions": [
                                         {"key": "tier", "operator": "In", "values": ["front", "edge"]},
                                         {"key": "canary", "operator": "DoesNotExist"}]},
                          "template": {"metadata": {"labels": {"app": "web"}},
                                       "spec": {"containers": [{"name": "c", "image": "x"}]}}},
                 "status": {"replicas": 2, "observedGeneration": 7}}
                """)
    }

    @Test func nodeSpecAndStatus() throws {
        let body = ProtoWriter.envelope(apiVersion: "v1", kind: "Node") { node in
            node.message(1) { $0.string(1, "node-1") }
            node.message(2) { spec in
                spec.string(1, "10.244.1.0/24")
                spec.string(3, "junction://node-1")
                spec.bool(4, true)
                spec.message(5) { taint in
                    taint.string(1, "node.kubernetes.io/unschedulable")
                    taint.string(2, "")
                    taint.string(3, "NoSchedule")
                    taint.time(4, seconds: 951_782_400)
                }
                spec.string(7, "10.244.1.0/24")
                spec.string(7, "fd00:10:244:1::/64")
            }
            node.message(3) { status in
                status.quantityEntry(1, "cpu", "4")
                status.quantityEntry(1, "pods", "110")
                status.message(4) { condition in
                    condition.string(1, "Ready")
                    condition.string(2, "True")
                    condition.time(3, seconds: 1_700_000_000)
                    condition.message(4) { _ in }
                    condition.string(5, "KubeletReady")
                }
                status.message(5) { address in
                    address.string(1, "InternalIP")
                    address.string(2, "192.0.2.10")
                }
                status.message(6) { endpoints in
                    endpoints.message(1) { $0.int(1, 10250) }
                }
            }
        }
        try expectDecodes(
            body,
            to: """
                {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1"},
                 "spec": {"podCIDR": "10.244.1.0/24", "podCIDRs": ["10.244.1.0/24", "fd00:10:244:1::/64"],
                          "providerID": "junction://node-1", "unschedulable": true,
                          "taints": [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule",
                                      "timeAdded": "2000-02-29T00:00:00Z"}]},
                 "status": {"capacity": {"cpu": "4", "pods": "110"},
                            "conditions": [{"type": "Ready", "status": "True",
                                            "lastHeartbeatTime": "2023-11-14T22:13:20Z", "reason": "KubeletReady"}],
                            "addresses": [{"type": "InternalIP", "address": "192.0.2.10"}],
                            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}}}}
                """)
    }

    @Test func evictionWithDeleteOptions() throws {
        let body = ProtoWriter.envelope(apiVersion: "policy/v1", kind: "Eviction") { eviction in
            eviction.message(1) { meta in
                meta.string(1, "web-1")
                meta.string(3, "prod")
            }
            eviction.message(2) { options in
                options.int(1, 0)
                options.message(2) { $0.string(1, "uid-1") }
                options.string(4, "Foreground")
                options.string(5, "All")
            }
        }
        try expectDecodes(
            body,
            to: """
                {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "web-1", "namespace": "prod"},
                 "deleteOptions": {"gracePeriodSeconds": 0, "preconditions": {"uid": "uid-1"},
                                   "propagationPolicy": "Foreground", "dryRun": ["All"]}}
                """)
    }

    /// Protobuf merges repeated occurrences of a singular message field and keeps the last singular scalar.
    @Test func repeatedOccurrencesMerge() throws {
        let body = ProtoWriter.envelope(apiVersion: "v1", kind: "Namespace") { namespace in
            namespace.message(1) { meta in
                meta.string(1, "first")
                meta.mapEntry(11, "a", "1")
                meta.mapEntry(11, "b", "1")
                meta.string(14, "one")
            }
            namespace.message(1) { meta in
                meta.string(1, "second")
                meta.mapEntry(11, "b", "2")
                meta.string(14, "two")
            }
        }
        try expectDecodes(
            body,
            to: """
                {"apiVersion": "v1", "kind": "Namespace",
                 "metadata": {"name": "second", "labels": {"a": "1", "b": "2"}, "finalizers": ["one", "two"]}}
                """)
    }

    /// A later zero in a value field resets it to unset, as it would reset the Go field to its zero value.
    @Test func laterZeroValueUnsetsField() throws {
        let body = ProtoWriter.envelope(apiVersion: "v1", kind: "Namespace") { namespace in
            namespace.message(1) { meta in
                meta.string(1, "demo")
                meta.string(1, "")
            }
        }
        try expectDecodes(body, to: #"{"apiVersion": "v1", "kind": "Namespace", "metadata": {}}"#)
    }

    @Test func mapEntriesWithMissingHalves() throws {
        let body = ProtoWriter.envelope(apiVersion: "v1", kind: "Pod") { pod in
            pod.message(1) { meta in
                meta.message(11) { $0.string(1, "keyOnly") }
                meta.message(11) { $0.string(2, "valueOnly") }
            }
            pod.message(2) { spec in
                spec.message(2) { container in
                    container.string(1, "c")
                    container.message(8) { resources in
                        resources.message(1) { $0.string(1, "cpu") }
                        resources.message(2) { entry in
                            entry.string(1, "memory")
                            entry.message(2) { _ in }
                        }
                    }
                }
            }
        }
        try expectDecodes(
            body,
            to: """
                {"apiVersion": "v1", "kind": "Pod", "metadata": {"labels": {"keyOnly": "", "": "valueOnly"}},
                 "spec": {"containers": [
                   {"name": "c", "resources": {"limits": {"cpu": "0"}, "requests": {"memory": "0"}}}]}}
                """)
    }

    @Test func unknownFieldsOfEveryWireTypeAreSkipped() throws {
        let plain = ProtoWriter.envelope(apiVersion: "v1", kind: "Namespace") { namespace in
            namespace.message(1) { $0.string(1, "demo") }
        }
        let extended = ProtoWriter.envelope(apiVersion: "v1", kind: "Namespace") { namespace in
            namespace.int(99, 7)
            namespace.fixed32(98, 0xDEAD_BEEF)
            namespace.fixed64(97, 1)
            namespace.message(1) { meta in
                meta.string(1, "demo")
                meta.raw(1000, [0xFF, 0xFF, 0xFF])
                meta.int(536_870_911, -1)
            }
            namespace.message(96) { $0.string(1, "ignored") }
        }
        #expect(try KubeProtobuf.decode(extended) == KubeProtobuf.decode(plain))
    }

    @Test func unknownEnvelopeAndTypeMetaFieldsAreSkipped() throws {
        var unknown = ProtoWriter()
        unknown.int(9, 1)
        unknown.message(1) { typeMeta in
            typeMeta.string(1, "v1")
            typeMeta.fixed64(5, 0)
            typeMeta.string(2, "Namespace")
        }
        unknown.message(2) { $0.message(1) { $0.string(1, "demo") } }
        unknown.string(4, "application/vnd.kubernetes.protobuf")
        try expectDecodes(
            KubeProtobuf.magic + unknown.bytes,
            to: #"{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}}"#)
    }

    /// Repeated numbers may also arrive packed; both layouts, and a mix of them, decode the same.
    @Test func packedAndUnpackedRepeatedNumbers() throws {
        func pod(_ build: @escaping (inout ProtoWriter) -> Void) -> [UInt8] {
            ProtoWriter.envelope(apiVersion: "v1", kind: "Pod") { pod in
                pod.message(2) { spec in spec.message(14) { build(&$0) } }
            }
        }
        let unpacked = pod {
            $0.int(4, 1)
            $0.int(4, -2)
        }
        let packed = pod { $0.raw(4, packedVarints([1, -2])) }
        let expected = """
            {"apiVersion": "v1", "kind": "Pod", "spec": {"securityContext": {"supplementalGroups": [1, -2]}}}
            """
        try expectDecodes(unpacked, to: expected)
        try expectDecodes(packed, to: expected)
    }

    @Test func timestampsFormatAsRFC3339() throws {
        func created(_ seconds: Int64) throws -> JSONValue? {
            let body = ProtoWriter.envelope(apiVersion: "v1", kind: "Namespace") { namespace in
                namespace.message(1) { $0.time(8, seconds: seconds) }
            }
            return try KubeProtobuf.decode(body).value(at: ["metadata", "creationTimestamp"])
        }
        #expect(try created(0) == "1970-01-01T00:00:00Z")
        #expect(try created(-1) == "1969-12-31T23:59:59Z")
        #expect(try created(951_782_400) == "2000-02-29T00:00:00Z")
        #expect(try created(4_107_542_400) == "2100-03-01T00:00:00Z")
        #expect(try created(-62_135_596_800) == "0001-01-01T00:00:00Z")
        #expect(try created(253_402_300_799) == "9999-12-31T23:59:59Z")
        #expect(throws: KubeProtobufError.self) { try created(253_402_300_800) }
        #expect(throws: KubeProtobufError.self) { try created(-62_135_596_801) }
        #expect(throws: KubeProtobufError.self) { try created(Int64.min) }
    }

    @Test func supportedKinds() {
        #expect(KubeProtobuf.supports(apiVersion: "apps/v1", kind: "Deployment"))
        #expect(KubeProtobuf.supports(apiVersion: "v1", kind: "Service"))
        #expect(!KubeProtobuf.supports(apiVersion: "v1", kind: "ConfigMap"))
        #expect(!KubeProtobuf.supports(apiVersion: "extensions/v1beta1", kind: "Deployment"))
        let kinds = KubeProtobuf.supportedKinds.map { "\($0.apiVersion) \($0.kind)" }
        #expect(
            kinds == [
                "apps/v1 Deployment", "apps/v1 ReplicaSet", "policy/v1 Eviction",
                "v1 Namespace", "v1 Node", "v1 Pod", "v1 Service",
            ])
    }
}

/// The payload of a packed repeated varint field.
func packedVarints(_ values: [Int64]) -> [UInt8] {
    var writer = ProtoWriter()
    for value in values { writer.varint(UInt64(bitPattern: value)) }
    return writer.bytes
}
