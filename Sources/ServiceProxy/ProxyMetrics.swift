import Foundation
import ProxyCore
import Prometheus

/// The proxy's Prometheus metrics, named and labelled as kube-proxy's (`kubeproxy_` prefix, `ip_family` label), so
/// dashboards and alerts written for kube-proxy work unchanged. Served on `--metrics-bind-address` at `/metrics`.
public final class ProxyMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let perFamily: [IPFamily: FamilyProxyMetrics]
    let serviceChangesPending: Gauge
    let serviceChangesTotal: Counter
    let endpointChangesPending: Gauge
    let endpointChangesTotal: Counter
    let lastQueuedTimestamp: Gauge

    public init(families: [IPFamily] = [.ipv4]) {
        var perFamily: [IPFamily: FamilyProxyMetrics] = [:]
        for f in families.isEmpty ? [.ipv4] : families {
            perFamily[f] = FamilyProxyMetrics(registry, family: f == .ipv4 ? "IPv4" : "IPv6")
        }
        self.perFamily = perFamily
        // Change counters are per proxier upstream; one tracker feeds both families here, so they carry the
        // first family's label.
        let fam = [("ip_family", families.first == .ipv6 ? "IPv6" : "IPv4")]
        endpointChangesPending = registry.makeGauge(
            descriptor: metricName("kubeproxy_sync_proxy_rules_endpoint_changes_pending", "Pending proxy rules Endpoint changes"), labels: fam)
        endpointChangesTotal = registry.makeCounter(
            descriptor: metricName("kubeproxy_sync_proxy_rules_endpoint_changes_total", "Cumulative proxy rules Endpoint changes"), labels: fam)
        serviceChangesPending = registry.makeGauge(
            descriptor: metricName("kubeproxy_sync_proxy_rules_service_changes_pending", "Pending proxy rules Service changes"), labels: fam)
        serviceChangesTotal = registry.makeCounter(
            descriptor: metricName("kubeproxy_sync_proxy_rules_service_changes_total", "Cumulative proxy rules Service changes"), labels: fam)
        lastQueuedTimestamp = registry.makeGauge(
            descriptor: metricName("kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds",
                                   "The last time a sync of proxy rules was queued"),
            labels: fam)
    }

    func family(_ f: IPFamily) -> FamilyProxyMetrics {
        if let m = perFamily[f] { return m }
        // Unreachable for configured families; the first family's metrics are better than a crash.
        return perFamily.values.first ?? FamilyProxyMetrics(registry, family: f == .ipv4 ? "IPv4" : "IPv6")
    }

    /// `kubeproxy_proxy_healthz_total{code}` and `kubeproxy_proxy_livez_total{code}` for the codes we answer.
    func countHealth(livez: Bool, code: Int) {
        let full = livez ? "kubeproxy_proxy_livez_total" : "kubeproxy_proxy_healthz_total"
        // The registry hands back the existing counter for the same name and labels.
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                metricName: String(full.dropLast(6)), unitName: "total",
                helpText: "Cumulative proxy \(livez ? "livez" : "healthz") HTTP status"),
            labels: [("code", String(code))]
        ).increment()
    }

    /// The exposition text for `/metrics`.
    public func render() -> String { registry.emitToString() }
}

/// A metric's descriptor from its full name: the last `_` component is the unit (`seconds`, `total`).
func metricName(_ full: String, _ help: String) -> MetricNameDescriptor {
    let parts = full.split(separator: "_")
    return MetricNameDescriptor(metricName: parts.dropLast().joined(separator: "_"), unitName: String(parts.last ?? ""), helpText: help)
}

/// One family's sync metrics (kube-proxy runs one proxier per family; so do we, one transaction each).
final class FamilyProxyMetrics: Sendable {
    /// kube-proxy's sync buckets: 1 ms × 2^0…14 (1 ms to ~16 s).
    static let syncBuckets: [Duration] = (0...14).map { .milliseconds(1 << $0) }
    /// Network programming latency buckets (upstream: 0.25 s … 5 min; finer at the low end, where we live).
    static let programmingBuckets: [Duration] =
        [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2000, 5000, 10000, 30000, 60000, 300000].map { .milliseconds($0) }

    let syncDuration: DurationHistogram
    let fullSyncDuration: DurationHistogram
    let partialSyncDuration: DurationHistogram
    let lastSyncTimestamp: Gauge
    let networkProgramming: DurationHistogram
    let noLocalEndpointsInternal: Gauge
    let noLocalEndpointsExternal: Gauge
    /// Stale chains and maps are deleted inside the sync transaction itself, so a failed cleanup is a failed sync
    /// (upstream's separate `..._nftables_cleanup_failures_total` has nothing to count here and is not exported).
    let syncFailures: Counter
    let conntrackDuration: DurationHistogram
    let conntrackDeleted: Counter
    let servicePorts: Gauge

    init(_ registry: PrometheusCollectorRegistry, family: String) {
        let fam = [("ip_family", family)]
        syncDuration = registry.makeDurationHistogram(
            descriptor: metricName("kubeproxy_sync_proxy_rules_duration_seconds", "SyncProxyRules latency in seconds"),
            labels: fam, buckets: Self.syncBuckets)
        fullSyncDuration = registry.makeDurationHistogram(
            descriptor: metricName("kubeproxy_sync_full_proxy_rules_duration_seconds", "SyncProxyRules latency in seconds for full resyncs"),
            labels: fam, buckets: Self.syncBuckets)
        partialSyncDuration = registry.makeDurationHistogram(
            descriptor: metricName("kubeproxy_sync_partial_proxy_rules_duration_seconds",
                                   "SyncProxyRules latency in seconds for partial resyncs"),
            labels: fam, buckets: Self.syncBuckets)
        lastSyncTimestamp = registry.makeGauge(
            descriptor: metricName("kubeproxy_sync_proxy_rules_last_timestamp_seconds", "The last time proxy rules were successfully synced"),
            labels: fam)
        networkProgramming = registry.makeDurationHistogram(
            descriptor: metricName("kubeproxy_network_programming_duration_seconds",
                                   "In Cluster Network Programming Latency in seconds (endpoint change trigger time to rules in the kernel)"),
            labels: fam, buckets: Self.programmingBuckets)
        noLocalEndpointsInternal = registry.makeGauge(
            descriptor: metricName("kubeproxy_sync_proxy_rules_no_local_endpoints_total",
                                   "Number of services with a Local traffic policy and no endpoints"),
            labels: fam + [("traffic_policy", "internal")])
        noLocalEndpointsExternal = registry.makeGauge(
            descriptor: metricName("kubeproxy_sync_proxy_rules_no_local_endpoints_total",
                                   "Number of services with a Local traffic policy and no endpoints"),
            labels: fam + [("traffic_policy", "external")])
        syncFailures = registry.makeCounter(
            descriptor: metricName("kubeproxy_sync_proxy_rules_nftables_sync_failures_total", "Cumulative proxy nftables sync failures"),
            labels: fam)
        conntrackDuration = registry.makeDurationHistogram(
            descriptor: metricName("kubeproxy_conntrack_reconciler_sync_duration_seconds",
                                   "Reconciliation latency for conntrack entries in seconds"),
            labels: fam, buckets: Self.syncBuckets)
        conntrackDeleted = registry.makeCounter(
            descriptor: metricName("kubeproxy_conntrack_reconciler_deleted_entries_total",
                                   "Cumulative conntrack flows deleted by the conntrack reconciler"),
            labels: fam)
        servicePorts = registry.makeGauge(
            descriptor: metricName("junction_proxy_service_ports", "Service ports programmed by the last successful sync"),
            labels: fam)
    }
}
