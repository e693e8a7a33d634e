import NIOCore

extension SocketAddress {
    /// `ip:port` for IPv4 and `[ip]:port` for IPv6, the form `kubectl` and Go print. An IPv4-mapped IPv6 peer
    /// (what a `::` listener sees for an IPv4 client) is shown as plain IPv4 so source-IP checks compare equal.
    var echoDescription: String {
        guard let ip = self.ipAddress, let port = self.port else { return self.description }
        switch self {
        case .v6:
            let mappedPrefix = "::ffff:"
            if ip.lowercased().hasPrefix(mappedPrefix), ip.contains(".") {
                return "\(ip.dropFirst(mappedPrefix.count)):\(port)"
            }
            return "[\(ip)]:\(port)"
        default:
            return "\(ip):\(port)"
        }
    }
}

extension Optional where Wrapped == SocketAddress {
    var echoDescription: String { self?.echoDescription ?? "unknown" }
}
