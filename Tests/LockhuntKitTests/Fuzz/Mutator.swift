import Foundation

/// Hostile inputs from a seed: random bytes, truncations and mutations of valid files, deep
/// nesting, huge numbers and invalid UTF-8. The same seed always gives the same inputs.
struct Mutator {
    private var rng: ModelGenerator

    init(seed: UInt64) { rng = ModelGenerator(seed: seed) }

    mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : rng.below(n) }
    mutating func chance(_ percent: Int) -> Bool { rng.chance(percent) }

    /// Pieces that reach deep into a parser: keywords, punctuation, numbers at and past every
    /// limit, broken encodings.
    static let dictionary: [[UInt8]] = {
        let words = [
            "thread", "folio", "buffer", "shared", "param", "const", "enum", "include", "#include", "override", "__weak",
            "expect", "deadlock", "violation", "ok", "under", "int", "bool", "list", "set", "void", "struct folio *",
            "if", "else", "for", "in", "switch", "case", "default:", "break;", "continue;", "return", "goto", "either", "or",
            "wait_event", "assert", "BUG_ON", "folio_lock", "folio_unlock", "lock_buffer", "folio_trylock", "migrate_pages",
            "current->flags", "NULL", "true", "false", "{", "}", "(", ")", "[", "]", ";", ",", "=", "==", "->", "..", "+=",
            "&&", "||", "!", "~", "<<", ">>", "?", ":", "/*", "*/", "//", "\"", "\\", "\n", "\t", " ",
            "0", "-1", "32767", "32768", "-32769", "65535", "2147483647", "2147483648", "4294967296", "9223372036854775807",
            "9223372036854775808", "18446744073709551616", "99999999999999999999999999999999", "0x", "0xFFFFFFFFFFFFFFFFFF",
            "1e9", "4096", "4097", "64", "65", "2000000", "step 1: ", "verdict: ", "root: ", "model: ", "# lockhunt trace 1",
            "steps: 99999999999999999999", "param: N=", "blocked: ", "violation: ", " -> ", " @ ", " in ",
        ]
        var out = words.map { Array($0.utf8) }
        // Invalid UTF-8: a stray continuation byte, an overlong NUL, a truncated sequence, a
        // surrogate, bytes that never occur, and NUL itself.
        out += [[0x80], [0xC0, 0x80], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xFF], [0xFE, 0xFF], [0x00], [0xF4, 0x90, 0x80, 0x80]]
        return out
    }()

    mutating func token() -> [UInt8] { Mutator.dictionary[below(Mutator.dictionary.count)] }

    /// Random bytes, mostly text-like.
    mutating func randomBytes() -> [UInt8] {
        var out: [UInt8] = []
        let n = below(400)
        while out.count < n {
            switch below(10) {
            case 0...4: out.append(UInt8(32 + below(95)))
            case 5...7: out += token()
            case 8: out.append(UInt8(below(256)))
            default: out.append(10)
            }
        }
        return out
    }

    /// One to four edits of `seed` (and maybe a splice with `other`).
    mutating func mutate(_ seed: [UInt8], other: [UInt8]) -> [UInt8] {
        var b = seed
        for _ in 0..<(1 + below(4)) {
            let i = below(b.count + 1)
            switch below(10) {
            case 8: b = swapNumber(b)
            case 9: b = swapIdentifier(b)
            case 0: if !b.isEmpty { b[min(i, b.count - 1)] = UInt8(below(256)) }
            case 1, 2: b.insert(contentsOf: token(), at: i)
            case 3:
                let n = below(min(64, b.count - i) + 1)
                b.removeSubrange(i..<(i + n))
            case 4:
                let n = below(min(200, b.count - i) + 1)
                b.insert(contentsOf: Array(b[i..<(i + n)]), at: i)
            case 5: b = Array(b[..<i])
            case 6: b = Array(b[..<i]) + Array(other[below(other.count + 1)...])
            default:
                // A whole line swapped for another.
                let lines = b.split(separator: 10, omittingEmptySubsequences: false)
                guard lines.count > 1 else { continue }
                var l = lines.map(Array.init)
                l.swapAt(below(l.count), below(l.count))
                b = Array(l.joined(separator: [10]))
            }
        }
        return b
    }

    /// Runs of bytes of one class (digits, or identifier characters starting with a letter).
    private func runs(_ b: [UInt8], digits: Bool) -> [Range<Int>] {
        func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        func isIdent(_ c: UInt8) -> Bool { isDigit(c) || c == 0x5F || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A) }
        var out: [Range<Int>] = []
        var i = 0
        while i < b.count {
            if digits ? isDigit(b[i]) : (isIdent(b[i]) && !isDigit(b[i])) {
                var j = i
                while j < b.count && (digits ? isDigit(b[j]) : isIdent(b[j])) { j += 1 }
                out.append(i..<j)
                i = j
            } else {
                i += 1
            }
        }
        return out
    }

    /// A number swapped for one at or past a limit: array sizes, loop bounds, widths.
    mutating func swapNumber(_ b: [UInt8]) -> [UInt8] {
        let r = runs(b, digits: true)
        guard !r.isEmpty else { return b }
        let values = ["0", "1", "2", "63", "64", "65", "200", "201", "4096", "4097", "32767", "32768", "65536",
                      "2147483648", "9223372036854775807", "99999999999999999999"]
        var out = b
        out.replaceSubrange(r[below(r.count)], with: Array(values[below(values.count)].utf8))
        return out
    }

    /// An identifier swapped for another of the same file: wrong types, wrong kinds of names.
    mutating func swapIdentifier(_ b: [UInt8]) -> [UInt8] {
        let r = runs(b, digits: false)
        guard r.count > 1 else { return b }
        var out = b
        let name = Array(b[r[below(r.count)]])
        out.replaceSubrange(r[below(r.count)], with: name)
        return out
    }

    /// Inputs built to break recursion and limits: deep nesting, long chains, huge numbers.
    mutating func extreme() -> [UInt8] {
        let depth = [150, 199, 200, 201, 1_000, 5_000, 30_000][below(7)]
        let text: String
        switch below(12) {
        case 0: text = "thread t {" + String(repeating: "{", count: depth) + String(repeating: "}", count: depth) + "}\n"
        case 1: text = "thread t { int x = " + String(repeating: "(", count: depth) + "1" + String(repeating: ")", count: depth) + "; }\n"
        case 2: text = "shared int x;\nthread t { " + String(repeating: "if (x) ", count: depth) + "x = 1; }\n"
        case 3: text = "thread t { " + String(repeating: "either { ", count: depth) + String(repeating: "} or { }", count: depth) + " }\n"
        case 4: text = "thread t { int x = " + String(repeating: "-", count: depth) + "1; }\n"
        case 5: text = "thread t { int x = 1" + String(repeating: " + 1", count: depth) + "; }\n"
        case 6: text = "thread t { int x = " + String(repeating: "!", count: depth) + "1; }\n"
        case 7: text = "thread t { int x = " + String(repeating: "9", count: depth) + "; }\n"
        case 8: text = "param N = \(["4097", "100000000000", "-1", "0", "2000001"][below(5)]);\nfolio P[N];\nthread t { for (int i = 0; i < N; i++) folio_lock(P[i]); }\n"
        case 9: text = String(repeating: "thread t\(below(1000)) { }\n", count: min(depth, 2_000))
        case 10:
            var s = ""
            for k in 0..<min(depth, 300) { s += "int f\(k)(int x) { return f\(k + 1)(x) + 1; }\n" }
            text = s + "int f\(min(depth, 300))(int x) { return x; }\nthread t { int y = f0(1); }\n"
        default: text = "thread t { int x = 1 ? 2 : " + String(repeating: "1 ? 2 : ", count: depth) + "3; }\n"
        }
        return Array(text.utf8)
    }
}
