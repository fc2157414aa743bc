import LockhuntBasics
import LockhuntLanguage

/// Names and text for reports: objects, expressions, and what an instruction does.
extension Program {
    public func folioName(_ id: Int64) -> String {
        id >= 1 && id <= Int64(folios.count) ? folios[Int(id) - 1].name : "NULL"
    }

    public func bufferName(_ id: Int64) -> String {
        id >= 1 && id <= Int64(buffers.count) ? buffers[Int(id) - 1].name : "NULL"
    }

    public func listName(_ id: Int64) -> String {
        guard id >= 0 && id < Int64(lists.count) else { return "[?]" }
        let kind = lists.kinds[Int(id)]
        let names = lists.lists[Int(id)].map { kind == .folio ? folioName(Int64($0)) : bufferName(Int64($0)) }
        return "[" + names.joined(separator: ", ") + "]"
    }

    /// How a value of type `t` reads: folio names, enum case names, true/false.
    public func valueText(_ v: Int64, _ t: ValueType) -> String {
        switch t {
        case .bool: return v != 0 ? "true" : "false"
        case .folio: return folioName(v)
        case .buffer: return bufferName(v)
        case .list: return listName(v)
        case .enumeration(let e):
            if let c = enums[e].cases.first(where: { $0.value == v }) { return c.name }
            return String(v)
        default: return String(v)
        }
    }

    /// Kernel-style text of an expression: `folio_test_uptodate(src)`, `mode == MIGRATE_SYNC`.
    public func render(_ e: CExpr) -> String {
        switch e {
        case .constant(let v, let t):
            if t == .int, let name = errorName(v) { return name }
            return valueText(v, t)
        case .local(let f, _): return fieldInfo[f].name
        case .shared(let v, nil, _): return shared[v].name
        case .shared(let v, let i?, _): return "\(shared[v].name)[\(render(i))]"
        case .folioFlag(let k, let x): return "\(folioFlagTest[k.rawValue])(\(render(x)))"
        case .bufferFlag(let k, let x): return "\(bufferFlagTest[k.rawValue])(\(render(x)))"
        case .setMember(let f, let x): return "\(render(x)) in \(fieldInfo[f].name)"
        case .setEmpty(let f): return "set_empty(\(fieldInfo[f].name))"
        case .listLength(let x): return "len(\(render(x)))"
        case .listElement(let l, let i, _): return "\(render(l))[\(render(i))]"
        case .arrayElement(let base, _, let i, let kind):
            let name = kind == .folio ? folios[base - 1].name : buffers[base - 1].name
            let array = name.split(separator: "[").first.map(String.init) ?? name
            return "\(array)[\(render(i))]"
        case .folioBuffers(let x): return "folio_buffers(\(render(x)))"
        case .folioMapping(let x): return "folio_mapping(\(render(x)))"
        case .bufferFolio(let x): return "buffer_folio(\(render(x)))"
        case .singletonList(let x, _): return "[\(render(x))]"
        case .unary(let op, let x): return op.rawValue + wrap(x)
        case .binary(let op, let a, let b): return "\(wrap(a)) \(op.rawValue) \(wrap(b))"
        case .ternary(let c, let a, let b): return "\(wrap(c)) ? \(wrap(a)) : \(wrap(b))"
        }
    }

    var folioFlagTest: [String] { ["folio_test_locked", "folio_test_writeback", "folio_test_uptodate", "folio_test_dirty", "folio_test_lru"] }
    var bufferFlagTest: [String] { ["buffer_locked", "buffer_uptodate", "buffer_dirty"] }

    private func wrap(_ e: CExpr) -> String {
        switch e {
        case .binary, .ternary: return "(\(render(e)))"
        default: return render(e)
        }
    }

    /// -EAGAIN rather than -11 in reports.
    func errorName(_ v: Int64) -> String? {
        let names: [Int64: String] = [-1: "-EPERM", -5: "-EIO", -11: "-EAGAIN", -12: "-ENOMEM", -16: "-EBUSY",
                                      -22: "-EINVAL", -35: "-EDEADLOCK", -38: "-ENOSYS", -95: "-EOPNOTSUPP"]
        return names[v]
    }

    /// What a step did, in words a kernel developer uses. `operation` names the call and its
    /// object, `outcome` its result.
    public func describe(_ ev: StepEvent) -> (operation: String, outcome: String) {
        let ins = ir[Int(ev.pc)]
        let callee = sites[ins.site].callee
        switch ins.op {
        case .folioLock: return ("\(callee)(\(folioName(ev.object)))", "acquired")
        case .folioTrylock, .trylockBuffer:
            let name = ins.op.isFolio ? folioName(ev.object) : bufferName(ev.object)
            return ("\(callee)(\(name))", ev.outcome != 0 ? "true" : "false")
        case .folioUnlock: return ("\(callee)(\(folioName(ev.object)))", "released")
        case .lockBuffer: return ("\(callee)(\(bufferName(ev.object)))", "acquired")
        case .unlockBuffer: return ("\(callee)(\(bufferName(ev.object)))", "released")
        case .setFolioFlag: return ("\(callee)(\(folioName(ev.object)))", "done")
        case .setBufferFlag: return ("\(callee)(\(bufferName(ev.object)))", "done")
        case .testClearFolioFlag: return ("\(callee)(\(folioName(ev.object)))", ev.outcome != 0 ? "true" : "false")
        case .waitFolioFlagClear: return ("\(callee)(\(folioName(ev.object)))", "done")
        case .waitEvent(let c): return ("wait_event(\(render(c)))", "woken")
        case .load(let f, let x):
            switch x {
            case .folioFlag(let k, _):
                return ("\(folioFlagTest[k.rawValue])(\(folioName(ev.object)))", valueText(ev.outcome, .bool))
            case .bufferFlag(let k, _):
                return ("\(bufferFlagTest[k.rawValue])(\(bufferName(ev.object)))", valueText(ev.outcome, .bool))
            case .shared(let v, _?, let t):
                let element = shared[v].perFolio ? folioName(ev.object) : String(ev.object)
                return ("\(shared[v].name)[\(element)]", valueText(ev.outcome, t))
            default:
                return ("\(render(x))", valueText(ev.outcome, fieldInfo[f].type))
            }
        case .store(let v, let i, _):
            let target = i == nil ? shared[v].name : "\(shared[v].name)[\(shared[v].perFolio ? folioName(ev.index + 1) : String(ev.index))]"
            return ("\(target) = \(valueText(ev.outcome, shared[v].type))", "done")
        case .choose(let ts):
            if callee == "nondet_bool" { return ("nondet_bool()", ev.outcome == 0 ? "true" : "false") }
            return ("either", "branch \(ev.outcome + 1) of \(ts.count)")
        case .assert(let c, let kind):
            if kind == "assert" { return ("assert(\(render(c)))", "holds") }
            return ("\(kind)(\(render(negated(c))))", "holds")
        case .finish: return ("exit", "")
        default: return (callee, "")
        }
    }

    /// The wait a blocked thread is in, as text: `lock_buffer(bh)`.
    public func describeWait(pc: Int, object: Int64) -> String {
        let ins = ir[pc]
        let callee = sites[ins.site].callee
        switch ins.op {
        case .folioLock, .waitFolioFlagClear: return "\(callee)(\(folioName(object)))"
        case .lockBuffer: return "\(callee)(\(bufferName(object)))"
        case .waitEvent(let c): return "wait_event(\(render(c)))"
        default: return callee
        }
    }

    package func negated(_ e: CExpr) -> CExpr {
        if case .unary(.not, let x) = e { return x }
        return .unary(.not, e)
    }

    /// Which thread owns a global pc.
    public func thread(ofPC pc: Int) -> Int? {
        threads.firstIndex { $0.codeStart <= pc && pc < $0.codeStart + $0.codeCount }
    }

    /// `path:line:col`
    public func location(ofPC pc: Int) -> String { sources.describe(sites[ir[pc].site].location) }
}

extension IROp {
    var isFolio: Bool {
        switch self {
        case .folioLock, .folioTrylock, .folioUnlock: return true
        default: return false
        }
    }
}
