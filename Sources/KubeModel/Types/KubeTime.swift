import Foundation

/// Kubernetes timestamps: RFC 3339 in UTC, whole seconds (`metav1.Time`) or microseconds (`metav1.MicroTime`).
public enum KubeTime {
    public static func string(_ date: Date = Date()) -> String {
        date.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false)
            .timeSeparator(.colon).timeZone(separator: .omitted))
    }

    public static func microString(_ date: Date = Date()) -> String {
        date.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: true)
            .timeSeparator(.colon).timeZone(separator: .omitted))
    }

    public static func parse(_ s: String) -> Date? { try? Date(s, strategy: .iso8601) }
}
