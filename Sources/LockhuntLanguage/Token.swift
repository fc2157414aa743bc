import LockhuntBasics

/// A lexical token. Keywords are identifiers; the parser decides by context, which keeps names
/// such as `mode` or `set` usable where the grammar allows.
public struct Token: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case identifier(String)
        case integer(Int64)
        case string(String)
        case punct(String)
        case end
    }

    public var kind: Kind
    public var location: SourceLocation
    /// Byte range in the file, for re-reading raw text (policy names such as `v6.2`).
    public var start: Int
    public var end: Int

    public var identifier: String? {
        if case .identifier(let s) = kind { return s }
        return nil
    }

    public func isPunct(_ p: String) -> Bool {
        if case .punct(let q) = kind { return p == q }
        return false
    }

    public func isKeyword(_ k: String) -> Bool { identifier == k }

    public var isEnd: Bool { kind == .end }

    /// How the token reads in a message: `'foo'`, `integer 3`, `end of file`.
    public var described: String {
        switch kind {
        case .identifier(let s): return "'\(s)'"
        case .integer(let v): return "'\(v)'"
        case .string(let s): return "\"\(s)\""
        case .punct(let p): return "'\(p)'"
        case .end: return "end of file"
        }
    }
}
