import KubeModel
import ProxyCore
import Testing

@Suite("Change trackers")
struct ChangeTrackerTests {
    @Test("A Service change that is undone before the sync drops out")
    func serviceNoOp() {
        var tracker = ServiceChangeTracker()
        let v1 = service("web")
        tracker.update(previous: nil, current: v1)
        _ = tracker.checkout()
        let v2 = service("web", ports: [["name": "http", "port": 81]])
        let changed1 = tracker.update(previous: v1, current: v2)
        #expect(changed1)
        let changed2 = tracker.update(previous: v2, current: v1)
        #expect(!changed2)
        #expect(!tracker.hasPendingChanges)
        // An edit the proxy does not care about is no change at all.
        var annotated = v1
        annotated.setValue(["note": "x"], at: ["metadata", "annotations"])
        let changed3 = tracker.update(previous: v1, current: annotated)
        #expect(!changed3)
        #expect(tracker.checkout().changes.isEmpty)
    }

    @Test("Checkout reports previous and current, and applies them")
    func serviceCheckout() {
        var tracker = ServiceChangeTracker()
        let name = NamespacedName(namespace: "default", name: "web")
        tracker.update(previous: nil, current: service("web", ports: [["name": "dns", "port": 53, "protocol": "UDP"]]))
        let first = tracker.checkout()
        #expect(first.changes[name]?.previous.isEmpty == true)
        #expect(first.changes[name]?.current.count == 1)
        #expect(tracker.services[name]?.count == 1)
        // Deleting a UDP port reports its ClusterIP for conntrack cleanup.
        tracker.update(previous: service("web"), current: nil)
        let second = tracker.checkout()
        #expect(second.updatedServices == [name])
        #expect(second.deletedUDPClusterIPs == [ip("10.96.0.10")])
        #expect(tracker.services[name] == nil)
    }

    @Test("Several updates between syncs keep the first previous")
    func coalesce() {
        var tracker = ServiceChangeTracker()
        let name = NamespacedName(namespace: "default", name: "web")
        tracker.update(previous: nil, current: service("web"))
        _ = tracker.checkout()
        tracker.update(previous: nil, current: service("web", ports: [["name": "http", "port": 81]]))
        tracker.update(previous: nil, current: service("web", ports: [["name": "http", "port": 82]]))
        let result = tracker.checkout()
        #expect(result.changes[name]?.previous[http]?.port == 80)
        #expect(result.changes[name]?.current[http]?.port == 82)
    }

    @Test("EndpointSlice changes: no-ops drop, slices merge per Service, stale UDP endpoints are reported")
    func slices() {
        var tracker = EndpointSliceChangeTracker()
        let name = NamespacedName(namespace: "default", name: "web")
        let udp: [JSONValue] = [["name": "dns", "port": 53, "protocol": "UDP"]]
        let a = slice("web-a", service: "web", ports: udp, endpoints: [endpoint("10.244.1.1"), endpoint("10.244.1.2")])
        let b = slice("web-b", service: "web", ports: udp, endpoints: [endpoint("10.244.2.1")])
        tracker.update(previous: nil, current: a)
        tracker.update(previous: nil, current: b)
        let first = tracker.checkout()
        #expect(first.updatedServices == [name])
        let dns = ServicePortName(namespace: "default", name: "web", port: "dns", protocol: .udp)
        #expect(tracker.endpoints[name]?[dns]?.count == 3)

        let shrunk = slice("web-a", service: "web", ports: udp, endpoints: [endpoint("10.244.1.1"), endpoint("10.244.1.2", ready: false, serving: false)])
        let changed4 = tracker.update(previous: a, current: shrunk)
        #expect(changed4)
        let changed5 = tracker.update(previous: shrunk, current: a)
        #expect(!changed5)
        tracker.update(previous: a, current: shrunk)
        tracker.update(previous: b, current: nil)
        let second = tracker.checkout()
        #expect(second.changes[name]?.previous[dns]?.count == 3)
        #expect(second.changes[name]?.current[dns]?.count == 2)
        #expect(Set(second.staleUDPEndpoints[dns]?.map(\.description) ?? []) == ["10.244.1.2:53", "10.244.2.1:53"])
        // Deleting the last slice removes the Service's endpoints.
        tracker.update(previous: shrunk, current: nil)
        _ = tracker.checkout()
        #expect(tracker.endpoints[name] == nil)
    }
}
