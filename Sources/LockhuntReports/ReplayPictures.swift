import Foundation
import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration
import LockhuntFindings
import LockhuntTraces
import LockhuntLockOrder
import LockhuntDriver
import LockhuntBench

/// What the SVG and DOT outputs of `lockhunt replay` share: the title and how they are written.
public enum ReplayPictures {
    /// `loop-bh under policy v5: deadlock of loop_worker and kcompactd`.
    public static func title(_ r: Replayer.Result) -> String {
        var title = r.program.map { p in p.policy.map { "\(p.scenario) under policy \($0.name)" } ?? p.scenario } ?? "trace"
        switch r.finding?.kind {
        case .deadlock(let tasks)?:
            let names = r.finding!.cycle.isEmpty ? tasks.map(\.thread) : r.finding!.cycle
            title += ": deadlock of \(Format.list(names))"
        case .violation(let t, _, _, _)?:
            title += ": violation in \(t)"
        case nil:
            break
        }
        return title
    }

    /// Writes atomically; an existing file is replaced only when asked, or when it already
    /// holds the same text.
    public static func write(_ text: String, to path: String, overwrite: Bool) throws {
        if let existing = FileManager.default.contents(atPath: path) {
            if existing == Data(text.utf8) { return }
            guard overwrite else { throw AtomicFile.Failure.exists("\(path) (--overwrite replaces it)") }
            try AtomicFile.replace(path, contents: text)
            return
        }
        try AtomicFile.create(path, contents: text)
    }
}
