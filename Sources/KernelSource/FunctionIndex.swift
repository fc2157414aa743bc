/// A top-level function definition found in a file: `type name(params) { body }`.
public struct FunctionDefinition: Sendable {
    /// The function's name. A `SYSCALL_DEFINEn(name, ...)` definition is named `sys_name`
    /// (`COMPAT_SYSCALL_DEFINEn` gives `compat_sys_name`).
    public let name: String
    /// The file it was read from, as given to the reader (a path relative to the tree's root).
    public let file: String
    /// 1-based line of the definition's first token (`static`, the return type, an attribute).
    public let firstLine: Int
    /// 1-based line of the closing brace (of the last token when the body is cut short).
    public let lastLine: Int
    /// 1-based line of the name.
    public let nameLine: Int
    /// Whether `static` is among the specifiers: the function is visible only in its file
    /// (unless the file is a header).
    public let isStatic: Bool
    /// Whether `inline` (or `__always_inline`, `noinline` excluded) is among the specifiers.
    public let isInline: Bool
    /// The parameters' names, in order (function-pointer parameters included).
    public let parameters: [String]
    /// The tokens from the first token of the definition to the `{` excluded.
    public let headerTokens: ArraySlice<CToken>
    /// The tokens between the body's braces, both excluded.
    public let bodyTokens: ArraySlice<CToken>
    /// False when the closing brace was never found (the body runs to the end of the input) or
    /// was inferred from a `}` in column 1 while braces were still open.
    public let bodyComplete: Bool
    /// True for a function-like macro read as a function (see `MacroAlias`): its body is the
    /// one call its replacement starts with, and it has no tokens.
    public var isMacro: Bool = false

    /// `file:firstLine-lastLine`.
    public var location: String { "\(file):\(firstLine)-\(lastLine)" }
}

/// The function definitions of a set of files, by name.
public struct FunctionIndex: Sendable {
    /// Every definition, in file order within each file, files in the order given.
    public let definitions: [FunctionDefinition]
    private let byName: [String: [Int]]

    public init(_ definitions: [FunctionDefinition]) {
        self.definitions = definitions
        var byName: [String: [Int]] = [:]
        for (k, d) in definitions.enumerated() { byName[d.name, default: []].append(k) }
        self.byName = byName
    }

    /// Every definition named `name`: one usually; more when `#ifdef` branches define it
    /// differently or several files each have a static one.
    public subscript(name: String) -> [FunctionDefinition] {
        (byName[name] ?? []).map { definitions[$0] }
    }

    /// Names of all the functions defined, sorted.
    public var names: [String] { byName.keys.sorted() }

    /// Finds the top-level function definitions in a lexed file.
    ///
    /// A definition is recognised by its shape at brace depth 0: a `{` preceded by a
    /// parenthesised parameter list, itself preceded by a name; attributes and annotations are
    /// tolerated before the type (`static noinline int __init`, `__printf(1, 2)`) and between
    /// the list and the brace (`__releases(&lock)`). Declarations (`;`), initialisers (`= {`),
    /// and `struct`/`enum` bodies are not definitions. If a body's braces do not balance, a `}`
    /// in column 1 ends it (the kernel's style puts only a definition's closing brace there).
    public static func find(in source: LexedSource, file: String) -> [FunctionDefinition] {
        find(in: source.tokens, file: file)
    }

    /// Finds the top-level function definitions in `tokens` (see `find(in:file:)`).
    public static func find(in tokens: [CToken], file: String) -> [FunctionDefinition] {
        var result: [FunctionDefinition] = []
        var statementStart = 0
        var k = 0
        let n = tokens.count
        while k < n {
            let t = tokens[k]
            guard t.kind == .punctuator else {
                k += 1
                continue
            }
            switch t.text {
            case ";", "}":
                statementStart = k + 1
                k += 1
            case "{":
                if let header = Header.parse(tokens, from: statementStart, to: k) {
                    let (close, complete) = bodyEnd(tokens, open: k)
                    let last = close < n ? tokens[close].line : (tokens.last?.line ?? t.line)
                    result.append(FunctionDefinition(
                        name: header.name, file: file,
                        firstLine: tokens[header.start].line, lastLine: last, nameLine: tokens[header.nameIndex].line,
                        isStatic: header.isStatic, isInline: header.isInline, parameters: header.parameters,
                        headerTokens: tokens[header.start..<k],
                        bodyTokens: tokens[(k + 1)..<min(close, n)],
                        bodyComplete: complete))
                    k = close + 1
                    statementStart = k
                } else {
                    // A struct, union or enum body, or an initialiser: skip it whole. No header
                    // of a definition starts before it (the `;` of its statement would be there).
                    k = plainBlockEnd(tokens, open: k) + 1
                    statementStart = k
                }
            default:
                k += 1
            }
        }
        return result
    }

    /// The index of the `}` closing the body opened at `open`, or `tokens.count` if none; a `}`
    /// in column 1 at a deeper level also closes it (with `complete` false).
    static func bodyEnd(_ tokens: [CToken], open: Int) -> (close: Int, complete: Bool) {
        var depth = 0
        var k = open
        while k < tokens.count {
            let t = tokens[k]
            if t.kind == .punctuator {
                if t.text == "{" {
                    depth += 1
                } else if t.text == "}" {
                    depth -= 1
                    if depth == 0 { return (k, true) }
                    if t.column == 1 { return (k, false) }
                }
            }
            k += 1
        }
        return (tokens.count, false)
    }

    /// The index of the `}` closing the block opened at `open`, or the last index.
    static func plainBlockEnd(_ tokens: [CToken], open: Int) -> Int {
        var depth = 0
        var k = open
        while k < tokens.count {
            let t = tokens[k]
            if t.kind == .punctuator {
                if t.text == "{" { depth += 1 } else if t.text == "}" {
                    depth -= 1
                    if depth == 0 { return k }
                }
            }
            k += 1
        }
        return tokens.count - 1
    }
}

/// The header of a definition: what precedes its body's `{`.
struct Header {
    var start: Int
    var nameIndex: Int
    var name: String
    var isStatic: Bool
    var isInline: Bool
    var parameters: [String]

    /// Annotations written like calls around a declaration; their parentheses are not a
    /// parameter list.
    static let attributes: Set<String> = [
        "__attribute__", "__attribute", "__acquires", "__releases", "__must_hold", "__acquire", "__release",
        "__cond_acquires", "__cond_releases", "__acquires_shared", "__releases_shared", "__must_hold_shared",
        "__cond_acquires_shared", "__cond_lock", "__no_context_analysis", "__printf", "__scanf", "__aligned",
        "__section", "__alloc_size", "__realloc_size", "__malloc", "__assume_aligned", "__diagnose_as",
        "__counted_by", "__cleanup", "__access", "__alias", "__copy", "__nonstring", "__designated_init",
        "__deprecated_msg", "__compiletime_error", "__compiletime_warning", "__no_sanitize_or_inline",
        "__diag_ignore", "__must_be_array", "__warn_unused_result", "__preserve_most", "__retain",
    ]

    /// Headers longer than this many tokens are not read as definitions.
    static let maximumLength = 2048

    /// Words followed by parentheses that are never a function's name.
    static let notNames: Set<String> = [
        "if", "while", "for", "switch", "return", "do", "else", "sizeof", "typeof", "__typeof__", "__typeof",
        "_Alignof", "alignof", "__alignof__", "_Static_assert", "static_assert", "asm", "__asm__", "__asm",
        "_Generic", "struct", "union", "enum", "case", "default", "goto",
    ]

    /// Parses tokens[from..<to] (`to` is the `{`) as a function header, or returns nil.
    static func parse(_ tokens: [CToken], from start: Int, to: Int) -> Header? {
        guard to > start, tokens[to - 1].isPunctuator(")") else { return nil }
        // No real header is this long; the bound keeps garbage without `;` from costing
        // quadratic time (a cut group then fails to balance, and that is no definition).
        let from = max(start, to - maximumLength)
        // Parenthesised groups at depth 0, and no `=` there (that would be an initialiser).
        var groups: [(open: Int, close: Int)] = []
        var depth = 0
        var open = -1
        for k in from..<to {
            let t = tokens[k]
            guard t.kind == .punctuator else { continue }
            switch t.text {
            case "(":
                if depth == 0 { open = k }
                depth += 1
            case ")":
                depth -= 1
                if depth < 0 { return nil }
                if depth == 0 { groups.append((open, k)) }
            case "=", "{", "}", ";":
                if depth == 0 { return nil }
            default:
                break
            }
        }
        guard depth == 0 else { return nil }
        // From the last group back: trailing annotations are skipped, the first other group
        // preceded by a name is the parameter list, and only names and annotations may follow it.
        var chosen: (open: Int, close: Int)?
        for g in groups.reversed() {
            guard g.open > from, tokens[g.open - 1].kind == .identifier else { return nil }
            let before = tokens[g.open - 1].text
            if attributes.contains(before) { continue }
            if notNames.contains(before) { return nil }
            chosen = g
            break
        }
        guard let params = chosen else { return nil }
        var k = params.close + 1
        while k < to {
            let t = tokens[k]
            if t.kind == .identifier {
                k += 1
            } else if t.isPunctuator("("), let g = groups.first(where: { $0.open == k }) {
                k = g.close + 1
            } else {
                return nil
            }
        }
        let nameIndex = params.open - 1
        var name = tokens[nameIndex].text
        var parameters: [String] = []
        if let syscall = syscallName(name, tokens, params) {
            name = syscall
        } else {
            parameters = parameterNames(tokens, params)
        }
        // The definition starts with the specifiers and type: names, `*`, annotations.
        var start = nameIndex
        while start > from {
            let t = tokens[start - 1]
            if t.kind == .identifier || t.isPunctuator("*") {
                start -= 1
            } else if t.isPunctuator(")"), let g = groups.first(where: { $0.close == start - 1 }), g.open > from,
                      attributes.contains(tokens[g.open - 1].text) {
                start = g.open - 1
            } else {
                break
            }
        }
        let specifiers = tokens[start..<nameIndex].filter { $0.kind == .identifier }.map(\.text)
        return Header(
            start: start, nameIndex: nameIndex, name: name,
            isStatic: specifiers.contains("static"),
            isInline: specifiers.contains { $0 == "inline" || $0 == "__inline" || $0 == "__inline__" || $0 == "__always_inline" },
            parameters: parameters)
    }

    /// `SYSCALL_DEFINE3(move_pages, ...)` is the definition of `sys_move_pages`.
    static func syscallName(_ macro: String, _ tokens: [CToken], _ params: (open: Int, close: Int)) -> String? {
        let prefix: String
        if macro.hasPrefix("SYSCALL_DEFINE") {
            prefix = "sys_"
        } else if macro.hasPrefix("COMPAT_SYSCALL_DEFINE") {
            prefix = "compat_sys_"
        } else {
            return nil
        }
        guard params.open + 1 < params.close, tokens[params.open + 1].kind == .identifier else { return nil }
        return prefix + tokens[params.open + 1].text
    }

    /// The names of the parameters in the list tokens[params]: the last name of each
    /// comma-separated part before any `[`, or the name of a function-pointer parameter.
    static func parameterNames(_ tokens: [CToken], _ params: (open: Int, close: Int)) -> [String] {
        var names: [String] = []
        var depth = 0
        var last: String?
        var pointerName: String?
        var inArray = false
        var k = params.open + 1
        while k < params.close {
            let t = tokens[k]
            if t.kind == .punctuator {
                switch t.text {
                case "(", "[":
                    if t.text == "[" && depth == 0 { inArray = true }
                    // `void (*put)(struct folio *)`: the name is the one after `(*`.
                    if t.text == "(", depth == 0, k + 2 < params.close, tokens[k + 1].isPunctuator("*"),
                       tokens[k + 2].kind == .identifier {
                        pointerName = tokens[k + 2].text
                    }
                    depth += 1
                case ")", "]":
                    depth -= 1
                case ",":
                    if depth == 0 {
                        if let name = pointerName ?? last { names.append(name) }
                        last = nil
                        pointerName = nil
                        inArray = false
                    }
                default:
                    break
                }
            } else if t.kind == .identifier, depth == 0, !inArray {
                last = t.text
            }
            k += 1
        }
        if let name = pointerName ?? last, name != "void" { names.append(name) }
        return names
    }
}
