import LockhuntBasics
import LockhuntProgram
import LockhuntExploration
import LockhuntLockOrder

/// A check of symmetry detection against the state space itself, for tests: a swap of two
/// members is an automorphism only if it maps every reachable state to a reachable state, and
/// canonical forms are only canonical if a state and its swapped image get the same one.
public enum SymmetryCheck {
    /// Explores every state reachable without reductions (nil if there are more than
    /// `maxStates`), then applies each group's swaps of its first member with another to each
    /// state. Returns what went wrong, one line per kind of problem and group.
    public static func problems(_ program: Program, maxStates: Int) -> [String]? {
        guard let canon = Canonicalizer(program) else { return [] }
        var machine = Machine(program)
        let words = program.wordsPerState
        let succ = UnsafeMutablePointer<UInt64>.allocate(capacity: words * max(1, machine.maxChoices))
        defer { machine.release(); canon.release(); succ.deallocate() }

        var initial = [UInt64](repeating: 0, count: words)
        let started = initial.withUnsafeMutableBufferPointer { machine.initialState(program.rawInitialState, into: $0.baseAddress!) }
        guard started else { return [] }
        var seen: Set<[UInt64]> = [initial]
        var states = [initial]
        var next = 0
        while next < states.count {
            let s = states[next]
            next += 1
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

        func canonical(_ s: [UInt64]) -> [UInt64] {
            var c = s
            c.withUnsafeMutableBufferPointer { canon.canonicalize($0.baseAddress!) }
            return c
        }
        var problems = Set<String>()
        for s in states {
            let c = canonical(s)
            for (g, members) in program.symmetry.groups.enumerated() {
                for m in 1..<members.count {
                    var order = Array(members.indices)
                    order.swapAt(0, m)
                    var image = s
                    let moved = image.withUnsafeMutableBufferPointer { canon.permute($0.baseAddress!, group: g, order: order) }
                    let swap = "group \(g): swapping threads \(members[0]) and \(members[m])"
                    guard moved else { problems.insert("\(swap): a member holds another member's own folio"); continue }
                    if !seen.contains(image) { problems.insert("\(swap) maps a reachable state to an unreachable one") }
                    if canonical(image) != c { problems.insert("\(swap) changes the canonical form") }
                }
            }
        }
        return problems.sorted()
    }
}
