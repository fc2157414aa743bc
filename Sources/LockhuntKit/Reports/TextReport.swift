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
            out += "\(title): ok: no deadlock and no violation (complete search)\n"
        case .incomplete(let limit):
            out += "\(title): INCOMPLETE: the search stopped at \(limitText(limit)) before covering every state; no verdict\n"
        case .finding(let f):
            out += "\(title): \(f.kind.verdict == .deadlock ? "DEADLOCK" : "VIOLATION")\n"
        }
        out += "  \(stats(r.stats))\n"
        if case .finding(let f) = r.outcome {
            out += "\n" + finding(f, indent: "  ")
            if let path = r.tracePath {
                out += "  trace: \(path) (\(r.traceNote ?? "written"))\n"
                out += "  replay it with: lockhunt replay \(path)\n"
            } else if let note = r.traceNote {
                out += "  trace not written: \(note)\n"
            }
        }
        return out
    }

    func limitText(_ l: SearchLimit) -> String {
        switch l {
        case .maxStates: return "--max-states"
        case .timeLimit: return "--time-limit"
        case .maxMemory: return "--max-memory"
        case .interrupted: return "an interrupt"
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
            let names = tasks.map(\.thread)
            out += indent + "WARNING: deadlock: \(Format.list(names)) can never wake up\n"
            out += thin
            for t in tasks {
                out += indent + "\(t.thread) is blocked in \(t.waitsFor)\n"
                out += indent + "    at \(t.location) in \(t.function)\n"
                if t.callChain.count > 1 {
                    out += indent + "    called from \(t.callChain.dropFirst().joined(separator: " <- ")) <- \(t.thread)\n"
                }
                var why = "  waiting"
                if let h = t.heldBy { why += "; the lock is held by \(h)" }
                if !t.releasers.isEmpty { why += "; only \(Format.list(t.releasers)) could end the wait" }
                else { why += "; no running task can end the wait" }
                out += indent + why + "\n"
                if t.holds.isEmpty {
                    out += indent + "  holding no lock\n"
                } else {
                    out += indent + "  holding:\n"
                    for h in t.holds {
                        out += indent + "    \(Format.pad(h.lock, 12)) taken at step \(h.step) by \(h.operation), \(h.location) in \(h.function)\n"
                    }
                }
                out += "\n"
            }
            if !f.cycle.isEmpty {
                out += indent + "the cycle: \((f.cycle + [f.cycle[0]]).joined(separator: " -> "))\n"
                for (i, name) in f.cycle.enumerated() {
                    let next = f.cycle[(i + 1) % f.cycle.count]
                    if let t = tasks.first(where: { $0.thread == name }) {
                        out += indent + "  \(name) waits in \(t.waitsFor), which only \(next) can end\n"
                    }
                }
                out += "\n"
            }
        case .violation(let t, let m, let l, let fn):
            out += rule
            out += indent + "WARNING: violation in \(t): \(m)\n"
            out += thin
            out += indent + "  at \(l) in \(fn)\n\n"
        }
        out += steps(f.steps, indent: indent)
        out += "\n"
        return out
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
