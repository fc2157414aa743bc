import LockhuntBasics

/// Recursive-descent parser for the model language (grammar: docs/LANGUAGE.md).
/// On a syntax error it reports, skips to a point where parsing can resume (the next `;`, `}` or
/// top-level keyword), and goes on, so one run shows several errors.
public struct Parser {
    private var tokens: [Token]
    private var index = 0
    private let file: SourceFile
    private let diagnostics: DiagnosticEngine
    private var depth = 0
    /// Set when nesting exceeds `maxDepth`; parsing then stops for this file.
    private var abandoned = false

    /// Deeper nesting than any real model needs; the cap keeps hostile input from
    /// exhausting the stack.
    public static let maxDepth = 200

    static let typeKeywords: Set<String> = ["int", "bool", "folio", "buffer", "list", "set", "void", "enum", "struct", "long", "unsigned"]
    static let statementKeywords: Set<String> = [
        "if", "else", "for", "switch", "case", "default", "break", "continue", "return", "goto",
        "either", "or", "assert", "BUG_ON", "VM_BUG_ON", "wait_event", "while", "do",
    ]
    static let topKeywords: Set<String> = ["include", "param", "const", "enum", "folio", "buffer", "shared", "thread", "expect", "__weak", "override", "static", "inline"]

    public init(file: SourceFile, diagnostics: DiagnosticEngine) {
        var lexer = Lexer(file: file, diagnostics: diagnostics)
        self.tokens = lexer.tokenize()
        self.file = file
        self.diagnostics = diagnostics
    }

    public mutating func parseFile() -> ModelFile {
        var decls: [Declaration] = []
        while !current.isEnd && !abandoned && !diagnostics.isFull {
            let before = index
            if let d = parseDeclaration() { decls.append(contentsOf: d) }
            if index == before { advance() }  // guarantee progress
        }
        return ModelFile(file: file, declarations: decls)
    }

    // MARK: - Token helpers

    private var current: Token { tokens[index] }
    private func peek(_ n: Int = 1) -> Token { tokens[min(index + n, tokens.count - 1)] }

    @discardableResult
    private mutating func advance() -> Token {
        let t = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return t
    }

    private mutating func accept(_ p: String) -> Bool {
        if current.isPunct(p) { advance(); return true }
        return false
    }

    private mutating func acceptKeyword(_ k: String) -> Bool {
        if current.isKeyword(k) { advance(); return true }
        return false
    }

    private mutating func expect(_ p: String, _ context: String) -> Bool {
        if accept(p) { return true }
        // A missing ';' belongs right after the previous token (as clang reports it), not on
        // whatever comes next, which is often on the following line.
        var at = current.location
        if p == ";", index > 0 {
            let (line, column) = file.lineColumn(of: tokens[index - 1].end)
            at = SourceLocation(file: file.id, line: line, column: column)
        }
        error(at, "expected '\(p)' \(context), found \(current.described)")
        return false
    }

    private mutating func expectIdentifier(_ what: String) -> (String, SourceLocation)? {
        if let name = current.identifier {
            let loc = current.location
            advance()
            return (name, loc)
        }
        error(current.location, "expected \(what), found \(current.described)")
        return nil
    }

    private func error(_ loc: SourceLocation, _ message: String) {
        diagnostics.error(loc, message)
    }

    /// Skips to just after the next `;` at this nesting level or after a nested `{ ... }` block;
    /// stops before a `}` that closes the enclosing block (when `stopAtBrace`).
    private mutating func synchronize(stopAtBrace: Bool = true) {
        var nesting = 0
        while !current.isEnd {
            if current.isPunct("{") {
                nesting += 1
            } else if current.isPunct("}") {
                if nesting == 0 {
                    if !stopAtBrace { advance() }
                    return
                }
                nesting -= 1
                if nesting == 0 { advance(); return }
            } else if current.isPunct(";") && nesting == 0 {
                advance()
                return
            }
            advance()
        }
    }

    private mutating func enter(_ loc: SourceLocation) -> Bool {
        depth += 1
        if depth > Parser.maxDepth {
            if !abandoned {
                error(loc, "nesting too deep (more than \(Parser.maxDepth) levels of blocks, parentheses or operators)")
                abandoned = true
            }
            index = tokens.count - 1
            return false
        }
        return true
    }

    private mutating func leave() { depth -= 1 }

    // MARK: - Declarations

    private mutating func parseDeclaration() -> [Declaration]? {
        let loc = current.location
        if current.isPunct("#") {
            advance()
            if acceptKeyword("include"), case .string(let path) = current.kind {
                advance()
                return [.include(path, loc)]
            }
            error(loc, "expected 'include \"file\"' after '#'")
            synchronize()
            return nil
        }
        if current.isPunct(";") { advance(); return [] }
        guard let word = current.identifier else {
            error(loc, "expected a declaration (folio, buffer, shared, thread, a function, ...), found \(current.described)")
            synchronize(stopAtBrace: false)
            if current.isPunct("}") { advance() }
            return nil
        }
        switch word {
        case "include":
            advance()
            guard case .string(let path) = current.kind else {
                error(current.location, "expected a file name in quotes after 'include'")
                synchronize()
                return nil
            }
            advance()
            _ = expect(";", "after include")
            return [.include(path, loc)]
        case "param":
            advance()
            guard let (name, nameLoc) = expectIdentifier("parameter name") else { synchronize(); return nil }
            guard expect("=", "after parameter name (parameters need a default value)"), let value = parseExpression() else { synchronize(); return nil }
            _ = expect(";", "after parameter")
            return [.param(name, value, nameLoc)]
        case "const":
            advance()
            var type: TypeName? = nil
            if let t = current.identifier, Parser.typeKeywords.contains(t), peek().identifier != nil {
                type = parseType()
            }
            guard let (name, nameLoc) = expectIdentifier("constant name") else { synchronize(); return nil }
            guard expect("=", "after constant name"), let value = parseExpression() else { synchronize(); return nil }
            _ = expect(";", "after constant")
            return [.constant(type, name, value, nameLoc)]
        case "enum" where peek().isPunct("{") || (peek().identifier != nil && peek(2).isPunct("{")):
            return parseEnum()
        case "folio":
            return parseFolio()
        case "buffer":
            return parseBuffer()
        case "shared":
            return parseShared()
        case "thread":
            return parseThread()
        case "expect":
            return parseExpect()
        default:
            return parseFunction()
        }
    }

    private mutating func parseEnum() -> [Declaration]? {
        let loc = advance().location
        var typeName: String? = nil
        if let n = current.identifier { typeName = n; advance() }
        guard expect("{", "to open the enum") else { synchronize(); return nil }
        var cases: [(name: String, value: Expr?, location: SourceLocation)] = []
        while !current.isPunct("}") && !current.isEnd {
            guard let (name, nameLoc) = expectIdentifier("enumerator name") else { synchronize(); return nil }
            var value: Expr? = nil
            if accept("=") { value = parseExpression() }
            cases.append((name, value, nameLoc))
            if !accept(",") { break }
        }
        guard expect("}", "to close the enum") else { synchronize(); return nil }
        _ = accept(";")
        return [.enumeration(typeName, cases, loc)]
    }

    /// `{ uptodate; mapping = blkdev; }`; sets `hadBlock` so that the `;` after it is optional.
    private mutating func parseAttributes(hadBlock: inout Bool) -> [Attribute]? {
        var attrs: [Attribute] = []
        guard accept("{") else { return attrs }
        hadBlock = true
        while !current.isPunct("}") && !current.isEnd {
            guard let (name, loc) = expectIdentifier("attribute name (uptodate, dirty, locked, writeback, mapping = ..., buffers = ...)") else {
                synchronize()
                continue
            }
            var value: Expr? = nil
            if accept("=") || accept(":") { value = parseExpression() }
            attrs.append(Attribute(name: name, value: value, location: loc))
            if !accept(";") && !accept(",") { break }
        }
        guard expect("}", "to close the attribute list") else { synchronize(); return nil }
        return attrs
    }

    private mutating func parseOptionalCount() -> Expr?? {
        if accept("[") {
            guard let count = parseExpression() else { return .none }
            guard expect("]", "after array size") else { return .none }
            return .some(count)
        }
        return .some(nil)
    }

    private mutating func parseFolio() -> [Declaration]? {
        advance()
        var decls: [Declaration] = []
        repeat {
            guard let (name, loc) = expectIdentifier("folio name") else { synchronize(); return nil }
            guard let count = parseOptionalCount() else { synchronize(); return nil }
            var block = false
            guard let attrs = parseAttributes(hadBlock: &block) else { return nil }
            decls.append(.folio(name, count, attrs, loc))
            if block && !current.isPunct(",") { _ = accept(";"); return decls }
        } while accept(",")
        _ = expect(";", "after folio declaration")
        return decls
    }

    private mutating func parseBuffer() -> [Declaration]? {
        advance()
        guard let (name, loc) = expectIdentifier("buffer name") else { synchronize(); return nil }
        guard let count = parseOptionalCount() else { synchronize(); return nil }
        guard acceptKeyword("of") else {
            error(current.location, "expected 'of FOLIO' after buffer name: every buffer head belongs to a folio")
            synchronize()
            return nil
        }
        guard let owner = parseUnary() else { synchronize(); return nil }
        var block = false
        guard let attrs = parseAttributes(hadBlock: &block) else { return nil }
        if block { _ = accept(";") } else { _ = expect(";", "after buffer declaration") }
        return [.buffer(name, count, owner, attrs, loc)]
    }

    private mutating func parseShared() -> [Declaration]? {
        advance()
        guard let type = parseType() else { synchronize(); return nil }
        var decls: [Declaration] = []
        repeat {
            guard let (name, loc) = expectIdentifier("variable name") else { synchronize(); return nil }
            var shape = SharedShape.scalar
            if accept("[") {
                if acceptKeyword("folio") {
                    shape = .perFolio
                } else if let n = parseExpression() {
                    shape = .array(n)
                }
                guard expect("]", "after array size") else { synchronize(); return nil }
            }
            var initial: Expr? = nil
            if accept("=") { initial = parseExpression() }
            decls.append(.shared(type, name, shape, initial, loc))
        } while accept(",")
        _ = expect(";", "after shared variable")
        return decls
    }

    private mutating func parseThread() -> [Declaration]? {
        let loc = advance().location
        guard let (name, _) = expectIdentifier("thread name") else { synchronize(); return nil }
        var replica: (String, Expr)? = nil
        if accept("[") {
            guard let (indexName, _) = expectIdentifier("index name, as in 'thread writer[i < N]'") else { synchronize(); return nil }
            guard expect("<", "in 'thread NAME[i < COUNT]'"), let count = parseExpression() else { synchronize(); return nil }
            guard expect("]", "after thread count") else { synchronize(); return nil }
            replica = (indexName, count)
        }
        guard current.isPunct("{") else {
            error(current.location, "expected '{' to open the body of thread '\(name)'")
            synchronize()
            return nil
        }
        guard let body = parseBlock() else { return nil }
        return [.thread(ThreadDecl(name: name, replica: replica, body: body, location: loc))]
    }

    private mutating func parseExpect() -> [Declaration]? {
        let loc = advance().location
        guard let (word, wordLoc) = expectIdentifier("'deadlock', 'ok' or 'violation'") else { synchronize(); return nil }
        guard let verdict = Verdict(rawValue: word) else {
            var msg = "unknown verdict '\(word)'; expected 'deadlock', 'ok' or 'violation'"
            if let s = Suggest.closest(to: word, among: Verdict.allCases.map(\.rawValue)) { msg += "; did you mean '\(s)'?" }
            error(wordLoc, msg)
            synchronize()
            return nil
        }
        guard acceptKeyword("under") else {
            error(current.location, "expected 'under POLICY, ...' after 'expect \(word)'")
            synchronize()
            return nil
        }
        var policies: [(String, SourceLocation)] = []
        repeat {
            // Policy names are file names (v6.2, rfc-2022): glue adjacent tokens back together.
            guard !current.isPunct(";"), !current.isPunct(","), !current.isEnd else {
                error(current.location, "expected a policy name")
                synchronize()
                return nil
            }
            let first = current
            var last = advance()
            while !current.isPunct(","), !current.isPunct(";"), !current.isEnd, current.start == last.end {
                last = advance()
            }
            let text = String(decoding: file.bytes[first.start..<last.end], as: UTF8.self)
            // A name, never a path: the gate looks it up in the policy folder, and a path here
            // would let a scenario make lockhunt read any file (docs/SECURITY.md).
            guard ModelLoader.isPolicyName(text) else {
                error(first.location, "'\(text.count > 80 ? String(text.prefix(80)) + "..." : text)' is not a policy name: an expectation names a policy of the policy folder, by a name of letters, digits, '.', '-' and '_' (not a path, no '.lh')")
                synchronize()
                return nil
            }
            policies.append((text, first.location))
        } while accept(",")
        _ = expect(";", "after expectation")
        return [.expect(Expectation(verdict: verdict, policies: policies, location: loc))]
    }

    private mutating func parseType() -> TypeName? {
        let loc = current.location
        if acceptKeyword("struct") {
            guard let (name, nameLoc) = expectIdentifier("struct name") else { return nil }
            _ = accept("*")
            switch name {
            case "folio", "page": return TypeName("folio", nameLoc)
            case "buffer_head": return TypeName("buffer", nameLoc)
            default:
                error(nameLoc, "unknown type 'struct \(name)'; the model knows 'struct folio *' and 'struct buffer_head *'")
                return TypeName("int", nameLoc)
            }
        }
        if acceptKeyword("enum") {
            guard let (name, _) = expectIdentifier("enum name") else { return nil }
            return TypeName(name, loc)
        }
        if acceptKeyword("unsigned") {
            _ = acceptKeyword("int") || acceptKeyword("long")
            return TypeName("int", loc)
        }
        if acceptKeyword("long") { _ = acceptKeyword("int"); return TypeName("int", loc) }
        guard let (name, nameLoc) = expectIdentifier("a type") else { return nil }
        _ = accept("*")
        return TypeName(name, nameLoc)
    }

    private mutating func parseFunction() -> [Declaration]? {
        let loc = current.location
        var linkage = FunctionLinkage.normal
        while let w = current.identifier, ["__weak", "override", "static", "inline", "noinline"].contains(w) {
            if w == "__weak" { linkage = .weak }
            if w == "override" { linkage = .override }
            advance()
        }
        guard let returnType = parseType() else { synchronize(); return nil }
        guard let (name, nameLoc) = expectIdentifier("function name") else { synchronize(); return nil }
        guard current.isPunct("(") else {
            error(current.location, "expected '(' after '\(returnType.name) \(name)': top-level items are folio, buffer, shared, thread, functions, param, const, enum, include and expect")
            synchronize()
            return nil
        }
        advance()
        var params: [Parameter] = []
        if current.isKeyword("void") && peek().isPunct(")") { advance() }
        while !current.isPunct(")") && !current.isEnd {
            guard let type = parseType() else { synchronize(); return nil }
            guard let (pname, ploc) = expectIdentifier("parameter name") else { synchronize(); return nil }
            params.append(Parameter(type: type, name: pname, location: ploc))
            if !accept(",") { break }
        }
        guard expect(")", "after parameters") else { synchronize(); return nil }
        guard current.isPunct("{") else {
            error(current.location, "expected '{' to open the body of '\(name)'")
            synchronize()
            return nil
        }
        guard let body = parseBlock() else { return nil }
        _ = loc
        return [.function(FunctionDecl(linkage: linkage, returnType: returnType, name: name, parameters: params, body: body, location: nameLoc))]
    }

    // MARK: - Statements

    private mutating func parseBlock() -> Stmt? {
        let loc = current.location
        guard expect("{", "to open a block") else { return nil }
        guard enter(loc) else { return nil }
        defer { leave() }
        var stmts: [Stmt] = []
        while !current.isPunct("}") && !current.isEnd && !abandoned {
            let before = index
            if let s = parseStatement() { stmts.append(s) }
            if index == before { advance() }
        }
        if abandoned { return nil }
        if current.isEnd {
            let f = file.lineColumn(of: 0)
            _ = f
            error(loc, "unterminated block: '{' has no matching '}'")
            return nil
        }
        advance()
        return Stmt(.block(stmts), loc)
    }

    private func startsDeclaration() -> Bool {
        guard let word = current.identifier else { return false }
        if Parser.statementKeywords.contains(word) { return false }
        if ["int", "bool", "folio", "buffer", "list", "set", "enum", "struct", "unsigned", "long"].contains(word) {
            return true
        }
        // `mode_t m;`: a user type name followed by a variable name.
        return peek().identifier != nil && !Parser.statementKeywords.contains(peek().identifier!)
    }

    private mutating func parseStatement() -> Stmt? {
        let loc = current.location
        guard enter(loc) else { return nil }
        defer { leave() }
        if current.isPunct("{") { return parseBlock() }
        if accept(";") { return Stmt(.empty, loc) }
        if let word = current.identifier {
            if peek().isPunct(":") && !Parser.statementKeywords.contains(word) {
                advance(); advance()
                if current.isPunct("}") { return Stmt(.label(word, Stmt(.empty, loc)), loc) }
                guard let s = parseStatement() else { return nil }
                return Stmt(.label(word, s), loc)
            }
            switch word {
            case "if": return parseIf()
            case "for": return parseFor()
            case "while", "do":
                error(loc, "'\(word)' loops are not supported: every loop must be bounded; write 'for (i = 0; i < BOUND && cond; i++)'")
                synchronize()
                return nil
            case "switch": return parseSwitch()
            case "break": advance(); _ = expect(";", "after 'break'"); return Stmt(.breakLoop, loc)
            case "continue": advance(); _ = expect(";", "after 'continue'"); return Stmt(.continueLoop, loc)
            case "return":
                advance()
                if accept(";") { return Stmt(.returnValue(nil), loc) }
                guard let value = parseExpression() else { synchronize(); return nil }
                _ = expect(";", "after return value")
                return Stmt(.returnValue(value), loc)
            case "goto":
                advance()
                guard let (label, _) = expectIdentifier("label name") else { synchronize(); return nil }
                _ = expect(";", "after goto")
                return Stmt(.gotoLabel(label), loc)
            case "either": return parseEither()
            case "or":
                error(loc, "'or' without 'either'")
                synchronize()
                return nil
            case "case", "default":
                error(loc, "'\(word)' outside of a switch")
                synchronize()
                return nil
            case "else":
                error(loc, "'else' without 'if'")
                synchronize()
                return nil
            case "assert", "BUG_ON", "VM_BUG_ON":
                advance()
                guard expect("(", "after '\(word)'"), let cond = parseExpression() else { synchronize(); return nil }
                if word != "assert", accept(",") { _ = parseExpression() }  // VM_BUG_ON_FOLIO-style extra argument
                guard expect(")", "after condition") else { synchronize(); return nil }
                _ = expect(";", "after \(word)(...)")
                if word == "assert" { return Stmt(.assert(cond, "assert"), loc) }
                return Stmt(.assert(Expr(.unary(.not, cond), cond.location), word), loc)
            case "wait_event":
                advance()
                guard expect("(", "after 'wait_event'"), let cond = parseExpression() else { synchronize(); return nil }
                guard expect(")", "after condition") else { synchronize(); return nil }
                _ = expect(";", "after wait_event(...)")
                return Stmt(.waitEvent(cond), loc)
            default:
                if startsDeclaration() { return parseLocalDeclaration() }
            }
        }
        return parseSimpleStatement(terminator: ";")
    }

    private mutating func parseLocalDeclaration() -> Stmt? {
        let loc = current.location
        guard let type = parseType() else { synchronize(); return nil }
        var vars: [(name: String, location: SourceLocation, initial: Expr?)] = []
        repeat {
            _ = accept("*")
            guard let (name, nameLoc) = expectIdentifier("variable name") else { synchronize(); return nil }
            var initial: Expr? = nil
            if accept("=") {
                guard let e = parseExpression() else { synchronize(); return nil }
                initial = e
            }
            vars.append((name, nameLoc, initial))
        } while accept(",")
        guard expect(";", "after declaration") else { synchronize(); return nil }
        return Stmt(.declaration(type, vars), loc)
    }

    /// Assignment, increment or call, ended by `terminator` (";" normally, ")" in a for header).
    private mutating func parseSimpleStatement(terminator: String) -> Stmt? {
        let loc = current.location
        guard let lhs = parseExpression() else { synchronize(); return nil }
        var stmt: Stmt
        if let op = currentAssignOp() {
            advance()
            guard let rhs = parseExpression() else { synchronize(); return nil }
            stmt = Stmt(.assign(lhs, op, rhs), loc)
        } else if accept("++") {
            stmt = Stmt(.increment(lhs, 1), loc)
        } else if accept("--") {
            stmt = Stmt(.increment(lhs, -1), loc)
        } else {
            stmt = Stmt(.expression(lhs), loc)
        }
        if terminator == ";" {
            guard expect(";", "after statement") else { synchronize(); return nil }
        }
        return stmt
    }

    private func currentAssignOp() -> AssignOp? {
        if case .punct(let p) = current.kind { return AssignOp(rawValue: p) }
        return nil
    }

    private mutating func parseParenCondition(_ what: String) -> Expr? {
        guard expect("(", "after '\(what)'") else { return nil }
        guard let cond = parseExpression() else { return nil }
        guard expect(")", "after condition") else { return nil }
        return cond
    }

    private mutating func parseIf() -> Stmt? {
        let loc = advance().location
        guard let cond = parseParenCondition("if") else { synchronize(); return nil }
        guard let then = parseStatement() else { return nil }
        var otherwise: Stmt? = nil
        if acceptKeyword("else") {
            guard let e = parseStatement() else { return nil }
            otherwise = e
        }
        return Stmt(.ifElse(cond, then, otherwise), loc)
    }

    private mutating func parseFor() -> Stmt? {
        let loc = advance().location
        guard expect("(", "after 'for'") else { synchronize(); return nil }
        // for (x in list)
        if let name = current.identifier, peek().isKeyword("in") {
            let nameLoc = advance().location
            advance()
            guard let list = parseExpression() else { synchronize(); return nil }
            guard expect(")", "after list") else { synchronize(); return nil }
            guard let body = parseStatement() else { return nil }
            return Stmt(.forEach(name, nameLoc, list, body), loc)
        }
        // for ([int] i = a; i < b [&& c]; i++)
        var declares = false
        if current.isKeyword("int") || current.isKeyword("unsigned") || current.isKeyword("long") {
            _ = parseType()
            declares = true
        }
        guard let (variable, varLoc) = expectIdentifier("loop variable, as in 'for (i = 0; i < N; i++)' or 'for (f in list)'") else { synchronize(); return nil }
        guard expect("=", "after loop variable"), let start = parseExpression() else { synchronize(); return nil }
        guard expect(";", "after loop start") else { synchronize(); return nil }
        guard let cond = parseExpression() else { synchronize(); return nil }
        guard expect(";", "after loop condition") else { synchronize(); return nil }
        // The increment: i++, ++i or i += 1.
        var incOK = false
        if accept("++") {
            incOK = current.identifier == variable
            advance()
        } else if current.identifier == variable {
            advance()
            if accept("++") { incOK = true }
            else if accept("+="), case .integer(1) = current.kind { advance(); incOK = true }
        }
        if !incOK {
            error(current.location, "a counted loop must step its variable by one ('\(variable)++'); loops must be bounded")
            synchronize()
            return nil
        }
        guard expect(")", "after loop header") else { synchronize(); return nil }
        guard let body = parseStatement() else { return nil }
        // Split `i < bound && extra`.
        var bound: Expr? = nil
        var inclusive = false
        var extra: Expr? = nil
        func split(_ e: Expr) -> (Expr, Bool, Expr?)? {
            if case .binary(let op, let l, let r) = e.kind {
                if op == .and, let (b, inc, ex) = split(l) {
                    if let ex { return (b, inc, Expr(.binary(.and, ex, r), e.location)) }
                    return (b, inc, r)
                }
                if op == .less || op == .lessEqual, case .name(let n) = l.kind, n == variable {
                    return (r, op == .lessEqual, nil)
                }
            }
            return nil
        }
        if let (b, inc, ex) = split(cond) {
            bound = b
            inclusive = inc
            extra = ex
        } else {
            error(cond.location, "a counted loop's condition must start with '\(variable) < BOUND' (then '&& ...' if needed): loops must be bounded")
            return nil
        }
        return Stmt(.forCount(ForCount(declares: declares, variable: variable, variableLocation: varLoc, start: start, bound: bound!, inclusive: inclusive, extra: extra, body: body)), loc)
    }

    private mutating func parseSwitch() -> Stmt? {
        let loc = advance().location
        guard let value = parseParenCondition("switch") else { synchronize(); return nil }
        guard expect("{", "to open the switch") else { synchronize(); return nil }
        var arms: [SwitchArm] = []
        while !current.isPunct("}") && !current.isEnd && !abandoned {
            let armLoc = current.location
            if acceptKeyword("case") {
                guard let v = parseExpression() else { synchronize(); continue }
                _ = expect(":", "after case value")
                arms.append(SwitchArm(value: v, location: armLoc, body: []))
            } else if acceptKeyword("default") {
                _ = expect(":", "after 'default'")
                arms.append(SwitchArm(value: nil, location: armLoc, body: []))
            } else {
                if arms.isEmpty {
                    error(armLoc, "expected 'case' or 'default' in switch")
                    synchronize()
                    continue
                }
                let before = index
                if let s = parseStatement() { arms[arms.count - 1].body.append(s) }
                if index == before { advance() }
            }
        }
        guard expect("}", "to close the switch") else { return nil }
        return Stmt(.switchCase(value, arms), loc)
    }

    private mutating func parseEither() -> Stmt? {
        let loc = advance().location
        var branches: [Stmt] = []
        guard current.isPunct("{") else {
            error(current.location, "expected '{' after 'either'")
            synchronize()
            return nil
        }
        guard let first = parseBlock() else { return nil }
        branches.append(first)
        while acceptKeyword("or") {
            guard current.isPunct("{") else {
                error(current.location, "expected '{' after 'or'")
                synchronize()
                return nil
            }
            guard let b = parseBlock() else { return nil }
            branches.append(b)
        }
        if branches.count < 2 {
            error(loc, "'either' needs at least one 'or { ... }' branch")
        }
        return Stmt(.either(branches), loc)
    }

    // MARK: - Expressions

    public mutating func parseExpression() -> Expr? {
        guard enter(current.location) else { return nil }
        defer { leave() }
        return parseTernary()
    }

    private mutating func parseTernary() -> Expr? {
        guard let cond = parseBinary(0) else { return nil }
        if current.isPunct("?") {
            let loc = advance().location
            guard let a = parseExpression() else { return nil }
            guard expect(":", "in conditional expression") else { return nil }
            guard let b = parseExpression() else { return nil }
            return Expr(.ternary(cond, a, b), loc)
        }
        return cond
    }

    private static let levels: [[BinaryOp]] = [
        [.or], [.and], [.bitOr], [.bitXor], [.bitAnd], [.equal, .notEqual],
        [.less, .lessEqual, .greater, .greaterEqual, .member], [.shiftLeft, .shiftRight],
        [.add, .subtract], [.multiply, .divide, .remainder],
    ]

    private func binaryOp(at level: Int) -> BinaryOp? {
        for op in Parser.levels[level] {
            if op == .member { if current.isKeyword("in") { return op } }
            else if current.isPunct(op.rawValue) { return op }
        }
        return nil
    }

    private mutating func parseBinary(_ level: Int) -> Expr? {
        if level == Parser.levels.count { return parseUnary() }
        guard var lhs = parseBinary(level + 1) else { return nil }
        // Each operator of a chain (`1 + 1 + 1 ...`) puts the tree one level deeper, and every
        // later stage walks trees recursively: a chain counts as nesting.
        var chained = 0
        defer { depth -= chained }
        while let op = binaryOp(at: level) {
            let loc = advance().location
            guard enter(loc) else { return nil }
            chained += 1
            guard let rhs = parseBinary(level + 1) else { return nil }
            lhs = Expr(.binary(op, lhs, rhs), loc)
        }
        return lhs
    }

    private mutating func parseUnary() -> Expr? {
        let loc = current.location
        guard enter(loc) else { return nil }
        defer { leave() }
        if accept("!") { return parseUnary().map { Expr(.unary(.not, $0), loc) } }
        if accept("-") { return parseUnary().map { Expr(.unary(.negate, $0), loc) } }
        if accept("~") { return parseUnary().map { Expr(.unary(.complement, $0), loc) } }
        if accept("+") { return parseUnary() }
        // `&list` as in kernel code: sets and lists are passed by reference anyway.
        if accept("&") { return parseUnary() }
        return parsePostfix()
    }

    private mutating func parsePostfix() -> Expr? {
        guard var e = parsePrimary() else { return nil }
        // `a[i][j]...` nests like an operator chain.
        var chained = 0
        defer { depth -= chained }
        while true {
            if current.isPunct("[") {
                let loc = advance().location
                guard enter(loc) else { return nil }
                chained += 1
                guard let i = parseExpression() else { return nil }
                if accept("..") {
                    guard let j = parseExpression() else { return nil }
                    guard expect("]", "after slice") else { return nil }
                    e = Expr(.slice(e, i, j), loc)
                } else {
                    guard expect("]", "after index") else { return nil }
                    e = Expr(.index(e, i), loc)
                }
            } else {
                return e
            }
        }
    }

    private mutating func parsePrimary() -> Expr? {
        let t = current
        let loc = t.location
        switch t.kind {
        case .integer(let v):
            advance()
            return Expr(.integer(v), loc)
        case .identifier(let name):
            advance()
            switch name {
            case "true": return Expr(.boolean(true), loc)
            case "false": return Expr(.boolean(false), loc)
            case "NULL": return Expr(.null, loc)
            case "current":
                guard accept("->"), acceptKeyword("flags") else {
                    error(loc, "'current' is only usable as 'current->flags'")
                    return nil
                }
                return Expr(.currentFlags, loc)
            default: break
            }
            if accept("(") {
                var args: [Expr] = []
                while !current.isPunct(")") && !current.isEnd {
                    guard let a = parseExpression() else { return nil }
                    args.append(a)
                    if !accept(",") { break }
                }
                guard expect(")", "to close the call of '\(name)'") else { return nil }
                return Expr(.call(name, args), loc)
            }
            return Expr(.name(name), loc)
        case .punct("("):
            advance()
            guard let e = parseExpression() else { return nil }
            guard expect(")", "to close '('") else { return nil }
            return e
        case .punct("["):
            advance()
            var items: [Expr] = []
            while !current.isPunct("]") && !current.isEnd {
                guard let e = parseExpression() else { return nil }
                items.append(e)
                if !accept(",") { break }
            }
            guard expect("]", "to close the list") else { return nil }
            return Expr(.list(items), loc)
        case .string:
            advance()
            error(loc, "strings are only allowed after 'include'")
            return nil
        case .end:
            error(loc, "unexpected end of file; expected an expression")
            return nil
        default:
            error(loc, "expected an expression, found \(t.described)")
            return nil
        }
    }
}
