import KubeModel
import Testing

/// Boundaries taken from apimachinery's HumanDuration rules, in whole seconds (Go truncates sub-second parts).
@Suite("TablePrinter.humanDuration")
struct PresentationDurationTests {
    static let minute = 60
    static let hour = 3600
    static let day = 86_400
    static let year = 365 * day

    static let cases: [(seconds: Int, expected: String)] = [
        (-2, "<invalid>"),
        (-1, "0s"),
        (0, "0s"),
        (1, "1s"),
        (45, "45s"),
        (70, "70s"),
        (119, "119s"),
        (2 * minute, "2m"),
        (2 * minute + 1, "2m1s"),
        (190, "3m10s"),
        (200, "3m20s"),
        (5 * minute, "5m"),
        (10 * minute - 1, "9m59s"),
        (10 * minute, "10m"),
        (10 * minute + 1, "10m"),
        (70 * minute, "70m"),
        (2 * hour + 10 * minute, "130m"),
        (3 * hour - 1, "179m"),
        (3 * hour, "3h"),
        (3 * hour + minute, "3h1m"),
        (8 * hour - 1, "7h59m"),
        (8 * hour, "8h"),
        (8 * hour + 59 * minute, "8h"),
        (47 * hour, "47h"),
        (2 * day - 1, "47h"),
        (2 * day, "2d"),
        (49 * hour, "2d1h"),
        (3 * day + 4 * hour, "3d4h"),
        (8 * day - 1, "7d23h"),
        (8 * day, "8d"),
        (8 * day + 23 * hour, "8d"),
        (367 * day, "367d"),
        (400 * day, "400d"),
        (2 * year - 1, "729d"),
        (2 * year, "2y"),
        (2 * year + 23 * hour + 59 * minute, "2y"),
        (2 * year + day, "2y1d"),
        (2 * year + 25 * hour, "2y1d"),
        (5 * year, "5y"),
        (8 * year - 1, "7y364d"),
        (8 * year, "8y"),
        (8 * year + 364 * day, "8y"),
        (9 * year, "9y"),
    ]

    @Test(arguments: cases)
    func matchesUpstream(seconds: Int, expected: String) {
        #expect(TablePrinter.humanDuration(seconds: seconds) == expected)
    }
}
