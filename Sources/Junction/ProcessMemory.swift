import Foundation

/// A process's memory as the kernel reports it, for the benchmarks' memory lines.
enum ProcessMemory {
    /// A `/proc/PID/status` memory field in KiB, 0 when unreadable: `VmRSS`, `VmHWM`, `RssAnon` (the private part,
    /// without the file-backed pages of the executable and libraries) or `RssFile`.
    static func kiB(_ pid: Int32, _ field: String = "VmRSS") -> Int {
        let status = readAll("/proc/\(pid)/status")
        for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
        }
        return 0
    }

    /// Where the resident pages are, from `/proc/PID/smaps`: per mapped file (or `[heap]`, `[stack]`, `anonymous`)
    /// the resident KiB and the part of it that is anonymous (private copies of file pages, such as relocated data,
    /// count there), largest first.
    static func mappings(_ pid: Int32) -> [(name: String, rssKiB: Int, anonKiB: Int)] {
        let smaps = readAll("/proc/\(pid)/smaps")
        var totals: [String: (rss: Int, anon: Int)] = [:]
        var current = "anonymous"
        for line in smaps.split(separator: "\n") {
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let first = words.first else { continue }
            if first.contains("-"), words.count >= 5 {
                // A mapping's header: range, perms, offset, device, inode[, path].
                current = words.count >= 6 ? words[5...].joined(separator: " ") : "anonymous"
                if current.hasPrefix("/") { current = URL(fileURLWithPath: current).lastPathComponent }
            } else if first == "Rss:", words.count >= 2 {
                totals[current, default: (0, 0)].rss += Int(words[1]) ?? 0
            } else if first == "Anonymous:", words.count >= 2 {
                totals[current, default: (0, 0)].anon += Int(words[1]) ?? 0
            }
        }
        return totals.map { ($0.key, $0.value.rss, $0.value.anon) }.filter { $0.rssKiB > 0 }.sorted { $0.rssKiB > $1.rssKiB }
    }

    /// A /proc file read to its end (their size is 0, and a read returns one page or less of text at a time).
    static func readAll(_ path: String) -> String {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes.append(contentsOf: chunk[..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The largest `count` mappings as one line: `name rss (anon)` in MiB.
    static func summary(_ pid: Int32, count: Int = 6) -> String {
        mappings(pid).prefix(count).map {
            String(format: "%@ %.1f (%.1f anon)", $0.name, Double($0.rssKiB) / 1024, Double($0.anonKiB) / 1024)
        }.joined(separator: ", ")
    }
}
