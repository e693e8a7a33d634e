import Foundation
import NIOHTTP1

/// Decides what the echo workload answers to one HTTP request; no I/O, so the rules are testable on their own.
struct EchoHTTPResponder: Sendable {
    struct Response: Sendable, Hashable {
        var status: HTTPResponseStatus
        var contentType: String
        var body: String
    }

    var identity: EchoIdentity

    /// `/healthz` answers `ok` for readiness and liveness probes; `/text` or `Accept: text/plain` gets the
    /// one-line `kubia` answer; everything else (any method, any path) gets the JSON `EchoReply`, so a test never
    /// has to know a route to find out where its request landed.
    func response(to head: HTTPRequestHead, client: String) -> Response {
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        if path == "/healthz" {
            return Response(status: .ok, contentType: "text/plain; charset=utf-8", body: "ok")
        }
        let reply = EchoReply(
            identity: identity, client: client, method: head.method.rawValue, path: head.uri,
            headers: Self.mergedHeaders(head.headers))
        if path == "/text" || Self.prefersPlainText(head.headers[canonicalForm: "accept"]) {
            return Response(status: .ok, contentType: "text/plain; charset=utf-8", body: reply.plainText)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let json = try? encoder.encode(reply) else {
            return Response(
                status: .internalServerError, contentType: "text/plain; charset=utf-8", body: "cannot encode reply\n")
        }
        return Response(
            status: .ok, contentType: "application/json", body: String(decoding: json, as: UTF8.self) + "\n")
    }

    /// Lower-cased names so lookups in tests do not depend on the client's spelling; repeats joined per RFC 9110.
    static func mergedHeaders(_ headers: HTTPHeaders) -> [String: String] {
        var merged: [String: String] = [:]
        for (name, value) in headers {
            let key = name.lowercased()
            if let existing = merged[key] {
                merged[key] = existing + ", " + value
            } else {
                merged[key] = value
            }
        }
        return merged
    }

    /// True when `text/plain` is listed before `application/json`. Deliberately not full q-value negotiation:
    /// `curl -H 'Accept: text/plain'` must get text, while `*/*` (curl's default) and browsers get JSON.
    static func prefersPlainText(_ acceptValues: [Substring]) -> Bool {
        for value in acceptValues {
            for range in value.split(separator: ",") {
                let mediaType = (range.split(separator: ";").first ?? "")
                    .trimmingCharacters(in: .whitespaces).lowercased()
                if mediaType == "text/plain" { return true }
                if mediaType == "application/json" { return false }
            }
        }
        return false
    }
}
