import Logging
import NIOCore
import NIOPosix

/// The built-in workload behind the image `junction/echo`: HTTP, TCP and UDP listeners that answer with the pod
/// that answered and the client address it saw, so cluster tests can observe load balancing and source-IP
/// preservation from the outside.
public enum EchoServer {
    /// Binds every configured listener, reports the bound ports, then serves until the calling task is cancelled.
    ///
    /// All listeners are bound before `onBound` is called, so a caller that waits for it (a test on port 0, or the
    /// simulated kubelet's readiness logic) can connect at once. If one listener cannot bind, the ones already bound
    /// are closed and the error is thrown: a pod that silently lacks its UDP port would make tests lie.
    ///
    /// - Parameter onBound: receives the actual ports keyed `"http"`, `"tcp"`, `"udp"` (only the enabled ones).
    /// - Returns: normally once cancelled and every connection is closed.
    public static func run(
        _ config: EchoServerConfig,
        logger: Logger,
        onBound: @Sendable ([String: Int]) -> Void = { _ in }
    ) async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        var bound: [any Channel] = []
        func closeBound() async {
            for channel in bound {
                try? await channel.close()
            }
        }

        let http: HTTPListener
        var tcp: TCPListener?
        var udp: UDPListener?
        do {
            http = try await bindHTTP(host: config.host, port: config.httpPort, group: group)
            bound.append(http.channel)
            if let port = config.tcpPort {
                let listener = try await bindTCP(host: config.host, port: port, group: group)
                bound.append(listener.channel)
                tcp = listener
            }
            if let port = config.udpPort {
                let listener = try await bindUDP(host: config.host, port: port, group: group)
                bound.append(listener.channel)
                udp = listener
            }
        } catch {
            await closeBound()
            throw error
        }

        var ports: [String: Int] = [:]
        ports["http"] = http.channel.localAddress?.port
        ports["tcp"] = tcp?.channel.localAddress?.port
        ports["udp"] = udp?.channel.localAddress?.port
        var metadata: Logger.Metadata = ["pod": "\(config.identity.pod)", "host": "\(config.host)"]
        for (name, port) in ports {
            metadata["\(name)Port"] = "\(port)"
        }
        logger.info("echo server listening", metadata: metadata)
        onBound(ports)

        let identity = config.identity
        let accessLog = config.accessLog
        let (tcpListener, udpListener) = (tcp, udp)
        do {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask {
                    try await serveHTTP(http, identity: identity, accessLog: accessLog, logger: logger)
                }
                if let tcpListener {
                    group.addTask {
                        try await serveTCP(tcpListener, accessLog: accessLog, logger: logger)
                    }
                }
                if let udpListener {
                    group.addTask {
                        try await serveUDP(udpListener, identity: identity, accessLog: accessLog, logger: logger)
                    }
                }
            }
        } catch is CancellationError where Task.isCancelled {
            // NIO's inbound streams throw when their task is cancelled; for this server that is the normal way to stop.
        }
        logger.info("echo server stopped", metadata: ["pod": "\(config.identity.pod)"])
    }
}
