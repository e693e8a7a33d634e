import KubeModel
import ProxyCore

// Rendering to the text syntax libnftables parses (`nft -f`). Every object renders to one line so that a
// transaction is a plain list of commands.

extension NFTValue {
    public func rendered(_ family: NFTFamily) -> String {
        switch self {
        case .address(let a): a.description
        case .prefix(let p): p.description
        case .proto(let p): p.lowercaseName
        case .port(let p), .integer(let p): String(p)
        case .addressAndPort(let a, let p): "\(a) . \(p)"
        case .endpointKey(let a, let p, let i): "\(a) . \(p) . \(i)"
        case .addressAndIndex(let a, let i): "\(a) . \(i)"
        case .concat(let parts): parts.map { $0.rendered(family) }.joined(separator: " . ")
        case .verdict(let v): v.rendered
        }
    }
}

extension NFTVerdict {
    public var rendered: String {
        switch self {
        case .accept: "accept"
        case .drop: "drop"
        case .return: "return"
        case .jump(let c): "jump \(c)"
        case .goto(let c): "goto \(c)"
        }
    }
}

extension NFTField {
    public func rendered(_ family: NFTFamily) -> String {
        switch self {
        case .sourceAddress: "\(family.rawValue) saddr"
        case .destinationAddress: "\(family.rawValue) daddr"
        case .l4proto: "meta l4proto"
        case .destinationPort: "th dport"
        case .mark: "meta mark"
        case .random(let m, let offset): offset == 0 ? "numgen random mod \(m)" : "numgen random mod \(m) offset \(offset)"
        }
    }
}

func renderFields(_ fields: [NFTField], _ family: NFTFamily) -> String {
    fields.map { $0.rendered(family) }.joined(separator: " . ")
}

func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}

/// Comments are written between double quotes; the few characters that could end them are dropped.
func quoted(_ text: String) -> String {
    "\"" + String(text.filter { $0 != "\"" && $0 != "\n" && $0 != "\\" }) + "\""
}

extension NFTMatch {
    public func rendered(_ family: NFTFamily) -> String {
        switch self {
        case .equals(let field, let value, let negated):
            return "\(field.rendered(family)) \(negated ? "!= " : "")\(value.rendered(family))"
        case .inList(let field, let values, let negated):
            let list = values.map { $0.rendered(family) }.joined(separator: ", ")
            return "\(field.rendered(family)) \(negated ? "!= " : ""){ \(list) }"
        case .inSet(let fields, let set, let negated):
            return "\(renderFields(fields, family)) \(negated ? "!= " : "")@\(set)"
        case .markBits(let mask, let isSet):
            return "meta mark & \(hex(mask)) \(isSet ? "!=" : "==") 0x00000000"
        case .connectionNew:
            return "ct state new"
        case .connectionDNAT:
            return "ct status dnat"
        case .addressIsLocal(let source):
            return "fib \(source ? "saddr" : "daddr") type local"
        }
    }
}

extension NFTStatement {
    public func rendered(_ family: NFTFamily) -> String {
        switch self {
        case .verdict(let v):
            return v.rendered
        case .reject(.icmpPortUnreachable):
            return "reject"
        case .reject(.tcpReset):
            return "reject with tcp reset"
        case .verdictMap(let fields, let map):
            return "\(renderFields(fields, family)) vmap @\(map)"
        case .setMarkBits(let bits):
            return "meta mark set meta mark | \(hex(bits))"
        case .clearMarkBits(let bits):
            return "meta mark set meta mark & \(hex(~bits))"
        case .masquerade:
            return "masquerade fully-random"
        case .dnat(let address, let port):
            let target = address.isV4 ? "\(address):\(port)" : "[\(address)]:\(port)"
            return "dnat \(family.rawValue) to \(target)"
        case .dnatMap(let key, let map):
            return "dnat \(family.rawValue) to \(renderFields(key, family)) map @\(map)"
        case .dnatMaps(let address, let addressMap, let port, let portMap):
            return "dnat \(family.rawValue) to \(renderFields(address, family)) map @\(addressMap) : "
                + "\(renderFields(port, family)) map @\(portMap)"
        case .updateSet(let fields, let set):
            return "update @\(set) { \(renderFields(fields, family)) }"
        }
    }
}

extension NFTRule {
    public func rendered(_ family: NFTFamily) -> String {
        var parts = matches.map { $0.rendered(family) }
        parts += statements.map { $0.rendered(family) }
        if let comment { parts.append("comment \(quoted(comment))") }
        return parts.joined(separator: " ")
    }
}

extension NFTSet {
    /// The `{ … }` body of an `add set` / `add map` command.
    public func renderedDeclaration(_ family: NFTFamily) -> String {
        var parts: [String] = []
        switch spec {
        case .types(let key, let data):
            var type = "type " + key.map(\.rawValue).joined(separator: " . ")
            if let data { type += " : " + data.rawValue }
            parts.append(type)
        case .endpointIndex(let proto):
            parts.append("typeof numgen random mod 1 : \(family.rawValue) daddr . \(proto.lowercaseName) dport")
        case .clusterEndpoints:
            let address = "\(family.rawValue) daddr"
            parts.append("typeof \(address) . numgen random mod 1 : \(address)")
        }
        if !flags.isEmpty { parts.append("flags " + flags.sorted().map(\.rawValue).joined(separator: ",")) }
        if let timeout { parts.append("timeout \(timeout)s") }
        if let size { parts.append("size \(size)") }
        if let comment { parts.append("comment \(quoted(comment))") }
        return "{ " + parts.map { $0 + " ;" }.joined(separator: " ") + " }"
    }
}

/// Bytes of nft text under construction. Elements go through here: at scale there are hundreds of thousands,
/// and formatting numbers and addresses by hand is several times faster than string interpolation.
struct TextBuffer {
    var bytes: [UInt8] = []

    mutating func append(_ text: String) { bytes.append(contentsOf: text.utf8) }

    mutating func append(_ number: Int) {
        if number < 0 {
            bytes.append(UInt8(ascii: "-"))
            append(UInt(number.magnitude))
        } else {
            append(UInt(number))
        }
    }

    mutating func append(_ number: UInt) {
        if number < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(number))
            return
        }
        append(number / 10)
        bytes.append(UInt8(ascii: "0") + UInt8(number % 10))
    }

    mutating func append(_ address: IPAddress) {
        guard address.isV4 else { return append(address.description) }
        let v = UInt(UInt32(truncatingIfNeeded: address.value))
        append(v >> 24)
        bytes.append(UInt8(ascii: "."))
        append(v >> 16 & 0xFF)
        bytes.append(UInt8(ascii: "."))
        append(v >> 8 & 0xFF)
        bytes.append(UInt8(ascii: "."))
        append(v & 0xFF)
    }

    mutating func append(_ value: NFTValue, _ family: NFTFamily) {
        switch value {
        case .address(let a): append(a)
        case .port(let n), .integer(let n): append(n)
        case .addressAndPort(let a, let p):
            append(a)
            append(" . ")
            append(p)
        case .endpointKey(let a, let p, let i):
            append(a)
            append(" . ")
            append(p)
            append(" . ")
            append(i)
        case .addressAndIndex(let a, let i):
            append(a)
            append(" . ")
            append(i)
        case .concat(let parts):
            for (i, part) in parts.enumerated() {
                if i > 0 { append(" . ") }
                append(part, family)
            }
        default: append(value.rendered(family))
        }
    }

    mutating func appendElement(_ key: NFTValue, _ element: NFTElementData, _ family: NFTFamily) {
        append(key, family)
        if let comment = element.comment {
            append(" comment ")
            append(quoted(comment))
        }
        if let data = element.data {
            append(" : ")
            append(data, family)
        }
    }

    var string: String { String(decoding: bytes, as: UTF8.self) }
}

extension NFTBaseChain {
    public var rendered: String {
        "{ type \(type.rawValue) hook \(hook.rawValue) priority \(priority) ; policy accept ; }"
    }
}
