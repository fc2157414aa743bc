import LockhuntBasics
import LockhuntLanguage

/// Static facts about the compiled threads, computed once per program:
/// - which objects a run-time operand (`folio_lock(src)`) can name (points-to);
/// - which resources each step reads and writes;
/// - which resources a thread may still write from each point on (`mayWrite`), the basis of
///   the deadlock check: a blocked task that no other live task can ever wake is deadlocked;
/// - which locals are live at each resting point (dead ones are cleared, so that two states
///   differing only in dead values are one state).
public struct Analysis: Sendable {
    public let resources: ResourceMap
    /// Row per global pc: resources that step may read / write.
    package let reads: BitRows
    package let writes: BitRows
    /// Row per global pc: resources the thread may write from here until it finishes.
    package let mayWrite: BitRows
    /// Row per global pc: resources the thread may read from here until it finishes.
    package let mayRead: BitRows
    /// Object ids (folio, buffer or list ids) each object-valued field may hold.
    public let pointsTo: [FieldID: Set<Int>]
    /// Per global pc: index into `liveMaskWords` of the masks for that thread's local words.
    package let liveMaskStart: [Int]
    package let liveMaskWords: [UInt64]
    /// Per thread: first word and number of words its locals span.
    package let localWordRange: [(first: Int, count: Int)]
    /// Per thread: its local fields (task flags included, pc excluded), densely numbered, and per
    /// thread-relative pc the live ones among them (live-in: may be read before being written).
    /// The Promela export clears exactly the dead ones, as the masks above do bit by bit.
    package let localFields: [[FieldID]]
    let liveLocals: [BitRows]

    /// Locals of `thread` live at its (thread-relative) `pc`, in field order.
    public func liveLocals(thread: Int, pc: Int) -> [FieldID] {
        liveLocals[thread].members(pc).map { localFields[thread][$0] }
    }

    public func mayWrite(pc: Int, resource: Int) -> Bool { mayWrite.contains(pc, resource) }
    public func writes(pc: Int) -> [Int] { writes.members(pc) }
    public func reads(pc: Int) -> [Int] { reads.members(pc) }

    /// The object ids (folios, buffers or lists) expression `e` may name at global pc `pc`
    /// (-1: at any step), given the points-to sets so far and, once computed, the index ranges.
    private static func evalObjects(_ e: CExpr, at pc: Int, pts: [FieldID: Set<Int>], compiler c: Compiler,
                                    ranges: [IndexRanges], rangesOfPC: [Int32]) -> Set<Int> {
        func eval(_ e: CExpr) -> Set<Int> {
            switch e {
            case .constant(let v, let t):
                switch t {
                case .folio, .buffer: return v == 0 ? [] : [Int(v)]
                case .list: return [Int(v)]
                default: return []
                }
            case .local(let f, _): return pts[f] ?? []
            case .listElement(let l, _, _):
                var out = Set<Int>()
                for id in eval(l) where id >= 0 && id < c.lists.count { out.formUnion(c.lists.lists[id]) }
                return out
            case .arrayElement(let base, let count, let index, _):
                var lo = 0, hi = count - 1
                if pc >= 0, pc < rangesOfPC.count, rangesOfPC[pc] >= 0 {
                    guard let r = ranges[Int(rangesOfPC[pc])].range(of: index, atGlobal: pc) else { return [] }
                    if let l = r.lo { lo = max(lo, Int(clamping: l)) }
                    if let h = r.hi { hi = min(hi, Int(clamping: h)) }
                }
                return lo > hi ? [] : Set((base + lo)...(base + hi))
            case .folioBuffers(let f): return Set(eval(f).filter { $0 >= 1 && $0 <= c.folios.count }.map { c.folios[$0 - 1].bufferList })
            case .bufferFolio(let b): return Set(eval(b).filter { $0 >= 1 && $0 <= c.buffers.count }.map { c.buffers[$0 - 1].folio })
            case .singletonList(let x, let kind):
                let base = kind == .folio ? c.singletons.folioBase : c.singletons.bufferBase
                return Set(eval(x).map { base + $0 - 1 })
            case .ternary(_, let a, let b): return eval(a).union(eval(b))
            default: return []
            }
        }
        return eval(e)
    }

    public static func successors(_ op: IROp, _ pc: Int) -> [Int] {
        switch op {
        case .branch(_, let e): return [pc + 1, e]
        case .jump(let t): return [t]
        case .choose(let ts): return ts
        case .finish: return []
        default: return [pc + 1]
        }
    }

    package init(compiler c: Compiler, fields: [Field], threads: [ThreadInfo], words: Int) {
        let res = ResourceMap(folioCount: c.folios.count, bufferCount: c.buffers.count, sharedElements: c.shared.map(\.count))
        resources = res
        let n = c.ir.count
        var reads = BitRows(rows: n, width: res.words)
        var writes = BitRows(rows: n, width: res.words)
        var mayWrite = BitRows(rows: n, width: res.words)
        var mayRead = BitRows(rows: n, width: res.words)
        var pts: [FieldID: Set<Int>] = [:]

        // Points-to, flow-insensitive per thread, to a fixpoint. An array element indexed by
        // a local names the elements the index ranges allow at that step (IndexRanges.swift),
        // once they are known: the first pass, which the ranges need for list lengths, takes
        // the whole array.
        var indexRanges: [IndexRanges] = []
        var rangesOfPC: [Int32] = []
        func eval(_ e: CExpr, at pc: Int) -> Set<Int> {
            Self.evalObjects(e, at: pc, pts: pts, compiler: c, ranges: indexRanges, rangesOfPC: rangesOfPC)
        }
        func pointsToFixpoint() {
            pts = [:]
            var changed = true
            while changed {
                changed = false
                for (pc, ins) in c.ir.enumerated() {
                    var target: FieldID? = nil
                    var value: CExpr? = nil
                    switch ins.op {
                    case .assign(let f, let e), .load(let f, let e): target = f; value = e
                    default: break
                    }
                    if let f = target, let e = value {
                        let t = c.fieldInfo[f].type
                        guard t.isObject || { if case .list = t { return true } else { return false } }() else { continue }
                        let add = eval(e, at: pc)
                        let old = pts[f] ?? []
                        if !add.isSubset(of: old) { pts[f] = old.union(add); changed = true }
                    }
                }
            }
        }
        pointsToFixpoint()
        for (i, t) in threads.enumerated() {
            let lengths: (CExpr) -> IndexRanges.Interval = { [pts] e in
                guard case .listLength(let l) = e else { return .top }
                let ids = Self.evalObjects(l, at: -1, pts: pts, compiler: c, ranges: [], rangesOfPC: []).filter { $0 >= 0 && $0 < c.lists.count }
                let counts = ids.map { Int64(c.lists.lists[$0].count) }
                guard let lo = counts.min(), let hi = counts.max() else { return .top }
                return IndexRanges.Interval(lo: lo, hi: hi)
            }
            indexRanges.append(IndexRanges(ir: c.ir, thread: t, isScalarLocal: { f in
                guard c.fieldInfo[f].thread == i else { return false }
                switch c.fieldInfo[f].type {
                case .int, .bool, .enumeration: return true
                default: return false
                }
            }, fieldRange: { f in
                let fl = fields[f]
                if fl.width >= 64 { return .top }
                if fl.signed { return IndexRanges.Interval(lo: -(Int64(1) << Int64(fl.width - 1)), hi: (Int64(1) << Int64(fl.width - 1)) - 1) }
                return IndexRanges.Interval(lo: 0, hi: Int64(fl.mask))
            }, listLengths: lengths))
        }
        rangesOfPC = [Int32](repeating: -1, count: n)
        for (i, t) in threads.enumerated() { for pc in t.codeStart..<(t.codeStart + t.codeCount) { rangesOfPC[pc] = Int32(i) } }
        pointsToFixpoint()
        pointsTo = pts

        // Resources read and written by each step.
        func folios(_ e: CExpr, _ pc: Int) -> Set<Int> { eval(e, at: pc).filter { $0 >= 1 && $0 <= c.folios.count } }
        func bufs(_ e: CExpr, _ pc: Int) -> Set<Int> { eval(e, at: pc).filter { $0 >= 1 && $0 <= c.buffers.count } }
        /// The elements of shared variable `v` an index may select: a constant one, the folios a
        /// folio index may name, those an integer index may have at that step (IndexRanges.swift),
        /// or all of them.
        func elements(_ v: Int, _ index: CExpr?, _ pc: Int) -> [Int] {
            let info = c.shared[v]
            guard let index else { return [0] }
            if let k = index.constantValue {
                let e = info.perFolio ? Int(k) - 1 : Int(k)
                return e >= 0 && e < info.count ? [e] : []
            }
            if info.perFolio { return folios(index, pc).map { $0 - 1 }.filter { $0 < info.count } }
            guard rangesOfPC[pc] >= 0 else { return Array(0..<info.count) }
            guard let r = indexRanges[Int(rangesOfPC[pc])].range(of: index, atGlobal: pc) else { return [] }
            let lo = max(0, Int(clamping: r.lo ?? 0)), hi = min(info.count - 1, Int(clamping: r.hi ?? Int64(info.count - 1)))
            return lo > hi ? [] : Array(lo...hi)
        }
        func sharedReads(_ e: CExpr, _ row: Int) {
            switch e {
            case .shared(let v, let i, _):
                for k in elements(v, i, row) { reads.insert(row, res.shared(v, k)) }
                if let i { sharedReads(i, row) }
            case .folioFlag(let k, let x): for f in folios(x, row) { reads.insert(row, res.folio(f, k)) }; sharedReads(x, row)
            case .bufferFlag(let k, let x): for b in bufs(x, row) { reads.insert(row, res.buffer(b, k)) }; sharedReads(x, row)
            case .setMember(_, let x), .listLength(let x), .folioBuffers(let x), .folioMapping(let x), .bufferFolio(let x),
                 .unary(_, let x), .singletonList(let x, _), .arrayElement(_, _, let x, _):
                sharedReads(x, row)
            case .listElement(let a, let b, _), .binary(_, let a, let b): sharedReads(a, row); sharedReads(b, row)
            case .ternary(let a, let b, let x): sharedReads(a, row); sharedReads(b, row); sharedReads(x, row)
            case .constant, .local, .setEmpty: break
            }
        }
        for (pc, ins) in c.ir.enumerated() {
            switch ins.op {
            case .folioLock(let e), .folioTrylock(let e, _), .folioUnlock(let e):
                for f in folios(e, pc) { reads.insert(pc, res.folio(f, .locked)); writes.insert(pc, res.folio(f, .locked)) }
            case .lockBuffer(let e), .trylockBuffer(let e, _), .unlockBuffer(let e):
                for b in bufs(e, pc) { reads.insert(pc, res.buffer(b, .locked)); writes.insert(pc, res.buffer(b, .locked)) }
            case .setFolioFlag(let k, let e, _), .testClearFolioFlag(let k, let e, _):
                for f in folios(e, pc) {
                    reads.insert(pc, res.folio(f, k)); writes.insert(pc, res.folio(f, k))
                    if k == .writeback { reads.insert(pc, res.folio(f, .locked)) }
                }
            case .setBufferFlag(let k, let e, _):
                for b in bufs(e, pc) { reads.insert(pc, res.buffer(b, k)); writes.insert(pc, res.buffer(b, k)) }
            case .waitFolioFlagClear(let k, let e):
                for f in folios(e, pc) { reads.insert(pc, res.folio(f, k)) }
            case .waitEvent(let e), .assert(let e, _), .load(_, let e), .branch(let e, _):
                sharedReads(e, pc)
            case .store(let v, let i, let x):
                for k in elements(v, i, pc) { writes.insert(pc, res.shared(v, k)) }
                if let i { sharedReads(i, pc) }
                sharedReads(x, pc)
            default: break
            }
        }

        // mayWrite and mayRead: backwards over each thread's control flow graph, to a fixpoint.
        for t in threads {
            let base = t.codeStart
            for pc in 0..<t.codeCount {
                for r in writes.members(base + pc) { mayWrite.insert(base + pc, r) }
                for r in reads.members(base + pc) { mayRead.insert(base + pc, r) }
            }
            var again = true
            while again {
                again = false
                for pc in stride(from: t.codeCount - 1, through: 0, by: -1) {
                    for s in Analysis.successors(c.ir[base + pc].op, pc) where s >= 0 && s < t.codeCount {
                        if mayWrite.formUnion(base + pc, with: base + s) { again = true }
                        if mayRead.formUnion(base + pc, with: base + s) { again = true }
                    }
                }
            }
        }
        self.reads = reads
        self.writes = writes
        self.mayWrite = mayWrite
        self.mayRead = mayRead

        // Liveness of locals, per thread, then the masks applied at each resting point.
        var maskStart = [Int](repeating: 0, count: n)
        var maskWords: [UInt64] = []
        var ranges: [(Int, Int)] = []
        var allLocalFields: [[FieldID]] = []
        var allLive: [BitRows] = []
        for (ti, t) in threads.enumerated() {
            let base = t.codeStart
            let firstWord = t.localBits.lowerBound / 64
            let lastWord = t.localBits.isEmpty ? firstWord : (t.localBits.upperBound - 1) / 64
            let wordCount = t.localBits.isEmpty ? 0 : lastWord - firstWord + 1
            ranges.append((firstWord, wordCount))
            // Local fields of this thread, densely numbered.
            var local: [FieldID: Int] = [:]
            var localFields: [FieldID] = []
            for (f, info) in c.fieldInfo.enumerated() where info.thread == ti && f < fields.count && f != t.pcField {
                local[f] = localFields.count
                localFields.append(f)
            }
            let lw = max(1, (localFields.count + 63) / 64)
            var use = BitRows(rows: t.codeCount, width: lw)
            var def = BitRows(rows: t.codeCount, width: lw)
            var live = BitRows(rows: t.codeCount, width: lw)
            func uses(_ pc: Int, _ e: CExpr) { e.forEachLocal { if let i = local[$0] { use.insert(pc, i) } } }
            func defs(_ pc: Int, _ f: FieldID?) { if let f, let i = local[f] { def.insert(pc, i) } }
            for pc in 0..<t.codeCount {
                switch c.ir[base + pc].op {
                case .assign(let f, let e), .load(let f, let e): uses(pc, e); defs(pc, f)
                case .setAdd(let f, let e), .setRemove(let f, let e):
                    uses(pc, e); if let i = local[f] { use.insert(pc, i) }
                case .setClear(let f): defs(pc, f)
                case .branch(let e, _), .assert(let e, _), .waitEvent(let e), .folioLock(let e), .folioUnlock(let e),
                     .lockBuffer(let e), .unlockBuffer(let e), .setFolioFlag(_, let e, _), .setBufferFlag(_, let e, _),
                     .waitFolioFlagClear(_, let e):
                    uses(pc, e)
                case .folioTrylock(let e, let d), .trylockBuffer(let e, let d), .testClearFolioFlag(_, let e, let d):
                    uses(pc, e); defs(pc, d)
                case .store(_, let i, let x): if let i { uses(pc, i) }; uses(pc, x)
                case .jump, .choose, .finish, .countEvent: break
                }
            }
            var again = true
            while again {
                again = false
                for pc in stride(from: t.codeCount - 1, through: 0, by: -1) {
                    // live-in = use ∪ (∪ live-in(succ) − def)
                    var out = [UInt64](repeating: 0, count: lw)
                    for s in Analysis.successors(c.ir[base + pc].op, pc) where s >= 0 && s < t.codeCount {
                        for w in 0..<lw { out[w] |= live.bits[s * lw + w] }
                    }
                    for w in 0..<lw {
                        let v = use.bits[pc * lw + w] | (out[w] & ~def.bits[pc * lw + w])
                        if v != live.bits[pc * lw + w] { live.bits[pc * lw + w] = v; again = true }
                    }
                }
            }
            // Masks: a bit survives if it belongs to a live field, to the task flags, or to
            // anything outside this thread's locals.
            for pc in 0..<t.codeCount {
                maskStart[base + pc] = maskWords.count
                guard wordCount > 0 else { continue }
                var mask = [UInt64](repeating: 0, count: wordCount)
                func keep(_ f: Field) {
                    if f.width > 64 {
                        for k in 0..<f.wordCount { mask[Int(f.word) - firstWord + k] = ~0 }
                    } else {
                        mask[Int(f.word) - firstWord] |= f.mask << UInt64(f.shift)
                    }
                }
                keep(fields[t.flagsField])
                for i in live.members(pc) { keep(fields[localFields[i]]) }
                for w in 0..<wordCount {
                    let wordStart = (firstWord + w) * 64
                    var outside: UInt64 = 0
                    for b in 0..<64 where !t.localBits.contains(wordStart + b) { outside |= UInt64(1) << UInt64(b) }
                    mask[w] |= outside
                }
                maskWords.append(contentsOf: mask)
            }
            allLocalFields.append(localFields)
            allLive.append(live)
        }
        self.localFields = allLocalFields
        self.liveLocals = allLive
        liveMaskStart = maskStart
        liveMaskWords = maskWords
        localWordRange = ranges
    }
}
