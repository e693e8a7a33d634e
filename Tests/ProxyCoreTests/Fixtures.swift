import KubeModel
import ProxyCore

func ip(_ text: String) -> IPAddress { IPAddress.parse(text) ?? IPAddress(v4: 0) }

func service(
    _ name: String, namespace: String = "default", type: String = "ClusterIP", clusterIPs: [String] = ["10.96.0.10"],
    ports: [JSONValue] = [["name": "http", "port": 80]], extra: [String: JSONValue] = [:],
    labels: [String: String] = [:], status: JSONValue? = nil
) -> JSONValue {
    var spec: [String: JSONValue] = [
        "type": .string(type), "clusterIP": .string(clusterIPs.first ?? ""),
        "clusterIPs": .array(clusterIPs.map(JSONValue.string)), "ports": .array(ports),
    ]
    for (k, v) in extra { spec[k] = v }
    var object: [String: JSONValue] = [
        "metadata": ["name": .string(name), "namespace": .string(namespace), "labels": .object(labels.mapValues(JSONValue.string))],
        "spec": .object(spec),
    ]
    if let status { object["status"] = status }
    return .object(object)
}

/// An endpoint: address, node, and conditions (nil leaves the condition out, as the API may).
func endpoint(_ address: String, node: String? = nil, ready: Bool? = true, serving: Bool? = nil, terminating: Bool? = nil,
              zone: String? = nil, zoneHints: [String] = [], nodeHints: [String] = []) -> JSONValue {
    var conditions: [String: JSONValue] = [:]
    if let ready { conditions["ready"] = .bool(ready) }
    if let serving { conditions["serving"] = .bool(serving) }
    if let terminating { conditions["terminating"] = .bool(terminating) }
    var object: [String: JSONValue] = ["addresses": [.string(address)], "conditions": .object(conditions)]
    if let node { object["nodeName"] = .string(node) }
    if let zone { object["zone"] = .string(zone) }
    var hints: [String: JSONValue] = [:]
    if !zoneHints.isEmpty { hints["forZones"] = .array(zoneHints.map { ["name": .string($0)] }) }
    if !nodeHints.isEmpty { hints["forNodes"] = .array(nodeHints.map { ["name": .string($0)] }) }
    if !hints.isEmpty { object["hints"] = .object(hints) }
    return .object(object)
}

func slice(
    _ name: String, service: String, namespace: String = "default", addressType: String = "IPv4",
    ports: [JSONValue] = [["name": "http", "port": 8080, "protocol": "TCP"]], endpoints: [JSONValue],
    labels: [String: String] = [:]
) -> JSONValue {
    var allLabels = labels
    allLabels["kubernetes.io/service-name"] = service
    return [
        "metadata": ["name": .string(name), "namespace": .string(namespace), "labels": .object(allLabels.mapValues(JSONValue.string))],
        "addressType": .string(addressType), "ports": .array(ports), "endpoints": .array(endpoints),
    ]
}

let http = ServicePortName(namespace: "default", name: "web", port: "http", protocol: .tcp)
