import Foundation

struct SocketTestError: Error, CustomStringConvertible {
    var description: String
}

/// Waits up to `milliseconds` for `fd` to become readable (or, for a listener, to have a connection).
func waitReadable(_ fd: Int32, milliseconds: Int32 = 5000) throws {
    var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    let rc = poll(&entry, 1, milliseconds)
    guard rc == 1 else {
        throw SocketTestError(description: "fd \(fd) not readable within \(milliseconds) ms (poll -> \(rc))")
    }
}

/// Accepts one connection, returning the new descriptor and the peer's address as text.
func acceptOne(_ listener: Int32) throws -> (fd: Int32, peer: String) {
    try waitReadable(listener)
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    let fd = withUnsafeMutablePointer(to: &storage) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listener, $0, &length) }
    }
    guard fd >= 0 else { throw SocketTestError(description: "accept: \(String(cString: strerror(errno)))") }
    return (fd, hostText(storage))
}

func hostText(_ storage: sockaddr_storage) -> String {
    var storage = storage
    var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
    let family = Int32(storage.ss_family)
    let ok = withUnsafePointer(to: &storage) { pointer -> Bool in
        switch family {
        case AF_INET:
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                var raw = address.pointee.sin_addr
                return inet_ntop(AF_INET, &raw, &buffer, socklen_t(buffer.count)) != nil
            }
        case AF_INET6:
            return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                var raw = address.pointee.sin6_addr
                return inet_ntop(AF_INET6, &raw, &buffer, socklen_t(buffer.count)) != nil
            }
        default:
            return false
        }
    }
    guard ok else { return "?" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

func send(_ text: String, on fd: Int32) throws {
    let bytes = Array(text.utf8)
    let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
    guard sent == bytes.count else {
        throw SocketTestError(description: "send: \(String(cString: strerror(errno)))")
    }
}

func receive(on fd: Int32) throws -> String {
    try waitReadable(fd)
    var buffer = [UInt8](repeating: 0, count: 512)
    let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
    guard count >= 0 else { throw SocketTestError(description: "recv: \(String(cString: strerror(errno)))") }
    return String(decoding: buffer.prefix(count), as: UTF8.self)
}

/// Sends one datagram from `fd` to `host`:`port`.
func sendDatagram(_ text: String, from fd: Int32, to host: String, port: UInt16) throws {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
        throw SocketTestError(description: "bad IPv4 address \(host)")
    }
    let bytes = Array(text.utf8)
    let sent = withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
            bytes.withUnsafeBytes {
                sendto(fd, $0.baseAddress, $0.count, 0, socketAddress, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }
    guard sent == bytes.count else {
        throw SocketTestError(description: "sendto: \(String(cString: strerror(errno)))")
    }
}

/// The inode of a namespace file, to tell namespaces apart.
func namespaceInode(_ path: String) -> UInt64? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return UInt64(info.st_ino)
}
