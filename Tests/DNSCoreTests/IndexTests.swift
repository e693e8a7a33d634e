import KubeModel
import Testing
@testable import DNSCore

@Suite struct IndexUpdateTests {
    @Test func deleteRemovesNamesAndTheEmptyNonTerminalsAbove() {
        var builder = ClusterDNSIndex.Builder()
        let base = builder.snapshot().nameCount
        let svc = Fixture.service("web", "shop", clusterIP: "10.96.1.1", ports: [Fixture.port("http", 80)])
        let added = builder.upsertService(svc)
        #expect(added)
        let index = builder.snapshot()
        #expect(index.contains("web.shop.svc.cluster.local"))
        #expect(index.contains("shop.svc.cluster.local"))
        #expect(index.contains("_tcp.web.shop.svc.cluster.local"))
        let removed = builder.deleteService(svc)
        #expect(removed)
        let after = builder.snapshot()
        #expect(!after.contains("web.shop.svc.cluster.local"))
        #expect(!after.contains("shop.svc.cluster.local"))
        #expect(!after.contains("1.1.96.10.in-addr.arpa"))
        #expect(after.nameCount == base)
        // The earlier snapshot is untouched: readers holding it keep a consistent view.
        #expect(index.contains("web.shop.svc.cluster.local"))
        #expect(index.records("web.shop.svc.cluster.local", .a) == [.a(ip("10.96.1.1"))])
    }

    @Test func noOpUpdatesChangeNothing() {
        var builder = Fixture.builder()
        let serial = builder.serial
        for object in Fixture.objects {
            let changed = builder.apply(object, deleted: false)
            #expect(!changed)
        }
        #expect(builder.serial == serial)
        let removedMissing = builder.deleteService(ObjectKey(namespace: "default", name: "nope"))
        #expect(!removedMissing)
        // A change bumps the serial, and the SOA carries it.
        let addedNew = builder.upsertService(Fixture.service("new", clusterIP: "10.96.9.9"))
        #expect(addedNew)
        #expect(builder.serial == serial &+ 1)
        let soa = Ask(builder.snapshot()).message("x.cluster.local", .a)?.authority.first?.data
        #expect(soa.map { if case .soa(let s) = $0 { s.serial == serial &+ 1 } else { false } } == true)
    }

    @Test func slicesMayArriveBeforeTheirService() {
        var builder = ClusterDNSIndex.Builder()
        builder.upsertEndpointSlice(Fixture.slice("h-1", service: "h", endpoints: [Fixture.endpoint("10.244.0.9", hostname: "h-0")],
                                                  ports: [Fixture.port("web", 80)]))
        #expect(!builder.snapshot().contains("h.default.svc.cluster.local"))
        builder.upsertService(Fixture.service("h", clusterIP: "None"))
        let index = builder.snapshot()
        #expect(index.records("h.default.svc.cluster.local", .a) == [.a(ip("10.244.0.9"))])
        #expect(index.records("h-0.h.default.svc.cluster.local", .a) == [.a(ip("10.244.0.9"))])
        #expect(index.records("_web._tcp.h.default.svc.cluster.local", .srv).count == 1)
    }

    @Test func endpointReadinessChangesFollow() {
        var builder = ClusterDNSIndex.Builder()
        builder.upsertService(Fixture.service("h", clusterIP: "None"))
        let ready = Fixture.slice("h-1", service: "h", endpoints: [Fixture.endpoint("10.244.0.9", ready: true)], ports: [])
        let notReady = Fixture.slice("h-1", service: "h", endpoints: [Fixture.endpoint("10.244.0.9", ready: false)], ports: [])
        let becameReady = builder.upsertEndpointSlice(ready)
        #expect(becameReady)
        #expect(builder.snapshot().contains("h.default.svc.cluster.local"))
        let becameNotReady = builder.upsertEndpointSlice(notReady)
        #expect(becameNotReady)
        #expect(!builder.snapshot().contains("h.default.svc.cluster.local"))
        #expect(!builder.snapshot().contains("9.0.244.10.in-addr.arpa"))
        let readyAgain = builder.upsertEndpointSlice(ready)
        #expect(readyAgain)
        let sliceDeleted = builder.deleteEndpointSlice(ready)
        #expect(sliceDeleted)
        #expect(!builder.snapshot().contains("h.default.svc.cluster.local"))
        #expect(builder.endpointSliceCount == 0)
    }

    @Test func serviceTypeChanges() {
        var builder = ClusterDNSIndex.Builder()
        builder.upsertEndpointSlice(Fixture.slice("s-1", service: "s", endpoints: [Fixture.endpoint("10.244.0.9")], ports: []))
        builder.upsertService(Fixture.service("s", clusterIP: "10.96.0.50"))
        #expect(builder.snapshot().records("s.default.svc.cluster.local", .a) == [.a(ip("10.96.0.50"))])
        builder.upsertService(Fixture.service("s", clusterIP: "None"))
        #expect(builder.snapshot().records("s.default.svc.cluster.local", .a) == [.a(ip("10.244.0.9"))])
        #expect(!builder.snapshot().contains("50.0.96.10.in-addr.arpa"))
        builder.upsertService(Fixture.service("s", type: "ExternalName", externalName: "db.example.org"))
        #expect(builder.snapshot().records("s.default.svc.cluster.local", .cname) == [.cname("db.example.org")])
        #expect(builder.snapshot().records("s.default.svc.cluster.local", .a).isEmpty)
        #expect(!builder.snapshot().contains("10-244-0-9.s.default.svc.cluster.local"))
    }

    @Test func sliceMovingToAnotherService() {
        var builder = ClusterDNSIndex.Builder()
        builder.upsertService(Fixture.service("a", clusterIP: "None"))
        builder.upsertService(Fixture.service("b", clusterIP: "None"))
        builder.upsertEndpointSlice(Fixture.slice("x", service: "a", endpoints: [Fixture.endpoint("10.244.0.1")], ports: []))
        #expect(builder.snapshot().contains("a.default.svc.cluster.local"))
        builder.upsertEndpointSlice(Fixture.slice("x", service: "b", endpoints: [Fixture.endpoint("10.244.0.1")], ports: []))
        #expect(!builder.snapshot().contains("a.default.svc.cluster.local"))
        #expect(builder.snapshot().contains("b.default.svc.cluster.local"))
    }

    @Test func sharedReverseNamesMergeAndUnmerge() {
        var builder = ClusterDNSIndex.Builder()
        for name in ["a", "b"] {
            builder.upsertService(Fixture.service(name, clusterIP: "None"))
            builder.upsertEndpointSlice(Fixture.slice("\(name)-1", service: name,
                                                      endpoints: [Fixture.endpoint("10.244.0.1", hostname: "p")], ports: []))
        }
        let reverse: DNSName = "1.0.244.10.in-addr.arpa"
        #expect(Set(builder.snapshot().records(reverse, .ptr)) == [.ptr("p.a.default.svc.cluster.local"),
                                                                   .ptr("p.b.default.svc.cluster.local")])
        builder.deleteService(ObjectKey(namespace: "default", name: "a"))
        #expect(builder.snapshot().records(reverse, .ptr) == [.ptr("p.b.default.svc.cluster.local")])
        builder.deleteService(ObjectKey(namespace: "default", name: "b"))
        #expect(!builder.snapshot().contains(reverse))
    }

    @Test func sharedNameWithThreeSourcesFollowsUpdatesAndDeletes() {
        var builder = ClusterDNSIndex.Builder()
        for name in ["a", "b", "c"] {
            builder.upsertService(Fixture.service(name, clusterIP: "None"))
            builder.upsertEndpointSlice(Fixture.slice("\(name)-1", service: name,
                                                      endpoints: [Fixture.endpoint("10.244.0.1", hostname: "p")], ports: []))
        }
        let reverse: DNSName = "1.0.244.10.in-addr.arpa"
        func ptrs() -> Set<DNSRecord.RData> { Set(builder.snapshot().records(reverse, .ptr)) }
        #expect(ptrs() == [.ptr("p.a.default.svc.cluster.local"), .ptr("p.b.default.svc.cluster.local"),
                           .ptr("p.c.default.svc.cluster.local")])
        // One source's records change at the shared name; the others' stay.
        builder.upsertEndpointSlice(Fixture.slice("b-1", service: "b",
                                                  endpoints: [Fixture.endpoint("10.244.0.1", hostname: "q")], ports: []))
        #expect(ptrs() == [.ptr("p.a.default.svc.cluster.local"), .ptr("q.b.default.svc.cluster.local"),
                           .ptr("p.c.default.svc.cluster.local")])
        // The first source leaves, then another: the last one's records alone.
        builder.deleteService(ObjectKey(namespace: "default", name: "a"))
        #expect(ptrs() == [.ptr("q.b.default.svc.cluster.local"), .ptr("p.c.default.svc.cluster.local")])
        builder.deleteService(ObjectKey(namespace: "default", name: "c"))
        #expect(ptrs() == [.ptr("q.b.default.svc.cluster.local")])
        #expect(builder.sharedOwners.isEmpty, "a name with one source is not in the side table")
        // A second source again, then none.
        builder.upsertService(Fixture.service("a", clusterIP: "None"))
        #expect(ptrs() == [.ptr("q.b.default.svc.cluster.local"), .ptr("p.a.default.svc.cluster.local")])
        builder.deleteService(ObjectKey(namespace: "default", name: "a"))
        builder.deleteService(ObjectKey(namespace: "default", name: "b"))
        #expect(!builder.snapshot().contains(reverse))
        #expect(builder.sharedOwners.isEmpty)
    }

    @Test func hostnameSharedByTwoEndpoints() {
        // kubernetes#52278: pods with the same hostname/subdomain: both addresses under the one name.
        var builder = ClusterDNSIndex.Builder()
        builder.upsertService(Fixture.service("sub", clusterIP: "None"))
        builder.upsertEndpointSlice(Fixture.slice("sub-1", service: "sub", endpoints: [
            Fixture.endpoint("10.244.0.1", hostname: "same"), Fixture.endpoint("10.244.0.2", hostname: "same"),
        ], ports: [Fixture.port("http", 80)]))
        let index = builder.snapshot()
        #expect(index.records("same.sub.default.svc.cluster.local", .a) == [.a(ip("10.244.0.1")), .a(ip("10.244.0.2"))])
        // One SRV for the one target name.
        #expect(index.records("_http._tcp.sub.default.svc.cluster.local", .srv).count == 1)
    }

    @Test func dualStackSlicesGiveBothFamiliesUnderOneHostname() {
        var builder = ClusterDNSIndex.Builder()
        builder.upsertService(Fixture.service("h", clusterIP: "None"))
        builder.upsertEndpointSlice(Fixture.slice("h-v4", service: "h", endpoints: [Fixture.endpoint("10.244.0.1", hostname: "h-0")], ports: []))
        builder.upsertEndpointSlice(Fixture.slice("h-v6", service: "h", addressType: "IPv6",
                                                  endpoints: [Fixture.endpoint("fd00::1", hostname: "h-0")], ports: []))
        let index = builder.snapshot()
        #expect(index.records("h-0.h.default.svc.cluster.local", .a) == [.a(ip("10.244.0.1"))])
        #expect(index.records("h-0.h.default.svc.cluster.local", .aaaa) == [.aaaa(ip("fd00::1"))])
    }

    @Test func ignoresWhatItCannotUse() {
        var builder = ClusterDNSIndex.Builder()
        let serial = builder.serial
        let nameless = builder.upsertService(["kind": "Service", "metadata": [:]])
        #expect(!nameless)
        let otherKind = builder.apply(["kind": "ConfigMap", "metadata": ["name": "x"]], deleted: false)
        #expect(!otherKind)
        // FQDN slices, services without an IP yet and pods outside verified mode add nothing.
        builder.upsertService(Fixture.service("pending"))
        builder.upsertEndpointSlice(Fixture.slice("f", service: "pending", addressType: "FQDN",
                                                  endpoints: [Fixture.endpoint("example.com")], ports: []))
        let podStored = builder.upsertPod(Fixture.pod("p", ips: ["10.244.0.1"]))
        #expect(!podStored)
        #expect(!builder.snapshot().contains("pending.default.svc.cluster.local"))
        #expect(builder.serial == serial)
    }

    @Test func customZone() {
        var builder = ClusterDNSIndex.Builder(zone: "Corp.Example")
        builder.upsertService(Fixture.service("web", clusterIP: "10.96.0.20"))
        let ask = Ask(builder.snapshot())
        #expect(ask.message("web.default.svc.corp.example", .a)?.addressTexts == ["10.96.0.20"])
        #expect(ask.result("web.default.svc.cluster.local", .a) == .forward)
        #expect(ask.message("dns-version.corp.example", .txt)?.answers.count == 1)
    }

    @Test func tenThousandServicesBuildAndUpdate() {
        var builder = DNSBenchmark.syntheticBuilder(services: 10_000)
        #expect(builder.serviceCount == 10_010)
        let before = builder.snapshot()
        builder.deleteService(ObjectKey(namespace: "ns-3", name: "svc-3"))
        #expect(before.contains("svc-3.ns-3.svc.cluster.local"))
        #expect(!builder.snapshot().contains("svc-3.ns-3.svc.cluster.local"))
        #expect(builder.snapshot().contains("svc-13.ns-3.svc.cluster.local"))
    }
}
