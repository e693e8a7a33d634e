import CNFTables
import Foundation
import Synchronization

/// A failed nftables command: libnftables' own error text, and the command that caused it.
public struct NFTablesError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var command: String
    public var description: String { "nftables: \(message.trimmingCharacters(in: .whitespacesAndNewlines))" }
}

/// The seam between the proxy and the kernel: the real runner talks libnftables, tests may record.
public protocol NFTablesExecuting: Sendable {
    /// Runs a whole nft script as one atomic transaction: all of it is applied, or none of it.
    func run(_ script: String) throws(NFTablesError)
    /// Runs a read command (e.g. `list table ip junction`) and returns its output.
    func list(_ command: String) throws(NFTablesError) -> String
    /// Runs independent scripts, each its own transaction, possibly at the same time; throws the first failure
    /// after all have ended.
    func runConcurrently(_ scripts: [String]) throws(NFTablesError)
}

extension NFTablesExecuting {
    public func runConcurrently(_ scripts: [String]) throws(NFTablesError) {
        for script in scripts { try run(script) }
    }
}

/// In-process libnftables: one long-lived context (parsing state and caches are kept between syncs), output and
/// errors buffered so nft's error text is never lost, every `run` one transaction. It programs the network namespace
/// of the thread that calls it, so the proxy runs inside its node's namespace.
public final class NFTablesRunner: NFTablesExecuting {
    private let ctx: Mutex<OpaquePointer?>
    /// Contexts for `runConcurrently`, made on first use by the thread that asks (libnftables opens a context's
    /// netlink socket when it makes it, in that thread's network namespace).
    private let workers = Mutex<[UnsafeSendable<OpaquePointer>]>([])
    private let terse: Bool

    /// - Parameter terse: listings leave set elements out, which is all a full sync needs (the names of what
    ///   exists); false for callers that read elements back.
    public init(terse: Bool = true) throws(NFTablesError) {
        self.terse = terse
        ctx = Mutex(try Self.makeContext(terse: terse))
    }

    private static func makeContext(terse: Bool) throws(NFTablesError) -> OpaquePointer {
        guard let c = nft_ctx_new(0) else { throw NFTablesError(message: "nft_ctx_new failed", command: "") }
        if terse { nft_ctx_output_set_flags(c, nft_ctx_output_get_flags(c) | UInt32(NFT_CTX_OUTPUT_TERSE)) }
        nft_ctx_buffer_output(c)
        nft_ctx_buffer_error(c)
        return c
    }

    deinit {
        ctx.withLock { c in
            if let c { nft_ctx_free(c) }
            c = nil
        }
        workers.withLock { contexts in
            for c in contexts { nft_ctx_free(c.value) }
            contexts = []
        }
    }

    public func run(_ script: String) throws(NFTablesError) {
        _ = try execute(script)
    }

    public func list(_ command: String) throws(NFTablesError) -> String {
        try execute(command)
    }

    /// How many scripts `runConcurrently` is worth giving at once: one per core, at most four.
    public static let concurrency = min(max(ProcessInfo.processInfo.activeProcessorCount, 1), 4)

    /// Each script on its own context and thread (the first on the calling thread). Threads are started from the
    /// calling thread, so they share its network namespace.
    public func runConcurrently(_ scripts: [String]) throws(NFTablesError) {
        if scripts.count <= 1 {
            for script in scripts { try run(script) }
            return
        }
        // The pool stays locked for the whole call: a context serves one thread at a time.
        let outcome: Result<Void, NFTablesError> = workers.withLock { pool in
            while pool.count < scripts.count - 1 {
                switch Result(catching: { () throws(NFTablesError) in try Self.makeContext(terse: terse) }) {
                case .success(let c): pool.append(UnsafeSendable(c))
                case .failure(let error): return .failure(error)
                }
            }
            let results = Mutex<[Int: NFTablesError]>([:])
            let done = DispatchGroup()
            for (index, script) in scripts.enumerated().dropFirst() {
                let context = pool[index - 1]
                done.enter()
                Thread {
                    if case .failure(let error) = Self.execute(script, on: context.value) {
                        results.withLock { $0[index] = error }
                    }
                    done.leave()
                }.start()
            }
            let first = Result { () throws(NFTablesError) in try run(scripts[0]) }
            done.wait()
            if case .failure = first { return first }
            if let error = results.withLock({ $0.sorted { $0.key < $1.key }.first?.value }) { return .failure(error) }
            return .success(())
        }
        try outcome.get()
    }

    private func execute(_ script: String) throws(NFTablesError) -> String {
        let result: Result<String, NFTablesError> = ctx.withLock { c in
            guard let c else { return .failure(NFTablesError(message: "context closed", command: script)) }
            return Self.execute(script, on: c)
        }
        return try result.get()
    }

    private static func execute(_ script: String, on c: OpaquePointer) -> Result<String, NFTablesError> {
        let rc = nft_run_cmd_from_buffer(c, script)
        let out = nft_ctx_get_output_buffer(c).map { String(cString: $0) } ?? ""
        let err = nft_ctx_get_error_buffer(c).map { String(cString: $0) } ?? ""
        if rc != 0 { return .failure(NFTablesError(message: err.isEmpty ? "nft failed (\(rc))" : err, command: script)) }
        return .success(out)
    }
}

/// A libnftables context handed to one worker thread, used by it alone for the duration of a call.
private struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
