import CNetlink
import Glibc

extension NetlinkSession {
    /// Ensures the address `cidr` (`10.244.1.1/24`, `fd00::1/64`; no prefix means a host address) is on the link
    /// `name`; the kernel adds the matching prefix route. IPv6 addresses are added with IFA_F_NODAD so they are
    /// usable at once (the simulated networks have nobody to collide with). An address already there counts as
    /// done. Undo with `deleteAddress(cidr, from: name)`.
    public func addAddress(_ cidr: String, to name: String) throws {
        let operation = "add address \(cidr) to \(name)"
        let local = try Self.parseIP(cidr, operation: operation)
        defer { nl_addr_put(local) }
        let link = try require(name, for: operation)
        let index = rtnl_link_get_ifindex(link)
        rtnl_link_put(link)

        guard let address = rtnl_addr_alloc() else {
            throw NetlinkError(operation: operation, code: NLE_NOMEM)
        }
        defer { rtnl_addr_put(address) }
        rtnl_addr_set_ifindex(address, index)
        try call(operation) { rtnl_addr_set_local(address, local) }
        if nl_addr_get_family(local) == AF_INET6 {
            rtnl_addr_set_flags(address, UInt32(IFA_F_NODAD))
        }
        let rc = perform { rtnl_addr_add(socket, address, 0) }
        if rc == -NLE_EXIST {
            return
        }
        if rc < 0 {
            throw error(rc, operation)
        }
        logger.debug("added address", metadata: ["link": "\(name)", "address": "\(cidr)"])
    }

    /// Ensures the address `cidr` is not on the link `name` (nor is its prefix route); a missing link or address
    /// counts as done.
    public func deleteAddress(_ cidr: String, from name: String) throws {
        let operation = "delete address \(cidr) from \(name)"
        let local = try Self.parseIP(cidr, operation: operation)
        defer { nl_addr_put(local) }
        guard let index = try linkIndex(name) else { return }
        guard let address = rtnl_addr_alloc() else {
            throw NetlinkError(operation: operation, code: NLE_NOMEM)
        }
        defer { rtnl_addr_put(address) }
        rtnl_addr_set_ifindex(address, index)
        try call(operation) { rtnl_addr_set_local(address, local) }
        let rc = perform { rtnl_addr_delete(socket, address, 0) }
        if rc == -NLE_NOADDR || rc == -NLE_OBJ_NOTFOUND || rc == -NLE_NODEV {
            return
        }
        if rc < 0 {
            throw error(rc, operation)
        }
        logger.debug("deleted address", metadata: ["link": "\(name)", "address": "\(cidr)"])
    }

    /// The addresses on the link `name` as `address/prefix` strings, IPv4 first, including kernel-made ones such
    /// as IPv6 link-local addresses. Touches nothing.
    public func addresses(_ name: String) throws -> [String] {
        let link = try require(name, for: "list addresses of \(name)")
        let index = rtnl_link_get_ifindex(link)
        rtnl_link_put(link)

        var cache: OpaquePointer?
        try call("list addresses of \(name)") { rtnl_addr_alloc_cache(socket, &cache) }
        guard let cache else { return [] }
        defer { nl_cache_free(cache) }
        var found: [(family: Int32, text: String)] = []
        var object = nl_cache_get_first(cache)
        while let current = object {
            if let address = cnl_object_as_addr(current), rtnl_addr_get_ifindex(address) == index,
                let local = rtnl_addr_get_local(address), let text = Self.format(local)
            {
                found.append((rtnl_addr_get_family(address), "\(text)/\(rtnl_addr_get_prefixlen(address))"))
            }
            object = nl_cache_get_next(current)
        }
        let v4 = found.filter { $0.family == AF_INET }.map(\.text)
        let v6 = found.filter { $0.family == AF_INET6 }.map(\.text)
        return v4 + v6
    }

    // MARK: - Address values

    /// Parses an IPv4 or IPv6 address with optional `/prefix` into a libnl address (caller puts it).
    static func parseIP(_ text: String, family: Int32 = AF_UNSPEC, operation: String) throws -> OpaquePointer {
        var parsed: OpaquePointer?
        let rc = nl_addr_parse(text, family, &parsed)
        if rc < 0 {
            throw NetlinkError(operation: "\(operation): parse \"\(text)\"", code: rc)
        }
        guard let parsed else {
            throw NetlinkError(operation: "\(operation): parse \"\(text)\"", code: NLE_INVAL)
        }
        let parsedFamily = nl_addr_get_family(parsed)
        guard parsedFamily == AF_INET || parsedFamily == AF_INET6 else {
            nl_addr_put(parsed)
            throw NetlinkError(operation: "\(operation): \"\(text)\" is not an IP address", code: NLE_AF_NOSUPPORT)
        }
        return parsed
    }

    /// The textual form of an IPv4 or IPv6 libnl address, without prefix.
    static func format(_ address: OpaquePointer) -> String? {
        let family = nl_addr_get_family(address)
        guard family == AF_INET || family == AF_INET6, let binary = nl_addr_get_binary_addr(address) else {
            return nil
        }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(family, binary, &buffer, socklen_t(buffer.count)) != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
