#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What the process is talking to. Colour and progress lines only go to a terminal.
public enum Terminal {
    public static var stderrIsTerminal: Bool { isatty(2) != 0 }
    public static var stdoutIsTerminal: Bool { isatty(1) != 0 }

    /// `text` with every control character but newline and tab written out as `\u{1B}`, so
    /// that bytes from a model or trace (an ESC sequence in a comment, a CR in a thread name of
    /// a trace) can never move the cursor, recolour or rewrite a terminal or a CI log.
    public static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = String.UnicodeScalarView()
        for ch in text.unicodeScalars {
            if isControl(ch) {
                out.append(contentsOf: "\\u{\(String(ch.value, radix: 16, uppercase: true))}".unicodeScalars)
            } else {
                out.append(ch)
            }
        }
        return String(out)
    }

    /// C0 and C1 controls and DEL, but newline and tab.
    static func isControl(_ c: Unicode.Scalar) -> Bool {
        (c.value < 0x20 && c != "\n" && c != "\t") || (0x7F...0x9F).contains(c.value)
    }

    public static func writeStderr(_ text: String) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
    }
}

/// A monotonic clock in seconds, for limits and rates.
public struct Stopwatch: Sendable {
    private let start: Double
    public init() { start = Stopwatch.now() }
    public var elapsed: Double { Stopwatch.now() - start }

    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
