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
}

/// In-process libnftables: one long-lived context (parsing state and caches are kept between syncs), output and
/// errors buffered so nft's error text is never lost, every `run` one transaction. It programs the network namespace
/// of the thread that calls it, so the proxy runs inside its node's namespace.
public final class NFTablesRunner: NFTablesExecuting {
    private let ctx: Mutex<OpaquePointer?>

    /// - Parameter terse: listings leave set elements out, which is all a full sync needs (the names of what
    ///   exists); false for callers that read elements back.
    public init(terse: Bool = true) throws(NFTablesError) {
        guard let c = nft_ctx_new(0) else { throw NFTablesError(message: "nft_ctx_new failed", command: "") }
        if terse { nft_ctx_output_set_flags(c, nft_ctx_output_get_flags(c) | UInt32(NFT_CTX_OUTPUT_TERSE)) }
        nft_ctx_buffer_output(c)
        nft_ctx_buffer_error(c)
        ctx = Mutex(c)
    }

    deinit {
        ctx.withLock { c in
            if let c { nft_ctx_free(c) }
            c = nil
        }
    }

    public func run(_ script: String) throws(NFTablesError) {
        _ = try execute(script)
    }

    public func list(_ command: String) throws(NFTablesError) -> String {
        try execute(command)
    }

    private func execute(_ script: String) throws(NFTablesError) -> String {
        let result: Result<String, NFTablesError> = ctx.withLock { c in
            guard let c else { return .failure(NFTablesError(message: "context closed", command: script)) }
            let rc = nft_run_cmd_from_buffer(c, script)
            let out = nft_ctx_get_output_buffer(c).map { String(cString: $0) } ?? ""
            let err = nft_ctx_get_error_buffer(c).map { String(cString: $0) } ?? ""
            if rc != 0 { return .failure(NFTablesError(message: err.isEmpty ? "nft failed (\(rc))" : err, command: script)) }
            return .success(out)
        }
        return try result.get()
    }
}
