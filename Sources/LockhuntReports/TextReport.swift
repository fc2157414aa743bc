import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration
import LockhuntFindings
import LockhuntTraces
import LockhuntLockOrder
import LockhuntDriver
import LockhuntBench

/// The report `lockhunt check` prints: per model and policy, the verdict and statistics; for a
/// deadlock a lockdep-style account of who holds and who waits for what, the cycle, and the
/// numbered steps, each with its model file and line.
public struct TextReport {
    public init() {}

    public func render(_ r: CheckResult) -> String {
        let title = r.policy.map { "\(r.scenario) under policy \($0)" } ?? r.scenario
        var out = ""
        switch r.outcome {
        case .error(let diagnostics):
            out += diagnostics
            out += "\(title): error: the model could not be loaded\n"
            return out
        case .ok:
            out += "\(title): ok: no deadlock and no violation (complete search\(r.omissionProbability == nil ? "" : ", up to hash collisions"))\n"
        case .incomplete(let limit):
            out += "\(title): INCOMPLETE: the search stopped at \(limitText(limit)) before covering every state; no verdict\n"
        case .finding(let f):
            out += "\(title): \(f.kind.verdict == .deadlock ? "DEADLOCK" : "VIOLATION")\n"
            if let limit = r.limit {
                out += "  INCOMPLETE: the search stopped at \(limitText(limit)) before covering every state; the findings below are real, but there may be others\n"
            }
        }
        out += "  \(stats(r.stats))\n"
        if let p = r.omissionProbability {
            out += "  hash compaction: states are kept as 64-bit hashes; the probability that one was missed is at most \(String(format: "%.2g", p))\n"
        }
        if case .finding(let f) = r.outcome {
            let total = 1 + r.moreFindings.count
            if total > 1 { out += "\n  finding 1 of \(total):\n" }
            out += findingWithTrace(f, r.tracePath, r.traceNote)
            for (k, more) in r.moreFindings.enumerated() {
                out += "\n  finding \(k + 2) of \(total):\n"
                out += findingWithTrace(more.finding, more.tracePath, more.traceNote)
            }
        }
        return out
    }

    func findingWithTrace(_ f: Finding, _ tracePath: String?, _ traceNote: String?) -> String {
        var out = "\n" + finding(f, indent: "  ")
        if let m = f.minimisation {
            out += "  counterexample: \(m.steps) steps, \(m.switches) context switch\(m.switches == 1 ? "" : "es")"
            out += " (\(m.stepsBefore) steps, \(m.switchesBefore) before minimising)\n"
            if let note = m.note { out += "  note: \(note)\n" }
        }
        if let path = tracePath {
            out += "  trace: \(path) (\(traceNote ?? "written"))\n"
            out += "  replay it with: lockhunt replay \(path)\n"
        } else if let note = traceNote {
            out += "  trace not written: \(note)\n"
        }
        return out
    }

    func limitText(_ l: SearchLimit) -> String {
        switch l {
        case .maxStates: return "--max-states"
        case .timeLimit: return "--time-limit"
        case .maxMemory: return "--max-memory"
        case .interrupted: return "an interrupt"
        case .localComputation: return "a thread's local code that ran too long"
        }
    }

    public func stats(_ s: SearchStats) -> String {
        "states \(Format.count(s.states)), transitions \(Format.count(s.transitions)), depth \(s.depth), " +
            "time \(Format.seconds(s.seconds)), \(Format.rate(s.statesPerSecond)) states/s"
    }

    public func finding(_ f: Finding, indent: String) -> String {
        var out = ""
        let rule = indent + String(repeating: "=", count: 66) + "\n"
        let thin = indent + String(repeating: "-", count: 66) + "\n"
        switch f.kind {
        case .deadlock(let tasks):
            out += rule
            out += indent + "WARNING: \(headline(tasks, cycle: f.cycle))\n"
            out += thin
            let ordered = f.cycle.isEmpty ? tasks : f.cycle.compactMap { n in tasks.first { $0.thread == n } } + tasks.filter { !f.cycle.contains($0.thread) }
            for t in ordered { out += task(t, indent: indent) + "\n" }
            out += chain(ordered, cycle: f.cycle, indent: indent)
            if let sc = f.scenario { out += scenario(sc, indent: indent) }
        case .violation(let t, let m, let l, let fn):
            out += rule
            out += indent + "WARNING: violation in \(t): \(m)\n"
            out += thin
            out += indent + "  at \(l) in \(fn)\n\n"
            if let a = f.account { out += account(a, indent: indent) }
        }
        out += steps(f.steps, indent: indent)
        out += "\n"
        return out
    }

    /// Names the tasks, and says when they wait for each other.
    func headline(_ tasks: [BlockedTask], cycle: [String]) -> String {
        if cycle.count > 1 {
            return "deadlock: \(Format.list(cycle)) wait for each other and can never wake up"
        }
        return "deadlock: \(Format.list(tasks.map(\.thread))) can never wake up"
    }

    /// One stuck task, as lockdep shows one side of a dependency: what it tries to take and
    /// where, who holds that and since when, who alone could release it and where, and what
    /// the task itself holds.
    func task(_ t: BlockedTask, indent: String) -> String {
        var out = ""
        if let lock = t.lock {
            out += indent + "\(t.thread) is trying to take \(lock):\n"
        } else {
            out += indent + "\(t.thread) is waiting in \(t.waitsFor):\n"
        }
        out += indent + "    \(t.waitsFor) at \(t.location) in \(t.function)\n"
        if t.callChain.count > 1 {
            out += indent + "      called from \(t.callChain.dropFirst().joined(separator: " <- ")) <- \(t.thread)\n"
        }
        if let lock = t.lock, let h = t.heldBy, let since = t.heldSince {
            let finished = t.holderFinished ? " and has finished" : ""
            out += indent + "  but \(lock) is held: \(h) took it at step \(since.step)\(finished):\n"
            out += indent + "    \(since.operation) at \(since.location) in \(since.function)\n"
        }
        let handedOff = t.heldBy.map { !t.releasers.contains($0) } ?? true
        if t.releasers.isEmpty {
            out += indent + "  and no running task can end the wait\n"
        } else if handedOff || t.lock == nil {
            let what = t.lock == nil ? "could wake it" : "releases it"
            out += indent + "  and only \(Format.list(t.releasers)) \(what), at:\n"
            for r in t.releaseSites {
                out += indent + "    \(r.operation) at \(r.location) in \(r.function)\(t.releasers.count > 1 ? " (\(r.thread))" : "")\n"
            }
        }
        if t.holds.isEmpty {
            out += indent + "  \(t.thread) holds no lock\n"
        } else {
            out += indent + "  \(t.thread) holds \(t.holds.count == 1 ? "1 lock" : "\(t.holds.count) locks"):\n"
            let width = t.holds.map(\.lock.count).max() ?? 0
            for h in t.holds {
                out += indent + "    \(Format.pad(h.lock, width))  taken at step \(h.step) by \(h.operation) at \(h.location) in \(h.function)\n"
            }
        }
        return out
    }

    /// The chain of waits, one task per line, each naming who can end its wait.
    func chain(_ tasks: [BlockedTask], cycle: [String], indent: String) -> String {
        var out = indent + "the dependency chain:\n"
        let width = tasks.map(\.thread.count).max() ?? 0
        for t in tasks {
            var line = "\(Format.pad(t.thread, width)) waits for \(t.lock ?? t.waitsFor)"
            if let h = t.heldBy, let since = t.heldSince {
                if t.releasers == [h] {
                    line += ", held by \(h) since step \(since.step)"
                } else {
                    line += ", taken by \(h) at step \(since.step)\(t.holderFinished ? " (finished)" : "")"
                }
            }
            if let h = t.heldBy, t.releasers.contains(h) {
                // Its holder releases it: nothing more to say.
            } else if let r = t.releaseSites.first {
                line += t.lock == nil ? ", set only by \(r.thread) at \(r.location)" : ", released only by \(r.thread) at \(r.location)"
            } else if t.releasers.isEmpty {
                line += t.lock == nil ? ", which no running task can change" : ", which no running task releases"
            }
            out += indent + "  " + line + "\n"
        }
        if cycle.count > 1 {
            out += indent + "  which closes the cycle: \((cycle + [cycle[0]]).joined(separator: " -> "))\n"
        }
        return out + "\n"
    }

    /// lockdep's table: one column per task, time downwards.
    func scenario(_ sc: UnsafeScenario, indent: String) -> String {
        var out = indent + "possible unsafe scenario:\n\n"
        var widths = sc.columns.map { $0.count }
        for l in sc.lines { widths[l.column] = max(widths[l.column], l.text.count) }
        // The last column needs no padding; keep each column at least a little apart.
        func row(_ cells: [String]) -> String {
            var line = indent + "    "
            for (i, c) in cells.enumerated() {
                line += i == cells.count - 1 ? c : Format.pad(c, widths[i] + 3)
            }
            while line.hasSuffix(" ") { line.removeLast() }
            return line + "\n"
        }
        out += row(sc.columns)
        out += row(sc.columns.map { String(repeating: "-", count: $0.count) })
        for l in sc.lines {
            var cells = [String](repeating: "", count: sc.columns.count)
            cells[l.column] = l.text
            out += row(cells)
        }
        out += "\n" + indent + "     *** DEADLOCK ***\n\n"
        return out
    }

    /// For a violation: what the check reads, the last writes, the lost ones.
    func account(_ a: ViolationAccount, indent: String) -> String {
        var out = indent + "the check reads \(Format.list(a.reads))\n"
        for w in a.lastWrites {
            out += indent + "  \(w.resource) was last written at step \(w.step) by \(w.thread): \(w.operation) at \(w.location)\n"
        }
        for l in a.lost {
            out += indent + "  lost write: \(l.write.operation) by \(l.write.thread) at step \(l.write.step) (\(l.write.location))\n"
            out += indent + "    overwritten at step \(l.overwrittenBy.step) by \(l.overwrittenBy.thread): \(l.overwrittenBy.operation) (\(l.overwrittenBy.location))"
            if let r = l.staleRead {
                out += ",\n" + indent + "    from what \(r.thread) read at step \(r.step) (\(r.operation) at \(r.location)), before \(l.write.thread)'s write"
            }
            out += "\n"
        }
        return out + "\n"
    }

    public func steps(_ steps: [TraceStep], indent: String) -> String {
        var out = indent + "steps (\(steps.count)):\n"
        let threadWidth = min(24, steps.map(\.thread.count).max() ?? 0)
        let opWidth = min(48, steps.map { $0.operation.count + $0.outcome.count + 4 }.max() ?? 0)
        let numWidth = String(steps.count).count
        for (i, s) in steps.enumerated() {
            let n = String(repeating: " ", count: numWidth - String(i + 1).count) + String(i + 1)
            out += indent + "  \(n)  \(Format.pad(s.thread, threadWidth))  \(Format.pad("\(s.operation) -> \(s.outcome)", opWidth))  \(s.location) in \(s.function)\n"
        }
        return out
    }
}
