/// The static wait graph of a compiled model, over every resource a task can wait for (folio
/// and buffer locks, writeback, the flags and variables of wait_event conditions): an edge
/// R -> S when some task may block waiting for S at a point from which it may still release R
/// (unlock the lock, end the writeback, change the flag or variable).
///
/// Why it matters: in a deadlock, every stuck task waits for something only stuck tasks could
/// still release. Following "who could release what I wait for" from task to task either closes
/// a cycle, which is a cycle of this graph, or ends at a task waiting for a release that no
/// task will ever make (a lock left held, writeback never ended, an event never signalled).
/// So an acyclic graph rules out every deadlock of the first kind, at any interleaving; the
/// second kind it cannot rule out, and callers must say so.
///
/// What a waiting task "may still release" is, for locks and writeback, what it holds (took and
/// has not released, on some path) plus what it must release on another task's behalf (an I/O
/// completion unlocking a buffer the submitter locked): a release that follows the task's own
/// later acquisition does not count, since nobody can be waiting on the task for it yet. For
/// every other resource (shared variables, other flags) any later write counts. A lock or
/// writeback flag that a wait_event condition reads is treated like the others (any write).
public struct WaitGraph: Sendable {
    /// Resource names, as reports write them.
    public let resourceNames: [String]
    /// R -> S: a task may wait for S (at `waitPC`, in `thread`) while it may still release R.
    public struct Edge: Sendable, Equatable {
        public var from: Int
        public var to: Int
        public var thread: Int
        public var waitPC: Int
    }

    /// The edges, each with one place that gives rise to it.
    public let edges: [Edge]
    /// Why a task might wait for a release that no task will make, the deadlock an acyclic
    /// graph cannot rule out; empty when none can: then every lock and writeback flag that is
    /// set was set by a task that clears it again before it finishes, and no task waits for
    /// anything else.
    public let openEnds: [OpenEnd]

    public enum OpenEnd: Sendable, Equatable {
        /// A thread may finish with the lock or writeback flag still set (a hand-off to another
        /// thread, or a leak).
        case leftHeld(thread: Int, resource: Int)
        /// The lock or writeback flag is set from the start.
        case initiallySet(resource: Int)
        /// A wait for a condition (wait_event, a flag other than a lock or writeback), which
        /// nothing obliges any task to make true.
        case waitsForCondition(thread: Int, pc: Int)
    }

    public init(program p: Program) {
        let res = p.analysis.resources
        let n = res.count
        var readByEvents = Set<Int>()
        for (pc, ins) in p.ir.enumerated() {
            if case .waitEvent = ins.op { readByEvents.formUnion(p.analysis.reads(pc: pc)) }
        }
        // Lock-like resources: taking them (lock, start writeback) and releasing them (unlock,
        // end writeback) are different acts.
        func lockLike(_ r: Int) -> Bool {
            if readByEvents.contains(r) { return false }
            switch res.kind(r) {
            case .folio(_, .locked), .buffer(_, .locked), .folio(_, .writeback): return true
            default: return false
            }
        }
        let decided = DecidedBranches(program: p)
        var held = BitRows(rows: p.ir.count, width: res.words)
        var owed = BitRows(rows: p.ir.count, width: res.words)
        var live = [Bool](repeating: false, count: p.ir.count)
        var ends: [OpenEnd] = []
        // What a thread may release (unlock, end writeback, write) from each pc on, whoever took
        // it: a thread that takes a lock it will never release itself (jbd2 locking a buffer
        // for I/O) is not what a waiter depends on; the completion that releases it is.
        var releasesAhead = BitRows(rows: p.ir.count, width: res.words)
        func acquires(_ op: IROp) -> Bool {
            switch op {
            case .folioLock, .folioTrylock, .lockBuffer, .trylockBuffer: return true
            case .setFolioFlag(.writeback, _, true): return true
            default: return false
            }
        }
        func isRelease(_ op: IROp, _ r: Int) -> Bool { !(lockLike(r) && acquires(op)) }
        for (threadIndex, t) in p.threads.enumerated() {
            let base = t.codeStart
            for pc in 0..<t.codeCount {
                for r in p.analysis.writes(pc: base + pc) where isRelease(p.ir[base + pc].op, r) { releasesAhead.insert(base + pc, r) }
            }
            var changed = true
            while changed {
                changed = false
                for pc in stride(from: t.codeCount - 1, through: 0, by: -1) {
                    for s in decided.successors(p.ir[base + pc].op, pc, global: base + pc) where s >= 0 && s < t.codeCount {
                        if releasesAhead.formUnion(base + pc, with: base + s) { changed = true }
                    }
                }
            }
            let facts = HeldLocks(program: p, thread: t, decided: decided, lockLike: lockLike)
            for pc in 0..<t.codeCount where facts.reached[pc] {
                live[base + pc] = true
                for r in facts.held[pc] { held.insert(base + pc, r) }
                for r in facts.owed[pc] { owed.insert(base + pc, r) }
            }
            ends += facts.leftHeld.sorted().map { .leftHeld(thread: threadIndex, resource: $0) }
        }
        // Edges: for each blocking step, what it may wait for, from what it holds or owes.
        // One witness per edge and thread: a deadlock's cycle has each task on one edge only.
        var seen = Set<[Int]>()
        var out: [Edge] = []
        for (ti, t) in p.threads.enumerated() {
            for pc in 0..<t.codeCount where live[t.codeStart + pc] {
                let g = t.codeStart + pc
                var awaited: [Int] = []
                switch p.ir[g].op {
                case .folioLock, .lockBuffer:
                    awaited = p.analysis.writes(pc: g)
                case .waitFolioFlagClear(let k, _):
                    awaited = p.analysis.reads(pc: g).filter { if case .folio(_, k) = res.kind($0) { return true }; return false }
                    if !awaited.allSatisfy(lockLike) { ends.append(.waitsForCondition(thread: ti, pc: g)) }
                case .waitEvent:
                    awaited = p.analysis.reads(pc: g)
                    ends.append(.waitsForCondition(thread: ti, pc: g))
                default:
                    continue
                }
                var responsible = Set(owed.members(g))
                for r in held.members(g) where lockLike(r) && releasesAhead.contains(g, r) { responsible.insert(r) }
                for r in responsible.sorted() {
                    // A release owed only after passing this very wait is no obligation now,
                    // unless the resource is not lock-like (a later write still wakes others).
                    for s in awaited where seen.insert([r, s, ti]).inserted {
                        out.append(Edge(from: r, to: s, thread: ti, waitPC: g))
                    }
                }
            }
        }
        edges = out
        for (i, f) in p.folios.enumerated() {
            for flag in f.initialFlags where flag == .locked || flag == .writeback {
                let r = res.folio(i + 1, flag)
                if lockLike(r) { ends.append(.initiallySet(resource: r)) }
            }
        }
        for (i, b) in p.buffers.enumerated() where b.initialFlags.contains(.locked) {
            let r = res.buffer(i + 1, .locked)
            if lockLike(r) { ends.append(.initiallySet(resource: r)) }
        }
        openEnds = ends
        var names: [String] = []
        for r in 0..<n {
            switch res.kind(r) {
            case .folio(let f, let k): names.append(k == .locked ? "folio \(p.folios[f - 1].name)" : "\(k.kernelName) of folio \(p.folios[f - 1].name)")
            case .buffer(let b, let k): names.append(k == .locked ? "buffer \(p.buffers[b - 1].name)" : "\(k.kernelName) of buffer \(p.buffers[b - 1].name)")
            case .shared(let v, let k): names.append(p.fieldInfo[p.shared[v].firstField + k].name)
            }
        }
        resourceNames = names
    }

    /// What the graph proves about every run of the model.
    public enum Verdict: Sendable, Equatable {
        /// No deadlock of any kind: the graph is acyclic and nothing is left open.
        case noDeadlock
        /// No set of tasks can wait on each other in a cycle; a task may still wait for a
        /// release that nobody makes, for the reasons given.
        case noCyclicDeadlock([OpenEnd])
        /// The graph has this cycle, which the analysis cannot tell from a real one.
        case possibleCycle([Edge])
    }

    public var verdict: Verdict {
        if let c = cycle() { return .possibleCycle(c) }
        return openEnds.isEmpty ? .noDeadlock : .noCyclicDeadlock(openEnds)
    }

    /// A cycle, if there is one: edges each awaiting what the next may release, each from a
    /// different thread. A stuck task waits in one place only, so a cycle that needs one task
    /// on two of its edges is no deadlock (kcompactd waiting for a buffer while holding a folio,
    /// and elsewhere for the folio while holding the buffer, deadlocks with nobody).
    public func cycle() -> [Edge]? {
        var adj: [Int: [Edge]] = [:]
        for e in edges { adj[e.from, default: []].append(e) }
        let threads = (edges.map(\.thread).max() ?? 0) + 1
        // Searched from each resource in turn; (resource, threads used) pairs that cannot lead
        // back to the start are remembered. Past a budget, or with more threads than a mask
        // holds, fall back to cycles that may reuse a thread: that can only report more.
        var budget = 2_000_000
        for start in adj.keys.sorted() where threads <= 64 {
            var failed = Set<[UInt64]>()
            var path: [Edge] = []
            func dfs(_ u: Int, _ used: UInt64) -> Bool {
                budget -= 1
                if budget < 0 { return false }
                for e in adj[u] ?? [] where used & (1 << UInt64(e.thread)) == 0 {
                    let mask = used | (1 << UInt64(e.thread))
                    path.append(e)
                    if e.to == start { return true }
                    if e.to > start, !failed.contains([UInt64(e.to), mask]), dfs(e.to, mask) { return true }
                    path.removeLast()
                }
                if budget >= 0 { failed.insert([UInt64(u), used]) }
                return false
            }
            if dfs(start, 0) { return path }
            if budget < 0 { break }
        }
        if threads <= 64 && budget >= 0 { return nil }
        return anyCycle(adj)
    }

    /// A cycle of the graph, threads aside.
    private func anyCycle(_ adj: [Int: [Edge]]) -> [Edge]? {
        var color: [Int: Int] = [:]   // 1 on the stack, 2 done
        var stack: [Edge] = []
        func dfs(_ u: Int) -> [Edge]? {
            color[u] = 1
            for e in adj[u] ?? [] {
                stack.append(e)
                if color[e.to] == 1 { return Array(stack[stack.firstIndex { $0.from == e.to }!...]) }
                if color[e.to] == nil, let c = dfs(e.to) { return c }
                stack.removeLast()
            }
            color[u] = 2
            return nil
        }
        for u in adj.keys.sorted() where color[u] == nil {
            if let c = dfs(u) { return c }
        }
        return nil
    }

    /// One line for an edge of a cycle: who waits for what, where, and what it may still release.
    public func describe(_ e: Edge, in p: Program) -> String {
        let what = e.from == e.to ? "while it may hold it itself" : "while it may still release \(resourceNames[e.from])"
        return "\(p.threads[e.thread].name) waits for \(resourceNames[e.to]) (\(p.location(ofPC: e.waitPC))) \(what)"
    }

    /// One line for a reason a task may wait for a release that nobody makes.
    public func describe(_ o: OpenEnd, in p: Program) -> String {
        switch o {
        case .leftHeld(let t, let r): return "\(p.threads[t].name) may finish with \(resourceNames[r]) still set"
        case .initiallySet(let r): return "\(resourceNames[r]) is set from the start"
        case .waitsForCondition(let t, let pc): return "\(p.threads[t].name) waits for a condition (\(p.location(ofPC: pc)))"
        }
    }
}
