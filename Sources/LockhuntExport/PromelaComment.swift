import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration

/// Every comment of the Promela export, and the only code that writes `/*` or `*/` into it.
///
/// Comments carry text from the model: file paths (which hold the names of folders the user may
/// not control), thread, function, folio and local names, the operations as the model wrote
/// them, the policy's name and path, parameters. SPIN runs the C preprocessor over the model
/// and copies `c_code` into `pan.c`, which gcc compiles and `./pan` runs, so text that ended a
/// comment would be code: a folder named `x*` followed by one named ` c_code { ... } ` once
/// put a `c_code` block into an export. `text(_:)` makes any text safe inside a comment, and
/// a test (ExportTests) keeps every other file of the export from writing a comment itself.
public enum PromelaComment {
    /// `/* text */`, on one line.
    public static func line(_ raw: String) -> String { "/* " + text(raw) + " */" }

    /// `/* first line` ... ` * last line */`: a comment of several lines.
    public static func lines(_ raw: [String]) -> String {
        "/* " + raw.map(text).joined(separator: "\n * ") + " */"
    }

    /// The file's header: `/*`, one ` * line` per line (` *` alone for an empty one), ` */`.
    public static func block(_ raw: [String]) -> String {
        "/*\n" + raw.map { $0.isEmpty ? " *" : " * " + text($0) }.joined(separator: "\n") + "\n */"
    }

    /// `raw` as text that can end neither a comment nor a line, in C or in Promela: printable
    /// ASCII only. Every other character (a newline, a carriage return, other control
    /// characters, non-ASCII) and the backslash (which, before a newline, splices lines in the
    /// C preprocessor) become `<U+XXXX>`; `*/` and `/*` get a space between their characters,
    /// and so does `??` (the start of a trigraph, `??/` being a backslash). Safe by
    /// construction: the result holds no `*/`, `/*`, `??`, backslash or line break, whatever
    /// `raw` was.
    public static func text(_ raw: String) -> String {
        var out = ""
        var previous: Unicode.Scalar = " "
        for u in raw.unicodeScalars {
            guard u.value >= 0x20 && u.value <= 0x7E && u != "\\" else {
                let hex = String(u.value, radix: 16, uppercase: true)
                out += "<U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex + ">"
                previous = ">"
                continue
            }
            if (previous == "*" && u == "/") || (previous == "/" && u == "*") || (previous == "?" && u == "?") {
                out += " "
            }
            out.unicodeScalars.append(u)
            previous = u
        }
        return out
    }
}
