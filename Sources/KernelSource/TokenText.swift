/// Turning tokens back into readable C text for reports, and small token-matching helpers.
public enum TokenText {
    /// The longest text `join` returns; longer texts are cut and end with `…`.
    public static let maximumLength = 200

    /// Joins tokens into C text with conventional spacing: `!folio_trylock(src)`,
    /// `mode == MIGRATE_ASYNC`, `mapping->a_ops->migrate_folio`, `&folio->lru`.
    public static func join<C: Collection>(_ tokens: C, limit: Int = maximumLength) -> String where C.Element == CToken {
        var out = ""
        var length = 0  // in characters, kept as we go: String.count is linear
        var previous: CToken?
        var previousWasUnary = false
        for token in tokens {
            if let p = previous, needsSpace(between: p, and: token, previousWasUnary: previousWasUnary) {
                out += " "
                length += 1
            }
            let unary = isUnaryContext(token, after: previous, previousWasUnary: previousWasUnary)
            out += token.text
            length += token.text.utf8.count  // bytes: O(1), and only the bound needs it
            previousWasUnary = unary
            previous = token
            if length > limit {
                return String(out.prefix(limit)) + "…"
            }
        }
        return out
    }

    /// A punctuator's bytes packed in an integer (they are at most three), for cheap comparisons.
    @inline(__always)
    static func code(_ s: String) -> UInt32 {
        var k: UInt32 = 0
        var count = 0
        for b in s.utf8 {
            count += 1
            if count > 3 { return 0 }
            k = k << 8 | UInt32(b)
        }
        return k
    }

    private static let noSpaceAfter: Set<UInt32> = Set(["(", "[", "!", "~", ".", "->", "++", "--"].map(code))
    private static let noSpaceBefore: Set<UInt32> = Set([")", "]", ",", ";", ".", "->", "++", "--"].map(code))
    private static let prefixOperators: Set<UInt32> = Set(["*", "&", "-", "+", "!", "~"].map(code))
    private static let closers: Set<UInt32> = Set([")", "]", "++", "--"].map(code))
    private static let open = code("("), openBracket = code("["), close = code(")"), closeBracket = code("]")

    /// Whether `token` is a prefix operator here (`*p`, `&x`, `-1`, `!x`).
    private static func isUnaryContext(_ token: CToken, after previous: CToken?, previousWasUnary: Bool) -> Bool {
        guard token.kind == .punctuator, prefixOperators.contains(code(token.text)) else { return false }
        guard let p = previous else { return true }
        if p.kind == .punctuator { return !closers.contains(code(p.text)) }
        return p.kind == .identifier && (p.text == "return" || p.text == "sizeof" || p.text == "case")
    }

    private static func needsSpace(between a: CToken, and b: CToken, previousWasUnary: Bool) -> Bool {
        let ca = a.kind == .punctuator ? code(a.text) : 0
        if a.kind == .punctuator {
            if noSpaceAfter.contains(ca) { return false }
            if previousWasUnary { return false }
        }
        if b.kind == .punctuator {
            let cb = code(b.text)
            if noSpaceBefore.contains(cb) { return false }
            // A call or an index: `f(x)`, `a[i]`, `(*fn)(x)`.
            if cb == open || cb == openBracket {
                if a.kind == .identifier { return isControlKeyword(a.text) }
                return !(a.kind == .punctuator && (ca == close || ca == closeBracket))
            }
        }
        return true
    }

    /// Keywords followed by a parenthesised expression that read better with a space.
    static func isControlKeyword(_ s: String) -> Bool {
        s == "if" || s == "while" || s == "for" || s == "switch" || s == "return" || s == "case"
    }

    /// Negates a condition's text for "this holds below" reports: `a == b` gives `a != b`, `!x`
    /// gives `x`, a single comparison is flipped (`<` gives `>=`), anything else gives `!(…)`.
    public static func negate(_ tokens: [CToken]) -> String {
        guard !tokens.isEmpty else { return "!()" }
        // `!x`, `!f(x)`, `!(x)`: drop the `!` when it applies to the whole expression.
        if tokens[0].isPunctuator("!"), coversRest(tokens, from: 1) {
            var rest = Array(tokens.dropFirst())
            if rest.first?.isPunctuator("(") == true, matchingClose(rest, from: 0) == rest.count - 1 {
                rest = Array(rest.dropFirst().dropLast())
            }
            return join(rest)
        }
        // One comparison at the top level and no other operator of lower precedence.
        var depth = 0
        var comparison: Int?
        let flips = ["==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">"]
        for (k, t) in tokens.enumerated() where t.kind == .punctuator {
            switch t.text {
            case "(", "[": depth += 1
            case ")", "]": depth -= 1
            case "&&", "||", "?", ":", "=", ",", "&", "|", "^":
                if depth == 0 { return "!(" + join(tokens) + ")" }
            default:
                if depth == 0, flips[t.text] != nil {
                    if comparison != nil { return "!(" + join(tokens) + ")" }
                    comparison = k
                }
            }
        }
        if let k = comparison, let flipped = flips[tokens[k].text] {
            var copy = tokens
            let t = tokens[k]
            copy[k] = CToken(kind: .punctuator, text: flipped, line: t.line, column: t.column)
            return join(copy)
        }
        return "!" + (tokens.count == 1 || isSinglePrimary(tokens) ? join(tokens) : "(" + join(tokens) + ")")
    }

    /// Whether tokens[from...] is one primary expression: a name with member accesses and calls,
    /// or a parenthesised group.
    private static func coversRest(_ tokens: [CToken], from: Int) -> Bool {
        isSinglePrimary(Array(tokens[from...]))
    }

    private static func isSinglePrimary(_ tokens: [CToken]) -> Bool {
        var k = 0
        guard !tokens.isEmpty else { return false }
        if tokens[0].isPunctuator("(") {
            guard let close = matchingClose(tokens, from: 0) else { return false }
            k = close + 1
        } else if tokens[0].kind == .identifier || tokens[0].kind == .number {
            k = 1
        } else {
            return false
        }
        while k < tokens.count {
            let t = tokens[k]
            if t.isPunctuator("(") || t.isPunctuator("[") {
                guard let close = matchingClose(tokens, from: k) else { return false }
                k = close + 1
            } else if (t.isPunctuator("->") || t.isPunctuator(".")), k + 1 < tokens.count, tokens[k + 1].kind == .identifier {
                k += 2
            } else {
                return false
            }
        }
        return true
    }

    /// Index of the `)` or `]` closing the bracket at `from`, if any.
    static func matchingClose(_ tokens: [CToken], from: Int) -> Int? {
        var depth = 0
        var k = from
        while k < tokens.count {
            let t = tokens[k]
            if t.kind == .punctuator {
                if t.text == "(" || t.text == "[" { depth += 1 }
                if t.text == ")" || t.text == "]" {
                    depth -= 1
                    if depth == 0 { return k }
                }
            }
            k += 1
        }
        return nil
    }
}
