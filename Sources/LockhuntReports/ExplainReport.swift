import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration
import LockhuntFindings
import LockhuntTraces
import LockhuntLockOrder
import LockhuntDriver
import LockhuntBench

/// `lockhunt explain`: the static lock-order graph in lockdep's words ("B taken while holding
/// A", with both places), its cycles, and for each whether the explorer confirms it (with the
/// counterexample) or rules it out (and why).
public struct ExplainReport {
    public init() {}

    public func render(title: String, program p: Program, _ v: CycleVerdicts) -> String {
        let g = v.graph
        var out = "\(title): lock order, from the compiled model, checked by the explorer\n\n"
        out += "the lock-order graph (\(g.edges.count) edge\(g.edges.count == 1 ? "" : "s")):\n"
        if g.edges.isEmpty { out += "  no lock is taken while another is held\n" }
        for e in g.edges {
            out += "\n" + edge(e, p)
        }
        let cycles = v.cycles
        out += "\ncycles (\(cycles.count)):\n"
        if cycles.isEmpty { out += "  none: no order of these locks can deadlock\n" }
        for (i, c) in cycles.enumerated() {
            let threads = Set(c.edges.flatMap { g.edges[$0].threads }).sorted().map { p.threads[$0].name }
            out += "\n  #\(i + 1)  \((c.locks + [c.locks[0]]).joined(separator: " -> "))   (\(threads.joined(separator: ", ")))\n"
            switch c.verdict {
            case .confirmed(let f):
                var names: [String] = []
                if case .deadlock(let tasks) = f.kind { names = f.cycle.isEmpty ? tasks.map(\.thread) : f.cycle }
                out += "      CONFIRMED: reachable; \(Format.list(names)) deadlock after \(f.steps.count) steps:\n"
                out += TextReport().steps(f.steps, indent: "      ").split(separator: "\n").dropFirst().map { $0 + "\n" }.joined()
                out += "      (lockhunt check shows the full report and writes the trace)\n"
            case .ruledOut(let why):
                out += "      RULED OUT: \(why)\n"
            case .undecided(let limit):
                out += "      UNDECIDED: the search stopped at its \(limit.rawValue) limit\n"
            }
        }
        if !v.otherFindings.isEmpty {
            out += "\nother deadlocks the explorer found (not lock-order cycles):\n"
            for f in v.otherFindings {
                if case .deadlock(let tasks) = f.kind {
                    out += "  " + tasks.map { "\($0.thread) in \($0.waitsFor) at \($0.location)" }.joined(separator: "; ") + "\n"
                }
            }
        }
        out += "\nexplorer: \(TextReport().stats(v.stats))" + (v.limit == nil ? ", complete\n" : ", stopped at \(v.limit!.rawValue)\n")
        return out
    }

    func edge(_ e: StaticLockOrder.Edge, _ p: Program) -> String {
        let kinds = Set(e.instances.map(\.kind))
        var head = "  \(e.from) -> \(e.to): "
        if kinds == [.handoff] {
            head += "\(e.to) taken before releasing \(e.from), which another task took (hand-off)"
        } else {
            head += "\(e.to) taken while holding \(e.from)"
            if e.trylockOnly { head += " (by trylock only: cannot wait)" }
        }
        var out = head + "\n"
        // Inlining copies a function per call site; a reader wants each source place once.
        var seen = Set<String>()
        for inst in e.instances {
            let thread = p.threads[inst.thread].name
            let take = "\(call(inst.takePC, p)) at \(p.location(ofPC: inst.takePC)) in \(p.function(site: p.ir[inst.takePC].site, thread: inst.thread))"
            guard seen.insert("\(thread) \(inst.kind) \(take)").inserted else { continue }
            out += "    \(thread): \(take)\(inst.kind == .trylock ? " (trylock)" : "")\n"
            var holds: [String] = []
            for pc in inst.holdPCs {
                let h = "\(call(pc, p)) at \(p.location(ofPC: pc)) in \(p.function(site: p.ir[pc].site, thread: inst.thread))"
                if !holds.contains(h) { holds.append(h) }
            }
            let lead = inst.kind == .handoff ? "and releases \(e.from) later:" : "holding \(e.from), taken by"
            for (k, h) in holds.enumerated() {
                out += "      \(k == 0 ? lead : String(repeating: " ", count: lead.count)) \(h)\n"
            }
        }
        return out
    }

    /// The call as the model writes it: `folio_trylock(src)`, `lock_buffer(bh)`.
    func call(_ pc: Int, _ p: Program) -> String {
        let callee = p.sites[p.ir[pc].site].callee
        switch p.ir[pc].op {
        case .folioLock(let x), .folioTrylock(let x, _), .folioUnlock(let x), .lockBuffer(let x), .trylockBuffer(let x, _), .unlockBuffer(let x):
            return "\(callee)(\(p.render(x)))"
        default:
            return callee
        }
    }
}
