import Glibc

/// A failed namespace, mount, thread or socket system call, with the errno text.
public struct NamespaceError: Error, CustomStringConvertible, Sendable {
    /// What was being done, e.g. `bind-mount /proc/thread-self/ns/net on /run/netns/a`.
    public var operation: String
    /// The errno the call failed with (0 when the failure was not a system call's).
    public var errno: Int32
    /// `strerror(errno)`, or a description for failures that are not system calls'.
    public var message: String

    public init(operation: String, errno: Int32) {
        self.operation = operation
        self.errno = errno
        self.message = String(cString: strerror(errno))
    }

    public init(operation: String, message: String) {
        self.operation = operation
        self.errno = 0
        self.message = message
    }

    /// The error for the calling thread's current `errno`.
    static func current(_ operation: String) -> NamespaceError {
        NamespaceError(operation: operation, errno: Glibc.errno)
    }

    public var description: String { "\(operation): \(message)" }
}
