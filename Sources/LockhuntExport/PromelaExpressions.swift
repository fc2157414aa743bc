import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration

/// A lockhunt expression as Promela or C text: its value, and the condition under which
/// evaluating it faults (a NULL folio, an index out of range, a division by zero), with C's
/// short-circuit order: the right side of `&&` only counts when the left side is true. The
/// value may only be evaluated where the fault condition is false; `||` and the conditional
/// expression are lazy in pan's C, which keeps out-of-range reads from ever happening.
struct PromelaExpr {
    var value: String
    /// nil: evaluating it never faults.
    var fault: String?
    /// The values it can take, when known statically (to leave out range checks that cannot fail).
    var range: ClosedRange<Int64>?

    var constant: Int64? {
        guard let r = range, r.lowerBound == r.upperBound else { return nil }
        return r.lowerBound
    }
}

/// `a || b` of two optional fault conditions.
func promelaOr(_ a: String?, _ b: String?) -> String? {
    switch (a, b) {
    case (nil, nil): return nil
    case (let x?, nil), (nil, let x?): return x
    case (let x?, let y?): return "\(x) || \(y)"
    }
}

/// Helpers (macros, inlines, C functions and tables) that generated code refers to; only the
/// used ones are written out.
enum PromelaHelper: Hashable, Comparable {
    case folioFlag(Int), bufferFlag(Int)
    case setFolioFlag(Int), setBufferFlag(Int)
    case setHas(FieldID), setPut(FieldID)
    case listLength, listElement, folioBuffers, folioMapping, bufferFolio
}

/// Renders expressions in one of the two languages of the export: Promela for the steps'
/// guards and visible operations, C for the threads' local code (see PromelaFold.swift).
///
/// Arithmetic is lockhunt's: 64-bit and exact, a result that does not fit (or a shift count
/// outside 0...63) being a fault (Machine.eval). In C each operation is computed in `long
/// long`, and where the static range of its result is not known to fit in 64 bits, the
/// overflow is part of the fault condition (GCC's `__builtin_*_overflow_p`, as pan is compiled
/// by gcc). Promela is computed by pan in C `int` (32 bits): an expression all of whose
/// intermediate values are known to fit in 32 bits is written in Promela, where it can neither
/// overflow in lockhunt nor differ in pan; any other is written in C inside `c_expr { }`, which
/// pan pastes into its own C code (`expr(_:)`).
struct ExprWriter {
    let sym: PromelaSymbols
    /// C (inside `c_code`, globals as `now.x`) rather than Promela.
    let c: Bool
    /// While writing a Promela expression: set when some node's value may not fit pan's int.
    private var wide: Wide? = nil

    final class Wide {
        var seen = false
    }

    init(sym: PromelaSymbols, c: Bool) {
        self.sym = sym
        self.c = c
    }

    var program: Program { sym.program }

    static let int32 = Int64(Int32.min)...Int64(Int32.max)

    func literal(_ v: Int64) -> String {
        if c && !ExprWriter.int32.contains(v) {
            // A C constant beyond int is written as long long; -2^63 has no literal of its own.
            return v == .min ? "(-9223372036854775807LL - 1)" : v < 0 ? "(\(v)LL)" : "\(v)LL"
        }
        return v < 0 ? "(\(v))" : "\(v)"
    }

    /// `(long long)(v)`: C computes the model's arithmetic in 64 bits, as lockhunt does.
    func ll(_ v: String) -> String { "(long long)\(wrap(v))" }
    func variable(_ name: String) -> String { c ? "now.\(name)" : name }
    func conditional(_ cond: String, _ a: String, _ b: String) -> String { c ? "(\(cond) ? \(a) : \(b))" : "(\(cond) -> \(a) : \(b))" }

    /// `name(args)` of a helper, recorded as used.
    func call(_ helper: PromelaHelper, _ name: String, _ args: String...) -> String {
        if c { sym.usedC.insert(helper) } else { sym.usedPromela.insert(helper) }
        return "\(c ? PromelaExport.cName(name) : name)(\(args.joined(separator: ", ")))"
    }

    /// The expression in this writer's language. A Promela expression some of whose values
    /// may not fit in pan's 32-bit `int` (an unknown or wider static range, a shift count
    /// outside 0...31, a remainder of INT_MIN by -1) is written in C instead, in `c_expr { }`:
    /// value and fault condition alike, so that pan computes exactly what lockhunt does. Its
    /// value is then a `long long` inside pan's C; every use of it either checks its range
    /// first (a store, an object id) or only compares it, so nothing truncates it.
    func expr(_ e: CExpr) -> PromelaExpr {
        if c { return node(e) }
        var w = self
        w.wide = Wide()
        let promela = w.node(e)
        guard w.wide!.seen else { return promela }
        let x = ExprWriter(sym: sym, c: true).node(e)
        return PromelaExpr(value: ExprWriter.cExpr(x.value), fault: x.fault.map(ExprWriter.cExpr), range: x.range)
    }

    /// C text as a Promela expression. SPIN refuses a `c_expr` whose first parenthesis follows
    /// a name, taking it for a call that may have side effects; the calls here have none
    /// (gcc's overflow builtins, the export's table lookups), and the text goes in parentheses.
    static func cExpr(_ text: String) -> String { "(c_expr { (\(text)) })" }

    /// Marks the Promela expression being written as one for C.
    private func needC() { wide?.seen = true }

    /// One node and its operands, noting (in Promela) a value that may not fit pan's int.
    private func node(_ e: CExpr) -> PromelaExpr {
        let x = compute(e)
        if let w = wide, !(x.range.map { $0.lowerBound >= ExprWriter.int32.lowerBound && $0.upperBound <= ExprWriter.int32.upperBound } ?? false) {
            w.seen = true
        }
        return x
    }

    private func compute(_ e: CExpr) -> PromelaExpr {
        let p = program
        let folios = p.folios.count, buffers = p.buffers.count
        switch e {
        case .constant(let v, _):
            return PromelaExpr(value: literal(v), fault: nil, range: v...v)
        case .local(let f, _):
            return PromelaExpr(value: sym.local[f].map(variable) ?? "0", fault: nil, range: sym.range(of: f))
        case .shared(let v, nil, _):
            return PromelaExpr(value: variable(sym.shared[v]), fault: nil, range: sym.range(of: p.shared[v].firstField))
        case .shared(let v, let i?, _):
            let info = p.shared[v]
            let x = node(i)
            let index = info.perFolio ? "\(wrap(x.value)) - 1" : x.value
            let bad = info.perFolio ? "\(x.value) <= 0 || \(x.value) > \(info.count)" : "\(x.value) < 0 || \(x.value) >= \(info.count)"
            let ok = info.perFolio ? span(1, Int64(info.count)) : span(0, Int64(info.count - 1))
            return PromelaExpr(value: "\(variable(sym.shared[v]))[\(index)]", fault: guarded(x, bad, within: ok), range: sym.range(of: info.firstField))
        case .folioFlag(let k, let x):
            let o = node(x)
            let fault = guarded(o, objectFault(o.value, folios), within: span(1, Int64(folios)))
            if let id = o.constant, id >= 1, id <= Int64(folios) {
                return PromelaExpr(value: variable(sym.folioFlag[k.rawValue][Int(id) - 1]), fault: fault, range: 0...1)
            }
            return PromelaExpr(value: call(.folioFlag(k.rawValue), k.kernelName, o.value), fault: fault, range: 0...1)
        case .bufferFlag(let k, let x):
            let o = node(x)
            let fault = guarded(o, objectFault(o.value, buffers), within: span(1, Int64(buffers)))
            if let id = o.constant, id >= 1, id <= Int64(buffers) {
                return PromelaExpr(value: variable(sym.bufferFlag[k.rawValue][Int(id) - 1]), fault: fault, range: 0...1)
            }
            return PromelaExpr(value: call(.bufferFlag(k.rawValue), k.kernelName, o.value), fault: fault, range: 0...1)
        case .setMember(let f, let x):
            let o = node(x)
            let fault = guarded(o, objectFault(o.value, folios), within: span(1, Int64(folios)))
            if let id = o.constant, id >= 1, id <= Int64(folios) {
                return PromelaExpr(value: variable(sym.setBits[f]![Int(id) - 1]), fault: fault, range: 0...1)
            }
            return PromelaExpr(value: call(.setHas(f), sym.setHas[f]!, o.value), fault: fault, range: 0...1)
        case .setEmpty(let f):
            let bits = sym.setBits[f]!.map(variable)
            return PromelaExpr(value: bits.isEmpty ? "1" : "!(" + bits.joined(separator: " || ") + ")", fault: nil, range: 0...1)
        case .listLength(let x):
            let l = node(x)
            let lists = p.lists.lists
            if let id = l.constant, id >= 0, id < Int64(lists.count) {
                let n = Int64(lists[Int(id)].count)
                return PromelaExpr(value: "\(n)", fault: l.fault, range: n...n)
            }
            let bad = guarded(l, "\(l.value) < 0 || \(l.value) >= \(lists.count)", within: span(0, Int64(lists.count - 1)))
            return PromelaExpr(value: call(.listLength, sym.listLength, l.value), fault: bad, range: 0...Int64(lists.map(\.count).max() ?? 0))
        case .listElement(let lx, let ix, let kind):
            let l = node(lx), i = node(ix)
            // List items are object ids, never NULL.
            let items = span(1, Int64(kind == .folio ? folios : buffers))
            if let id = l.constant, id >= 0, id < Int64(p.lists.count) {
                let list = p.lists.lists[Int(id)]
                let bad = guarded(i, "\(i.value) < 0 || \(i.value) >= \(list.count)", within: span(0, Int64(list.count - 1)))
                var value = "0"
                if let k = i.constant, k >= 0, k < Int64(list.count) {
                    value = "\(list[Int(k)])"
                } else if list.count == 1 {
                    value = "\(list[0])"
                } else {
                    for (k, item) in list.enumerated().reversed() { value = conditional("\(i.value) == \(k)", "\(item)", value) }
                }
                return PromelaExpr(value: value, fault: promelaOr(l.fault, bad), range: items)
            }
            let lBad = guarded(l, "\(l.value) < 0 || \(l.value) >= \(p.lists.count)", within: span(0, Int64(p.lists.count - 1)))
            let iBad = promelaOr(i.fault, "\(i.value) < 0 || \(i.value) >= \(call(.listLength, sym.listLength, l.value))")
            return PromelaExpr(value: call(.listElement, sym.listElement, l.value, i.value), fault: promelaOr(lBad, iBad), range: items)
        case .arrayElement(let base, let count, let ix, _):
            let i = node(ix)
            let fault = guarded(i, "\(i.value) < 0 || \(i.value) >= \(count)", within: span(0, Int64(count - 1)))
            if let k = i.constant, k >= 0, k < Int64(count) {
                let id = Int64(base) + k
                return PromelaExpr(value: "\(id)", fault: fault, range: id...id)
            }
            return PromelaExpr(value: "(\(i.value) + \(base))", fault: fault, range: span(Int64(base), Int64(base + count - 1)))
        case .folioBuffers(let x):
            let o = node(x)
            let fault = guarded(o, objectFault(o.value, folios), within: span(1, Int64(folios)))
            if let id = o.constant, id >= 1, id <= Int64(folios) {
                let list = Int64(p.folios[Int(id) - 1].bufferList)
                return PromelaExpr(value: "\(list)", fault: fault, range: list...list)
            }
            return PromelaExpr(value: call(.folioBuffers, sym.folioBuffers, o.value), fault: fault, range: span(0, Int64(p.lists.count - 1)))
        case .folioMapping(let x):
            let o = node(x)
            let fault = guarded(o, objectFault(o.value, folios), within: span(1, Int64(folios)))
            if let id = o.constant, id >= 1, id <= Int64(folios) {
                let m = p.folios[Int(id) - 1].mapping
                return PromelaExpr(value: literal(m), fault: fault, range: m...m)
            }
            let mappings = p.folios.map(\.mapping)
            return PromelaExpr(value: call(.folioMapping, sym.folioMapping, o.value), fault: fault,
                               range: mappings.min().map { $0...mappings.max()! })
        case .bufferFolio(let x):
            let o = node(x)
            let fault = guarded(o, objectFault(o.value, buffers), within: span(1, Int64(buffers)))
            if let id = o.constant, id >= 1, id <= Int64(buffers) {
                let f = Int64(p.buffers[Int(id) - 1].folio)
                return PromelaExpr(value: "\(f)", fault: fault, range: f...f)
            }
            return PromelaExpr(value: call(.bufferFolio, sym.bufferFolio, o.value), fault: fault, range: span(1, Int64(folios)))
        case .singletonList(let x, let kind):
            let o = node(x)
            let count = kind == .folio ? folios : buffers
            let base = kind == .folio ? p.singletonBases.folio : p.singletonBases.buffer
            let fault = guarded(o, objectFault(o.value, count), within: span(1, Int64(count)))
            return PromelaExpr(value: "(\(o.value) + \(base - 1))", fault: fault, range: span(Int64(base), Int64(base + count - 1)))
        case .unary(let op, let x):
            let o = node(x)
            switch op {
            case .not: return PromelaExpr(value: "!\(wrap(o.value))", fault: o.fault, range: 0...1)
            case .negate:
                let r = o.range.flatMap(ExactRange.negate)
                guard c else { return PromelaExpr(value: "(-\(wrap(o.value)))", fault: o.fault, range: r) }
                // Only -(-2^63) overflows.
                let overflow = o.range.map { $0.contains(.min) } ?? true ? "\(ll(o.value)) == \(literal(.min))" : nil
                return PromelaExpr(value: "(-\(ll(o.value)))", fault: promelaOr(o.fault, overflow), range: r)
            case .complement:
                // Bitwise operators cannot overflow, and on int operands C's int result is exact.
                return PromelaExpr(value: "(~\(wrap(o.value)))", fault: o.fault, range: o.range.map { (~$0.upperBound)...(~$0.lowerBound) })
            }
        case .binary(let op, let a, let b):
            return binary(op, node(a), node(b))
        case .ternary(let cx, let a, let b):
            let x = node(cx), y = node(a), z = node(b)
            var fault = x.fault
            if y.fault != nil || z.fault != nil {
                fault = promelaOr(fault, conditional(x.value, "(\(y.fault ?? "0"))", "(\(z.fault ?? "0"))"))
            }
            var r: ClosedRange<Int64>? = nil
            if let ry = y.range, let rz = z.range { r = min(ry.lowerBound, rz.lowerBound)...max(ry.upperBound, rz.upperBound) }
            return PromelaExpr(value: conditional(x.value, y.value, z.value), fault: fault, range: r)
        }
    }

    private func binary(_ op: BinaryOp, _ a: PromelaExpr, _ b: PromelaExpr) -> PromelaExpr {
        let va = a.value, vb = b.value
        switch op {
        case .and, .or:
            // The right side is evaluated only when the left one is true (&&) or false (||).
            let fault = promelaOr(a.fault, b.fault.map { op == .and ? "(\(va) && (\($0)))" : "(!\(wrap(va)) && (\($0)))" })
            return PromelaExpr(value: "(\(va) \(op.rawValue) \(vb))", fault: fault, range: 0...1)
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual:
            return PromelaExpr(value: "(\(va) \(op.rawValue) \(vb))", fault: promelaOr(a.fault, b.fault), range: 0...1)
        case .add, .subtract, .multiply:
            let r = a.range.flatMap { ra in b.range.flatMap { rb in ExactRange.arithmetic(op, ra, rb) } }
            guard c else { return PromelaExpr(value: "(\(va) \(op.rawValue) \(vb))", fault: promelaOr(a.fault, b.fault), range: r) }
            // Where the result is not known to fit in 64 bits, its overflow is a fault.
            let builtin = op == .add ? "__builtin_add_overflow_p" : op == .subtract ? "__builtin_sub_overflow_p" : "__builtin_mul_overflow_p"
            let overflow = r == nil ? "\(builtin)(\(ll(va)), \(ll(vb)), (long long)0)" : nil
            return PromelaExpr(value: "(\(ll(va)) \(op.rawValue) \(ll(vb)))", fault: promelaOr(promelaOr(a.fault, b.fault), overflow), range: r)
        case .bitAnd, .bitOr, .bitXor:
            // Cannot overflow; on int operands C's int result is exact, so no cast.
            let r = a.range.flatMap { ra in b.range.map { rb in ExactRange.bitwise(op, ra, rb) } }
            return PromelaExpr(value: "(\(va) \(op.rawValue) \(vb))", fault: promelaOr(a.fault, b.fault), range: r)
        case .divide, .remainder:
            let zero = b.range.map { $0.contains(0) } ?? true ? "\(vb) == 0" : nil
            let r = a.range.flatMap { ra in b.range.flatMap { rb in op == .divide ? ExactRange.divide(ra, rb) : ExactRange.remainder(ra, rb) } }
            let faults = promelaOr(promelaOr(a.fault, b.fault), zero)
            // The smallest value divided by -1: 2^63 does not fit (a fault in lockhunt); its
            // remainder is 0 in lockhunt, and traps in C (INT_MIN % -1, in int as in long long).
            let smallest = c ? Int64.min : ExprWriter.int32.lowerBound
            let minByMinusOne = (a.range.map { $0.contains(smallest) } ?? true) && (b.range.map { $0.contains(-1) } ?? true)
            guard c else {
                // INT_MIN / -1 has a range beyond int, which sends it to C; INT_MIN % -1 does not.
                if op == .remainder && minByMinusOne { needC() }
                return PromelaExpr(value: "(\(va) \(op.rawValue) \(vb))", fault: faults, range: r)
            }
            if op == .divide {
                let overflow = minByMinusOne ? "(\(ll(va)) == \(literal(.min)) && \(ll(vb)) == -1)" : nil
                return PromelaExpr(value: "(\(ll(va)) / \(ll(vb)))", fault: promelaOr(faults, overflow), range: r)
            }
            let value = minByMinusOne ? "(\(wrap(vb)) == -1 ? 0LL : \(ll(va)) % \(ll(vb)))" : "(\(ll(va)) % \(ll(vb)))"
            return PromelaExpr(value: value, fault: faults, range: r)
        case .shiftLeft, .shiftRight:
            let r = a.range.flatMap { ra in b.range.flatMap { rb in ExactRange.shift(op, ra, rb) } }
            guard c else {
                // C's int shifts only by 0...31; lockhunt's by 0...63.
                if !(b.range.map { $0.lowerBound >= 0 && $0.upperBound <= 31 } ?? false) { needC() }
                return PromelaExpr(value: "(\(va) \(op.rawValue) \(vb))", fault: promelaOr(a.fault, b.fault), range: r)
            }
            // A count outside 0...63 is a fault (it is undefined in C too), and a left shift
            // overflows exactly when shifting the result back does not give the operand. The
            // shift itself is done unsigned, where C defines it for every operand.
            let badCount = b.range.map { $0.lowerBound >= 0 && $0.upperBound <= 63 } ?? false ? nil : "\(wrap(vb)) < 0 || \(wrap(vb)) > 63"
            var fault = promelaOr(promelaOr(a.fault, b.fault), badCount)
            if op == .shiftRight {
                return PromelaExpr(value: "(\(ll(va)) >> \(wrap(vb)))", fault: fault, range: r)
            }
            let shifted = "(long long)((unsigned long long)\(ll(va)) << \(wrap(vb)))"
            if r == nil { fault = promelaOr(fault, "(\(shifted) >> \(wrap(vb))) != \(ll(va))") }
            return PromelaExpr(value: "(\(shifted))", fault: fault, range: r)
        case .member:
            // Lowered to `setMember`; never reaches a compiled program.
            return PromelaExpr(value: "0", fault: "1", range: nil)
        }
    }

    /// The fault of an operand, then `bad` (which may read the operand's value) unless the
    /// operand's values are known to lie within `ok`.
    func guarded(_ x: PromelaExpr, _ bad: String, within ok: ClosedRange<Int64>?) -> String? {
        if let r = x.range, let ok, r.lowerBound >= ok.lowerBound, r.upperBound <= ok.upperBound { return x.fault }
        return promelaOr(x.fault, bad)
    }

    /// lo...hi, or nil when empty (no folios, an empty list).
    func span(_ lo: Int64, _ hi: Int64) -> ClosedRange<Int64>? { lo <= hi ? lo...hi : nil }

    func objectFault(_ v: String, _ count: Int) -> String { "\(v) <= 0 || \(v) > \(count)" }

    /// `(e) < lo || (e) > hi` unless `e` is known to fit `r`.
    func outOfRange(_ e: PromelaExpr, _ r: ClosedRange<Int64>) -> String? {
        if let er = e.range, er.lowerBound >= r.lowerBound, er.upperBound <= r.upperBound { return nil }
        return "\(wrap(e.value)) < \(literal(r.lowerBound)) || \(wrap(e.value)) > \(r.upperBound)"
    }

    func wrap(_ s: String) -> String {
        s.hasPrefix("(") || s.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }) ? s : "(\(s))"
    }
}

/// Interval arithmetic for the export's static ranges: the values an operation can give when
/// its operands lie in the given ranges and it does not fault. nil when some result would not
/// fit in 64 bits (lockhunt faults there, and the export checks for it).
package enum ExactRange {
    package typealias R = ClosedRange<Int64>

    /// The smallest range holding every value, or nil if one is missing (overflowed).
    package static func hull(_ values: [Int64?]) -> R? {
        var lo = Int64.max, hi = Int64.min
        for v in values {
            guard let v else { return nil }
            lo = min(lo, v)
            hi = max(hi, v)
        }
        return lo <= hi ? lo...hi : nil
    }

    package static func exact(_ r: (partialValue: Int64, overflow: Bool)) -> Int64? { r.overflow ? nil : r.partialValue }

    package static func negate(_ a: R) -> R? {
        hull([exact(Int64(0).subtractingReportingOverflow(a.upperBound)), exact(Int64(0).subtractingReportingOverflow(a.lowerBound))])
    }

    /// +, - and *: each is monotone in each operand (for * on each side of 0), so the corners
    /// bound it.
    package static func arithmetic(_ op: BinaryOp, _ a: R, _ b: R) -> R? {
        var corners: [Int64?] = []
        for x in [a.lowerBound, a.upperBound] {
            for y in [b.lowerBound, b.upperBound] {
                switch op {
                case .add: corners.append(exact(x.addingReportingOverflow(y)))
                case .subtract: corners.append(exact(x.subtractingReportingOverflow(y)))
                default: corners.append(exact(x.multipliedReportingOverflow(by: y)))
                }
            }
        }
        return hull(corners)
    }

    /// Truncating division, over the divisors other than 0: on each side of 0 the quotient is
    /// monotone in the divisor, so its extremes are at the ends of that side (-1 and 1 next to 0).
    package static func divide(_ a: R, _ b: R) -> R? {
        let divisors = [b.lowerBound, -1, 1, b.upperBound].filter { $0 != 0 && b.contains($0) }
        guard !divisors.isEmpty else { return nil }  // always a division by zero
        var corners: [Int64?] = []
        for x in [a.lowerBound, a.upperBound] {
            for d in divisors { corners.append(x == .min && d == -1 ? nil : x / d) }
        }
        return hull(corners)
    }

    /// A remainder has the sign of the dividend and is smaller than the divisor in magnitude.
    package static func remainder(_ a: R, _ b: R) -> R? {
        guard b != 0...0 else { return nil }
        let bound = Int64(min(max(b.lowerBound.magnitude, b.upperBound.magnitude) - 1, UInt64(Int64.max)))
        return (a.lowerBound >= 0 ? 0 : max(a.lowerBound, -bound))...(a.upperBound <= 0 ? 0 : min(a.upperBound, bound))
    }

    /// Shifts by the counts within 0...63 (others fault): monotone in each operand.
    package static func shift(_ op: BinaryOp, _ a: R, _ b: R) -> R? {
        let lo = max(b.lowerBound, 0), hi = min(b.upperBound, 63)
        guard lo <= hi else { return nil }  // always a bad count
        var corners: [Int64?] = []
        for x in [a.lowerBound, a.upperBound] {
            for n in [lo, hi] {
                if op == .shiftRight { corners.append(x >> n) } else { corners.append((x << n) >> n == x ? x << n : nil) }
            }
        }
        return hull(corners)
    }

    /// &, |, ^: within the smallest range [-2^k, 2^k - 1] that holds both operands (and for &,
    /// within [0, m] when one operand is in [0, m]).
    package static func bitwise(_ op: BinaryOp, _ a: R, _ b: R) -> R {
        if op == .bitAnd {
            if a.lowerBound >= 0 && b.lowerBound >= 0 { return 0...min(a.upperBound, b.upperBound) }
            if a.lowerBound >= 0 { return 0...a.upperBound }
            if b.lowerBound >= 0 { return 0...b.upperBound }
        }
        // Bits needed beyond the sign to write v in two's complement.
        func bits(_ v: Int64) -> Int { 64 - (v < 0 ? ~v : v).leadingZeroBitCount }
        let k = [a.lowerBound, a.upperBound, b.lowerBound, b.upperBound].map(bits).max()!
        if a.lowerBound >= 0 && b.lowerBound >= 0 { return 0...(k >= 63 ? .max : (Int64(1) << k) - 1) }
        return k >= 63 ? Int64.min...Int64.max : -(Int64(1) << k)...((Int64(1) << k) - 1)
    }
}
