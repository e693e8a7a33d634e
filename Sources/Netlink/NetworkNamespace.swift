import CNetlink
import Glibc
import Logging
import Synchronization

/// Named, persistent network namespaces in iproute2's layout (`/run/netns/NAME`), so `ip netns exec NAME …`
/// and `ip -n NAME …` see the same namespaces this code makes.
///
/// A namespace is entered per thread: `setns()` moves only the calling thread. Everything here that enters a
/// namespace does it on a fresh OS thread that ends with the job, never on a Swift concurrency or NIO thread.
public enum NetworkNamespace {
    /// Where named namespaces are bind-mounted, as iproute2 does.
    public static let runDirectory = "/run/netns"

    /// Serialises preparing `runDirectory` and creating or removing mounts in it within this process.
    private static let mountLock = Mutex(())

    /// The file a named namespace is bind-mounted on.
    public static func path(_ name: String) -> String { "\(runDirectory)/\(name)" }

    /// Ensures a persistent network namespace called `name` exists, like `ip netns add NAME`.
    ///
    /// Touches the mount table, not any network: makes `/run/netns` a shared mount point (bind-mounting it on
    /// itself first if it is not a mount point, exactly as iproute2 does, so mounts propagate to other mount
    /// namespaces), creates the file `/run/netns/NAME` and bind-mounts a new namespace on it. The namespace is
    /// made by `unshare(CLONE_NEWNET)` on a dedicated thread that ends right after, so no other thread changes
    /// namespace. The new namespace has only a down `lo`. An existing namespace of that name is left as it is
    /// (its links are not reset). Undo with `delete(name)`.
    public static func create(_ name: String, logger: Logger = Logger(label: "junction.netns")) throws {
        try validate(name)
        let path = path(name)
        try mountLock.withLock { _ in
            try prepareRunDirectory()
            if exists(name) {
                return
            }
            // No O_EXCL: a file left by an interrupted create is reused as the mount point.
            let fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0)
            guard fd >= 0 else {
                throw NamespaceError.current("create \(path)")
            }
            close(fd)
            let outcome = Outcome<Void>()
            try DedicatedThread.runAndJoin {
                outcome.result = Result {
                    guard cnl_unshare_net() == 0 else {
                        throw NamespaceError.current("unshare(CLONE_NEWNET) for \(name)")
                    }
                    guard mount("/proc/thread-self/ns/net", path, "none", UInt(MS_BIND), nil) == 0 else {
                        throw NamespaceError.current("bind-mount /proc/thread-self/ns/net on \(path)")
                    }
                }
            }
            do {
                try outcome.get()
            } catch {
                unlink(path)
                throw error
            }
        }
        logger.debug("created network namespace", metadata: ["netns": "\(name)"])
    }

    /// Ensures no namespace called `name` is mounted, like `ip netns delete NAME`: detaches the bind mount and
    /// removes `/run/netns/NAME`. The kernel destroys the namespace, with every link in it (and the peers of its
    /// veth ends, wherever they are), once nothing else holds it: processes still inside, or open sockets and
    /// descriptors made there, keep it alive until they end. A missing namespace counts as done.
    public static func delete(_ name: String, logger: Logger = Logger(label: "junction.netns")) throws {
        try validate(name)
        let path = path(name)
        try mountLock.withLock { _ in
            // Repeat for mounts stacked by a concurrent `ip netns add`; EINVAL means no mount is left.
            for _ in 0..<8 {
                if umount2(path, Int32(MNT_DETACH)) != 0 {
                    let error = Glibc.errno
                    guard error == EINVAL || error == ENOENT else {
                        throw NamespaceError(operation: "unmount \(path)", errno: error)
                    }
                    break
                }
            }
            if unlink(path) != 0 {
                let error = Glibc.errno
                guard error == ENOENT else {
                    throw NamespaceError(operation: "remove \(path)", errno: error)
                }
            }
        }
        logger.debug("deleted network namespace", metadata: ["netns": "\(name)"])
    }

    /// Whether `/run/netns/NAME` is a mounted namespace. Touches nothing.
    public static func exists(_ name: String) -> Bool {
        guard (try? validate(name)) != nil else { return false }
        return cnl_path_is_nsfs(path(name)) == 1
    }

    /// The names of the mounted namespaces in `/run/netns`, sorted. Touches nothing.
    public static func list() -> [String] {
        guard let directory = opendir(runDirectory) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: &entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != ".", name != "..", exists(name) {
                names.append(name)
            }
        }
        return names.sorted()
    }

    /// Opens the namespace (O_RDONLY | O_CLOEXEC) for `setns` or `IFLA_NET_NS_FD`. The caller closes the
    /// descriptor; while it is open the namespace outlives `delete`.
    public static func openFD(_ name: String) throws -> Int32 {
        try validate(name)
        guard exists(name) else {
            throw NamespaceError(operation: "open network namespace \(name)", message: "no such network namespace")
        }
        let fd = open(path(name), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw NamespaceError.current("open \(path(name))")
        }
        return fd
    }

    /// Runs `body` on a new OS thread that has `setns()`'d into the namespace, and resumes with its result when
    /// the thread is done. The thread ends with `body`, so no other work ever runs in the namespace by accident;
    /// `body` never runs if entering the namespace fails. Sockets and netlink sessions opened by `body` stay in
    /// the namespace wherever they are used later. Cancellation is not observed: `body` runs to completion.
    public static func run<T: Sendable>(
        in name: String, _ body: @escaping @Sendable () throws -> T
    ) async throws -> T {
        let fd = try openFD(name)
        return try await withCheckedThrowingContinuation { continuation in
            do {
                try DedicatedThread.detach {
                    let result = Result { () throws -> T in
                        try enter(fd, name)
                        return try body()
                    }
                    close(fd)
                    continuation.resume(with: result)
                }
            } catch {
                close(fd)
                continuation.resume(throwing: error)
            }
        }
    }

    /// Runs `body` on a new OS thread that has `setns()`'d into the namespace, blocking the caller until the
    /// thread is done; for callers outside async code. `body` never runs if entering the namespace fails.
    public static func runSync<T>(in name: String, _ body: () throws -> T) throws -> T {
        let fd = try openFD(name)
        defer { close(fd) }
        return try withoutActuallyEscaping(body) { body in
            let job = SyncJob(body)
            do {
                try DedicatedThread.runAndJoin {
                    job.run(enteringNamespace: fd, name: name)
                }
            } catch {
                job.discard()
                throw error
            }
            return try job.outcome.get()
        }
    }

    // MARK: - Internals

    static func enter(_ fd: Int32, _ name: String) throws {
        guard cnl_setns_net(fd) == 0 else {
            throw NamespaceError.current("setns into network namespace \(name)")
        }
    }

    static func validate(_ name: String) throws {
        guard !name.isEmpty, name != ".", name != "..", !name.contains("/"), name.utf8.count <= Int(NAME_MAX)
        else {
            throw NamespaceError(operation: "use namespace name \"\(name)\"", message: "invalid namespace name")
        }
    }

    /// Makes `/run/netns` a shared mount point, as `ip netns add` does. Caller holds `mountLock`.
    private static func prepareRunDirectory() throws {
        if mkdir(runDirectory, 0o755) != 0, Glibc.errno != EEXIST {
            throw NamespaceError.current("create \(runDirectory)")
        }
        var boundOnItself = false
        while mount("", runDirectory, "none", UInt(MS_SHARED | MS_REC), nil) != 0 {
            let error = Glibc.errno
            guard error == EINVAL, !boundOnItself else {
                throw NamespaceError(operation: "make \(runDirectory) a shared mount", errno: error)
            }
            guard mount(runDirectory, runDirectory, "none", UInt(MS_BIND | MS_REC), nil) == 0 else {
                throw NamespaceError.current("bind-mount \(runDirectory) on itself")
            }
            boundOnItself = true
        }
    }
}

/// A result handed from a joined thread to its creator; `pthread_join` orders the write before the read.
final class Outcome<T>: @unchecked Sendable {
    var result: Result<T, any Error>?

    func get() throws -> T {
        guard let result else {
            throw NamespaceError(operation: "namespace thread", message: "ended without a result")
        }
        return try result.get()
    }
}

/// `runSync`'s body and result, shared with the joined thread. The thread drops the body before it ends, so
/// `withoutActuallyEscaping` sees it unescaped; `pthread_join` orders every access.
private final class SyncJob<T>: @unchecked Sendable {
    private var body: (() throws -> T)?
    let outcome = Outcome<T>()

    init(_ body: @escaping () throws -> T) {
        self.body = body
    }

    /// Drops the body when no thread could be started.
    func discard() {
        body = nil
    }

    func run(enteringNamespace fd: Int32, name: String) {
        guard let work = body else { return }
        body = nil
        outcome.result = Result {
            try NetworkNamespace.enter(fd, name)
            return try work()
        }
    }
}
