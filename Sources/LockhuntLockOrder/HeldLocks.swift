import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration
import LockhuntFindings

/// What one thread may hold, and may still have to release, at each of its instructions: the
/// per-thread half of the wait graph (WaitGraph.swift).
///
/// Holding is tracked symbolically where it can be: a lock taken through an expression
/// (`folio_lock(src)`, `folio_lock(P[i])`, `lock_buffer(bhs[j])`) is "the object that expression
/// names" until a release through the same expression ends it, however many objects the
/// expression may name. Only when a variable the expression reads gets a new value while the
/// lock is held does the fact fall back to every object the expression may name. The lock and
/// the writeback of a folio are separate facts: unlocking a folio does not end its writeback.
package struct HeldLocks {
    /// Per thread-relative pc: the lock-like resources the thread may hold there.
    package var held: [[Int]]
    /// Per thread-relative pc: what the thread may release from there on that it did not take
    /// itself on the way (a completion unlocking a buffer the submitter locked), plus every
    /// later write of a resource that is not lock-like.
    var owed: [[Int]]
    /// The pcs some run reaches.
    var reached: [Bool]
    /// What the thread may still hold when it finishes.
    var leftHeld: Set<Int>

    /// A fact about the object an expression names: `$12` (a variable), `A3:8[$5]` (an array
    /// element), with the variables it reads.
    struct Key: Hashable {
        var expr: String
        var writeback: Bool
    }

    package init(program p: Program, thread t: ThreadInfo, decided: DecidedBranches, lockLike: (Int) -> Bool) {
        let base = t.codeStart
        let n = t.codeCount
        let res = p.analysis.resources
        func op(_ pc: Int) -> IROp { p.ir[base + pc].op }
        func successors(_ pc: Int) -> [Int] {
            decided.successors(op(pc), pc, global: base + pc).filter { $0 >= 0 && $0 < n }
        }
        func acquires(_ op: IROp) -> Bool {
            switch op {
            case .folioLock, .folioTrylock, .lockBuffer, .trylockBuffer: return true
            case .setFolioFlag(.writeback, _, true): return true
            default: return false
            }
        }
        func lockOperand(_ op: IROp) -> (CExpr, writeback: Bool)? {
            switch op {
            case .folioLock(let e), .folioTrylock(let e, _), .folioUnlock(let e),
                 .lockBuffer(let e), .trylockBuffer(let e, _), .unlockBuffer(let e):
                return (e, false)
            case .setFolioFlag(.writeback, let e, _):
                return (e, true)
            default:
                return nil
            }
        }

        reached = [Bool](repeating: false, count: n)
        if n > 0 { reached[0] = true }
        var grow = true
        while grow {
            grow = false
            for pc in 0..<n where reached[pc] {
                for s in successors(pc) where !reached[s] { reached[s] = true; grow = true }
            }
        }

        // Copies: a variable only ever assigned from one other variable (every inlined parameter)
        // names the same object as that variable, as long as the source keeps its value: a
        // copy read after its source changed is no copy, and is dropped.
        var copyOf: [FieldID: FieldID] = [:]
        var notCopy = Set<FieldID>()
        for pc in 0..<n {
            switch op(pc) {
            case .assign(let g, .local(let f, _)):
                if let prev = copyOf[g], prev != f { notCopy.insert(g) } else { copyOf[g] = f }
            default:
                if let g = op(pc).definedLocal { notCopy.insert(g) }
            }
        }
        for g in notCopy { copyOf[g] = nil }
        func canonical(_ f: FieldID) -> FieldID {
            var cur = f, steps = 0
            while let next = copyOf[cur], steps < 64 { cur = next; steps += 1 }
            return cur
        }
        var checked = false
        while !checked {
            checked = true
            // Forward: the copies whose source may have changed since they were made.
            var stale = [Set<FieldID>?](repeating: nil, count: n)
            stale[0] = []
            var moved = true
            var broken: FieldID? = nil
            while moved, broken == nil {
                moved = false
                for pc in 0..<n {
                    guard var s = stale[pc] else { continue }
                    if let (e, _) = lockOperand(op(pc)) {
                        e.forEachLocal { f in if s.contains(f) { broken = f } }
                        if broken != nil { break }
                    }
                    if case .assign(let g, .local) = op(pc), copyOf[g] != nil {
                        s.remove(g)
                    } else if let f = op(pc).definedLocal {
                        for g in copyOf.keys where g != f && canonical(g) == canonical(f) { s.insert(g) }
                    }
                    for x in successors(pc) {
                        let merged = (stale[x] ?? []).union(s)
                        if stale[x] != merged { stale[x] = merged; moved = true }
                    }
                }
            }
            if let b = broken {
                copyOf[b] = nil
                for (g, _) in copyOf where canonical(g) == b { copyOf[g] = nil }
                checked = false
            }
        }

        /// The field a step gives a new value; a copy gives its source's value, which is no change.
        func definedField(_ op: IROp) -> FieldID? {
            if case .assign(let g, .local) = op, copyOf[g] != nil { return nil }
            return op.definedLocal
        }

        /// The expression's canonical text and the variables it reads; nil when it reads
        /// shared state, which other threads change.
        func render(_ e: CExpr) -> (String, Set<FieldID>)? {
            switch e {
            // Folio 1 and buffer 1 are different objects: the type is part of the name.
            case .constant(let v, let type): return ("#\(type)\(v)", [])
            case .local(let f, _): let c = canonical(f); return ("$\(c)", [c])
            case .arrayElement(let b, let c, let i, let kind):
                guard let (s, d) = render(i) else { return nil }
                return ("A\(kind == .folio ? "f" : "b")\(b):\(c)[\(s)]", d)
            case .listElement(let l, let i, _):
                guard let (a, da) = render(l), let (b, db) = render(i) else { return nil }
                return ("\(a)[\(b)]", da.union(db))
            case .folioBuffers(let x):
                guard let (s, d) = render(x) else { return nil }
                return ("bufs(\(s))", d)
            case .bufferFolio(let x):
                guard let (s, d) = render(x) else { return nil }
                return ("folio(\(s))", d)
            case .unary(let o, let x):
                guard let (s, d) = render(x) else { return nil }
                return ("\(o.rawValue)(\(s))", d)
            case .binary(let o, let a, let b):
                guard let (x, dx) = render(a), let (y, dy) = render(b) else { return nil }
                return ("(\(x)\(o.rawValue)\(y))", dx.union(dy))
            case .ternary(let a, let b, let c):
                guard let (x, dx) = render(a), let (y, dy) = render(b), let (z, dz) = render(c) else { return nil }
                return ("(\(x)?\(y):\(z))", dx.union(dy).union(dz))
            default:
                return nil
            }
        }

        // The symbols: one per key, with the variables it reads and every object it may name.
        var symbolOf: [Key: Int] = [:]
        var deps: [Set<FieldID>] = []
        var objects: [[Int]] = []
        var keyAt = [Int?](repeating: nil, count: n)
        for pc in 0..<n {
            guard let (e, wb) = lockOperand(op(pc)), let (text, d) = render(e) else { continue }
            let key = Key(expr: text, writeback: wb)
            let k: Int
            if let known = symbolOf[key] { k = known } else {
                k = deps.count
                symbolOf[key] = k
                deps.append(d)
                objects.append([])
            }
            keyAt[pc] = k
            let named = p.analysis.writes(pc: base + pc).filter { r in
                guard lockLike(r) else { return false }
                if case .folio(_, .writeback) = res.kind(r) { return wb }
                return !wb
            }
            objects[k] = Array(Set(objects[k]).union(named)).sorted()
        }
        let symbols = deps.count
        let concrete = res.words * 64
        // A trylock holds its lock only where its result was true: its fact is guarded by the
        // result field until a branch on that field decides.
        var guardOf: [FieldID: (cell: Int, symbol: Int)] = [:]
        for pc in 0..<n {
            switch op(pc) {
            case .folioTrylock(_, let d?), .trylockBuffer(_, let d?):
                if let k = keyAt[pc], guardOf[d] == nil { guardOf[d] = (concrete + symbols + guardOf.count, k) }
            default: break
            }
        }
        let cells = concrete + symbols + guardOf.count

        // Forward: what may be held.
        var facts = [[Bool]](repeating: [Bool](repeating: false, count: cells), count: n)
        var again = true
        while again {
            again = false
            for pc in 0..<n where reached[pc] {
                let o = op(pc)
                var row = facts[pc]
                let w = p.analysis.writes(pc: base + pc).filter(lockLike)
                let k = keyAt[pc]
                var guardHere: FieldID? = nil
                switch o {
                case .folioTrylock(_, let d?), .trylockBuffer(_, let d?):
                    if guardOf[d]?.symbol == k, k != nil { guardHere = d }
                default: break
                }
                if let d = guardHere, let gd = guardOf[d] {
                    row[gd.cell] = true
                } else if acquires(o) {
                    if let k { row[concrete + k] = true } else { for r in w { row[r] = true } }
                } else if !w.isEmpty {
                    if let k {
                        row[concrete + k] = false
                        // A release through the same expression also ends a trylock of it.
                        for (_, gd) in guardOf where gd.symbol == k { row[gd.cell] = false }
                    }
                    if w.count == 1 { row[w[0]] = false }
                }
                if let f = definedField(o) {
                    let c = canonical(f)
                    // A variable that names a held lock changes: fall back to its objects.
                    for s in 0..<symbols where deps[s].contains(c) && row[concrete + s] {
                        row[concrete + s] = false
                        for r in objects[s] { row[r] = true }
                    }
                    for (d, gd) in guardOf where row[gd.cell] && (deps[gd.symbol].contains(c) || (d == f && guardHere != f)) {
                        row[gd.cell] = false
                        if deps[gd.symbol].contains(c) {
                            for r in objects[gd.symbol] { row[r] = true }
                        } else {
                            // A reassigned result no longer tells: its lock is simply held.
                            row[concrete + gd.symbol] = true
                        }
                    }
                }
                // A branch on a trylock's result: the lock is held on its true side only.
                var dropOnElse: Int? = nil, dropOnNext: Int? = nil
                if case .branch(let cond, _) = o {
                    switch cond {
                    case .local(let d, _): dropOnElse = guardOf[d]?.cell
                    case .unary(.not, .local(let d, _)): dropOnNext = guardOf[d]?.cell
                    default: break
                    }
                }
                var elseTarget: Int? = nil
                if case .branch(_, let e) = o, e != pc + 1 { elseTarget = e }
                for s in successors(pc) {
                    for c in 0..<cells where row[c] && !facts[s][c] {
                        if c == dropOnElse, s == elseTarget { continue }
                        if c == dropOnNext, s == pc + 1 { continue }
                        facts[s][c] = true
                        again = true
                    }
                }
            }
        }
        func expand(_ row: [Bool]) -> [Int] {
            var out = Set<Int>()
            for c in 0..<concrete where row[c] { out.insert(c) }
            for s in 0..<symbols where row[concrete + s] { out.formUnion(objects[s]) }
            for (_, gd) in guardOf where gd.cell < row.count && row[gd.cell] { out.formUnion(objects[gd.symbol]) }
            return out.sorted()
        }
        held = facts.map(expand)
        leftHeld = []
        for pc in 0..<n where reached[pc] {
            if case .finish = op(pc) { leftHeld.formUnion(held[pc]) }
        }

        // Backward: what it may release that it did not take itself on the way. A release
        // through an expression pairs with an acquisition through the same expression before
        // it; where a variable the expression reads changes, the release ahead refers to the
        // new value, and counts for every object the expression may name.
        var owedRows = [[Bool]](repeating: [Bool](repeating: false, count: concrete + symbols), count: n)
        again = true
        while again {
            again = false
            for pc in stride(from: n - 1, through: 0, by: -1) {
                let o = op(pc)
                var row = [Bool](repeating: false, count: concrete + symbols)
                for s in successors(pc) {
                    for c in 0..<(concrete + symbols) where owedRows[s][c] { row[c] = true }
                }
                let w = p.analysis.writes(pc: base + pc)
                if let f = definedField(o) {
                    let c = canonical(f)
                    for s in 0..<symbols where deps[s].contains(c) && row[concrete + s] {
                        row[concrete + s] = false
                        for r in objects[s] { row[r] = true }
                    }
                }
                let k = keyAt[pc]
                if acquires(o) {
                    // What it takes here it releases itself: not owed to anyone before.
                    if let k { row[concrete + k] = false }
                    let taken = w.filter(lockLike)
                    if taken.count == 1 { row[taken[0]] = false }
                } else if let k, w.contains(where: lockLike) {
                    row[concrete + k] = true
                    for r in w where !lockLike(r) { row[r] = true }
                } else {
                    for r in w { row[r] = true }
                }
                if row != owedRows[pc] { owedRows[pc] = row; again = true }
            }
        }
        owed = owedRows.map(expand)
    }
}
