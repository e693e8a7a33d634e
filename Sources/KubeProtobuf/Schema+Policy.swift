// Rows for k8s.io/api policy/v1: field numbers from its generated.proto, JSON names and Go pointer-ness
// (value, pointer, inline) from its types.go, as of upstream commit 10b39a39bcee.
// Released field numbers never change, so fields newer than a client simply never appear on its wire.

extension SchemaTable {
    /// Every message reachable from the covered root kinds, so that no field a client sets is silently dropped.
    mutating func addPolicy() {
        add("Eviction", [
            .value(1, "metadata", .message("ObjectMeta")),
            .pointer(2, "deleteOptions", .message("DeleteOptions")),
        ])
    }
}
