import CNetlink
import Glibc

extension NetlinkSession {
    /// Ensures a bridge called `name` exists in this session's namespace (created down, STP off, as the kernel
    /// defaults). A link of that name that is not a bridge is an error. Undo with `deleteLink(name)`.
    public func createBridge(_ name: String) throws {
        let operation = "create bridge \(name)"
        guard let link = rtnl_link_bridge_alloc() else {
            throw NetlinkError(operation: operation, code: NLE_NOMEM)
        }
        defer { rtnl_link_put(link) }
        rtnl_link_set_name(link, name)
        let rc = perform { rtnl_link_add(socket, link, NLM_F_CREATE | NLM_F_EXCL) }
        if rc == -NLE_EXIST {
            try requireKind(name, "bridge", rc: rc, operation: operation)
            return
        }
        if rc < 0 {
            throw error(rc, operation)
        }
        logger.debug("created bridge", metadata: ["link": "\(name)"])
    }

    /// Ensures a veth pair `name` ↔ `peer`: `name` in this session's namespace, `peer` created directly in the
    /// namespace `peerNamespaceFD` refers to (IFLA_NET_NS_FD in the peer's attributes) or beside `name` when nil,
    /// so the peer never exists anywhere else, not even for a moment. An existing veth called `name` counts as
    /// done (its peer is not checked). Undo with `deleteLink` on either end: the kernel removes both, and removing
    /// either namespace removes the pair too.
    public func createVeth(_ name: String, peer: String, peerNamespaceFD: Int32?) throws {
        let operation =
            "create veth \(name) with peer \(peer)" + (peerNamespaceFD.map { " in namespace fd \($0)" } ?? "")
        guard let link = rtnl_link_veth_alloc() else {
            throw NetlinkError(operation: operation, code: NLE_NOMEM)
        }
        defer { rtnl_link_put(link) }
        guard let peerLink = rtnl_link_veth_get_peer(link) else {
            throw NetlinkError(operation: operation, code: NLE_NOMEM)
        }
        defer { rtnl_link_put(peerLink) }
        rtnl_link_set_name(link, name)
        rtnl_link_set_name(peerLink, peer)
        if let peerNamespaceFD {
            rtnl_link_set_ns_fd(peerLink, peerNamespaceFD)
        }
        let rc = perform { rtnl_link_add(socket, link, NLM_F_CREATE | NLM_F_EXCL) }
        if rc == -NLE_EXIST, try kind(of: name) == "veth" {
            return
        }
        if rc < 0 {
            throw error(rc, operation)
        }
        logger.debug("created veth pair", metadata: ["link": "\(name)", "peer": "\(peer)"])
    }

    /// Sets the link administratively up (IFF_UP). Undo with `setDown`.
    public func setUp(_ name: String) throws {
        try change(name, "set \(name) up") { rtnl_link_set_flags($0, UInt32(IFF_UP)) }
    }

    /// Sets the link administratively down (clears IFF_UP). Undo with `setUp`.
    public func setDown(_ name: String) throws {
        try change(name, "set \(name) down") { rtnl_link_unset_flags($0, UInt32(IFF_UP)) }
    }

    /// Attaches the link to the bridge `bridge` (IFLA_MASTER); repeating it is harmless. Undo with `setNoMaster`.
    public func setMaster(_ name: String, bridge: String) throws {
        let operation = "set master of \(name) to \(bridge)"
        let master = try require(bridge, for: operation)
        let masterIndex = rtnl_link_get_ifindex(master)
        rtnl_link_put(master)
        try change(name, operation) { rtnl_link_set_master($0, masterIndex) }
    }

    /// Turns hairpin mode on (or off) for a bridge port, so the bridge may send a frame back out of the port it
    /// came in on: needed when a pod reaches a Service that sends it back to the same pod (br_netfilter DNATs at the
    /// bridge). Undo with `on: false`.
    public func setHairpin(_ name: String, on: Bool) throws {
        let operation = "set hairpin \(on ? "on" : "off") on \(name)"
        let found = try require(name, for: operation)
        let index = rtnl_link_get_ifindex(found)
        rtnl_link_put(found)
        // Bridge-port attributes travel in an AF_BRIDGE message, and libnl refuses to change a link's family, so
        // both the original and the change are AF_BRIDGE objects naming the port by index.
        guard let original = rtnl_link_alloc(), let changes = rtnl_link_alloc() else {
            throw NetlinkError(operation: operation, code: NLE_NOMEM)
        }
        defer {
            rtnl_link_put(original)
            rtnl_link_put(changes)
        }
        rtnl_link_set_family(original, AF_BRIDGE)
        rtnl_link_set_ifindex(original, index)
        rtnl_link_set_family(changes, AF_BRIDGE)
        if on {
            rtnl_link_bridge_set_flags(changes, UInt32(RTNL_BRIDGE_HAIRPIN_MODE.rawValue))
        } else {
            rtnl_link_bridge_unset_flags(changes, UInt32(RTNL_BRIDGE_HAIRPIN_MODE.rawValue))
        }
        try call(operation) { rtnl_link_change(socket, original, changes, 0) }
    }

    /// Detaches the link from its bridge (IFLA_MASTER 0); harmless when it has none.
    public func setNoMaster(_ name: String) throws {
        try change(name, "detach \(name) from its master") { rtnl_link_set_master($0, 0) }
    }

    /// Sets the link's MTU. Undo by setting the previous value (see `links()`).
    public func setMTU(_ name: String, _ mtu: Int) throws {
        guard let value = UInt32(exactly: mtu) else {
            throw NetlinkError(operation: "set mtu of \(name) to \(mtu)", code: NLE_RANGE)
        }
        try change(name, "set mtu of \(name) to \(mtu)") { rtnl_link_set_mtu($0, value) }
    }

    /// Renames the link (IFLA_IFNAME); some kernels refuse while it is up (EBUSY), so set it down first to be
    /// portable. Undo by renaming it back.
    public func rename(_ name: String, to newName: String) throws {
        try change(name, "rename \(name) to \(newName)") { rtnl_link_set_name($0, newName) }
    }

    /// Moves the link into the namespace `fd` refers to (IFLA_NET_NS_FD); it disappears from this session's view.
    /// Undo from a session in that namespace with `moveToNamespace` back, or by deleting it there.
    public func moveToNamespace(_ name: String, fd: Int32) throws {
        try change(name, "move \(name) to namespace fd \(fd)") { rtnl_link_set_ns_fd($0, fd) }
        logger.debug("moved link to another namespace", metadata: ["link": "\(name)", "fd": "\(fd)"])
    }

    /// Ensures no link called `name` exists in this session's namespace; deleting one end of a veth pair deletes
    /// both. Nothing to undo.
    public func deleteLink(_ name: String) throws {
        let operation = "delete link \(name)"
        guard let link = rtnl_link_alloc() else {
            throw NetlinkError(operation: operation, code: NLE_NOMEM)
        }
        defer { rtnl_link_put(link) }
        rtnl_link_set_name(link, name)
        let rc = perform { rtnl_link_delete(socket, link) }
        if rc == -NLE_NODEV || rc == -NLE_OBJ_NOTFOUND {
            return
        }
        if rc < 0 {
            throw error(rc, operation)
        }
        logger.debug("deleted link", metadata: ["link": "\(name)"])
    }

    // MARK: - Helpers

    /// Sends one RTM_NEWLINK change for the link called `name`, built by `edit` on an empty change object.
    private func change(_ name: String, _ operation: String, _ edit: (OpaquePointer) -> Void) throws {
        let original = try require(name, for: operation)
        defer { rtnl_link_put(original) }
        guard let changes = rtnl_link_alloc() else {
            throw NetlinkError(operation: operation, code: NLE_NOMEM)
        }
        defer { rtnl_link_put(changes) }
        edit(changes)
        try call(operation) { rtnl_link_change(socket, original, changes, 0) }
        logger.trace("changed link", metadata: ["link": "\(name)", "change": "\(operation)"])
    }

    /// The rtnetlink kind of the link called `name`, or nil when it has none or does not exist.
    private func kind(of name: String) throws -> String? {
        guard let link = try lookUp(name) else { return nil }
        defer { rtnl_link_put(link) }
        return rtnl_link_get_type(link).map { String(cString: $0) }
    }

    /// Accepts an "exists" failure when the existing link has the wanted kind; rethrows it otherwise.
    private func requireKind(_ name: String, _ wanted: String, rc: Int32, operation: String) throws {
        let failure = error(rc, operation)
        let existing = try kind(of: name)
        guard existing == wanted else {
            var mismatch = failure
            mismatch.operation += " (a \(existing ?? "link without kind") of that name exists)"
            throw mismatch
        }
    }
}
