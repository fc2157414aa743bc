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
struct ExprWriter {
    let sym: PromelaSymbols
    /// C (inside `c_code`, globals as `now.x`) rather than Promela.
    let c: Bool

    var program: Program { sym.program }

    func literal(_ v: Int64) -> String { v < 0 ? "(\(v))" : "\(v)" }
    func variable(_ name: String) -> String { c ? "now.\(name)" : name }
    func conditional(_ cond: String, _ a: String, _ b: String) -> String { c ? "(\(cond) ? \(a) : \(b))" : "(\(cond) -> \(a) : \(b))" }

    /// `name(args)` of a helper, recorded as used.
    func call(_ helper: PromelaHelper, _ name: String, _ args: String...) -> String {
        if c { sym.usedC.insert(helper) } else { sym.usedPromela.insert(helper) }
        return "\(c ? PromelaExport.cName(name) : name)(\(args.joined(separator: ", ")))"
    }

    func expr(_ e: CExpr) -> PromelaExpr {
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
            let x = expr(i)
            let index = info.perFolio ? "\(wrap(x.value)) - 1" : x.value
            let bad = info.perFolio ? "\(x.value) <= 0 || \(x.value) > \(info.count)" : "\(x.value) < 0 || \(x.value) >= \(info.count)"
            let ok = info.perFolio ? span(1, Int64(info.count)) : span(0, Int64(info.count - 1))
            return PromelaExpr(value: "\(variable(sym.shared[v]))[\(index)]", fault: guarded(x, bad, within: ok), range: sym.range(of: info.firstField))
        case .folioFlag(let k, let x):
            let o = expr(x)
            let fault = guarded(o, objectFault(o.value, folios), within: span(1, Int64(folios)))
            if let id = o.constant, id >= 1, id <= Int64(folios) {
                return PromelaExpr(value: variable(sym.folioFlag[k.rawValue][Int(id) - 1]), fault: fault, range: 0...1)
            }
            return PromelaExpr(value: call(.folioFlag(k.rawValue), k.kernelName, o.value), fault: fault, range: 0...1)
        case .bufferFlag(let k, let x):
            let o = expr(x)
            let fault = guarded(o, objectFault(o.value, buffers), within: span(1, Int64(buffers)))
            if let id = o.constant, id >= 1, id <= Int64(buffers) {
                return PromelaExpr(value: variable(sym.bufferFlag[k.rawValue][Int(id) - 1]), fault: fault, range: 0...1)
            }
            return PromelaExpr(value: call(.bufferFlag(k.rawValue), k.kernelName, o.value), fault: fault, range: 0...1)
        case .setMember(let f, let x):
            let o = expr(x)
            let fault = guarded(o, objectFault(o.value, folios), within: span(1, Int64(folios)))
            if let id = o.constant, id >= 1, id <= Int64(folios) {
                return PromelaExpr(value: variable(sym.setBits[f]![Int(id) - 1]), fault: fault, range: 0...1)
            }
            return PromelaExpr(value: call(.setHas(f), sym.setHas[f]!, o.value), fault: fault, range: 0...1)
        case .setEmpty(let f):
            let bits = sym.setBits[f]!.map(variable)
            return PromelaExpr(value: bits.isEmpty ? "1" : "!(" + bits.joined(separator: " || ") + ")", fault: nil, range: 0...1)
        case .listLength(let x):
            let l = expr(x)
            let lists = p.lists.lists
            if let id = l.constant, id >= 0, id < Int64(lists.count) {
                let n = Int64(lists[Int(id)].count)
                return PromelaExpr(value: "\(n)", fault: l.fault, range: n...n)
            }
            let bad = guarded(l, "\(l.value) < 0 || \(l.value) >= \(lists.count)", within: span(0, Int64(lists.count - 1)))
            return PromelaExpr(value: call(.listLength, sym.listLength, l.value), fault: bad, range: 0...Int64(lists.map(\.count).max() ?? 0))
        case .listElement(let lx, let ix, let kind):
            let l = expr(lx), i = expr(ix)
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
            let i = expr(ix)
            let fault = guarded(i, "\(i.value) < 0 || \(i.value) >= \(count)", within: span(0, Int64(count - 1)))
            if let k = i.constant, k >= 0, k < Int64(count) {
                let id = Int64(base) + k
                return PromelaExpr(value: "\(id)", fault: fault, range: id...id)
            }
            return PromelaExpr(value: "(\(i.value) + \(base))", fault: fault, range: span(Int64(base), Int64(base + count - 1)))
        case .folioBuffers(let x):
            let o = expr(x)
            let fault = guarded(o, objectFault(o.value, folios), within: span(1, Int64(folios)))
            if let id = o.constant, id >= 1, id <= Int64(folios) {
                let list = Int64(p.folios[Int(id) - 1].bufferList)
                return PromelaExpr(value: "\(list)", fault: fault, range: list...list)
            }
            return PromelaExpr(value: call(.folioBuffers, sym.folioBuffers, o.value), fault: fault, range: span(0, Int64(p.lists.count - 1)))
        case .folioMapping(let x):
            let o = expr(x)
            let fault = guarded(o, objectFault(o.value, folios), within: span(1, Int64(folios)))
            if let id = o.constant, id >= 1, id <= Int64(folios) {
                let m = p.folios[Int(id) - 1].mapping
                return PromelaExpr(value: literal(m), fault: fault, range: m...m)
            }
            return PromelaExpr(value: call(.folioMapping, sym.folioMapping, o.value), fault: fault, range: nil)
        case .bufferFolio(let x):
            let o = expr(x)
            let fault = guarded(o, objectFault(o.value, buffers), within: span(1, Int64(buffers)))
            if let id = o.constant, id >= 1, id <= Int64(buffers) {
                let f = Int64(p.buffers[Int(id) - 1].folio)
                return PromelaExpr(value: "\(f)", fault: fault, range: f...f)
            }
            return PromelaExpr(value: call(.bufferFolio, sym.bufferFolio, o.value), fault: fault, range: span(1, Int64(folios)))
        case .singletonList(let x, let kind):
            let o = expr(x)
            let count = kind == .folio ? folios : buffers
            let base = kind == .folio ? p.singletonBases.folio : p.singletonBases.buffer
            let fault = guarded(o, objectFault(o.value, count), within: span(1, Int64(count)))
            return PromelaExpr(value: "(\(o.value) + \(base - 1))", fault: fault, range: span(Int64(base), Int64(base + count - 1)))
        case .unary(let op, let x):
            let o = expr(x)
            switch op {
            case .not: return PromelaExpr(value: "!\(wrap(o.value))", fault: o.fault, range: 0...1)
            case .negate:
                let r = o.range.flatMap { r -> ClosedRange<Int64>? in
                    let (lo, a) = Int64(0).subtractingReportingOverflow(r.upperBound)
                    let (hi, b) = Int64(0).subtractingReportingOverflow(r.lowerBound)
                    return a || b ? nil : lo...hi
                }
                return PromelaExpr(value: "(-\(wrap(o.value)))", fault: o.fault, range: r)
            case .complement:
                return PromelaExpr(value: "(~\(wrap(o.value)))", fault: o.fault, range: o.range.map { (~$0.upperBound)...(~$0.lowerBound) })
            }
        case .binary(let op, let a, let b):
            return binary(op, expr(a), expr(b))
        case .ternary(let cx, let a, let b):
            let x = expr(cx), y = expr(a), z = expr(b)
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
        case .add, .subtract:
            var r: ClosedRange<Int64>? = nil
            if let ra = a.range, let rb = b.range {
                let (lo, o1) = op == .add ? ra.lowerBound.addingReportingOverflow(rb.lowerBound) : ra.lowerBound.subtractingReportingOverflow(rb.upperBound)
                let (hi, o2) = op == .add ? ra.upperBound.addingReportingOverflow(rb.upperBound) : ra.upperBound.subtractingReportingOverflow(rb.lowerBound)
                if !o1 && !o2 { r = lo...hi }
            }
            return PromelaExpr(value: "(\(va) \(op.rawValue) \(vb))", fault: promelaOr(a.fault, b.fault), range: r)
        case .multiply, .bitAnd, .bitOr, .bitXor:
            var r: ClosedRange<Int64>? = nil
            if op == .bitAnd, let ra = a.range, let rb = b.range, ra.lowerBound >= 0, rb.lowerBound >= 0 {
                r = 0...min(ra.upperBound, rb.upperBound)
            }
            return PromelaExpr(value: "(\(va) \(op.rawValue) \(vb))", fault: promelaOr(a.fault, b.fault), range: r)
        case .divide, .remainder:
            let zero = b.range.map { $0.contains(0) } ?? true ? "\(vb) == 0" : nil
            return PromelaExpr(value: "(\(va) \(op.rawValue) \(vb))", fault: promelaOr(promelaOr(a.fault, b.fault), zero), range: nil)
        case .shiftLeft:
            // lockhunt shifts 64-bit values and gives 0 for a count outside 0...62.
            return PromelaExpr(value: conditional("\(vb) < 0 || \(vb) > 62", "0", "\(va) << \(vb)"), fault: promelaOr(a.fault, b.fault), range: nil)
        case .shiftRight:
            return PromelaExpr(value: conditional("\(vb) < 0 || \(vb) > 62", conditional("\(va) < 0", "-1", "0"), "\(va) >> \(vb)"),
                               fault: promelaOr(a.fault, b.fault), range: nil)
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
