import LockhuntBasics
import LockhuntLanguage

/// The kernel primitives the language knows, by their kernel names.
public enum Builtins {
    /// Calls that only compute from their arguments and the model's static shape.
    public static let pure: Set<String> = [
        "folio_buffers", "folio_has_buffers", "folio_mapping", "buffer_folio", "len", "list_empty", "set_empty",
    ]

    /// Calls that read shared state and change nothing: a step of their own, unless they appear
    /// inside a condition that is evaluated atomically (wait_event, assert).
    public static let reads: Set<String> = [
        "folio_test_locked", "folio_test_writeback", "folio_test_uptodate", "folio_test_dirty", "folio_test_lru",
        "buffer_locked", "buffer_uptodate", "buffer_dirty",
    ]

    /// Calls with an effect (or a choice): always steps of their own.
    public static let effects: Set<String> = [
        "folio_lock", "folio_trylock", "folio_unlock",
        "lock_buffer", "trylock_buffer", "unlock_buffer",
        "folio_start_writeback", "folio_end_writeback", "folio_wait_writeback",
        "folio_mark_uptodate", "folio_clear_uptodate", "folio_mark_dirty", "folio_clear_dirty", "folio_clear_dirty_for_io",
        "folio_isolate_lru", "folio_putback_lru",
        "set_buffer_uptodate", "clear_buffer_uptodate", "mark_buffer_dirty", "clear_buffer_dirty", "test_clear_buffer_dirty",
        "set_clear", "nondet_bool", "cond_resched", "might_sleep", "count_vm_event",
    ]

    public static let names: Set<String> = pure.union(reads).union(effects)
}

extension ThreadLowerer {
    enum Mode {
        /// Shared reads become load steps of their own (ordinary statements).
        case split
        /// Shared reads stay in the expression, evaluated atomically by the instruction using it.
        case inline
    }

    static let void = CExpr.constant(0, .void)

    /// Whether lowering `e` has to emit instructions (calls, steps).
    func needsEmission(_ e: Expr, _ mode: Mode) -> Bool {
        switch e.kind {
        case .call(let name, let args):
            if Builtins.pure.contains(name) { return args.contains { needsEmission($0, mode) } }
            if Builtins.reads.contains(name) && mode == .inline { return args.contains { needsEmission($0, mode) } }
            return true
        case .name(let n):
            return mode == .split && lookup(n) == nil && c.sharedNames[n] != nil
        case .index(let base, let i):
            if mode == .split, case .name(let n) = base.kind, lookup(n) == nil, c.sharedNames[n] != nil { return true }
            return needsEmission(base, mode) || needsEmission(i, mode)
        case .unary(_, let a): return needsEmission(a, mode)
        case .binary(_, let a, let b): return needsEmission(a, mode) || needsEmission(b, mode)
        case .ternary(let a, let b, let x), .slice(let a, let b, let x):
            return needsEmission(a, mode) || needsEmission(b, mode) || needsEmission(x, mode)
        case .list(let items): return items.contains { needsEmission($0, mode) }
        default: return false
        }
    }

    /// Lowers an expression to a pure one, emitting the steps and inlined calls it needs first.
    func expression(_ e: Expr, mode: Mode = .split) -> CExpr? {
        let loc = e.location
        switch e.kind {
        case .integer(let v): return .constant(v, .int)
        case .boolean(let b): return .constant(b ? 1 : 0, .bool)
        case .null: return .constant(0, .int)
        case .currentFlags: return .local(flagsField, .int)
        case .name(let n): return name(n, loc, mode)
        case .unary(let op, let x):
            guard let a = expression(x, mode: mode) else { return nil }
            switch op {
            case .not:
                guard let t = truth(a, x.location) else { return nil }
                if let v = t.constantValue { return .constant(v == 0 ? 1 : 0, .bool) }
                return .unary(.not, t)
            case .negate, .complement:
                guard a.type.isScalar else { c.error(loc, "'\(op.rawValue)' needs an integer, not \(a.type)"); return nil }
                if let v = a.constantValue {
                    if op == .complement { return .constant(~v, .int) }
                    guard let n = Compiler.negate(v, loc, c.diagnostics) else { return nil }
                    return .constant(n, .int)
                }
                return .unary(op, a)
            }
        case .binary(let op, let a, let b):
            if op == .and || op == .or { return logical(op, a, b, loc, mode) }
            if op == .member { return member(a, b, loc, mode) }
            guard let x = expression(a, mode: mode), let y = expression(b, mode: mode) else { return nil }
            return binary(op, x, y, loc)
        case .ternary(let cond, let a, let b):
            return conditional(cond, a, b, loc, mode)
        case .call(let n, let args):
            return call(n, args, loc, wantValue: true, mode: mode)
        case .index(let base, let i):
            return index(base, i, loc, mode)
        case .slice(let base, let from, let to):
            return slice(base, from, to, loc)
        case .list(let items):
            return listLiteral(items, loc, mode)
        }
    }

    func name(_ n: String, _ loc: SourceLocation, _ mode: Mode) -> CExpr? {
        if let b = lookup(n) {
            switch b {
            case .field(let f, let t): return .local(f, t)
            case .constant(let v, let t): return .constant(v, t)
            }
        }
        if let k = c.constants[n] { return .constant(k.value, k.type) }
        if let f = c.folioNames[n] {
            if let count = f.count { return .constant(Int64(c.lists.intern(Array(f.first..<f.first + count), kind: .folio)), .list(.folio)) }
            return .constant(Int64(f.first), .folio)
        }
        if let b = c.bufferNames[n] {
            if let count = b.count { return .constant(Int64(c.lists.intern(Array(b.first..<b.first + count), kind: .buffer)), .list(.buffer)) }
            return .constant(Int64(b.first), .buffer)
        }
        if let v = c.sharedNames[n] {
            let info = c.shared[v]
            if info.isArray { c.error(loc, "'\(n)' is an array; read an element, as in '\(n)[i]'"); return nil }
            return read(.shared(v, nil, info.type), loc, n, mode)
        }
        if c.functions[n] != nil || Builtins.names.contains(n) {
            c.error(loc, "'\(n)' is a function; call it as '\(n)(...)'")
            return nil
        }
        c.unknown("name", n, loc, candidates: visibleNames())
        return nil
    }

    /// A shared read: a load step of its own, or inline in an atomic context.
    func read(_ x: CExpr, _ loc: SourceLocation, _ callee: String, _ mode: Mode) -> CExpr {
        if mode == .inline { return x }
        let t = temp(x.type, loc)
        emit(.load(t, x), loc, callee)
        return .local(t, x.type)
    }

    func binary(_ op: BinaryOp, _ x: CExpr, _ y: CExpr, _ loc: SourceLocation) -> CExpr? {
        switch op {
        case .equal, .notEqual:
            let ok = (x.type.isScalar && y.type.isScalar) || x.type == y.type
                || (!x.type.isScalar && y.constantValue == 0 && y.type.isScalar)
                || (!y.type.isScalar && x.constantValue == 0 && x.type.isScalar)
            if !ok || x.type == .set || y.type == .set {
                c.error(loc, "cannot compare a \(x.type) with a \(y.type)")
                return nil
            }
        default:
            guard x.type.isScalar, y.type.isScalar else {
                c.error(loc, "'\(op.rawValue)' needs integers, not \(x.type) and \(y.type)")
                return nil
            }
        }
        if let a = x.constantValue, let b = y.constantValue {
            guard let v = Compiler.fold(op, a, b, loc, c.diagnostics) else { return nil }
            return .constant(v, CExpr.binary(op, x, y).type)
        }
        return .binary(op, x, y)
    }

    func logical(_ op: BinaryOp, _ a: Expr, _ b: Expr, _ loc: SourceLocation, _ mode: Mode) -> CExpr? {
        guard let x = expression(a, mode: mode), let tx = truth(x, a.location) else { return nil }
        // Short-circuit with constants: `MODE == MIGRATE_ASYNC && ...` in a policy.
        if let v = tx.constantValue {
            if (op == .and && v == 0) || (op == .or && v != 0) { return .constant(v != 0 ? 1 : 0, .bool) }
            guard let y = expression(b, mode: mode), let ty = truth(y, b.location) else { return nil }
            return ty.type == .bool ? ty : .binary(.notEqual, ty, .constant(0, .int))
        }
        if !needsEmission(b, mode) {
            guard let y = expression(b, mode: mode), let ty = truth(y, b.location) else { return nil }
            return .binary(op, tx, ty)
        }
        // The right side has steps or calls: they run only when C would evaluate them.
        let t = temp(.bool, loc)
        emit(.assign(t, coerce(tx, to: .bool, loc) ?? .constant(0, .bool)), loc, op.rawValue)
        let guardCond: CExpr = op == .and ? .local(t, .bool) : .unary(.not, .local(t, .bool))
        let br = emit(.branch(guardCond, elseTarget: -1), loc, op.rawValue)
        guard let y = expression(b, mode: mode), let ty = truth(y, b.location) else { return nil }
        emit(.assign(t, coerce(ty, to: .bool, loc) ?? .constant(0, .bool)), loc, op.rawValue)
        patch(br, to: here)
        return .local(t, .bool)
    }

    func conditional(_ cond: Expr, _ a: Expr, _ b: Expr, _ loc: SourceLocation, _ mode: Mode) -> CExpr? {
        guard let cx = expression(cond, mode: mode), let tc = truth(cx, cond.location) else { return nil }
        if let v = tc.constantValue { return expression(v != 0 ? a : b, mode: mode) }
        if !needsEmission(a, mode) && !needsEmission(b, mode) {
            guard let x = expression(a, mode: mode), let y = expression(b, mode: mode) else { return nil }
            guard x.type == y.type || (x.type.isScalar && y.type.isScalar) else {
                c.error(loc, "the two sides of '?:' differ: \(x.type) and \(y.type)")
                return nil
            }
            return .ternary(tc, x, y)
        }
        let br = emit(.branch(tc, elseTarget: -1), loc, "?:")
        guard let x = expression(a, mode: mode) else { return nil }
        let t = temp(x.type, loc)
        emit(.assign(t, x), loc, "?:")
        let over = emit(.jump(-1), loc, "?:")
        patch(br, to: here)
        guard let y = expression(b, mode: mode), let y2 = coerce(y, to: x.type, b.location) else { return nil }
        emit(.assign(t, y2), loc, "?:")
        patch(over, to: here)
        return .local(t, x.type)
    }

    func setField(_ e: Expr) -> FieldID? {
        if case .name(let n) = e.kind, case .field(let f, .set)? = lookup(n) { return f }
        c.error(e.location, "expected a set variable")
        return nil
    }

    func member(_ a: Expr, _ b: Expr, _ loc: SourceLocation, _ mode: Mode) -> CExpr? {
        guard let s = setField(b) else { return nil }
        guard let x = expression(a, mode: mode), let f = coerce(x, to: .folio, a.location) else { return nil }
        return .setMember(s, f)
    }

    func index(_ base: Expr, _ i: Expr, _ loc: SourceLocation, _ mode: Mode) -> CExpr? {
        if case .name(let n) = base.kind, lookup(n) == nil {
            if let f = c.folioNames[n] ?? c.bufferNames[n] {
                let kind: ValueType.ElementKind = c.folioNames[n] != nil ? .folio : .buffer
                guard let count = f.count else { c.error(loc, "'\(n)' is not an array"); return nil }
                guard let ix = expression(i, mode: mode), ix.type.isScalar else { c.error(i.location, "an array index must be an integer"); return nil }
                if let k = ix.constantValue {
                    if k < 0 || k >= Int64(count) { c.error(i.location, "index \(k) is out of range for '\(n)[\(count)]'"); return nil }
                    return .constant(Int64(f.first) + k, kind.type)
                }
                return .arrayElement(base: f.first, count: count, index: ix, kind)
            }
            if let v = c.sharedNames[n] {
                guard c.shared[v].isArray else { c.error(loc, "'\(n)' is not an array"); return nil }
                guard let ix = sharedIndex(v, i) else { return nil }
                return read(.shared(v, ix, c.shared[v].type), loc, n, mode)
            }
        }
        guard let lx = expression(base, mode: mode) else { return nil }
        guard case .list(let kind) = lx.type else { c.error(base.location, "cannot index a \(lx.type)"); return nil }
        guard let ix = expression(i, mode: mode), ix.type.isScalar else { c.error(i.location, "an index must be an integer"); return nil }
        return .listElement(lx, ix, kind)
    }

    func slice(_ base: Expr, _ from: Expr, _ to: Expr, _ loc: SourceLocation) -> CExpr? {
        guard case .name(let n) = base.kind, let f = c.folioNames[n] ?? c.bufferNames[n], let count = f.count else {
            c.error(base.location, "only folio and buffer arrays can be sliced, as in 'P[0..4]'")
            return nil
        }
        let kind: ValueType.ElementKind = c.folioNames[n] != nil ? .folio : .buffer
        guard let a = c.constantValue(from), let b = c.constantValue(to) else { return nil }
        guard 0 <= a, a <= b, b <= Int64(count) else {
            c.error(loc, "slice [\(a)..\(b)] is out of range for '\(n)[\(count)]'")
            return nil
        }
        return .constant(Int64(c.lists.intern(Array((f.first + Int(a))..<(f.first + Int(b))), kind: kind)), .list(kind))
    }

    func listLiteral(_ items: [Expr], _ loc: SourceLocation, _ mode: Mode) -> CExpr? {
        var values: [CExpr] = []
        for it in items {
            guard let x = expression(it, mode: mode) else { return nil }
            if case .list(let kind) = x.type {
                // A list among the items is spliced in, so that a batch can be written as the
                // kernel isolates it: `[A, P, X]`, `[X, P[0..4], A]`. Lists are values known
                // when the model is compiled, unless one is only known at run time.
                guard let id = x.constantValue, id >= 0, Int(id) < c.lists.count else {
                    c.error(it.location, "only a list known when the model is compiled (an array, a slice or a list literal) can be spliced into a list")
                    return nil
                }
                values += c.lists.lists[Int(id)].map { .constant(Int64($0), kind.type) }
                continue
            }
            guard x.type.isObject else { c.error(it.location, "a list holds folios or buffers, not \(x.type)"); return nil }
            values.append(x)
        }
        guard let first = values.first else { return .constant(0, .list(.folio)) }
        let kind: ValueType.ElementKind = first.type == .folio ? .folio : .buffer
        guard values.allSatisfy({ $0.type == first.type }) else { c.error(loc, "a list cannot mix folios and buffers"); return nil }
        let constants = values.compactMap(\.constantValue)
        if constants.count == values.count {
            if Set(constants).count != constants.count { c.error(loc, "a folio appears twice in this list") ; return nil }
            return .constant(Int64(c.lists.intern(constants.map { Int($0) }, kind: kind)), .list(kind))
        }
        if values.count == 1 { return .singletonList(values[0], kind) }
        c.error(loc, "list elements must be constant folios or buffers; only a one-element list may hold a run-time value, as in '[folio]'")
        return nil
    }

    // MARK: - Calls

    func call(_ n: String, _ args: [Expr], _ loc: SourceLocation, wantValue: Bool, mode: Mode) -> CExpr? {
        if Builtins.names.contains(n) { return builtin(n, args, loc, wantValue: wantValue, mode: mode) }
        guard let fn = c.functions[n] else {
            var message = "unknown function '\(n)'"
            if let s = Suggest.closest(to: n, among: Array(c.functions.keys) + Array(Builtins.names)) { message += "; did you mean '\(s)'?" }
            c.error(loc, message)
            return nil
        }
        return inline(fn, args, loc, wantValue: wantValue)
    }

    func inline(_ fn: FunctionDecl, _ args: [Expr], _ loc: SourceLocation, wantValue: Bool) -> CExpr? {
        if frames.dropFirst().contains(where: { $0.function == fn.name }) {
            c.error(loc, "recursive call to '\(fn.name)': calls are inlined, so recursion is not supported")
            return nil
        }
        if frames.count > Compiler.maxInlineDepth {
            c.error(loc, "calls nested more than \(Compiler.maxInlineDepth) deep")
            return nil
        }
        guard args.count == fn.parameters.count else {
            c.error(loc, "wrong number of arguments to '\(fn.name)': expected \(fn.parameters.count), got \(args.count)",
                    notes: [.note(fn.location, "'\(fn.name)' is defined here")])
            return nil
        }
        guard let returnType = c.resolveType(fn.returnType) else { return nil }
        if wantValue && returnType == .void {
            c.error(loc, "'\(fn.name)' returns void; its result cannot be used")
            return nil
        }
        var bound: [(Parameter, ValueType, CExpr?, FieldID?)] = []
        for (p, a) in zip(fn.parameters, args) {
            guard let t = c.resolveType(p.type) else { return nil }
            if t == .void { c.error(p.location, "a parameter cannot have type 'void'"); return nil }
            if t == .set {
                guard let f = setField(a) else { return nil }
                bound.append((p, t, nil, f))
            } else {
                guard let x = expression(a), let x2 = coerce(x, to: t, a.location) else { return nil }
                bound.append((p, t, x2, nil))
            }
        }
        let result: FieldID? = returnType == .void ? nil : temp(returnType, loc)
        c.contexts.append(InlineContext(function: fn.name, callSite: loc, parent: frame.context))
        frames.append(Frame(function: fn.name, returnType: returnType, result: result, scopeBase: scopes.count,
                            jumpBase: jumps.count, context: c.contexts.count - 1))
        scopes.append([:])
        pushAlloc()
        for (p, t, x, alias) in bound {
            if scopes[scopes.count - 1][p.name] != nil {
                c.error(p.location, "duplicate parameter '\(p.name)'")
                continue
            }
            if let alias {
                scopes[scopes.count - 1][p.name] = .field(alias, .set)
            } else {
                let f = newField(p.name, t, p.location)
                scopes[scopes.count - 1][p.name] = .field(f, t)
                emit(.assign(f, x!), loc, "call")
            }
        }
        lowerStatement(fn.body)
        if let result { emit(.assign(result, .constant(0, returnType)), fn.body.location, "return") }
        for p in frame.returnPatches { patch(p, to: here) }
        checkGotos()
        popAlloc()
        scopes.removeLast()
        frames.removeLast()
        return result.map { .local($0, returnType) } ?? ThreadLowerer.void
    }

    // MARK: - Built-in kernel primitives

    func builtin(_ n: String, _ args: [Expr], _ loc: SourceLocation, wantValue: Bool, mode: Mode) -> CExpr? {
        let arity: Int
        switch n {
        case "nondet_bool", "cond_resched", "might_sleep": arity = 0
        default: arity = 1
        }
        guard args.count == arity else {
            c.error(loc, "'\(n)' takes \(arity) argument\(arity == 1 ? "" : "s"), got \(args.count)")
            return nil
        }
        let isRead = Builtins.reads.contains(n) || Builtins.pure.contains(n)
        if wantValue && !isRead && ![
            "folio_trylock", "trylock_buffer", "folio_clear_dirty_for_io", "folio_isolate_lru", "test_clear_buffer_dirty", "nondet_bool",
        ].contains(n) {
            c.error(loc, "'\(n)' returns nothing; its result cannot be used")
            return nil
        }
        func object(_ t: ValueType) -> CExpr? {
            guard let x = expression(args[0], mode: mode) else { return nil }
            if x.type != t {
                if x.constantValue == 0 && x.type.isScalar { c.error(args[0].location, "'\(n)' of NULL") }
                else { c.error(args[0].location, "'\(n)' takes \(t.withArticle), not \(x.type.withArticle)") }
                return nil
            }
            return x
        }
        func folio() -> CExpr? { object(.folio) }
        func buffer() -> CExpr? { object(.buffer) }
        func result(_ op: (FieldID?) -> IROp) -> CExpr {
            let t: FieldID? = wantValue ? temp(.bool, loc) : nil
            emit(op(t), loc, n)
            return t.map { .local($0, .bool) } ?? ThreadLowerer.void
        }
        let void = ThreadLowerer.void
        switch n {
        case "folio_lock": guard let f = folio() else { return nil }; emit(.folioLock(f), loc, n); return void
        case "folio_trylock": guard let f = folio() else { return nil }; return result { .folioTrylock(f, $0) }
        case "folio_unlock": guard let f = folio() else { return nil }; emit(.folioUnlock(f), loc, n); return void
        case "lock_buffer": guard let b = buffer() else { return nil }; emit(.lockBuffer(b), loc, n); return void
        case "trylock_buffer": guard let b = buffer() else { return nil }; return result { .trylockBuffer(b, $0) }
        case "unlock_buffer": guard let b = buffer() else { return nil }; emit(.unlockBuffer(b), loc, n); return void
        case "folio_start_writeback", "folio_end_writeback":
            guard let f = folio() else { return nil }
            emit(.setFolioFlag(.writeback, f, n == "folio_start_writeback"), loc, n)
            return void
        case "folio_wait_writeback": guard let f = folio() else { return nil }; emit(.waitFolioFlagClear(.writeback, f), loc, n); return void
        case "folio_mark_uptodate", "folio_clear_uptodate":
            guard let f = folio() else { return nil }; emit(.setFolioFlag(.uptodate, f, n == "folio_mark_uptodate"), loc, n); return void
        case "folio_mark_dirty", "folio_clear_dirty":
            guard let f = folio() else { return nil }; emit(.setFolioFlag(.dirty, f, n == "folio_mark_dirty"), loc, n); return void
        case "folio_putback_lru":
            guard let f = folio() else { return nil }; emit(.setFolioFlag(.lru, f, true), loc, n); return void
        case "folio_clear_dirty_for_io": guard let f = folio() else { return nil }; return result { .testClearFolioFlag(.dirty, f, $0) }
        case "folio_isolate_lru": guard let f = folio() else { return nil }; return result { .testClearFolioFlag(.lru, f, $0) }
        case "set_buffer_uptodate", "clear_buffer_uptodate":
            guard let b = buffer() else { return nil }; emit(.setBufferFlag(.uptodate, b, n == "set_buffer_uptodate"), loc, n); return void
        case "mark_buffer_dirty", "clear_buffer_dirty":
            guard let b = buffer() else { return nil }; emit(.setBufferFlag(.dirty, b, n == "mark_buffer_dirty"), loc, n); return void
        case "test_clear_buffer_dirty":
            c.error(loc, "'test_clear_buffer_dirty' is not modelled; use buffer_dirty() and clear_buffer_dirty()")
            return nil
        case "folio_test_locked": guard let f = folio() else { return nil }; return read(.folioFlag(.locked, f), loc, n, mode)
        case "folio_test_writeback": guard let f = folio() else { return nil }; return read(.folioFlag(.writeback, f), loc, n, mode)
        case "folio_test_uptodate": guard let f = folio() else { return nil }; return read(.folioFlag(.uptodate, f), loc, n, mode)
        case "folio_test_dirty": guard let f = folio() else { return nil }; return read(.folioFlag(.dirty, f), loc, n, mode)
        case "folio_test_lru": guard let f = folio() else { return nil }; return read(.folioFlag(.lru, f), loc, n, mode)
        case "buffer_locked": guard let b = buffer() else { return nil }; return read(.bufferFlag(.locked, b), loc, n, mode)
        case "buffer_uptodate": guard let b = buffer() else { return nil }; return read(.bufferFlag(.uptodate, b), loc, n, mode)
        case "buffer_dirty": guard let b = buffer() else { return nil }; return read(.bufferFlag(.dirty, b), loc, n, mode)
        case "folio_buffers": guard let f = folio() else { return nil }; return .folioBuffers(f)
        case "folio_has_buffers": guard let f = folio() else { return nil }; return .binary(.notEqual, .listLength(.folioBuffers(f)), .constant(0, .int))
        case "folio_mapping": guard let f = folio() else { return nil }; return .folioMapping(f)
        case "buffer_folio": guard let b = buffer() else { return nil }; return .bufferFolio(b)
        case "len", "list_empty":
            guard let l = expression(args[0], mode: mode) else { return nil }
            guard case .list = l.type else { c.error(args[0].location, "'\(n)' takes a list, not a \(l.type)"); return nil }
            return n == "len" ? .listLength(l) : .binary(.equal, .listLength(l), .constant(0, .int))
        case "set_empty": guard let s = setField(args[0]) else { return nil }; return .setEmpty(s)
        case "set_clear": guard let s = setField(args[0]) else { return nil }; emit(.setClear(s), loc, n); return void
        case "nondet_bool":
            let t = temp(.bool, loc)
            let choice = emit(.choose([]), loc, n)
            let first = emit(.assign(t, .constant(1, .bool)), loc, n)
            let over = emit(.jump(-1), loc, n)
            let second = emit(.assign(t, .constant(0, .bool)), loc, n)
            code[choice].op = .choose([first, second])
            patch(over, to: here)
            return .local(t, .bool)
        case "cond_resched", "might_sleep":
            return void
        case "count_vm_event":
            guard let x = expression(args[0], mode: mode), let item = x.constantValue,
                  case .enumeration(let e) = x.type, c.enums[e].name == "vm_event_item" else {
                c.error(args[0].location, "count_vm_event() takes a constant vm_event_item: PGMIGRATE_SUCCESS, PGMIGRATE_FAIL or NR_TLB_REMOTE_FLUSH")
                return nil
            }
            emit(.countEvent(Int(item)), loc, n)
            return void
        default:
            c.error(loc, "unknown builtin '\(n)'")
            return nil
        }
    }
}
