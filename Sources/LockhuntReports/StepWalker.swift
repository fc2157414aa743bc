import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration
import LockhuntFindings
import LockhuntTraces
import LockhuntLockOrder
import LockhuntDriver
import LockhuntBench

/// `lockhunt replay TRACE --step`: walks a replayed run forward and backward, showing after each
/// step who holds and who waits for what. Commands are read a line at a time, so it works on a
/// terminal and with commands piped in alike; end of input quits.
public struct StepWalker {
    public let timeline: Timeline
    public let finding: Finding?
    /// How the run ended, shown after the last step (`reached the recorded deadlock: ...`).
    public let ending: String

    public static let help = "commands: n (or Enter) next, p previous, g N go to step N, f first, l last, q quit"

    public init(timeline: Timeline, finding: Finding?, ending: String) {
        self.timeline = timeline
        self.finding = finding
        self.ending = ending
    }

    /// Position k shows the state after k steps (0: the initial state).
    public func screen(_ k: Int) -> String {
        let n = timeline.entries.count
        var out = ""
        if k == 0 {
            out += "start: no step taken (\(n) steps in the trace)\n"
        } else {
            let s = timeline.entries[k - 1].step
            out += "step \(k) of \(n): \(s.thread): \(s.operation) -> \(s.outcome)\n"
            out += "    at \(s.location) in \(s.function)\n"
        }
        let held = k == 0 ? [:] : timeline.entries[k - 1].held
        let waits = k == 0 ? timeline.initialWaits : timeline.entries[k - 1].waits
        out += "  holds:\n"
        if held.isEmpty { out += "    nothing\n" }
        let width = timeline.threads.map(\.count).max() ?? 0
        for (lock, e) in held.sorted(by: { ($0.value.thread, $0.value.step) < ($1.value.thread, $1.value.step) }) {
            out += "    \(Format.pad(timeline.threads[e.thread], width))  \(lock) (since step \(e.step + 1))\n"
        }
        out += "  waits:\n"
        if waits.isEmpty { out += "    nobody\n" }
        for w in waits {
            var line = "    \(Format.pad(timeline.threads[w.thread], width))  \(w.what) at \(w.location)"
            if let l = w.lock, let h = held[l] { line += " (held by \(timeline.threads[h.thread]))" }
            out += line + "\n"
        }
        if k < n {
            let s = timeline.entries[k].step
            out += "  next: \(k + 1)  \(s.thread): \(s.operation) -> \(s.outcome)\n"
        } else {
            out += "  end: \(ending)\n"
        }
        return out
    }

    /// Runs the walk: reads commands with `input` (nil at end of input), writes with `output`.
    public func run(input: () -> String?, output: (String) -> Void) {
        let n = timeline.entries.count
        var k = 0
        output(StepWalker.help + "\n\n" + screen(k))
        while true {
            output("[\(k)/\(n)] > ")
            guard let raw = input() else { output("\n"); return }
            let line = raw.trimmingCharacters(in: .whitespaces)
            let parts = line.split(separator: " ").map(String.init)
            var target = k
            switch parts.first ?? "n" {
            case "n", "next", "": target = k + 1
            case "p", "prev", "previous", "b", "back": target = k - 1
            case "f", "first": target = 0
            case "l", "last": target = n
            case "q", "quit", "exit": return
            case "h", "help", "?": output(StepWalker.help + "\n"); continue
            case "g", "goto":
                guard parts.count == 2, let v = Int(parts[1]) else { output("g needs a step number, 0 to \(n)\n"); continue }
                target = v
            default:
                if let v = Int(parts[0]) { target = v; break }
                output("unknown command '\(line)'; \(StepWalker.help)\n")
                continue
            }
            if target < 0 { output("already at the start\n"); continue }
            if target > n { output(k == n ? "already at the end\n" : "the trace has \(n) steps\n"); continue }
            k = target
            output("\n" + screen(k))
        }
    }
}
