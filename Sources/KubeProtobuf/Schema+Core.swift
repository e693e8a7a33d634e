// Rows for k8s.io/api core/v1: field numbers from its generated.proto, JSON names and Go pointer-ness
// (value, pointer, inline) from its types.go, as of upstream commit 10b39a39bcee.
// Released field numbers never change, so fields newer than a client simply never appear on its wire.

extension SchemaTable {
    /// Every message reachable from the covered root kinds, so that no field a client sets is silently dropped.
    mutating func addCore() {
        add("Pod", [
            .value(1, "metadata", .message("ObjectMeta")),
            .value(2, "spec", .message("PodSpec")),
            .value(3, "status", .message("PodStatus")),
        ])

        add("Service", [
            .value(1, "metadata", .message("ObjectMeta")),
            .value(2, "spec", .message("ServiceSpec")),
            .value(3, "status", .message("ServiceStatus")),
        ])

        add("Namespace", [
            .value(1, "metadata", .message("ObjectMeta")),
            .value(2, "spec", .message("NamespaceSpec")),
            .value(3, "status", .message("NamespaceStatus")),
        ])

        add("Node", [
            .value(1, "metadata", .message("ObjectMeta")),
            .value(2, "spec", .message("NodeSpec")),
            .value(3, "status", .message("NodeStatus")),
        ])

        add("PodSpec", [
            .list(1, "volumes", .message("Volume")),
            .list(2, "containers", .message("Container")),
            .value(3, "restartPolicy", .string),
            .pointer(4, "terminationGracePeriodSeconds", .int64),
            .pointer(5, "activeDeadlineSeconds", .int64),
            .value(6, "dnsPolicy", .string),
            .map(7, "nodeSelector", .string),
            .value(8, "serviceAccountName", .string),
            .value(9, "serviceAccount", .string),
            .value(10, "nodeName", .string),
            .value(11, "hostNetwork", .bool),
            .value(12, "hostPID", .bool),
            .value(13, "hostIPC", .bool),
            .pointer(14, "securityContext", .message("PodSecurityContext")),
            .list(15, "imagePullSecrets", .message("LocalObjectReference")),
            .value(16, "hostname", .string),
            .value(17, "subdomain", .string),
            .pointer(18, "affinity", .message("Affinity")),
            .value(19, "schedulerName", .string),
            .list(20, "initContainers", .message("Container")),
            .pointer(21, "automountServiceAccountToken", .bool),
            .list(22, "tolerations", .message("Toleration")),
            .list(23, "hostAliases", .message("HostAlias")),
            .value(24, "priorityClassName", .string),
            .pointer(25, "priority", .int32),
            .pointer(26, "dnsConfig", .message("PodDNSConfig")),
            .pointer(27, "shareProcessNamespace", .bool),
            .list(28, "readinessGates", .message("PodReadinessGate")),
            .pointer(29, "runtimeClassName", .string),
            .pointer(30, "enableServiceLinks", .bool),
            .pointer(31, "preemptionPolicy", .string),
            .map(32, "overhead", .quantity),
            .list(33, "topologySpreadConstraints", .message("TopologySpreadConstraint")),
            .list(34, "ephemeralContainers", .message("EphemeralContainer")),
            .pointer(35, "setHostnameAsFQDN", .bool),
            .pointer(36, "os", .message("PodOS")),
            .pointer(37, "hostUsers", .bool),
            .list(38, "schedulingGates", .message("PodSchedulingGate")),
            .list(39, "resourceClaims", .message("PodResourceClaim")),
            .pointer(40, "resources", .message("ResourceRequirements")),
            .pointer(41, "hostnameOverride", .string),
            .pointer(43, "schedulingGroup", .message("PodSchedulingGroup")),
            .list(44, "evictionResponders", .message("EvictionResponder")),
        ])

        add("PodStatus", [
            .value(1, "phase", .string),
            .list(2, "conditions", .message("PodCondition")),
            .value(3, "message", .string),
            .value(4, "reason", .string),
            .value(5, "hostIP", .string),
            .value(6, "podIP", .string),
            .pointer(7, "startTime", .time),
            .list(8, "containerStatuses", .message("ContainerStatus")),
            .value(9, "qosClass", .string),
            .list(10, "initContainerStatuses", .message("ContainerStatus")),
            .value(11, "nominatedNodeName", .string),
            .list(12, "podIPs", .message("PodIP")),
            .list(13, "ephemeralContainerStatuses", .message("ContainerStatus")),
            .value(14, "resize", .string),
            .list(15, "resourceClaimStatuses", .message("PodResourceClaimStatus")),
            .list(16, "hostIPs", .message("HostIP")),
            .value(17, "observedGeneration", .int64),
            .pointer(18, "extendedResourceClaimStatus", .message("PodExtendedResourceClaimStatus")),
            .map(19, "allocatedResources", .quantity),
            .pointer(20, "resources", .message("ResourceRequirements")),
            .list(21, "nodeAllocatableResourceClaimStatuses", .message("NodeAllocatableResourceClaimStatus")),
            .list(22, "volumeHealth", .message("PodVolumeHealth")),
        ])

        add("ServiceSpec", [
            .list(1, "ports", .message("ServicePort")),
            .map(2, "selector", .string),
            .value(3, "clusterIP", .string),
            .value(4, "type", .string),
            .list(5, "externalIPs", .string),
            .value(7, "sessionAffinity", .string),
            .value(8, "loadBalancerIP", .string),
            .list(9, "loadBalancerSourceRanges", .string),
            .value(10, "externalName", .string),
            .value(11, "externalTrafficPolicy", .string),
            .value(12, "healthCheckNodePort", .int32),
            .value(13, "publishNotReadyAddresses", .bool),
            .pointer(14, "sessionAffinityConfig", .message("SessionAffinityConfig")),
            .pointer(17, "ipFamilyPolicy", .string),
            .list(18, "clusterIPs", .string),
            .list(19, "ipFamilies", .string),
            .pointer(20, "allocateLoadBalancerNodePorts", .bool),
            .pointer(21, "loadBalancerClass", .string),
            .pointer(22, "internalTrafficPolicy", .string),
            .pointer(23, "trafficDistribution", .string),
        ])

        add("ServiceStatus", [
            .value(1, "loadBalancer", .message("LoadBalancerStatus")),
            .list(2, "conditions", .message("Condition")),
        ])

        add("NamespaceSpec", [
            .list(1, "finalizers", .string),
        ])

        add("NamespaceStatus", [
            .value(1, "phase", .string),
            .list(2, "conditions", .message("NamespaceCondition")),
        ])

        add("NodeSpec", [
            .value(1, "podCIDR", .string),
            .value(2, "externalID", .string),
            .value(3, "providerID", .string),
            .value(4, "unschedulable", .bool),
            .list(5, "taints", .message("Taint")),
            .pointer(6, "configSource", .message("NodeConfigSource")),
            .list(7, "podCIDRs", .string),
            .pointer(8, "podPreemptionPolicy", .message("NodePodPreemptionPolicy")),
        ])

        add("NodeStatus", [
            .map(1, "capacity", .quantity),
            .map(2, "allocatable", .quantity),
            .value(3, "phase", .string),
            .list(4, "conditions", .message("NodeCondition")),
            .list(5, "addresses", .message("NodeAddress")),
            .value(6, "daemonEndpoints", .message("NodeDaemonEndpoints")),
            .value(7, "nodeInfo", .message("NodeSystemInfo")),
            .list(8, "images", .message("ContainerImage")),
            .list(9, "volumesInUse", .string),
            .list(10, "volumesAttached", .message("AttachedVolume")),
            .pointer(11, "config", .message("NodeConfigStatus")),
            .list(12, "runtimeHandlers", .message("NodeRuntimeHandler")),
            .pointer(13, "features", .message("NodeFeatures")),
            .list(14, "declaredFeatures", .string),
        ])

        add("PodTemplateSpec", [
            .value(1, "metadata", .message("ObjectMeta")),
            .value(2, "spec", .message("PodSpec")),
        ])

        add("Volume", [
            .value(1, "name", .string),
            .inline(2, "VolumeSource"),
        ])

        add("Container", [
            .value(1, "name", .string),
            .value(2, "image", .string),
            .list(3, "command", .string),
            .list(4, "args", .string),
            .value(5, "workingDir", .string),
            .list(6, "ports", .message("ContainerPort")),
            .list(7, "env", .message("EnvVar")),
            .value(8, "resources", .message("ResourceRequirements")),
            .list(9, "volumeMounts", .message("VolumeMount")),
            .pointer(10, "livenessProbe", .message("Probe")),
            .pointer(11, "readinessProbe", .message("Probe")),
            .pointer(12, "lifecycle", .message("Lifecycle")),
            .value(13, "terminationMessagePath", .string),
            .value(14, "imagePullPolicy", .string),
            .pointer(15, "securityContext", .message("SecurityContext")),
            .value(16, "stdin", .bool),
            .value(17, "stdinOnce", .bool),
            .value(18, "tty", .bool),
            .list(19, "envFrom", .message("EnvFromSource")),
            .value(20, "terminationMessagePolicy", .string),
            .list(21, "volumeDevices", .message("VolumeDevice")),
            .pointer(22, "startupProbe", .message("Probe")),
            .list(23, "resizePolicy", .message("ContainerResizePolicy")),
            .pointer(24, "restartPolicy", .string),
            .list(25, "restartPolicyRules", .message("ContainerRestartRule")),
        ])

        add("PodSecurityContext", [
            .pointer(1, "seLinuxOptions", .message("SELinuxOptions")),
            .pointer(2, "runAsUser", .int64),
            .pointer(3, "runAsNonRoot", .bool),
            .list(4, "supplementalGroups", .int64),
            .pointer(5, "fsGroup", .int64),
            .pointer(6, "runAsGroup", .int64),
            .list(7, "sysctls", .message("Sysctl")),
            .pointer(8, "windowsOptions", .message("WindowsSecurityContextOptions")),
            .pointer(9, "fsGroupChangePolicy", .string),
            .pointer(10, "seccompProfile", .message("SeccompProfile")),
            .pointer(11, "appArmorProfile", .message("AppArmorProfile")),
            .pointer(12, "supplementalGroupsPolicy", .string),
            .pointer(13, "seLinuxChangePolicy", .string),
        ])

        add("LocalObjectReference", [
            .value(1, "name", .string),
        ])

        add("Affinity", [
            .pointer(1, "nodeAffinity", .message("NodeAffinity")),
            .pointer(2, "podAffinity", .message("PodAffinity")),
            .pointer(3, "podAntiAffinity", .message("PodAntiAffinity")),
        ])

        add("Toleration", [
            .value(1, "key", .string),
            .value(2, "operator", .string),
            .value(3, "value", .string),
            .value(4, "effect", .string),
            .pointer(5, "tolerationSeconds", .int64),
        ])

        add("HostAlias", [
            .value(1, "ip", .string),
            .list(2, "hostnames", .string),
        ])

        add("PodDNSConfig", [
            .list(1, "nameservers", .string),
            .list(2, "searches", .string),
            .list(3, "options", .message("PodDNSConfigOption")),
        ])

        add("PodReadinessGate", [
            .value(1, "conditionType", .string),
        ])

        add("TopologySpreadConstraint", [
            .value(1, "maxSkew", .int32),
            .value(2, "topologyKey", .string),
            .value(3, "whenUnsatisfiable", .string),
            .pointer(4, "labelSelector", .message("LabelSelector")),
            .pointer(5, "minDomains", .int32),
            .pointer(6, "nodeAffinityPolicy", .string),
            .pointer(7, "nodeTaintsPolicy", .string),
            .list(8, "matchLabelKeys", .string),
        ])

        add("EphemeralContainer", [
            .inline(1, "EphemeralContainerCommon"),
            .value(2, "targetContainerName", .string),
        ])

        add("PodOS", [
            .value(1, "name", .string),
        ])

        add("PodSchedulingGate", [
            .value(1, "name", .string),
        ])

        add("PodResourceClaim", [
            .value(1, "name", .string),
            .pointer(3, "resourceClaimName", .string),
            .pointer(4, "resourceClaimTemplateName", .string),
        ])

        add("ResourceRequirements", [
            .map(1, "limits", .quantity),
            .map(2, "requests", .quantity),
            .list(3, "claims", .message("ResourceClaim")),
        ])

        add("PodSchedulingGroup", [
            .pointer(1, "podGroupName", .string),
        ])

        add("EvictionResponder", [
            .value(1, "name", .string),
            .pointer(2, "priority", .int32),
        ])

        add("PodCondition", [
            .value(1, "type", .string),
            .value(2, "status", .string),
            .value(3, "lastProbeTime", .time),
            .value(4, "lastTransitionTime", .time),
            .value(5, "reason", .string),
            .value(6, "message", .string),
            .value(7, "observedGeneration", .int64),
        ])

        add("ContainerStatus", [
            .value(1, "name", .string),
            .value(2, "state", .message("ContainerState")),
            .value(3, "lastState", .message("ContainerState")),
            .value(4, "ready", .bool),
            .value(5, "restartCount", .int32),
            .value(6, "image", .string),
            .value(7, "imageID", .string),
            .value(8, "containerID", .string),
            .pointer(9, "started", .bool),
            .map(10, "allocatedResources", .quantity),
            .pointer(11, "resources", .message("ResourceRequirements")),
            .list(12, "volumeMounts", .message("VolumeMountStatus")),
            .pointer(13, "user", .message("ContainerUser")),
            .list(14, "allocatedResourcesStatus", .message("ResourceStatus")),
            .pointer(15, "stopSignal", .string),
        ])

        add("PodIP", [
            .value(1, "ip", .string),
        ])

        add("PodResourceClaimStatus", [
            .value(1, "name", .string),
            .pointer(2, "resourceClaimName", .string),
        ])

        add("HostIP", [
            .value(1, "ip", .string),
        ])

        add("PodExtendedResourceClaimStatus", [
            .list(1, "requestMappings", .message("ContainerExtendedResourceRequest")),
            .value(2, "resourceClaimName", .string),
        ])

        add("NodeAllocatableResourceClaimStatus", [
            .value(1, "resourceClaimName", .string),
            .list(2, "containers", .string),
            .list(4, "mapping", .message("NodeAllocatableMappedResources")),
            .list(5, "overhead", .message("NodeAllocatableOverheadResources")),
        ])

        add("PodVolumeHealth", [
            .value(1, "name", .string),
            .list(2, "healthConditions", .message("VolumeHealthCondition")),
            .value(3, "lastTransitionTime", .time),
        ])

        add("ServicePort", [
            .value(1, "name", .string),
            .value(2, "protocol", .string),
            .value(3, "port", .int32),
            .value(4, "targetPort", .intOrString),
            .value(5, "nodePort", .int32),
            .pointer(6, "appProtocol", .string),
        ])

        add("SessionAffinityConfig", [
            .pointer(1, "clientIP", .message("ClientIPConfig")),
        ])

        add("LoadBalancerStatus", [
            .list(1, "ingress", .message("LoadBalancerIngress")),
        ])

        add("NamespaceCondition", [
            .value(1, "type", .string),
            .value(2, "status", .string),
            .value(4, "lastTransitionTime", .time),
            .value(5, "reason", .string),
            .value(6, "message", .string),
        ])

        add("Taint", [
            .value(1, "key", .string),
            .value(2, "value", .string),
            .value(3, "effect", .string),
            .pointer(4, "timeAdded", .time),
        ])

        add("NodeConfigSource", [
            .pointer(2, "configMap", .message("ConfigMapNodeConfigSource")),
        ])

        add("NodePodPreemptionPolicy", [
            .list(1, "disableResizePreemption", .string),
        ])

        add("NodeCondition", [
            .value(1, "type", .string),
            .value(2, "status", .string),
            .value(3, "lastHeartbeatTime", .time),
            .value(4, "lastTransitionTime", .time),
            .value(5, "reason", .string),
            .value(6, "message", .string),
        ])

        add("NodeAddress", [
            .value(1, "type", .string),
            .value(2, "address", .string),
        ])

        add("NodeDaemonEndpoints", [
            .value(1, "kubeletEndpoint", .message("DaemonEndpoint")),
        ])

        add("NodeSystemInfo", [
            .value(1, "machineID", .string),
            .value(2, "systemUUID", .string),
            .value(3, "bootID", .string),
            .value(4, "kernelVersion", .string),
            .value(5, "osImage", .string),
            .value(6, "containerRuntimeVersion", .string),
            .value(7, "kubeletVersion", .string),
            .value(8, "kubeProxyVersion", .string),
            .value(9, "operatingSystem", .string),
            .value(10, "architecture", .string),
            .pointer(11, "swap", .message("NodeSwapStatus")),
        ])

        add("ContainerImage", [
            .list(1, "names", .string),
            .value(2, "sizeBytes", .int64),
        ])

        add("AttachedVolume", [
            .value(1, "name", .string),
            .value(2, "devicePath", .string),
        ])

        add("NodeConfigStatus", [
            .pointer(1, "assigned", .message("NodeConfigSource")),
            .pointer(2, "active", .message("NodeConfigSource")),
            .pointer(3, "lastKnownGood", .message("NodeConfigSource")),
            .value(4, "error", .string),
        ])

        add("NodeRuntimeHandler", [
            .value(1, "name", .string),
            .pointer(2, "features", .message("NodeRuntimeHandlerFeatures")),
        ])

        add("NodeFeatures", [
            .pointer(1, "supplementalGroupsPolicy", .bool),
        ])

        add("VolumeSource", [
            .pointer(1, "hostPath", .message("HostPathVolumeSource")),
            .pointer(2, "emptyDir", .message("EmptyDirVolumeSource")),
            .pointer(3, "gcePersistentDisk", .message("GCEPersistentDiskVolumeSource")),
            .pointer(4, "awsElasticBlockStore", .message("AWSElasticBlockStoreVolumeSource")),
            .pointer(5, "gitRepo", .message("GitRepoVolumeSource")),
            .pointer(6, "secret", .message("SecretVolumeSource")),
            .pointer(7, "nfs", .message("NFSVolumeSource")),
            .pointer(8, "iscsi", .message("ISCSIVolumeSource")),
            .pointer(9, "glusterfs", .message("GlusterfsVolumeSource")),
            .pointer(10, "persistentVolumeClaim", .message("PersistentVolumeClaimVolumeSource")),
            .pointer(11, "rbd", .message("RBDVolumeSource")),
            .pointer(12, "flexVolume", .message("FlexVolumeSource")),
            .pointer(13, "cinder", .message("CinderVolumeSource")),
            .pointer(14, "cephfs", .message("CephFSVolumeSource")),
            .pointer(15, "flocker", .message("FlockerVolumeSource")),
            .pointer(16, "downwardAPI", .message("DownwardAPIVolumeSource")),
            .pointer(17, "fc", .message("FCVolumeSource")),
            .pointer(18, "azureFile", .message("AzureFileVolumeSource")),
            .pointer(19, "configMap", .message("ConfigMapVolumeSource")),
            .pointer(20, "vsphereVolume", .message("VsphereVirtualDiskVolumeSource")),
            .pointer(21, "quobyte", .message("QuobyteVolumeSource")),
            .pointer(22, "azureDisk", .message("AzureDiskVolumeSource")),
            .pointer(23, "photonPersistentDisk", .message("PhotonPersistentDiskVolumeSource")),
            .pointer(24, "portworxVolume", .message("PortworxVolumeSource")),
            .pointer(25, "scaleIO", .message("ScaleIOVolumeSource")),
            .pointer(26, "projected", .message("ProjectedVolumeSource")),
            .pointer(27, "storageos", .message("StorageOSVolumeSource")),
            .pointer(28, "csi", .message("CSIVolumeSource")),
            .pointer(29, "ephemeral", .message("EphemeralVolumeSource")),
            .pointer(30, "image", .message("ImageVolumeSource")),
        ])

        add("ContainerPort", [
            .value(1, "name", .string),
            .value(2, "hostPort", .int32),
            .value(3, "containerPort", .int32),
            .value(4, "protocol", .string),
            .value(5, "hostIP", .string),
        ])

        add("EnvVar", [
            .value(1, "name", .string),
            .value(2, "value", .string),
            .pointer(3, "valueFrom", .message("EnvVarSource")),
        ])

        add("VolumeMount", [
            .value(1, "name", .string),
            .value(2, "readOnly", .bool),
            .value(3, "mountPath", .string),
            .value(4, "subPath", .string),
            .pointer(5, "mountPropagation", .string),
            .value(6, "subPathExpr", .string),
            .pointer(7, "recursiveReadOnly", .string),
            .list(8, "bindMountOptions", .string),
        ])

        add("Probe", [
            .inline(1, "ProbeHandler"),
            .value(2, "initialDelaySeconds", .int32),
            .value(3, "timeoutSeconds", .int32),
            .value(4, "periodSeconds", .int32),
            .value(5, "successThreshold", .int32),
            .value(6, "failureThreshold", .int32),
            .pointer(7, "terminationGracePeriodSeconds", .int64),
        ])

        add("Lifecycle", [
            .pointer(1, "postStart", .message("LifecycleHandler")),
            .pointer(2, "preStop", .message("LifecycleHandler")),
            .pointer(3, "stopSignal", .string),
        ])

        add("SecurityContext", [
            .pointer(1, "capabilities", .message("Capabilities")),
            .pointer(2, "privileged", .bool),
            .pointer(3, "seLinuxOptions", .message("SELinuxOptions")),
            .pointer(4, "runAsUser", .int64),
            .pointer(5, "runAsNonRoot", .bool),
            .pointer(6, "readOnlyRootFilesystem", .bool),
            .pointer(7, "allowPrivilegeEscalation", .bool),
            .pointer(8, "runAsGroup", .int64),
            .pointer(9, "procMount", .string),
            .pointer(10, "windowsOptions", .message("WindowsSecurityContextOptions")),
            .pointer(11, "seccompProfile", .message("SeccompProfile")),
            .pointer(12, "appArmorProfile", .message("AppArmorProfile")),
        ])

        add("EnvFromSource", [
            .value(1, "prefix", .string),
            .pointer(2, "configMapRef", .message("ConfigMapEnvSource")),
            .pointer(3, "secretRef", .message("SecretEnvSource")),
        ])

        add("VolumeDevice", [
            .value(1, "name", .string),
            .value(2, "devicePath", .string),
        ])

        add("ContainerResizePolicy", [
            .value(1, "resourceName", .string),
            .value(2, "restartPolicy", .string),
        ])

        add("ContainerRestartRule", [
            .value(1, "action", .string),
            .pointer(2, "exitCodes", .message("ContainerRestartRuleOnExitCodes")),
        ])

        add("SELinuxOptions", [
            .value(1, "user", .string),
            .value(2, "role", .string),
            .value(3, "type", .string),
            .value(4, "level", .string),
        ])

        add("Sysctl", [
            .value(1, "name", .string),
            .value(2, "value", .string),
        ])

        add("WindowsSecurityContextOptions", [
            .pointer(1, "gmsaCredentialSpecName", .string),
            .pointer(2, "gmsaCredentialSpec", .string),
            .pointer(3, "runAsUserName", .string),
            .pointer(4, "hostProcess", .bool),
        ])

        add("SeccompProfile", [
            .value(1, "type", .string),
            .pointer(2, "localhostProfile", .string),
        ])

        add("AppArmorProfile", [
            .value(1, "type", .string),
            .pointer(2, "localhostProfile", .string),
        ])

        add("NodeAffinity", [
            .pointer(1, "requiredDuringSchedulingIgnoredDuringExecution", .message("NodeSelector")),
            .list(2, "preferredDuringSchedulingIgnoredDuringExecution", .message("PreferredSchedulingTerm")),
        ])

        add("PodAffinity", [
            .list(1, "requiredDuringSchedulingIgnoredDuringExecution", .message("PodAffinityTerm")),
            .list(2, "preferredDuringSchedulingIgnoredDuringExecution", .message("WeightedPodAffinityTerm")),
        ])

        add("PodAntiAffinity", [
            .list(1, "requiredDuringSchedulingIgnoredDuringExecution", .message("PodAffinityTerm")),
            .list(2, "preferredDuringSchedulingIgnoredDuringExecution", .message("WeightedPodAffinityTerm")),
        ])

        add("PodDNSConfigOption", [
            .value(1, "name", .string),
            .pointer(2, "value", .string),
        ])

        add("EphemeralContainerCommon", [
            .value(1, "name", .string),
            .value(2, "image", .string),
            .list(3, "command", .string),
            .list(4, "args", .string),
            .value(5, "workingDir", .string),
            .list(6, "ports", .message("ContainerPort")),
            .list(7, "env", .message("EnvVar")),
            .value(8, "resources", .message("ResourceRequirements")),
            .list(9, "volumeMounts", .message("VolumeMount")),
            .pointer(10, "livenessProbe", .message("Probe")),
            .pointer(11, "readinessProbe", .message("Probe")),
            .pointer(12, "lifecycle", .message("Lifecycle")),
            .value(13, "terminationMessagePath", .string),
            .value(14, "imagePullPolicy", .string),
            .pointer(15, "securityContext", .message("SecurityContext")),
            .value(16, "stdin", .bool),
            .value(17, "stdinOnce", .bool),
            .value(18, "tty", .bool),
            .list(19, "envFrom", .message("EnvFromSource")),
            .value(20, "terminationMessagePolicy", .string),
            .list(21, "volumeDevices", .message("VolumeDevice")),
            .pointer(22, "startupProbe", .message("Probe")),
            .list(23, "resizePolicy", .message("ContainerResizePolicy")),
            .pointer(24, "restartPolicy", .string),
            .list(25, "restartPolicyRules", .message("ContainerRestartRule")),
        ])

        add("ResourceClaim", [
            .value(1, "name", .string),
            .value(2, "request", .string),
        ])

        add("ContainerState", [
            .pointer(1, "waiting", .message("ContainerStateWaiting")),
            .pointer(2, "running", .message("ContainerStateRunning")),
            .pointer(3, "terminated", .message("ContainerStateTerminated")),
        ])

        add("VolumeMountStatus", [
            .value(1, "name", .string),
            .value(2, "mountPath", .string),
            .value(3, "readOnly", .bool),
            .pointer(4, "recursiveReadOnly", .string),
            .pointer(5, "volumeStatus", .message("VolumeStatus")),
        ])

        add("ContainerUser", [
            .pointer(1, "linux", .message("LinuxContainerUser")),
        ])

        add("ResourceStatus", [
            .value(1, "name", .string),
            .list(2, "resources", .message("ResourceHealth")),
        ])

        add("ContainerExtendedResourceRequest", [
            .value(1, "containerName", .string),
            .value(2, "resourceName", .string),
            .value(3, "requestName", .string),
        ])

        add("NodeAllocatableMappedResources", [
            .value(1, "name", .string),
            .pointer(2, "quantity", .quantity),
        ])

        add("NodeAllocatableOverheadResources", [
            .value(1, "name", .string),
            .pointer(2, "perPod", .quantity),
            .pointer(3, "perContainer", .quantity),
        ])

        add("VolumeHealthCondition", [
            .value(1, "status", .string),
            .value(2, "reason", .string),
            .value(3, "message", .string),
        ])

        add("ClientIPConfig", [
            .pointer(1, "timeoutSeconds", .int32),
        ])

        add("LoadBalancerIngress", [
            .value(1, "ip", .string),
            .value(2, "hostname", .string),
            .pointer(3, "ipMode", .string),
            .list(4, "ports", .message("PortStatus")),
        ])

        add("ConfigMapNodeConfigSource", [
            .value(1, "namespace", .string),
            .value(2, "name", .string),
            .value(3, "uid", .string),
            .value(4, "resourceVersion", .string),
            .value(5, "kubeletConfigKey", .string),
        ])

        add("DaemonEndpoint", [
            .value(1, "Port", .int32),
        ])

        add("NodeSwapStatus", [
            .pointer(1, "capacity", .int64),
        ])

        add("NodeRuntimeHandlerFeatures", [
            .pointer(1, "recursiveReadOnlyMounts", .bool),
            .pointer(2, "userNamespaces", .bool),
        ])

        add("HostPathVolumeSource", [
            .value(1, "path", .string),
            .pointer(2, "type", .string),
        ])

        add("EmptyDirVolumeSource", [
            .value(1, "medium", .string),
            .pointer(2, "sizeLimit", .quantity),
            .pointer(3, "mode", .int32),
        ])

        add("GCEPersistentDiskVolumeSource", [
            .value(1, "pdName", .string),
            .value(2, "fsType", .string),
            .value(3, "partition", .int32),
            .value(4, "readOnly", .bool),
        ])

        add("AWSElasticBlockStoreVolumeSource", [
            .value(1, "volumeID", .string),
            .value(2, "fsType", .string),
            .value(3, "partition", .int32),
            .value(4, "readOnly", .bool),
        ])

        add("GitRepoVolumeSource", [
            .value(1, "repository", .string),
            .value(2, "revision", .string),
            .value(3, "directory", .string),
        ])

        add("SecretVolumeSource", [
            .value(1, "secretName", .string),
            .list(2, "items", .message("KeyToPath")),
            .pointer(3, "defaultMode", .int32),
            .pointer(4, "optional", .bool),
            .pointer(5, "defaultUser", .int64),
        ])

        add("NFSVolumeSource", [
            .value(1, "server", .string),
            .value(2, "path", .string),
            .value(3, "readOnly", .bool),
        ])

        add("ISCSIVolumeSource", [
            .value(1, "targetPortal", .string),
            .value(2, "iqn", .string),
            .value(3, "lun", .int32),
            .value(4, "iscsiInterface", .string),
            .value(5, "fsType", .string),
            .value(6, "readOnly", .bool),
            .list(7, "portals", .string),
            .value(8, "chapAuthDiscovery", .bool),
            .pointer(10, "secretRef", .message("LocalObjectReference")),
            .value(11, "chapAuthSession", .bool),
            .pointer(12, "initiatorName", .string),
        ])

        add("GlusterfsVolumeSource", [
            .value(1, "endpoints", .string),
            .value(2, "path", .string),
            .value(3, "readOnly", .bool),
        ])

        add("PersistentVolumeClaimVolumeSource", [
            .value(1, "claimName", .string),
            .value(2, "readOnly", .bool),
        ])

        add("RBDVolumeSource", [
            .list(1, "monitors", .string),
            .value(2, "image", .string),
            .value(3, "fsType", .string),
            .value(4, "pool", .string),
            .value(5, "user", .string),
            .value(6, "keyring", .string),
            .pointer(7, "secretRef", .message("LocalObjectReference")),
            .value(8, "readOnly", .bool),
        ])

        add("FlexVolumeSource", [
            .value(1, "driver", .string),
            .value(2, "fsType", .string),
            .pointer(3, "secretRef", .message("LocalObjectReference")),
            .value(4, "readOnly", .bool),
            .map(5, "options", .string),
        ])

        add("CinderVolumeSource", [
            .value(1, "volumeID", .string),
            .value(2, "fsType", .string),
            .value(3, "readOnly", .bool),
            .pointer(4, "secretRef", .message("LocalObjectReference")),
        ])

        add("CephFSVolumeSource", [
            .list(1, "monitors", .string),
            .value(2, "path", .string),
            .value(3, "user", .string),
            .value(4, "secretFile", .string),
            .pointer(5, "secretRef", .message("LocalObjectReference")),
            .value(6, "readOnly", .bool),
        ])

        add("FlockerVolumeSource", [
            .value(1, "datasetName", .string),
            .value(2, "datasetUUID", .string),
        ])

        add("DownwardAPIVolumeSource", [
            .list(1, "items", .message("DownwardAPIVolumeFile")),
            .pointer(2, "defaultMode", .int32),
            .pointer(3, "defaultUser", .int64),
        ])

        add("FCVolumeSource", [
            .list(1, "targetWWNs", .string),
            .pointer(2, "lun", .int32),
            .value(3, "fsType", .string),
            .value(4, "readOnly", .bool),
            .list(5, "wwids", .string),
        ])

        add("AzureFileVolumeSource", [
            .value(1, "secretName", .string),
            .value(2, "shareName", .string),
            .value(3, "readOnly", .bool),
        ])

        add("ConfigMapVolumeSource", [
            .inline(1, "LocalObjectReference"),
            .list(2, "items", .message("KeyToPath")),
            .pointer(3, "defaultMode", .int32),
            .pointer(4, "optional", .bool),
            .pointer(5, "defaultUser", .int64),
        ])

        add("VsphereVirtualDiskVolumeSource", [
            .value(1, "volumePath", .string),
            .value(2, "fsType", .string),
            .value(3, "storagePolicyName", .string),
            .value(4, "storagePolicyID", .string),
        ])

        add("QuobyteVolumeSource", [
            .value(1, "registry", .string),
            .value(2, "volume", .string),
            .value(3, "readOnly", .bool),
            .value(4, "user", .string),
            .value(5, "group", .string),
            .value(6, "tenant", .string),
        ])

        add("AzureDiskVolumeSource", [
            .value(1, "diskName", .string),
            .value(2, "diskURI", .string),
            .pointer(3, "cachingMode", .string),
            .pointer(4, "fsType", .string),
            .pointer(5, "readOnly", .bool),
            .pointer(6, "kind", .string),
        ])

        add("PhotonPersistentDiskVolumeSource", [
            .value(1, "pdID", .string),
            .value(2, "fsType", .string),
        ])

        add("PortworxVolumeSource", [
            .value(1, "volumeID", .string),
            .value(2, "fsType", .string),
            .value(3, "readOnly", .bool),
        ])

        add("ScaleIOVolumeSource", [
            .value(1, "gateway", .string),
            .value(2, "system", .string),
            .pointer(3, "secretRef", .message("LocalObjectReference")),
            .value(4, "sslEnabled", .bool),
            .value(5, "protectionDomain", .string),
            .value(6, "storagePool", .string),
            .value(7, "storageMode", .string),
            .value(8, "volumeName", .string),
            .value(9, "fsType", .string),
            .value(10, "readOnly", .bool),
        ])

        add("ProjectedVolumeSource", [
            .list(1, "sources", .message("VolumeProjection")),
            .pointer(2, "defaultMode", .int32),
            .pointer(3, "defaultUser", .int64),
        ])

        add("StorageOSVolumeSource", [
            .value(1, "volumeName", .string),
            .value(2, "volumeNamespace", .string),
            .value(3, "fsType", .string),
            .value(4, "readOnly", .bool),
            .pointer(5, "secretRef", .message("LocalObjectReference")),
        ])

        add("CSIVolumeSource", [
            .value(1, "driver", .string),
            .pointer(2, "readOnly", .bool),
            .pointer(3, "fsType", .string),
            .map(4, "volumeAttributes", .string),
            .pointer(5, "nodePublishSecretRef", .message("LocalObjectReference")),
        ])

        add("EphemeralVolumeSource", [
            .pointer(1, "volumeClaimTemplate", .message("PersistentVolumeClaimTemplate")),
        ])

        add("ImageVolumeSource", [
            .value(1, "reference", .string),
            .value(2, "pullPolicy", .string),
        ])

        add("EnvVarSource", [
            .pointer(1, "fieldRef", .message("ObjectFieldSelector")),
            .pointer(2, "resourceFieldRef", .message("ResourceFieldSelector")),
            .pointer(3, "configMapKeyRef", .message("ConfigMapKeySelector")),
            .pointer(4, "secretKeyRef", .message("SecretKeySelector")),
            .pointer(5, "fileKeyRef", .message("FileKeySelector")),
        ])

        add("ProbeHandler", [
            .pointer(1, "exec", .message("ExecAction")),
            .pointer(2, "httpGet", .message("HTTPGetAction")),
            .pointer(3, "tcpSocket", .message("TCPSocketAction")),
            .pointer(4, "grpc", .message("GRPCAction")),
        ])

        add("LifecycleHandler", [
            .pointer(1, "exec", .message("ExecAction")),
            .pointer(2, "httpGet", .message("HTTPGetAction")),
            .pointer(3, "tcpSocket", .message("TCPSocketAction")),
            .pointer(4, "sleep", .message("SleepAction")),
        ])

        add("Capabilities", [
            .list(1, "add", .string),
            .list(2, "drop", .string),
        ])

        add("ConfigMapEnvSource", [
            .inline(1, "LocalObjectReference"),
            .pointer(2, "optional", .bool),
        ])

        add("SecretEnvSource", [
            .inline(1, "LocalObjectReference"),
            .pointer(2, "optional", .bool),
        ])

        add("ContainerRestartRuleOnExitCodes", [
            .value(1, "operator", .string),
            .list(2, "values", .int32),
        ])

        add("NodeSelector", [
            .list(1, "nodeSelectorTerms", .message("NodeSelectorTerm")),
        ])

        add("PreferredSchedulingTerm", [
            .value(1, "weight", .int32),
            .value(2, "preference", .message("NodeSelectorTerm")),
        ])

        add("PodAffinityTerm", [
            .pointer(1, "labelSelector", .message("LabelSelector")),
            .list(2, "namespaces", .string),
            .value(3, "topologyKey", .string),
            .pointer(4, "namespaceSelector", .message("LabelSelector")),
            .list(5, "matchLabelKeys", .string),
            .list(6, "mismatchLabelKeys", .string),
        ])

        add("WeightedPodAffinityTerm", [
            .value(1, "weight", .int32),
            .value(2, "podAffinityTerm", .message("PodAffinityTerm")),
        ])

        add("ContainerStateWaiting", [
            .value(1, "reason", .string),
            .value(2, "message", .string),
        ])

        add("ContainerStateRunning", [
            .value(1, "startedAt", .time),
        ])

        add("ContainerStateTerminated", [
            .value(1, "exitCode", .int32),
            .value(2, "signal", .int32),
            .value(3, "reason", .string),
            .value(4, "message", .string),
            .value(5, "startedAt", .time),
            .value(6, "finishedAt", .time),
            .value(7, "containerID", .string),
        ])

        add("VolumeStatus", [
            .pointer(1, "image", .message("ImageVolumeStatus")),
        ])

        add("LinuxContainerUser", [
            .value(1, "uid", .int64),
            .value(2, "gid", .int64),
            .list(3, "supplementalGroups", .int64),
        ])

        add("ResourceHealth", [
            .value(1, "resourceID", .string),
            .value(2, "health", .string),
            .pointer(6, "message", .string),
        ])

        add("PortStatus", [
            .value(1, "port", .int32),
            .value(2, "protocol", .string),
            .pointer(3, "error", .string),
        ])

        add("KeyToPath", [
            .value(1, "key", .string),
            .value(2, "path", .string),
            .pointer(3, "mode", .int32),
            .pointer(4, "user", .int64),
        ])

        add("DownwardAPIVolumeFile", [
            .value(1, "path", .string),
            .pointer(2, "fieldRef", .message("ObjectFieldSelector")),
            .pointer(3, "resourceFieldRef", .message("ResourceFieldSelector")),
            .pointer(4, "mode", .int32),
            .pointer(5, "user", .int64),
        ])

        add("VolumeProjection", [
            .pointer(1, "secret", .message("SecretProjection")),
            .pointer(2, "downwardAPI", .message("DownwardAPIProjection")),
            .pointer(3, "configMap", .message("ConfigMapProjection")),
            .pointer(4, "serviceAccountToken", .message("ServiceAccountTokenProjection")),
            .pointer(5, "clusterTrustBundle", .message("ClusterTrustBundleProjection")),
            .pointer(6, "podCertificate", .message("PodCertificateProjection")),
        ])

        add("PersistentVolumeClaimTemplate", [
            .value(1, "metadata", .message("ObjectMeta")),
            .value(2, "spec", .message("PersistentVolumeClaimSpec")),
        ])

        add("ObjectFieldSelector", [
            .value(1, "apiVersion", .string),
            .value(2, "fieldPath", .string),
        ])

        add("ResourceFieldSelector", [
            .value(1, "containerName", .string),
            .value(2, "resource", .string),
            .value(3, "divisor", .quantity),
        ])

        add("ConfigMapKeySelector", [
            .inline(1, "LocalObjectReference"),
            .value(2, "key", .string),
            .pointer(3, "optional", .bool),
        ])

        add("SecretKeySelector", [
            .inline(1, "LocalObjectReference"),
            .value(2, "key", .string),
            .pointer(3, "optional", .bool),
        ])

        add("FileKeySelector", [
            .value(1, "volumeName", .string),
            .value(2, "path", .string),
            .value(3, "key", .string),
            .pointer(4, "optional", .bool),
        ])

        add("ExecAction", [
            .list(1, "command", .string),
        ])

        add("HTTPGetAction", [
            .value(1, "path", .string),
            .value(2, "port", .intOrString),
            .value(3, "host", .string),
            .value(4, "scheme", .string),
            .list(5, "httpHeaders", .message("HTTPHeader")),
            .pointer(6, "protocol", .string),
        ])

        add("TCPSocketAction", [
            .value(1, "port", .intOrString),
            .value(2, "host", .string),
        ])

        add("GRPCAction", [
            .value(1, "port", .int32),
            .pointer(2, "service", .string),
            .pointer(3, "mode", .string),
        ])

        add("SleepAction", [
            .value(1, "seconds", .int64),
        ])

        add("NodeSelectorTerm", [
            .list(1, "matchExpressions", .message("NodeSelectorRequirement")),
            .list(2, "matchFields", .message("NodeSelectorRequirement")),
        ])

        add("ImageVolumeStatus", [
            .value(1, "imageRef", .string),
        ])

        add("SecretProjection", [
            .inline(1, "LocalObjectReference"),
            .list(2, "items", .message("KeyToPath")),
            .pointer(4, "optional", .bool),
        ])

        add("DownwardAPIProjection", [
            .list(1, "items", .message("DownwardAPIVolumeFile")),
        ])

        add("ConfigMapProjection", [
            .inline(1, "LocalObjectReference"),
            .list(2, "items", .message("KeyToPath")),
            .pointer(4, "optional", .bool),
        ])

        add("ServiceAccountTokenProjection", [
            .value(1, "audience", .string),
            .pointer(2, "expirationSeconds", .int64),
            .value(3, "path", .string),
            .pointer(4, "user", .int64),
        ])

        add("ClusterTrustBundleProjection", [
            .pointer(1, "name", .string),
            .pointer(2, "signerName", .string),
            .pointer(3, "labelSelector", .message("LabelSelector")),
            .value(4, "path", .string),
            .pointer(5, "optional", .bool),
            .pointer(6, "user", .int64),
        ])

        add("PodCertificateProjection", [
            .value(1, "signerName", .string),
            .value(2, "keyType", .string),
            .pointer(3, "maxExpirationSeconds", .int32),
            .value(4, "credentialBundlePath", .string),
            .value(5, "keyPath", .string),
            .value(6, "certificateChainPath", .string),
            .map(7, "userAnnotations", .string),
            .pointer(8, "user", .int64),
        ])

        add("PersistentVolumeClaimSpec", [
            .list(1, "accessModes", .string),
            .value(2, "resources", .message("VolumeResourceRequirements")),
            .value(3, "volumeName", .string),
            .pointer(4, "selector", .message("LabelSelector")),
            .pointer(5, "storageClassName", .string),
            .pointer(6, "volumeMode", .string),
            .pointer(7, "dataSource", .message("TypedLocalObjectReference")),
            .pointer(8, "dataSourceRef", .message("TypedObjectReference")),
            .pointer(9, "volumeAttributesClassName", .string),
        ])

        add("HTTPHeader", [
            .value(1, "name", .string),
            .value(2, "value", .string),
        ])

        add("NodeSelectorRequirement", [
            .value(1, "key", .string),
            .value(2, "operator", .string),
            .list(3, "values", .string),
        ])

        add("VolumeResourceRequirements", [
            .map(1, "limits", .quantity),
            .map(2, "requests", .quantity),
        ])

        add("TypedLocalObjectReference", [
            .pointer(1, "apiGroup", .string),
            .value(2, "kind", .string),
            .value(3, "name", .string),
        ])

        add("TypedObjectReference", [
            .pointer(1, "apiGroup", .string),
            .value(2, "kind", .string),
            .value(3, "name", .string),
            .pointer(4, "namespace", .string),
        ])
    }
}
