/// One token of kernel C, as the tolerant reader sees it after comments, literals' insides and
/// preprocessor lines are dealt with.
///
/// Lines and columns are 1-based and count the bytes of the original file, so that a report can
/// point at `mm/migrate.c:1252` and a reader can open the file there.
public struct CToken: Sendable, Hashable {
    /// What a token is; the reader only needs a coarse classification.
    public enum Kind: UInt8, Sendable, Hashable {
        /// A name or keyword: `[A-Za-z_$][A-Za-z0-9_$]*`.
        case identifier
        /// A number in any C spelling (`0x1f`, `1UL`, `2.5e-3`).
        case number
        /// A string literal, kept with its quotes (cut to a bounded length).
        case string
        /// A character literal, kept with its quotes.
        case character
        /// An operator or punctuation, longest match first (`->`, `==`, `...`, `{`).
        case punctuator
        /// A conditional preprocessor directive (`if`, `else`, `endif`), used only inside the
        /// lexer to keep braces balanced; never present in a `LexedSource`'s tokens.
        case directive
    }

    public let kind: Kind
    /// The token's spelling; invalid UTF-8 is replaced by U+FFFD.
    public let text: String
    /// 1-based line of the token's first byte in the original file.
    public let line: Int
    /// 1-based byte column of the token's first byte on its line.
    public let column: Int

    public init(kind: Kind, text: String, line: Int, column: Int) {
        self.kind = kind
        self.text = text
        self.line = line
        self.column = column
    }

    /// Whether this is the punctuator `p`.
    @inlinable
    public func isPunctuator(_ p: String) -> Bool { kind == .punctuator && text == p }

    /// Whether this is the identifier (or keyword) `name`.
    @inlinable
    public func isIdentifier(_ name: String) -> Bool { kind == .identifier && text == name }
}
