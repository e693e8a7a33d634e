import Testing
@testable import KubeModel

@Suite("Label selector strings")
struct LabelSelectorParseTests {
    @Test(arguments: labelParseCases)
    func parse(_ c: LabelParseCase) throws {
        if let error = c.error {
            #expect(throws: SelectorError(error)) { try LabelSelector.parse(c.input) }
            return
        }
        let selector = try LabelSelector.parse(c.input)
        #expect(selector.description == c.canonical)
        if let labels = c.labels, let matches = c.matches {
            #expect(selector.matches(labels) == matches)
        }
    }

    @Test func canonicalStringRoundTrips() throws {
        for c in labelParseCases where c.error == nil {
            let once = try LabelSelector.parse(c.input)
            let twice = try LabelSelector.parse(once.description)
            #expect(twice == once, "\(c.input)")
        }
    }

    @Test func requirementsAreSortedByKeyAndKeepTheirForm() throws {
        let selector = try LabelSelector.parse("z in (b,a),!y,x,w notin (c),v!=1,u==2,t>3,s<4,r=5")
        #expect(selector.requirements == [
            .equals("r", "5"), .lt("s", 4), .gt("t", 3), .equals("u", "2"), .notEquals("v", "1"),
            .notIn("w", ["c"]), .exists("x"), .doesNotExist("y"), .in("z", ["a", "b"]),
        ])
        #expect(selector.description == "r=5,s<4,t>3,u=2,v!=1,w notin (c),x,!y,z in (a,b)")
    }

    @Test func sameKeyKeepsWrittenOrder() throws {
        let selector = try LabelSelector.parse("b=1,a=2,b!=3")
        #expect(selector.requirements == [.equals("a", "2"), .equals("b", "1"), .notEquals("b", "3")])
    }

    @Test func emptyStringIsEverything() throws {
        let selector = try LabelSelector.parse("")
        #expect(selector.isEmpty)
        #expect(selector == .everything)
        #expect(selector.matches([:]))
        #expect(try LabelSelector.parse("   ").isEmpty)
    }

    @Test func whitespaceKindsSeparateTokens() throws {
        #expect(try LabelSelector.parse("a\t=\tb ,\nc\r").description == "a=b,c")
    }

    // Upstream's lexer reads a NUL byte as a token boundary that is swallowed (outputs checked against Go).
    @Test func nulByteEndsATokenAsUpstream() throws {
        #expect(try LabelSelector.parse("a=b\u{0},c=d").description == "a=b,c=d")
        #expect(try LabelSelector.parse("a\u{0}").description == "a")
        #expect(throws: SelectorError("found 'c', expected: ',' or 'end of string'")) {
            try LabelSelector.parse("a=b\u{0}c=d")
        }
    }
}

@Suite("Label selector matching")
struct LabelSelectorMatchTests {
    static let labels = ["app": "web", "tier": "frontend", "replicas": "3"]

    @Test(arguments: [
        ("app=web", true), ("app==web", true), ("app=db", false), ("app!=db", true), ("app!=web", false),
        ("missing!=x", true), ("app in (web,db)", true), ("app in (db)", false), ("missing in (x)", false),
        ("app notin (db)", true), ("app notin (web)", false), ("missing notin (x)", true),
        ("app", true), ("missing", false), ("!missing", true), ("!app", false),
        ("replicas>2", true), ("replicas>3", false), ("replicas<4", true), ("replicas<3", false),
        ("app>1", false), ("missing>1", false), ("missing<1", false),
        ("app=web,tier=frontend", true), ("app=web,tier=backend", false), ("app=web,app!=web", false),
        ("", true),
    ])
    func match(selector: String, expected: Bool) throws {
        #expect(try LabelSelector.parse(selector).matches(Self.labels) == expected)
    }

    @Test func nothingMatchesNothing() {
        #expect(!LabelSelector.nothing.matches([:]))
        #expect(!LabelSelector.nothing.matches(Self.labels))
        #expect(!LabelSelector.nothing.isEmpty)
        #expect(LabelSelector.nothing.description == "")
        #expect(LabelSelector.nothing != LabelSelector.everything)
    }

    @Test func everythingMatchesAll() {
        #expect(LabelSelector.everything.matches([:]))
        #expect(LabelSelector.everything.matches(Self.labels))
        #expect(LabelSelector.everything.isEmpty)
    }

    @Test func setSelector() {
        let selector = LabelSelector(set: ["tier": "frontend", "app": "web"])
        #expect(selector.description == "app=web,tier=frontend")
        #expect(selector.matches(Self.labels))
        #expect(!selector.matches(["app": "web"]))
        // An empty map selects everything here; a Service caller must treat it as "select nothing" itself.
        #expect(LabelSelector(set: [:]).isEmpty)
    }

    @Test func gtAndLtNeedIntegerLabels() {
        // A negative bound cannot be written in the string syntax ("-1" is no label value), only built.
        let gt = LabelSelector(requirements: [.gt("n", -1)])
        #expect(gt.matches(["n": "0"]))
        #expect(!gt.matches(["n": "0x1"]))
        #expect(!gt.matches(["n": " 1"]))
        #expect(gt.matches(["n": "+1"]))
    }

    @Test func requiresExactMatch() throws {
        #expect(try LabelSelector.parse("a=1,b in (2),c in (3,4),d!=5").requiresExactMatch("a") == "1")
        #expect(try LabelSelector.parse("b in (2)").requiresExactMatch("b") == "2")
        #expect(try LabelSelector.parse("c in (3,4)").requiresExactMatch("c") == nil)
        #expect(try LabelSelector.parse("d!=5").requiresExactMatch("d") == nil)
        #expect(try LabelSelector.parse("a=1").requiresExactMatch("z") == nil)
    }

    @Test func labelsOfReadsMetadataLabels() {
        let object: JSONValue = ["metadata": ["name": "x", "labels": ["app": "web", "bad": 3]]]
        #expect(labelsOf(object) == ["app": "web"])
        #expect(labelsOf(["metadata": ["name": "x"]]) == [:])
        #expect(labelsOf(["metadata": ["labels": "oops"]]) == [:])
        #expect(labelsOf("not an object") == [:])
    }
}

@Suite("metav1.LabelSelector")
struct LabelSelectorObjectTests {
    @Test func matchLabelsAndExpressions() throws {
        let json: JSONValue = [
            "matchLabels": ["app": "web"],
            "matchExpressions": [
                ["key": "tier", "operator": "In", "values": ["b", "a"]],
                ["key": "env", "operator": "NotIn", "values": ["prod"]],
                ["key": "canary", "operator": "DoesNotExist"],
                ["key": "team", "operator": "Exists", "values": []],
            ],
        ]
        let selector = try LabelSelector(json: json)
        #expect(selector.description == "app=web,!canary,env notin (prod),team,tier in (a,b)")
        #expect(selector.matches(["app": "web", "tier": "a", "team": "x"]))
        #expect(!selector.matches(["app": "web", "tier": "a", "team": "x", "canary": "1"]))
        #expect(!selector.matches(["app": "web", "tier": "c", "team": "x"]))
    }

    @Test func nullIsNothingAndEmptyIsEverything() throws {
        #expect(try LabelSelector(json: .null) == .nothing)
        #expect(try LabelSelector(json: [:]) == .everything)
        #expect(try LabelSelector(json: ["matchLabels": [:], "matchExpressions": []]) == .everything)
        #expect(try LabelSelector(json: ["matchLabels": .null]) == .everything)
    }

    @Test func specForm() throws {
        #expect(try LabelSelector(spec: nil) == .nothing)
        let spec = LabelSelectorSpec(matchLabels: ["app": "web"],
                                     matchExpressions: [.init(key: "tier", operator: "In", values: ["a"])])
        #expect(try LabelSelector(spec: spec).description == "app=web,tier in (a)")
    }

    // Expected messages produced by upstream LabelSelectorAsSelector (apimachinery v0.32.0).
    static let invalidCases: [(JSONValue, String)] = [
        (["matchExpressions": [["key": "a", "operator": "Foo", "values": ["x"]]]],
         "\"Foo\" is not a valid label selector operator"),
        (["matchExpressions": [["key": "a", "operator": "In", "values": []]]],
         "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty"),
        (["matchExpressions": [["key": "a", "operator": "NotIn"]]],
         "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty"),
        (["matchExpressions": [["key": "a", "operator": "Exists", "values": ["x", "y"]]]],
         "values: Invalid value: []string{\"x\", \"y\"}: values set must be empty for exists and does not exist"),
        (["matchLabels": ["a/b/c": "x"]],
         "key: Invalid value: \"a/b/c\": " + UpstreamText.qualifiedNameFormat),
        (["matchLabels": ["app": "-x"]],
         "values[0][app]: Invalid value: \"-x\": " + UpstreamText.labelValueFormat),
        (["matchExpressions": [["key": "", "operator": "In", "values": ["-x"]]]],
         "[key: Invalid value: \"\": name part must be non-empty; " + UpstreamText.namePartFormat
            + ", values[0][]: Invalid value: \"-x\": " + UpstreamText.labelValueFormat + "]"),
    ]

    @Test(arguments: invalidCases)
    func invalid(json: JSONValue, message: String) {
        #expect(throws: SelectorError(message)) { try LabelSelector(json: json) }
    }

    @Test func malformedShapesThrow() {
        #expect(throws: SelectorError.self) { try LabelSelector(json: "app=web") }
        #expect(throws: SelectorError.self) { try LabelSelector(json: ["matchLabels": ["app": 1]]) }
        #expect(throws: SelectorError.self) { try LabelSelector(json: ["matchExpressions": ["x"]]) }
        #expect(throws: SelectorError.self) {
            try LabelSelector(json: ["matchExpressions": [["key": "a", "operator": "In", "values": "x"]]])
        }
    }

    @Test func tupleInitializer() throws {
        let selector = try LabelSelector(matchLabels: ["b": "2", "a": "1"],
                                         matchExpressions: [(key: "a", operator: "Exists", values: [])])
        #expect(selector.description == "a=1,a,b=2")
    }

    // ValidateLabelSelector messages, as a Deployment create reports them.
    @Test func validateReportsFieldErrors() {
        let path = FieldPath.root("spec").child("selector")
        let json: JSONValue = [
            "matchLabels": ["app": "-web"],
            "matchExpressions": [
                ["key": "tier", "operator": "In", "values": []],
                ["key": "tier", "operator": "Exists", "values": ["a"]],
                ["key": "a/b/c", "operator": "Bogus"],
            ],
        ]
        let messages = LabelSelector.validate(json: json, path: path).map(\.message)
        #expect(messages == [
            "spec.selector.matchLabels: Invalid value: \"-web\": " + UpstreamText.labelValueFormat,
            "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
            "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            "spec.selector.matchExpressions[2].operator: Invalid value: \"Bogus\": not a valid selector operator",
            "spec.selector.matchExpressions[2].key: Invalid value: \"a/b/c\": " + UpstreamText.qualifiedNameFormat,
        ])
        #expect(LabelSelector.validate(json: nil, path: path).isEmpty)
        #expect(LabelSelector.validate(json: ["matchLabels": ["app": "web"]], path: path).isEmpty)
    }
}

@Suite("Field selectors")
struct FieldSelectorTests {
    @Test(arguments: fieldParseCases)
    func parse(_ c: FieldParseCase) throws {
        if let error = c.error {
            #expect(throws: SelectorError(error)) { try FieldSelector.parse(c.input) }
            return
        }
        let selector = try FieldSelector.parse(c.input)
        #expect(selector.description == c.canonical)
        if let isEmpty = c.isEmpty { #expect(selector.isEmpty == isEmpty) }
        if let fields = c.fields, let matches = c.matches {
            #expect(selector.matches(fields) == matches)
        }
    }

    @Test func requirementsKeepOperators() throws {
        let selector = try FieldSelector.parse("spec.nodeName!=n1,metadata.name==web,status.phase=Running")
        #expect(selector.requirements == [
            .init(field: "metadata.name", op: .doubleEquals, value: "web"),
            .init(field: "spec.nodeName", op: .notEquals, value: "n1"),
            .init(field: "status.phase", op: .equals, value: "Running"),
        ])
        #expect(selector.requiresExactMatch("metadata.name") == "web")
        #expect(selector.requiresExactMatch("spec.nodeName") == nil)
    }

    @Test func escapes() throws {
        #expect(FieldSelector.escape("a,b=c\\d") == "a\\,b\\=c\\\\d")
        #expect(try FieldSelector.unescape("a\\,b\\=c\\\\d") == "a,b=c\\d")
        let selector = FieldSelector(set: ["metadata.name": "a,b"])
        #expect(selector.description == "metadata.name=a\\,b")
        #expect(try FieldSelector.parse(selector.description) == selector)
    }

    @Test func supportedFields() throws {
        let selector = try FieldSelector.parse("spec.nodeName=n1,metadata.name=web")
        try selector.checkSupported(["metadata.name", "metadata.namespace", "spec.nodeName"])
        #expect(throws: SelectorError("field label not supported: spec.nodeName")) {
            try selector.checkSupported(["metadata.name", "metadata.namespace"])
        }
    }
}
