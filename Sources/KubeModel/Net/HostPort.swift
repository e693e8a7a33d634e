/// `HOST:PORT` as the daemons' flags spell listen and bind addresses: the host is a name, an IPv4 address or a
/// bracketed IPv6 address (`[::1]:53`), and may be empty (`:10256`, every address); the port is 0–65535.
public enum HostPort {
    /// The host (brackets removed) and port, or nil when there is no valid `:PORT` at the end.
    public static func parse(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        return (String(text[..<colon]).trimmingCharacters(in: ["[", "]"]), port)
    }
}
