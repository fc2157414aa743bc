import LockhuntBasics
import LockhuntLanguage

/// Turns a loaded model into a `Program`: resolves names, checks types, inlines every call, lowers
/// statements to per-thread instruction lists, lays out the packed state, and runs the analyses.
/// Errors are collected (several per run) with "did you mean" for unknown names.
/// Choices that change the compiled program for a purpose other than checking verdicts.
public struct CompileOptions: Sendable {
    /// Record, for every folio lock, the thread that took it (a field per folio in the state).
    /// The cost exploration needs it to count the locks a migrator holds; verdict searches do
    /// not, and go faster without it.
    public var trackFolioOwners = false
    /// Give int locals that only hold constants, truth values or copies of such locals just the
    /// bits those values need (LocalRanges.swift). Off only to test that it changes nothing.
    public var narrowLocals = true

    public init() {}
}

public final class Compiler {
    let model: LoadedModel
    let diagnostics: DiagnosticEngine
    let options: CompileOptions

    // Symbols, in declaration order.
    var constants: [String: (value: Int64, type: ValueType, location: SourceLocation)] = [:]
    var declaredParams: [String: SourceLocation] = [:]
    var enums: [EnumInfo] = []
    var enumTypes: [String: Int] = [:]
    var folios: [FolioInfo] = []
    var buffers: [BufferInfo] = []
    /// Folio or buffer names: scalar (count nil) or array, with their first id.
    var folioNames: [String: (first: Int, count: Int?)] = [:]
    var bufferNames: [String: (first: Int, count: Int?)] = [:]
    var shared: [SharedVarInfo] = []
    var sharedNames: [String: Int] = [:]
    var functions: [String: FunctionDecl] = [:]
    var functionLinkage: [String: FunctionLinkage] = [:]
    var threadDecls: [ThreadDecl] = []
    var expectations: [ExpectedVerdict] = []
    var lists = ListTable()
    var singletons = SingletonLists(folioBase: 0, bufferBase: 0)

    // Fields (positions are assigned by `layout` after lowering).
    var fieldInfo: [FieldInfo] = []
    /// Per thread, the order in which its locals were allocated and released; replayed by
    /// `layout` so that sibling scopes share bits.
    var allocationLogs: [[AllocationEvent]] = []

    // Lowered code.
    var threads: [ThreadInfo] = []
    var ir: [IRInstruction] = []
    var sites: [Site] = []
    var contexts: [InlineContext] = []

    /// Limits that keep a hostile or runaway model from exhausting memory while compiling.
    static let maxInstructions = 2_000_000
    static let maxThreads = 64
    static let maxObjects = 4096
    static let maxInlineDepth = 64

    /// Owner fields, one per folio, when `options.trackFolioOwners`.
    package var ownerFields: [FieldID] = []

    public init(model: LoadedModel, diagnostics: DiagnosticEngine, options: CompileOptions = CompileOptions()) {
        self.model = model
        self.diagnostics = diagnostics
        self.options = options
    }

    /// Compiles, or returns nil after reporting errors.
    public func compile() -> Program? {
        collect()
        if diagnostics.hasErrors { return nil }
        layoutGlobals()
        lowerThreads()
        if diagnostics.hasErrors { return nil }
        if threads.isEmpty {
            let loc = model.files.first(where: { $0.file.path == model.modelPath }).map { SourceLocation(file: $0.file.id, line: 1, column: 1) } ?? .none
            diagnostics.error(loc, "the model declares no threads; write at least one 'thread NAME { ... }'")
            return nil
        }
        return finish()
    }

    func error(_ loc: SourceLocation, _ message: String, notes: [Diagnostic] = []) {
        diagnostics.error(loc, message, notes: notes)
    }

    /// "unknown X 'name'; did you mean 'other'?"
    func unknown(_ what: String, _ name: String, _ loc: SourceLocation, candidates: [String]) {
        var message = "unknown \(what) '\(name)'"
        if let s = Suggest.closest(to: name, among: candidates) { message += "; did you mean '\(s)'?" }
        error(loc, message)
    }

    // MARK: - Collecting declarations

    private func collect() {
        let overrides = Dictionary(model.paramOverrides.map { ($0.name, $0.value) }, uniquingKeysWith: { _, b in b })
        for file in model.files {
            for decl in file.declarations {
                if diagnostics.isFull { return }
                switch decl {
                case .include: break
                case .param(let name, let value, let loc):
                    guard checkFresh(name, loc) else { continue }
                    declaredParams[name] = loc
                    if let v = overrides[name] {
                        constants[name] = (v, .int, loc)
                    } else if let v = constantValue(value) {
                        constants[name] = (v, .int, loc)
                    }
                case .constant(_, let name, let value, let loc):
                    guard checkFresh(name, loc) else { continue }
                    if let (v, t) = constantTyped(value) { constants[name] = (v, t, loc) }
                case .enumeration(let typeName, let cases, let loc):
                    declareEnum(typeName, cases, loc)
                case .folio(let name, let count, let attrs, let loc):
                    declareFolio(name, count, attrs, loc)
                case .buffer(let name, let count, let owner, let attrs, let loc):
                    declareBuffer(name, count, owner, attrs, loc)
                case .shared(let type, let name, let shape, let initial, let loc):
                    declareShared(type, name, shape, initial, loc)
                case .thread(let t):
                    if threadDecls.contains(where: { $0.name == t.name }) {
                        let prev = threadDecls.first(where: { $0.name == t.name })!
                        error(t.location, "redefinition of thread '\(t.name)'", notes: [.note(prev.location, "previous definition is here")])
                    } else {
                        threadDecls.append(t)
                    }
                case .function(let f):
                    declareFunction(f)
                case .expect(let e):
                    for (p, loc) in e.policies {
                        if let prev = expectations.first(where: { $0.policy == p }) {
                            error(loc, "policy '\(p)' already has an expectation", notes: [.note(prev.location, "first expectation is here")])
                        } else {
                            expectations.append(ExpectedVerdict(policy: p, verdict: e.verdict, location: loc))
                        }
                    }
                }
            }
        }
        for (name, _) in model.paramOverrides where declaredParams[name] == nil {
            var message = "--param \(name): the model has no parameter '\(name)'"
            if let s = Suggest.closest(to: name, among: declaredParams.keys) { message += "; did you mean '\(s)'?" }
            else if declaredParams.isEmpty { message += " (it declares none)" }
            else { message += " (it has: \(declaredParams.keys.sorted().joined(separator: ", ")))" }
            error(.none, message)
        }
        internObjectLists()
    }

    /// Top-level names share one namespace, as in C.
    private func checkFresh(_ name: String, _ loc: SourceLocation) -> Bool {
        var previous: SourceLocation? = nil
        if let c = constants[name] { previous = c.location }
        else if let f = folioNames[name] { previous = folios[f.first - 1].location }
        else if let b = bufferNames[name] { previous = buffers[b.first - 1].location }
        else if let s = sharedNames[name] { previous = shared[s].location }
        else if let e = enumTypes[name] { _ = e; previous = SourceLocation.none }
        if let previous {
            error(loc, "redefinition of '\(name)'", notes: previous.isNone ? [] : [.note(previous, "previous definition is here")])
            return false
        }
        if Builtins.names.contains(name) {
            error(loc, "'\(name)' is a built-in kernel primitive and cannot be redefined")
            return false
        }
        return true
    }

    /// A compile-time integer: literals, params, consts, enum values, arithmetic on them.
    func constantValue(_ e: Expr) -> Int64? {
        constantTyped(e)?.value
    }

    func constantTyped(_ e: Expr) -> (value: Int64, type: ValueType)? {
        switch e.kind {
        case .integer(let v): return (v, .int)
        case .boolean(let b): return (b ? 1 : 0, .bool)
        case .null: return (0, .int)
        case .name(let n):
            if let c = constants[n] { return (c.value, c.type) }
            unknown("constant", n, e.location, candidates: Array(constants.keys))
            return nil
        case .unary(let op, let x):
            guard let (v, t) = constantTyped(x) else { return nil }
            switch op {
            case .not: return (v == 0 ? 1 : 0, .bool)
            case .negate:
                guard let n = Compiler.negate(v, e.location, diagnostics) else { return nil }
                return (n, .int)
            case .complement: return (~v, t == .bool ? .int : t)
            }
        case .binary(let op, let a, let b):
            guard let (x, tx) = constantTyped(a), let (y, _) = constantTyped(b) else { return nil }
            guard let v = Compiler.fold(op, x, y, e.location, diagnostics) else { return nil }
            switch op {
            case .or, .and, .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual: return (v, .bool)
            default: return (v, tx == .bool ? .int : tx)
            }
        case .ternary(let c, let a, let b):
            guard let (cv, _) = constantTyped(c) else { return nil }
            return constantTyped(cv != 0 ? a : b)
        default:
            error(e.location, "expected a constant expression")
            return nil
        }
    }

    /// Constant folding of a binary operator; nil (after an error) for a division by zero, a
    /// result that does not fit in 64 bits or a shift count outside 0...63: constants are
    /// computed as the machine computes at run time, never wrapped (Machine.eval), and what
    /// would be a violation there is an error here, at the operator.
    package static func fold(_ op: BinaryOp, _ x: Int64, _ y: Int64, _ loc: SourceLocation, _ diags: DiagnosticEngine?) -> Int64? {
        func exact(_ r: (partialValue: Int64, overflow: Bool)) -> Int64? {
            if r.overflow { diags?.error(loc, "integer overflow in constant expression: \(x) \(op.rawValue) \(y) does not fit in 64 bits") }
            return r.overflow ? nil : r.partialValue
        }
        switch op {
        case .or: return (x != 0 || y != 0) ? 1 : 0
        case .and: return (x != 0 && y != 0) ? 1 : 0
        case .bitOr: return x | y
        case .bitXor: return x ^ y
        case .bitAnd: return x & y
        case .equal: return x == y ? 1 : 0
        case .notEqual: return x != y ? 1 : 0
        case .less: return x < y ? 1 : 0
        case .lessEqual: return x <= y ? 1 : 0
        case .greater: return x > y ? 1 : 0
        case .greaterEqual: return x >= y ? 1 : 0
        case .shiftLeft, .shiftRight:
            guard y >= 0 && y <= 63 else {
                diags?.error(loc, "shift count out of range in constant expression: \(x) \(op.rawValue) \(y) (the count must be 0..63)")
                return nil
            }
            if op == .shiftRight { return x >> y }
            return exact((x << y, (x << y) >> y != x))
        case .add: return exact(x.addingReportingOverflow(y))
        case .subtract: return exact(x.subtractingReportingOverflow(y))
        case .multiply: return exact(x.multipliedReportingOverflow(by: y))
        case .divide, .remainder:
            if y == 0 { diags?.error(loc, "division by zero in constant expression"); return nil }
            if y == -1 { return op == .divide ? exact(Int64(0).subtractingReportingOverflow(x)) : 0 }
            return op == .divide ? x / y : x % y
        case .member: return nil
        }
    }

    /// Constant negation; nil (after an error) for -(Int64.min), which does not fit.
    static func negate(_ v: Int64, _ loc: SourceLocation, _ diags: DiagnosticEngine?) -> Int64? {
        let (r, o) = Int64(0).subtractingReportingOverflow(v)
        if o { diags?.error(loc, "integer overflow in constant expression: -(\(v)) does not fit in 64 bits") }
        return o ? nil : r
    }

    private func declareEnum(_ typeName: String?, _ cases: [(name: String, value: Expr?, location: SourceLocation)], _ loc: SourceLocation) {
        var next: Int64 = 0
        var info = EnumInfo(name: typeName ?? "", cases: [], maxValue: 0)
        let id = enums.count
        for c in cases {
            var v = next
            if let e = c.value, let cv = constantValue(e) { v = cv }
            if v < 0 || v > 1 << 20 {
                error(c.location, "enum values must be between 0 and \(1 << 20)")
                v = 0
            }
            if checkFresh(c.name, c.location) {
                constants[c.name] = (v, typeName == nil ? .int : .enumeration(id), c.location)
            }
            info.cases.append((c.name, v))
            info.maxValue = max(info.maxValue, v)
            next = v + 1
        }
        enums.append(info)
        if let typeName {
            if enumTypes[typeName] != nil { error(loc, "redefinition of enum '\(typeName)'") }
            enumTypes[typeName] = id
        }
    }

    private func arrayCount(_ count: Expr?, _ what: String) -> Int?? {
        guard let count else { return .some(nil) }
        guard let n = constantValue(count) else { return .none }
        if n < 1 || n > Int64(Compiler.maxObjects) {
            error(count.location, "\(what) array size must be between 1 and \(Compiler.maxObjects), not \(n)")
            return .none
        }
        return .some(Int(n))
    }

    private func declareFolio(_ name: String, _ count: Expr?, _ attrs: [Attribute], _ loc: SourceLocation) {
        guard checkFresh(name, loc), let n = arrayCount(count, "folio") else { return }
        if folios.count + (n ?? 1) > Compiler.maxObjects {
            error(loc, "too many folios (the limit is \(Compiler.maxObjects))")
            return
        }
        var flags: [FolioFlag] = [.lru]  // a folio starts on the LRU unless told otherwise
        var mapping: Int64 = 0
        var anonymousBuffers = 0
        for a in attrs {
            if let f = FolioFlag.allCases.first(where: { $0.attribute == a.name }) {
                var on = true
                if let v = a.value, let cv = constantValue(v) { on = cv != 0 }
                flags.removeAll { $0 == f }
                if on { flags.append(f) }
            } else if a.name == "mapping" {
                guard let v = a.value else { error(a.location, "'mapping' needs a value, as in 'mapping = blkdev'"); continue }
                mapping = constantValue(v) ?? 0
            } else if a.name == "buffers" {
                guard let v = a.value, let cv = constantValue(v) else { error(a.location, "'buffers' needs a count, as in 'buffers = 2'"); continue }
                if cv < 0 || cv > 64 { error(a.location, "a folio has between 0 and 64 buffers"); continue }
                anonymousBuffers = Int(cv)
            } else {
                unknown("folio attribute", a.name, a.location, candidates: FolioFlag.allCases.map(\.attribute) + ["mapping", "buffers"])
            }
        }
        let first = folios.count + 1
        for i in 0..<(n ?? 1) {
            let display = n == nil ? name : "\(name)[\(i)]"
            folios.append(FolioInfo(name: display, mapping: mapping, initialFlags: flags, buffers: [], bufferList: 0, location: loc))
            for k in 0..<anonymousBuffers {
                buffers.append(BufferInfo(name: "\(display).bh\(k)", folio: folios.count, initialFlags: [], location: loc))
                folios[folios.count - 1].buffers.append(buffers.count)
            }
        }
        folioNames[name] = (first, n)
    }

    private func declareBuffer(_ name: String, _ count: Expr?, _ owner: Expr, _ attrs: [Attribute], _ loc: SourceLocation) {
        guard checkFresh(name, loc), let n = arrayCount(count, "buffer") else { return }
        guard let folio = constantFolio(owner) else { return }
        var flags: [BufferFlag] = []
        for a in attrs {
            if let f = BufferFlag.allCases.first(where: { $0.attribute == a.name }) {
                var on = true
                if let v = a.value, let cv = constantValue(v) { on = cv != 0 }
                if on { flags.append(f) }
            } else {
                unknown("buffer attribute", a.name, a.location, candidates: BufferFlag.allCases.map(\.attribute))
            }
        }
        let first = buffers.count + 1
        for i in 0..<(n ?? 1) {
            buffers.append(BufferInfo(name: n == nil ? name : "\(name)[\(i)]", folio: folio, initialFlags: flags, location: loc))
            folios[folio - 1].buffers.append(buffers.count)
        }
        bufferNames[name] = (first, n)
    }

    /// A folio named by a constant expression: `X` or `P[3]`.
    func constantFolio(_ e: Expr) -> Int? {
        switch e.kind {
        case .name(let n):
            if let f = folioNames[n] {
                if f.count != nil { error(e.location, "'\(n)' is an array of folios; name one, as in '\(n)[0]'"); return nil }
                return f.first
            }
            unknown("folio", n, e.location, candidates: Array(folioNames.keys))
        case .index(let base, let i):
            guard case .name(let n) = base.kind, let f = folioNames[n], let count = f.count else {
                error(e.location, "expected a folio")
                return nil
            }
            guard let iv = constantValue(i) else { return nil }
            if iv < 0 || iv >= Int64(count) { error(i.location, "index \(iv) is out of range for '\(n)[\(count)]'"); return nil }
            return f.first + Int(iv)
        default:
            error(e.location, "expected a folio name")
        }
        return nil
    }

    private func declareShared(_ type: TypeName, _ name: String, _ shape: SharedShape, _ initial: Expr?, _ loc: SourceLocation) {
        guard checkFresh(name, loc) else { return }
        guard let t = resolveType(type) else { return }
        guard t.isScalar else {
            error(type.location, "shared variables hold int, bool or enum values; folios and buffers are declared with 'folio' and 'buffer'")
            return
        }
        var count = 1
        var perFolio = false
        var isArray = false
        switch shape {
        case .scalar: break
        case .array(let n):
            guard let c = constantValue(n) else { return }
            if c < 1 || c > 4096 { error(n.location, "shared array size must be between 1 and 4096"); return }
            count = Int(c)
            isArray = true
        case .perFolio:
            perFolio = true
            isArray = true
            count = -1  // fixed once every folio is declared
        }
        var value: Int64 = 0
        if let initial, let v = constantValue(initial) { value = v }
        sharedNames[name] = shared.count
        shared.append(SharedVarInfo(name: name, type: t, count: count, isArray: isArray, perFolio: perFolio, firstField: -1, initial: value, location: loc))
    }

    func resolveType(_ t: TypeName) -> ValueType? {
        switch t.name {
        case "int", "long", "unsigned": return .int
        case "bool": return .bool
        case "folio", "page": return .folio
        case "buffer", "buffer_head": return .buffer
        case "list": return .list(.folio)
        case "buffer_list": return .list(.buffer)
        case "set": return .set
        case "void": return .void
        default:
            if let e = enumTypes[t.name] { return .enumeration(e) }
            unknown("type", t.name, t.location, candidates: ["int", "bool", "folio", "buffer", "list", "set"] + enumTypes.keys)
            return nil
        }
    }

    private func declareFunction(_ f: FunctionDecl) {
        if Builtins.names.contains(f.name) {
            error(f.location, "'\(f.name)' is a built-in kernel primitive and cannot be redefined")
            return
        }
        let previous = functions[f.name]
        switch f.linkage {
        case .normal:
            if let previous {
                if functionLinkage[f.name] == .weak {
                    functions[f.name] = f
                    functionLinkage[f.name] = .normal
                } else {
                    error(f.location, "redefinition of '\(f.name)'; to replace it in a policy, write 'override' before the new definition",
                          notes: [.note(previous.location, "previous definition is here")])
                }
            } else {
                functions[f.name] = f
                functionLinkage[f.name] = .normal
            }
        case .weak:
            if previous == nil {
                functions[f.name] = f
                functionLinkage[f.name] = .weak
            } else if functionLinkage[f.name] == .weak {
                error(f.location, "second __weak definition of '\(f.name)'", notes: [.note(previous!.location, "first one is here")])
            }
        case .override:
            guard previous != nil else {
                var message = "'override' of '\(f.name)', which is not defined earlier"
                if let s = Suggest.closest(to: f.name, among: functions.keys) { message += "; did you mean '\(s)'?" }
                error(f.location, message)
                return
            }
            functions[f.name] = f
            functionLinkage[f.name] = .normal
        }
    }

    /// folio_buffers() lists, and singletons [f] for every folio and buffer.
    private func internObjectLists() {
        singletons.folioBase = lists.count
        for f in 0..<folios.count { _ = lists.intern([f + 1], kind: .folio) }
        singletons.bufferBase = lists.count
        for b in 0..<buffers.count { _ = lists.intern([b + 1], kind: .buffer) }
        for f in 0..<folios.count {
            folios[f].bufferList = lists.intern(folios[f].buffers, kind: .buffer)
        }
    }

    // MARK: - Fields of the shared part of the state

    /// Gives every shared variable element a field. Positions are assigned later (`layout`),
    /// once every width is known.
    private func layoutGlobals() {
        for i in shared.indices {
            if shared[i].perFolio { shared[i].count = max(1, folios.count) }
            shared[i].firstField = fieldInfo.count
            for k in 0..<shared[i].count {
                let name = shared[i].isArray ? "\(shared[i].name)[\(shared[i].perFolio && k < folios.count ? folios[k].name : String(k))]" : shared[i].name
                addField(FieldInfo(name: name, type: shared[i].type, thread: -1, location: shared[i].location))
            }
        }
    }

    func widthOf(_ t: ValueType) -> Int {
        switch t {
        case .int: return IntRange.bits
        case .bool: return 1
        case .folio: return bitsFor(folios.count)
        case .buffer: return bitsFor(buffers.count)
        case .list: return bitsFor(lists.count + folios.count + buffers.count)
        case .set: return max(1, folios.count)
        case .enumeration(let e): return bitsFor(Int(enums[e].maxValue))
        case .void: return 1
        }
    }

    @discardableResult
    func addField(_ info: FieldInfo) -> FieldID {
        fieldInfo.append(info)
        return fieldInfo.count - 1
    }
}

/// What a field holds, for reports and the export.
public struct FieldInfo: Sendable {
    public var name: String
    public var type: ValueType
    /// Owning thread, -1 for shared variables.
    public var thread: Int
    public var location: SourceLocation
}
