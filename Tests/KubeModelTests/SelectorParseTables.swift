// Expected values in these tables were produced by running the upstream Go code (k8s.io/apimachinery v0.32.0:
// labels.Parse, fields.ParseSelector) on each input, so they pin Junction to kube's exact behaviour and wording.
import Testing
@testable import KubeModel

struct LabelParseCase: Sendable, CustomTestStringConvertible {
    var input: String
    /// The canonical string when parsing succeeds.
    var canonical: String?
    /// kube's error message when parsing fails.
    var error: String?
    var labels: [String: String]? = nil
    var matches: Bool? = nil
    var testDescription: String { input.debugDescription }
}

struct FieldParseCase: Sendable, CustomTestStringConvertible {
    var input: String
    var canonical: String?
    var error: String?
    var isEmpty: Bool? = nil
    var fields: [String: String]? = nil
    var matches: Bool? = nil
    var testDescription: String { input.debugDescription }
}

let labelParseCases: [LabelParseCase] = [
    LabelParseCase(input: "", canonical: "", error: nil, labels: ["x": "y"], matches: true),
    LabelParseCase(input: "x=a,y=b,z=c", canonical: "x=a,y=b,z=c", error: nil, labels: ["x": "a", "y": "b", "z": "c"], matches: true),
    LabelParseCase(input: "x!=a,y=b", canonical: "x!=a,y=b", error: nil, labels: ["y": "b"], matches: true),
    LabelParseCase(input: "x=", canonical: "x=", error: nil, labels: ["x": ""], matches: true),
    LabelParseCase(input: "x= ", canonical: "x=", error: nil, labels: [:], matches: false),
    LabelParseCase(input: "x=,z= ", canonical: "x=,z=", error: nil, labels: ["x": "", "z": ""], matches: true),
    LabelParseCase(input: "x= ,z= ", canonical: "x=,z=", error: nil),
    LabelParseCase(input: "!x", canonical: "!x", error: nil, labels: ["y": "z"], matches: true),
    LabelParseCase(input: "!x", canonical: "!x", error: nil, labels: ["x": "z"], matches: false),
    LabelParseCase(input: "x>1", canonical: "x>1", error: nil, labels: ["x": "2"], matches: true),
    LabelParseCase(input: "x>1", canonical: "x>1", error: nil, labels: ["x": "1"], matches: false),
    LabelParseCase(input: "x>1", canonical: "x>1", error: nil, labels: ["x": "abc"], matches: false),
    LabelParseCase(input: "x<1", canonical: "x<1", error: nil, labels: ["x": "0"], matches: true),
    LabelParseCase(input: "x<1", canonical: "x<1", error: nil, labels: ["x": "-5"], matches: true),
    LabelParseCase(input: "x>1,z<5", canonical: "x>1,z<5", error: nil),
    LabelParseCase(input: "x=a||y=b", canonical: nil, error: "unable to parse requirement: values[0][x]: Invalid value: \"a||y\": " + UpstreamText.labelValueFormat),
    LabelParseCase(input: "x==a==b", canonical: nil, error: "found '==', expected: ',' or 'end of string'"),
    LabelParseCase(input: "!x=a", canonical: nil, error: "found '=', expected: ',' or 'end of string'"),
    LabelParseCase(input: "x<a", canonical: nil, error: "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer"),
    LabelParseCase(input: "x>-1", canonical: nil, error: "unable to parse requirement: values[0][x]: Invalid value: \"-1\": " + UpstreamText.labelValueFormat),
    LabelParseCase(input: "x>-a", canonical: nil, error: "unable to parse requirement: [values[0]: Invalid value: \"-a\": for 'Gt', 'Lt' operators, the value must be an integer, values[0][x]: Invalid value: \"-a\": " + UpstreamText.labelValueFormat + "]"),
    LabelParseCase(input: "x in (a,b)", canonical: "x in (a,b)", error: nil, labels: ["x": "b"], matches: true),
    LabelParseCase(input: "x in (a,b)", canonical: "x in (a,b)", error: nil, labels: [:], matches: false),
    LabelParseCase(input: "x notin (a,b)", canonical: "x notin (a,b)", error: nil, labels: [:], matches: true),
    LabelParseCase(input: "x notin (a,b)", canonical: "x notin (a,b)", error: nil, labels: ["x": "a"], matches: false),
    LabelParseCase(input: "x notin (a,b)", canonical: "x notin (a,b)", error: nil, labels: ["x": "c"], matches: true),
    LabelParseCase(input: "x in ()", canonical: "x in ()", error: nil, labels: ["x": ""], matches: true),
    LabelParseCase(input: "x in (,)", canonical: "x in ()", error: nil),
    LabelParseCase(input: "x in (a,)", canonical: "x in (,a)", error: nil),
    LabelParseCase(input: "x in (,a)", canonical: "x in (,a)", error: nil),
    LabelParseCase(input: "x in (a,,b)", canonical: "x in (,a,b)", error: nil),
    LabelParseCase(input: "x in (,,)", canonical: nil, error: "unable to parse requirement: found ')', expected: ',', or identifier"),
    LabelParseCase(input: "x in (a", canonical: nil, error: "unable to parse requirement: found '', expected: ',' or ')'"),
    LabelParseCase(input: "x in a", canonical: nil, error: "unable to parse requirement: found 'a' expected: '('"),
    LabelParseCase(input: "x in", canonical: nil, error: "unable to parse requirement: found '' expected: '('"),
    LabelParseCase(input: "x in (a b)", canonical: nil, error: "unable to parse requirement: found 'b', expected: ',' or ')'"),
    LabelParseCase(input: "x in (b,a,c),a=1", canonical: "a=1,x in (a,b,c)", error: nil),
    LabelParseCase(input: "  app = web ,  tier in ( a , b )  ", canonical: "app=web,tier in (a,b)", error: nil, labels: ["app": "web", "tier": "a"], matches: true),
    LabelParseCase(input: "app==web", canonical: "app=web", error: nil, labels: ["app": "web"], matches: true),  // kube prints `==` back as written; Junction folds it into `=`
    LabelParseCase(input: "in=notin", canonical: "in=notin", error: nil, labels: ["in": "notin"], matches: true),
    LabelParseCase(input: "notin in (in,notin)", canonical: "notin in (in,notin)", error: nil, labels: ["notin": "in"], matches: true),
    LabelParseCase(input: "x,", canonical: nil, error: "found '', expected: identifier after ','"),
    LabelParseCase(input: ",x", canonical: nil, error: "found ',', expected: !, identifier, or 'end of string'"),
    LabelParseCase(input: "x,,y", canonical: nil, error: "found ',', expected: identifier after ','"),
    LabelParseCase(input: "x y", canonical: nil, error: "unable to parse requirement: found 'y', expected: in, notin, =, ==, !=, gt, lt"),
    LabelParseCase(input: "=x", canonical: nil, error: "found '=', expected: !, identifier, or 'end of string'"),
    LabelParseCase(input: "x=(", canonical: nil, error: "unable to parse requirement: found '(', expected: identifier"),
    LabelParseCase(input: "x=a b", canonical: nil, error: "found 'b', expected: ',' or 'end of string'"),
    LabelParseCase(input: "x!", canonical: nil, error: "unable to parse requirement: found '!', expected: in, notin, =, ==, !=, gt, lt"),
    LabelParseCase(input: "x!!", canonical: nil, error: "unable to parse requirement: found '!', expected: in, notin, =, ==, !=, gt, lt"),
    LabelParseCase(input: "x=>", canonical: nil, error: "unable to parse requirement: found '>', expected: identifier"),
    LabelParseCase(input: "x<=1", canonical: nil, error: "unable to parse requirement: found '=', expected: identifier"),
    LabelParseCase(input: "!", canonical: nil, error: "unable to parse requirement: found '', expected: identifier"),
    LabelParseCase(input: "!!x", canonical: nil, error: "unable to parse requirement: found '!', expected: identifier"),
    LabelParseCase(input: "A/b/c", canonical: nil, error: "unable to parse requirement: <nil>: Invalid value: \"A/b/c\": " + UpstreamText.qualifiedNameFormat),
    LabelParseCase(input: "a/b/c=d", canonical: nil, error: "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": " + UpstreamText.qualifiedNameFormat),
    LabelParseCase(input: "kubernetes.io/service-name=web", canonical: "kubernetes.io/service-name=web", error: nil, labels: ["kubernetes.io/service-name": "web"], matches: true),
    LabelParseCase(input: "Example.com/x", canonical: nil, error: "unable to parse requirement: <nil>: Invalid value: \"Example.com/x\": prefix part " + UpstreamText.subdomainFormat),
    LabelParseCase(input: "/x", canonical: nil, error: "unable to parse requirement: <nil>: Invalid value: \"/x\": prefix part must be non-empty"),
    LabelParseCase(input: "x/", canonical: nil, error: "unable to parse requirement: <nil>: Invalid value: \"x/\": name part must be non-empty; " + UpstreamText.namePartFormat),
    LabelParseCase(input: "-x=a", canonical: nil, error: "unable to parse requirement: <nil>: Invalid value: \"-x\": " + UpstreamText.namePartFormat),
    LabelParseCase(input: "x=-a", canonical: nil, error: "unable to parse requirement: values[0][x]: Invalid value: \"-a\": " + UpstreamText.labelValueFormat),
    LabelParseCase(input: "x in (-a,b)", canonical: nil, error: "unable to parse requirement: values[0][x]: Invalid value: \"-a\": " + UpstreamText.labelValueFormat),
    LabelParseCase(input: "x in (b,-a)", canonical: nil, error: "unable to parse requirement: values[0][x]: Invalid value: \"-a\": " + UpstreamText.labelValueFormat),
    LabelParseCase(input: "x=" + String(repeating: "a", count: 64), canonical: nil, error: "unable to parse requirement: values[0][x]: Invalid value: \"" + String(repeating: "a", count: 64) + "\": must be no more than 63 characters"),
    LabelParseCase(input: "x=" + String(repeating: "a", count: 63), canonical: "x=" + String(repeating: "a", count: 63), error: nil),
    LabelParseCase(input: String(repeating: "a", count: 64), canonical: nil, error: "unable to parse requirement: <nil>: Invalid value: \"" + String(repeating: "a", count: 64) + "\": name part must be no more than 63 characters"),
    LabelParseCase(input: "x=a,x=b", canonical: "x=a,x=b", error: nil, labels: ["x": "a"], matches: false),
    LabelParseCase(input: "b=1,a=2,b!=3", canonical: "a=2,b=1,b!=3", error: nil),
    LabelParseCase(input: "x\t=\ta", canonical: "x=a", error: nil, labels: ["x": "a"], matches: true),
    LabelParseCase(input: "x=a\nb", canonical: nil, error: "found 'b', expected: ',' or 'end of string'"),
    LabelParseCase(input: "\u{e9}=1", canonical: nil, error: "unable to parse requirement: <nil>: Invalid value: \"\u{e9}\": " + UpstreamText.namePartFormat),
    LabelParseCase(input: "x=\u{e9}", canonical: nil, error: "unable to parse requirement: values[0][x]: Invalid value: \"\u{e9}\": " + UpstreamText.labelValueFormat),
    LabelParseCase(input: "x>99999999999999999999", canonical: nil, error: "unable to parse requirement: values[0]: Invalid value: \"99999999999999999999\": for 'Gt', 'Lt' operators, the value must be an integer"),
    LabelParseCase(input: "x>0x10", canonical: nil, error: "unable to parse requirement: values[0]: Invalid value: \"0x10\": for 'Gt', 'Lt' operators, the value must be an integer"),
    LabelParseCase(input: "x in (a,b", canonical: nil, error: "unable to parse requirement: found '', expected: ',' or ')'"),
    LabelParseCase(input: "x in (a,b)(", canonical: nil, error: "found '(', expected: ',' or 'end of string'"),
    LabelParseCase(input: "x in ((a)", canonical: nil, error: "unable to parse requirement: found '(', expected: ',', ')' or identifier"),
    LabelParseCase(input: "x notin ()", canonical: "x notin ()", error: nil, labels: [:], matches: true),
    LabelParseCase(input: "x in )", canonical: nil, error: "unable to parse requirement: found ')' expected: '('"),
    LabelParseCase(input: "(", canonical: nil, error: "found '(', expected: !, identifier, or 'end of string'"),
    LabelParseCase(input: ")", canonical: nil, error: "found ')', expected: !, identifier, or 'end of string'"),
    LabelParseCase(input: "x,!y,z in (1),w notin (2),v!=3,u==4,t>5,s<6", canonical: "s<6,t>5,u=4,v!=3,w notin (2),x,!y,z in (1)", error: nil),  // kube prints `==` back as written; Junction folds it into `=`
]

let fieldParseCases: [FieldParseCase] = [
    FieldParseCase(input: "", canonical: "", error: nil, isEmpty: true, fields: ["metadata.name": "web"], matches: true),
    FieldParseCase(input: "metadata.name=web", canonical: "metadata.name=web", error: nil, isEmpty: false, fields: ["metadata.name": "web"], matches: true),
    FieldParseCase(input: "metadata.name=web", canonical: "metadata.name=web", error: nil, isEmpty: false, fields: ["metadata.name": "db"], matches: false),
    FieldParseCase(input: "metadata.name==web", canonical: "metadata.name=web", error: nil, isEmpty: false, fields: ["metadata.name": "web"], matches: true),
    FieldParseCase(input: "spec.nodeName!=n1", canonical: "spec.nodeName!=n1", error: nil, isEmpty: false, fields: ["spec.nodeName": "n2"], matches: true),
    FieldParseCase(input: "spec.nodeName!=n1", canonical: "spec.nodeName!=n1", error: nil, isEmpty: false, fields: [:], matches: true),
    FieldParseCase(input: "spec.nodeName=", canonical: "spec.nodeName=", error: nil, isEmpty: false, fields: [:], matches: true),
    FieldParseCase(input: "spec.nodeName=", canonical: "spec.nodeName=", error: nil, isEmpty: false, fields: ["spec.nodeName": "n1"], matches: false),
    FieldParseCase(input: "metadata.name=web,spec.nodeName!=n1", canonical: "metadata.name=web,spec.nodeName!=n1", error: nil, isEmpty: false, fields: ["metadata.name": "web", "spec.nodeName": "n1"], matches: false),
    FieldParseCase(input: "spec.nodeName!=n1,metadata.name=web", canonical: "metadata.name=web,spec.nodeName!=n1", error: nil, isEmpty: false),
    FieldParseCase(input: "a=b=c", canonical: nil, error: "invalid field selector: unescaped character in value: 61"),
    FieldParseCase(input: "a=b\\=c", canonical: "a=b\\=c", error: nil, isEmpty: false, fields: ["a": "b=c"], matches: true),
    FieldParseCase(input: "a=b\\,c,d=e", canonical: "a=b\\,c,d=e", error: nil, isEmpty: false, fields: ["a": "b,c", "d": "e"], matches: true),
    FieldParseCase(input: "a=b\\\\c", canonical: "a=b\\\\c", error: nil, isEmpty: false, fields: ["a": "b\\c"], matches: true),
    FieldParseCase(input: "a=b\\c", canonical: nil, error: "invalid field selector: invalid escape sequence: \\c"),
    FieldParseCase(input: "a=b\\", canonical: nil, error: "invalid field selector: invalid escape sequence: \\"),
    FieldParseCase(input: "abc", canonical: nil, error: "invalid selector: 'abc'; can't understand 'abc'"),
    FieldParseCase(input: "a=b,,c=d", canonical: "a=b,c=d", error: nil, isEmpty: false),
    FieldParseCase(input: ",", canonical: "", error: nil, isEmpty: true),
    FieldParseCase(input: "=", canonical: "", error: nil, isEmpty: true),
    FieldParseCase(input: "=,a=b", canonical: "a=b", error: nil, isEmpty: false),
    FieldParseCase(input: "=x", canonical: "=x", error: nil, isEmpty: false),
    FieldParseCase(input: "x=", canonical: "x=", error: nil, isEmpty: false),
    FieldParseCase(input: " metadata.name = web ", canonical: " metadata.name = web ", error: nil, isEmpty: false, fields: [" metadata.name ": " web"], matches: false),
    FieldParseCase(input: "a!==b", canonical: nil, error: "invalid field selector: unescaped character in value: 61"),
    FieldParseCase(input: "a==", canonical: "a=", error: nil, isEmpty: false),
    FieldParseCase(input: "a!=", canonical: "a!=", error: nil, isEmpty: false),
    FieldParseCase(input: "a=!b", canonical: "a=!b", error: nil, isEmpty: false, fields: ["a": "!b"], matches: true),
    FieldParseCase(input: "status.phase=Running,status.phase!=Failed", canonical: "status.phase!=Failed,status.phase=Running", error: nil, isEmpty: false),
    FieldParseCase(input: "z=1,a=2,m!=3", canonical: "a=2,m!=3,z=1", error: nil, isEmpty: false),
    FieldParseCase(input: "a=b,c", canonical: nil, error: "invalid selector: 'a=b,c'; can't understand 'c'"),
]

/// Upstream texts that recur in the tables below.
enum UpstreamText {
    static let labelValueFormat = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
    static let qualifiedNameFormat = "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
    static let namePartFormat = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
    static let subdomainFormat = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    static let label1123Format = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
    static let label1035Format = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
}
