import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The per-request lines the echo workload prints; they become the pod's `kubectl logs`, so their shape is stable:
///
///     2026-11-22T00:00:00Z GET /path from 10.244.1.5:43210 -> 200
///     2026-11-22T00:00:00Z TCP from 10.244.1.5:43211 echoed 1048576 bytes
///     2026-11-22T00:00:00Z UDP from 10.244.1.5:43212 echoed 5 bytes
public enum EchoAccessLog {
    static func httpLine(method: String, uri: String, client: String, status: Int, at date: Date = Date()) -> String {
        "\(timestamp(date)) \(method) \(uri) from \(client) -> \(status)\n"
    }

    static func streamLine(proto: String, client: String, bytes: Int, at date: Date = Date()) -> String {
        "\(timestamp(date)) \(proto) from \(client) echoed \(bytes) bytes\n"
    }

    /// RFC 3339 in UTC with whole seconds, like the timestamps `kubectl logs --timestamps` users expect.
    static func timestamp(_ date: Date) -> String {
        date.ISO8601Format()
    }

    /// Writes with one `write(2)` per line so concurrent connections never interleave within a line (lines are far
    /// below `PIPE_BUF`) and nothing sits in a stdio buffer when the pod is killed. Errors are ignored on purpose:
    /// a closed log pipe must not take the workload down.
    @Sendable
    public static func writeToStandardOutput(_ line: String) {
        var bytes = Array(line.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return -1 }
                return write(STDOUT_FILENO, base + offset, buffer.count - offset)
            }
            if written > 0 {
                offset += written
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                return
            }
        }
    }
}
