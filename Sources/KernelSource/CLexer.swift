/// Something the lexer noticed and worked around; never fatal.
public struct LexerNote: Sendable, Hashable, CustomStringConvertible {
    /// 1-based line the note is about (0 when it is about the whole input).
    public let line: Int
    public let message: String

    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }

    public var description: String { line > 0 ? "line \(line): \(message)" : message }
}

/// The tokens of one file, with conditional-compilation branches already reconciled.
public struct LexedSource: Sendable {
    /// The tokens in file order: no comments, no preprocessor lines, nothing of `#if 0` blocks.
    public let tokens: [CToken]
    /// Number of lines of the input (a final line without a newline counts).
    public let lineCount: Int
    /// What was worked around: unterminated comments, unbalanced `#if` branches dropped, etc.
    public let notes: [LexerNote]
    /// False when the input was larger than the limit and was not read at all.
    public let complete: Bool
    /// Function-like macros whose replacement starts with a call, in file order (kept only
    /// from live code: not from `#if 0` blocks).
    public let macroAliases: [MacroAlias]
}

/// A tolerant lexer for kernel C: no preprocessor, no compiler, bytes in, tokens out.
///
/// - Comments (`/* */`, `//` with backslash continuations) are skipped.
/// - String and character literals are single tokens (escapes honoured; an unterminated one ends
///   at the end of its line), so braces or `folio_lock(` inside them are never seen as code.
/// - Preprocessor lines are skipped whole, continuations included. `#if 0` blocks (and the
///   `#else` part of `#if 1`) are skipped entirely. Both branches of any other
///   `#if`/`#ifdef`/`#else`/`#endif` are kept, unless keeping them all would unbalance braces or
///   parentheses: then only the first live branch is kept (see `ConditionalBranches`).
/// - Bytes that are not ASCII (invalid UTF-8 included) and control bytes such as NUL are skipped
///   outside literals; inside literals they are kept, decoded with replacement characters.
///
/// It never traps, and its work is linear in the input: every loop advances. Inputs larger than
/// `maximumInputSize` (16 MiB, four times the largest C file of the kernel) are refused with a
/// note rather than read.
public enum CLexer {
    /// Inputs larger than this many bytes are not read (16 MiB).
    public static let maximumInputSize = 16 << 20
    /// String and character literals longer than this are cut (the token keeps its quotes).
    public static let maximumLiteralLength = 96

    /// Lexes `text` (its UTF-8 bytes).
    public static func lex(_ text: String, limit: Int = maximumInputSize) -> LexedSource {
        lex(Array(text.utf8), limit: limit)
    }

    /// Lexes raw bytes; `limit` caps the input size (default `maximumInputSize`).
    public static func lex(_ bytes: [UInt8], limit: Int = maximumInputSize) -> LexedSource {
        guard bytes.count <= limit else {
            return LexedSource(
                tokens: [], lineCount: 0,
                notes: [LexerNote(line: 0, message: "input of \(bytes.count) bytes is over the limit of \(limit) bytes; not read")],
                complete: false, macroAliases: [])
        }
        var scanner = Scanner(bytes: bytes)
        scanner.run()
        var notes = scanner.notes
        let tokens = ConditionalBranches.reconcile(scanner.tokens, notes: &notes)
        return LexedSource(
            tokens: tokens, lineCount: scanner.lineCount, notes: notes, complete: true, macroAliases: scanner.macroAliases)
    }
}

// MARK: - The scanner

/// Byte values the scanner compares against.
private enum Byte {
    static let newline: UInt8 = 0x0A, carriageReturn: UInt8 = 0x0D, space: UInt8 = 0x20, tab: UInt8 = 0x09
    static let verticalTab: UInt8 = 0x0B, formFeed: UInt8 = 0x0C
    static let slash: UInt8 = 0x2F, star: UInt8 = 0x2A, backslash: UInt8 = 0x5C, hash: UInt8 = 0x23
    static let doubleQuote: UInt8 = 0x22, singleQuote: UInt8 = 0x27, dot: UInt8 = 0x2E
    static let underscore: UInt8 = 0x5F, dollar: UInt8 = 0x24, plus: UInt8 = 0x2B, minus: UInt8 = 0x2D
    static let zero: UInt8 = 0x30, nine: UInt8 = 0x39

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= zero && c <= nine }
    @inline(__always) static func isLetter(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == underscore || c == dollar
    }
    @inline(__always) static func isIdentifierByte(_ c: UInt8) -> Bool { isLetter(c) || isDigit(c) }
    /// Horizontal white space, and NUL and the other control bytes that C never uses.
    @inline(__always) static func isBlank(_ c: UInt8) -> Bool {
        c == space || c == tab || c == carriageReturn || c == verticalTab || c == formFeed || (c < 0x20 && c != newline)
            || c == 0x7F
    }
}

/// Kinds of open conditional groups, to know what an `#else` means.
private enum OpenGroup {
    /// `#if 1`: its `#else`/`#elif` branches are dead.
    case alwaysTrue
    /// Any other condition: all branches live.
    case unknown
}

/// What ended a skipped (dead) region.
private enum DeadRegionEnd {
    case endif, elseBranch, endOfInput
}

private struct Scanner {
    let bytes: [UInt8]
    var i = 0
    var line = 1
    /// Index of the first byte of the current physical line, for columns.
    var lineStart = 0
    /// Only blanks (and splices) since the last newline: a `#` here starts a directive.
    var atLineStart = true
    var tokens: [CToken] = []
    var notes: [LexerNote] = []
    var groups: [OpenGroup] = []
    var macroAliases: [MacroAlias] = []

    init(bytes: [UInt8]) {
        self.bytes = bytes
        tokens.reserveCapacity(bytes.count / 5)
    }

    var lineCount: Int {
        // A last line without a final newline still counts; an empty input has no lines.
        if bytes.isEmpty { return 0 }
        return bytes.last == Byte.newline ? line - 1 : line
    }

    @inline(__always) func byte(at k: Int) -> UInt8? { k < bytes.count ? bytes[k] : nil }

    /// Consumes the newline at `i`.
    @inline(__always) mutating func takeNewline() {
        i += 1
        line += 1
        lineStart = i
    }

    /// If a backslash-newline (or backslash-CR-LF) starts at `i`, consumes it and returns true.
    @inline(__always) mutating func takeSplice() -> Bool {
        guard i < bytes.count, bytes[i] == Byte.backslash else { return false }
        if byte(at: i + 1) == Byte.newline {
            i += 1
            takeNewline()
            return true
        }
        if byte(at: i + 1) == Byte.carriageReturn, byte(at: i + 2) == Byte.newline {
            i += 2
            takeNewline()
            return true
        }
        return false
    }

    mutating func emit(_ kind: CToken.Kind, from start: Int, line startLine: Int, column: Int) {
        var end = i
        var cut = false
        if (kind == .string || kind == .character), end - start > CLexer.maximumLiteralLength {
            end = start + CLexer.maximumLiteralLength
            cut = true
        }
        var text = String(decoding: bytes[start..<end], as: UTF8.self)
        if cut { text += kind == .string ? "…\"" : "…'" }
        tokens.append(CToken(kind: kind, text: text, line: startLine, column: column))
    }

    mutating func emitDirective(_ text: String) {
        tokens.append(CToken(kind: .directive, text: text, line: line, column: 1))
    }

    mutating func run() {
        let n = bytes.count
        while i < n {
            let c = bytes[i]
            if c == Byte.newline {
                takeNewline()
                atLineStart = true
                continue
            }
            if Byte.isBlank(c) || c >= 0x80 {
                i += 1
                continue
            }
            if c == Byte.backslash {
                if !takeSplice() { i += 1 }
                continue
            }
            if c == Byte.slash, let next = byte(at: i + 1), next == Byte.star || next == Byte.slash {
                if next == Byte.star { skipBlockComment() } else { skipLineComment() }
                continue
            }
            if c == Byte.hash, atLineStart {
                directive()
                continue
            }
            atLineStart = false
            let start = i, startLine = line, column = i - lineStart + 1
            if c == Byte.doubleQuote || c == Byte.singleQuote {
                skipLiteral(quote: c)
                emit(c == Byte.doubleQuote ? .string : .character, from: start, line: startLine, column: column)
            } else if Byte.isLetter(c) {
                i += 1
                while i < n, Byte.isIdentifierByte(bytes[i]) { i += 1 }
                emit(.identifier, from: start, line: startLine, column: column)
            } else if Byte.isDigit(c) || (c == Byte.dot && byte(at: i + 1).map(Byte.isDigit) == true) {
                skipNumber()
                emit(.number, from: start, line: startLine, column: column)
            } else {
                i += punctuatorLength(at: i)
                emit(.punctuator, from: start, line: startLine, column: column)
            }
        }
        if !groups.isEmpty {
            notes.append(LexerNote(line: line, message: "\(groups.count) conditional group(s) not closed by #endif at the end of the input"))
        }
    }

    /// At `/*`: skips to just after `*/`, or to the end of the input.
    mutating func skipBlockComment() {
        let startLine = line
        i += 2
        let n = bytes.count
        while i < n {
            let c = bytes[i]
            if c == Byte.star, byte(at: i + 1) == Byte.slash {
                i += 2
                return
            }
            if c == Byte.newline { takeNewline() } else { i += 1 }
        }
        notes.append(LexerNote(line: startLine, message: "comment not closed before the end of the input"))
    }

    /// At `//`: skips to the end of the line (a backslash before the newline continues it),
    /// leaving the newline itself.
    mutating func skipLineComment() {
        i += 2
        let n = bytes.count
        while i < n {
            if takeSplice() { continue }
            if bytes[i] == Byte.newline { return }
            i += 1
        }
    }

    /// At a quote: skips the literal, escapes included. An unterminated literal ends before the
    /// newline, as a compiler would complain there and we prefer to carry on.
    mutating func skipLiteral(quote: UInt8) {
        i += 1
        let n = bytes.count
        while i < n {
            let c = bytes[i]
            if c == Byte.backslash {
                if takeSplice() { continue }
                i += min(2, n - i)
                continue
            }
            if c == quote {
                i += 1
                return
            }
            if c == Byte.newline { return }
            i += 1
        }
    }

    /// At a digit (or `.digit`): a preprocessing number, `1e+5` and `0x1fUL` included.
    mutating func skipNumber() {
        let n = bytes.count
        i += 1
        while i < n {
            let c = bytes[i]
            if Byte.isIdentifierByte(c) || c == Byte.dot {
                i += 1
            } else if (c == Byte.plus || c == Byte.minus), i > 0,
                      [0x65, 0x45, 0x70, 0x50].contains(bytes[i - 1]) {  // e E p P
                i += 1
            } else {
                break
            }
        }
    }

    private static let threeByte: [[UInt8]] = ["...", "<<=", ">>="].map { Array($0.utf8) }
    private static let twoByte: Set<UInt16> = Set(
        ["->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "*=", "/=", "%=", "+=", "-=",
         "&=", "^=", "|=", "##"].map { s in let b = Array(s.utf8); return UInt16(b[0]) << 8 | UInt16(b[1]) })

    func punctuatorLength(at k: Int) -> Int {
        if k + 2 < bytes.count {
            for p in Scanner.threeByte where bytes[k] == p[0] && bytes[k + 1] == p[1] && bytes[k + 2] == p[2] {
                return 3
            }
        }
        if k + 1 < bytes.count, Scanner.twoByte.contains(UInt16(bytes[k]) << 8 | UInt16(bytes[k + 1])) {
            return 2
        }
        return 1
    }

    // MARK: Preprocessor lines

    /// At a `#` that starts a line: reads the directive's name, skips the rest of the logical
    /// line, and handles conditional groups.
    mutating func directive() {
        let directiveLine = line
        i += 1
        skipBlanksInDirective()
        let nameStart = i
        while i < bytes.count, Byte.isIdentifierByte(bytes[i]) { i += 1 }
        let name = String(decoding: bytes[nameStart..<i], as: UTF8.self)
        let restStart = i
        let rest = skipDirectiveRest()
        switch name {
        case "define":
            if let alias = MacroAlias.parse(bytes[restStart..<i], line: directiveLine) { macroAliases.append(alias) }
        case "if", "ifdef", "ifndef":
            let condition = name == "if" ? rest : ""
            if condition == "0" || condition == "(0)" {
                emitDirective("if-dead")
                switch skipDeadRegion() {
                case .endif:
                    emitDirective("endif")
                case .elseBranch:
                    emitDirective("else")
                    groups.append(.unknown)
                case .endOfInput:
                    notes.append(LexerNote(line: directiveLine, message: "#if 0 not closed before the end of the input"))
                }
            } else {
                emitDirective("if")
                groups.append(condition == "1" || condition == "(1)" ? .alwaysTrue : .unknown)
            }
        case "else", "elif", "elifdef", "elifndef":
            guard let top = groups.last else {
                notes.append(LexerNote(line: directiveLine, message: "#\(name) without #if; ignored"))
                return
            }
            if case .alwaysTrue = top {
                // Every later branch of `#if 1` is dead: skip to its #endif.
                emitDirective("else-dead")
                while true {
                    let end = skipDeadRegion()
                    if end == .endif {
                        groups.removeLast()
                        emitDirective("endif")
                        break
                    }
                    if end == .endOfInput { break }
                }
            } else {
                emitDirective("else")
            }
        case "endif":
            if groups.isEmpty {
                notes.append(LexerNote(line: directiveLine, message: "#endif without #if; ignored"))
                return
            }
            groups.removeLast()
            emitDirective("endif")
        default:
            break  // #define, #include, #undef, #error, #pragma, line markers: nothing to keep.
        }
        atLineStart = false
    }

    mutating func skipBlanksInDirective() {
        while i < bytes.count {
            if takeSplice() { continue }
            let c = bytes[i]
            guard c != Byte.newline, Byte.isBlank(c) else { return }
            i += 1
        }
    }

    /// Skips to the end of the logical line (comments may cross lines, continuations join them),
    /// leaving the final newline; returns the line's text without blanks or comments, cut short,
    /// which is all that `#if 0` detection needs.
    @discardableResult
    mutating func skipDirectiveRest() -> String {
        var kept: [UInt8] = []
        let n = bytes.count
        while i < n {
            if takeSplice() { continue }
            let c = bytes[i]
            if c == Byte.newline { break }
            if c == Byte.slash, byte(at: i + 1) == Byte.star {
                skipBlockComment()
                continue
            }
            if c == Byte.slash, byte(at: i + 1) == Byte.slash {
                skipLineComment()
                continue
            }
            if c == Byte.doubleQuote || c == Byte.singleQuote {
                // A literal in a #define or #include may hold `/*` or a quote; skip it whole.
                skipLiteral(quote: c)
                if kept.count < 16 { kept.append(c) }
                continue
            }
            if !Byte.isBlank(c), kept.count < 16 { kept.append(c) }
            i += 1
        }
        return String(decoding: kept, as: UTF8.self)
    }

    /// Skips a dead region (after `#if 0`, or after the `#else` of `#if 1`): lines are skipped
    /// with their comments (a comment may hide an `#endif`), nested groups are counted, and the
    /// region ends at the `#endif`, `#else` or `#elif` of its own group.
    mutating func skipDeadRegion() -> DeadRegionEnd {
        var depth = 0
        let n = bytes.count
        while i < n {
            // At a newline or in the middle of the directive's line: go to the next line start.
            if bytes[i] == Byte.newline {
                takeNewline()
            } else {
                skipDeadLineRest()
                continue
            }
            while i < n {
                if takeSplice() { continue }
                guard bytes[i] != Byte.newline, Byte.isBlank(bytes[i]) else { break }
                i += 1
            }
            guard i < n, bytes[i] == Byte.hash else { continue }
            i += 1
            skipBlanksInDirective()
            let nameStart = i
            while i < n, Byte.isIdentifierByte(bytes[i]) { i += 1 }
            let name = String(decoding: bytes[nameStart..<i], as: UTF8.self)
            skipDirectiveRest()
            switch name {
            case "if", "ifdef", "ifndef":
                depth += 1
            case "endif":
                if depth == 0 { return .endif }
                depth -= 1
            case "else", "elif", "elifdef", "elifndef":
                if depth == 0 { return .elseBranch }
            default:
                break
            }
        }
        return .endOfInput
    }

    /// Skips the rest of a dead line up to its newline; block comments may run over lines.
    mutating func skipDeadLineRest() {
        let n = bytes.count
        while i < n {
            if takeSplice() { continue }
            let c = bytes[i]
            if c == Byte.newline { return }
            if c == Byte.slash, byte(at: i + 1) == Byte.star {
                skipBlockComment()
                continue
            }
            if c == Byte.slash, byte(at: i + 1) == Byte.slash {
                skipLineComment()
                continue
            }
            i += 1
        }
    }
}
