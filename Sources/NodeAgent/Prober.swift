import Foundation
import KubeModel

/// Readiness and liveness probes, as the kubelet runs them: httpGet (2xx/3xx is success) and tcpSocket against
/// the pod IP from the node's namespace, exec inside the pod's namespace (exit 0 is success).
/// What an exec probe or hook runs in: the pod's network namespace, hostname, resolv.conf and hosts.
struct ExecSandbox: Sendable {
    var netns: String
    var hostname: String
    var resolvConf: String
    var hosts: String
}

enum Prober {
    static func due(_ probe: JSONValue, last: Date, started: Date, now: Date) -> Bool {
        let initial = Double(probe["initialDelaySeconds"]?.intValue ?? 0)
        let period = Double(probe["periodSeconds"]?.intValue ?? 10)
        return now.timeIntervalSince(started) >= initial && now.timeIntervalSince(last) >= period
    }

    static func port(_ v: JSONValue?, container: JSONValue) -> Int? {
        switch v {
        case .int(let p)?: return Int(p)
        case .string(let name)?:
            return (container["ports"]?.arrayValue ?? []).first { $0["name"]?.stringValue == name }?["containerPort"]?.intValue.map { Int($0) }
        default: return nil
        }
    }

    /// `sandbox` is where exec probes run: the pod's namespace, hostname and resolver files, as in the container.
    static func run(_ probe: JSONValue, podIP: String, sandbox: ExecSandbox, container: JSONValue) async -> Bool {
        let timeout = Double(probe["timeoutSeconds"]?.intValue ?? 1)
        if let http = probe["httpGet"], let port = port(http["port"], container: container) {
            let path = http["path"]?.stringValue ?? "/"
            let host = http["host"]?.stringValue ?? podIP
            return await blocking { httpGet(host: host, port: port, path: path, timeout: timeout) }
        }
        if let tcp = probe["tcpSocket"], let port = port(tcp["port"], container: container) {
            let host = tcp["host"]?.stringValue ?? podIP
            return await blocking { connectTCP(host: host, port: port, timeout: timeout).map { close($0); return true } ?? false }
        }
        if let command = probe.value(at: ["exec", "command"])?.arrayValue?.compactMap(\.stringValue), !command.isEmpty {
            return await blocking { execInPod(command, sandbox: sandbox, timeout: timeout) }
        }
        return false
    }

    /// A command inside the pod's namespaces (preStop exec hooks); true on exit 0 within the timeout.
    static func exec(_ command: [String], sandbox: ExecSandbox, timeout: Double) async -> Bool {
        await blocking { execInPod(command, sandbox: sandbox, timeout: timeout) }
    }

    private static func blocking(_ work: @escaping @Sendable () -> Bool) async -> Bool {
        await withCheckedContinuation { c in DispatchQueue.global().async { c.resume(returning: work()) } }
    }

    static func connectTCP(host: String, port: Int, timeout: Double) -> Int32? {
        guard let ip = IPAddress.parse(host), ip.isV4 else { return nil }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        let b = ip.bytes
        addr.sin_addr.s_addr = (UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24)
        let r = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        if r != 0 && errno != EINPROGRESS {
            close(fd)
            return nil
        }
        var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        guard poll(&pfd, 1, Int32(timeout * 1000)) == 1 else {
            close(fd)
            return nil
        }
        var err: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
        guard err == 0 else {
            close(fd)
            return nil
        }
        return fd
    }

    static func httpGet(host: String, port: Int, path: String, timeout: Double) -> Bool {
        guard let fd = connectTCP(host: host, port: port, timeout: timeout) else { return false }
        defer { close(fd) }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: \(host):\(port)\r\nUser-Agent: kube-probe/1.32\r\nAccept: */*\r\n\r\n".utf8)
        var sent = 0
        let deadline = Date().addingTimeInterval(timeout)
        while sent < request.count {
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            guard poll(&pfd, 1, Int32(max(1, deadline.timeIntervalSinceNow * 1000))) == 1 else { return false }
            let n = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return false }
            sent += n
        }
        var response: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 512)
        while response.count < 16 {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, Int32(max(1, deadline.timeIntervalSinceNow * 1000))) == 1 else { return false }
            let n = recv(fd, &buf, buf.count, 0)
            guard n > 0 else { break }
            response += buf[0..<n]
        }
        // "HTTP/1.x NNN": success is 200-399.
        let line = String(decoding: response.prefix(16), as: UTF8.self)
        let parts = line.split(separator: " ")
        guard parts.count >= 2, let code = Int(parts[1]) else { return false }
        return (200..<400).contains(code)
    }

    static func execInPod(_ command: [String], sandbox: ExecSandbox, timeout: Double) -> Bool {
        let launch = ContainerLaunch(argv: command, env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                                     workdir: nil, netnsPath: "/run/netns/\(sandbox.netns)", resolvConf: sandbox.resolvConf,
                                     hosts: sandbox.hosts, hostname: sandbox.hostname, logPath: "/dev/null")
        guard let pid = try? ContainerProcess.spawn(launch) else { return false }
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let code = ContainerProcess.reap(pid) { return code == 0 }
            usleep(10_000)
        }
        ContainerProcess.signal(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return false
    }
}
