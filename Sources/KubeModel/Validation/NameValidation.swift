/// The string-format checks of `k8s.io/apimachinery/pkg/util/validation` (Kubernetes 1.32).
///
/// Each check returns the problems found, worded exactly as upstream, because kube-apiserver puts these texts into
/// the `detail` of its field errors and kubectl prints them. An empty result means the value is valid.
/// Lengths are counted in UTF-8 bytes, as Go's `len` counts them.
public enum NameValidation {
    public static let dns1123LabelMaxLength = 63
    public static let dns1123SubdomainMaxLength = 253
    public static let dns1035LabelMaxLength = 63
    public static let labelValueMaxLength = 63
    public static let qualifiedNameMaxLength = 63
    /// Annotations (keys plus values) may not exceed 256 KiB in total.
    public static let totalAnnotationSizeLimit = 256 * 1024

    // MARK: Message builders (upstream's MaxLenError, RegexError, EmptyError, InclusiveRangeError)

    public static func maxLenError(_ length: Int) -> String {
        "must be no more than \(length) characters"
    }

    /// Note upstream's quirk, kept on purpose: each example is followed by "', " so two examples read
    /// `(e.g. 'my-name',  or '123-abc', regex used ...` with a double space.
    public static func regexError(_ message: String, _ format: String, _ examples: String...) -> String {
        if examples.isEmpty { return message + " (regex used for validation is '" + format + "')" }
        var s = message + " (e.g. "
        for (i, example) in examples.enumerated() {
            if i > 0 { s += " or " }
            s += "'" + example + "', "
        }
        return s + "regex used for validation is '" + format + "')"
    }

    public static let emptyError = "must be non-empty"

    public static func inclusiveRangeError(_ lo: Int, _ hi: Int) -> String {
        "must be between \(lo) and \(hi), inclusive"
    }

    // MARK: Formats

    static let dns1123LabelFormat = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
    static let dns1123LabelMessage = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
    static let dns1123SubdomainFormat = dns1123LabelFormat + "(\\." + dns1123LabelFormat + ")*"
    static let dns1123SubdomainMessage = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
    static let dns1035LabelFormat = "[a-z]([-a-z0-9]*[a-z0-9])?"
    static let dns1035LabelMessage = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character"
    static let qualifiedNameFormat = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
    static let qualifiedNameMessage = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
    static let labelValueFormat = "(" + qualifiedNameFormat + ")?"
    static let labelValueMessage = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
    static let wildcardFormat = "\\*\\." + dns1123SubdomainFormat
    static let wildcardMessage = "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character"
    static let cIdentifierFormat = "[A-Za-z_][A-Za-z0-9_]*"
    static let cIdentifierMessage = "a valid C identifier must start with alphabetic character or '_', followed by a string of alphanumeric characters or '_'"
    static let configMapKeyFormat = "[-._a-zA-Z0-9]+"
    static let configMapKeyMessage = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"
    static let envVarNameFormat = "[-._a-zA-Z][-._a-zA-Z0-9]*"
    static let envVarNameMessage = "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit"

    // MARK: Checks

    /// An RFC 1123 label: namespace names, and the names of most resources that become DNS labels.
    public static func dns1123Label(_ s: String) -> [String] {
        var errs: [String] = []
        if s.utf8.count > dns1123LabelMaxLength { errs.append(maxLenError(dns1123LabelMaxLength)) }
        if !NameSyntax.isDNS1123Label(s.utf8) {
            if NameSyntax.isDNS1123Subdomain(s.utf8) {
                // A valid subdomain that is not a valid label can only differ by its dots.
                errs.append("must not contain dots")
            } else {
                errs.append(regexError(dns1123LabelMessage, dns1123LabelFormat, "my-name", "123-abc"))
            }
        }
        return errs
    }

    /// An RFC 1123 subdomain: the name format of most resources (ConfigMaps, Deployments, Pods...).
    public static func dns1123Subdomain(_ s: String) -> [String] {
        var errs: [String] = []
        if s.utf8.count > dns1123SubdomainMaxLength { errs.append(maxLenError(dns1123SubdomainMaxLength)) }
        if !NameSyntax.isDNS1123Subdomain(s.utf8) {
            errs.append(regexError(dns1123SubdomainMessage, dns1123SubdomainFormat, "example.com"))
        }
        return errs
    }

    /// An RFC 1035 label: Service names and port-less DNS names, which must start with a letter.
    public static func dns1035Label(_ s: String) -> [String] {
        var errs: [String] = []
        if s.utf8.count > dns1035LabelMaxLength { errs.append(maxLenError(dns1035LabelMaxLength)) }
        if !NameSyntax.isDNS1035Label(s.utf8) {
            errs.append(regexError(dns1035LabelMessage, dns1035LabelFormat, "my-name", "abc-123"))
        }
        return errs
    }

    /// A "qualified name": label and annotation keys, finalizers — an optional DNS-subdomain prefix and '/', then
    /// a name of at most 63 characters.
    public static func qualifiedName(_ s: String) -> [String] {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        var errs: [String] = []
        let name: Substring
        switch parts.count {
        case 1:
            name = parts[0]
        case 2:
            let prefix = parts[0]
            name = parts[1]
            if prefix.isEmpty {
                errs.append("prefix part " + emptyError)
            } else {
                errs += dns1123Subdomain(String(prefix)).map { "prefix part " + $0 }
            }
        default:
            return ["a qualified name "
                + regexError(qualifiedNameMessage, qualifiedNameFormat, "MyName", "my.name", "123-abc")
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
        }
        if name.isEmpty {
            errs.append("name part " + emptyError)
        } else if name.utf8.count > qualifiedNameMaxLength {
            errs.append("name part " + maxLenError(qualifiedNameMaxLength))
        }
        if !NameSyntax.isQualifiedNamePart(name.utf8) {
            errs.append("name part " + regexError(qualifiedNameMessage, qualifiedNameFormat, "MyName", "my.name", "123-abc"))
        }
        return errs
    }

    /// A label value: empty, or up to 63 characters of the qualified-name alphabet.
    public static func labelValue(_ s: String) -> [String] {
        var errs: [String] = []
        if s.utf8.count > labelValueMaxLength { errs.append(maxLenError(labelValueMaxLength)) }
        if !s.isEmpty && !NameSyntax.isQualifiedNamePart(s.utf8) {
            errs.append(regexError(labelValueMessage, labelValueFormat, "MyValue", "my_value", "12345"))
        }
        return errs
    }

    /// An IANA_SVC_NAME (RFC 6335) as port names must be, restricted to lower case as kube restricts it.
    public static func portName(_ s: String) -> [String] {
        var errs: [String] = []
        let bytes = s.utf8
        if bytes.count > 15 { errs.append(maxLenError(15)) }
        if bytes.isEmpty || !bytes.allSatisfy({ NameSyntax.isLowerAlnum($0) || $0 == UInt8(ascii: "-") }) {
            errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
        }
        if !bytes.contains(where: NameSyntax.isLowerLetter) {
            errs.append("must contain at least one letter (a-z)")
        }
        if s.contains("--") { errs.append("must not contain consecutive hyphens") }
        if let first = bytes.first, let last = bytes.last, first == UInt8(ascii: "-") || last == UInt8(ascii: "-") {
            errs.append("must not begin or end with a hyphen")
        }
        return errs
    }

    /// A non-zero TCP/UDP port number.
    public static func portNumber(_ port: Int64) -> [String] {
        (1...65535).contains(port) ? [] : [inclusiveRangeError(1, 65535)]
    }

    public static func inRange(_ value: Int64, _ lo: Int, _ hi: Int) -> [String] {
        (Int64(lo)...Int64(hi)).contains(value) ? [] : [inclusiveRangeError(lo, hi)]
    }

    /// A wildcard subdomain such as `*.example.com` (Ingress hosts).
    public static func wildcardDNS1123Subdomain(_ s: String) -> [String] {
        var errs: [String] = []
        if s.utf8.count > dns1123SubdomainMaxLength { errs.append(maxLenError(dns1123SubdomainMaxLength)) }
        let bytes = Array(s.utf8)
        let valid = bytes.count > 2 && bytes[0] == UInt8(ascii: "*") && bytes[1] == UInt8(ascii: ".")
            && NameSyntax.isDNS1123Subdomain(bytes[2...])
        if !valid { errs.append(regexError(wildcardMessage, wildcardFormat, "*.example.com")) }
        return errs
    }

    /// A C identifier (length not checked), as some API fields require.
    public static func cIdentifier(_ s: String) -> [String] {
        let bytes = s.utf8
        let valid = bytes.first.map { NameSyntax.isLetter($0) || $0 == UInt8(ascii: "_") } ?? false
            && bytes.allSatisfy { NameSyntax.isAlnum($0) || $0 == UInt8(ascii: "_") }
        return valid ? [] : [regexError(cIdentifierMessage, cIdentifierFormat, "my_name", "MY_NAME", "MyName")]
    }

    /// A ConfigMap or Secret data key.
    public static func configMapKey(_ s: String) -> [String] {
        var errs: [String] = []
        let bytes = s.utf8
        if bytes.count > dns1123SubdomainMaxLength { errs.append(maxLenError(dns1123SubdomainMaxLength)) }
        if bytes.isEmpty || !bytes.allSatisfy(NameSyntax.isConfigKeyByte) {
            errs.append(regexError(configMapKeyMessage, configMapKeyFormat, "key.name", "KEY_NAME", "key-name"))
        }
        return errs + chdirPrefixErrors(s)
    }

    /// A container environment variable name under the classic (non-relaxed) rules.
    public static func envVarName(_ s: String) -> [String] {
        var errs: [String] = []
        let bytes = s.utf8
        let valid = bytes.first.map { NameSyntax.isConfigKeyByte($0) && !NameSyntax.isDigit($0) } ?? false
            && bytes.allSatisfy(NameSyntax.isConfigKeyByte)
        if !valid {
            errs.append(regexError(envVarNameMessage, envVarNameFormat, "my.env-name", "MY_ENV.NAME", "MyEnvName1"))
        }
        return errs + chdirPrefixErrors(s)
    }

    private static func chdirPrefixErrors(_ s: String) -> [String] {
        if s == "." { return ["must not be '.'"] }
        if s == ".." { return ["must not be '..'"] }
        if s.hasPrefix("..") { return ["must not start with '..'"] }
        return []
    }

    // MARK: Object names (ValidateNameFunc upstream)

    /// How an object's name must look; `prefix` is true when checking a `generateName`, which may end in '-'.
    public typealias NameCheck = @Sendable (_ name: String, _ prefix: Bool) -> [String]

    public static let nameIsDNSSubdomain: NameCheck = { name, prefix in
        dns1123Subdomain(prefix ? maskTrailingDash(name) : name)
    }
    public static let nameIsDNSLabel: NameCheck = { name, prefix in
        dns1123Label(prefix ? maskTrailingDash(name) : name)
    }
    public static let nameIsDNS1035Label: NameCheck = { name, prefix in
        dns1035Label(prefix ? maskTrailingDash(name) : name)
    }

    /// Makes a `generateName` ending in '-' checkable as a name. Upstream replaces the last *two* characters with
    /// "a" (`my-app-` is checked as `my-apa`); the quirk is kept so exactly the same prefixes pass.
    static func maskTrailingDash(_ name: String) -> String {
        let bytes = Array(name.utf8)
        guard bytes.count > 1, bytes.last == UInt8(ascii: "-") else { return name }
        return String(decoding: bytes.dropLast(2), as: UTF8.self) + "a"
    }

    /// `metadata.name` / `metadata.generateName` checks of ValidateObjectMeta, with their exact messages.
    public static func validateObjectName(name: String, generateName: String, check: NameCheck,
                                          path: FieldPath) -> FieldErrors {
        var errs: FieldErrors = []
        if !generateName.isEmpty {
            for msg in check(generateName, true) {
                errs.append(.invalid(path.child("generateName"), .string(generateName), msg))
            }
        }
        if name.isEmpty {
            errs.append(.required(path.child("name"), "name or generateName is required"))
        } else {
            for msg in check(name, false) { errs.append(.invalid(path.child("name"), .string(name), msg)) }
        }
        return errs
    }

    // MARK: Maps

    /// Labels as ValidateLabels checks them. Errors are reported at `path` itself (`metadata.labels`), not at the
    /// key, exactly as upstream does; keys are visited in sorted order so the output is deterministic.
    public static func validateLabels(_ labels: [String: String], path: FieldPath) -> FieldErrors {
        var errs: FieldErrors = []
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) {
            for msg in qualifiedName(key) { errs.append(.invalid(path, .string(key), msg)) }
            for msg in labelValue(value) { errs.append(.invalid(path, .string(value), msg)) }
        }
        return errs
    }

    /// Annotations as ValidateAnnotations checks them: keys are qualified names compared case-insensitively
    /// (the original key is reported), and keys plus values may not exceed 256 KiB in total.
    public static func validateAnnotations(_ annotations: [String: String], path: FieldPath) -> FieldErrors {
        var errs: FieldErrors = []
        var total = 0
        for (key, value) in annotations.sorted(by: { $0.key < $1.key }) {
            for msg in qualifiedName(key.lowercased()) { errs.append(.invalid(path, .string(key), msg)) }
            total += key.utf8.count + value.utf8.count
        }
        if total > totalAnnotationSizeLimit {
            errs.append(.tooLong(path, maxLength: totalAnnotationSizeLimit))
        }
        return errs
    }

    /// Finalizer names are qualified names.
    public static func validateFinalizerName(_ name: String, path: FieldPath) -> FieldErrors {
        qualifiedName(name).map { .invalid(path, .string(name), $0) }
    }
}

/// Hand-written matchers for the regular expressions upstream uses; they work on UTF-8 bytes, so any non-ASCII
/// byte fails them just as it fails Go's ASCII character classes.
enum NameSyntax {
    static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
    static func isLowerLetter(_ b: UInt8) -> Bool { b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z") }
    static func isUpperLetter(_ b: UInt8) -> Bool { b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") }
    static func isLetter(_ b: UInt8) -> Bool { isLowerLetter(b) || isUpperLetter(b) }
    static func isLowerAlnum(_ b: UInt8) -> Bool { isLowerLetter(b) || isDigit(b) }
    static func isAlnum(_ b: UInt8) -> Bool { isLetter(b) || isDigit(b) }
    static func isConfigKeyByte(_ b: UInt8) -> Bool {
        isAlnum(b) || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") || b == UInt8(ascii: "_")
    }

    /// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`
    static func isDNS1123Label<C: BidirectionalCollection<UInt8>>(_ s: C) -> Bool {
        guard let first = s.first, let last = s.last, isLowerAlnum(first), isLowerAlnum(last) else { return false }
        return s.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "-") }
    }

    /// Dot-separated RFC 1123 labels.
    static func isDNS1123Subdomain<C: BidirectionalCollection<UInt8>>(_ s: C) -> Bool {
        s.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).allSatisfy { isDNS1123Label($0) }
    }

    /// `[a-z]([-a-z0-9]*[a-z0-9])?`
    static func isDNS1035Label<C: BidirectionalCollection<UInt8>>(_ s: C) -> Bool {
        guard let first = s.first, isLowerLetter(first) else { return false }
        return isDNS1123Label(s)
    }

    /// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`
    static func isQualifiedNamePart<C: BidirectionalCollection<UInt8>>(_ s: C) -> Bool {
        guard let first = s.first, let last = s.last, isAlnum(first), isAlnum(last) else { return false }
        return s.allSatisfy(isConfigKeyByte)
    }
}
