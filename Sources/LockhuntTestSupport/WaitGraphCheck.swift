import LockhuntBasics
import LockhuntProgram
import LockhuntExploration
import LockhuntLockOrder

/// A check of the wait graph's per-thread facts against the state space itself, for tests: the
/// graph's verdict rests on what each thread may hold at each step (HeldLocks and ObjectFacts),
/// on where it may hold what it waits for, and on which steps are reachable; a fact that misses
/// one run could rule out a deadlock that exists.
public enum WaitGraphCheck {
    /// Explores every state reachable without reductions, each paired with what every thread
    /// holds in it (the locks and writebacks it took and has not released itself), and checks:
    /// the graph reaches each thread's step; what the thread holds there is in the graph's held
    /// set; and at a lock or writeback wait, if it holds what it waits for, the graph says it may.
    /// Nil when there are more than `maxStates` such states; otherwise one line per problem.
    public static func problems(_ program: Program, maxStates: Int) -> [String]? {
        let graph = WaitGraph(program: program)
        var machine = Machine(program)
        let words = program.wordsPerState
        let rw = machine.resourceWords
        let threads = machine.threadCount
        let succ = UnsafeMutablePointer<UInt64>.allocate(capacity: words * max(1, machine.maxChoices))
        let awaited = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, rw))
        defer { machine.release(); succ.deallocate(); awaited.deallocate() }

        // The lock-like resources and their bits in the state.
        let res = program.analysis.resources
        var tracked: [(resource: Int, bit: Int)] = []
        for f in 1...max(1, program.folios.count) where f <= program.folios.count {
            for flag in [FolioFlag.locked, .writeback] where graph.isLockLike(res.folio(f, flag)) {
                tracked.append((res.folio(f, flag), program.folioFlagBase[flag.rawValue] + f - 1))
            }
        }
        for b in 1...max(1, program.buffers.count) where b <= program.buffers.count && graph.isLockLike(res.buffer(b, .locked)) {
            tracked.append((res.buffer(b, .locked), program.bufferFlagBase[BufferFlag.locked.rawValue] + b - 1))
        }
        func bit(_ s: [UInt64], _ b: Int) -> Bool { s[b >> 6] & (UInt64(1) << UInt64(b & 63)) != 0 }

        // Which of the two analyses leaves a lock out, computed once per thread when needed.
        var analyses: [Int: (HeldLocks, ObjectFacts?)] = [:]
        let decided = DecidedBranches(program: program)
        func culprit(_ t: Int, _ g: Int, _ r: Int) -> String {
            let info = program.threads[t]
            if analyses[t] == nil {
                analyses[t] = (HeldLocks(program: program, thread: info, decided: decided, lockLike: graph.isLockLike),
                               ObjectFacts(program: program, thread: t, decided: decided, lockLike: graph.isLockLike))
            }
            let (facts, objects) = analyses[t]!
            var out: [String] = []
            if !facts.held[g - info.codeStart].contains(r) { out.append("HeldLocks") }
            if let o = objects, !o.held[g - info.codeStart].contains(r) { out.append("ObjectFacts") }
            return out.isEmpty ? "neither: a step they do not reach" : out.joined(separator: " and ")
        }

        var initial = [UInt64](repeating: 0, count: words)
        let started = initial.withUnsafeMutableBufferPointer { machine.initialState(program.rawInitialState, into: $0.baseAddress!) }
        guard started else { return [] }
        // A state, then per thread the indices into `tracked` it holds.
        struct Node: Hashable { var state: [UInt64]; var holds: [[Int]] }
        let start = Node(state: initial, holds: [[Int]](repeating: [], count: threads))
        var seen: Set<Node> = [start]
        var queue = [start]
        var next = 0
        var problems = Set<String>()
        while next < queue.count {
            let node = queue[next]
            next += 1
            node.state.withUnsafeBufferPointer { sp in
                let s = sp.baseAddress!
                for t in 0..<threads {
                    let g = machine.globalPC(s, t)
                    let place = "\(program.threads[t].name) at \(program.location(ofPC: g))"
                    if !graph.reaches(pc: g) { problems.insert("\(place): reached, but not by the graph's analyses") }
                    let holds = node.holds[t].map { tracked[$0].resource }
                    for r in holds where !graph.mayHold(pc: g, r) {
                        problems.insert("\(place): holds \(graph.resourceNames[r]), which the graph's held set leaves out (\(culprit(t, g, r)))")
                    }
                    switch program.ir[g].op {
                    case .folioLock, .lockBuffer, .waitFolioFlagClear(.writeback, _):
                        machine.awaitedResources(s, t, into: awaited)
                        for r in holds where awaited[r >> 6] & (UInt64(1) << UInt64(r & 63)) != 0 && !graph.mayHoldWhileAwaiting(pc: g, r) {
                            problems.insert("\(place): waits for \(graph.resourceNames[r]) while holding it, which the graph rules out")
                        }
                    default: break
                    }
                }
            }
            for t in 0..<threads {
                let n = node.state.withUnsafeBufferPointer { machine.step($0.baseAddress!, t, succ) }
                for k in 0..<max(0, n) where machine.isSuccessor(k) {
                    let x = Array(UnsafeBufferPointer(start: succ + k * words, count: words))
                    var holds = node.holds
                    for (i, r) in tracked.enumerated() {
                        let before = bit(node.state, r.bit), after = bit(x, r.bit)
                        if !before && after { holds[t].append(i) }
                        if before && !after { holds[t].removeAll { $0 == i } }
                    }
                    holds[t].sort()
                    let child = Node(state: x, holds: holds)
                    if seen.insert(child).inserted {
                        queue.append(child)
                        if queue.count > maxStates { return nil }
                    }
                }
            }
        }
        return problems.sorted()
    }
}
