/// One network interface as the kernel reports it, seen from the namespace a session was opened in.
public struct NetworkLink: Sendable, Hashable, CustomStringConvertible {
    /// Interface name, e.g. `eth0`.
    public var name: String
    /// Interface index in its namespace.
    public var index: Int32
    /// The rtnetlink kind (`IFLA_INFO_KIND`: `bridge`, `veth`, …); nil for links without one, such as `lo`.
    public var kind: String?
    /// Administratively up (`IFF_UP`).
    public var up: Bool
    /// Maximum transmission unit.
    public var mtu: Int
    /// Index of the bridge (or other master) this link is attached to.
    public var masterIndex: Int32?

    public init(name: String, index: Int32, kind: String?, up: Bool, mtu: Int, masterIndex: Int32?) {
        self.name = name
        self.index = index
        self.kind = kind
        self.up = up
        self.mtu = mtu
        self.masterIndex = masterIndex
    }

    public var description: String {
        "\(index): \(name)\(kind.map { " (\($0))" } ?? "") \(up ? "up" : "down") mtu \(mtu)"
            + (masterIndex.map { " master \($0)" } ?? "")
    }
}
