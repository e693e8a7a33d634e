import CNetlink

/// A failed netlink request, with libnl's description of the failure.
///
/// `code` is libnl's positive error number (`NLE_*`), and `message` is `nl_geterror(code)`. libnl folds the
/// kernel's errno into its own smaller set (EEXIST and EADDRINUSE are both `NLE_EXIST`) and drops the
/// kernel's extended-ack text, so both are kept here when the kernel sent them.
public struct NetlinkError: Error, CustomStringConvertible, Sendable {
    /// What was being done, e.g. `set master of veth0 to br0`.
    public var operation: String
    /// libnl's error number, positive (`NLE_EXIST`, `NLE_NODEV`, …).
    public var code: Int32
    /// libnl's text for `code` (`nl_geterror`).
    public var message: String
    /// The errno in the kernel's NLMSG_ERROR, when the failure came from the kernel.
    public var kernelErrno: Int32?
    /// The kernel's extended-ack message, when it sent one.
    public var kernelMessage: String?

    public init(
        operation: String, code: Int32, message: String? = nil, kernelErrno: Int32? = nil,
        kernelMessage: String? = nil
    ) {
        self.operation = operation
        self.code = abs(code)
        self.message = message ?? String(cString: nl_geterror(abs(code)))
        self.kernelErrno = kernelErrno
        self.kernelMessage = kernelMessage
    }

    /// The object asked for is not there (`NLE_NODEV` or `NLE_OBJ_NOTFOUND`).
    public var isNotFound: Bool { code == NLE_NODEV || code == NLE_OBJ_NOTFOUND }

    /// The object to create is already there (`NLE_EXIST`).
    public var isAlreadyExists: Bool { code == NLE_EXIST }

    public var description: String {
        var text = "\(operation): \(message)"
        if let kernelMessage, !kernelMessage.isEmpty {
            text += " (kernel: \(kernelMessage))"
        }
        return text
    }
}
