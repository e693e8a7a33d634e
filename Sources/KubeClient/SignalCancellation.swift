import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` until SIGTERM or SIGINT, which cancel it (so it can clean up) instead of killing the process.
public func withSignalCancellation(_ body: @escaping @Sendable () async throws -> Void) async throws {
    signal(SIGTERM, SIG_IGN)
    signal(SIGINT, SIG_IGN)
    let task = Task { try await body() }
    let sources = [SIGTERM, SIGINT].map { sig in
        let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
        s.setEventHandler { task.cancel() }
        s.resume()
        return s
    }
    defer { sources.forEach { $0.cancel() } }
    do {
        try await task.value
    } catch is CancellationError {}
}
