/// The label selector string syntax (`?labelSelector=` and `kubectl -l`), parsed with the same lexer and
/// recursive-descent rules as kube's `labels.Parse` (Kubernetes 1.32) so that the same strings are accepted and
/// rejected with the same messages:
///
///     <selector>    ::= <requirement> | <requirement> "," <selector>
///     <requirement> ::= [!] KEY [ ("in" | "notin") "(" VALUES ")" | ("=" | "==" | "!=" | ">" | "<") VALUE ]
///
/// Whitespace separates tokens and is otherwise ignored; an empty value (`x=`, `x in ()`) is allowed.
extension LabelSelector {
    public static func parse(_ text: String) throws(SelectorError) -> LabelSelector {
        var parser = LabelParser(tokens: LabelLexer.scan(Array(text.utf8)))
        let requirements = try parser.parse()
        return LabelSelector(requirements: requirements)
    }
}

enum LabelToken: Equatable {
    case error, endOfString, closedPar, comma, doesNotExist, doubleEquals, equals, greaterThan
    case identifier, `in`, lessThan, notEquals, notIn, openPar

    /// Literal spellings of the fixed tokens (upstream's string2token).
    static func keyword(_ literal: [UInt8]) -> LabelToken? {
        switch String(decoding: literal, as: UTF8.self) {
        case ")": .closedPar
        case ",": .comma
        case "!": .doesNotExist
        case "==": .doubleEquals
        case "=": .equals
        case ">": .greaterThan
        case "in": .in
        case "<": .lessThan
        case "!=": .notEquals
        case "notin": .notIn
        case "(": .openPar
        default: nil
        }
    }
}

struct LabelLexer {
    private let s: [UInt8]
    private var pos = 0

    static func scan(_ s: [UInt8]) -> [(token: LabelToken, literal: String)] {
        var lexer = LabelLexer(s: s)
        var items: [(token: LabelToken, literal: String)] = []
        while true {
            let item = lexer.lex()
            items.append(item)
            if item.token == .endOfString { return items }
        }
    }

    private init(s: [UInt8]) {
        self.s = s
    }

    /// The next byte, or 0 at the end. As upstream, a NUL byte also reads as the end.
    private mutating func read() -> UInt8 {
        guard pos < s.count else { return 0 }
        pos += 1
        return s[pos - 1]
    }

    private mutating func unread() { pos -= 1 }

    private static func isWhitespace(_ b: UInt8) -> Bool {
        b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") || b == UInt8(ascii: "\r") || b == UInt8(ascii: "\n")
    }

    private static func isSpecial(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "="), UInt8(ascii: "!"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: ","),
            UInt8(ascii: ">"), UInt8(ascii: "<"):
            true
        default:
            false
        }
    }

    private mutating func lex() -> (token: LabelToken, literal: String) {
        var ch = read()
        while Self.isWhitespace(ch) { ch = read() }
        if ch == 0 { return (.endOfString, "") }
        unread()
        return Self.isSpecial(ch) ? scanSpecialSymbol() : scanIdentifierOrKeyword()
    }

    private mutating func scanIdentifierOrKeyword() -> (token: LabelToken, literal: String) {
        var buffer: [UInt8] = []
        while true {
            let ch = read()
            if ch == 0 { break }
            if Self.isSpecial(ch) || Self.isWhitespace(ch) {
                unread()
                break
            }
            buffer.append(ch)
        }
        let literal = String(decoding: buffer, as: UTF8.self)
        return (LabelToken.keyword(buffer) ?? .identifier, literal)
    }

    /// The longest run of special bytes that still spells an operator (`!=` rather than `!`, then `=`).
    private mutating func scanSpecialSymbol() -> (token: LabelToken, literal: String) {
        var buffer: [UInt8] = []
        var last: (token: LabelToken, literal: String)? = nil
        while true {
            let ch = read()
            if ch == 0 { break }
            if Self.isSpecial(ch) {
                buffer.append(ch)
                if let token = LabelToken.keyword(buffer) {
                    last = (token, String(decoding: buffer, as: UTF8.self))
                } else if last != nil {
                    unread()
                    break
                }
            } else {
                unread()
                break
            }
        }
        return last ?? (.error, "error expected: keyword found '" + String(decoding: buffer, as: UTF8.self) + "'")
    }
}

struct LabelParser {
    /// Whether `in`/`notin` are read as keywords (operator position) or as plain identifiers (anywhere else).
    enum Context { case keyAndOperator, values }

    private let tokens: [(token: LabelToken, literal: String)]
    private var position = 0

    init(tokens: [(token: LabelToken, literal: String)]) {
        self.tokens = tokens
    }

    private static let binaryOperators = "in, notin, =, ==, !=, gt, lt"

    private func item(_ at: Int, _ context: Context) -> (LabelToken, String) {
        guard at < tokens.count else { return (.endOfString, "") }
        let (token, literal) = tokens[at]
        if context == .values && (token == .in || token == .notIn) { return (.identifier, literal) }
        return (token, literal)
    }

    private func lookahead(_ context: Context) -> (LabelToken, String) { item(position, context) }

    private mutating func consume(_ context: Context) -> (LabelToken, String) {
        position += 1
        return item(position - 1, context)
    }

    mutating func parse() throws(SelectorError) -> [LabelSelector.Requirement] {
        var requirements: [LabelSelector.Requirement] = []
        while true {
            let (token, literal) = lookahead(.values)
            switch token {
            case .identifier, .doesNotExist:
                do {
                    requirements.append(try parseRequirement())
                } catch {
                    throw SelectorError("unable to parse requirement: " + error.message)
                }
                let (next, nextLiteral) = consume(.values)
                switch next {
                case .endOfString:
                    return requirements
                case .comma:
                    let (after, afterLiteral) = lookahead(.values)
                    if after != .identifier && after != .doesNotExist {
                        throw SelectorError("found '\(afterLiteral)', expected: identifier after ','")
                    }
                default:
                    throw SelectorError("found '\(nextLiteral)', expected: ',' or 'end of string'")
                }
            case .endOfString:
                return requirements
            default:
                throw SelectorError("found '\(literal)', expected: !, identifier, or 'end of string'")
            }
        }
    }

    private mutating func parseRequirement() throws(SelectorError) -> LabelSelector.Requirement {
        let (key, inferred) = try parseKeyAndInferOperator()
        if let inferred {
            return try LabelSelector.requirement(key: key, op: inferred, values: [], path: .none)
        }
        let op = try parseOperator()
        let values: [String]
        switch op {
        case .in, .notIn: values = try parseValues()
        default: values = try parseExactValue()
        }
        return try LabelSelector.requirement(key: key, op: op, values: values, path: .none)
    }

    /// A bare key means `exists`, `!key` means `doesNotExist`; otherwise an operator must follow (nil here).
    private mutating func parseKeyAndInferOperator() throws(SelectorError) -> (String, LabelOperator?) {
        var op: LabelOperator? = nil
        var (token, literal) = consume(.values)
        if token == .doesNotExist {
            op = .doesNotExist
            (token, literal) = consume(.values)
        }
        if token != .identifier {
            throw SelectorError("found '\(literal)', expected: identifier")
        }
        let problems = NameValidation.qualifiedName(literal)
        if !problems.isEmpty {
            throw SelectorError(FieldError.invalid(.none, .string(literal), problems.joined(separator: "; ")).message)
        }
        let (next, _) = lookahead(.values)
        if (next == .endOfString || next == .comma) && op == nil {
            op = .exists
        }
        return (literal, op)
    }

    private mutating func parseOperator() throws(SelectorError) -> LabelOperator {
        let (token, literal) = consume(.keyAndOperator)
        switch token {
        case .in: return .in
        case .equals: return .equals
        case .doubleEquals: return .doubleEquals
        case .greaterThan: return .gt
        case .lessThan: return .lt
        case .notIn: return .notIn
        case .notEquals: return .notEquals
        default: throw SelectorError("found '\(literal)', expected: \(Self.binaryOperators)")
        }
    }

    /// `(a,b,c)`; empty members (`(a,)`, `()`) stand for the empty value. Returned sorted and unique, as
    /// upstream's string set lists them (error paths index into that order).
    private mutating func parseValues() throws(SelectorError) -> [String] {
        let (open, openLiteral) = consume(.values)
        if open != .openPar {
            throw SelectorError("found '\(openLiteral)' expected: '('")
        }
        let (token, literal) = lookahead(.values)
        switch token {
        case .identifier, .comma:
            let values = try parseIdentifiersList()
            let (close, _) = consume(.values)
            if close != .closedPar {
                // Upstream quotes the first value here, not the offending token; kept for identical text.
                throw SelectorError("found '\(literal)', expected: ')'")
            }
            return values
        case .closedPar:
            _ = consume(.values)
            return [""]
        default:
            throw SelectorError("found '\(literal)', expected: ',', ')' or identifier")
        }
    }

    private mutating func parseIdentifiersList() throws(SelectorError) -> [String] {
        var values = Set<String>()
        while true {
            let (token, literal) = consume(.values)
            switch token {
            case .identifier:
                values.insert(literal)
                let (next, nextLiteral) = lookahead(.values)
                switch next {
                case .comma: continue
                case .closedPar: return values.sorted()
                default: throw SelectorError("found '\(nextLiteral)', expected: ',' or ')'")
                }
            case .comma:
                if values.isEmpty { values.insert("") }
                let (next, _) = lookahead(.values)
                if next == .closedPar {
                    values.insert("")
                    return values.sorted()
                }
                if next == .comma {
                    // Kubernetes 1.32 consumes the second comma here, so `(a,,b)` parses but `(,,)` does not;
                    // kept so the same strings are accepted.
                    _ = consume(.values)
                    values.insert("")
                }
            default:
                throw SelectorError("found '\(literal)', expected: ',', or identifier")
            }
        }
    }

    private mutating func parseExactValue() throws(SelectorError) -> [String] {
        let (next, _) = lookahead(.values)
        if next == .endOfString || next == .comma { return [""] }
        let (token, literal) = consume(.values)
        if token == .identifier { return [literal] }
        throw SelectorError("found '\(literal)', expected: identifier")
    }
}
