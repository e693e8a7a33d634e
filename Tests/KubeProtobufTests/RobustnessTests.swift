import KubeModel
import KubeProtobuf
import Testing

/// Request bodies are untrusted: every malformed input must end in a `KubeProtobufError`, never a trap.
@Suite("Malformed input")
struct RobustnessTests {
    private func error(decoding bytes: [UInt8]) -> KubeProtobufError? {
        do {
            _ = try KubeProtobuf.decode(bytes)
            return nil
        } catch {
            return error
        }
    }

    private func namespaceBody() -> [UInt8] {
        ProtoWriter.envelope(apiVersion: "v1", kind: "Namespace") { $0.message(1) { $0.string(1, "demo") } }
    }

    @Test func rejectsMissingOrWrongMagic() {
        let bodies: [[UInt8]] = [
            [], [0x6B, 0x38, 0x73], [0x6B, 0x38, 0x73, 0x01, 0x0A, 0x00], Array(#"{"kind":"Namespace"}"#.utf8),
        ]
        for body in bodies {
            #expect(error(decoding: body)?.message.contains("magic") == true)
        }
    }

    @Test func rejectsEnvelopeWithoutKind() {
        #expect(error(decoding: KubeProtobuf.magic)?.message == "protobuf envelope has no apiVersion or kind")
        let noKind = ProtoWriter.envelope(apiVersion: "v1", kind: "", raw: [])
        #expect(error(decoding: noKind)?.message == "protobuf envelope has no apiVersion or kind")
    }

    @Test func rejectsUnsupportedKindWithAClearMessage() {
        let configMap = ProtoWriter.envelope(apiVersion: "v1", kind: "ConfigMap") { object in
            object.message(1) { $0.string(1, "c") }
        }
        let expected = "protobuf decoding of kind ConfigMap (v1) is not supported; send JSON"
        #expect(error(decoding: configMap)?.message == expected)
        let oldDeployment = ProtoWriter.envelope(apiVersion: "extensions/v1beta1", kind: "Deployment", raw: [])
        #expect(error(decoding: oldDeployment)?.message.hasSuffix("is not supported; send JSON") == true)
    }

    @Test func rejectsEncodedOrForeignContent() {
        var gzip = ProtoWriter()
        gzip.message(1) {
            $0.string(1, "v1")
            $0.string(2, "Namespace")
        }
        gzip.raw(2, [])
        gzip.string(3, "gzip")
        #expect(error(decoding: KubeProtobuf.magic + gzip.bytes)?.message.contains("gzip") == true)

        var json = ProtoWriter()
        json.message(1) {
            $0.string(1, "v1")
            $0.string(2, "Namespace")
        }
        json.string(4, "application/json")
        #expect(error(decoding: KubeProtobuf.magic + json.bytes)?.message.contains("application/json") == true)
    }

    /// Each case is an envelope holding one field 9, which the envelope does not know and so must skip; skipping
    /// still has to read the value, so the malformation is found by the wire reader itself.
    @Test func rejectsMalformedWireData() {
        let cases: [(name: String, envelope: [UInt8], error: String)] = [
            ("overlong varint", [0x48] + Array(repeating: 0xFF, count: 10) + [0x01], "longer than 10 bytes"),
            ("varint overflowing 64 bits", [0x48] + Array(repeating: 0xFF, count: 9) + [0x02], "overflows 64 bits"),
            ("truncated varint", [0x48, 0x80], "truncated varint"),
            ("start group", [0x4B], "wire type 3"),
            ("end group", [0x4C], "wire type 4"),
            ("wire type 6", [0x4E], "wire type 6"),
            ("wire type 7", [0x4F], "wire type 7"),
            ("field number 0", [0x02, 0x00], "field number 0"),
            ("field number 2^29", [0x80, 0x80, 0x80, 0x80, 0x10], "field number 536870912"),
            ("length past the end", [0x4A, 0x05, 0x00], "runs past the end"),
            ("huge length", [0x4A] + Array(repeating: 0xFF, count: 9) + [0x01], "runs past the end"),
            ("truncated fixed64", [0x49, 0x00, 0x00], "truncated 64-bit"),
            ("truncated fixed32", [0x4D, 0x00], "truncated 32-bit"),
            ("key without value", [0x4A], "truncated varint"),
        ]
        for (name, envelope, expected) in cases {
            let message = error(decoding: KubeProtobuf.magic + envelope)?.message ?? "no error"
            #expect(message.contains(expected), "\(name): \(message)")
        }
    }

    @Test func largestVarintIsAccepted() throws {
        var typeMeta = ProtoWriter()
        typeMeta.string(1, "v1")
        typeMeta.string(2, "Namespace")
        typeMeta.key(9, 0)
        typeMeta.varint(UInt64.max)
        var unknown = ProtoWriter()
        unknown.raw(1, typeMeta.bytes)
        #expect(typeMeta.bytes.suffix(10) == [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        try expectDecodes(KubeProtobuf.magic + unknown.bytes, to: #"{"apiVersion": "v1", "kind": "Namespace"}"#)
    }

    @Test func rejectsWrongWireTypeOnKnownField() {
        let body = ProtoWriter.envelope(apiVersion: "apps/v1", kind: "Deployment") { deployment in
            deployment.message(2) { $0.string(1, "three") }
        }
        let message = error(decoding: body)?.message ?? ""
        #expect(message.contains("spec.replicas"), "\(message)")
    }

    @Test func rejectsInvalidUTF8() {
        let body = ProtoWriter.envelope(apiVersion: "v1", kind: "Namespace") { namespace in
            namespace.message(1) { $0.raw(1, [0x77, 0xC3, 0x28]) }
        }
        #expect(error(decoding: body)?.message == "metadata.name is not valid UTF-8")
    }

    @Test func rejectsImpossibleIntOrStringType() {
        let body = ProtoWriter.envelope(apiVersion: "v1", kind: "Service") { service in
            service.message(2) { spec in
                spec.message(1) { port in
                    port.message(4) { $0.int(1, 2) }
                }
            }
        }
        #expect(error(decoding: body)?.message.contains("spec.ports[0].targetPort") == true)
    }

    @Test func rejectsInvalidManagedFieldsJSON() {
        let body = ProtoWriter.envelope(apiVersion: "v1", kind: "Namespace") { namespace in
            namespace.message(1) { meta in
                meta.message(17) { $0.message(7) { $0.string(1, "{not json") } }
            }
        }
        #expect(error(decoding: body)?.message.contains("managedFields[0].fieldsV1") == true)
    }

    @Test func enforcesTheNestingLimit() throws {
        let capture = try #require(KubectlCapture.all.first { $0.command.hasPrefix("create deployment web ") })
        let body = try #require(decodeHex(capture.hex))
        #expect(throws: KubeProtobufError.self) { try KubeProtobuf.decode(body, maxDepth: 3) }
        #expect(throws: KubeProtobufError.self) { try KubeProtobuf.decode(body, maxDepth: 0) }
        #expect(throws: Never.self) { try KubeProtobuf.decode(body, maxDepth: 8) }
    }

    /// Unknown fields are skipped without being parsed, so arbitrarily deep nesting inside them costs no stack.
    @Test func deeplyNestedUnknownFieldIsSkipped() throws {
        var nested: [UInt8] = []
        for _ in 0..<10_000 {
            var outer = ProtoWriter()
            outer.raw(99, nested)
            nested = outer.bytes
        }
        var namespace = ProtoWriter()
        namespace.message(1) { $0.string(1, "demo") }
        namespace.raw(99, nested)
        let body = ProtoWriter.envelope(apiVersion: "v1", kind: "Namespace", raw: namespace.bytes)
        try expectDecodes(body, to: #"{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}}"#)
    }

    @Test func randomGarbageAfterTheMagicNeverTraps() {
        var random = SeededRandom(seed: 0x6B38_7300)
        var failures = 0
        for _ in 0..<2_000 {
            let count = Int.random(in: 0..<64, using: &random)
            let garbage = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
            if error(decoding: KubeProtobuf.magic + garbage) != nil { failures += 1 }
        }
        #expect(failures > 1_000)
    }

    /// Flips, inserts, deletes and truncates bytes of real kubectl bodies. Any outcome but a trap is acceptable;
    /// the counts only confirm that both outcomes were exercised.
    @Test func mutatedKubectlBodiesNeverTrap() throws {
        let bodies = try KubectlCapture.all.map { try #require(decodeHex($0.hex)) }
        var random = SeededRandom(seed: 42)
        var decoded = 0
        var rejected = 0
        for iteration in 0..<5_000 {
            var body = bodies[iteration % bodies.count]
            let edits = Int.random(in: 1...3, using: &random)
            for _ in 0..<edits {
                let index = Int.random(in: 0..<body.count, using: &random)
                switch Int.random(in: 0..<6, using: &random) {
                case 0: body[index] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &random)
                case 1: body[index] = UInt8.random(in: 0...255, using: &random)
                case 2: body.insert(UInt8.random(in: 0...255, using: &random), at: index)
                case 3: if body.count > 1 { body.remove(at: index) }
                case 4: body[index] = [0x00, 0x7F, 0x80, 0xFF][Int.random(in: 0..<4, using: &random)]
                default: body = Array(body[0..<max(index, 1)])
                }
                if body.isEmpty { body = [0] }
            }
            if error(decoding: body) == nil { decoded += 1 } else { rejected += 1 }
        }
        #expect(decoded > 0)
        #expect(rejected > 0)
    }
}
