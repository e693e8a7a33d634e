import Testing
@testable import KubeModel

@Suite("Name and value formats")
struct ValidationNameTests {
    @Test(arguments: nameCheckCases)
    func check(_ c: NameCheckCase) {
        let problems: [String]
        switch c.check {
        case .dns1123Label: problems = NameValidation.dns1123Label(c.input)
        case .dns1123Subdomain: problems = NameValidation.dns1123Subdomain(c.input)
        case .dns1035Label: problems = NameValidation.dns1035Label(c.input)
        case .qualifiedName: problems = NameValidation.qualifiedName(c.input)
        case .labelValue: problems = NameValidation.labelValue(c.input)
        case .portName: problems = NameValidation.portName(c.input)
        case .configMapKey: problems = NameValidation.configMapKey(c.input)
        case .envVarName: problems = NameValidation.envVarName(c.input)
        case .cIdentifier: problems = NameValidation.cIdentifier(c.input)
        case .wildcard: problems = NameValidation.wildcardDNS1123Subdomain(c.input)
        }
        #expect(problems == c.problems)
    }

    @Test func lengthBoundaries() {
        let a63 = String(repeating: "a", count: 63)
        #expect(NameValidation.dns1123Label(a63).isEmpty)
        #expect(NameValidation.dns1123Label(a63 + "a") == ["must be no more than 63 characters"])
        let s253 = [a63, a63, a63, String(repeating: "b", count: 61)].joined(separator: ".")
        #expect(s253.utf8.count == 253)
        #expect(NameValidation.dns1123Subdomain(s253).isEmpty)
        #expect(NameValidation.dns1123Subdomain(s253 + "b") == ["must be no more than 253 characters"])
        #expect(NameValidation.labelValue("").isEmpty)
        #expect(NameValidation.labelValue(a63).isEmpty)
        #expect(NameValidation.qualifiedName("kubernetes.io/" + a63).isEmpty)
        #expect(NameValidation.portName(String(repeating: "p", count: 15)).isEmpty)
    }

    // Go counts bytes: a 32-character name of two-byte letters is 64 bytes long.
    @Test func lengthsAreUTF8Bytes() {
        #expect(NameValidation.labelValue(String(repeating: "é", count: 32)).first == "must be no more than 63 characters")
    }

    @Test func generateNamePrefixes() {
        // Upstream masks a trailing '-' by replacing the last two characters with "a".
        #expect(NameValidation.nameIsDNSSubdomain("web-", true).isEmpty)
        #expect(!NameValidation.nameIsDNSSubdomain("web-", false).isEmpty)
        #expect(NameValidation.nameIsDNSLabel("a-", true).isEmpty)
        #expect(NameValidation.nameIsDNS1035Label("x-", true).isEmpty)
        #expect(NameValidation.maskTrailingDash("my-app-") == "my-apa")
        #expect(NameValidation.maskTrailingDash("-") == "-")
        #expect(NameValidation.maskTrailingDash("abc") == "abc")
    }

    @Test func objectNames() {
        let meta = FieldPath.root("metadata")
        #expect(NameValidation.validateObjectName(name: "", generateName: "", check: NameValidation.nameIsDNSSubdomain,
                                                  path: meta).map(\.message)
                == ["metadata.name: Required value: name or generateName is required"])
        #expect(NameValidation.validateObjectName(name: "Web", generateName: "", check: NameValidation.nameIsDNSLabel,
                                                  path: meta).map(\.message)
                == ["metadata.name: Invalid value: \"Web\": " + UpstreamText.label1123Format])
        #expect(NameValidation.validateObjectName(name: "", generateName: "Web-", check: NameValidation.nameIsDNSSubdomain,
                                                  path: meta).map(\.message)
                == ["metadata.generateName: Invalid value: \"Web-\": " + UpstreamText.subdomainFormat,
                    "metadata.name: Required value: name or generateName is required"])
    }

    @Test func portNumbers() {
        #expect(NameValidation.portNumber(1).isEmpty)
        #expect(NameValidation.portNumber(65535).isEmpty)
        #expect(NameValidation.portNumber(0) == ["must be between 1 and 65535, inclusive"])
        #expect(NameValidation.portNumber(65536) == ["must be between 1 and 65535, inclusive"])
        #expect(NameValidation.inRange(5, 0, 4) == ["must be between 0 and 4, inclusive"])
    }

    @Test func labelsReportAtTheMapPath() {
        let path = FieldPath.root("metadata").child("labels")
        let errs = NameValidation.validateLabels(["ok": "fine", "a/b/c": "-x"], path: path)
        #expect(errs.map(\.message) == [
            "metadata.labels: Invalid value: \"a/b/c\": " + UpstreamText.qualifiedNameFormat,
            "metadata.labels: Invalid value: \"-x\": " + UpstreamText.labelValueFormat,
        ])
        #expect(NameValidation.validateLabels(["app": "", "kubernetes.io/name": "x"], path: path).isEmpty)
    }

    @Test func annotations() {
        let path = FieldPath.root("metadata").child("annotations")
        // Keys are checked case-insensitively, so an upper-case prefix is fine.
        #expect(NameValidation.validateAnnotations(["Example.COM/Key": "v"], path: path).isEmpty)
        #expect(NameValidation.validateAnnotations(["a/b/c": "v"], path: path).map(\.message)
                == ["metadata.annotations: Invalid value: \"a/b/c\": " + UpstreamText.qualifiedNameFormat])
        let limit = NameValidation.totalAnnotationSizeLimit
        #expect(NameValidation.validateAnnotations(["k": String(repeating: "v", count: limit - 1)], path: path).isEmpty)
        #expect(NameValidation.validateAnnotations(["k": String(repeating: "v", count: limit)], path: path).map(\.message)
                == ["metadata.annotations: Too long: may not be more than 262144 bytes"])
    }

    @Test func finalizers() {
        #expect(NameValidation.validateFinalizerName("kubernetes.io/pv-protection", path: .root("metadata", "finalizers")).isEmpty)
        #expect(NameValidation.validateFinalizerName("a/b/c", path: .root("metadata", "finalizers")).map(\.field)
                == ["metadata.finalizers"])
    }
}

@Suite("Field errors")
struct ValidationFieldErrorTests {
    static let port = FieldPath.root("spec").child("ports").index(0).child("port")

    @Test func paths() {
        #expect(Self.port.description == "spec.ports[0].port")
        #expect(FieldPath.root("metadata").child("labels").key("app").description == "metadata.labels[app]")
        #expect(FieldPath.root("metadata", "name").description == "metadata.name")
        #expect(FieldPath.root("spec").child("template", "spec").description == "spec.template.spec")
        #expect(FieldPath.none.description == "<nil>")
        #expect(FieldPath.none.child("key").description == "key")
        #expect(FieldPath.none.child("values").index(0).key("k").description == "values[0][k]")
    }

    // Every expected string below was printed by upstream field.Error.Error() (apimachinery v0.32.0).
    @Test(arguments: [
        (FieldError.invalid(port, 0, "must be between 1 and 65535, inclusive"),
         "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive"),
        (.invalid(port, 1.5, "x"), "spec.ports[0].port: Invalid value: 1.5: x"),
        (.invalid(port, 1e6, "x"), "spec.ports[0].port: Invalid value: 1e+06: x"),
        (.invalid(port, 1e-7, "x"), "spec.ports[0].port: Invalid value: 1e-07: x"),
        (.invalid(port, 123456.0, "x"), "spec.ports[0].port: Invalid value: 123456: x"),
        (.invalid(port, true, "x"), "spec.ports[0].port: Invalid value: true: x"),
        (.invalid(port, .null, "x"), "spec.ports[0].port: Invalid value: \"null\": x"),
        (.invalid(port, "a\"b\n\u{e9}\u{a0}\u{1}", "x"), "spec.ports[0].port: Invalid value: \"a\\\"b\\n\u{e9}\\u00a0\\x01\": x"),
        (.required(.root("metadata", "name"), "name or generateName is required"),
         "metadata.name: Required value: name or generateName is required"),
        (.required(.root("spec")), "spec: Required value"),
        (.notSupported(.root("spec").child("ports").index(0).child("protocol"), "ICMP", ["SCTP", "TCP", "UDP"]),
         "spec.ports[0].protocol: Unsupported value: \"ICMP\": supported values: \"SCTP\", \"TCP\", \"UDP\""),
        (.notSupported(.root("spec", "type"), "", []), "spec.type: Unsupported value: \"\""),
        (.duplicate(.root("spec").child("ports").index(1).child("name"), "http"),
         "spec.ports[1].name: Duplicate value: \"http\""),
        (.forbidden(.root("spec", "clusterIP"), "may not be set"), "spec.clusterIP: Forbidden: may not be set"),
        (.tooLong(.root("metadata", "annotations"), maxLength: 262144),
         "metadata.annotations: Too long: may not be more than 262144 bytes"),
        (.tooLong(.root("metadata", "annotations"), maxLength: -1), "metadata.annotations: Too long: value is too long"),
        (.tooMany(.root("spec", "ports"), actual: 5, max: 3), "spec.ports: Too many: 5: must have at most 3 items"),
        (.tooMany(.root("spec", "ports"), actual: -1, max: 3), "spec.ports: Too many: must have at most 3 items"),
        (.tooMany(.root("spec", "ports"), actual: 5, max: -1), "spec.ports: Too many: 5: has too many items"),
        (.notFound(.root("spec", "x"), "y"), "spec.x: Not found: \"y\""),
        (.typeInvalid(.root("spec", "replicas"), "3", "must be an integer"),
         "spec.replicas: Invalid value: \"3\": must be an integer"),
        (.internal(.root("spec"), "boom"), "spec: Internal error: boom"),
        (.invalid(.root("metadata").child("labels").key("app"), "x", "y"), "metadata.labels[app]: Invalid value: \"x\": y"),
        (.invalid(.none, "A", "y"), "<nil>: Invalid value: \"A\": y"),
    ] as [(FieldError, String)])
    func message(error: FieldError, expected: String) {
        #expect(error.message == expected)
        #expect(error.description == expected)
        #expect(error.field + ": " + error.body == expected)
    }

    @Test func kindsCarryCauseTypes() {
        #expect(FieldError.required(.root("a")).kind.rawValue == "FieldValueRequired")
        #expect(FieldError.invalid(.root("a"), 1, "").kind.rawValue == "FieldValueInvalid")
        #expect(FieldError.notSupported(.root("a"), 1, []).kind.rawValue == "FieldValueNotSupported")
        #expect(FieldError.duplicate(.root("a"), 1).kind.rawValue == "FieldValueDuplicate")
        #expect(FieldError.forbidden(.root("a"), "").kind.rawValue == "FieldValueForbidden")
        #expect(FieldError.tooLong(.root("a"), maxLength: 1).kind.rawValue == "FieldValueTooLong")
        #expect(FieldError.tooMany(.root("a"), actual: 2, max: 1).kind.rawValue == "FieldValueTooMany")
        #expect(FieldError.notFound(.root("a"), 1).kind.rawValue == "FieldValueNotFound")
        #expect(FieldError.typeInvalid(.root("a"), 1, "").kind.rawValue == "FieldValueTypeInvalid")
        #expect(FieldError.internal(.root("a"), "").kind.rawValue == "InternalError")
    }

    @Test func compoundValuesPrintAsJSON() {
        #expect(FieldError.invalid(.root("spec"), ["b": 1, "a": ["x"]], "bad").message
                == "spec: Invalid value: {\"a\":[\"x\"],\"b\":1}: bad")
    }

    @Test func goSyntaxValues() {
        #expect(GoFormat.goSyntax(["app": "web", "a": "b"] as [String: String]?) == "map[string]string{\"a\":\"b\", \"app\":\"web\"}")
        #expect(GoFormat.goSyntax(nil as [String: String]?) == "map[string]string(nil)")
        #expect(GoFormat.goSyntax(["x", "y"] as [String]?) == "[]string{\"x\", \"y\"}")
        #expect(GoFormat.goSyntax(nil as [String]?) == "[]string(nil)")
        let error = FieldError.invalid(.root("spec", "template", "metadata", "labels"),
                                       rendered: GoFormat.goSyntax(["app": "web"] as [String: String]?),
                                       "`selector` does not match template `labels`")
        #expect(error.message == "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`")
    }

    @Test(arguments: goQuoteCases)
    func goQuote(input: String, expected: String) {
        #expect(GoFormat.quote(input) == expected)
    }

    @Test(arguments: [
        (0.0, "0"), (1.0, "1"), (-2.5, "-2.5"), (0.1, "0.1"), (100000.0, "100000"), (1e6, "1e+06"),
        (1234567.0, "1.234567e+06"), (0.0001, "0.0001"), (0.00001, "1e-05"), (1e21, "1e+21"), (1e100, "1e+100"),
        (123.456, "123.456"), (-0.0, "-0"), (Double.leastNonzeroMagnitude, "5e-324"),
    ])
    func goFloat(value: Double, expected: String) {
        #expect(GoFormat.float(value) == expected)
    }
}

@Suite("422 messages")
struct ValidationAggregateTests {
    static let portError = FieldError.invalid(.root("spec").child("ports").index(0).child("port"), 0,
                                              "must be between 1 and 65535, inclusive")
    static let typeError = FieldError.notSupported(.root("spec", "type"), "Foo",
                                                   ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"])

    @Test func oneError() {
        #expect(invalidMessage(kind: "Service", name: "web", errors: [Self.portError])
                == "Service \"web\" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive")
    }

    @Test func severalErrorsAreBracketed() {
        #expect(invalidMessage(kind: "Service", name: "web", errors: [Self.portError, Self.typeError])
                == "Service \"web\" is invalid: [spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive, "
                + "spec.type: Unsupported value: \"Foo\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"]")
    }

    @Test func repeatsAreDropped() {
        #expect([Self.portError, Self.portError].aggregateMessage == Self.portError.message)
        #expect([Self.portError, Self.typeError, Self.portError].aggregateMessage
                == "[" + Self.portError.message + ", " + Self.typeError.message + "]")
    }

    @Test func groupQualifiesKindAndNameIsQuoted() {
        #expect(invalidMessage(kind: "Deployment", group: "apps", name: "we\"b", errors: [Self.portError])
                == "Deployment.apps \"we\\\"b\" is invalid: " + Self.portError.message)
        #expect(invalidMessage(kind: "Pod", name: "p", errors: []) == "Pod \"p\" is invalid")
    }

    @Test func status() {
        let status = Status.invalid(kind: "Deployment", group: "apps", name: "web", errors: [Self.portError, Self.typeError])
        #expect(status.code == 422)
        #expect(status.reason == "Invalid")
        #expect(status.status == "Failure")
        #expect(status.message == invalidMessage(kind: "Deployment", group: "apps", name: "web",
                                                 errors: [Self.portError, Self.typeError]))
        #expect(status.details?.group == "apps")
        #expect(status.details?.kind == "Deployment")
        #expect(status.details?.name == "web")
        #expect(status.details?.causes?.first?.reason == "FieldValueInvalid")
        #expect(status.details?.causes?.first?.field == "spec.ports[0].port")
        #expect(status.details?.causes?.first?.message == "Invalid value: 0: must be between 1 and 65535, inclusive")
        #expect(status.details?.causes?.count == 2)
        #expect(Status.invalid(kind: "Service", name: "web", errors: []).details?.group == nil)
    }
}
