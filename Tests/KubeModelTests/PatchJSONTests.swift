import Testing

@testable import KubeModel

/// Helpers for the patch tests, namespaced so they cannot clash with other test files in this target.
enum PatchFixture {
    static func parse(_ text: String) throws -> JSONValue {
        try JSONParser.parse(text)
    }

    /// Canonical text (sorted keys), so a failing comparison prints two readable documents.
    static func text(_ value: JSONValue) -> String {
        JSONWriter.string(value)
    }

    /// A small deterministic generator (SplitMix64) for the never-trap tests.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

        /// Keys and values chosen to collide with directives, merge keys and JSON pointer syntax.
        static let keys = [
            "spec", "ports", "port", "protocol", "name", "containers", "metadata", "finalizers", "$patch",
            "$retainKeys", "$setElementOrder/ports", "$deleteFromPrimitiveList/finalizers", "$setElementOrder/containers",
            "op", "path", "value", "from", "~", "-", "0",
        ]
        static let strings = ["replace", "delete", "merge", "add", "remove", "move", "copy", "test", "/spec/ports/0",
                              "/-", "", "/a~", "/spec", "TCP", "UDP", "/0/1", "/ports/-"]

        mutating func value(depth: Int) -> JSONValue {
            let choice = depth <= 0 ? below(5) : below(8)
            switch choice {
            case 0: return .null
            case 1: return .bool(below(2) == 0)
            case 2: return .int(Int64(below(5)) - 1)
            case 3: return .string(Self.strings[below(Self.strings.count)])
            case 4: return .double(Double(below(3)) + 0.5)
            case 5, 6:
                var fields: [String: JSONValue] = [:]
                for _ in 0..<below(4) { fields[Self.keys[below(Self.keys.count)]] = value(depth: depth - 1) }
                return .object(fields)
            default:
                return .array((0..<below(4)).map { _ in value(depth: depth - 1) })
            }
        }
    }
}

// MARK: - RFC 6902 JSON patch

@Suite("JSON patch (RFC 6902)")
struct PatchJSONPatchTests {
    struct Example: CustomTestStringConvertible, Sendable {
        var name: String
        var document: String
        var patch: String
        /// nil: the patch must fail.
        var result: String?
        var testDescription: String { name }
    }

    /// RFC 6902 appendix A, examples A.1 to A.16.
    static let appendixA: [Example] = [
        Example(name: "A.1 add an object member", document: #"{"foo":"bar"}"#,
                patch: #"[{"op":"add","path":"/baz","value":"qux"}]"#, result: #"{"baz":"qux","foo":"bar"}"#),
        Example(name: "A.2 add an array element", document: #"{"foo":["bar","baz"]}"#,
                patch: #"[{"op":"add","path":"/foo/1","value":"qux"}]"#, result: #"{"foo":["bar","qux","baz"]}"#),
        Example(name: "A.3 remove an object member", document: #"{"baz":"qux","foo":"bar"}"#,
                patch: #"[{"op":"remove","path":"/baz"}]"#, result: #"{"foo":"bar"}"#),
        Example(name: "A.4 remove an array element", document: #"{"foo":["bar","qux","baz"]}"#,
                patch: #"[{"op":"remove","path":"/foo/1"}]"#, result: #"{"foo":["bar","baz"]}"#),
        Example(name: "A.5 replace a value", document: #"{"baz":"qux","foo":"bar"}"#,
                patch: #"[{"op":"replace","path":"/baz","value":"boo"}]"#, result: #"{"baz":"boo","foo":"bar"}"#),
        Example(name: "A.6 move a value", document: #"{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}"#,
                patch: #"[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]"#,
                result: #"{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}"#),
        Example(name: "A.7 move an array element", document: #"{"foo":["all","grass","cows","eat"]}"#,
                patch: #"[{"op":"move","from":"/foo/1","path":"/foo/3"}]"#,
                result: #"{"foo":["all","cows","eat","grass"]}"#),
        Example(name: "A.8 test a value: success", document: #"{"baz":"qux","foo":["a",2,"c"]}"#,
                patch: #"[{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}]"#,
                result: #"{"baz":"qux","foo":["a",2,"c"]}"#),
        Example(name: "A.9 test a value: error", document: #"{"baz":"qux"}"#,
                patch: #"[{"op":"test","path":"/baz","value":"bar"}]"#, result: nil),
        Example(name: "A.10 add a nested member object", document: #"{"foo":"bar"}"#,
                patch: #"[{"op":"add","path":"/child","value":{"grandchild":{}}}]"#,
                result: #"{"foo":"bar","child":{"grandchild":{}}}"#),
        Example(name: "A.11 ignore unrecognized elements", document: #"{"foo":"bar"}"#,
                patch: #"[{"op":"add","path":"/baz","value":"qux","xyz":123}]"#, result: #"{"foo":"bar","baz":"qux"}"#),
        Example(name: "A.12 add to a nonexistent target", document: #"{"foo":"bar"}"#,
                patch: #"[{"op":"add","path":"/baz/bat","value":"qux"}]"#, result: nil),
        // A.13's duplicate "op" parses with the last value winning ("remove"), and /baz does not exist.
        Example(name: "A.13 invalid JSON patch document", document: #"{"foo":"bar"}"#,
                patch: #"[{"op":"add","path":"/baz","value":"qux","op":"remove"}]"#, result: nil),
        Example(name: "A.14 ~ escape ordering", document: #"{"/":9,"~1":10}"#,
                patch: #"[{"op":"test","path":"/~01","value":10}]"#, result: #"{"/":9,"~1":10}"#),
        Example(name: "A.15 comparing strings and numbers", document: #"{"/":9,"~1":10}"#,
                patch: #"[{"op":"test","path":"/~01","value":"10"}]"#, result: nil),
        Example(name: "A.16 adding an array value", document: #"{"foo":["bar"]}"#,
                patch: #"[{"op":"add","path":"/foo/-","value":["abc","def"]}]"#, result: #"{"foo":["bar",["abc","def"]]}"#),
    ]

    @Test(arguments: appendixA)
    func rfc6902AppendixA(_ example: Example) throws {
        let document = try PatchFixture.parse(example.document)
        let patch = try PatchFixture.parse(example.patch)
        if let expected = example.result {
            let result = try JSONPatch.apply(patch, to: document)
            #expect(PatchFixture.text(result) == PatchFixture.text(try PatchFixture.parse(expected)))
        } else {
            #expect(throws: PatchError.self) { try JSONPatch.apply(patch, to: document) }
        }
    }

    @Test func testFailureNamesThePointer() throws {
        let document = try PatchFixture.parse(#"{"spec":{"replicas":3}}"#)
        let patch = try PatchFixture.parse(#"[{"op":"test","path":"/spec/replicas","value":2}]"#)
        let error = try #require(throws: PatchError.self) { try JSONPatch.apply(patch, to: document) }
        #expect(error.description == "json patch: test operation failed at /spec/replicas")
        #expect(error.httpStatus == 422)
    }

    @Test func testComparesNumbersByValue() throws {
        let document: JSONValue = ["spec": ["replicas": 3, "ratio": 0.5]]
        let patch = try PatchFixture.parse(
            #"[{"op":"test","path":"/spec/replicas","value":3.0},{"op":"test","path":"/spec","value":{"ratio":0.5,"replicas":3}}]"#)
        #expect(try JSONPatch.apply(patch, to: document) == document)
    }

    /// `kubectl rollout undo deployment/web` sends a JSON patch (not a strategic one) with two `replace`
    /// operations: the pod template of the old ReplicaSet and the merged annotations.
    @Test func rolloutUndoDeployment() throws {
        let live = try PatchFixture.parse(#"""
            {"apiVersion":"apps/v1","kind":"Deployment",
             "metadata":{"name":"web","namespace":"default","uid":"d1","resourceVersion":"77","generation":2,
               "annotations":{"deployment.kubernetes.io/revision":"2","kubectl.kubernetes.io/last-applied-configuration":"{}\n"}},
             "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
               "template":{"metadata":{"labels":{"app":"web"},"annotations":{"kubectl.kubernetes.io/restartedAt":"2025-01-01T00:00:00Z"}},
                 "spec":{"containers":[{"name":"c","image":"nginx:1.27","ports":[{"containerPort":8080,"protocol":"TCP"}]}],
                         "restartPolicy":"Always"}},
               "strategy":{"type":"RollingUpdate"}},
             "status":{"replicas":2}}
            """#)
        let patch = try PatchFixture.parse(#"""
            [{"op":"replace","path":"/spec/template",
              "value":{"metadata":{"creationTimestamp":null,"labels":{"app":"web"}},
                       "spec":{"containers":[{"name":"c","image":"nginx:1.25","resources":{}}],"restartPolicy":"Always"}}},
             {"op":"replace","path":"/metadata/annotations",
              "value":{"deployment.kubernetes.io/revision":"2","kubectl.kubernetes.io/last-applied-configuration":"{}\n","owner":"team-a"}}]
            """#)
        let result = try JSONPatch.apply(patch, to: live)
        #expect(result.value(at: ["spec", "template"]) == (try PatchFixture.parse(
            #"{"metadata":{"creationTimestamp":null,"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"nginx:1.25","resources":{}}],"restartPolicy":"Always"}}"#)))
        #expect(result.value(at: ["metadata", "annotations", "owner"]) == "team-a")
        #expect(result.value(at: ["spec", "replicas"]) == 2)
        #expect(result.value(at: ["status"]) == ["replicas": 2])
    }

    @Test func replaceRequiresAnExistingTarget() throws {
        // An object without annotations cannot take kubectl's `replace /metadata/annotations` (RFC 6902 4.3).
        let live: JSONValue = ["metadata": ["name": "web"]]
        let patch = try PatchFixture.parse(#"[{"op":"replace","path":"/metadata/annotations","value":{}}]"#)
        let error = try #require(throws: PatchError.self) { try JSONPatch.apply(patch, to: live) }
        #expect(error.path == "/metadata/annotations")
        #expect(error.description.contains("does not exist"))
    }

    @Test func rootOperations() throws {
        let doc: JSONValue = ["a": 1]
        #expect(try JSONPatch.apply(try PatchFixture.parse(#"[{"op":"replace","path":"","value":[1]}]"#), to: doc) == [1])
        #expect(try JSONPatch.apply(try PatchFixture.parse(#"[{"op":"add","path":"","value":{"b":2}}]"#), to: doc) == ["b": 2])
        #expect(try JSONPatch.apply(try PatchFixture.parse(#"[{"op":"test","path":"","value":{"a":1}}]"#), to: doc) == doc)
        #expect(throws: PatchError.self) { try JSONPatch.apply(try PatchFixture.parse(#"[{"op":"remove","path":""}]"#), to: doc) }
    }

    @Test func copyAndMoveAcrossArrays() throws {
        let doc = try PatchFixture.parse(#"{"a":[1,2],"b":{"c":"x"}}"#)
        let patch = try PatchFixture.parse(#"""
            [{"op":"copy","from":"/a/0","path":"/a/-"},{"op":"move","from":"/b/c","path":"/a/0"},
             {"op":"copy","from":"/a","path":"/b/d"},{"op":"move","from":"/b","path":"/b"}]
            """#)
        let result = try JSONPatch.apply(patch, to: doc)
        #expect(PatchFixture.text(result) == #"{"a":["x",1,2,1],"b":{"d":["x",1,2,1]}}"#)
    }

    @Test func pointerEscapes() throws {
        let doc = try PatchFixture.parse(#"{"a/b":{"m~n":1}}"#)
        let patch = try PatchFixture.parse(#"[{"op":"replace","path":"/a~1b/m~0n","value":2},{"op":"add","path":"/~0~1","value":3}]"#)
        #expect(PatchFixture.text(try JSONPatch.apply(patch, to: doc)) == #"{"a/b":{"m~n":2},"~/":3}"#)
        #expect(try JSONPointer(parsing: "/a~1b/m~0n").tokens == ["a/b", "m~n"])
        #expect(try JSONPointer(parsing: "/a~1b/m~0n").description == "/a~1b/m~0n")
        #expect(try JSONPointer(parsing: "/").tokens == [""])
    }

    struct Failure: CustomTestStringConvertible, Sendable {
        var name: String
        var document: String
        var patch: String
        var status: Int
        var fragment: String
        var testDescription: String { name }
    }

    static let failures: [Failure] = [
        Failure(name: "not an array", document: "{}", patch: #"{"op":"add"}"#, status: 400, fragment: "JSON array"),
        Failure(name: "operation not an object", document: "{}", patch: "[1]", status: 400, fragment: "operation 0"),
        Failure(name: "missing op", document: "{}", patch: #"[{"path":"/a"}]"#, status: 422, fragment: "no \"op\""),
        Failure(name: "unknown op", document: "{}", patch: #"[{"op":"merge","path":"/a"}]"#, status: 422, fragment: "unknown op \"merge\""),
        Failure(name: "missing path", document: "{}", patch: #"[{"op":"add","value":1}]"#, status: 422, fragment: "no \"path\""),
        Failure(name: "missing value", document: "{}", patch: #"[{"op":"add","path":"/a"}]"#, status: 422, fragment: "no \"value\""),
        Failure(name: "missing from", document: #"{"a":1}"#, patch: #"[{"op":"move","path":"/b"}]"#, status: 422, fragment: "no \"from\""),
        Failure(name: "pointer without slash", document: #"{"a":1}"#, patch: #"[{"op":"remove","path":"a"}]"#, status: 422, fragment: "start with"),
        Failure(name: "bad escape", document: #"{"a":1}"#, patch: #"[{"op":"remove","path":"/a~2"}]"#, status: 422, fragment: "~"),
        Failure(name: "leading zero index", document: #"{"a":[1,2]}"#, patch: #"[{"op":"remove","path":"/a/01"}]"#, status: 422, fragment: "not a valid array index"),
        Failure(name: "negative index", document: #"{"a":[1,2]}"#, patch: #"[{"op":"remove","path":"/a/-1"}]"#, status: 422, fragment: "not a valid array index"),
        Failure(name: "huge index", document: #"{"a":[1,2]}"#, patch: #"[{"op":"add","path":"/a/99999999999999999999999","value":1}]"#, status: 422, fragment: "not a valid array index"),
        Failure(name: "index out of range", document: #"{"a":[1,2]}"#, patch: #"[{"op":"replace","path":"/a/2","value":1}]"#, status: 422, fragment: "out of range"),
        Failure(name: "add past the end", document: #"{"a":[1,2]}"#, patch: #"[{"op":"add","path":"/a/3","value":1}]"#, status: 422, fragment: "out of range"),
        Failure(name: "dash outside add", document: #"{"a":[1,2]}"#, patch: #"[{"op":"remove","path":"/a/-"}]"#, status: 422, fragment: "out of range"),
        Failure(name: "move into own child", document: #"{"a":{"b":1}}"#, patch: #"[{"op":"move","from":"/a","path":"/a/b/c"}]"#, status: 422, fragment: "own children"),
        Failure(name: "through a scalar", document: #"{"a":1}"#, patch: #"[{"op":"add","path":"/a/b","value":1}]"#, status: 422, fragment: "does not exist"),
        Failure(name: "remove missing member", document: #"{"a":1}"#, patch: #"[{"op":"remove","path":"/b"}]"#, status: 422, fragment: "does not exist"),
        Failure(name: "op not a string", document: "{}", patch: #"[{"op":1,"path":"/a"}]"#, status: 422, fragment: "not a string"),
    ]

    @Test(arguments: failures)
    func rejects(_ failure: Failure) throws {
        let document = try PatchFixture.parse(failure.document)
        let patch = try PatchFixture.parse(failure.patch)
        let error = try #require(throws: PatchError.self) { try JSONPatch.apply(patch, to: document) }
        #expect(error.httpStatus == failure.status)
        #expect(error.description.hasPrefix("json patch: "))
        #expect(error.description.contains(failure.fragment), "\(error)")
    }

    @Test func failedPatchLeavesNoPartialResult() throws {
        // Operations are atomic as a whole: the caller keeps its value because apply works on a copy.
        let doc: JSONValue = ["a": 1]
        let patch = try PatchFixture.parse(#"[{"op":"add","path":"/b","value":2},{"op":"test","path":"/a","value":5}]"#)
        #expect(throws: PatchError.self) { try JSONPatch.apply(patch, to: doc) }
        #expect(doc == ["a": 1])
    }

    @Test func operationLimit() throws {
        let op: JSONValue = ["op": "test", "path": "", "value": [:]]
        let patch = JSONValue.array(Array(repeating: op, count: JSONPatch.maxOperations + 1))
        let error = try #require(throws: PatchError.self) { try JSONPatch.apply(patch, to: [:]) }
        #expect(error == .tooManyOperations(count: JSONPatch.maxOperations + 1, limit: JSONPatch.maxOperations))
        #expect(error.httpStatus == 413)
    }

    @Test func neverTraps() {
        var random = PatchFixture.Random(state: 6902)
        for _ in 0..<3000 {
            let document = random.value(depth: 3)
            var ops: [JSONValue] = []
            for _ in 0..<random.below(4) {
                var op: [String: JSONValue] = [:]
                op["op"] = .string(["add", "remove", "replace", "move", "copy", "test", "x"][random.below(7)])
                op["path"] = .string(PatchFixture.Random.strings[random.below(PatchFixture.Random.strings.count)])
                if random.below(2) == 0 { op["from"] = .string(PatchFixture.Random.strings[random.below(PatchFixture.Random.strings.count)]) }
                if random.below(3) > 0 { op["value"] = random.value(depth: 2) }
                ops.append(.object(op))
            }
            _ = try? JSONPatch.apply(.array(ops), to: document)
            _ = try? JSONPatch.apply(random.value(depth: 2), to: document)
        }
    }
}

// MARK: - RFC 7386 JSON merge patch

@Suite("JSON merge patch (RFC 7386)")
struct PatchMergePatchTests {
    /// RFC 7386 appendix A: original, patch, result.
    static let appendixA: [(String, String, String)] = [
        (#"{"a":"b"}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"b"}"#, #"{"b":"c"}"#, #"{"a":"b","b":"c"}"#),
        (#"{"a":"b"}"#, #"{"a":null}"#, #"{}"#),
        (#"{"a":"b","b":"c"}"#, #"{"a":null}"#, #"{"b":"c"}"#),
        (#"{"a":["b"]}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"c"}"#, #"{"a":["b"]}"#, #"{"a":["b"]}"#),
        (#"{"a":{"b":"c"}}"#, #"{"a":{"b":"d","c":null}}"#, #"{"a":{"b":"d"}}"#),
        (#"{"a":[{"b":"c"}]}"#, #"{"a":[1]}"#, #"{"a":[1]}"#),
        (#"["a","b"]"#, #"["c","d"]"#, #"["c","d"]"#),
        (#"{"a":"b"}"#, #"["c"]"#, #"["c"]"#),
        (#"{"a":"foo"}"#, "null", "null"),
        (#"{"a":"foo"}"#, #""bar""#, #""bar""#),
        (#"{"e":null}"#, #"{"a":1}"#, #"{"e":null,"a":1}"#),
        (#"[1,2]"#, #"{"a":"b","c":null}"#, #"{"a":"b"}"#),
        (#"{}"#, #"{"a":{"bb":{"ccc":null}}}"#, #"{"a":{"bb":{}}}"#),
    ]

    @Test(arguments: appendixA)
    func rfc7386AppendixA(_ example: (String, String, String)) throws {
        let result = JSONMergePatch.apply(try PatchFixture.parse(example.1), to: try PatchFixture.parse(example.0))
        #expect(PatchFixture.text(result) == PatchFixture.text(try PatchFixture.parse(example.2)))
    }

    @Test func kubectlLabelAndUnlabel() throws {
        let live = try PatchFixture.parse(#"{"metadata":{"name":"web","labels":{"app":"web","a":"old"}},"spec":{"ports":[{"port":80}]}}"#)
        let labelled = JSONMergePatch.apply(try PatchFixture.parse(#"{"metadata":{"labels":{"a":"b"}}}"#), to: live)
        #expect(labelled.value(at: ["metadata", "labels"]) == ["app": "web", "a": "b"])
        let unlabelled = JSONMergePatch.apply(try PatchFixture.parse(#"{"metadata":{"labels":{"a":null}}}"#), to: labelled)
        #expect(unlabelled.value(at: ["metadata", "labels"]) == ["app": "web"])
        #expect(unlabelled.value(at: ["spec"]) == live.value(at: ["spec"]))
    }

    @Test func kubectlScale() throws {
        let scale = try PatchFixture.parse(#"{"kind":"Scale","apiVersion":"autoscaling/v1","metadata":{"name":"web"},"spec":{"replicas":3},"status":{"replicas":3,"selector":"app=web"}}"#)
        let result = JSONMergePatch.apply(try PatchFixture.parse(#"{"spec":{"replicas":5}}"#), to: scale)
        #expect(result.value(at: ["spec", "replicas"]) == 5)
        #expect(result.value(at: ["status", "replicas"]) == 3)
    }

    @Test func neverTraps() {
        var random = PatchFixture.Random(state: 7386)
        for _ in 0..<2000 {
            _ = JSONMergePatch.apply(random.value(depth: 4), to: random.value(depth: 4))
        }
    }
}
