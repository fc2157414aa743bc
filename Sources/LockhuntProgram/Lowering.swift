import LockhuntBasics
import LockhuntLanguage

/// How a thread's locals were allocated, in order; `layout` replays it once widths are final.
enum AllocationEvent {
    case allocate(FieldID)
    case push
    case pop
}

/// Lowers one thread: its body and, inlined, every function it calls.
final class ThreadLowerer {
    unowned let c: Compiler
    let threadIndex: Int
    let threadName: String
    package var code: [IRInstruction] = []
    var log: [AllocationEvent] = []
    var flagsField: FieldID = -1

    enum Binding {
        case field(FieldID, ValueType)
        case constant(Int64, ValueType)
    }

    /// Innermost last. A function frame's scopes start at `Frame.scopeBase`.
    var scopes: [[String: Binding]] = []

    struct Jumps {
        var breaks: [Int] = []
        var continues: [Int] = []
        var isSwitch: Bool
        /// The counter of a counted loop, which its body must not assign.
        var counter: FieldID?
    }
    var jumps: [Jumps] = []

    struct PendingGoto {
        var pc: Int
        var location: SourceLocation
        var blocks: [Int]
    }

    struct Frame {
        var function: String
        var returnType: ValueType
        var result: FieldID?
        var returnPatches: [Int] = []
        var scopeBase: Int
        var jumpBase: Int
        var context: Int
        var labels: [String: SourceLocation] = [:]
        var pendingGotos: [String: [PendingGoto]] = [:]
        var blocks: [Int] = []
    }
    var frames: [Frame] = []
    var nextBlockID = 0

    init(compiler: Compiler, threadIndex: Int, name: String) {
        self.c = compiler
        self.threadIndex = threadIndex
        self.threadName = name
    }

    var frame: Frame {
        get { frames[frames.count - 1] }
        set { frames[frames.count - 1] = newValue }
    }

    // MARK: - Emission

    @discardableResult
    func emit(_ op: IROp, _ loc: SourceLocation, _ callee: String) -> Int {
        c.sites.append(Site(location: loc, callee: callee, context: frame.context))
        code.append(IRInstruction(op: op, site: c.sites.count - 1))
        return code.count - 1
    }

    var here: Int { code.count }

    /// Points the jump, branch or choice at `pc` to `target`.
    func patch(_ pc: Int, to target: Int) {
        switch code[pc].op {
        case .jump: code[pc].op = .jump(target)
        case .branch(let cond, _): code[pc].op = .branch(cond, elseTarget: target)
        default: preconditionFailure("patching a non-jump")
        }
    }

    func newField(_ name: String, _ type: ValueType, _ loc: SourceLocation) -> FieldID {
        let id = c.addField(FieldInfo(name: name, type: type, thread: threadIndex, location: loc))
        log.append(.allocate(id))
        return id
    }

    func temp(_ type: ValueType, _ loc: SourceLocation) -> FieldID {
        newField("tmp", type, loc)
    }

    func pushAlloc() { log.append(.push) }
    func popAlloc() { log.append(.pop) }

    func lookup(_ name: String) -> Binding? {
        var i = scopes.count - 1
        while i >= frame.scopeBase {
            if let b = scopes[i][name] { return b }
            i -= 1
        }
        return nil
    }

    func visibleNames() -> [String] {
        var names = Set<String>()
        for i in frame.scopeBase..<scopes.count { names.formUnion(scopes[i].keys) }
        names.formUnion(c.constants.keys)
        names.formUnion(c.folioNames.keys)
        names.formUnion(c.bufferNames.keys)
        names.formUnion(c.sharedNames.keys)
        names.formUnion(c.functions.keys)
        names.formUnion(Builtins.names)
        return names.filter { !$0.hasPrefix("$") }.sorted()
    }

    // MARK: - Threads

    func lowerThread(_ decl: ThreadDecl, replica: Int?) {
        frames.append(Frame(function: threadName, returnType: .void, result: nil, scopeBase: 0, jumpBase: 0, context: -1))
        scopes.append([:])
        flagsField = newField("current->flags", .int, decl.location)
        if let r = decl.replica, let replica {
            scopes[0][r.index] = .constant(Int64(replica), .int)
        }
        lowerStatement(decl.body)
        let end = here
        for p in frame.returnPatches { patch(p, to: end) }
        checkGotos()
        emit(.finish, decl.location, "exit")
        scopes.removeLast()
        frames.removeLast()
    }

    func checkGotos() {
        for (label, gotos) in frame.pendingGotos {
            for g in gotos {
                if frame.labels[label] != nil {
                    c.error(g.location, "'goto \(label)' jumps backwards: loops must be bounded; write a 'for (pass = 0; pass < N; pass++)' loop instead")
                } else {
                    var message = "unknown label '\(label)'"
                    if let s = Suggest.closest(to: label, among: frame.labels.keys) { message += "; did you mean '\(s)'?" }
                    c.error(g.location, message)
                }
            }
        }
    }

    // MARK: - Statements

    func lowerStatement(_ s: Stmt) {
        if c.diagnostics.isFull { return }
        if code.count > Compiler.maxInstructions {
            if code.count == Compiler.maxInstructions + 1 {
                c.error(s.location, "the model is too large after inlining (more than \(Compiler.maxInstructions) instructions in thread '\(threadName)')")
                emit(.finish, s.location, "exit")
            }
            return
        }
        switch s.kind {
        case .empty:
            break
        case .block(let stmts):
            scopes.append([:])
            let id = nextBlockID
            nextBlockID += 1
            frame.blocks.append(id)
            pushAlloc()
            for st in stmts { lowerStatement(st) }
            popAlloc()
            frame.blocks.removeLast()
            scopes.removeLast()
        case .declaration(let typeName, let vars):
            guard let declared = c.resolveType(typeName) else { return }
            if declared == .void { c.error(typeName.location, "variables cannot have type 'void'"); return }
            for v in vars {
                var type = declared
                if scopes[scopes.count - 1][v.name] != nil {
                    c.error(v.location, "redefinition of '\(v.name)' in the same scope")
                    continue
                }
                pushAlloc()
                var initial: CExpr = .constant(0, type)
                if let e = v.initial {
                    if type == .set {
                        c.error(e.location, "a set starts empty and cannot be initialised; add folios with 's += f'")
                    } else if let x = expression(e) {
                        // `list head = folio_buffers(src);`: a list takes its element type from its initialiser.
                        if typeName.name == "list", case .list = x.type { type = x.type }
                        if let x2 = coerce(x, to: type, e.location) { initial = x2 }
                    }
                }
                popAlloc()
                let field = newField(v.name, type, v.location)
                scopes[scopes.count - 1][v.name] = .field(field, type)
                if type == .set { emit(.setClear(field), v.location, "=") }
                else { emit(.assign(field, initial), v.location, "=") }
            }
        case .expression(let e):
            pushAlloc()
            defer { popAlloc() }
            guard case .call(let name, let args) = e.kind else {
                c.error(e.location, "expression result is unused; a statement is a call, an assignment or a control statement")
                return
            }
            _ = call(name, args, e.location, wantValue: false, mode: .split)
        case .assign(let lhs, let op, let rhs):
            pushAlloc()
            assignment(lhs, op, rhs, s.location)
            popAlloc()
        case .increment(let lhs, let delta):
            pushAlloc()
            assignment(lhs, .add, Expr(.integer(delta), s.location), s.location)
            popAlloc()
        case .ifElse(let cond, let then, let otherwise):
            pushAlloc()
            guard let cx = condition(cond) else { popAlloc(); return }
            popAlloc()
            if let v = cx.constantValue {
                // `if (0)`, `if (MODE == X)` with constants: keep only the branch that runs.
                let skip = emit(.jump(-1), cond.location, "if")
                if v != 0 {
                    patch(skip, to: here)
                    lowerStatement(then)
                    if let otherwise {
                        let over = emit(.jump(-1), s.location, "if")
                        lowerDead(otherwise)
                        patch(over, to: here)
                    }
                } else {
                    lowerDead(then)
                    patch(skip, to: here)
                    if let otherwise { lowerStatement(otherwise) }
                }
                return
            }
            let br = emit(.branch(cx, elseTarget: -1), cond.location, "if")
            lowerStatement(then)
            if let otherwise {
                let over = emit(.jump(-1), s.location, "if")
                patch(br, to: here)
                lowerStatement(otherwise)
                patch(over, to: here)
            } else {
                patch(br, to: here)
            }
        case .forEach(let name, let nameLoc, let listExpr, let body):
            lowerForEach(name, nameLoc, listExpr, body, s.location)
        case .forCount(let f):
            lowerForCount(f, s.location)
        case .switchCase(let value, let arms):
            lowerSwitch(value, arms, s.location)
        case .breakLoop:
            guard jumps.count > frame.jumpBase else { c.error(s.location, "'break' outside of a loop or switch"); return }
            let pc = emit(.jump(-1), s.location, "break")
            jumps[jumps.count - 1].breaks.append(pc)
        case .continueLoop:
            guard let i = jumps.indices.last(where: { $0 >= frame.jumpBase && !jumps[$0].isSwitch }) else {
                c.error(s.location, "'continue' outside of a loop")
                return
            }
            let pc = emit(.jump(-1), s.location, "continue")
            jumps[i].continues.append(pc)
        case .returnValue(let value):
            lowerReturn(value, s.location)
        case .gotoLabel(let label):
            let pc = emit(.jump(-1), s.location, "goto")
            if frame.labels[label] != nil {
                c.error(s.location, "'goto \(label)' jumps backwards: loops must be bounded; write a 'for (pass = 0; pass < N; pass++)' loop instead")
                return
            }
            frame.pendingGotos[label, default: []].append(PendingGoto(pc: pc, location: s.location, blocks: frame.blocks))
        case .label(let label, let inner):
            if let prev = frame.labels[label] {
                c.error(s.location, "duplicate label '\(label)'", notes: [.note(prev, "previous label is here")])
            }
            frame.labels[label] = s.location
            if let gotos = frame.pendingGotos.removeValue(forKey: label) {
                for g in gotos {
                    // A goto may leave blocks but not enter one: the label's block must enclose it.
                    if let inner = frame.blocks.last, !g.blocks.contains(inner) {
                        c.error(g.location, "'goto \(label)' jumps into a block; the label must be in a block that encloses the goto")
                    }
                    patch(g.pc, to: here)
                }
            }
            lowerStatement(inner)
        case .either(let branches):
            let choice = emit(.choose([]), s.location, "either")
            var targets: [Int] = []
            var ends: [Int] = []
            for b in branches {
                targets.append(here)
                lowerStatement(b)
                ends.append(emit(.jump(-1), b.location, "either"))
            }
            code[choice].op = .choose(targets)
            for e in ends { patch(e, to: here) }
        case .assert(let cond, let kind):
            guard let cx = atomicCondition(cond, what: kind) else { return }
            emit(.assert(cx, kind), s.location, kind)
        case .waitEvent(let cond):
            guard let cx = atomicCondition(cond, what: "wait_event") else { return }
            if let v = cx.constantValue {
                if v == 0 { emit(.waitEvent(cx), s.location, "wait_event") }
                return
            }
            emit(.waitEvent(cx), s.location, "wait_event")
        }
    }

    /// Code after `if (0)`: checked for errors, never run, and left out of the program.
    func lowerDead(_ s: Stmt) {
        let start = here
        let sites = c.sites.count
        lowerStatement(s)
        // Keep pending labels/gotos consistent: dead code with labels is rare; keep it simple.
        code.removeSubrange(start...)
        c.sites.removeSubrange(sites...)
        for i in jumps.indices {
            jumps[i].breaks.removeAll { $0 >= start }
            jumps[i].continues.removeAll { $0 >= start }
        }
        frame.returnPatches.removeAll { $0 >= start }
        for (k, v) in frame.pendingGotos { frame.pendingGotos[k] = v.filter { $0.pc < start } }
    }

    func lowerForEach(_ name: String, _ nameLoc: SourceLocation, _ listExpr: Expr, _ body: Stmt, _ loc: SourceLocation) {
        scopes.append([:])
        pushAlloc()
        defer { popAlloc(); scopes.removeLast() }
        pushAlloc()
        guard let lx = expression(listExpr) else { popAlloc(); return }
        guard case .list(let kind) = lx.type else {
            popAlloc()
            c.error(listExpr.location, "'for (\(name) in ...)' needs a list, not \(lx.type)")
            return
        }
        popAlloc()
        let listField = newField("$list", lx.type, loc)
        let counter = newField("$i", .int, loc)
        let item = newField(name, kind.type, nameLoc)
        scopes[scopes.count - 1][name] = .field(item, kind.type)
        emit(.assign(listField, lx), loc, "for")
        emit(.assign(counter, .constant(0, .int)), loc, "for")
        let head = here
        let br = emit(.branch(.binary(.less, .local(counter, .int), .listLength(.local(listField, lx.type))), elseTarget: -1), loc, "for")
        emit(.assign(item, .listElement(.local(listField, lx.type), .local(counter, .int), kind)), nameLoc, "for")
        jumps.append(Jumps(isSwitch: false, counter: counter))
        lowerStatement(body)
        let j = jumps.removeLast()
        for p in j.continues { patch(p, to: here) }
        emit(.assign(counter, .binary(.add, .local(counter, .int), .constant(1, .int))), loc, "for")
        emit(.jump(head), loc, "for")
        patch(br, to: here)
        for p in j.breaks { patch(p, to: here) }
    }

    func lowerForCount(_ f: ForCount, _ loc: SourceLocation) {
        scopes.append([:])
        pushAlloc()
        defer { popAlloc(); scopes.removeLast() }
        var counter: FieldID
        if f.declares {
            counter = newField(f.variable, .int, f.variableLocation)
            scopes[scopes.count - 1][f.variable] = .field(counter, .int)
        } else {
            guard case .field(let fid, let t)? = lookup(f.variable), t.isScalar else {
                if lookup(f.variable) == nil {
                    c.unknown("loop variable", f.variable, f.variableLocation, candidates: visibleNames())
                } else {
                    c.error(f.variableLocation, "the loop variable '\(f.variable)' must be a local int")
                }
                return
            }
            counter = fid
        }
        pushAlloc()
        guard let start = expression(f.start), let startInt = coerce(start, to: .int, f.start.location) else { popAlloc(); return }
        popAlloc()
        emit(.assign(counter, startInt), f.variableLocation, "for")
        let head = here
        pushAlloc()
        guard let bound = expression(f.bound), bound.type.isScalar else {
            popAlloc()
            c.error(f.bound.location, "a loop bound must be an integer")
            return
        }
        let cmp = CExpr.binary(f.inclusive ? .lessEqual : .less, .local(counter, .int), bound)
        let br1 = emit(.branch(cmp, elseTarget: -1), f.bound.location, "for")
        var br2: Int? = nil
        if let extra = f.extra {
            guard let ex = condition(extra) else { popAlloc(); return }
            br2 = emit(.branch(ex, elseTarget: -1), extra.location, "for")
        }
        popAlloc()
        jumps.append(Jumps(isSwitch: false, counter: counter))
        lowerStatement(f.body)
        let j = jumps.removeLast()
        for p in j.continues { patch(p, to: here) }
        emit(.assign(counter, .binary(.add, .local(counter, .int), .constant(1, .int))), loc, "for")
        emit(.jump(head), loc, "for")
        patch(br1, to: here)
        if let br2 { patch(br2, to: here) }
        for p in j.breaks { patch(p, to: here) }
    }

    func lowerSwitch(_ value: Expr, _ arms: [SwitchArm], _ loc: SourceLocation) {
        pushAlloc()
        defer { popAlloc() }
        guard let vx = expression(value) else { return }
        guard vx.type.isScalar else { c.error(value.location, "switch needs an integer or enum value, not \(vx.type)"); return }
        let v = newField("$switch", .int, value.location)
        emit(.assign(v, vx), value.location, "switch")
        // Compare in order; jump to the first arm that matches, or to default.
        var seen: [Int64: SourceLocation] = [:]
        var compares: [(pc: Int, arm: Int)] = []
        var defaultArm: Int? = nil
        for (i, arm) in arms.enumerated() {
            guard let e = arm.value else {
                if defaultArm != nil { c.error(arm.location, "more than one 'default' in switch") }
                defaultArm = i
                continue
            }
            guard let k = c.constantValue(e) else { continue }
            if let prev = seen[k] {
                c.error(arm.location, "duplicate case value \(k)", notes: [.note(prev, "previous case is here")])
            }
            seen[k] = arm.location
            let pc = emit(.branch(.binary(.notEqual, .local(v, .int), .constant(k, .int)), elseTarget: -1), arm.location, "switch")
            compares.append((pc, i))
        }
        let toDefault = emit(.jump(-1), loc, "switch")
        jumps.append(Jumps(isSwitch: true, counter: nil))
        var armStarts: [Int] = []
        for arm in arms {
            armStarts.append(here)
            scopes.append([:])
            pushAlloc()
            for st in arm.body { lowerStatement(st) }
            popAlloc()
            scopes.removeLast()
        }
        let end = here
        let j = jumps.removeLast()
        // Each compare is `if (v != k) next; else goto arm`.
        for (pc, arm) in compares { patch(pc, to: armStarts[arm]) }
        patch(toDefault, to: defaultArm.map { armStarts[$0] } ?? end)
        for p in j.breaks { patch(p, to: end) }
    }

    func lowerReturn(_ value: Expr?, _ loc: SourceLocation) {
        let f = frame
        if let value {
            if f.returnType == .void {
                c.error(value.location, frames.count == 1 ? "a thread body returns no value" : "'\(f.function)' returns void; 'return' takes no value here")
                return
            }
            pushAlloc()
            if let x = expression(value), let x2 = coerce(x, to: f.returnType, value.location), let r = f.result {
                emit(.assign(r, x2), loc, "return")
            }
            popAlloc()
        } else if f.returnType != .void {
            c.error(loc, "'\(f.function)' returns \(f.returnType); 'return' needs a value")
            return
        }
        let pc = emit(.jump(-1), loc, "return")
        frame.returnPatches.append(pc)
    }

    // MARK: - Assignment

    func assignment(_ lhs: Expr, _ op: AssignOp, _ rhs: Expr, _ loc: SourceLocation) {
        switch lhs.kind {
        case .currentFlags:
            assignLocal(flagsField, .int, op, rhs, loc)
        case .name(let n):
            if let b = lookup(n) {
                switch b {
                case .field(let f, let t):
                    if t == .set {
                        assignSet(f, op, rhs, loc)
                        return
                    }
                    if jumps[frame.jumpBase...].contains(where: { $0.counter == f }) {
                        c.error(lhs.location, "the loop counter '\(n)' may not be assigned inside its loop: loops must be bounded")
                        return
                    }
                    assignLocal(f, t, op, rhs, loc)
                case .constant:
                    c.error(lhs.location, "cannot assign to '\(n)': it is a constant")
                }
                return
            }
            if let v = c.sharedNames[n] {
                if c.shared[v].isArray { c.error(lhs.location, "'\(n)' is an array; assign an element, as in '\(n)[i] = ...'"); return }
                assignShared(v, nil, op, rhs, loc)
                return
            }
            if c.constants[n] != nil {
                c.error(lhs.location, "cannot assign to '\(n)': it is a constant")
                return
            }
            if c.folioNames[n] != nil || c.bufferNames[n] != nil {
                c.error(lhs.location, "cannot assign to '\(n)': folios and buffers are not variables")
                return
            }
            c.unknown("variable", n, lhs.location, candidates: visibleNames())
        case .index(let base, let index):
            guard case .name(let n) = base.kind, let v = c.sharedNames[n], c.shared[v].isArray else {
                c.error(lhs.location, "only shared array elements can be assigned by index")
                return
            }
            guard let ix = sharedIndex(v, index) else { return }
            assignShared(v, ix, op, rhs, loc)
        default:
            c.error(lhs.location, "cannot assign to this expression")
        }
    }

    func combine(_ op: AssignOp, _ old: CExpr, _ rhs: CExpr) -> CExpr {
        let b: BinaryOp
        switch op {
        case .assign: return rhs
        case .add: b = .add
        case .subtract: b = .subtract
        case .bitOr: b = .bitOr
        case .bitAnd: b = .bitAnd
        case .bitXor: b = .bitXor
        case .multiply: b = .multiply
        case .divide: b = .divide
        case .remainder: b = .remainder
        case .shiftLeft: b = .shiftLeft
        case .shiftRight: b = .shiftRight
        }
        return .binary(b, old, rhs)
    }

    func assignLocal(_ f: FieldID, _ t: ValueType, _ op: AssignOp, _ rhs: Expr, _ loc: SourceLocation) {
        guard let r = expression(rhs) else { return }
        if op != .assign && !t.isScalar {
            c.error(loc, "'\(op.rawValue)' needs an integer variable, not \(t)")
            return
        }
        let value = op == .assign ? r : combine(op, .local(f, t), r)
        guard let v = coerce(value, to: t, rhs.location) else { return }
        emit(.assign(f, v), loc, "=")
    }

    func assignSet(_ f: FieldID, _ op: AssignOp, _ rhs: Expr, _ loc: SourceLocation) {
        guard op == .add || op == .subtract else {
            c.error(loc, "a set is changed with 's += folio' and 's -= folio' (or set_clear(s))")
            return
        }
        guard let r = expression(rhs), let fx = coerce(r, to: .folio, rhs.location) else { return }
        emit(op == .add ? .setAdd(f, fx) : .setRemove(f, fx), loc, op == .add ? "+=" : "-=")
    }

    func assignShared(_ v: Int, _ index: CExpr?, _ op: AssignOp, _ rhs: Expr, _ loc: SourceLocation) {
        let t = c.shared[v].type
        // Without calls, the new value is computed and stored in one step (an atomic
        // read-modify-write for `+=`), as `x = x + 1` is one step in SPIN.
        let inline = !containsCall(rhs)
        guard let r = expression(rhs, mode: inline ? .inline : .split) else { return }
        let old = CExpr.shared(v, index, t)
        guard let value = coerce(op == .assign ? r : combine(op, old, r), to: t, rhs.location) else { return }
        emit(.store(v, index, value), loc, "store")
    }

    func sharedIndex(_ v: Int, _ index: Expr) -> CExpr? {
        guard let ix = expression(index) else { return nil }
        let info = c.shared[v]
        if info.perFolio {
            guard ix.type == .folio else {
                c.error(index.location, "'\(info.name)' is indexed by folio, not \(ix.type)")
                return nil
            }
            return ix
        }
        guard ix.type.isScalar else { c.error(index.location, "an array index must be an integer"); return nil }
        if let k = ix.constantValue, k < 0 || k >= Int64(info.count) {
            c.error(index.location, "index \(k) is out of range for '\(info.name)[\(info.count)]'")
            return nil
        }
        return ix
    }

    func containsCall(_ e: Expr) -> Bool {
        switch e.kind {
        case .call(let name, let args):
            // Pure functions and flag tests are reads, not calls.
            if Builtins.pure.contains(name) || Builtins.reads.contains(name) { return args.contains(where: containsCall) }
            return true
        case .unary(_, let a): return containsCall(a)
        case .binary(_, let a, let b), .index(let a, let b): return containsCall(a) || containsCall(b)
        case .ternary(let a, let b, let x), .slice(let a, let b, let x): return containsCall(a) || containsCall(b) || containsCall(x)
        case .list(let items): return items.contains(where: containsCall)
        default: return false
        }
    }

    // MARK: - Conditions

    /// A condition as a pure expression; shared reads become steps before it.
    func condition(_ e: Expr) -> CExpr? {
        guard let x = expression(e) else { return nil }
        return truth(x, e.location)
    }

    /// A condition evaluated atomically in one step (wait_event, assert): it may read shared
    /// state directly but may not call functions.
    func atomicCondition(_ e: Expr, what: String) -> CExpr? {
        if containsCall(e) {
            c.error(e.location, "\(what)() conditions may not call functions or take locks; read values into variables first")
            return nil
        }
        guard let x = expression(e, mode: .inline) else { return nil }
        return truth(x, e.location)
    }

    func truth(_ x: CExpr, _ loc: SourceLocation) -> CExpr? {
        switch x.type {
        case .set, .void:
            c.error(loc, "a \(x.type) cannot be used as a condition")
            return nil
        default:
            return x
        }
    }

    /// Converts for assignment or argument passing, as C would; nil after an error.
    func coerce(_ x: CExpr, to t: ValueType, _ loc: SourceLocation) -> CExpr? {
        let s = x.type
        if s == t { return x }
        if t.isScalar && s.isScalar {
            if t == .bool && s != .bool {
                if let v = x.constantValue { return .constant(v != 0 ? 1 : 0, .bool) }
                return .binary(.notEqual, x, .constant(0, .int))
            }
            if case .constant(let v, _) = x { return .constant(v, t) }
            return x
        }
        if case .constant(0, let ct) = x, ct.isScalar, t != .set {
            return .constant(0, t)  // NULL
        }
        if case .list = t, case .list = s {
            c.error(loc, "cannot use \(s.withArticle) where \(t.withArticle) is expected")
            return nil
        }
        c.error(loc, "cannot use \(s.withArticle) where \(t.withArticle) is expected")
        return nil
    }
}
