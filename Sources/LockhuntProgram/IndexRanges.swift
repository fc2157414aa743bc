import LockhuntBasics
import LockhuntLanguage

/// The values the integer locals of each thread may have at each of its steps, as intervals:
/// what lets the static analyses tell which elements of a folio array a step may name.
///
/// Why it matters: `for (int i = N / 2; i < N; i++) write_one(W[i])` names only the upper half
/// of `W`, but without ranges every `W[i]` names all of `W`. The partial-order reduction then
/// believes two threads working on disjoint halves may touch each other's folios (no step of
/// one commutes with the other's), and the wait graph of `lockhunt scale` sees cycles between
/// them that no run has.
///
/// Forward abstract interpretation over each thread's control flow, one interval per local,
/// with the branch conditions refining the two sides of each branch (`i < N` bounds `i` in the
/// loop body), and widening where a loop closes once its bounds keep growing, so that it ends
/// quickly at any size. Sound for every run: a value that does not fit its field faults instead of being
/// stored, so the field's range bounds every local; a local the analysis cannot follow (loaded
/// from shared state, computed by an operation it does not model) gets its field's whole range.
/// Dead locals are cleared at run time, but a dead local is written before it is read, so what
/// the intervals say about the locals a step reads holds.
struct IndexRanges {
    /// A closed interval; nil bounds are infinite.
    struct Interval: Equatable {
        var lo: Int64?
        var hi: Int64?

        static let top = Interval(lo: nil, hi: nil)
        static func exactly(_ v: Int64) -> Interval { Interval(lo: v, hi: v) }
        static let boolean = Interval(lo: 0, hi: 1)

        var isEmpty: Bool {
            if let lo, let hi { return lo > hi }
            return false
        }

        func hull(_ o: Interval) -> Interval {
            Interval(lo: lo.flatMap { a in o.lo.map { min(a, $0) } }, hi: hi.flatMap { a in o.hi.map { max(a, $0) } })
        }

        func meet(_ o: Interval) -> Interval {
            Interval(lo: [lo, o.lo].compactMap { $0 }.max(), hi: [hi, o.hi].compactMap { $0 }.min())
        }
    }

    /// Per thread-relative pc of one thread: the locals' intervals before the step (absent:
    /// the field's whole range); nil where no run arrives.
    private var entry: [[FieldID: Interval]?]
    private let base: Int
    private let fieldRange: (FieldID) -> Interval
    private let listLengths: (CExpr) -> Interval

    /// How many times a step's intervals may grow before the growing bounds go to infinity.
    private static let widenAfter = 3

    /// - Parameters:
    ///   - fieldRange: the values a field can hold (its width and signedness).
    ///   - listLengths: the lengths a list-valued expression may have.
    init(ir: [IRInstruction], thread t: ThreadInfo, isScalarLocal: (FieldID) -> Bool,
         fieldRange: @escaping (FieldID) -> Interval, listLengths: @escaping (CExpr) -> Interval) {
        base = t.codeStart
        self.fieldRange = fieldRange
        self.listLengths = listLengths
        let n = t.codeCount
        entry = [[FieldID: Interval]?](repeating: nil, count: n)
        guard n > 0 else { return }
        entry[0] = [:]
        var growths = [Int](repeating: 0, count: n)
        var work: [Int] = [0]
        var queued = [Bool](repeating: false, count: n)
        queued[0] = true
        while let pc = work.popLast() {
            queued[pc] = false
            guard var state = entry[pc] else { continue }
            let op = ir[base + pc].op
            // The step's own effect on the locals.
            func set(_ f: FieldID, _ v: Interval) {
                guard isScalarLocal(f) else { return }
                let r = v.meet(fieldRange(f))
                state[f] = r == fieldRange(f) ? nil : r
            }
            switch op {
            case .assign(let f, let e): set(f, value(e, state))
            case .load(let f, _): state[f] = nil
            case .folioTrylock(_, let d?), .trylockBuffer(_, let d?), .testClearFolioFlag(_, _, let d?): set(d, .boolean)
            case .setAdd(let f, _), .setRemove(let f, _), .setClear(let f): state[f] = nil
            default: break
            }
            // Into each successor, refined by the branch's outcome on that side.
            var edges: [(Int, [FieldID: Interval]?)] = []
            switch op {
            case .branch(let cond, let elseTarget):
                edges.append((pc + 1, refine(state, cond, true)))
                edges.append((elseTarget, refine(state, cond, false)))
            default:
                for s in Analysis.successors(op, pc) { edges.append((s, state)) }
            }
            for (s, st) in edges where s >= 0 && s < n {
                guard let st else { continue }   // this side cannot be taken
                let merged: [FieldID: Interval]
                if let old = entry[s] {
                    var m: [FieldID: Interval] = [:]
                    for (f, a) in old {
                        guard let b = st[f] else { continue }
                        var h = a.hull(b)
                        // Widen only where a loop closes (every cycle has a backward edge),
                        // so that the bounds a loop condition gives its body survive.
                        if s <= pc && growths[s] >= IndexRanges.widenAfter {
                            if h.lo != a.lo { h.lo = nil }
                            if h.hi != a.hi { h.hi = nil }
                        }
                        if h != fieldRange(f) && h != .top { m[f] = h }
                    }
                    if m == old { continue }
                    merged = m
                    if s <= pc { growths[s] += 1 }
                } else {
                    merged = st
                }
                entry[s] = merged
                if !queued[s] { queued[s] = true; work.append(s) }
            }
        }
    }

    /// The values `e` may have before the step at global pc `pc`; nil where no run arrives.
    func range(of e: CExpr, atGlobal pc: Int) -> Interval? {
        let k = pc - base
        guard k >= 0 && k < entry.count, let state = entry[k] else { return nil }
        return value(e, state)
    }

    private func local(_ f: FieldID, _ s: [FieldID: Interval]) -> Interval { s[f] ?? fieldRange(f) }

    private func value(_ e: CExpr, _ s: [FieldID: Interval]) -> Interval {
        switch e {
        case .constant(let v, _): return .exactly(v)
        case .local(let f, _): return local(f, s)
        case .listLength: return listLengths(e)
        case .folioFlag, .bufferFlag, .setMember, .setEmpty: return .boolean
        case .unary(.not, _): return .boolean
        case .unary(.negate, let x):
            let v = value(x, s)
            func neg(_ b: Int64?) -> Int64? { b.flatMap { $0 == .min ? nil : -$0 } }
            return Interval(lo: neg(v.hi), hi: neg(v.lo))
        case .binary(let op, let a, let b):
            switch op {
            case .or, .and, .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual, .member:
                return .boolean
            case .add, .subtract:
                let x = value(a, s), y = value(b, s)
                func combine(_ p: Int64?, _ q: Int64?) -> Int64? {
                    guard let p, let q else { return nil }
                    let (r, o) = op == .add ? p.addingReportingOverflow(q) : p.subtractingReportingOverflow(q)
                    return o ? nil : r
                }
                return op == .add ? Interval(lo: combine(x.lo, y.lo), hi: combine(x.hi, y.hi))
                                  : Interval(lo: combine(x.lo, y.hi), hi: combine(x.hi, y.lo))
            case .multiply:
                let x = value(a, s), y = value(b, s)
                guard let a0 = x.lo, let a1 = x.hi, let b0 = y.lo, let b1 = y.hi else { return .top }
                var out: [Int64] = []
                for p in [a0, a1] {
                    for q in [b0, b1] {
                        let (r, o) = p.multipliedReportingOverflow(by: q)
                        if o { return .top }
                        out.append(r)
                    }
                }
                return Interval(lo: out.min(), hi: out.max())
            case .divide:
                // Truncating division by a positive constant is monotone.
                guard let c = b.constantValue, c > 0 else { return .top }
                let x = value(a, s)
                return Interval(lo: x.lo.map { $0 / c }, hi: x.hi.map { $0 / c })
            case .remainder:
                guard let c = b.constantValue, c > 0 else { return .top }
                let x = value(a, s)
                if let lo = x.lo, lo >= 0 { return Interval(lo: 0, hi: c - 1) }
                return Interval(lo: -(c - 1), hi: c - 1)
            default:
                return .top
            }
        case .ternary(_, let a, let b): return value(a, s).hull(value(b, s))
        default: return .top
        }
    }

    /// The locals on the side of a branch where `cond` is `truth`; nil if no value allows it.
    private func refine(_ s: [FieldID: Interval], _ cond: CExpr, _ truth: Bool) -> [FieldID: Interval]? {
        switch cond {
        case .unary(.not, let x):
            return refine(s, x, !truth)
        case .binary(.and, let a, let b) where truth, .binary(.or, let a, let b) where !truth:
            guard let s1 = refine(s, a, truth) else { return nil }
            return refine(s1, b, truth)
        case .local(let f, _):
            return narrow(s, f, truth ? .notEqual : .equal, .exactly(0))
        case .binary(let op, let a, let b):
            guard var cmp = Comparison(op) else { return s }
            if !truth { cmp = cmp.negated }
            var out: [FieldID: Interval]? = s
            if case .local(let f, _) = a, let cur = out { out = narrow(cur, f, cmp, value(b, cur)) }
            if case .local(let g, _) = b, let cur = out { out = narrow(cur, g, cmp.mirrored, value(a, cur)) }
            return out
        default:
            return s
        }
    }

    private func narrow(_ s: [FieldID: Interval], _ f: FieldID, _ cmp: Comparison, _ r: Interval) -> [FieldID: Interval]? {
        var v = local(f, s)
        switch cmp {
        case .less: if let b = r.hi { v.hi = [v.hi, b == .min ? nil : b - 1].compactMap { $0 }.min() }
        case .lessEqual: if let b = r.hi { v.hi = [v.hi, b].compactMap { $0 }.min() }
        case .greater: if let a = r.lo { v.lo = [v.lo, a == .max ? nil : a + 1].compactMap { $0 }.max() }
        case .greaterEqual: if let a = r.lo { v.lo = [v.lo, a].compactMap { $0 }.max() }
        case .equal: v = v.meet(r)
        case .notEqual:
            if let c = r.lo, r.hi == c {
                if v.lo == c { v.lo = c == .max ? nil : c + 1 }
                if v.hi == c { v.hi = c == .min ? nil : c - 1 }
            }
        }
        if v.isEmpty { return nil }
        var out = s
        out[f] = v == fieldRange(f) ? nil : v
        return out
    }

    private enum Comparison {
        case less, lessEqual, greater, greaterEqual, equal, notEqual

        init?(_ op: BinaryOp) {
            switch op {
            case .less: self = .less
            case .lessEqual: self = .lessEqual
            case .greater: self = .greater
            case .greaterEqual: self = .greaterEqual
            case .equal: self = .equal
            case .notEqual: self = .notEqual
            default: return nil
            }
        }

        var negated: Comparison {
            switch self {
            case .less: return .greaterEqual
            case .lessEqual: return .greater
            case .greater: return .lessEqual
            case .greaterEqual: return .less
            case .equal: return .notEqual
            case .notEqual: return .equal
            }
        }

        /// `x op y` as `y op' x`.
        var mirrored: Comparison {
            switch self {
            case .less: return .greater
            case .lessEqual: return .greaterEqual
            case .greater: return .less
            case .greaterEqual: return .lessEqual
            case .equal, .notEqual: return self
            }
        }
    }
}
