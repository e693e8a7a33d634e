// Rows for k8s.io/apimachinery pkg/apis/meta/v1: field numbers from its generated.proto, JSON names and Go pointer-ness
// (value, pointer, inline) from its types.go, as of upstream commit eed236ceee2c.
// Released field numbers never change, so fields newer than a client simply never appear on its wire.

extension SchemaTable {
    /// Every message reachable from the covered root kinds, so that no field a client sets is silently dropped.
    mutating func addMeta() {
        add("ObjectMeta", [
            .value(1, "name", .string),
            .value(2, "generateName", .string),
            .value(3, "namespace", .string),
            .value(4, "selfLink", .string),
            .value(5, "uid", .string),
            .value(6, "resourceVersion", .string),
            .value(7, "generation", .int64),
            .value(8, "creationTimestamp", .time),
            .pointer(9, "deletionTimestamp", .time),
            .pointer(10, "deletionGracePeriodSeconds", .int64),
            .map(11, "labels", .string),
            .map(12, "annotations", .string),
            .list(13, "ownerReferences", .message("OwnerReference")),
            .list(14, "finalizers", .string),
            .list(17, "managedFields", .message("ManagedFieldsEntry")),
        ])

        add("DeleteOptions", [
            .pointer(1, "gracePeriodSeconds", .int64),
            .pointer(2, "preconditions", .message("Preconditions")),
            .pointer(3, "orphanDependents", .bool),
            .pointer(4, "propagationPolicy", .string),
            .list(5, "dryRun", .string),
            .pointer(6, "ignoreStoreReadErrorWithClusterBreakingPotential", .bool),
        ])

        add("OwnerReference", [
            .value(1, "kind", .string),
            .value(3, "name", .string),
            .value(4, "uid", .string),
            .value(5, "apiVersion", .string),
            .pointer(6, "controller", .bool),
            .pointer(7, "blockOwnerDeletion", .bool),
        ])

        add("ManagedFieldsEntry", [
            .value(1, "manager", .string),
            .value(2, "operation", .string),
            .value(3, "apiVersion", .string),
            .pointer(4, "time", .time),
            .value(6, "fieldsType", .string),
            .pointer(7, "fieldsV1", .fieldsV1),
            .value(8, "subresource", .string),
        ])

        add("LabelSelector", [
            .map(1, "matchLabels", .string),
            .list(2, "matchExpressions", .message("LabelSelectorRequirement")),
        ])

        add("Condition", [
            .value(1, "type", .string),
            .value(2, "status", .string),
            .value(3, "observedGeneration", .int64),
            .value(4, "lastTransitionTime", .time),
            .value(5, "reason", .string),
            .value(6, "message", .string),
        ])

        add("Preconditions", [
            .pointer(1, "uid", .string),
            .pointer(2, "resourceVersion", .string),
        ])

        add("LabelSelectorRequirement", [
            .value(1, "key", .string),
            .value(2, "operator", .string),
            .list(3, "values", .string),
        ])
    }
}
