import Foundation

extension TablePrinter {
    /// Ages and "(5m ago)" suffixes must read exactly as kube-apiserver writes them, because users compare
    /// `kubectl get` output against real clusters and scripts grep it. The thresholds follow
    /// k8s.io/apimachinery's HumanDuration: about two to three significant figures, never more.
    public static func humanDuration(seconds: Int) -> String {
        // Clock skew of up to a second between writer and reader still reads as "now".
        if seconds < -1 { return "<invalid>" }
        if seconds < 0 { return "0s" }
        if seconds < 2 * 60 { return "\(seconds)s" }

        let minutes = seconds / 60
        if minutes < 10 {
            let rest = seconds % 60
            return rest == 0 ? "\(minutes)m" : "\(minutes)m\(rest)s"
        }
        if minutes < 3 * 60 { return "\(minutes)m" }

        let hours = seconds / 3600
        if hours < 8 {
            let rest = minutes % 60
            return rest == 0 ? "\(hours)h" : "\(hours)h\(rest)m"
        }
        if hours < 48 { return "\(hours)h" }
        if hours < 24 * 8 {
            let rest = hours % 24
            return rest == 0 ? "\(hours / 24)d" : "\(hours / 24)d\(rest)h"
        }
        if hours < 24 * 365 * 2 { return "\(hours / 24)d" }
        if hours < 24 * 365 * 8 {
            let days = (hours / 24) % 365
            return days == 0 ? "\(hours / 24 / 365)y" : "\(hours / 24 / 365)y\(days)d"
        }
        return "\(hours / 24 / 365)y"
    }

    /// The Age-style text for a stored RFC 3339 timestamp. A missing or unparseable one prints as upstream
    /// prints a zero time, "<unknown>", rather than failing the whole table.
    static func age(of timestamp: String?, now: Date) -> String {
        guard let timestamp, let then = parseTimestamp(timestamp) else { return "<unknown>" }
        let elapsed = now.timeIntervalSince1970 - then
        // Go converts durations to whole seconds by truncation toward zero; so do we.
        return humanDuration(seconds: Int(elapsed.rounded(.towardZero)))
    }

    /// Seconds since the epoch for "2024-05-01T10:00:00Z", with optional fraction and numeric offset.
    ///
    /// Hand-written rather than `ISO8601DateFormatter` so that tables over thousands of objects stay cheap and
    /// the result does not depend on Foundation's formatter options on Linux.
    static func parseTimestamp(_ text: String) -> Double? {
        let b = Array(text.utf8)
        func digits(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= b.count else { return nil }
            var v = 0
            for i in start..<(start + count) {
                let c = b[i]
                guard c >= 0x30, c <= 0x39 else { return nil }
                v = v * 10 + Int(c - 0x30)
            }
            return v
        }
        func byte(_ i: Int, _ expected: Character) -> Bool {
            i < b.count && expected.asciiValue.map { b[i] == $0 } == true
        }
        guard let year = digits(0, 4), byte(4, "-"), let month = digits(5, 2), byte(7, "-"),
            let day = digits(8, 2), byte(10, "T") || byte(10, "t") || byte(10, " "),
            let hour = digits(11, 2), byte(13, ":"), let minute = digits(14, 2), byte(16, ":"),
            let second = digits(17, 2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }

        var i = 19
        var fraction = 0.0
        if byte(i, ".") {
            i += 1
            var scale = 0.1
            let start = i
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                fraction += Double(b[i] - 0x30) * scale
                scale /= 10
                i += 1
            }
            if i == start { return nil }
        }

        var offsetSeconds = 0
        if byte(i, "Z") || byte(i, "z") {
            i += 1
        } else if byte(i, "+") || byte(i, "-") {
            let sign = byte(i, "-") ? -1 : 1
            guard let oh = digits(i + 1, 2), byte(i + 3, ":"), let om = digits(i + 4, 2) else { return nil }
            offsetSeconds = sign * (oh * 3600 + om * 60)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }

        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Double(seconds) + fraction
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's civil-date algorithm),
    /// so parsing needs no calendar object or time zone database.
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
