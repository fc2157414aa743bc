import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration

/// Turns a raw finding (a path of states) into steps and an explanation.
public struct FindingBuilder {
    public let program: Program

    public init(program: Program) { self.program = program }

    /// The transitions between consecutive states of a path, found by recomputing successors.
    func transitions(_ path: [[UInt64]]) -> [Transition] {
        var machine = Machine(program)
        defer { machine.release() }
        let words = program.wordsPerState
        let succ = UnsafeMutablePointer<UInt64>.allocate(capacity: words * max(1, machine.maxChoices))
        defer { succ.deallocate() }
        var out: [Transition] = []
        for i in 0..<max(0, path.count - 1) {
            let (from, to) = (path[i], path[i + 1])
            var found: Transition? = nil
            from.withUnsafeBufferPointer { s in
                for t in 0..<machine.threadCount where found == nil {
                    let n = machine.step(s.baseAddress!, t, succ)
                    for k in 0..<max(0, n) where machine.isSuccessor(k) {
                        let candidate = UnsafeBufferPointer(start: succ + k * words, count: words)
                        if candidate.elementsEqual(to) {
                            var ev = machine.event
                            if case .choose = program.ir[Int(ev.pc)].op { ev.outcome = Int64(k) }
                            found = Transition(thread: t, choice: k, event: ev)
                            break
                        }
                    }
                }
            }
            guard let f = found else { preconditionFailure("a state of the path is not a successor of the one before") }
            out.append(f)
        }
        return out
    }

    public func step(_ tr: Transition) -> TraceStep {
        let (op, outcome) = program.describe(tr.event)
        let pc = Int(tr.event.pc)
        return TraceStep(thread: program.threads[tr.thread].name, operation: op, outcome: outcome.isEmpty ? "-" : outcome,
                         location: program.location(ofPC: pc), function: program.function(site: program.ir[pc].site, thread: tr.thread))
    }

    public func build(_ raw: RawFinding) -> Finding {
        var trs = transitions(raw.path)
        var steps = trs.map(step)
        let last = raw.path.last ?? program.rawInitialState
        switch raw.kind {
        case .violation(let fault):
            let t = raw.faultingThread ?? 0
            var message = faultMessage(fault)
            if !raw.path.isEmpty {
                // The faulting step itself, recomputed for its event.
                var machine = Machine(program)
                let succ = UnsafeMutablePointer<UInt64>.allocate(capacity: program.wordsPerState * max(1, machine.maxChoices))
                last.withUnsafeBufferPointer { _ = machine.step($0.baseAddress!, t, succ) }
                var ev = machine.event
                succ.deallocate()
                machine.release()
                let pc = Int(ev.pc)
                if case .choose = program.ir[pc].op { ev.outcome = Int64(raw.faultingChoice) } else { ev.outcome = 0 }
                let tr = Transition(thread: t, choice: raw.faultingChoice, event: ev)
                var s = step(tr)
                if Int(fault.pc) != pc {
                    // The fault is in local code folded into this step.
                    s.outcome = s.outcome == "-" ? "then fails" : s.outcome + ", then fails"
                } else {
                    s.outcome = "fails"
                }
                steps.append(s)
                trs.append(tr)
            } else {
                message += " (while starting)"
            }
            let fpc = Int(fault.pc)
            let kind = FindingKind.violation(thread: program.threads[t].name, message: message,
                                             location: fpc >= 0 ? program.location(ofPC: fpc) : "-",
                                             function: fpc >= 0 ? program.function(site: program.ir[fpc].site, thread: t) : "-")
            var finding = Finding(kind: kind, steps: steps, cycle: [])
            if fpc >= 0 { finding.account = ViolationExplainer(program: program).account(faultPC: fpc, transitions: trs, steps: steps) }
            return finding
        case .deadlock(let threads):
            let (tasks, cycle) = explainDeadlock(threads, state: last, transitions: trs, steps: steps)
            var finding = Finding(kind: .deadlock(tasks), steps: steps, cycle: cycle)
            if !raw.path.isEmpty {
                let timeline = Timeline(program: program, transitions: trs, states: raw.path)
                finding.scenario = UnsafeScenario(timeline: timeline, tasks: tasks, cycle: cycle, program: program)
            }
            return finding
        }
    }

    /// Who holds which lock at the end of the run, from the acquisitions and releases along it.
    func holders(_ trs: [Transition], _ steps: [TraceStep]) -> [String: (thread: Int, step: Int)] {
        var ledger = LockLedger()
        for (i, tr) in trs.enumerated() { ledger.apply(tr, step: i, program: program) }
        return ledger.held.mapValues { ($0.thread, $0.step) }
    }

    func explainDeadlock(_ threads: [Int], state: [UInt64], transitions trs: [Transition], steps: [TraceStep]) -> ([BlockedTask], [String]) {
        var machine = Machine(program)
        defer { machine.release() }
        let held = holders(trs, steps)
        var tasks: [BlockedTask] = []
        state.withUnsafeBufferPointer { sp in
            let s = sp.baseAddress!
            for t in threads {
                let pc = machine.globalPC(s, t)
                let ins = program.ir[pc]
                var object: Int64 = 0
                if case .waitEvent = ins.op {} else {
                    object = machine.eval(program.encoded.instructions[pc].expr, s, pc) ?? 0
                }
                let wait = program.describeWait(pc: pc, object: object)
                let awaited = UnsafeMutablePointer<UInt64>.allocate(capacity: machine.resourceWords)
                defer { awaited.deallocate() }
                machine.awaitedResources(s, t, into: awaited)
                var lockName: String? = nil
                switch ins.op {
                case .folioLock: lockName = "folio \(program.folioName(object))"
                case .lockBuffer: lockName = "buffer \(program.bufferName(object))"
                default: break
                }
                let mine = held.filter { $0.value.thread == t }.sorted { $0.value.step < $1.value.step }.map { (name, v) in
                    HeldLock(lock: name, step: v.step + 1, location: steps[v.step].location, function: steps[v.step].function,
                             operation: steps[v.step].operation)
                }
                let chain = program.callChain(site: ins.site).map(\.function)
                var releasers: [String] = []
                var sites: [ReleaseSite] = []
                var wanted: [Int] = []
                for k in 0..<machine.resourceWords {
                    var x = awaited[k]
                    while x != 0 { wanted.append(k * 64 + x.trailingZeroBitCount); x &= x - 1 }
                }
                for u in threads where u != t && machine.mayStillWrite(s, u, any: awaited) {
                    releasers.append(program.threads[u].name)
                    // Where u would do it: the releases (or, for wait_event, the writes of what
                    // the condition reads) still ahead of it.
                    let from = machine.globalPC(s, u)
                    var found = Set<Int>()
                    for r in wanted { found.formUnion(program.writeSites(resource: r, thread: u, from: from)) }
                    for g in found.sorted() {
                        let callee = program.sites[program.ir[g].site].callee
                        var op = callee
                        switch program.ir[g].op {
                        case .folioUnlock, .unlockBuffer:
                            if let l = lockName, let name = l.split(separator: " ").last { op = "\(callee)(\(name))" }
                        case .store(let v, _, let x): op = "\(program.shared[v].name) = \(program.render(x))"
                        default: break
                        }
                        sites.append(ReleaseSite(thread: program.threads[u].name, operation: op, location: program.location(ofPC: g),
                                                 function: program.function(site: program.ir[g].site, thread: u)))
                    }
                }
                let holder = lockName.flatMap { held[$0] }
                var task = BlockedTask(thread: program.threads[t].name, waitsFor: wait, location: program.location(ofPC: pc),
                                       function: program.function(site: ins.site, thread: t), callChain: chain, holds: mine,
                                       heldBy: holder.map { program.threads[$0.thread].name },
                                       releasers: releasers)
                task.lock = lockName
                if let h = holder {
                    task.heldSince = HeldLock(lock: lockName!, step: h.step + 1, location: steps[h.step].location,
                                              function: steps[h.step].function, operation: steps[h.step].operation)
                    task.holderFinished = machine.status(s, h.thread) == .finished
                }
                task.releaseSites = sites
                tasks.append(task)
            }
        }
        return (tasks, cycle(tasks))
    }

    /// A cycle through "waits for something only the next one can release", if there is one.
    func cycle(_ tasks: [BlockedTask]) -> [String] {
        let names = tasks.map(\.thread)
        let edges = Dictionary(uniqueKeysWithValues: tasks.map { ($0.thread, $0.releasers) })
        for start in names {
            var pathNames = [start]
            var visited: Set<String> = [start]
            func dfs(_ n: String) -> Bool {
                for m in edges[n] ?? [] {
                    if m == start { return true }
                    if visited.contains(m) { continue }
                    visited.insert(m)
                    pathNames.append(m)
                    if dfs(m) { return true }
                    pathNames.removeLast()
                }
                return false
            }
            if dfs(start) { return pathNames }
        }
        return []
    }

    public func faultMessage(_ f: Fault) -> String {
        let pc = Int(f.pc)
        switch f.kind {
        case .none: return "no fault"
        case .assertion:
            if pc >= 0, case .assert(let c, let kind) = program.ir[pc].op {
                return kind == "assert" ? "assertion failed: assert(\(program.render(c)))" : "\(kind)(\(program.render(program.negated(c)))) triggered"
            }
            return "assertion failed"
        case .folioUnlockNotLocked: return "folio_unlock(\(program.folioName(f.value))) of a folio that is not locked"
        case .bufferUnlockNotLocked: return "unlock_buffer(\(program.bufferName(f.value))) of a buffer that is not locked"
        case .startWritebackNotLocked: return "folio_start_writeback(\(program.folioName(f.value))) without holding the folio lock"
        case .startWritebackTwice: return "folio_start_writeback(\(program.folioName(f.value))) of a folio already under writeback"
        case .endWritebackNotUnderWriteback: return "folio_end_writeback(\(program.folioName(f.value))) of a folio not under writeback"
        case .nullFolio: return "NULL folio dereference"
        case .nullBuffer: return "NULL buffer dereference"
        case .indexOutOfRange: return "index \(f.value) out of range (0..<\(f.extra))"
        case .divisionByZero: return "division by zero"
        case .localComputationTooLong:
            return "local computation too long: more than \(Format.count(Int(f.value))) instructions without a step (a loop in local code that lockhunt will not run to its end; lockhunt bounds the local code between two steps, see docs/LANGUAGE.md)"
        case .arithmeticOverflow: return "integer overflow: \(f.operation.text(f.value, f.extra)) does not fit in 64 bits"
        case .shiftCountOutOfRange: return "shift count out of range: \(f.operation.text(f.value, f.extra)) (the count must be 0..63)"
        case .valueOutOfRange:
            let field = Int(f.extra)
            let name = field >= 0 && field < program.fieldInfo.count ? program.fieldInfo[field].name : "?"
            return "value \(f.value) does not fit in '\(name)' (\(field >= 0 && field < program.fieldInfo.count ? program.fieldInfo[field].type.description : "?"))"
        }
    }
}
