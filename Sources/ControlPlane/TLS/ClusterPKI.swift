import Crypto
import Foundation
import KubeModel
import NIOSSL
import SwiftASN1
import X509

/// The cluster's certificate authority and the API server's serving certificate, made on first start and kept in
/// the data directory, so kubeconfigs written earlier stay valid across restarts.
///
/// kubectl (client-go) sends a bearer token only over TLS, so the API server always serves HTTPS; the kubeconfig
/// carries the CA as `certificate-authority-data`. Clients may instead authenticate with a certificate the cluster
/// CA signed (kube-apiserver's `--client-ca-file`): the handshake verifies it when one is offered.
public struct ClusterPKI: Sendable {
    public let caPEM: String
    public let serverCertPEM: String
    public let serverKeyPEM: String

    /// Loads `ca.crt`, `server.crt` and `server.key` from `dir`, creating them when missing. `hosts` become the
    /// serving certificate's subject alternative names (IP addresses or DNS names).
    public static func loadOrCreate(dir: String, hosts: [String]) throws -> ClusterPKI {
        let paths = (ca: dir + "/ca.crt", caKey: dir + "/ca.key", cert: dir + "/server.crt", key: dir + "/server.key")
        let fm = FileManager.default
        if fm.fileExists(atPath: paths.ca), fm.fileExists(atPath: paths.cert), fm.fileExists(atPath: paths.key) {
            return ClusterPKI(
                caPEM: try String(contentsOfFile: paths.ca, encoding: .utf8),
                serverCertPEM: try String(contentsOfFile: paths.cert, encoding: .utf8),
                serverKeyPEM: try String(contentsOfFile: paths.key, encoding: .utf8))
        }
        let now = Date()
        let caKey = P256.Signing.PrivateKey()
        let caName = try DistinguishedName { CommonName("junction-ca") }
        let ca = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(caKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(10 * 365 * 86400),
            issuer: caName, subject: caName, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true))
            },
            issuerPrivateKey: .init(caKey))
        let serverKey = P256.Signing.PrivateKey()
        var names: [GeneralName] = []
        for host in hosts {
            if let bytes = Self.ipBytes(host) {
                names.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes))))
            } else {
                names.append(.dnsName(host))
            }
        }
        let server = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(serverKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(5 * 365 * 86400),
            issuer: caName, subject: try DistinguishedName { CommonName("kube-apiserver") },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(names)
            },
            issuerPrivateKey: .init(caKey))
        let pki = ClusterPKI(
            caPEM: try ca.serializeAsPEM().pemString,
            serverCertPEM: try server.serializeAsPEM().pemString,
            serverKeyPEM: try Certificate.PrivateKey(serverKey).serializeAsPEM().pemString)
        try pki.caPEM.write(toFile: paths.ca, atomically: true, encoding: .utf8)
        try Certificate.PrivateKey(caKey).serializeAsPEM().pemString.write(toFile: paths.caKey, atomically: true, encoding: .utf8)
        try pki.serverCertPEM.write(toFile: paths.cert, atomically: true, encoding: .utf8)
        try pki.serverKeyPEM.write(toFile: paths.key, atomically: true, encoding: .utf8)
        chmod(paths.caKey, 0o600)
        chmod(paths.key, 0o600)
        return pki
    }

    /// The TLS configuration the API server serves with: client certificates are optional, and verified against
    /// the cluster CA when offered (a certificate from another CA fails the handshake).
    public func serverTLS() throws -> TLSConfiguration {
        let cert = try NIOSSLCertificate(bytes: Array(serverCertPEM.utf8), format: .pem)
        let key = try NIOSSLPrivateKey(bytes: Array(serverKeyPEM.utf8), format: .pem)
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: [.certificate(cert)], privateKey: .privateKey(key))
        tls.certificateVerification = .optionalVerification
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(caPEM.utf8)))
        return tls
    }

    /// Issues a client certificate signed by the cluster CA (`dir` holds `ca.key`): the subject's common name is
    /// the user and its organizations the groups, as kube-apiserver reads them. Returns PEM certificate and key.
    public static func issueClientCertificate(dir: String, user: String, groups: [String] = [], days: Int = 365)
        throws -> (certificatePEM: String, keyPEM: String)
    {
        let ca = try Certificate(pemEncoded: try String(contentsOfFile: dir + "/ca.crt", encoding: .utf8))
        let caKey = try P256.Signing.PrivateKey(pemRepresentation: try String(contentsOfFile: dir + "/ca.key", encoding: .utf8))
        let key = P256.Signing.PrivateKey()
        let now = Date()
        let subject = try DistinguishedName {
            for g in groups { OrganizationName(g) }
            CommonName(user)
        }
        let cert = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(Double(days) * 86400),
            issuer: ca.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.clientAuth])
            },
            issuerPrivateKey: .init(caKey))
        return (try cert.serializeAsPEM().pemString, try Certificate.PrivateKey(key).serializeAsPEM().pemString)
    }

    static func ipBytes(_ s: String) -> [UInt8]? { IPAddress.parse(s)?.bytes }
}
