import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration

/// What the export needs to know about one compiled thread: its instructions, where it rests,
/// which locals are live where and what the Promela and C code calls them.
final class ExportThread {
    let sym: PromelaSymbols
    let thread: Int
    /// Whether local code is folded into the visible step before it (PromelaExport.folding).
    let folding: Bool
    private var liveSets: [Int: Set<FieldID>] = [:]

    init(sym: PromelaSymbols, thread: Int, folding: Bool) {
        self.sym = sym
        self.thread = thread
        self.folding = folding
    }

    var program: Program { sym.program }
    var info: ThreadInfo { program.threads[thread] }
    var pcName: String { sym.pc[thread] }

    func op(_ pc: Int) -> IROp { program.ir[info.codeStart + pc].op }

    /// A pc where the thread can rest between steps (`IROp.rests`): with folding a visible
    /// instruction or the end, without it every instruction but a jump.
    func isResting(_ pc: Int) -> Bool { op(pc).rests(folding: folding) }

    /// A resting pc whose step is local code (only without folding): the step runs the C
    /// function of the thread's local code from there.
    func isLocalStep(_ pc: Int) -> Bool {
        let o = op(pc)
        if case .finish = o { return false }
        return !o.isVisible && o.rests(folding: folding)
    }

    /// The local instruction `pc` writes (a set it changes counts), if any.
    func defined(_ pc: Int) -> FieldID? { op(pc).definedLocal }

    /// Locals to zero on the edge from `pc` to `next`: live before `pc` or written by it, and
    /// dead at `next`. Zeroing on every edge keeps "a dead local is 0" true at every point, so
    /// the state at a resting pc is exactly what lockhunt's live masks leave. The task flags are
    /// always kept, as the masks keep them.
    func clears(from pc: Int, def: FieldID?, to next: Int) -> [FieldID] {
        let there = live(next)
        return live(pc).union(def.map { [$0] } ?? []).sorted().filter { !there.contains($0) && $0 != info.flagsField }
    }

    /// Locals live at a (thread-relative) pc.
    func live(_ pc: Int) -> Set<FieldID> {
        if let s = liveSets[pc] { return s }
        let s = pc >= 0 && pc < info.codeCount ? Set(program.analysis.liveLocals(thread: thread, pc: pc)) : []
        liveSets[pc] = s
        return s
    }

    /// The variables holding field `f` (one per folio for a set).
    func variables(of f: FieldID) -> [String] {
        if let bits = sym.setBits[f] { return bits }
        if let v = sym.local[f] { return [v] }
        return []
    }
}
