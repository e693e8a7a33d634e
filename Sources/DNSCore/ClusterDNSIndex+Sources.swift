import KubeModel

/// A namespaced object name.
public struct ObjectKey: Hashable, Sendable, CustomStringConvertible {
    public var namespace: String
    public var name: String
    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }
    public var description: String { "\(namespace)/\(name)" }

    /// From an object's metadata; nil when the name is missing. A missing namespace reads as `default`, as the API
    /// server would have filled it in.
    init?(metadataOf object: JSONValue) {
        guard let name = object["metadata"]?["name"]?.stringValue, !name.isEmpty else { return nil }
        let namespace = object["metadata"]?["namespace"]?.stringValue ?? "default"
        self.init(namespace: namespace.isEmpty ? "default" : namespace, name: name)
    }
}

/// A port as DNS needs it: SRV records exist only for named ports.
struct PortSource: Hashable, Sendable {
    var name: String
    var proto: String
    var port: UInt16

    /// Reads `{name, protocol, port}`; nil when unnamed or out of range, since such a port has no SRV name.
    init?(_ json: JSONValue) {
        guard let name = json["name"]?.stringValue, !name.isEmpty,
            let port = json["port"]?.intValue, port > 0, port <= 65535
        else { return nil }
        self.name = name.lowercased()
        proto = (json["protocol"]?.stringValue ?? "TCP").lowercased()
        self.port = UInt16(port)
    }
}

/// What DNS needs from a Service.
struct ServiceSource: Hashable, Sendable {
    enum Kind: Hashable, Sendable {
        case clusterIP([IPAddress])
        case headless
        case externalName(DNSName)
        /// No address allocated yet (or an ExternalName that is not a valid name): no records at all.
        case none
    }

    var kind: Kind
    var ports: [PortSource]
    var publishNotReadyAddresses: Bool

    init(_ object: JSONValue) {
        let spec = object["spec"] ?? .object([:])
        ports = (spec["ports"]?.arrayValue ?? []).compactMap(PortSource.init)
        let tolerate = object["metadata"]?["annotations"]?["service.alpha.kubernetes.io/tolerate-unready-endpoints"]
        publishNotReadyAddresses =
            spec["publishNotReadyAddresses"]?.boolValue == true || tolerate?.stringValue == "true"
        if spec["type"]?.stringValue == "ExternalName" {
            if let text = spec["externalName"]?.stringValue, !text.isEmpty, let target = DNSName(text) {
                kind = .externalName(target)
            } else {
                kind = .none
            }
            return
        }
        let clusterIP = spec["clusterIP"]?.stringValue ?? ""
        if clusterIP == "None" {
            kind = .headless
            return
        }
        var texts = (spec["clusterIPs"]?.arrayValue ?? []).compactMap(\.stringValue)
        if texts.isEmpty, !clusterIP.isEmpty { texts = [clusterIP] }
        let addresses = texts.compactMap(parseAddress)
        kind = addresses.isEmpty ? .none : .clusterIP(addresses)
    }
}

/// What DNS needs from an EndpointSlice.
struct SliceSource: Hashable, Sendable {
    struct Endpoint: Hashable, Sendable {
        var addresses: [IPAddress]
        var ready: Bool
        var hostname: String?
    }

    var service: ObjectKey
    var endpoints: [Endpoint]
    var ports: [PortSource]

    /// Nil for a slice that names no service (it cannot contribute names).
    init?(_ object: JSONValue, namespace: String) {
        guard let service = object["metadata"]?["labels"]?["kubernetes.io/service-name"]?.stringValue,
            !service.isEmpty
        else { return nil }
        self.service = ObjectKey(namespace: namespace, name: service)
        ports = (object["ports"]?.arrayValue ?? []).compactMap(PortSource.init)
        // FQDN slices carry names, not addresses; DNS has nothing to publish for them.
        let addressType = object["addressType"]?.stringValue ?? "IPv4"
        guard addressType == "IPv4" || addressType == "IPv6" else {
            endpoints = []
            return
        }
        endpoints = (object["endpoints"]?.arrayValue ?? []).compactMap { json in
            let addresses = (json["addresses"]?.arrayValue ?? []).compactMap(\.stringValue).compactMap(parseAddress)
            guard !addresses.isEmpty else { return nil }
            // A missing `ready` means ready, as the EndpointSlice API documents and CoreDNS reads it.
            let ready = json["conditions"]?["ready"]?.boolValue ?? true
            let hostname = json["hostname"]?.stringValue.flatMap { $0.isEmpty ? nil : $0.lowercased() }
            return Endpoint(addresses: addresses, ready: ready, hostname: hostname)
        }
    }
}

/// What DNS needs from a Pod (verified pod records only).
struct PodSource: Hashable, Sendable {
    var addresses: [IPAddress]

    init(_ object: JSONValue) {
        let status = object["status"] ?? .object([:])
        let phase = status["phase"]?.stringValue
        // A finished pod's IP goes back to the pool and may already belong to another pod.
        if phase == "Succeeded" || phase == "Failed" {
            addresses = []
            return
        }
        var texts = (status["podIPs"]?.arrayValue ?? []).compactMap { $0["ip"]?.stringValue }
        if texts.isEmpty, let ip = status["podIP"]?.stringValue, !ip.isEmpty { texts = [ip] }
        addresses = texts.compactMap(parseAddress)
    }
}

/// Strict parsing first, then the lenient form older objects may hold; IPv4-mapped IPv6 becomes IPv4.
func parseAddress(_ text: String) -> IPAddress? {
    (IPAddress.parse(text) ?? IPAddress.parseSloppy(text))?.unmapped
}

/// The dashed form of an address that names an endpoint without a hostname, or a pod: `10-244-1-5`; for IPv6 the
/// canonical text with `:` as `-` and a trailing `-` completed to `-0` (`fd00--1`, `fd00--0`), as CoreDNS spells it.
func dashedLabel(_ address: IPAddress) -> String {
    let text = address.description
    if address.isV4 {
        return String(text.map { $0 == "." ? "-" : $0 })
    }
    var out = String(text.map { $0 == ":" ? "-" : $0 })
    if out.hasSuffix("-") { out += "0" }
    return out
}

/// Reads a dashed label back into an address: IPv4 if it has exactly three dashes and parses as such, otherwise IPv6.
func addressFromDashed(_ label: ArraySlice<UInt8>) -> IPAddress? {
    guard !label.isEmpty, label.count <= 45 else { return nil }
    var dashes = 0
    for b in label where b == UInt8(ascii: "-") { dashes += 1 }
    guard dashes > 0 else { return nil }
    if dashes == 3 {
        let text = String(decoding: label.map { $0 == UInt8(ascii: "-") ? UInt8(ascii: ".") : $0 }, as: UTF8.self)
        if let v4 = IPAddress.parse(text), v4.isV4 { return v4 }
    }
    let text = String(decoding: label.map { $0 == UInt8(ascii: "-") ? UInt8(ascii: ":") : $0 }, as: UTF8.self)
    guard let v6 = IPAddress.parse(text), v6.isV6 else { return nil }
    return v6
}

/// `d.c.b.a.in-addr.arpa.` or the 32-nibble `ip6.arpa.` name of an address (RFC 1035 §3.5, RFC 3596 §2.5).
func reverseName(_ address: IPAddress) -> DNSName {
    var wire: [UInt8] = []
    if address.isV4 {
        wire.reserveCapacity(30)
        let v = UInt32(truncatingIfNeeded: address.value)
        for shift in [0, 8, 16, 24] {
            let digits = Array(String((v >> UInt32(shift)) & 0xFF).utf8)
            wire.append(UInt8(digits.count))
            wire.append(contentsOf: digits)
        }
        wire += [7] + Array("in-addr".utf8) + [4] + Array("arpa".utf8) + [0]
    } else {
        wire.reserveCapacity(74)
        let hex = Array("0123456789abcdef".utf8)
        var v = address.value
        for _ in 0..<32 {
            wire.append(1)
            wire.append(hex[Int(v & 0xF)])
            v >>= 4
        }
        wire += [3] + Array("ip6".utf8) + [4] + Array("arpa".utf8) + [0]
    }
    return DNSName(trustedWire: wire)
}

let inAddrArpa: DNSName = DNSName(trustedWire: [7] + Array("in-addr".utf8) + [4] + Array("arpa".utf8) + [0])
let ip6Arpa: DNSName = DNSName(trustedWire: [3] + Array("ip6".utf8) + [4] + Array("arpa".utf8) + [0])
