import LockhuntBasics

/// Turns the bytes of one file into tokens. Never fails: bad bytes become diagnostics and are
/// skipped, so the parser can still report what follows.
public struct Lexer {
    private let file: SourceFile
    private let bytes: [UInt8]
    private var pos = 0
    private let diagnostics: DiagnosticEngine

    public init(file: SourceFile, diagnostics: DiagnosticEngine) {
        self.file = file
        self.bytes = file.bytes
        self.diagnostics = diagnostics
    }

    /// Longest match first.
    private static let puncts: [String] = [
        "<<=", ">>=", "...",
        "->", "++", "--", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "==", "!=", "<=", ">=",
        "&&", "||", "<<", ">>", "..",
        "{", "}", "(", ")", "[", "]", ";", ",", ":", "?", "=", "+", "-", "*", "/", "%", "&", "|",
        "^", "!", "~", "<", ">", ".", "#",
    ].sorted { $0.count > $1.count }
    /// The same as bytes, so that matching allocates nothing (hostile files can hold millions
    /// of tokens).
    private static let punctBytes: [(text: String, bytes: [UInt8])] = puncts.map { ($0, Array($0.utf8)) }

    public mutating func tokenize() -> [Token] {
        var tokens: [Token] = []
        if !validUTF8() { return [Token(kind: .end, location: location(0), start: 0, end: 0)] }
        while true {
            skipTrivia()
            guard pos < bytes.count else {
                tokens.append(Token(kind: .end, location: location(bytes.count), start: pos, end: pos))
                return tokens
            }
            if let t = next() { tokens.append(t) }
        }
    }

    private func location(_ offset: Int) -> SourceLocation {
        let (line, column) = file.lineColumn(of: offset)
        return SourceLocation(file: file.id, line: line, column: column)
    }

    /// Rejects a file that is not UTF-8 up front: the first bad byte is reported, nothing else,
    /// since everything after it would be noise.
    private func validUTF8() -> Bool {
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            var need = 0
            if b < 0x80 { i += 1; continue }
            else if b & 0xE0 == 0xC0 && b >= 0xC2 { need = 1 }
            else if b & 0xF0 == 0xE0 { need = 2 }
            else if b & 0xF8 == 0xF0 && b <= 0xF4 { need = 3 }
            else {
                diagnostics.error(location(i), "invalid UTF-8 byte 0x\(String(b, radix: 16)); model files must be UTF-8 text")
                return false
            }
            // Look at the continuation bytes that are there before calling it truncated.
            for k in 1...need where i + k < bytes.count && bytes[i + k] & 0xC0 != 0x80 {
                diagnostics.error(location(i), "invalid UTF-8 byte 0x\(String(b, radix: 16)); model files must be UTF-8 text")
                return false
            }
            if i + need >= bytes.count {
                diagnostics.error(location(i), "truncated UTF-8 sequence at end of file")
                return false
            }
            i += need + 1
        }
        if bytes.contains(0) {
            let at = bytes.firstIndex(of: 0)!
            diagnostics.error(location(at), "NUL byte in model file; is this a binary file?")
            return false
        }
        return true
    }

    private mutating func skipTrivia() {
        while pos < bytes.count {
            let b = bytes[pos]
            if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0C || b == 0x0B {
                pos += 1
            } else if b == 0x2F, pos + 1 < bytes.count, bytes[pos + 1] == 0x2F {
                while pos < bytes.count, bytes[pos] != 0x0A { pos += 1 }
            } else if b == 0x2F, pos + 1 < bytes.count, bytes[pos + 1] == 0x2A {
                let start = pos
                pos += 2
                var closed = false
                while pos + 1 < bytes.count {
                    if bytes[pos] == 0x2A, bytes[pos + 1] == 0x2F { pos += 2; closed = true; break }
                    pos += 1
                }
                if !closed {
                    pos = bytes.count
                    diagnostics.error(location(start), "unterminated comment; '/*' has no matching '*/'")
                }
            } else {
                return
            }
        }
    }

    private static func isIdentStart(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
    }

    private static func isIdentBody(_ b: UInt8) -> Bool { isIdentStart(b) || (b >= 0x30 && b <= 0x39) }

    private mutating func next() -> Token? {
        let start = pos
        let b = bytes[pos]
        let loc = location(start)
        if Lexer.isIdentStart(b) {
            while pos < bytes.count, Lexer.isIdentBody(bytes[pos]) { pos += 1 }
            let name = String(decoding: bytes[start..<pos], as: UTF8.self)
            return Token(kind: .identifier(name), location: loc, start: start, end: pos)
        }
        if b >= 0x30 && b <= 0x39 { return number(start, loc) }
        if b == 0x22 { return string(start, loc) }
        for (p, u) in Lexer.punctBytes where pos + u.count <= bytes.count {
            var same = true
            for k in 0..<u.count where bytes[pos + k] != u[k] { same = false; break }
            if same {
                pos += u.count
                return Token(kind: .punct(p), location: loc, start: start, end: pos)
            }
        }
        // Anything else: one (possibly multi-byte) character that has no meaning here.
        var end = pos + 1
        while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
        let ch = String(decoding: bytes[pos..<end], as: UTF8.self)
        pos = end
        let shown = b < 0x20 || b == 0x7F ? "byte 0x\(String(b, radix: 16))" : "character '\(ch)'"
        diagnostics.error(loc, "unexpected \(shown)")
        return nil
    }

    private mutating func number(_ start: Int, _ loc: SourceLocation) -> Token {
        var radix: Int64 = 10
        if bytes[pos] == 0x30, pos + 1 < bytes.count, bytes[pos + 1] | 0x20 == 0x78 {
            radix = 16
            pos += 2
        }
        var value: Int64 = 0
        var overflow = false
        var digits = 0
        while pos < bytes.count {
            let c = bytes[pos]
            var d: Int64
            if c >= 0x30 && c <= 0x39 { d = Int64(c - 0x30) }
            else if radix == 16, (c | 0x20) >= 0x61, (c | 0x20) <= 0x66 { d = Int64((c | 0x20) - 0x61 + 10) }
            else if Lexer.isIdentBody(c) {
                // 12abc: a number glued to letters.
                while pos < bytes.count, Lexer.isIdentBody(bytes[pos]) { pos += 1 }
                diagnostics.error(loc, "invalid number '\(String(decoding: bytes[start..<pos], as: UTF8.self))'")
                return Token(kind: .integer(0), location: loc, start: start, end: pos)
            } else { break }
            if d >= radix { break }
            let (m, o1) = value.multipliedReportingOverflow(by: radix)
            let (s, o2) = m.addingReportingOverflow(d)
            if o1 || o2 { overflow = true } else { value = s }
            digits += 1
            pos += 1
        }
        if digits == 0 {
            diagnostics.error(loc, "hexadecimal number has no digits")
        } else if overflow {
            diagnostics.error(loc, "integer literal '\(String(decoding: bytes[start..<pos], as: UTF8.self))' is too large")
            value = 0
        }
        return Token(kind: .integer(value), location: loc, start: start, end: pos)
    }

    private mutating func string(_ start: Int, _ loc: SourceLocation) -> Token {
        pos += 1
        var chars: [UInt8] = []
        while pos < bytes.count, bytes[pos] != 0x22, bytes[pos] != 0x0A {
            if bytes[pos] == 0x5C, pos + 1 < bytes.count, bytes[pos + 1] != 0x0A {
                chars.append(bytes[pos + 1])
                pos += 2
            } else {
                chars.append(bytes[pos])
                pos += 1
            }
        }
        if pos < bytes.count, bytes[pos] == 0x22 {
            pos += 1
        } else {
            diagnostics.error(loc, "unterminated string literal")
        }
        return Token(kind: .string(String(decoding: chars, as: UTF8.self)), location: loc, start: start, end: pos)
    }
}
