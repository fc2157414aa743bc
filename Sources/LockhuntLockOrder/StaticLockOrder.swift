import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration
import LockhuntFindings

/// The static lock-order graph of a compiled model, lockdep-style: every "B taken while holding
/// A", with where B is taken and where A was, for folio locks and buffer locks alike (lockdep
/// has no class for a folio lock, so it cannot see these orders at all).
///
/// Per thread, over the inlined instructions:
/// - forward, the locks the thread may hold at each point: a blocking `folio_lock` or
///   `lock_buffer` or a trylock adds its possible objects (from points-to); an unlock removes
///   its object when the operand can only be that one. This is a may-analysis: a lock counts as
///   held if it is held on some path, so the graph may have edges no run takes; the explorer
///   then settles each cycle.
/// - backward, the locks the thread may still release that it did not take itself: a task that
///   must unlock a buffer another task locked for I/O (`end_buffer_write_sync()`) holds it in
///   effect until then. "B taken before releasing A" is a hand-off edge A -> B.
public struct StaticLockOrder: Sendable {
    public enum Kind: String, Sendable {
        /// B taken by a call that sleeps until it gets it.
        case blocking
        /// B taken by a trylock, which cannot wait: such an edge cannot close a deadlock.
        case trylock
        /// B taken by a call that sleeps, before the thread releases A, which another task took.
        case handoff
    }

    /// One place where B is taken while A is held.
    public struct Instance: Sendable {
        public var thread: Int
        public var kind: Kind
        /// Global pc of the acquisition of B.
        public var takePC: Int
        /// Global pcs where A was taken by this thread (for a hand-off: where A is released).
        public var holdPCs: [Int]
    }

    public struct Edge: Sendable {
        /// Lock names as reports write them: `folio A`, `buffer bh`.
        public var from: String
        public var to: String
        public var instances: [Instance]

        /// Every way this edge is taken is a trylock.
        public var trylockOnly: Bool { instances.allSatisfy { $0.kind == .trylock } }
        public var threads: [Int] { Array(Set(instances.map(\.thread))).sorted() }
    }

    public let locks: [String]
    public let edges: [Edge]

    public init(program p: Program) {
        let res = p.analysis.resources
        let folioCount = p.folios.count
        var names: [String] = p.folios.map { "folio \($0.name)" } + p.buffers.map { "buffer \($0.name)" }
        // Lock index of a resource, if it is a lock.
        func lockIndex(_ r: Int) -> Int? {
            switch res.kind(r) {
            case .folio(let f, .locked): return f - 1
            case .buffer(let b, .locked): return folioCount + b - 1
            default: return nil
            }
        }
        enum Effect { case acquire(Kind), release, none }
        func effect(_ op: IROp) -> Effect {
            switch op {
            case .folioLock, .lockBuffer: return .acquire(.blocking)
            case .folioTrylock, .trylockBuffer: return .acquire(.trylock)
            case .folioUnlock, .unlockBuffer: return .release
            default: return .none
            }
        }
        func targets(_ pc: Int) -> [Int] { p.analysis.writes(pc: pc).compactMap(lockIndex) }

        // Who acquires each lock anywhere: a hand-off needs another task to have taken it.
        var acquirers: [Int: Set<Int>] = [:]
        for (t, info) in p.threads.enumerated() {
            for g in info.codeStart..<(info.codeStart + info.codeCount) {
                if case .acquire = effect(p.ir[g].op) { for l in targets(g) { acquirers[l, default: []].insert(t) } }
            }
        }

        var found: [String: Edge] = [:]
        var order: [String] = []
        func add(_ a: Int, _ b: Int, _ inst: Instance) {
            let key = "\(a)>\(b)"
            if found[key] == nil {
                found[key] = Edge(from: names[a], to: names[b], instances: [])
                order.append(key)
            }
            if let i = found[key]!.instances.firstIndex(where: { $0.thread == inst.thread && $0.takePC == inst.takePC && $0.kind == inst.kind }) {
                found[key]!.instances[i].holdPCs = Array(Set(found[key]!.instances[i].holdPCs + inst.holdPCs)).sorted()
            } else {
                found[key]!.instances.append(inst)
            }
        }

        for (t, info) in p.threads.enumerated() {
            let base = info.codeStart, n = info.codeCount
            // Forward: lock -> pcs that took it, at the entry of each instruction.
            var held = [[Int: Set<Int>]?](repeating: nil, count: n)
            if n > 0 { held[0] = [:] }
            var work = n > 0 ? [0] : []
            while let pc = work.popLast() {
                var out = held[pc]!
                let g = base + pc
                switch effect(p.ir[g].op) {
                case .acquire: for l in targets(g) { out[l, default: []].insert(g) }
                case .release:
                    let ts = targets(g)
                    if ts.count == 1 { out[ts[0]] = nil }
                case .none: break
                }
                for s in Analysis.successors(p.ir[g].op, pc) where s >= 0 && s < n {
                    var merged = held[s] ?? [:]
                    var changed = held[s] == nil
                    for (l, pcs) in out where !(merged[l]?.isSuperset(of: pcs) ?? false) {
                        merged[l, default: []].formUnion(pcs)
                        changed = true
                    }
                    if changed { held[s] = merged; work.append(s) }
                }
            }
            // Backward: locks this thread may still release, and where.
            var pending = [[Int: Set<Int>]](repeating: [:], count: n)
            var again = true
            while again {
                again = false
                for pc in stride(from: n - 1, through: 0, by: -1) {
                    let g = base + pc
                    var acc: [Int: Set<Int>] = [:]
                    // Only releases of a lock the thread did not take itself (on any path).
                    if case .release = effect(p.ir[g].op) {
                        for l in targets(g) where held[pc]?[l] == nil { acc[l, default: []].insert(g) }
                    }
                    for s in Analysis.successors(p.ir[g].op, pc) where s >= 0 && s < n {
                        for (l, pcs) in pending[s] { acc[l, default: []].formUnion(pcs) }
                    }
                    if acc != pending[pc] { pending[pc] = acc; again = true }
                }
            }
            // Edges at every acquisition.
            for pc in 0..<n {
                let g = base + pc
                guard case .acquire(let kind) = effect(p.ir[g].op), let before = held[pc] else { continue }
                for b in targets(g) {
                    // Sorted, so that the graph (and its report) is the same from run to run.
                    for a in before.keys.sorted() where a != b {
                        add(a, b, Instance(thread: t, kind: kind, takePC: g, holdPCs: before[a]!.sorted()))
                    }
                    guard kind == .blocking else { continue }
                    for a in pending[pc].keys.sorted() where a != b && before[a] == nil {
                        let pcs = pending[pc][a]!
                        // Released later by this thread, taken by another one.
                        guard acquirers[a]?.contains(where: { $0 != t }) == true else { continue }
                        add(a, b, Instance(thread: t, kind: .handoff, takePC: g, holdPCs: pcs.sorted()))
                    }
                }
            }
        }
        names = names.filter { n in order.contains { found[$0]!.from == n || found[$0]!.to == n } }
        locks = names
        edges = order.map { found[$0]! }
    }

    /// Simple cycles of two or more locks, each listed once (starting from its first lock in
    /// `locks` order), at most `limit` of them.
    public func cycles(limit: Int = 64) -> [[Int]] {
        let index = Dictionary(uniqueKeysWithValues: locks.enumerated().map { ($1, $0) })
        var next = [[Int]](repeating: [], count: locks.count)
        for (i, e) in edges.enumerated() { if let a = index[e.from] { next[a].append(i) } }
        var out: [[Int]] = []
        for start in 0..<locks.count {
            var path: [Int] = []  // edge indices
            var onPath: Set<Int> = [start]
            func dfs(_ node: Int) {
                if out.count >= limit { return }
                for ei in next[node] {
                    guard let to = index[edges[ei].to], to >= start else { continue }
                    if to == start {
                        if !path.isEmpty || edges[ei].from != edges[ei].to { out.append(path + [ei]) }
                        continue
                    }
                    if onPath.contains(to) { continue }
                    onPath.insert(to); path.append(ei)
                    dfs(to)
                    path.removeLast(); onPath.remove(to)
                }
            }
            dfs(start)
        }
        return out
    }
}
