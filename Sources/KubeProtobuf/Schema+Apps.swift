// Rows for k8s.io/api apps/v1: field numbers from its generated.proto, JSON names and Go pointer-ness
// (value, pointer, inline) from its types.go, as of upstream commit 10b39a39bcee.
// Released field numbers never change, so fields newer than a client simply never appear on its wire.

extension SchemaTable {
    /// Every message reachable from the covered root kinds, so that no field a client sets is silently dropped.
    mutating func addApps() {
        add("Deployment", [
            .value(1, "metadata", .message("ObjectMeta")),
            .value(2, "spec", .message("DeploymentSpec")),
            .value(3, "status", .message("DeploymentStatus")),
        ])

        add("ReplicaSet", [
            .value(1, "metadata", .message("ObjectMeta")),
            .value(2, "spec", .message("ReplicaSetSpec")),
            .value(3, "status", .message("ReplicaSetStatus")),
        ])

        add("DeploymentSpec", [
            .pointer(1, "replicas", .int32),
            .pointer(2, "selector", .message("LabelSelector")),
            .value(3, "template", .message("PodTemplateSpec")),
            .value(4, "strategy", .message("DeploymentStrategy")),
            .value(5, "minReadySeconds", .int32),
            .pointer(6, "revisionHistoryLimit", .int32),
            .value(7, "paused", .bool),
            .pointer(9, "progressDeadlineSeconds", .int32),
        ])

        add("DeploymentStatus", [
            .value(1, "observedGeneration", .int64),
            .value(2, "replicas", .int32),
            .value(3, "updatedReplicas", .int32),
            .value(4, "availableReplicas", .int32),
            .value(5, "unavailableReplicas", .int32),
            .list(6, "conditions", .message("DeploymentCondition")),
            .value(7, "readyReplicas", .int32),
            .pointer(8, "collisionCount", .int32),
            .pointer(9, "terminatingReplicas", .int32),
        ])

        add("ReplicaSetSpec", [
            .pointer(1, "replicas", .int32),
            .pointer(2, "selector", .message("LabelSelector")),
            .value(3, "template", .message("PodTemplateSpec")),
            .value(4, "minReadySeconds", .int32),
        ])

        add("ReplicaSetStatus", [
            .value(1, "replicas", .int32),
            .value(2, "fullyLabeledReplicas", .int32),
            .value(3, "observedGeneration", .int64),
            .value(4, "readyReplicas", .int32),
            .value(5, "availableReplicas", .int32),
            .list(6, "conditions", .message("ReplicaSetCondition")),
            .pointer(7, "terminatingReplicas", .int32),
        ])

        add("DeploymentStrategy", [
            .value(1, "type", .string),
            .pointer(2, "rollingUpdate", .message("RollingUpdateDeployment")),
        ])

        add("DeploymentCondition", [
            .value(1, "type", .string),
            .value(2, "status", .string),
            .value(4, "reason", .string),
            .value(5, "message", .string),
            .value(6, "lastUpdateTime", .time),
            .value(7, "lastTransitionTime", .time),
        ])

        add("ReplicaSetCondition", [
            .value(1, "type", .string),
            .value(2, "status", .string),
            .value(3, "lastTransitionTime", .time),
            .value(4, "reason", .string),
            .value(5, "message", .string),
        ])

        add("RollingUpdateDeployment", [
            .pointer(1, "maxUnavailable", .intOrString),
            .pointer(2, "maxSurge", .intOrString),
        ])
    }
}
