/// A function-like macro whose replacement starts with a call:
/// `#define split_folio_to_list(f, l) split_folio_to_list_to_order(f, l, 0)`.
///
/// The reader expands no macros, but a call to such a macro is followed to its target as if the
/// macro were a function with that one call, so that wrappers spelled as macros do not hide
/// what they lead to. Other macros (statement macros, `do { … } while (0)`) are not read.
public struct MacroAlias: Sendable, Hashable {
    public let name: String
    public let parameters: [String]
    /// The function (or macro) called first by the replacement.
    public let target: String
    /// The texts of that call's arguments, as written in the macro.
    public let arguments: [String]
    /// 1-based line of the `#define`.
    public let line: Int

    /// Replacements that start with these words are no call.
    static let notTargets: Set<String> = ["do", "while", "if", "for", "switch", "sizeof", "typeof", "__typeof__", "return", "_Generic",
                                          "__builtin_choose_expr", "__builtin_constant_p"]

    /// Reads the text after `#define` (continuations still in it), or nil when it is not a
    /// function-like macro whose replacement starts with a call.
    static func parse(_ text: ArraySlice<UInt8>, line: Int) -> MacroAlias? {
        // Continuations are blanks here; a comment ends what is read.
        var b: [UInt8] = []
        b.reserveCapacity(min(text.count, 512))
        var k = text.startIndex
        while k < text.endIndex, b.count < 512 {
            let c = text[k]
            if c == 0x5C { k += 1; continue }                      // backslash
            if c == 0x2F, k + 1 < text.endIndex, text[k + 1] == 0x2A || text[k + 1] == 0x2F { break }
            b.append(c == 0x0A || c == 0x0D || c == 0x09 ? 0x20 : c)
            k += 1
        }
        var j = 0
        func skipBlanks() { while j < b.count, b[j] == 0x20 { j += 1 } }
        func identifier() -> String? {
            let start = j
            while j < b.count, isIdentifierByte(b[j]), !(j == start && b[j] >= 0x30 && b[j] <= 0x39) { j += 1 }
            return j > start ? String(decoding: b[start..<j], as: UTF8.self) : nil
        }
        skipBlanks()
        guard let name = identifier(), j < b.count, b[j] == 0x28 else { return nil }  // `(` right after the name
        j += 1
        guard let close = b[j...].firstIndex(of: 0x29) else { return nil }
        let parameters = String(decoding: b[j..<close], as: UTF8.self).split(separator: ",")
            .map { $0.trimmingBlanks() }.filter { !$0.isEmpty }
        j = close + 1
        skipBlanks()
        guard let target = identifier(), !notTargets.contains(target), target != name else { return nil }
        skipBlanks()
        guard j < b.count, b[j] == 0x28 else { return nil }
        // The call's arguments, split at commas outside brackets.
        var arguments: [String] = []
        var depth = 0
        var start = j + 1
        var m = j
        while m < b.count {
            switch b[m] {
            case 0x28, 0x5B, 0x7B: depth += 1
            case 0x29, 0x5D, 0x7D:
                depth -= 1
                if depth == 0 {
                    let last = String(decoding: b[start..<m], as: UTF8.self).trimmingBlanks()
                    if !last.isEmpty || !arguments.isEmpty { arguments.append(last) }
                    return MacroAlias(name: name, parameters: parameters, target: target, arguments: arguments, line: line)
                }
            case 0x2C:
                if depth == 1 {
                    arguments.append(String(decoding: b[start..<m], as: UTF8.self).trimmingBlanks())
                    start = m + 1
                }
            default: break
            }
            m += 1
        }
        return nil
    }

    private static func isIdentifierByte(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x5F
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, inner runs of spaces made one.
    func trimmingBlanks() -> String {
        split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }
}
