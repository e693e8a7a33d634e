import KubeModel
import KubeProtobuf
import Testing

@Suite("Bodies captured from kubectl 1.32")
struct KubectlCaptureTests {
    @Test(arguments: KubectlCapture.all)
    func decodesToTheJSONKubectlWouldSend(_ capture: KubectlCapture) throws {
        let body = try #require(decodeHex(capture.hex))
        #expect(KubeProtobuf.hasMagic(body))
        try expectDecodes(body, to: capture.json)
    }

    /// The example written down in the kubectl research notes, compared as the notes give it.
    @Test func researchNotesDeploymentExample() throws {
        let command = "create deployment web --image=x --replicas=3"
        let capture = try #require(KubectlCapture.all.first { $0.command == command })
        let body = try #require(decodeHex(capture.hex))
        let notes = try JSONParser.parse(
            #"""
            {"metadata":{"name":"web","labels":{"app":"web"}},
            "spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},
            "template":{"metadata":{"labels":{"app":"web"}},
            "spec":{"containers":[{"name":"x","image":"x","resources":{}}]}},"strategy":{}},"status":{}}
            """#)
        var expected = notes
        expected["apiVersion"] = "apps/v1"
        expected["kind"] = "Deployment"
        #expect(try KubeProtobuf.decode(body) == expected)
    }

    @Test func replicasZeroFromKubectlIsKept() throws {
        let capture = try #require(KubectlCapture.all.first { $0.command.contains("--replicas=0") })
        let decoded = try KubeProtobuf.decode(try #require(decodeHex(capture.hex)))
        #expect(decoded.value(at: ["spec", "replicas"]) == .int(0))
    }

    @Test func targetPortByNameFromKubectlIsAString() throws {
        let capture = try #require(KubectlCapture.all.first { $0.command.contains("--tcp=80:http") })
        let decoded = try KubeProtobuf.decode(try #require(decodeHex(capture.hex)))
        let ports = try #require(decoded.value(at: ["spec", "ports"])?.arrayValue)
        #expect(ports.map { $0["targetPort"] } == [.string("http"), .int(8443)])
    }

    /// Cutting a body short must fail cleanly. The only prefixes that still parse are those ending exactly between
    /// envelope fields: after TypeMeta (an object with no fields), after the object, or after contentEncoding.
    @Test(arguments: KubectlCapture.all)
    func everyPrefixDecodesOrThrows(_ capture: KubectlCapture) throws {
        let body = try #require(decodeHex(capture.hex))
        let typeMetaLength = Int(body[5])
        try #require(body[4] == 0x0A && typeMetaLength < 0x80)
        let fieldBoundaries: Set<Int> = [6 + typeMetaLength, body.count - 4, body.count - 2, body.count]
        for length in 0...body.count {
            let prefix = Array(body[0..<length])
            do {
                _ = try KubeProtobuf.decode(prefix)
                #expect(fieldBoundaries.contains(length), "prefix of \(length) bytes decoded")
            } catch {
                #expect(!fieldBoundaries.contains(length), "prefix of \(length) bytes: \(error)")
            }
        }
    }
}
