import CSpawn
import Foundation
import Logging

/// How to start one container's process inside its pod.
public struct ContainerLaunch: Sendable {
    public var argv: [String]
    public var env: [String]
    public var workdir: String?
    /// The network namespace to join (nil: the caller's).
    public var netnsPath: String?
    /// Bind-mounted over /etc/resolv.conf and /etc/hosts in a private mount namespace (nil: the host's).
    public var resolvConf: String?
    public var hosts: String?
    /// A new UTS namespace with this hostname (nil: the host's).
    public var hostname: String?
    /// stdout and stderr append here (nil: /dev/null, or the caller's with `inheritStdio`).
    public var logPath: String?

    public init(argv: [String], env: [String], workdir: String?, netnsPath: String?, resolvConf: String?, hosts: String?,
                hostname: String?, logPath: String?) {
        self.argv = argv
        self.env = env
        self.workdir = workdir
        self.netnsPath = netnsPath
        self.resolvConf = resolvConf
        self.hosts = hosts
        self.hostname = hostname
        self.logPath = logPath
    }
}

public struct SpawnError: Error, CustomStringConvertible {
    public var errno: Int32
    public var argv: [String]
    public var description: String { "cannot start \(argv.first ?? "?"): \(String(cString: strerror(errno)))" }
}

/// Starts container processes in the pod's network namespace with the pod's resolv.conf and /etc/hosts bind-mounted
/// in a private mount namespace, and its own hostname; stdout and stderr append to the container's log file.
/// Each process leads its own process group so that stopping it reaches everything it started.
public enum ContainerProcess {
    /// Starts the process; `inheritStdio` gives it this process's stdin/stdout/stderr (for `junction exec`),
    /// otherwise stdin is /dev/null and output goes to `logPath`. Its own process group unless inheriting stdio.
    public static func spawn(_ l: ContainerLaunch, inheritStdio: Bool = false) throws -> pid_t {
        var logFD: Int32 = -1
        if let path = l.logPath, !inheritStdio {
            logFD = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard logFD >= 0 else { throw SpawnError(errno: errno, argv: l.argv) }
        }
        defer { if logFD >= 0 { close(logFD) } }
        let argv = l.argv.map { strdup($0) }
        let env = l.env.map { strdup($0) }
        let strings = [l.netnsPath, l.resolvConf, l.hosts, l.hostname, l.workdir].map { $0.map { strdup($0) } }
        defer {
            (argv + env).forEach { free($0) }
            strings.forEach { $0.flatMap { free($0) } }
        }
        func c(_ i: Int) -> UnsafePointer<CChar>? { strings[i].flatMap { $0.map { UnsafePointer($0) } } }
        var o = jn_spawn_options(
            netns_path: c(0), resolv_conf: c(1), hosts: c(2), hostname: c(3), workdir: c(4),
            stdin_fd: inheritStdio ? 0 : -1, stdout_fd: inheritStdio ? 1 : logFD, stderr_fd: inheritStdio ? 2 : logFD,
            new_process_group: inheritStdio ? 0 : 1)
        let av = argv.map { $0.map { UnsafePointer($0) } } + [nil]
        let ev = env.map { $0.map { UnsafePointer($0) } } + [nil]
        let pid = jn_spawn(av, ev, &o)
        if pid < 0 { throw SpawnError(errno: -pid, argv: l.argv) }
        return pid
    }

    /// Exit status of a finished child (nil while it runs): the exit code, or 128+signal as shells report it.
    public static func reap(_ pid: pid_t) -> Int32? {
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        guard r == pid else { return r < 0 && errno == ECHILD ? -1 : nil }
        let sig = status & 0x7f
        return sig == 0 ? (status >> 8) & 0xff : 128 + sig
    }

    /// Signals the container's whole process group.
    public static func signal(_ pid: pid_t, _ sig: Int32) {
        if kill(-pid, sig) != 0 { kill(pid, sig) }
    }
}

