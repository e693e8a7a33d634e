import CConntrack
import Glibc
import KubeModel

/// An error from libnl's netfilter conntrack calls, with libnl's own text.
public struct ConntrackError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var code: Int32
    public var description: String { "conntrack \(operation): \(String(cString: cct_strerror(code)))" }
}

/// The transport protocols whose flows the proxy looks at.
public enum ConntrackProtocol: UInt8, Sendable {
    case tcp = 6
    case udp = 17
    case sctp = 132
}

/// One conntrack entry: the original direction (client → service address) and the reply direction (the endpoint
/// that answers → client). For a DNATed flow the reply source is the endpoint the kernel chose.
public struct ConntrackFlow: Sendable, Hashable, CustomStringConvertible {
    public var proto: UInt8
    public var zone: UInt16
    public var origSource: IPAddress
    public var origDestination: IPAddress
    public var origSourcePort: Int
    public var origDestinationPort: Int
    public var replySource: IPAddress
    public var replySourcePort: Int

    public var description: String {
        "proto \(proto) \(origSource):\(origSourcePort) → \(origDestination):\(origDestinationPort) (reply from \(replySource):\(replySourcePort))"
    }
}

/// The conntrack table of the calling thread's network namespace, through a netfilter netlink socket. The socket
/// belongs to the namespace it was opened in, so a proxy running inside its node's namespace sees that node's flows.
/// Not thread-safe: one owner uses it at a time.
public final class ConntrackTable {
    private let socket: OpaquePointer

    public init() throws(ConntrackError) {
        var err: Int32 = 0
        guard let s = cct_open(&err) else { throw ConntrackError(operation: "open", code: err) }
        socket = s
    }

    deinit { cct_close(socket) }

    /// Every entry of one protocol (both families).
    public func flows(_ proto: ConntrackProtocol) throws(ConntrackError) -> [ConntrackFlow] {
        var raw: UnsafeMutablePointer<cct_flow>?
        let n = cct_dump(socket, 0, proto.rawValue, &raw)
        defer { free(raw) }
        guard n >= 0 else { throw ConntrackError(operation: "dump", code: n) }
        guard let raw else { return [] }
        var result: [ConntrackFlow] = []
        result.reserveCapacity(Int(n))
        for i in 0..<Int(n) {
            let f = raw[i]
            guard f.family == UInt8(AF_INET) || f.family == UInt8(AF_INET6) else { continue }
            let v4 = f.family == UInt8(AF_INET)
            func addr(_ t: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)) -> IPAddress? {
                withUnsafeBytes(of: t) { b in IPAddress(bytes: b.prefix(v4 ? 4 : 16)) }
            }
            guard let os = addr(f.orig_src), let od = addr(f.orig_dst), let rs = addr(f.reply_src) else { continue }
            result.append(ConntrackFlow(
                proto: f.proto, zone: f.zone, origSource: os, origDestination: od, origSourcePort: Int(f.orig_sport),
                origDestinationPort: Int(f.orig_dport), replySource: rs, replySourcePort: Int(f.reply_sport)))
        }
        return result
    }

    /// Deletes one entry by its original tuple. An entry that is already gone is not an error.
    public func delete(_ flow: ConntrackFlow) throws(ConntrackError) {
        var f = cct_flow()
        f.family = UInt8(flow.origSource.isV4 ? AF_INET : AF_INET6)
        f.proto = flow.proto
        f.zone = flow.zone
        let n = flow.origSource.isV4 ? 4 : 16
        withUnsafeMutableBytes(of: &f.orig_src) { $0.copyBytes(from: flow.origSource.bytes.prefix(n)) }
        withUnsafeMutableBytes(of: &f.orig_dst) { $0.copyBytes(from: flow.origDestination.bytes.prefix(n)) }
        f.orig_sport = UInt16(truncatingIfNeeded: flow.origSourcePort)
        f.orig_dport = UInt16(truncatingIfNeeded: flow.origDestinationPort)
        let rc = cct_delete(socket, &f)
        if rc < 0 && rc != -NLE_OBJ_NOTFOUND { throw ConntrackError(operation: "delete", code: -rc) }
    }
}
