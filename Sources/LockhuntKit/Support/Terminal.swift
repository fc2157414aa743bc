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
