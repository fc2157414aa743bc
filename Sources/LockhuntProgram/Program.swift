import LockhuntBasics
import LockhuntLanguage

/// A compiled model: what the explorer runs, plus everything reports need to explain a step.
public final class Program: @unchecked Sendable {
    public let sources: SourceManager
    public let modelPath: String
    public let scenario: String
    public let policy: PolicyRef?
    public let params: [(name: String, value: Int64)]
    /// The model's parameters with their effective values (defaults or overrides), sorted.
    public let effectiveParams: [(name: String, value: Int64)]
    public let digest: String

    public let folios: [FolioInfo]
    public let buffers: [BufferInfo]
    public let shared: [SharedVarInfo]
    public let lists: ListTable
    /// List ids of the one-element lists: `[f]` is `folio + f - 1`, `[b]` is `buffer + b - 1`.
    public let singletonBases: (folio: Int, buffer: Int)
    public let enums: [EnumInfo]
    public let threads: [ThreadInfo]
    public let ir: [IRInstruction]
    public let sites: [Site]
    public let contexts: [InlineContext]
    public let fields: [Field]
    public let fieldInfo: [FieldInfo]
    public let wordsPerState: Int
    /// The words a state can differ in: those after them hold flags no instruction changes
    /// (Layout.swift), equal to `rawInitialState`'s in every state, and are not stored.
    public let storedWordsPerState: Int
    public let folioFlagBase: [Int]
    public let bufferFlagBase: [Int]
    public let expectations: [ExpectedVerdict]
    public let analysis: Analysis
    /// With owner tracking: the field holding (thread + 1) of the task that locked each folio.
    public let ownerFields: [FieldID]
    package let encoded: EncodedProgram
    /// Flags and shared variables at their initial values, every pc 0, nothing folded yet.
    public let rawInitialState: [UInt64]
    /// Interchangeable threads; set at the end of init, read-only afterwards.
    public private(set) var symmetry = SymmetryGroups.none

    init(compiler c: Compiler, fields: [Field], words: Int, storedWords: Int, folioFlagBase: [Int], bufferFlagBase: [Int]) {
        sources = c.model.sources
        modelPath = c.model.modelPath
        scenario = c.model.scenario
        policy = c.model.policy
        params = c.model.paramOverrides
        effectiveParams = c.declaredParams.keys.sorted().map { ($0, c.constants[$0]?.value ?? 0) }
        digest = c.model.digest
        folios = c.folios
        buffers = c.buffers
        shared = c.shared
        lists = c.lists
        singletonBases = (c.singletons.folioBase, c.singletons.bufferBase)
        enums = c.enums
        threads = c.threads
        ir = c.ir
        sites = c.sites
        contexts = c.contexts
        self.fields = fields
        fieldInfo = c.fieldInfo
        wordsPerState = words
        storedWordsPerState = storedWords
        self.folioFlagBase = folioFlagBase
        self.bufferFlagBase = bufferFlagBase
        expectations = c.expectations
        ownerFields = c.ownerFields
        analysis = Analysis(compiler: c, fields: fields, threads: c.threads, words: words)

        var enc = Encoder(shared: c.shared, folioFlagBase: folioFlagBase, bufferFlagBase: bufferFlagBase,
                          singletons: c.singletons, folioCount: c.folios.count, bufferCount: c.buffers.count)
        var instructions: [EncodedInstruction] = []
        var targets: [Int32] = []
        var maxChoices = 1
        for ins in c.ir {
            var e = EncodedInstruction(op: .finish)
            e.visible = ins.op.isVisible
            e.restsUnfolded = ins.op.rests(folding: false)
            switch ins.op {
            case .assign(let f, let x): e.op = .assign; e.field = Int32(f); e.expr = enc.encode(x)
            case .setAdd(let f, let x): e.op = .setAdd; e.field = Int32(f); e.expr = enc.encode(x)
            case .setRemove(let f, let x): e.op = .setRemove; e.field = Int32(f); e.expr = enc.encode(x)
            case .setClear(let f): e.op = .setClear; e.field = Int32(f)
            case .branch(let x, let t): e.op = .branch; e.expr = enc.encode(x); e.target = Int32(t)
            case .jump(let t): e.op = .jump; e.target = Int32(t)
            case .assert(let x, _): e.op = e.visible ? .assertShared : .assertLocal; e.expr = enc.encode(x)
            case .folioLock(let x): e.op = .folioLock; e.expr = enc.encode(x); e.flagBase = Int32(folioFlagBase[FolioFlag.locked.rawValue])
            case .folioTrylock(let x, let d):
                e.op = .folioTrylock; e.expr = enc.encode(x); e.field = Int32(d ?? -1)
                e.flagBase = Int32(folioFlagBase[FolioFlag.locked.rawValue])
            case .folioUnlock(let x): e.op = .folioUnlock; e.expr = enc.encode(x); e.flagBase = Int32(folioFlagBase[FolioFlag.locked.rawValue])
            case .lockBuffer(let x): e.op = .lockBuffer; e.expr = enc.encode(x); e.flagBase = Int32(bufferFlagBase[BufferFlag.locked.rawValue])
            case .trylockBuffer(let x, let d):
                e.op = .trylockBuffer; e.expr = enc.encode(x); e.field = Int32(d ?? -1)
                e.flagBase = Int32(bufferFlagBase[BufferFlag.locked.rawValue])
            case .unlockBuffer(let x): e.op = .unlockBuffer; e.expr = enc.encode(x); e.flagBase = Int32(bufferFlagBase[BufferFlag.locked.rawValue])
            case .setFolioFlag(let k, let x, let v):
                e.op = .setFolioFlag; e.flag = UInt8(k.rawValue); e.value = v ? 1 : 0; e.expr = enc.encode(x)
                e.flagBase = Int32(folioFlagBase[k.rawValue])
            case .setBufferFlag(let k, let x, let v):
                e.op = .setBufferFlag; e.flag = UInt8(k.rawValue); e.value = v ? 1 : 0; e.expr = enc.encode(x)
                e.flagBase = Int32(bufferFlagBase[k.rawValue])
            case .testClearFolioFlag(let k, let x, let d):
                e.op = .testClearFolioFlag; e.flag = UInt8(k.rawValue); e.expr = enc.encode(x); e.field = Int32(d ?? -1)
                e.flagBase = Int32(folioFlagBase[k.rawValue])
            case .waitFolioFlagClear(let k, let x):
                e.op = .waitFolioFlagClear; e.flag = UInt8(k.rawValue); e.expr = enc.encode(x)
                e.flagBase = Int32(folioFlagBase[k.rawValue])
            case .waitEvent(let x): e.op = .waitEvent; e.expr = enc.encode(x)
            case .load(let f, let x):
                e.op = .load; e.field = Int32(f); e.expr = enc.encode(x)
                // A flag test records the folio or buffer it tested, for traces.
                switch x {
                case .folioFlag(let k, let o):
                    e.expr2 = enc.encode(o); e.flag = UInt8(k.rawValue); e.value = 1
                case .bufferFlag(let k, let o):
                    e.expr2 = enc.encode(o); e.flag = UInt8(k.rawValue); e.value = 2
                case .shared(let v, let index?, _):
                    // An array element: record which one, for traces.
                    e.expr2 = enc.encode(index); e.value = 3; e.count = Int32(v)
                default: break
                }
            case .store(let v, let i, let x):
                e.op = .store; e.field = Int32(c.shared[v].firstField); e.count = Int32(c.shared[v].count)
                e.flag = c.shared[v].perFolio ? 1 : 0
                e.expr = enc.encode(x); e.expr2 = i.map { enc.encode($0) } ?? -1
            case .choose(let ts):
                e.op = .choose; e.target = Int32(targets.count); e.count = Int32(ts.count)
                targets.append(contentsOf: ts.map { Int32($0) })
                maxChoices = max(maxChoices, ts.count)
            case .countEvent(let item): e.op = .countEvent; e.field = Int32(item)
            case .finish: e.op = .finish
            }
            instructions.append(e)
        }
        var fieldResources = [Int32](repeating: -1, count: fields.count)
        for (v, info) in c.shared.enumerated() {
            for k in 0..<info.count { fieldResources[info.firstField + k] = Int32(analysis.resources.shared(v, k)) }
        }
        encoded = EncodedProgram(instructions: instructions, code: enc.code, fields: fields, chooseTargets: targets,
                                 lists: c.lists, folios: c.folios, buffers: c.buffers, threads: c.threads, ownerFields: c.ownerFields, fieldResources: fieldResources,
                                 analysis: analysis, maxStack: enc.maxStack + 2, maxChoices: maxChoices)

        var state = [UInt64](repeating: 0, count: words)
        func setBit(_ bit: Int) { state[bit / 64] |= UInt64(1) << UInt64(bit % 64) }
        for (i, f) in c.folios.enumerated() {
            for flag in f.initialFlags { setBit(folioFlagBase[flag.rawValue] + i) }
        }
        for (i, b) in c.buffers.enumerated() {
            for flag in b.initialFlags { setBit(bufferFlagBase[flag.rawValue] + i) }
        }
        for v in c.shared where v.initial != 0 {
            for k in 0..<v.count {
                let f = fields[v.firstField + k]
                state[Int(f.word)] |= (UInt64(bitPattern: v.initial) & f.mask) << UInt64(f.shift)
            }
        }
        rawInitialState = state
        symmetry = SymmetryGroups(program: self)
    }

    /// `path:line` of a site, for reports.
    public func describe(site: Int) -> String { sources.describeLine(sites[site].location) }

    /// The inlined call chain of a site, innermost first: ["buffer_migrate_lock_buffers", ..., "migrate_pages"].
    public func callChain(site: Int) -> [(function: String, callSite: SourceLocation)] {
        var out: [(String, SourceLocation)] = []
        var ctx = sites[site].context
        while ctx >= 0 {
            out.append((contexts[ctx].function, contexts[ctx].callSite))
            ctx = contexts[ctx].parent
        }
        return out
    }

    /// The innermost function a site belongs to, or the thread name.
    public func function(site: Int, thread: Int) -> String {
        let ctx = sites[site].context
        return ctx >= 0 ? contexts[ctx].function : threads[thread].name
    }

    public var policyName: String? { policy?.name }
}

extension Program {
    /// Compiles a loaded model; nil after reporting errors.
    public static func compile(_ model: LoadedModel, diagnostics: DiagnosticEngine, options: CompileOptions = CompileOptions()) -> Program? {
        Compiler(model: model, diagnostics: diagnostics, options: options).compile()
    }
}
