import Foundation
import KubeClient
import KubeModel
import TestSupport
import Testing

// Hostile and malformed requests: each must get a kube `Status` answer with the right code, store nothing, and
// leave the server serving.

private let leasesPath = "/apis/coordination.k8s.io/v1/namespaces/default/leases"
private let servicesPath = "/api/v1/namespaces/default/services"

/// Checks that a response is a failure `Status` as kube-apiserver sends it.
private func expectStatus(_ r: KubeClient.Response, _ code: Int, _ reason: String, contains: String? = nil,
                          _ what: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    let body = String(decoding: r.body.prefix(600), as: UTF8.self)
    #expect(r.code == code, "\(what): HTTP \(r.code): \(body)", sourceLocation: sourceLocation)
    guard let s = r.json else {
        Issue.record("\(what): not JSON: \(body)", sourceLocation: sourceLocation)
        return
    }
    #expect(s["kind"]?.stringValue == "Status", "\(what): \(body)", sourceLocation: sourceLocation)
    #expect(s["apiVersion"]?.stringValue == "v1", "\(what): \(body)", sourceLocation: sourceLocation)
    #expect(s["status"]?.stringValue == "Failure", "\(what): \(body)", sourceLocation: sourceLocation)
    #expect(s["code"]?.intValue == Int64(code), "\(what): \(body)", sourceLocation: sourceLocation)
    #expect(s["reason"]?.stringValue == reason, "\(what): \(body)", sourceLocation: sourceLocation)
    let message = s["message"]?.stringValue ?? ""
    #expect(!message.isEmpty, "\(what): no message", sourceLocation: sourceLocation)
    if let contains {
        #expect(message.contains(contains), "\(what): message \(message)", sourceLocation: sourceLocation)
    }
}

/// The server still answers, and nothing was stored in `path` (a collection).
private func expectAliveAndEmpty(_ cp: TestControlPlane, _ path: String = leasesPath,
                                 sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let ns = try await cp.api.json(.GET, "/api/v1/namespaces/default")
    #expect(ns.value(at: ["metadata", "name"])?.stringValue == "default", sourceLocation: sourceLocation)
    let list = try await cp.api.json(.GET, path)
    #expect(list["items"]?.arrayValue?.isEmpty == true, "stored: \(list)", sourceLocation: sourceLocation)
}

private func post(_ cp: TestControlPlane, _ path: String, _ body: String, contentType: String = "application/json")
    async throws -> KubeClient.Response
{
    try await cp.api.raw(.POST, path, body: Array(body.utf8), contentType: contentType)
}

private func post(_ cp: TestControlPlane, _ path: String, bytes: [UInt8], contentType: String) async throws -> KubeClient.Response {
    try await cp.api.raw(.POST, path, body: bytes, contentType: contentType)
}

/// One request through curl, for what `KubeClient.Response` does not show: the response headers.
private func curl(_ cp: TestControlPlane, _ method: String, _ path: String, body: String, contentType: String) throws
    -> (code: Int, headers: [String], body: String)
{
    let config = try KubeConfig.load(path: cp.kubeconfig)
    let ca = cp.dir + "/ca-for-curl.pem"
    try (config.caPEM ?? "").write(toFile: ca, atomically: true, encoding: .utf8)
    let r = try run("/usr/bin/curl", [
        "-sS", "-i", "-X", method, "--cacert", ca, "-H", "Authorization: Bearer \(config.token ?? "")",
        "-H", "Content-Type: \(contentType)", "-H", "Accept: application/json", "--data-binary", "@-",
        config.server + path,
    ], stdin: body)
    guard r.code == 0 else { throw TestFailure("curl failed (\(r.code)): \(r.err)") }
    let parts = r.out.components(separatedBy: "\r\n\r\n")
    let head = parts.first?.components(separatedBy: "\r\n") ?? []
    let code = Int(head.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
    return (code, Array(head.dropFirst()), parts.dropFirst().joined(separator: "\r\n\r\n"))
}

private func causes(_ r: KubeClient.Response) -> [(field: String, reason: String, message: String)] {
    (r.json?.value(at: ["details", "causes"])?.arrayValue ?? []).map {
        ($0["field"]?.stringValue ?? "", $0["reason"]?.stringValue ?? "", $0["message"]?.stringValue ?? "")
    }
}

private func serviceJSON(_ name: String, _ spec: JSONValue) -> String {
    JSONWriter.string(["apiVersion": "v1", "kind": "Service", "metadata": ["name": .string(name)], "spec": spec])
}

@Suite("Bad input is refused with a Status, and the server stays up", .serialized)
struct BadInputTests {
    @Test("malformed JSON: truncated, trailing garbage, 1000 levels deep, not an object, empty")
    func malformedJSON() async throws {
        try await withControlPlane { cp in
            let deepObject = String(repeating: "{\"a\":", count: 1000) + "1" + String(repeating: "}", count: 1000)
            let deepArray = String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000)
            let deepInLease = #"{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"deep"},"spec":"#
                + deepObject + "}"
            let cases: [(String, String)] = [
                ("truncated", #"{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"x""#),
                ("trailing garbage", #"{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"x"}} garbage"#),
                ("two documents", #"{"metadata":{"name":"x"}}{"metadata":{"name":"y"}}"#),
                ("deep object", deepObject),
                ("deep array", deepArray),
                ("deep inside a lease", deepInLease),
                ("bad escape", #"{"metadata":{"name":"\q"}}"#),
                ("unterminated string", #"{"metadata":{"name":"x}}"#),
                ("single quotes", "{'metadata':{'name':'x'}}"),
                ("array", "[1,2,3]"),
                ("string", #""a lease""#),
                ("number", "42"),
                ("null", "null"),
                ("boolean", "true"),
            ]
            for (what, body) in cases {
                let r = try await post(cp, leasesPath, body)
                expectStatus(r, 400, "BadRequest", what)
            }
            var invalidUTF8 = Array(#"{"metadata":{"name":"x"#.utf8)
            invalidUTF8 += [0xFF, 0xFE]
            invalidUTF8 += Array(#""}}"#.utf8)
            // Invalid UTF-8 is not a decoding error for kube (Go's encoding/json substitutes U+FFFD); the name is then
            // refused by validation.
            expectStatus(try await post(cp, leasesPath, bytes: invalidUTF8, contentType: "application/json"), 422, "Invalid",
                         "invalid UTF-8 in the name")
            expectStatus(try await post(cp, leasesPath, bytes: [], contentType: "application/json"), 400, "BadRequest", "empty body")
            // Also as the body of an update and of a patch.
            try await cp.api.json(.POST, leasesPath, ["metadata": ["name": "real"]])
            let put = try await cp.api.raw(.PUT, leasesPath + "/real", body: Array(deepObject.utf8))
            expectStatus(put, 400, "BadRequest", "deep PUT")
            let patch = try await cp.api.raw(.PATCH, leasesPath + "/real", body: Array(#"{"spec":"#.utf8),
                                             contentType: "application/merge-patch+json")
            expectStatus(patch, 400, "BadRequest", "truncated merge patch")
            let jsonPatch = try await cp.api.raw(.PATCH, leasesPath + "/real", body: Array(#"{"op":"add"}"#.utf8),
                                                 contentType: "application/json-patch+json")
            #expect((400..<500).contains(jsonPatch.code), "JSON patch that is not an array: \(jsonPatch.code)")
            #expect(jsonPatch.json?["kind"]?.stringValue == "Status")
            try await cp.api.json(.DELETE, leasesPath + "/real")
            try await expectAliveAndEmpty(cp)
        }
    }

    @Test("malformed YAML (application/yaml)")
    func malformedYAML() async throws {
        try await withControlPlane { cp in
            let cases: [(String, String)] = [
                ("unclosed flow sequence", "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: [unclosed\n"),
                ("bad indentation", "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: x\n    labels: y\n  - z\n"),
                ("tab indentation", "metadata:\n\tname: x\n"),
                ("unterminated quote", "metadata:\n  name: \"x\n"),
                ("scalar", "just a string\n"),
                ("sequence", "- a\n- b\n"),
                ("deep flow sequence", String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000)),
            ]
            for (what, body) in cases {
                let r = try await post(cp, leasesPath, body, contentType: "application/yaml")
                expectStatus(r, 400, "BadRequest", what)
            }
            // A well-formed YAML body still works afterwards.
            let good = try await post(cp, leasesPath, "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: ok\n",
                                      contentType: "application/yaml")
            #expect(good.code == 201)
            try await cp.api.json(.DELETE, leasesPath + "/ok")
            try await expectAliveAndEmpty(cp)
        }
    }

    @Test("protobuf body with bad magic or truncated")
    func malformedProtobuf() async throws {
        try await withControlPlane { cp in
            let magic: [UInt8] = [0x6B, 0x38, 0x73, 0x00]
            let typeMeta: [UInt8] = [0x0A, 0x0F] + Array("\u{0A}\u{02}v1\u{12}\u{09}Namespace".utf8)
            let cases: [(String, [UInt8])] = [
                ("bad magic", [0x6B, 0x38, 0x74, 0x00, 0x0A, 0x00]),
                ("JSON sent as protobuf", Array(#"{"metadata":{"name":"x"}}"#.utf8)),
                ("magic only", magic),
                ("length beyond the end", magic + [0x0A, 0x7F, 0x0A, 0x02]),
                ("truncated varint", magic + [0x0A, 0xFF, 0xFF]),
                ("truncated after type meta", magic + typeMeta + [0x12, 0x40, 0x0A]),
                ("garbage", (0..<64).map { UInt8(($0 * 37 + 11) % 256) }),
            ]
            for (what, body) in cases {
                let r = try await post(cp, leasesPath, bytes: body, contentType: "application/vnd.kubernetes.protobuf")
                expectStatus(r, 400, "BadRequest", what)
            }
            try await expectAliveAndEmpty(cp)
        }
    }

    @Test("apiVersion, kind or namespace in the body that do not match the URL")
    func wrongTypeForURL() async throws {
        try await withControlPlane { cp in
            let wrongVersion = #"{"apiVersion":"v1","kind":"Lease","metadata":{"name":"x"}}"#
            expectStatus(try await post(cp, leasesPath, wrongVersion), 400, "BadRequest",
                         contains: "does not match the expected API version", "apiVersion v1 for a Lease URL")
            let wrongGroup = #"{"apiVersion":"apps/v1","kind":"Service","metadata":{"name":"x"},"spec":{"ports":[{"port":80}]}}"#
            expectStatus(try await post(cp, servicesPath, wrongGroup), 400, "BadRequest", "apps/v1 for a Service URL")
            let wrongKind = #"{"apiVersion":"coordination.k8s.io/v1","kind":"Pod","metadata":{"name":"x"}}"#
            expectStatus(try await post(cp, leasesPath, wrongKind), 400, "BadRequest", "kind Pod for a Lease URL")
            let wrongNamespace = #"{"metadata":{"name":"x","namespace":"kube-system"}}"#
            expectStatus(try await post(cp, leasesPath, wrongNamespace), 400, "BadRequest", "namespace mismatch")
            let missingNamespace = #"{"metadata":{"name":"x"}}"#
            expectStatus(try await post(cp, "/apis/coordination.k8s.io/v1/namespaces/nope/leases", missingNamespace), 404,
                         "NotFound", "namespace that does not exist")
            // PUT with a name that differs from the URL.
            try await cp.api.json(.POST, leasesPath, ["metadata": ["name": "real"]])
            let rename = try await cp.api.raw(.PUT, leasesPath + "/real", body: Array(#"{"metadata":{"name":"other"}}"#.utf8))
            expectStatus(rename, 400, "BadRequest", "PUT renaming the object")
            try await cp.api.json(.DELETE, leasesPath + "/real")
            // A spec of the wrong JSON type.
            let wrongShape = #"{"metadata":{"name":"x"},"spec":{"leaseDurationSeconds":"forty"}}"#
            expectStatus(try await post(cp, leasesPath, wrongShape), 400, "BadRequest", "string for an integer field")
            try await expectAliveAndEmpty(cp)
        }
    }

    @Test("unknown field: Strict refuses it, Warn stores without it and warns, Ignore is silent")
    func fieldValidation() async throws {
        try await withControlPlane { cp in
            let body = serviceJSON("web", ["ports": [["port": 80]], "foo": "bar"])
            let strict = try await post(cp, servicesPath + "?fieldValidation=Strict", body)
            expectStatus(strict, 400, "BadRequest", contains: #"unknown field "spec.foo""#, "Strict")
            #expect(try await cp.api.raw(.GET, servicesPath + "/web").code == 404)

            let warn = try curl(cp, "POST", servicesPath + "?fieldValidation=Warn", body: body, contentType: "application/json")
            #expect(warn.code == 201, "\(warn.body)")
            let warnings = warn.headers.filter { $0.lowercased().hasPrefix("warning:") }
            #expect(warnings.count == 1, "\(warn.headers)")
            #expect(warnings.first?.contains(#"299 - "unknown field \"spec.foo\"""#) == true, "\(warnings)")
            let stored = try await cp.api.json(.GET, servicesPath + "/web")
            #expect(stored.value(at: ["spec", "foo"]) == nil)
            #expect(stored.value(at: ["spec", "ports"])?.arrayValue?.first?["port"]?.intValue == 80)

            let ignore = try curl(cp, "POST", servicesPath + "?fieldValidation=Ignore",
                                  body: serviceJSON("web2", ["ports": [["port": 80]], "foo": "bar"]), contentType: "application/json")
            #expect(ignore.code == 201, "\(ignore.body)")
            #expect(!ignore.headers.contains { $0.lowercased().hasPrefix("warning:") }, "\(ignore.headers)")

            // Duplicate fields: refused by Strict.
            let dup = #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"dup","name":"dup"},"spec":{"ports":[{"port":80}]}}"#
            expectStatus(try await post(cp, servicesPath + "?fieldValidation=Strict", dup), 400, "BadRequest",
                         contains: "duplicate field", "duplicate field under Strict")
            #expect(try await cp.api.raw(.GET, servicesPath + "/dup").code == 404)
            // An unknown fieldValidation value is refused by kube; Junction must at least not crash.
            let unknownMode = try await post(cp, servicesPath + "?fieldValidation=Sometimes", serviceJSON("web3", ["ports": [["port": 80]]]))
            #expect([201, 400].contains(unknownMode.code))
            _ = try await cp.api.json(.GET, "/api/v1/namespaces/default")
        }
    }

    @Test("a 4 MiB body is 413, an unsupported Content-Type is 415")
    func sizeAndMediaType() async throws {
        try await withControlPlane { cp in
            let big = #"{"metadata":{"name":"big","annotations":{"blob":""# + String(repeating: "x", count: 4 * 1024 * 1024) + #""}}}"#
            let r = try await post(cp, leasesPath, big)
            expectStatus(r, 413, "RequestEntityTooLarge", "4 MiB body")
            // The connection pool recovers: the next requests succeed.
            try await expectAliveAndEmpty(cp)

            let text = try await post(cp, leasesPath, #"{"metadata":{"name":"x"}}"#, contentType: "text/plain")
            expectStatus(text, 415, "UnsupportedMediaType", "text/plain")
            let form = try await post(cp, leasesPath, "a=b", contentType: "application/x-www-form-urlencoded")
            expectStatus(form, 415, "UnsupportedMediaType", "form")
            try await cp.api.json(.POST, leasesPath, ["metadata": ["name": "real"]])
            let patch = try await cp.api.raw(.PATCH, leasesPath + "/real", body: Array(#"{"spec":{}}"#.utf8),
                                             contentType: "application/json")
            expectStatus(patch, 415, "UnsupportedMediaType", "PATCH as application/json")
            try await cp.api.json(.DELETE, leasesPath + "/real")
            try await expectAliveAndEmpty(cp)
        }
    }

    @Test("invalid Services: 422 Invalid naming every field, nothing stored, nothing allocated")
    func invalidServices() async throws {
        try await withControlPlane { cp in
            let several: JSONValue = [
                "ports": [["name": "a", "port": 0], ["name": "a", "port": 81, "protocol": "HTTP"]],
                "sessionAffinity": "ClientIP",
                "sessionAffinityConfig": ["clientIP": ["timeoutSeconds": 0]],
            ]
            let r = try await post(cp, servicesPath, serviceJSON("bad", several))
            expectStatus(r, 422, "Invalid", contains: #"Service "bad" is invalid"#, "several errors")
            let fields = Set(causes(r).map(\.field))
            #expect(fields.isSuperset(of: ["spec.ports[0].port", "spec.ports[1].name", "spec.ports[1].protocol",
                                           "spec.sessionAffinityConfig.clientIP.timeoutSeconds"]), "\(causes(r))")
            #expect(causes(r).first { $0.field == "spec.ports[1].name" }?.reason == "FieldValueDuplicate")
            #expect(causes(r).first { $0.field == "spec.ports[1].protocol" }?.reason == "FieldValueNotSupported")
            #expect(causes(r).first { $0.field == "spec.ports[0].port" }?.reason == "FieldValueInvalid")
            #expect(r.json?.value(at: ["details", "name"])?.stringValue == "bad")
            #expect(r.json?.value(at: ["details", "kind"])?.stringValue == "Service")

            let single: [(String, JSONValue, String)] = [
                ("bad-type", ["type": "Magic", "ports": [["port": 80]]], "spec.type"),
                ("bad-port", ["ports": [["port": 70000]]], "spec.ports[0].port"),
                ("bad-target", ["ports": [["port": 80, "targetPort": 0x10000]]], "spec.ports[0].targetPort"),
                ("bad-affinity", ["sessionAffinity": "Sticky", "ports": [["port": 80]]], "spec.sessionAffinity"),
                ("bad-ip", ["clusterIP": "not-an-ip", "ports": [["port": 80]]], "spec.clusterIP"),
                ("outside-cidr", ["clusterIP": "192.168.1.1", "ports": [["port": 80]]], "spec.clusterIP"),
                ("outside-range", ["type": "NodePort", "ports": [["port": 80, "nodePort": 80]]], "spec.ports[0].nodePort"),
                ("no-ports", ["selector": ["app": "x"]], "spec.ports"),
                ("unnamed-ports", ["ports": [["port": 80], ["port": 81]]], "spec.ports[0].name"),
                ("np-on-clusterip", ["ports": [["port": 80, "nodePort": 30001]]], "spec.ports[0].nodePort"),
            ]
            for (name, spec, field) in single {
                let r = try await post(cp, servicesPath, serviceJSON(name, spec))
                expectStatus(r, 422, "Invalid", name)
                #expect(causes(r).map(\.field).contains(field), "\(name): \(causes(r))")
                #expect(r.json?.value(at: ["details", "name"])?.stringValue == name)
                #expect(try await cp.api.raw(.GET, servicesPath + "/" + name).code == 404, "\(name) was stored")
            }
            #expect(try await cp.api.raw(.GET, servicesPath + "/bad").code == 404)

            // Nothing was held by the refused requests: the same nodePort and a fresh IP are still free.
            let ok = try await cp.api.json(.POST, servicesPath, try JSONParser.parse(
                serviceJSON("ok", ["type": "NodePort", "ports": [["port": 80, "nodePort": 30080]]])))
            #expect(ok.value(at: ["spec", "ports"])?.arrayValue?.first?["nodePort"]?.intValue == 30080)
            let list = try await cp.api.json(.GET, servicesPath)
            #expect(Set((list["items"]?.arrayValue ?? []).compactMap { $0.value(at: ["metadata", "name"])?.stringValue })
                == ["kubernetes", "ok"])
        }
    }

    @Test("invalid names: uppercase, too long, empty, bad characters")
    func invalidNames() async throws {
        try await withControlPlane { cp in
            let cases: [(String, String, String)] = [
                (servicesPath, serviceJSON("Bad-Name", ["ports": [["port": 80]]]), "uppercase Service"),
                (servicesPath, serviceJSON(String(repeating: "a", count: 64), ["ports": [["port": 80]]]), "64-char Service"),
                (servicesPath, serviceJSON("1abc", ["ports": [["port": 80]]]), "Service starting with a digit"),
                (servicesPath, serviceJSON("a.b", ["ports": [["port": 80]]]), "Service with a dot"),
                (leasesPath, #"{"metadata":{"name":"UPPER"}}"#, "uppercase Lease"),
                (leasesPath, "{\"metadata\":{\"name\":\"\(String(repeating: "a", count: 254))\"}}", "254-char Lease"),
                (leasesPath, #"{"metadata":{"name":"under_score"}}"#, "underscore"),
                (leasesPath, #"{"metadata":{"name":"-lead"}}"#, "leading dash"),
                (leasesPath, #"{"metadata":{}}"#, "no name"),
                (leasesPath, #"{"metadata":{"name":"ok","labels":{"bad key!":"v"}}}"#, "bad label key"),
                (leasesPath, #"{"metadata":{"name":"ok","labels":{"k":"bad value!"}}}"#, "bad label value"),
            ]
            for (path, body, what) in cases {
                let r = try await post(cp, path, body)
                expectStatus(r, 422, "Invalid", what)
                #expect(causes(r).contains { $0.field.hasPrefix("metadata.") }, "\(what): \(causes(r))")
            }
            let upper = try await post(cp, servicesPath, serviceJSON("Bad-Name", ["ports": [["port": 80]]]))
            #expect(causes(upper).map(\.field) == ["metadata.name"])
            #expect(causes(upper).first?.reason == "FieldValueInvalid")
            try await expectAliveAndEmpty(cp)
            let services = try await cp.api.json(.GET, servicesPath)
            #expect(services["items"]?.arrayValue?.count == 1)  // only the kubernetes Service
        }
    }
}
