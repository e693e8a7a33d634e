/// The IP and CIDR field checks of `k8s.io/apimachinery/pkg/util/validation` (Kubernetes 1.32), which parse
/// leniently (`ParseIPSloppy`) so that objects stored by older clusters stay valid; messages are upstream's.
public enum NetValidation {
    public static func validateIP(_ value: String, path: FieldPath) -> FieldErrors {
        IPAddress.parseSloppy(value) == nil
            ? [.invalid(path, .string(value), "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")] : []
    }

    /// IPv4-mapped IPv6 text (`::ffff:1.2.3.4`) counts as IPv4 here, as it does for `net.IP`.
    public static func validateIPv4Address(_ value: String, path: FieldPath) -> FieldErrors {
        IPAddress.parseSloppy(value)?.isV4 == true ? [] : [.invalid(path, .string(value), "must be a valid IPv4 address")]
    }

    public static func validateIPv6Address(_ value: String, path: FieldPath) -> FieldErrors {
        IPAddress.parseSloppy(value)?.isV6 == true ? [] : [.invalid(path, .string(value), "must be a valid IPv6 address")]
    }

    public static func validateCIDR(_ value: String, path: FieldPath) -> FieldErrors {
        CIDR.parseLenient(value) == nil
            ? [.invalid(path, .string(value), "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)")] : []
    }
}
