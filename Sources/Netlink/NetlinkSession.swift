import CNetlink
import Glibc
import Logging

/// A NETLINK_ROUTE socket (libnl-route-3) bound to the network namespace it was opened in.
///
/// A socket belongs to the namespace of the thread that created it, so a session opened on a thread that
/// `setns()`'d into a namespace keeps programming that namespace wherever it is used afterwards. Open it inside
/// `NetworkNamespace.runSync(in:)`/`run(in:)` to work on a project namespace; never open one on a thread that
/// is in the root namespace unless the root namespace is meant.
///
/// Not `Sendable`: libnl sockets keep sequence numbers and callbacks without locking, so a session is used by
/// one thread at a time. Closing it (deinit) closes the socket and changes nothing in the kernel.
public final class NetlinkSession: NetlinkControl {
    let socket: OpaquePointer
    private let capture: UnsafeMutablePointer<cnl_error_capture>
    let logger: Logger

    /// Opens a NETLINK_ROUTE socket in the calling thread's network namespace.
    public init(logger: Logger = Logger(label: "junction.netlink")) throws {
        guard let socket = nl_socket_alloc() else {
            throw NetlinkError(operation: "allocate netlink socket", code: NLE_NOMEM)
        }
        let rc = nl_connect(socket, NETLINK_ROUTE)
        if rc < 0 {
            nl_socket_free(socket)
            throw NetlinkError(operation: "connect NETLINK_ROUTE socket", code: rc)
        }
        let capture = UnsafeMutablePointer<cnl_error_capture>.allocate(capacity: 1)
        capture.initialize(to: cnl_error_capture())
        let captureRC = cnl_socket_capture_errors(socket, capture)
        if captureRC < 0 {
            nl_socket_free(socket)
            capture.deinitialize(count: 1)
            capture.deallocate()
            throw NetlinkError(operation: "install netlink error handler", code: captureRC)
        }
        self.socket = socket
        self.capture = capture
        self.logger = logger
    }

    deinit {
        nl_socket_free(socket)
        capture.deinitialize(count: 1)
        capture.deallocate()
    }

    // MARK: - Error plumbing

    /// Runs one libnl call and returns its (non-negative) result, or throws with libnl's and the kernel's text.
    @discardableResult
    func call(_ operation: @autoclosure () -> String, _ body: () -> Int32) throws -> Int32 {
        let rc = perform(body)
        if rc < 0 {
            throw error(rc, operation())
        }
        return rc
    }

    /// Runs one libnl call with a fresh error capture and returns its raw result.
    func perform(_ body: () -> Int32) -> Int32 {
        capture.pointee.kernel_errno = 0
        capture.pointee.message.0 = 0
        return body()
    }

    /// The error for a negative libnl result of the call just made.
    func error(_ rc: Int32, _ operation: String) -> NetlinkError {
        let kernelErrno = capture.pointee.kernel_errno
        let kernelMessage = withUnsafeBytes(of: &capture.pointee.message) { raw -> String in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
        return NetlinkError(
            operation: operation, code: rc,
            kernelErrno: kernelErrno == 0 ? nil : kernelErrno,
            kernelMessage: kernelMessage.isEmpty ? nil : kernelMessage)
    }

    // MARK: - Lookups

    /// The index of the link called `name`, or nil when there is none. Touches nothing.
    public func linkIndex(_ name: String) throws -> Int32? {
        guard let link = try lookUp(name) else { return nil }
        defer { rtnl_link_put(link) }
        return rtnl_link_get_ifindex(link)
    }

    /// Fetches the link called `name` from the kernel (caller puts it), or nil when there is none.
    func lookUp(_ name: String) throws -> OpaquePointer? {
        var link: OpaquePointer?
        let rc = perform { rtnl_link_get_kernel(socket, 0, name, &link) }
        if rc == -NLE_NODEV || rc == -NLE_OBJ_NOTFOUND {
            return nil
        }
        if rc < 0 {
            throw error(rc, "look up link \(name)")
        }
        guard let link else {
            throw NetlinkError(operation: "look up link \(name)", code: NLE_OBJ_NOTFOUND)
        }
        return link
    }

    /// Fetches the link called `name` (caller puts it), failing with libnl's "No such device" when missing.
    func require(_ name: String, for operation: String) throws -> OpaquePointer {
        var link: OpaquePointer?
        try call("\(operation): look up link \(name)") { rtnl_link_get_kernel(socket, 0, name, &link) }
        guard let link else {
            throw NetlinkError(operation: "\(operation): look up link \(name)", code: NLE_OBJ_NOTFOUND)
        }
        return link
    }

    /// All links of the namespace, ordered by index. Touches nothing.
    public func links() throws -> [NetworkLink] {
        var cache: OpaquePointer?
        try call("list links") { rtnl_link_alloc_cache(socket, AF_UNSPEC, &cache) }
        guard let cache else { return [] }
        defer { nl_cache_free(cache) }
        var result: [NetworkLink] = []
        var object = nl_cache_get_first(cache)
        while let current = object {
            if let link = cnl_object_as_link(current) {
                result.append(Self.describe(link))
            }
            object = nl_cache_get_next(current)
        }
        return result.sorted { $0.index < $1.index }
    }

    static func describe(_ link: OpaquePointer) -> NetworkLink {
        let master = rtnl_link_get_master(link)
        return NetworkLink(
            name: rtnl_link_get_name(link).map { String(cString: $0) } ?? "",
            index: rtnl_link_get_ifindex(link),
            kind: rtnl_link_get_type(link).map { String(cString: $0) },
            up: rtnl_link_get_flags(link) & UInt32(IFF_UP) != 0,
            mtu: Int(rtnl_link_get_mtu(link)),
            masterIndex: master > 0 ? master : nil)
    }
}

// Bound to the thread and namespace it was opened in; see the type's documentation.
@available(*, unavailable)
extension NetlinkSession: Sendable {}
