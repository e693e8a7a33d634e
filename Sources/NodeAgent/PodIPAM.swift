import Foundation
import KubeModel

/// Pod IP allocation from the node's pod CIDR, persisted to a JSON file (pod UID → address) so a restarted node
/// agent gives running pods the addresses they already have. `.1` is the node's bridge (`cbr0`), the gateway.
public final class PodIPAM: @unchecked Sendable {
    private let lock = NSLock()
    private let path: String
    public let cidr: CIDR
    private var byPod: [String: String]

    public init(cidr: CIDR, path: String) {
        self.cidr = cidr
        self.path = path
        let data = (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data()
        let json = (try? JSONParser.parse(data))?.objectValue ?? [:]
        byPod = json.compactMapValues(\.stringValue)
    }

    public var gateway: IPAddress { cidr.address(at: 1) ?? cidr.network }

    public func address(for podUID: String) throws -> IPAddress {
        try lock.withLock {
            if let ip = byPod[podUID].flatMap(IPAddress.parse) { return ip }
            let used = Set(byPod.values)
            let last = cidr.size > 1 ? cidr.size - 1 : 1
            for i in UInt64(2)..<last {
                if let ip = cidr.address(at: i), !used.contains(ip.description) {
                    byPod[podUID] = ip.description
                    try save()
                    return ip
                }
            }
            throw AgentError("pod CIDR \(cidr) is full")
        }
    }

    public func release(_ podUID: String) {
        lock.withLock {
            if byPod.removeValue(forKey: podUID) != nil { try? save() }
        }
    }

    public var allocated: [String: String] { lock.withLock { byPod } }

    private func save() throws {
        let json = JSONValue.object(byPod.mapValues { .string($0) })
        try Data(JSONWriter.bytes(json)).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
