import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration

/// The visible instruction of a step, in Promela: kernel primitives on folio and buffer flags,
/// shared variables, waits and assertions.
extension PromelaThreadWriter {
    /// A folio or buffer operand: a known object, or one computed at run time into `lh_i`.
    enum Object {
        case known(Int)
        case computed
    }

    /// Checks the operand (NULL, bad index) and names the object for the rest of the step.
    func object(_ x: CExpr, count: Int, _ body: Body) -> Object {
        let o = promela.expr(x)
        body.check(promela.guarded(o, promela.objectFault(o.value, count), within: promela.span(1, Int64(count))), body.fail)
        if let c = o.constant, c >= 1, c <= Int64(count) { return .known(Int(c)) }
        body.add("\(sym.objectIndex) = \(o.value)")
        return .computed
    }

    /// When the operand faults or is NULL the step is enabled (it faults when taken), as in
    /// `Machine.status`.
    func enabledUnless(_ x: CExpr, count: Int, isSet: (String) -> String) -> String {
        let o = promela.expr(x)
        if let c = o.constant, c >= 1, c <= Int64(count) { return "!\(isSet(o.value))" }
        let bad = promela.guarded(o, promela.objectFault(o.value, count), within: promela.span(1, Int64(count)))
        return promelaOr(bad, "!\(isSet(o.value))")!
    }

    func folioFlag(_ k: FolioFlag, _ o: Object) -> String {
        switch o {
        case .known(let id): return sym.folioFlag[k.rawValue][id - 1]
        case .computed:
            return promela.call(.folioFlag(k.rawValue), k.kernelName, sym.objectIndex)
        }
    }

    func setFolioFlag(_ k: FolioFlag, _ o: Object, _ value: String) -> String {
        switch o {
        case .known(let id): return "\(sym.folioFlag[k.rawValue][id - 1]) = \(value)"
        case .computed:
            return promela.call(.setFolioFlag(k.rawValue), "set_" + k.kernelName, sym.objectIndex, value)
        }
    }

    func bufferFlag(_ k: BufferFlag, _ o: Object) -> String {
        switch o {
        case .known(let id): return sym.bufferFlag[k.rawValue][id - 1]
        case .computed:
            return promela.call(.bufferFlag(k.rawValue), k.kernelName, sym.objectIndex)
        }
    }

    func setBufferFlag(_ k: BufferFlag, _ o: Object, _ value: String) -> String {
        switch o {
        case .known(let id): return "\(sym.bufferFlag[k.rawValue][id - 1]) = \(value)"
        case .computed:
            return promela.call(.setBufferFlag(k.rawValue), "set_" + k.kernelName, sym.objectIndex, value)
        }
    }

    func folioFlagMacro(_ k: FolioFlag) -> (String) -> String {
        { v in
            if let id = Int(v), id >= 1, id <= self.program.folios.count { return self.sym.folioFlag[k.rawValue][id - 1] }
            return self.promela.call(.folioFlag(k.rawValue), k.kernelName, v)
        }
    }

    func bufferFlagMacro(_ k: BufferFlag) -> (String) -> String {
        { v in
            if let id = Int(v), id >= 1, id <= self.program.buffers.count { return self.sym.bufferFlag[k.rawValue][id - 1] }
            return self.promela.call(.bufferFlag(k.rawValue), k.kernelName, v)
        }
    }

    /// The visible instruction at `pc`, as `Machine.step` runs it: checks that fault (to the
    /// step's `fail` label) come before any write. Returns what else must hold for the step to
    /// be enabled (blocking operations), beyond the pc.
    func visibleStep(_ pc: Int, into body: Body) -> String? {
        let folios = program.folios.count, buffers = program.buffers.count
        let old = sym.oldValue
        switch op(pc) {
        case .folioLock(let x):
            let enabled = enabledUnless(x, count: folios, isSet: folioFlagMacro(.locked))
            body.add(setFolioFlag(.locked, object(x, count: folios, body), "1"))
            return enabled
        case .lockBuffer(let x):
            let enabled = enabledUnless(x, count: buffers, isSet: bufferFlagMacro(.locked))
            body.add(setBufferFlag(.locked, object(x, count: buffers, body), "1"))
            return enabled
        case .folioTrylock(let x, let d):
            let o = object(x, count: folios, body)
            body.add("\(old) = \(folioFlag(.locked, o))")
            body.add(setFolioFlag(.locked, o, "1"))
            if let d { put(d, PromelaExpr(value: "1 - \(old)", fault: nil, range: 0...1), body) }
        case .trylockBuffer(let x, let d):
            let o = object(x, count: buffers, body)
            body.add("\(old) = \(bufferFlag(.locked, o))")
            body.add(setBufferFlag(.locked, o, "1"))
            if let d { put(d, PromelaExpr(value: "1 - \(old)", fault: nil, range: 0...1), body) }
        case .folioUnlock(let x):
            let o = object(x, count: folios, body)
            body.check("!\(folioFlag(.locked, o))", body.fail)
            body.add(setFolioFlag(.locked, o, "0"))
        case .unlockBuffer(let x):
            let o = object(x, count: buffers, body)
            body.check("!\(bufferFlag(.locked, o))", body.fail)
            body.add(setBufferFlag(.locked, o, "0"))
        case .setFolioFlag(let k, let x, let value):
            let o = object(x, count: folios, body)
            if k == .writeback {
                // __folio_start_writeback() needs the folio locked and not under writeback;
                // folio_end_writeback() needs it under writeback.
                body.check(value ? "!\(folioFlag(.locked, o)) || \(folioFlag(.writeback, o))" : "!\(folioFlag(.writeback, o))", body.fail)
            }
            body.add(setFolioFlag(k, o, value ? "1" : "0"))
        case .setBufferFlag(let k, let x, let value):
            body.add(setBufferFlag(k, object(x, count: buffers, body), value ? "1" : "0"))
        case .testClearFolioFlag(let k, let x, let d):
            let o = object(x, count: folios, body)
            body.add("\(old) = \(folioFlag(k, o))")
            body.add(setFolioFlag(k, o, "0"))
            if let d { put(d, PromelaExpr(value: old, fault: nil, range: 0...1), body) }
        case .waitFolioFlagClear(let k, let x):
            let enabled = enabledUnless(x, count: folios, isSet: folioFlagMacro(k))
            _ = object(x, count: folios, body)
            return enabled
        case .waitEvent(let c):
            let e = promela.expr(c)
            body.check(e.fault, body.fail)
            return promelaOr(e.fault, promela.wrap(e.value))
        case .load(let d, let x):
            put(d, promela.expr(x), body)
        case .store(let s, let index, let x):
            let info = program.shared[s]
            let value = promela.expr(x)
            let fault = promelaOr(value.fault, promela.outOfRange(value, sym.range(of: info.firstField)))
            if let index {
                let i = promela.expr(index)
                let bad = info.perFolio ? "\(i.value) <= 0 || \(i.value) > \(info.count)" : "\(i.value) < 0 || \(i.value) >= \(info.count)"
                let ok = info.perFolio ? promela.span(1, Int64(info.count)) : promela.span(0, Int64(info.count - 1))
                body.check(promelaOr(promela.guarded(i, bad, within: ok), fault), body.fail)
                let element = info.perFolio ? "\(promela.wrap(i.value)) - 1" : i.value
                body.add("\(sym.shared[s])[\(element)] = \(value.value)")
            } else {
                body.check(fault, body.fail)
                body.add("\(sym.shared[s]) = \(value.value)")
            }
        case .assert(let c, _):
            let e = promela.expr(c)
            body.check(promelaOr(e.fault, "!\(promela.wrap(e.value))"), body.fail)
        case .choose, .finish, .assign, .setAdd, .setRemove, .setClear, .branch, .jump, .countEvent:
            break
        }
        return nil
    }
}
