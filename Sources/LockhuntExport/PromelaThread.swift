import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration

/// One thread as a Promela process with the same steps as lockhunt's machine.
///
/// The process is a single `do` loop; each option is one lockhunt step, a `d_step` (one
/// transition, no intermediate states): its guard is "the thread rests at pc P and the step is
/// enabled", its body runs the visible instruction at P in Promela, then the thread's local
/// code up to the next resting pc (as `Machine.fold` does), which stores that pc. The program
/// counter is the variable `pc_THREAD` and the process's own control point never moves (it is
/// always the `do`), so SPIN's states are lockhunt's states. Locals are zeroed on the edge
/// where they die, so at every resting pc the dead ones are 0, as lockhunt's live masks leave
/// them.
///
/// The local code is C (`c_code`, PromelaFold.swift): a migrate_pages() policy folds hundreds
/// of local instructions (loops over the batch, set tests, error codes) into one step, and SPIN
/// caps a `d_step` at 2048 statements; one C function per thread also keeps that code written
/// once instead of once per step.
///
/// A step that faults (assertion, unlocking an unlocked folio, NULL, ...) is `assert(false)`
/// after undoing its writes: the transition returns to the state it started from, so it adds
/// no state (lockhunt stores no successor for a faulting step) and `pan -A` or `-c0` can keep
/// counting.
struct PromelaThreadWriter {
    let t: ExportThread
    let fold: PromelaFold

    init(_ t: ExportThread) {
        self.t = t
        fold = PromelaFold(t)
    }

    var sym: PromelaSymbols { t.sym }
    var program: Program { t.program }
    var info: ThreadInfo { t.info }
    var thread: Int { t.thread }
    var pcName: String { t.pcName }
    var promela: ExprWriter { ExprWriter(sym: sym, c: false) }
    func op(_ pc: Int) -> IROp { t.op(pc) }
    func isResting(_ pc: Int) -> Bool { t.isResting(pc) }
    /// A resting pc where the thread can take a step (not its end).
    func isStep(_ pc: Int) -> Bool {
        if case .finish = op(pc) { return false }
        return isResting(pc)
    }

    /// The process text. The thread's C function (`fold.render()`) is written separately,
    /// before the processes.
    func render() -> String {
        var out = "active proctype \(sym.process[thread])() {\n\tdo\n"
        if !(0..<info.codeCount).contains(where: isStep) {
            // Only local code: the thread ends before its first step and never moves.
            out += "\t:: false\t" + PromelaComment.line("no steps: the thread ends in its first local code") + "\n"
        }
        for pc in 0..<info.codeCount where isStep(pc) {
            if case .choose(let targets) = op(pc) {
                for (k, target) in targets.enumerated() { out += step(pc, branch: (k, targets.count, target)) }
            } else {
                out += step(pc, branch: nil)
            }
        }
        out += "\tod\n}\n"
        return out
    }

    /// Lines of a d_step body, with fault jumps recorded.
    final class Body {
        var lines: [String] = []
        var failUsed = false
        let prefix: String
        init(prefix: String) { self.prefix = prefix }
        var fail: String { failUsed = true; return "\(prefix)_fail" }
        func add(_ s: String) { lines.append(s) }
        /// `if :: cond -> goto label :: else -> skip fi`, or nothing when it cannot fault.
        func check(_ cond: String?, _ label: @autoclosure () -> String) {
            guard let cond else { return }
            add("if :: \(cond) -> goto \(label()) :: else -> skip fi")
        }
    }

    /// One step: the visible instruction at `pc` (or one branch of the choice there), then the
    /// local code. Without folding, a local instruction's step is the local code entered at
    /// `pc`, which runs that one instruction (and the jumps after it).
    func step(_ pc: Int, branch: (index: Int, count: Int, target: Int)?) -> String {
        let prefix = branch.map { "s\(pc)b\($0.index + 1)" } ?? "s\(pc)"
        let local = branch == nil && t.isLocalStep(pc)
        let start = local ? pc : branch?.target ?? pc + 1
        let body = Body(prefix: prefix)
        var guardText = "\(pcName) == \(pc)"
        // The local code may fault after the visible instruction has written: keep a copy of
        // the state to go back to. A local step runs one instruction, whose checks all come
        // before its write: when it faults nothing has changed, and no copy is needed (copying
        // a state vector of a kilobyte at every step would only slow SPIN down).
        let foldFaults = (local || !isResting(start)) && fold.mayFault(from: start)
        if foldFaults && !local { body.add("c_code { lhc_saved = now; }") }
        if !local {
            if branch == nil, let extra = visibleStep(pc, into: body) { guardText += " && (\(extra))" }
            // Locals that die right after the visible instruction.
            for f in t.clears(from: pc, def: branch == nil ? t.defined(pc) : nil, to: start) {
                for v in t.variables(of: f) { body.add("\(v) = 0") }
            }
        }
        if !local && isResting(start) {
            body.add("\(pcName) = \(start)")
        } else if foldFaults {
            body.add("c_code { lhc_fault = \(fold.functionName)(\(start)); }")
            body.add("if :: c_expr { lhc_fault } -> \(local ? "" : "c_code { now = lhc_saved; }; ")assert(false) :: else -> skip fi")
        } else {
            body.add("c_code { \(fold.functionName)(\(start)); }")
        }
        if body.failUsed {
            body.add("goto \(prefix)_done")
            body.add("\(prefix)_fail: assert(false)")
            body.add("\(prefix)_done: skip")
        }

        var out = "\t" + PromelaComment.line(describe(pc, branch: branch)) + "\n"
        out += "\t:: d_step { \(guardText) ->\n"
        for (i, l) in body.lines.enumerated() {
            // Labels go one tab left, as in C; the last statement takes no separator.
            let isLabel = l.hasPrefix(prefix + "_")
            out += (isLabel ? "\t\t" : "\t\t\t") + l + (i == body.lines.count - 1 ? "" : ";") + "\n"
        }
        out += "\t   }\n"
        return out
    }

    /// `12: folio_lock(src)  file:line:col in function`, for comments.
    func describe(_ pc: Int, branch: (index: Int, count: Int, target: Int)?) -> String {
        let site = program.ir[info.codeStart + pc].site
        var what = operationText(pc)
        if let b = branch { what += " (branch \(b.index + 1) of \(b.count))" }
        return "\(pc): \(what)  \(program.sources.describe(program.sites[site].location)) in \(program.function(site: site, thread: thread))"
    }

    /// The step as the model wrote it, for the comment above it: `folio_lock(src)`.
    func operationText(_ pc: Int) -> String {
        let ins = program.ir[info.codeStart + pc]
        let callee = program.sites[ins.site].callee
        switch ins.op {
        case .folioLock(let x), .folioTrylock(let x, _), .folioUnlock(let x), .lockBuffer(let x), .trylockBuffer(let x, _),
             .unlockBuffer(let x), .setFolioFlag(_, let x, _), .setBufferFlag(_, let x, _), .testClearFolioFlag(_, let x, _),
             .waitFolioFlagClear(_, let x):
            return "\(callee)(\(program.render(x)))"
        case .waitEvent(let c): return "wait_event(\(program.render(c)))"
        case .load(let f, let x): return "\(program.fieldInfo[f].name) = \(program.render(x))"
        case .store(let v, let i, let x):
            return "\(program.shared[v].name)\(i.map { "[\(program.render($0))]" } ?? "") = \(program.render(x))"
        case .assert(let c, let kind): return "\(kind)(\(program.render(c)))"
        case .choose: return callee == "nondet_bool" ? "nondet_bool()" : "either"
        // Local code, a step of its own only without folding.
        case .assign(let f, let x): return "\(program.fieldInfo[f].name) = \(program.render(x))"
        case .setAdd(let f, let x): return "\(program.fieldInfo[f].name) += \(program.render(x))"
        case .setRemove(let f, let x): return "\(program.fieldInfo[f].name) -= \(program.render(x))"
        case .setClear(let f): return "\(program.fieldInfo[f].name) = {}"
        case .branch(let c, _): return "if (\(program.render(c)))"
        default: return callee
        }
    }

    /// Stores `e` into local `f` (Promela), faulting to `fail` when the value does not fit.
    func put(_ f: FieldID, _ e: PromelaExpr, _ body: Body) {
        guard let name = sym.local[f] else {
            body.add("assert(false) " + PromelaComment.line("unsupported store to \(program.fieldInfo[f].name)"))
            return
        }
        body.check(promelaOr(e.fault, promela.outOfRange(e, sym.range(of: f))), body.fail)
        body.add("\(name) = \(e.value)")
    }
}
