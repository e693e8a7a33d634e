import Glibc

/// A fresh OS thread per job, for work that changes per-thread kernel state (`setns`, `unshare`).
///
/// Namespace membership is a property of a thread, so such work must never run on a thread that other code
/// shares afterwards (the Swift concurrency pool, a NIO event loop). The thread ends with its job, taking its
/// namespace membership with it.
enum DedicatedThread {
    private final class Job {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Runs `body` on a new thread and returns when the thread has ended.
    static func runAndJoin(_ body: @escaping @Sendable () -> Void) throws {
        let thread = try start(body)
        let rc = pthread_join(thread, nil)
        if rc != 0 {
            throw NamespaceError(operation: "join namespace thread", errno: rc)
        }
    }

    /// Runs `body` on a new detached thread and returns at once.
    static func detach(_ body: @escaping @Sendable () -> Void) throws {
        let thread = try start(body)
        let rc = pthread_detach(thread)
        if rc != 0 {
            throw NamespaceError(operation: "detach namespace thread", errno: rc)
        }
    }

    private static func start(_ body: @escaping @Sendable () -> Void) throws -> pthread_t {
        let job = Unmanaged.passRetained(Job(body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(
            &thread, nil,
            { argument in
                if let argument {
                    Unmanaged<Job>.fromOpaque(argument).takeRetainedValue().body()
                }
                return nil
            }, job)
        if rc != 0 {
            Unmanaged<Job>.fromOpaque(job).release()
            throw NamespaceError(operation: "start namespace thread", errno: rc)
        }
        return thread
    }
}
