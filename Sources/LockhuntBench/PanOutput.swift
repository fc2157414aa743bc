import Foundation
import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExport
import LockhuntDriver

/// What a run of SPIN's `pan` printed, as far as the benchmark needs it.
public struct PanOutput: Sendable, Equatable {
    public var states: Int?
    public var transitions: Int?
    public var depth: Int?
    public var errors: Int?
    public var seconds: Double?
    /// "total actual memory usage", in bytes.
    public var memoryBytes: Int?
    public var assertionViolated = false
    public var invalidEndState = false
    /// The search stopped early: `-DMEMLIM` reached, depth limit, or "Search not completed".
    public var incomplete = false
    public var memoryLimitReached = false
    public var depthTooSmall = false
    /// pan needs a larger `-DVECTORSZ`: at least this.
    public var vectorSizeNeeded: Int?

    public init(_ text: String) {
        states = PanOutput.number(text, #"([0-9]+) states, stored"#)
        transitions = PanOutput.number(text, #"([0-9]+) transitions \(= stored\+matched\)"#)
        depth = PanOutput.number(text, #"depth reached ([0-9]+)"#)
        errors = PanOutput.number(text, #"errors: ([0-9]+)"#)
        seconds = PanOutput.decimal(text, #"pan: elapsed time ([0-9.e+-]+) seconds"#)
        memoryBytes = PanOutput.decimal(text, #"([0-9.]+)\s+total actual memory usage"#).map { Int($0 * 1_048_576) }
        // Errors are reported as "pan:1: assertion violated ..." or "pan:1: invalid end state";
        // the header's "invalid end states +" only says the check is on.
        assertionViolated = PanOutput.capture(text, #"pan:[0-9]+: (assertion violated)"#) != nil
        invalidEndState = PanOutput.capture(text, #"pan:[0-9]+: (invalid end state)"#) != nil
        memoryLimitReached = text.contains("reached -DMEMLIM bound") || text.contains("out of memory")
        depthTooSmall = text.contains("max search depth too small")
        vectorSizeNeeded = PanOutput.number(text, #"-DVECTORSZ=N with N>([0-9]+)"#)
        incomplete = text.contains("Search not completed") || memoryLimitReached || depthTooSmall
        // With no state stored, pan prints its start time as the elapsed time.
        if states == 0 { seconds = 0 }
    }

    /// lockhunt's name for the verdict: ok, deadlock, violation.
    public var verdict: String {
        if assertionViolated { return "violation" }
        if invalidEndState { return "deadlock" }
        return "ok"
    }

    static func capture(_ text: String, _ pattern: String) -> String? {
        guard let re = try? NSRegularExpression(pattern: pattern),
              let m = re.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
              m.numberOfRanges > 1, let r = Range(m.range(at: 1), in: text) else { return nil }
        return String(text[r])
    }

    static func number(_ text: String, _ pattern: String) -> Int? { capture(text, pattern).flatMap { Int($0) } }
    static func decimal(_ text: String, _ pattern: String) -> Double? { capture(text, pattern).flatMap { Double($0) } }
}
