import CNetlink
import Glibc

extension NetlinkSession {
    /// Ensures a unicast route in the main table to `destination` (`default` or a CIDR) via `gateway` and/or out
    /// of `dev`, like `ip route replace`: a route to the same destination with other next hops is replaced, an
    /// identical one is left as it is. `default` takes the gateway's family (IPv4 without a gateway); write `::/0`
    /// for IPv6 without one. Protocol `boot` and the kernel's usual scope (link without a gateway, universe with
    /// one), as iproute2 does. Undo with `deleteRoute(destination)`.
    public func addRoute(_ destination: String, via gateway: String?, dev: String?) throws {
        var operation = "add route \(destination)"
        if let gateway { operation += " via \(gateway)" }
        if let dev { operation += " dev \(dev)" }
        guard gateway != nil || dev != nil else {
            throw NetlinkError(
                operation: "\(operation): needs a gateway or a device", code: NLE_MISSING_ATTR)
        }

        let gatewayAddress = try gateway.map { try Self.parseIP($0, operation: operation) }
        defer { if let gatewayAddress { nl_addr_put(gatewayAddress) } }
        let family = gatewayAddress.map { nl_addr_get_family($0) } ?? AF_UNSPEC
        let destinationAddress = try Self.parseIP(destination, family: family, operation: operation)
        defer { nl_addr_put(destinationAddress) }
        let routeFamily = nl_addr_get_family(destinationAddress)
        if family != AF_UNSPEC, family != routeFamily {
            throw NetlinkError(operation: operation, code: NLE_AF_MISMATCH)
        }
        let index = try dev.map { name -> Int32 in
            let link = try require(name, for: operation)
            defer { rtnl_link_put(link) }
            return rtnl_link_get_ifindex(link)
        }

        guard let route = rtnl_route_alloc() else {
            throw NetlinkError(operation: operation, code: NLE_NOMEM)
        }
        defer { rtnl_route_put(route) }
        try fill(
            route, family: routeFamily, destination: destinationAddress, protocol: UInt8(RTPROT_BOOT),
            operation: operation)
        guard let nexthop = rtnl_route_nh_alloc() else {
            throw NetlinkError(operation: operation, code: NLE_NOMEM)
        }
        if let gatewayAddress {
            rtnl_route_nh_set_gateway(nexthop, gatewayAddress)
        }
        if let index {
            rtnl_route_nh_set_ifindex(nexthop, index)
        }
        // The route owns the next hop from here on and frees it with itself.
        rtnl_route_add_nexthop(route, nexthop)
        try call(operation) { rtnl_route_add(socket, route, NLM_F_REPLACE) }
        logger.debug("ensured route", metadata: ["route": "\(operation)"])
    }

    /// Ensures there is no main-table route to `destination` (`default` is IPv4's, `::/0` IPv6's); a missing route
    /// counts as done.
    public func deleteRoute(_ destination: String) throws {
        let operation = "delete route \(destination)"
        let destinationAddress = try Self.parseIP(destination, operation: operation)
        defer { nl_addr_put(destinationAddress) }
        guard let route = rtnl_route_alloc() else {
            throw NetlinkError(operation: operation, code: NLE_NOMEM)
        }
        defer { rtnl_route_put(route) }
        // Protocol 0 and scope RT_SCOPE_NOWHERE are the kernel's wildcards for deletions: match any route.
        try fill(
            route, family: nl_addr_get_family(destinationAddress), destination: destinationAddress,
            protocol: UInt8(RTPROT_UNSPEC), operation: operation)
        rtnl_route_set_scope(route, UInt8(RT_SCOPE_NOWHERE.rawValue))
        let rc = perform { rtnl_route_delete(socket, route, 0) }
        if rc == -NLE_OBJ_NOTFOUND || rc == -NLE_NOADDR {
            return
        }
        if rc < 0 {
            throw error(rc, operation)
        }
        logger.debug("deleted route", metadata: ["route": "\(destination)"])
    }

    private func fill(
        _ route: OpaquePointer, family: Int32, destination: OpaquePointer, protocol: UInt8, operation: String
    ) throws {
        try call(operation) { rtnl_route_set_family(route, UInt8(family)) }
        try call(operation) { rtnl_route_set_dst(route, destination) }
        rtnl_route_set_table(route, UInt32(RT_TABLE_MAIN.rawValue))
        rtnl_route_set_protocol(route, `protocol`)
        rtnl_route_set_type(route, UInt8(RTN_UNICAST))
    }
}
