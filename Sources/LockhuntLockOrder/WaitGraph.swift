import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration
import LockhuntFindings

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
        /// The thread is responsible for `from` only as the one that must release it for
        /// another (a completion unlocking a buffer the submitter locked): it did not take it.
        public var handedOff = false
        /// The thread may be holding `to` itself while it waits for it there.
        public var holdsAwaited = true
    }

    /// The edges, each with one place that gives rise to it.
    public let edges: [Edge]
    /// Why a task might wait for a release that no task will make, the deadlock an acyclic
    /// graph cannot rule out; empty when none can: then every lock and writeback flag that is
    /// set was set by a task that clears it again before it finishes, and no task waits for
    /// anything else.
    public let openEnds: [OpenEnd]
    /// Per lock-like resource: the threads that may hold it at a point from which they will not
    /// release it themselves (a submitter handing a buffer to the I/O completion, a leak).
    let givers: [Int: Set<Int>]
    // The per-thread facts the edges come from, kept for WaitGraphCheck.
    private let heldRows: BitRows
    private let live: [Bool]
    private let heldWhileAwaited: [[Int]?]
    private let readByEvents: Set<Int>

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

    private let resources: ResourceMap

    public init(program p: Program) {
        let res = p.analysis.resources
        resources = res
        let n = res.count
        var readByEvents = Set<Int>()
        for (pc, ins) in p.ir.enumerated() {
            if case .waitEvent = ins.op { readByEvents.formUnion(p.analysis.reads(pc: pc)) }
        }
        // Lock-like resources: taking them (lock, start writeback) and releasing them (unlock,
        // end writeback) are different acts.
        func lockLike(_ r: Int) -> Bool { WaitGraph.isLockLike(r, res, readByEvents) }
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
        var heldWhileAwaited = [[Int]?](repeating: nil, count: p.ir.count)
        var givers: [Int: Set<Int>] = [:]
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
            // Two analyses of what the thread holds, both sound: keep what both allow.
            let facts = HeldLocks(program: p, thread: t, decided: decided, lockLike: lockLike)
            let objects = ObjectFacts(program: p, thread: threadIndex, decided: decided, lockLike: lockLike)
            for pc in 0..<t.codeCount where facts.reached[pc] && objects?.reached[pc] ?? true {
                live[base + pc] = true
                let precise = objects.map { Set($0.held[pc]) }
                for r in facts.held[pc] where precise?.contains(r) ?? true {
                    held.insert(base + pc, r)
                    if !releasesAhead.contains(base + pc, r) { givers[r, default: []].insert(threadIndex) }
                }
                // What it releases only ever while holding it itself, it never owes anyone.
                for r in facts.owed[pc] where !(objects?.releasesOnlyItsOwn.contains(r) ?? false) { owed.insert(base + pc, r) }
                heldWhileAwaited[base + pc] = objects?.heldWhileAwaited[pc]
            }
            let left = facts.leftHeld.intersection(objects?.leftHeld ?? facts.leftHeld)
            for r in left { givers[r, default: []].insert(threadIndex) }
            ends += left.sorted().map { .leftHeld(thread: threadIndex, resource: $0) }
        }
        self.givers = givers
        self.heldRows = held
        self.live = live
        self.heldWhileAwaited = heldWhileAwaited
        self.readByEvents = readByEvents
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
                var holding = Set<Int>()
                for r in held.members(g) where lockLike(r) && releasesAhead.contains(g, r) { holding.insert(r) }
                let responsible = holding.union(owed.members(g))
                let selfHeld = heldWhileAwaited[g].map(Set.init)
                for r in responsible.sorted() {
                    // A release owed only after passing this very wait is no obligation now,
                    // unless the resource is not lock-like (a later write still wakes others).
                    let handedOff = lockLike(r) && !holding.contains(r)
                    for s in awaited {
                        let holdsAwaited = selfHeld?.contains(s) ?? true
                        // Waiting for what it holds itself: only where it may hold it while waiting.
                        if r == s && !handedOff && !holdsAwaited { continue }
                        if seen.insert([r, s, ti, handedOff ? 1 : 0, holdsAwaited ? 1 : 0]).inserted {
                            out.append(Edge(from: r, to: s, thread: ti, waitPC: g, handedOff: handedOff, holdsAwaited: holdsAwaited))
                        }
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

    /// Whether taking and releasing `r` are separate acts (a lock, a writeback) that the wait
    /// graph follows per thread; not when a wait_event condition reads it.
    package func isLockLike(_ r: Int) -> Bool { WaitGraph.isLockLike(r, resources, readByEvents) }

    private static func isLockLike(_ r: Int, _ res: ResourceMap, _ readByEvents: Set<Int>) -> Bool {
        guard !readByEvents.contains(r) else { return false }
        switch res.kind(r) {
        case .folio(_, .locked), .buffer(_, .locked), .folio(_, .writeback): return true
        default: return false
        }
    }

    package func reaches(pc: Int) -> Bool { live[pc] }

    package func mayHold(pc: Int, _ r: Int) -> Bool { heldRows.contains(pc, r) }
    package func mayHoldWhileAwaiting(pc: Int, _ r: Int) -> Bool { heldWhileAwaited[pc]?.contains(r) ?? true }

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

    /// Whether a deadlock's chain can go from `prev` (a task waiting for `next.from`) to `next`.
    /// A thread that would release `next.from` only on another's behalf can be what the waiter
    /// depends on only once some giver has taken it and keeps it: a thread other than the
    /// waiter, or the waiter itself if it may hold it while it waits (jbd2 cannot be waiting in
    /// lock_buffer() for a buffer whose completion it has not handed off yet).
    func follows(_ prev: Edge, _ next: Edge) -> Bool {
        guard next.handedOff else { return true }
        let g = givers[next.from] ?? []
        return g.contains { $0 != prev.thread } || (g.contains(prev.thread) && prev.holdsAwaited)
    }

    /// A cycle, if there is one: edges each awaiting what the next may release, each from a
    /// different thread, each following the one before (`follows`). A stuck task waits in one
    /// place only, so a cycle that needs one task on two of its edges is no deadlock (kcompactd
    /// waiting for a buffer while holding a folio, and elsewhere for the folio while holding the
    /// buffer, deadlocks with nobody).
    ///
    /// Whether an edge may come next depends on the edge before it, so the search runs over
    /// (resource, edge that led there) nodes, one per distinct (thread, holds-awaited) arrival.
    /// Strongly connected components first: most graphs, even of tens of thousands of edges,
    /// have none, and then there is nothing to search. Within a component, a depth-first search
    /// for a cycle of distinct threads, with failed (node, threads used) pairs remembered; past
    /// a budget it reports some cycle of the component, which can only say more.
    public func cycle() -> [Edge]? {
        var edgesFrom: [Int: [Int]] = [:]
        for (i, e) in edges.enumerated() { edgesFrom[e.from, default: []].append(i) }
        // Nodes: how a chain arrives at a resource.
        struct Arrival: Hashable { var resource: Int; var thread: Int; var holdsAwaited: Bool }
        var nodeOf: [Arrival: Int] = [:]
        var arrivals: [Arrival] = []
        var witness: [Int] = []          // per node: an edge that arrives there
        var target = [Int](repeating: 0, count: edges.count)
        for (i, e) in edges.enumerated() {
            let a = Arrival(resource: e.to, thread: e.thread, holdsAwaited: e.holdsAwaited)
            if let k = nodeOf[a] { target[i] = k } else {
                nodeOf[a] = arrivals.count
                target[i] = arrivals.count
                arrivals.append(a)
                witness.append(i)
            }
        }
        // Node u's successors: (edge, node) for every edge out of its resource that follows it.
        func next(_ u: Int) -> [(edge: Int, node: Int)] {
            let prev = edges[witness[u]]
            return (edgesFrom[arrivals[u].resource] ?? []).compactMap { follows(prev, edges[$0]) ? ($0, target[$0]) : nil }
        }
        let adjacency = (0..<arrivals.count).map(next)
        let components = WaitGraph.stronglyConnected(adjacency.map { $0.map(\.node) })
        var budget = 2_000_000
        for component in components {
            let members = Set(component)
            guard component.count > 1 || adjacency[component[0]].contains(where: { $0.node == component[0] }) else { continue }
            // Thread masks are 64 bits wide, as many as the language allows threads.
            if edges.contains(where: { $0.thread >= 64 }) { return someCycle(in: component, adjacency) }
            for start in component.sorted() {
                var failed = Set<[UInt64]>()
                var path: [Int] = []
                func dfs(_ u: Int, _ used: UInt64) -> Bool {
                    budget -= 1
                    if budget < 0 { return false }
                    for (e, v) in adjacency[u] where members.contains(v) {
                        let bit = UInt64(1) << UInt64(edges[e].thread)
                        guard used & bit == 0 else { continue }
                        path.append(e)
                        if v == start { return true }
                        if v > start, !failed.contains([UInt64(v), used | bit]), dfs(v, used | bit) { return true }
                        path.removeLast()
                    }
                    if budget >= 0 { failed.insert([UInt64(u), used]) }
                    return false
                }
                if dfs(start, 0) { return path.map { edges[$0] } }
                if budget < 0 { return someCycle(in: component, adjacency) }
            }
        }
        return nil
    }

    /// A cycle through the component's nodes, threads aside.
    private func someCycle(in component: [Int], _ adjacency: [[(edge: Int, node: Int)]]) -> [Edge] {
        let members = Set(component)
        var onPath: [Int: Int] = [:]     // node -> position in path
        var path: [Int] = []
        var u = component[0]
        while onPath[u] == nil {
            onPath[u] = path.count
            let (e, v) = adjacency[u].first { members.contains($0.node) }!
            path.append(e)
            u = v
        }
        return path[onPath[u]!...].map { edges[$0] }
    }

    /// Tarjan's strongly connected components, without recursion (graphs at N = 512 have
    /// hundreds of thousands of nodes).
    static func stronglyConnected(_ adjacency: [[Int]]) -> [[Int]] {
        let n = adjacency.count
        var index = [Int](repeating: -1, count: n), low = [Int](repeating: 0, count: n)
        var onStack = [Bool](repeating: false, count: n)
        var stack: [Int] = [], out: [[Int]] = []
        var counter = 0
        for root in 0..<n where index[root] < 0 {
            var frames: [(node: Int, next: Int)] = [(root, 0)]
            index[root] = counter; low[root] = counter; counter += 1
            stack.append(root); onStack[root] = true
            while let (u, i) = frames.last {
                if i < adjacency[u].count {
                    frames[frames.count - 1].next += 1
                    let v = adjacency[u][i]
                    if index[v] < 0 {
                        index[v] = counter; low[v] = counter; counter += 1
                        stack.append(v); onStack[v] = true
                        frames.append((v, 0))
                    } else if onStack[v] {
                        low[u] = min(low[u], index[v])
                    }
                } else {
                    frames.removeLast()
                    if let parent = frames.last { low[parent.node] = min(low[parent.node], low[u]) }
                    if low[u] == index[u] {
                        var component: [Int] = []
                        while true {
                            let w = stack.removeLast()
                            onStack[w] = false
                            component.append(w)
                            if w == u { break }
                        }
                        out.append(component)
                    }
                }
            }
        }
        return out
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
