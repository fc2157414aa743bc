import LockhuntBasics
import LockhuntProgram
import LockhuntExploration
import LockhuntLockOrder

/// A check of the static read and write sets against the state space itself, for tests: the
/// partial-order reduction and the deadlock check trust `Analysis`'s rows (which folios a step
/// may lock, which a thread may still write), and the index ranges narrow them; a row that
/// misses what some step really touches would make both silently wrong.
public enum FootprintCheck {
    /// Explores every state reachable without reductions (nil if there are more than
    /// `maxStates`); in each, evaluates the next step of every thread exactly (the folio a
    /// `folio_lock(W[i])` locks, the shared element a store writes) and checks it against the
    /// static rows of its step. Returns one line per step whose rows miss something.
    public static func problems(_ program: Program, maxStates: Int) -> [String]? {
        var machine = Machine(program)
        let words = program.wordsPerState
        let rw = machine.resourceWords
        let succ = UnsafeMutablePointer<UInt64>.allocate(capacity: words * max(1, machine.maxChoices))
        let r = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, rw))
        let w = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, rw))
        defer { machine.release(); succ.deallocate(); r.deallocate(); w.deallocate() }

        var initial = [UInt64](repeating: 0, count: words)
        let started = initial.withUnsafeMutableBufferPointer { machine.initialState(program.rawInitialState, into: $0.baseAddress!) }
        guard started else { return [] }
        var seen: Set<[UInt64]> = [initial]
        var states = [initial]
        var next = 0
        var problems = Set<String>()
        while next < states.count {
            let s = states[next]
            next += 1
            s.withUnsafeBufferPointer { sp in
                let base = sp.baseAddress!
                for t in 0..<machine.threadCount {
                    machine.nextAccess(base, t, r, w)
                    let row = machine.globalPC(base, t) * rw
                    for k in 0..<rw where r[k] & ~machine.reads[row + k] != 0 || w[k] & ~machine.writes[row + k] != 0 {
                        problems.insert("\(program.threads[t].name) at \(program.location(ofPC: machine.globalPC(base, t))): the step touches what its static rows leave out")
                    }
                }
            }
            for t in 0..<machine.threadCount {
                let n = s.withUnsafeBufferPointer { machine.step($0.baseAddress!, t, succ) }
                for k in 0..<max(0, n) where machine.isSuccessor(k) {
                    let x = Array(UnsafeBufferPointer(start: succ + k * words, count: words))
                    if seen.insert(x).inserted {
                        states.append(x)
                        if states.count > maxStates { return nil }
                    }
                }
            }
        }
        return problems.sorted()
    }
}
