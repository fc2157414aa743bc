/// Reads a function's body: every call, with the loops and conditions around it.
///
/// The reader knows C's statements (blocks, `if`/`else`, `for`, `while`, `do … while`,
/// `switch`/`case`, jumps, labels) and the kernel's iteration macros: any call-like
/// `*for_each*` followed by a statement or a block is a loop. `do { … } while (0)` is not a loop.
/// The statements between a label and a later `goto` to it form a loop too (`goto retry`).
///
/// Conditions are those of enclosing `if`s (`then` and `else` branches), `switch` cases, and
/// guards: after `if (c) goto out;` (or `return`, `break`, `continue`, or a block ending so),
/// the following statements of the same block run only when `c` was false, until a label.
///
/// It is tolerant: unbalanced parentheses end at a `;` or `}`, missing semicolons end at a `}`,
/// and nesting deeper than `maximumNesting` is read flat (calls are still recorded).
public enum BodyReader {
    /// Statements nested deeper than this are read without structure.
    public static let maximumNesting = 96

    /// Reads the body of `function`.
    public static func read(_ function: FunctionDefinition) -> FunctionBody {
        var parser = Parser(tokens: Array(function.bodyTokens), parameters: Set(function.parameters))
        parser.run()
        return FunctionBody(function: function, calls: parser.calls, labels: parser.labels, truncatedNesting: parser.truncated)
    }

    /// Reads a bare list of statements (tokens of a body without its braces), for tests and tools.
    public static func calls(in tokens: [CToken], parameters: [String] = []) -> [CallSite] {
        var parser = Parser(tokens: tokens, parameters: Set(parameters))
        parser.run()
        return parser.calls
    }

    /// Whether `name` is a kernel iteration macro: `list_for_each_entry_safe`, `xas_for_each`,
    /// `for_each_online_node`, `folio_batch`-style loops spelled `*for_each*`.
    public static func isLoopMacro(_ name: String) -> Bool {
        name.contains("for_each")
    }

    /// Call-like words that are not calls worth recording (compiler hints).
    static let notCalls: Set<String> = ["likely", "unlikely", "__builtin_expect", "__attribute__", "__attribute"]
}

private struct Context {
    var loops: [LoopContext] = []
    var conditions: [Condition] = []
    var depth = 0

    func deeper() -> Context {
        var c = self
        c.depth += 1
        return c
    }

    func with(_ condition: Condition) -> Context {
        var c = deeper()
        c.conditions.insert(condition, at: 0)
        return c
    }

    func with(_ loop: LoopContext) -> Context {
        var c = deeper()
        c.loops.insert(loop, at: 0)
        return c
    }
}

/// A group of case labels of a switch, and whether its statements leave the function or loop
/// (by `goto`, `return` or `continue`) rather than falling out of the switch.
private struct CaseGroup {
    var labels: [String]
    var leaves: Bool
    var jump: String?
}

/// How a statement ended, for its block.
private struct Outcome {
    /// It always leaves by a jump (`goto`, `return`, `break`, `continue`).
    var endsInJump = false
    /// The jump's text when the statement is one (`goto out`).
    var jump: String?
    /// It was `if (c) <jump>`: the block's later statements run only when `c` is false.
    var guardCondition: Condition?
    /// It was a label: control may arrive here from elsewhere.
    var isLabel = false
    /// The label's name (not for `case` labels).
    var label: String?

    static let none = Outcome()
}

private struct Parser {
    let t: [CToken]
    let n: Int
    let parameters: Set<String>
    var k = 0
    var calls: [CallSite] = []
    var labels: [String] = []
    var truncated = false
    /// Backward-goto regions, token index ranges, with their loop description.
    var gotoLoops: [(range: ClosedRange<Int>, loop: LoopContext)] = []
    /// Labels that some `goto` before them jumps forward to.
    var forwardTargets: Set<String> = []
    /// How many such labels were met so far: a statement that met one may be entered in the
    /// middle, so the guards before it do not hold after it.
    var forwardTargetsMet = 0

    /// What may precede a label: the end of a statement or block, or another label.
    static let beforeLabel: Set<String> = [";", "{", "}", ":"]

    /// Each token's punctuator packed in an integer (0 for other tokens): the scans of brackets
    /// compare integers, not strings.
    let p: [UInt32]
    static let open = TokenText.code("("), close = TokenText.code(")"), openBrace = TokenText.code("{"),
               closeBrace = TokenText.code("}"), openBracket = TokenText.code("["), closeBracket = TokenText.code("]"),
               semicolon = TokenText.code(";"), colon = TokenText.code(":"), comma = TokenText.code(",")

    init(tokens: [CToken], parameters: Set<String>) {
        t = tokens
        n = tokens.count
        p = tokens.map { $0.kind == .punctuator ? TokenText.code($0.text) : 0 }
        self.parameters = parameters
    }

    mutating func run() {
        findLabelsAndGotoLoops()
        // The body's own braces are already gone: its statements are a list up to the end.
        while k < n {
            var ignored: [CaseGroup] = []
            _ = parseStatementList(Context(), switchOn: nil, groups: &ignored)
            if k < n { k += 1 }  // A stray close brace.
        }
    }

    // MARK: Labels and backward gotos

    mutating func findLabelsAndGotoLoops() {
        var labelIndex: [String: Int] = [:]
        for j in 0..<n where t[j].kind == .identifier && j + 1 < n && t[j + 1].isPunctuator(":") {
            let name = t[j].text
            guard name != "default", j == 0 || (t[j - 1].kind == .punctuator && Parser.beforeLabel.contains(t[j - 1].text)) else {
                continue
            }
            if labelIndex[name] == nil {
                labelIndex[name] = j
                labels.append(name)
            }
        }
        guard !labelIndex.isEmpty else { return }
        // One region per label, to its last backward goto.
        var lastGoto: [String: Int] = [:]
        for j in 0..<n where t[j].isIdentifier("goto") && j + 1 < n && t[j + 1].kind == .identifier {
            let name = t[j + 1].text
            if let l = labelIndex[name] {
                if l < j { lastGoto[name] = j } else { forwardTargets.insert(name) }
            }
        }
        for (name, j) in lastGoto.sorted(by: { $0.value < $1.value }).prefix(256) {
            let l = labelIndex[name] ?? 0
            gotoLoops.append((l...j, LoopContext(kind: .backwardGoto, text: "\(name): … goto \(name)", line: t[l].line)))
        }
        // Nearest first: the innermost (latest-starting) region first.
        gotoLoops.sort { $0.range.lowerBound > $1.range.lowerBound }
    }

    // MARK: Statements

    mutating func parseStatement(_ ctx: Context) -> Outcome {
        guard k < n else { return .none }
        if ctx.depth > BodyReader.maximumNesting {
            truncated = true
            skipFlat(ctx)
            return .none
        }
        let tok = t[k]
        if tok.kind == .punctuator {
            if tok.text == "{" { return parseBlock(ctx.deeper(), switchOn: nil) }
            if tok.text == ";" {
                k += 1
                return .none
            }
        } else if tok.kind == .identifier {
            switch tok.text {
            case "if":
                return parseIf(ctx)
            case "for", "while":
                parseLoop(ctx)
                return .none
            case "do":
                parseDo(ctx)
                return .none
            case "switch":
                return parseSwitch(ctx)
            case "return", "goto", "break", "continue":
                let end = expressionEnd(from: k)
                recordCalls(k + 1, end, ctx, control: false)
                let jump = TokenText.join(t[k..<end], limit: 60)
                k = end < n && t[end].isPunctuator(";") ? end + 1 : end
                return Outcome(endsInJump: true, jump: jump)
            case "else":
                // An `else` without its `if` (lost to a cut or a mismatched #if): read on.
                k += 1
                return parseStatement(ctx.deeper())
            case "case", "default":
                // A case label outside a switch's own block (Duff's device, or a cut): skip it.
                k = labelColon(from: k + 1) + 1
                return Outcome(isLabel: true)
            default:
                if k + 1 < n, t[k + 1].isPunctuator(":") {
                    k += 2
                    return Outcome(isLabel: true, label: tok.text)
                }
                if k + 1 < n, t[k + 1].isPunctuator("(") {
                    let close = matchParen(k + 1)
                    let closed = close < n && t[close].isPunctuator(")")
                    let follows = closed && close + 1 < n ? t[close + 1] : nil
                    if BodyReader.isLoopMacro(tok.text), closed, let f = follows, !f.isPunctuator(";"),
                       !f.isPunctuator("}") {
                        let loop = LoopContext(kind: .macro, text: TokenText.join(t[k...close]), line: tok.line)
                        let inner = ctx.with(loop)
                        recordCalls(k + 2, close, inner, control: true)
                        k = close + 1
                        _ = parseStatement(inner)
                        return .none
                    }
                    if closed, let f = follows, f.isPunctuator("{") {
                        // A block macro such as `scoped_guard(spinlock, &lock) { … }`: its block runs once.
                        recordCalls(k, close + 1, ctx, control: true)
                        k = close + 1
                        return parseBlock(ctx.deeper(), switchOn: nil)
                    }
                }
            }
        }
        // An expression statement or a declaration.
        let end = expressionEnd(from: k)
        recordCalls(k, end, ctx, control: false)
        k = end < n && t[end].isPunctuator(";") ? end + 1 : end
        return .none
    }

    /// At `{`: reads statements to the matching `}`; the block always jumps when its last
    /// statement does. `switchOn` is the expression when this is a switch's block, whose `case`
    /// labels then become conditions.
    mutating func parseBlock(_ ctx: Context, switchOn: String?) -> Outcome {
        k += 1
        var ignored: [CaseGroup] = []
        let last = parseStatementList(ctx, switchOn: switchOn, groups: &ignored)
        if k < n, t[k].isPunctuator("}") { k += 1 }
        return Outcome(endsInJump: last.endsInJump, jump: last.jump)
    }

    /// Reads statements up to a `}` (not consumed) or the end; returns the last one's outcome.
    /// Guards and case labels apply to the statements after them in the list. In a switch's
    /// block, `groups` receives each group of case labels and whether its statements leave by a
    /// jump other than `break`.
    mutating func parseStatementList(_ ctx: Context, switchOn: String?, groups: inout [CaseGroup]) -> Outcome {
        var guards: [Condition] = []
        var caseLabels: [String] = []
        var caseCondition: Condition?
        var lastWasCaseLabel = false
        var last = Outcome.none
        // Past a label that a goto from before jumps to, the guards of enclosing blocks may not
        // hold either (the goto may come from before them): they are dropped.
        var outerGuardsHold = true
        func closeGroup() {
            guard !caseLabels.isEmpty else { return }
            let leaves = last.endsInJump && !(last.jump?.hasPrefix("break") ?? false)
            groups.append(CaseGroup(labels: caseLabels, leaves: leaves, jump: leaves ? last.jump : nil))
        }
        defer { closeGroup() }
        while k < n {
            if t[k].isPunctuator("}") { return last }
            if let switchOn, t[k].isIdentifier("case") || t[k].isIdentifier("default") {
                let labelToken = t[k]
                let text: String
                if labelToken.text == "default" {
                    text = "default"
                    k += 1
                    if k < n, t[k].isPunctuator(":") { k += 1 }
                } else {
                    let colon = labelColon(from: k + 1)
                    text = TokenText.join(t[(k + 1)..<colon])
                    k = colon < n && t[colon].isPunctuator(":") ? colon + 1 : colon
                }
                if !lastWasCaseLabel {
                    closeGroup()
                    caseLabels = []
                }
                caseLabels.append(text)
                let all = caseLabels.joined(separator: ", ")
                caseCondition = Condition(
                    kind: .switchCase, text: all, negatedText: "!(case \(all))", switchOn: switchOn, line: labelToken.line)
                guards = []
                lastWasCaseLabel = true
                last = .none
                continue
            }
            var stmt = ctx
            let outer = outerGuardsHold ? ctx.conditions : ctx.conditions.filter { $0.kind != .guardFalse }
            stmt.conditions = guards.reversed() + (caseCondition.map { [$0] } ?? []) + outer
            let before = k
            let met = forwardTargetsMet
            let outcome = parseStatement(stmt)
            if let label = outcome.label, forwardTargets.contains(label) { forwardTargetsMet += 1 }
            // A case label outside its switch's block is entered from the switch. A label only
            // reached by later gotos (`retry:`) keeps the guards: they held before those gotos.
            if outcome.isLabel, outcome.label == nil {
                guards = []
            }
            if forwardTargetsMet > met {
                guards = []
                outerGuardsHold = false
            }
            if !outcome.isLabel {
                lastWasCaseLabel = false
            }
            if let g = outcome.guardCondition { guards.append(g) }
            last = outcome
            if k == before { k += 1 }
        }
        return last
    }

    mutating func parseIf(_ ctx: Context) -> Outcome {
        let ifToken = t[k]
        k += 1
        guard k < n, t[k].isPunctuator("(") else { return .none }
        let close = matchParen(k)
        let condition = Array(t[(k + 1)..<close])
        recordCalls(k + 1, close, ctx, control: true)
        k = close < n && t[close].isPunctuator(")") ? close + 1 : close
        let text = TokenText.join(condition)
        let negated = TokenText.negate(condition)
        let thenOutcome = parseStatement(ctx.with(Condition(kind: .ifTrue, text: text, negatedText: negated, line: ifToken.line)))
        var elseOutcome: Outcome?
        if k < n, t[k].isIdentifier("else") {
            k += 1
            elseOutcome = parseStatement(ctx.with(Condition(kind: .ifFalse, text: text, negatedText: negated, line: ifToken.line)))
        }
        var outcome = Outcome()
        outcome.endsInJump = thenOutcome.endsInJump && (elseOutcome?.endsInJump ?? false)
        if thenOutcome.endsInJump {
            outcome.guardCondition = Condition(
                kind: .guardFalse, text: text, negatedText: negated, jump: thenOutcome.jump, line: ifToken.line)
        }
        return outcome
    }

    mutating func parseLoop(_ ctx: Context) {
        let head = t[k]
        k += 1
        guard k < n, t[k].isPunctuator("(") else { return }
        let close = matchParen(k, semicolons: head.text == "for" ? 2 : 0)
        let loop = LoopContext(
            kind: head.text == "for" ? .forLoop : .whileLoop,
            text: "\(head.text) (\(TokenText.join(t[(k + 1)..<close])))", line: head.line)
        let inner = ctx.with(loop)
        recordCalls(k + 1, close, inner, control: true)
        k = close < n && t[close].isPunctuator(")") ? close + 1 : close
        _ = parseStatement(inner)
    }

    mutating func parseDo(_ ctx: Context) {
        let head = t[k]
        let placeholder = LoopContext(kind: .doWhile, text: "do#\(k)", line: head.line)
        k += 1
        let firstCall = calls.count
        _ = parseStatement(ctx.with(placeholder))
        var final: LoopContext? = LoopContext(kind: .doWhile, text: "do … while (?)", line: head.line)
        if k + 1 < n, t[k].isIdentifier("while"), t[k + 1].isPunctuator("(") {
            let close = matchParen(k + 1)
            let condition = t[(k + 2)..<close]
            if condition.count == 1, condition.first?.text == "0" || condition.first?.text == "false" {
                final = nil  // `do { … } while (0)`: runs once.
            } else {
                let loop = LoopContext(kind: .doWhile, text: "do … while (\(TokenText.join(condition)))", line: head.line)
                final = loop
                recordCalls(k + 2, close, ctx.with(loop), control: true)
            }
            k = close < n && t[close].isPunctuator(")") ? close + 1 : close
            if k < n, t[k].isPunctuator(";") { k += 1 }
        }
        // The loop's text is known only now: rewrite the calls of its body.
        for c in firstCall..<calls.count {
            let call = calls[c]
            guard let at = call.loops.firstIndex(of: placeholder) else { continue }
            var loops = call.loops
            if let final { loops[at] = final } else { loops.remove(at: at) }
            calls[c] = CallSite(
                callee: call.callee, isIndirect: call.isIndirect, receiver: call.receiver, arguments: call.arguments,
                line: call.line, loops: loops, conditions: call.conditions, inControllingExpression: call.inControllingExpression)
        }
    }

    /// Reads a switch. When its `default` leaves by a jump (`goto out`, `return`), what follows
    /// the switch runs only for the cases that fall out of it: that is a guard
    /// (`case MIGRATE_SYNC in switch (mode) (else goto out)`); when every case leaves, so does
    /// the switch.
    mutating func parseSwitch(_ ctx: Context) -> Outcome {
        let head = t[k]
        k += 1
        guard k < n, t[k].isPunctuator("(") else { return .none }
        let close = matchParen(k)
        let on = TokenText.join(t[(k + 1)..<close])
        recordCalls(k + 1, close, ctx, control: true)
        k = close < n && t[close].isPunctuator(")") ? close + 1 : close
        guard k < n, t[k].isPunctuator("{") else {
            _ = parseStatement(ctx.deeper())
            return .none
        }
        k += 1
        var groups: [CaseGroup] = []
        _ = parseStatementList(ctx.deeper(), switchOn: on, groups: &groups)
        if k < n, t[k].isPunctuator("}") { k += 1 }
        guard groups.contains(where: { $0.leaves && $0.labels.contains("default") }) else { return .none }
        let staying = groups.filter { !$0.leaves }
        let jumps = groups.compactMap(\.jump).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        guard !staying.isEmpty else { return Outcome(endsInJump: true, jump: jumps.first) }
        let labels = staying.flatMap(\.labels).joined(separator: ", ")
        return Outcome(guardCondition: Condition(
            kind: .switchCase, text: labels, negatedText: "!(case \(labels))", switchOn: on,
            jump: jumps.joined(separator: " / "), line: head.line))
    }

    /// Too deep: records the calls of one statement (a block, or up to its `;`) without structure.
    mutating func skipFlat(_ ctx: Context) {
        if t[k].isPunctuator("{") {
            let end = FunctionIndex.plainBlockEnd(t, open: k)
            recordCalls(k, end, ctx, control: false)
            k = end + 1
        } else {
            let end = expressionEnd(from: k)
            recordCalls(k, end, ctx, control: false)
            k = end < n && t[end].isPunctuator(";") ? end + 1 : max(end, k + (t[k].isPunctuator("}") ? 0 : 1))
        }
    }

    // MARK: Token ranges

    /// The index of the `;` ending the statement at `from` (braces and brackets nested), or of a
    /// `}` closing an enclosing block, or `n`.
    func expressionEnd(from: Int) -> Int {
        var depth = 0
        var j = from
        while j < n {
            switch p[j] {
            case 0: break
            case Parser.open, Parser.openBracket, Parser.openBrace: depth += 1
            case Parser.close, Parser.closeBracket: depth = max(0, depth - 1)
            case Parser.closeBrace:
                if depth == 0 { return j }
                depth -= 1
            case Parser.semicolon:
                if depth == 0 { return j }
            default: break
            }
            j += 1
        }
        return n
    }

    /// The index of the `)` matching the `(` at `open`. Tolerant: when the group is not closed,
    /// the index of the `;` (beyond `semicolons` of them) or `}` that ends it instead, or `n`.
    /// Braces inside the group (statement expressions, compound literals) are nested.
    func matchParen(_ open: Int, semicolons: Int = 0, within limit: Int = Int.max) -> Int {
        var parens = 0
        var braces = 0
        var seen = 0
        var j = open
        let end = limit == Int.max ? n : min(n, open + limit)
        while j < end {
            switch p[j] {
            case 0: break
            case Parser.open:
                parens += 1
            case Parser.close:
                parens -= 1
                if parens == 0 { return j }
            case Parser.openBrace:
                braces += 1
            case Parser.closeBrace:
                if braces == 0 { return j }
                braces -= 1
            case Parser.semicolon:
                if braces == 0 {
                    seen += 1
                    if seen > semicolons { return j }
                }
            default:
                break
            }
            j += 1
        }
        return end
    }

    /// The index of the `:` ending a case label that starts at `from`, or of what stops it.
    func labelColon(from: Int) -> Int {
        var depth = 0
        var j = from
        while j < n {
            let tok = t[j]
            if tok.kind == .punctuator {
                switch tok.text {
                case "(", "[": depth += 1
                case ")", "]": depth = max(0, depth - 1)
                case ":": if depth == 0 { return j }
                case ";", "{", "}": return j
                default: break
                }
            }
            j += 1
        }
        return n
    }

    // MARK: Calls

    /// Records the calls among t[a..<b].
    mutating func recordCalls(_ a: Int, _ b: Int, _ ctx: Context, control: Bool) {
        var j = max(0, a)
        let end = min(b, n)
        while j < end {
            let tok = t[j]
            if tok.kind == .identifier, j + 1 < n, t[j + 1].isPunctuator("("),
               !Header.notNames.contains(tok.text), !BodyReader.notCalls.contains(tok.text) {
                record(nameAt: j, ctx, control: control)
            } else if tok.isPunctuator("("), j + 4 < n, t[j + 1].isPunctuator("*"), t[j + 2].kind == .identifier,
                      t[j + 3].isPunctuator(")"), t[j + 4].isPunctuator("("), j == 0 || t[j - 1].kind != .identifier {
                // `(*fn)(args)`
                add(callee: t[j + 2].text, indirect: true, receiver: nil, open: j + 4, at: j + 2, ctx, control: control)
            }
            j += 1
        }
    }

    mutating func record(nameAt j: Int, _ ctx: Context, control: Bool) {
        let name = t[j].text
        if j > 0, t[j - 1].isPunctuator("->") || t[j - 1].isPunctuator(".") {
            add(callee: name, indirect: true, receiver: receiver(endingBefore: j - 1), open: j + 1, at: j, ctx, control: control)
        } else {
            add(callee: name, indirect: parameters.contains(name), receiver: nil, open: j + 1, at: j, ctx, control: control)
        }
    }

    mutating func add(callee: String, indirect: Bool, receiver: String?, open: Int, at j: Int, _ ctx: Context, control: Bool) {
        var loops = ctx.loops
        for g in gotoLoops where g.range.contains(j) { loops.append(g.loop) }
        calls.append(CallSite(
            callee: callee, isIndirect: indirect, receiver: receiver, arguments: arguments(open: open), line: t[j].line,
            loops: loops, conditions: ctx.conditions, inControllingExpression: control))
    }

    /// The texts of the arguments of the call whose `(` is at `open`.
    func arguments(open: Int) -> [String] {
        // Bounded, so that calls nested in calls cost no more than linear time each.
        let close = matchParen(open, within: 512)
        var result: [String] = []
        var depth = 0
        var start = open + 1
        var j = open + 1
        while j < close, result.count < 16 {
            switch p[j] {
            case 0: break
            case Parser.open, Parser.openBracket, Parser.openBrace: depth += 1
            case Parser.close, Parser.closeBracket, Parser.closeBrace: depth -= 1
            case Parser.comma:
                if depth == 0 {
                    result.append(TokenText.join(t[start..<j], limit: 120))
                    start = j + 1
                }
            default: break
            }
            j += 1
        }
        if start < close, result.count < 16 { result.append(TokenText.join(t[start..<close], limit: 120)) }
        return result
    }

    /// The text of what a member call reads its pointer from: for `mapping->a_ops->x(` with
    /// `arrow` at the last `->`, `mapping->a_ops`.
    func receiver(endingBefore arrow: Int) -> String? {
        var j = arrow - 1
        var start = arrow
        var taken = 0
        while j >= 0, taken < 24 {
            let tok = t[j]
            if tok.kind == .identifier {
                start = j
                // Continue only through `->` or `.`.
                if j > 0, t[j - 1].isPunctuator("->") || t[j - 1].isPunctuator(".") {
                    j -= 2
                    taken += 2
                    continue
                }
                break
            } else if tok.isPunctuator(")") || tok.isPunctuator("]") {
                // Back over a call's or index's brackets: `folio_mapping(f)->a_ops`, `ops[i].fn`.
                var depth = 0
                var m = j
                while m >= 0, j - m < 256 {
                    if t[m].isPunctuator(")") || t[m].isPunctuator("]") { depth += 1 }
                    if t[m].isPunctuator("(") || t[m].isPunctuator("[") {
                        depth -= 1
                        if depth == 0 { break }
                    }
                    m -= 1
                }
                guard m >= 0, j - m < 256 else { break }
                start = m
                j = m - 1
                taken += 1
                continue
            } else {
                break
            }
        }
        guard start < arrow else { return nil }
        return TokenText.join(t[start..<arrow], limit: 80)
    }
}
