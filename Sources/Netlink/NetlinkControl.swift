/// The rtnetlink operations the simulated cluster programs, as a seam between topology code and the kernel.
///
/// `NetlinkSession` is the real implementation; topology code that takes a `NetlinkControl` can be unit-tested
/// with a fake that records calls. Every mutation is an idempotent "ensure": repeating it is not an error.
/// Implementations act on one network namespace and are not `Sendable`.
public protocol NetlinkControl: AnyObject {
    /// The index of the link called `name`, or nil when there is none.
    func linkIndex(_ name: String) throws -> Int32?
    /// Ensures a bridge called `name` exists. Undo with `deleteLink`.
    func createBridge(_ name: String) throws
    /// Ensures a veth pair `name` ↔ `peer` exists; the peer is created directly in the namespace `peerNamespaceFD`
    /// refers to when given. Undo with `deleteLink` on either end (the kernel removes both).
    func createVeth(_ name: String, peer: String, peerNamespaceFD: Int32?) throws
    /// Sets the link administratively up. Undo with `setDown`.
    func setUp(_ name: String) throws
    /// Sets the link administratively down.
    func setDown(_ name: String) throws
    /// Attaches the link to a bridge. Undo with `setNoMaster`.
    func setMaster(_ name: String, bridge: String) throws
    /// Detaches the link from its bridge, if any.
    func setNoMaster(_ name: String) throws
    /// Sets the link's MTU.
    func setMTU(_ name: String, _ mtu: Int) throws
    /// Renames a link; some kernels refuse while it is up (EBUSY), so set it down first to be portable.
    func rename(_ name: String, to newName: String) throws
    /// Moves a link into the namespace `fd` refers to.
    func moveToNamespace(_ name: String, fd: Int32) throws
    /// Ensures no link called `name` exists.
    func deleteLink(_ name: String) throws
    /// Ensures the address (`10.244.1.1/24`, `fd00::1/64`) is on the link. Undo with `deleteAddress`.
    func addAddress(_ cidr: String, to name: String) throws
    /// Ensures the address is not on the link.
    func deleteAddress(_ cidr: String, from name: String) throws
    /// Ensures a main-table route to `destination` (`default` or a CIDR) via `gateway` and/or `dev`, replacing
    /// a route to the same destination with other next hops. Undo with `deleteRoute`.
    func addRoute(_ destination: String, via gateway: String?, dev: String?) throws
    /// Ensures there is no main-table route to `destination`; `default` is IPv4's, `::/0` IPv6's.
    func deleteRoute(_ destination: String) throws
    /// All links of the namespace, ordered by index.
    func links() throws -> [NetworkLink]
    /// The addresses on a link as `address/prefix` strings, IPv4 first.
    func addresses(_ name: String) throws -> [String]
}
