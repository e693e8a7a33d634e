public struct Namespace: KubeObject, Hashable {
    public var apiVersion: String? = "v1"
    public var kind: String? = "Namespace"
    public var metadata = ObjectMeta()
    public var spec: Spec?
    public var status: NamespaceStatus?

    public struct Spec: Codable, Sendable, Hashable { public var finalizers: [String]? }
    public struct NamespaceStatus: Codable, Sendable, Hashable {
        public var phase: String?
        public var conditions: [Condition]?
    }
    public init(metadata: ObjectMeta = ObjectMeta()) { self.metadata = metadata }
}

public struct Node: KubeObject, Hashable {
    public var apiVersion: String? = "v1"
    public var kind: String? = "Node"
    public var metadata = ObjectMeta()
    public var spec: NodeSpec?
    public var status: NodeStatus?

    public init(metadata: ObjectMeta = ObjectMeta()) { self.metadata = metadata }

    public struct NodeSpec: Codable, Sendable, Hashable {
        public var podCIDR: String?
        public var podCIDRs: [String]?
        public var providerID: String?
        public var unschedulable: Bool?
        public var taints: [Taint]?
        public init(podCIDR: String? = nil, unschedulable: Bool? = nil) {
            self.podCIDR = podCIDR
            self.unschedulable = unschedulable
        }
    }
    public struct Taint: Codable, Sendable, Hashable {
        public var key: String
        public var value: String?
        public var effect: String
        public var timeAdded: String?
    }
    public struct NodeStatus: Codable, Sendable, Hashable {
        public var capacity: [String: String]?
        public var allocatable: [String: String]?
        public var phase: String?
        public var conditions: [Condition]?
        public var addresses: [NodeAddress]?
        public var daemonEndpoints: JSONValue?
        public var nodeInfo: NodeSystemInfo?
        public var images: JSONValue?
        public init(conditions: [Condition]? = nil, addresses: [NodeAddress]? = nil) {
            self.conditions = conditions
            self.addresses = addresses
        }
    }
    public struct NodeAddress: Codable, Sendable, Hashable {
        public var type: String
        public var address: String
        public init(type: String, address: String) {
            self.type = type
            self.address = address
        }
    }
    public struct NodeSystemInfo: Codable, Sendable, Hashable {
        public var machineID: String?
        public var systemUUID: String?
        public var bootID: String?
        public var kernelVersion: String?
        public var osImage: String?
        public var containerRuntimeVersion: String?
        public var kubeletVersion: String?
        public var kubeProxyVersion: String?
        public var operatingSystem: String?
        public var architecture: String?
    }

    /// Ready condition is True and the node is not cordoned: the scheduler may place pods here.
    public var isReady: Bool { status?.conditions?.first { $0.type == "Ready" }?.status == "True" }
    public var isSchedulable: Bool { isReady && spec?.unschedulable != true }
}

public struct Pod: KubeObject, Hashable {
    public var apiVersion: String? = "v1"
    public var kind: String? = "Pod"
    public var metadata = ObjectMeta()
    public var spec = PodSpec()
    public var status: PodStatus?

    public init(metadata: ObjectMeta = ObjectMeta(), spec: PodSpec = PodSpec()) {
        self.metadata = metadata
        self.spec = spec
    }

    public var isTerminating: Bool { metadata.deletionTimestamp != nil }
    public var phase: String { status?.phase ?? "Pending" }
    /// The pod's Ready condition is True.
    public var isReady: Bool { status?.conditions?.first { $0.type == "Ready" }?.status == "True" }
    public var podIP: String? { status?.podIP.flatMap { $0.isEmpty ? nil : $0 } }
}

public struct PodSpec: Codable, Sendable, Hashable {
    public var containers: [Container] = []
    public var initContainers: [Container]?
    public var ephemeralContainers: JSONValue?
    public var volumes: JSONValue?
    public var restartPolicy: String?
    public var terminationGracePeriodSeconds: Int64?
    public var activeDeadlineSeconds: Int64?
    public var dnsPolicy: String?
    public var dnsConfig: JSONValue?
    public var nodeSelector: [String: String]?
    public var serviceAccountName: String?
    public var serviceAccount: String?
    public var automountServiceAccountToken: Bool?
    public var nodeName: String?
    public var hostNetwork: Bool?
    public var hostPID: Bool?
    public var hostIPC: Bool?
    public var shareProcessNamespace: Bool?
    public var securityContext: JSONValue?
    public var imagePullSecrets: JSONValue?
    public var hostname: String?
    public var subdomain: String?
    public var affinity: JSONValue?
    public var schedulerName: String?
    public var tolerations: JSONValue?
    public var hostAliases: JSONValue?
    public var priorityClassName: String?
    public var priority: Int?
    public var readinessGates: JSONValue?
    public var runtimeClassName: String?
    public var enableServiceLinks: Bool?
    public var preemptionPolicy: String?
    public var overhead: JSONValue?
    public var topologySpreadConstraints: JSONValue?
    public var setHostnameAsFQDN: Bool?
    public var os: JSONValue?
    public var hostUsers: Bool?
    public var schedulingGates: JSONValue?
    public var resourceClaims: JSONValue?
    public var resources: JSONValue?

    public init(containers: [Container] = []) { self.containers = containers }
}

public struct Container: Codable, Sendable, Hashable {
    public var name: String
    public var image: String?
    public var command: [String]?
    public var args: [String]?
    public var workingDir: String?
    public var ports: [ContainerPort]?
    public var envFrom: JSONValue?
    public var env: [EnvVar]?
    public var resources: JSONValue?
    public var resizePolicy: JSONValue?
    public var restartPolicy: String?
    public var volumeMounts: JSONValue?
    public var volumeDevices: JSONValue?
    public var livenessProbe: Probe?
    public var readinessProbe: Probe?
    public var startupProbe: Probe?
    public var lifecycle: JSONValue?
    public var terminationMessagePath: String?
    public var terminationMessagePolicy: String?
    public var imagePullPolicy: String?
    public var securityContext: JSONValue?
    public var stdin: Bool?
    public var stdinOnce: Bool?
    public var tty: Bool?

    public init(name: String, image: String? = nil) {
        self.name = name
        self.image = image
    }
}

public struct ContainerPort: Codable, Sendable, Hashable {
    public var name: String?
    public var hostPort: Int?
    public var containerPort: Int
    public var `protocol`: String?
    public var hostIP: String?
    public init(name: String? = nil, containerPort: Int, protocol: String? = "TCP") {
        self.name = name
        self.containerPort = containerPort
        self.protocol = `protocol`
    }
}

public struct EnvVar: Codable, Sendable, Hashable {
    public var name: String
    public var value: String?
    public var valueFrom: JSONValue?
}

public struct Probe: Codable, Sendable, Hashable {
    public struct ExecAction: Codable, Sendable, Hashable { public var command: [String]? }
    public struct HTTPGetAction: Codable, Sendable, Hashable {
        public var path: String?
        public var port: IntOrString
        public var host: String?
        public var scheme: String?
        public var httpHeaders: JSONValue?
    }
    public struct TCPSocketAction: Codable, Sendable, Hashable {
        public var port: IntOrString
        public var host: String?
    }
    public var exec: ExecAction?
    public var httpGet: HTTPGetAction?
    public var tcpSocket: TCPSocketAction?
    public var grpc: JSONValue?
    public var initialDelaySeconds: Int?
    public var timeoutSeconds: Int?
    public var periodSeconds: Int?
    public var successThreshold: Int?
    public var failureThreshold: Int?
    public var terminationGracePeriodSeconds: Int64?
}

public struct PodStatus: Codable, Sendable, Hashable {
    public var phase: String?
    public var conditions: [Condition]?
    public var message: String?
    public var reason: String?
    public var nominatedNodeName: String?
    public var hostIP: String?
    public var hostIPs: JSONValue?
    public var podIP: String?
    public var podIPs: [PodIP]?
    public var startTime: String?
    public var initContainerStatuses: [ContainerStatus]?
    public var containerStatuses: [ContainerStatus]?
    public var ephemeralContainerStatuses: JSONValue?
    public var qosClass: String?
    public var resize: String?
    public var resourceClaimStatuses: JSONValue?

    public init(phase: String? = nil) { self.phase = phase }

    public struct PodIP: Codable, Sendable, Hashable {
        public var ip: String
        public init(ip: String) { self.ip = ip }
    }
}

public struct ContainerStatus: Codable, Sendable, Hashable {
    public var name: String
    public var state: JSONValue?
    public var lastState: JSONValue?
    public var ready: Bool
    public var restartCount: Int
    public var image: String
    public var imageID: String
    public var containerID: String?
    public var started: Bool?
    public var allocatedResources: JSONValue?
    public var resources: JSONValue?
    public var volumeMounts: JSONValue?
    public var user: JSONValue?
    public var allocatedResourcesStatus: JSONValue?

    public init(name: String, ready: Bool, restartCount: Int, image: String, state: JSONValue? = nil) {
        self.name = name
        self.ready = ready
        self.restartCount = restartCount
        self.image = image
        self.imageID = ""
        self.state = state
    }
}

public struct PodTemplateSpec: Codable, Sendable, Hashable {
    public var metadata: ObjectMeta?
    public var spec: PodSpec?
}

public struct Deployment: KubeObject, Hashable {
    public var apiVersion: String? = "apps/v1"
    public var kind: String? = "Deployment"
    public var metadata = ObjectMeta()
    public var spec = DeploymentSpec()
    public var status: DeploymentStatus?

    public init(metadata: ObjectMeta = ObjectMeta()) { self.metadata = metadata }
}

public struct DeploymentSpec: Codable, Sendable, Hashable {
    public var replicas: Int?
    public var selector: LabelSelectorSpec?
    public var template = PodTemplateSpec()
    public var strategy: DeploymentStrategy?
    public var minReadySeconds: Int?
    public var revisionHistoryLimit: Int?
    public var paused: Bool?
    public var progressDeadlineSeconds: Int?

    public init() {}
}

public struct DeploymentStrategy: Codable, Sendable, Hashable {
    public struct RollingUpdate: Codable, Sendable, Hashable {
        public var maxUnavailable: IntOrString?
        public var maxSurge: IntOrString?
    }
    public var type: String?
    public var rollingUpdate: RollingUpdate?
}

public struct DeploymentStatus: Codable, Sendable, Hashable {
    public var observedGeneration: Int64?
    public var replicas: Int?
    public var updatedReplicas: Int?
    public var readyReplicas: Int?
    public var availableReplicas: Int?
    public var unavailableReplicas: Int?
    public var terminatingReplicas: Int?
    public var conditions: [Condition]?
    public var collisionCount: Int?
    public init() {}
}

public struct ReplicaSet: KubeObject, Hashable {
    public var apiVersion: String? = "apps/v1"
    public var kind: String? = "ReplicaSet"
    public var metadata = ObjectMeta()
    public var spec = ReplicaSetSpec()
    public var status: ReplicaSetStatus?

    public init(metadata: ObjectMeta = ObjectMeta()) { self.metadata = metadata }
}

public struct ReplicaSetSpec: Codable, Sendable, Hashable {
    public var replicas: Int?
    public var minReadySeconds: Int?
    public var selector: LabelSelectorSpec?
    public var template: PodTemplateSpec?
    public init() {}
}

public struct ReplicaSetStatus: Codable, Sendable, Hashable {
    public var replicas: Int
    public var fullyLabeledReplicas: Int?
    public var readyReplicas: Int?
    public var availableReplicas: Int?
    public var terminatingReplicas: Int?
    public var observedGeneration: Int64?
    public var conditions: [Condition]?
    public init(replicas: Int = 0) { self.replicas = replicas }
}

public struct Lease: KubeObject, Hashable {
    public var apiVersion: String? = "coordination.k8s.io/v1"
    public var kind: String? = "Lease"
    public var metadata = ObjectMeta()
    public var spec: LeaseSpec?

    public init(metadata: ObjectMeta = ObjectMeta()) { self.metadata = metadata }

    public struct LeaseSpec: Codable, Sendable, Hashable {
        public var holderIdentity: String?
        public var leaseDurationSeconds: Int?
        public var acquireTime: String?
        public var renewTime: String?
        public var leaseTransitions: Int?
        public var strategy: String?
        public var preferredHolder: String?
        public init(holderIdentity: String? = nil, leaseDurationSeconds: Int? = nil, renewTime: String? = nil) {
            self.holderIdentity = holderIdentity
            self.leaseDurationSeconds = leaseDurationSeconds
            self.renewTime = renewTime
        }
    }
}

/// autoscaling/v1 Scale, the `/scale` subresource of deployments and replicasets.
public struct Scale: KubeObject, Hashable {
    public var apiVersion: String? = "autoscaling/v1"
    public var kind: String? = "Scale"
    public var metadata = ObjectMeta()
    public var spec: ScaleSpec?
    public var status: ScaleStatus?

    public struct ScaleSpec: Codable, Sendable, Hashable { public var replicas: Int? }
    public struct ScaleStatus: Codable, Sendable, Hashable {
        public var replicas: Int
        public var selector: String?
    }
    public init(metadata: ObjectMeta, replicas: Int, statusReplicas: Int, selector: String?) {
        self.metadata = metadata
        self.spec = ScaleSpec(replicas: replicas)
        self.status = ScaleStatus(replicas: statusReplicas, selector: selector)
    }
}

/// v1 Binding, POSTed to `pods/{name}/binding` by schedulers.
public struct Binding: KubeObject, Hashable {
    public var apiVersion: String? = "v1"
    public var kind: String? = "Binding"
    public var metadata = ObjectMeta()
    public var target: ObjectReference
}
