import Foundation
import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration

/// Makes a counterexample easier to read without changing what it shows:
///
/// 1. It leaves out steps of threads that play no part: all of a thread's steps, or the tail of
///    them, as long as every remaining step does exactly what it did before and the run still
///    ends in the same finding (the same tasks stuck at the same places, or the same fault).
/// 2. Among the shortest runs to that finding it picks one with the fewest context switches: a
///    breadth-first search over (state, last thread) pairs, level by level, keeping the fewest
///    switches per pair. It is capped (states and time); past the cap it keeps the trace of
///    step 1 and says so.
///
/// Every candidate is executed on the same `Machine` the search uses and checked with the same
/// deadlock test, so the result is a real run to the same finding (sound by construction).
public struct TraceMinimiser {
    public let program: Program
    /// Cap of the fewest-switch search, in (state, last thread) pairs.
    public var maxPairs = 200_000
    public var timeLimit = 2.0

    public init(program: Program) { self.program = program }

    /// One step of a run: thread and branch.
    struct Move: Equatable {
        var thread: Int
        var choice: Int
    }

    /// What the finding is, so that any state can be tested for it.
    enum Target {
        /// These threads (mask) deadlocked, each at this global pc.
        case deadlock(mask: UInt64, pcs: [Int: Int])
        /// Thread `thread` faults with this kind at this pc.
        case fault(thread: Int, kind: Fault.Kind, pc: Int32)
    }

    public func minimise(_ raw: RawFinding) -> (RawFinding, Minimisation) {
        guard !raw.path.isEmpty else {
            return (raw, Minimisation(stepsBefore: 0, switchesBefore: 0, steps: 0, switches: 0, note: nil))
        }
        let builder = FindingBuilder(program: program)
        var machine = Machine(program)
        defer { machine.release() }
        let trs = builder.transitions(raw.path)
        let target: Target
        switch raw.kind {
        case .deadlock(let threads):
            var mask: UInt64 = 0
            var pcs: [Int: Int] = [:]
            raw.path.last!.withUnsafeBufferPointer { s in
                for t in threads {
                    mask |= 1 << UInt64(t)
                    pcs[t] = machine.globalPC(s.baseAddress!, t)
                }
            }
            target = .deadlock(mask: mask, pcs: pcs)
        case .violation(let f):
            target = .fault(thread: raw.faultingThread ?? 0, kind: f.kind, pc: f.pc)
        }
        let faultThread: Int? = { if case .fault(let t, _, _) = target { return t } else { return nil } }()
        let moves = trs.map { Move(thread: $0.thread, choice: $0.choice) }
        let expected = trs.map(builder.step)
        let before = switches(moves.map(\.thread), faulting: faultThread)

        // 1. Leave out what plays no part.
        var kept = Array(moves.indices)
        for t in 0..<program.threads.count {
            let mine = kept.filter { moves[$0].thread == t }
            if mine.isEmpty { continue }
            // All of it, else the longest tail that can go (tried from the end, one step at a time).
            func attempt(_ drop: Set<Int>) -> [Int]? {
                let candidate = kept.filter { !drop.contains($0) }
                let ok = run(candidate.map { moves[$0] }, expecting: candidate.map { expected[$0] }, target, &machine, builder) != nil
                return ok ? candidate : nil
            }
            if let c = attempt(Set(mine)) { kept = c; continue }
            var cut = 1
            while cut < mine.count, let c = attempt(Set(mine.suffix(cut))) {
                kept = c
                cut += 1
            }
        }
        var best = kept.map { moves[$0] }
        var note: String? = nil

        // 2. Fewest context switches among the shortest runs.
        switch fewestSwitches(depth: best.count, target, &machine) {
        case .found(let m):
            if m.count < best.count || switches(m.map(\.thread), faulting: faultThread) < switches(best.map(\.thread), faulting: faultThread) {
                best = m
            }
        case .capped(let why):
            note = why
        case .none:
            break
        }

        guard let states = run(best, expecting: nil, target, &machine, builder) else {
            // Cannot happen: every candidate was checked. Keep the search's trace.
            return (raw, Minimisation(stepsBefore: moves.count, switchesBefore: before, steps: moves.count, switches: before,
                                      note: "the shortened trace did not check out; kept the search's trace"))
        }
        var out = raw
        out.path = states
        let after = switches(best.map(\.thread), faulting: faultThread)
        return (out, Minimisation(stepsBefore: moves.count + (faultThread == nil ? 0 : 1), switchesBefore: before,
                                  steps: best.count + (faultThread == nil ? 0 : 1), switches: after, note: note))
    }

    /// Context switches of a run, counting the faulting step of a violation.
    func switches(_ threads: [Int], faulting: Int?) -> Int {
        Timeline.contextSwitches(threads + (faulting.map { [$0] } ?? []))
    }

    /// Executes `moves` from the initial state; the states along the run if every move is
    /// possible (and does what `expecting` says, when given) and the last state is the target.
    func run(_ moves: [Move], expecting: [TraceStep]?, _ target: Target, _ machine: inout Machine, _ builder: FindingBuilder) -> [[UInt64]]? {
        let words = program.wordsPerState
        let succ = UnsafeMutablePointer<UInt64>.allocate(capacity: words * max(1, machine.maxChoices))
        defer { succ.deallocate() }
        var state = [UInt64](repeating: 0, count: words)
        guard state.withUnsafeMutableBufferPointer({ machine.initialState(program.rawInitialState, into: $0.baseAddress!) }) else { return nil }
        var states = [state]
        for (i, m) in moves.enumerated() {
            let n = state.withUnsafeBufferPointer { machine.step($0.baseAddress!, m.thread, succ) }
            guard n > m.choice, machine.isSuccessor(m.choice) else { return nil }
            if let expecting {
                var ev = machine.event
                if case .choose = program.ir[Int(ev.pc)].op { ev.outcome = Int64(m.choice) }
                guard builder.step(Transition(thread: m.thread, choice: m.choice, event: ev)).matches(expecting[i]) else { return nil }
            }
            state = Array(UnsafeBufferPointer(start: succ + m.choice * words, count: words))
            states.append(state)
        }
        return state.withUnsafeBufferPointer({ isTarget($0.baseAddress!, target, &machine, succ) }) ? states : nil
    }

    func isTarget(_ s: UnsafePointer<UInt64>, _ target: Target, _ machine: inout Machine, _ scratch: UnsafeMutablePointer<UInt64>) -> Bool {
        switch target {
        case .deadlock(let mask, let pcs):
            guard machine.deadlockedThreads(s, program.analysis.resources) == mask else { return false }
            return pcs.allSatisfy { machine.globalPC(s, $0.key) == $0.value }
        case .fault(let t, let kind, let pc):
            guard machine.step(s, t, scratch) < 0 || machine.faultedBranches > 0 else { return false }
            return machine.fault.kind == kind && machine.fault.pc == pc
        }
    }

    enum SearchOutcome {
        case found([Move])
        case capped(String)
        case none
    }

    /// Level by level from the initial state, up to `depth` levels: the first level with a
    /// target state, and there the run with the fewest context switches.
    func fewestSwitches(depth: Int, _ target: Target, _ machine: inout Machine) -> SearchOutcome {
        struct Node {
            var state: [UInt64]
            var last: Int
            var switches: Int
            var parent: Int
            var move: Move
        }
        struct Key: Hashable {
            var state: [UInt64]
            var last: Int
        }
        let words = program.wordsPerState
        let succ = UnsafeMutablePointer<UInt64>.allocate(capacity: words * max(1, machine.maxChoices))
        defer { succ.deallocate() }
        let scratch = UnsafeMutablePointer<UInt64>.allocate(capacity: words * max(1, machine.maxChoices))
        defer { scratch.deallocate() }
        let clock = Date()
        var start = [UInt64](repeating: 0, count: words)
        guard start.withUnsafeMutableBufferPointer({ machine.initialState(program.rawInitialState, into: $0.baseAddress!) }) else { return .none }
        var levels: [[Node]] = [[Node(state: start, last: -1, switches: 0, parent: -1, move: Move(thread: -1, choice: 0))]]
        var pairs = 1
        let faulting: Int? = { if case .fault(let t, _, _) = target { return t } else { return nil } }()

        func path(_ level: Int, _ index: Int) -> [Move] {
            var out: [Move] = []
            var (l, i) = (level, index)
            while l > 0 {
                out.append(levels[l][i].move)
                i = levels[l][i].parent
                l -= 1
            }
            return out.reversed()
        }

        for level in 0...depth {
            // Targets on this level: the one with the fewest switches (counting the faulting
            // step of a violation).
            var best: (index: Int, switches: Int)? = nil
            for (i, node) in levels[level].enumerated() {
                let hit = node.state.withUnsafeBufferPointer { isTarget($0.baseAddress!, target, &machine, scratch) }
                guard hit else { continue }
                let sw = node.switches + (faulting.map { node.last >= 0 && node.last != $0 ? 1 : 0 } ?? 0)
                if best == nil || sw < best!.switches { best = (i, sw) }
            }
            if let b = best { return .found(path(level, b.index)) }
            if level == depth { break }
            var next: [Node] = []
            var index: [Key: Int] = [:]
            for (pi, node) in levels[level].enumerated() {
                for t in 0..<program.threads.count {
                    let n = node.state.withUnsafeBufferPointer { machine.step($0.baseAddress!, t, succ) }
                    for k in 0..<max(0, n) where machine.isSuccessor(k) {
                        let s = Array(UnsafeBufferPointer(start: succ + k * words, count: words))
                        let sw = node.switches + (node.last >= 0 && node.last != t ? 1 : 0)
                        let key = Key(state: s, last: t)
                        if let j = index[key] {
                            if sw < next[j].switches { next[j].switches = sw; next[j].parent = pi; next[j].move = Move(thread: t, choice: k) }
                            continue
                        }
                        index[key] = next.count
                        next.append(Node(state: s, last: t, switches: sw, parent: pi, move: Move(thread: t, choice: k)))
                        pairs += 1
                    }
                }
                if pairs > maxPairs {
                    return .capped("fewest-context-switch search stopped at \(Format.count(maxPairs)) states; kept the search's order")
                }
                if Date().timeIntervalSince(clock) > timeLimit {
                    return .capped("fewest-context-switch search stopped after \(Format.seconds(timeLimit)); kept the search's order")
                }
            }
            levels.append(next)
        }
        return .none
    }
}
