import Foundation
import Hummingbird
import HummingbirdCore
import KubeModel
import Logging
import NIOCore
import NIOSSL
import Synchronization
import HummingbirdTLS
import ServiceLifecycle

/// The whole control plane in one process: store, registry, API server and controllers.
public final class ControlPlane: Sendable {
    public struct Config: Sendable {
        /// Where the SQLite file, the admin token and the node-IPAM state live.
        public var dataDir: String
        public var host: String = "127.0.0.1"
        /// 0 picks a free port; the port actually bound is in `boundPort` and in the kubeconfig.
        public var port: Int = 6443
        public var allocators = ServiceAllocators.Config()
        /// Written once the server listens: an admin kubeconfig kubectl can use as is.
        public var kubeconfigOut: String?
        public var maxBodyBytes = 3 * 1024 * 1024
        /// Extra names and addresses for the serving certificate (besides loopback and the kubernetes Service).
        public var tlsSANs: [String] = []
        /// A unix socket also serving the API (plain HTTP, same bearer token). A path-named unix socket is
        /// reachable from every network namespace on the machine, so the daemons inside the simulated nodes use
        /// it to reach an API server that listens on the root namespace's loopback.
        public var unixSocket: String?
        /// Where node agents on this machine write container logs; serves `kubectl logs`.
        public var podLogDir: String?
        /// A node whose agent stops renewing its Lease this long turns NotReady (kube's node-monitor-grace-period).
        public var nodeMonitorGracePeriod: Double = 40
        /// Then, after this long, its pods are deleted so their controllers replace them elsewhere.
        public var podEvictionTimeout: Double = 300
        /// Events kept for watches resuming from an older resourceVersion (older ones get 410 Gone).
        public var watchWindow = 10_000

        public init(dataDir: String) { self.dataDir = dataDir }
    }

    public let config: Config
    public let registry: Registry
    public let token: String
    public let pki: ClusterPKI
    let logger: Logger
    private let bound = Mutex<Int?>(nil)

    public init(config: Config, logger: Logger) throws {
        self.config = config
        self.logger = logger
        try FileManager.default.createDirectory(atPath: config.dataDir, withIntermediateDirectories: true)
        let store = try ObjectStore(path: config.dataDir + "/store.sqlite", windowSize: config.watchWindow)
        let allocators = try ServiceAllocators(config.allocators)
        registry = Registry(store: store, allocators: allocators, logger: logger)
        token = try Self.loadOrCreateToken(dir: config.dataDir)
        var hosts = ["127.0.0.1", "::1", "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
                     "kubernetes.default.svc.cluster.local", allocators.kubernetesServiceIP.description]
        if config.host != "0.0.0.0" && config.host != "::" && !hosts.contains(config.host) { hosts.append(config.host) }
        hosts += config.tlsSANs
        pki = try ClusterPKI.loadOrCreate(dir: config.dataDir, hosts: hosts)
    }

    /// An admin kubeconfig for this control plane, once it listens.
    public func kubeconfig(name: String = "junction") -> String? {
        guard let port = boundPort else { return nil }
        let host = config.host.contains(":") ? "[\(config.host)]" : config.host
        return Kubeconfig.admin(server: "https://\(host):\(port)", token: token, caPEM: pki.caPEM, name: name)
    }

    /// The port the API server listens on, once it does.
    public var boundPort: Int? { bound.withLock { $0 } }

    static func loadOrCreateToken(dir: String) throws -> String {
        let path = dir + "/admin-token"
        if let existing = try? String(contentsOfFile: path, encoding: .utf8), !existing.isEmpty {
            return existing.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var rng = SystemRandomNumberGenerator()
        let token = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &rng)) }.joined()
        try token.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
        return token
    }

    /// Objects every cluster has from the start.
    public func bootstrap() async throws {
        for ns in ["default", "kube-system", "kube-public", "kube-node-lease"]
        where registry.store.get(registry.key(ResourceCatalog.namespaces, nil, ns)) == nil {
            _ = try await registry.create(ResourceCatalog.namespaces, namespace: nil, body: ["metadata": ["name": .string(ns)]])
        }
        if registry.store.get(registry.key(ResourceCatalog.services, "default", "kubernetes")) == nil {
            let svc: JSONValue = [
                "metadata": ["name": "kubernetes", "namespace": "default",
                             "labels": ["component": "apiserver", "provider": "kubernetes"]],
                "spec": ["type": "ClusterIP",
                         "clusterIP": .string(registry.allocators.kubernetesServiceIP.description),
                         "ports": [["name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443]]],
            ]
            _ = try await registry.create(ResourceCatalog.services, namespace: "default", body: svc)
        }
    }

    /// The long-lived services: the HTTP server and the controllers, to run in one ServiceGroup.
    public func services() throws -> [any ServiceLifecycle.Service] {
        let handler = APIHandler(registry: registry, token: token, maxBodyBytes: config.maxBodyBytes, logger: logger)
        let responder = CallbackResponder { (request: Request, _: BasicRequestContext) in
            await handler.respond(to: request)
        }
        let tlsResponder = CallbackResponder { (request: Request, context: TLSRequestContext) in
            await handler.respond(to: request, clientCertificateVerified: { await context.hasVerifiedClientCertificate() })
        }
        let server = try HTTPServerBuilder.tls(.http1(), tlsConfiguration: pki.serverTLS())
        let app = Application(
            responder: tlsResponder,
            server: server,
            configuration: .init(address: .hostname(config.host, port: config.port), serverName: nil),
            onServerRunning: { [self] channel in
                let port = channel.localAddress?.port ?? config.port
                bound.withLock { $0 = port }
                if let out = config.kubeconfigOut, let text = kubeconfig() {
                    do {
                        try text.write(toFile: out, atomically: true, encoding: .utf8)
                    } catch {
                        logger.error("cannot write kubeconfig", metadata: ["path": "\(out)", "error": "\(error)"])
                    }
                }
                logger.info("API server listening", metadata: ["address": "\(config.host):\(port)"])
            },
            logger: logger)
        var services: [any ServiceLifecycle.Service] = [app]
        if let path = config.unixSocket {
            try? FileManager.default.removeItem(atPath: path)
            services.append(Application(
                responder: responder,
                configuration: .init(address: .unixDomainSocket(path: path), serverName: nil),
                logger: logger))
        }
        if let dir = config.podLogDir { registry.setLogSource(FilePodLogs(dir: dir, registry: registry)) }
        services.append(NodeLifecycleController(registry: registry, grace: config.nodeMonitorGracePeriod,
                                                evictionTimeout: config.podEvictionTimeout, logger: logger))
        return services + Controllers.all(registry: registry, logger: logger)
    }
}

/// The request context of the HTTPS listener: keeps the connection's channel, so a request without a token can ask
/// whether the TLS handshake verified a client certificate (the handshake only accepts ones the cluster CA signed).
struct TLSRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    func hasVerifiedClientCertificate() async -> Bool {
        let channel = self.channel
        let certificate = try? await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.handler(type: NIOSSLHandler.self).peerCertificate
        }.get()
        return certificate != nil
    }
}

public enum Kubeconfig {
    /// An admin kubeconfig for `server` with a bearer token.
    public static func admin(server: String, token: String, caPEM: String, name: String = "junction") -> String {
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: \(name)
          cluster:
            server: \(server)
            certificate-authority-data: \(Data(caPEM.utf8).base64EncodedString())
        contexts:
        - name: \(name)
          context:
            cluster: \(name)
            user: \(name)-admin
            namespace: default
        current-context: \(name)
        users:
        - name: \(name)-admin
          user:
            token: \(token)
        preferences: {}

        """
    }
}
