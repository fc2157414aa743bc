import LockhuntBasics
import LockhuntLanguage

/// The compiled form of a model before encoding: per-thread instruction lists over typed
/// expressions. Calls are already inlined, so every thread is one flat list and a program
/// counter is a single number. Kept beside the encoded program for the analyses, reports and
/// the Promela export.

/// Index into `Program.fields`: one local variable instance (or temporary) of one thread.
public typealias FieldID = Int

/// A pure expression: it reads locals, constants and (only where `readsShared`) shared state.
public indirect enum CExpr: Sendable {
    case constant(Int64, ValueType)
    case local(FieldID, ValueType)
    /// A shared variable, element `index` of an array (nil for scalars).
    case shared(Int, CExpr?, ValueType)
    case folioFlag(FolioFlag, CExpr)
    case bufferFlag(BufferFlag, CExpr)
    /// `f in s` for the set held in a local field.
    case setMember(FieldID, CExpr)
    case setEmpty(FieldID)
    case listLength(CExpr)
    case listElement(CExpr, CExpr, ValueType.ElementKind)
    /// Element `index` of folio array or buffer array starting at object id `base` with `count` items.
    case arrayElement(base: Int, count: Int, index: CExpr, ValueType.ElementKind)
    /// The list id of `folio_buffers(f)`.
    case folioBuffers(CExpr)
    case folioMapping(CExpr)
    case bufferFolio(CExpr)
    /// A list holding just one folio (or buffer): `[f]`.
    case singletonList(CExpr, ValueType.ElementKind)
    case unary(UnaryOp, CExpr)
    case binary(BinaryOp, CExpr, CExpr)
    case ternary(CExpr, CExpr, CExpr)

    public var type: ValueType {
        switch self {
        case .constant(_, let t), .local(_, let t), .shared(_, _, let t): return t
        case .folioFlag, .bufferFlag, .setMember, .setEmpty: return .bool
        case .listLength, .folioMapping: return .int
        case .listElement(_, _, let k), .arrayElement(_, _, _, let k): return k.type
        case .folioBuffers: return .list(.buffer)
        case .bufferFolio: return .folio
        case .singletonList(_, let k): return .list(k)
        case .unary(let op, let e): return op == .not ? .bool : e.type == .bool ? .int : e.type
        case .binary(let op, let a, _):
            switch op {
            case .or, .and, .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual, .member: return .bool
            default: return a.type == .bool ? .int : (a.type.isScalar ? .int : a.type)
            }
        case .ternary(_, let a, _): return a.type
        }
    }

    /// Whether evaluating it touches state other threads can change.
    public var readsShared: Bool {
        switch self {
        case .constant, .local, .setEmpty: return false
        case .shared, .folioFlag, .bufferFlag: return true
        case .setMember(_, let e), .listLength(let e), .folioBuffers(let e), .folioMapping(let e),
             .bufferFolio(let e), .unary(_, let e), .singletonList(let e, _):
            return e.readsShared
        case .listElement(let a, let b, _), .binary(_, let a, let b): return a.readsShared || b.readsShared
        case .arrayElement(_, _, let i, _): return i.readsShared
        case .ternary(let a, let b, let c): return a.readsShared || b.readsShared || c.readsShared
        }
    }

    public var constantValue: Int64? {
        if case .constant(let v, _) = self { return v }
        return nil
    }

    /// Every local field read.
    public func forEachLocal(_ body: (FieldID) -> Void) {
        switch self {
        case .constant, .shared(_, nil, _): return
        case .local(let f, _): body(f)
        case .setEmpty(let f): body(f)
        case .setMember(let f, let e): body(f); e.forEachLocal(body)
        case .shared(_, let i?, _): i.forEachLocal(body)
        case .folioFlag(_, let e), .bufferFlag(_, let e), .listLength(let e), .folioBuffers(let e),
             .folioMapping(let e), .bufferFolio(let e), .unary(_, let e), .singletonList(let e, _):
            e.forEachLocal(body)
        case .listElement(let a, let b, _), .binary(_, let a, let b):
            a.forEachLocal(body); b.forEachLocal(body)
        case .arrayElement(_, _, let i, _): i.forEachLocal(body)
        case .ternary(let a, let b, let c):
            a.forEachLocal(body); b.forEachLocal(body); c.forEachLocal(body)
        }
    }
}

/// One instruction of a thread. Exactly the `visible` ones are steps of the search; the others
/// are folded into the step that precedes them.
public enum IROp: Sendable {
    case assign(FieldID, CExpr)
    case setAdd(FieldID, CExpr)
    case setRemove(FieldID, CExpr)
    case setClear(FieldID)
    /// Go to `elseTarget` when the condition is false.
    case branch(CExpr, elseTarget: Int)
    case jump(Int)
    case assert(CExpr, String)
    case folioLock(CExpr)
    case folioTrylock(CExpr, FieldID?)
    case folioUnlock(CExpr)
    case lockBuffer(CExpr)
    case trylockBuffer(CExpr, FieldID?)
    case unlockBuffer(CExpr)
    case setFolioFlag(FolioFlag, CExpr, Bool)
    case setBufferFlag(BufferFlag, CExpr, Bool)
    /// Clear the flag and return whether it was set (folio_clear_dirty_for_io, folio_isolate_lru).
    case testClearFolioFlag(FolioFlag, CExpr, FieldID?)
    /// Block until the flag is clear (folio_wait_writeback).
    case waitFolioFlagClear(FolioFlag, CExpr)
    case waitEvent(CExpr)
    /// Read shared state into a local.
    case load(FieldID, CExpr)
    case store(Int, CExpr?, CExpr)
    /// Nondeterministic choice: continue at one of the targets.
    case choose([Int])
    /// `count_vm_event(ITEM)`: no effect on the state; the cost exploration counts it.
    case countEvent(Int)
    /// The thread has finished.
    case finish

    public var isVisible: Bool {
        switch self {
        case .assign, .setAdd, .setRemove, .setClear, .branch, .jump, .countEvent: return false
        case .assert(let e, _): return e.readsShared
        default: return true
        }
    }

    /// Whether a thread can rest at this instruction between steps. With folding (the default
    /// reduction, `--reduce fold`) only visible instructions and the end are resting points:
    /// a step runs one visible instruction and then the local code after it. Without folding
    /// every instruction that computes something is a step of its own; jumps and
    /// `count_vm_event()` change nothing but the pc, and are passed through as folding would.
    public func rests(folding: Bool) -> Bool {
        switch self {
        case .finish: return true
        case .jump, .countEvent: return false
        default: return folding ? isVisible : true
        }
    }

    /// Can this instruction block the thread?
    public var isBlocking: Bool {
        switch self {
        case .folioLock, .lockBuffer, .waitFolioFlagClear, .waitEvent: return true
        default: return false
        }
    }
}

/// Where an instruction came from: its source location, the kernel-facing call it stands for
/// (`folio_lock`, `lock_buffer`, ...) and the inlined call chain that led there.
public struct Site: Sendable {
    public var location: SourceLocation
    /// The builtin or operation as the model wrote it, for traces ("folio_lock", "wait_event").
    public var callee: String
    /// Index into `Program.contexts`, -1 for the thread body itself.
    public var context: Int
}

/// One level of inlining: function `function` was called from `callSite` in context `parent`.
public struct InlineContext: Sendable {
    public var function: String
    public var callSite: SourceLocation
    public var parent: Int
}

public struct IRInstruction: Sendable {
    public var op: IROp
    public var site: Int
}

extension CExpr {
    /// Calls `body` on each direct subexpression.
    package func forEachSubexpression(_ body: (CExpr) -> Void) {
        switch self {
        case .constant, .local, .setEmpty, .shared(_, nil, _): return
        case .shared(_, let i?, _): body(i)
        case .setMember(_, let e), .folioFlag(_, let e), .bufferFlag(_, let e), .listLength(let e), .folioBuffers(let e),
             .folioMapping(let e), .bufferFolio(let e), .unary(_, let e), .singletonList(let e, _), .arrayElement(_, _, let e, _):
            body(e)
        case .listElement(let a, let b, _), .binary(_, let a, let b): body(a); body(b)
        case .ternary(let a, let b, let c): body(a); body(b); body(c)
        }
    }
}

extension IROp {
    /// The local the instruction writes, if any (a set it adds to or removes from counts). No
    /// default case: a new instruction must say whether it writes a local, since the analyses
    /// that bound or follow locals (liveness in the export, held locks, narrowed ints) rely on it.
    package var definedLocal: FieldID? {
        switch self {
        case .assign(let f, _), .load(let f, _), .setAdd(let f, _), .setRemove(let f, _), .setClear(let f): return f
        case .folioTrylock(_, let d), .trylockBuffer(_, let d), .testClearFolioFlag(_, _, let d): return d
        case .branch, .jump, .assert, .folioLock, .folioUnlock, .lockBuffer, .unlockBuffer, .setFolioFlag, .setBufferFlag,
             .waitFolioFlagClear, .waitEvent, .store, .choose, .countEvent, .finish:
            return nil
        }
    }

    /// Calls `body` on each expression the instruction holds.
    package func forEachExpression(_ body: (CExpr) -> Void) {
        switch self {
        case .assign(_, let e), .setAdd(_, let e), .setRemove(_, let e), .branch(let e, _), .assert(let e, _),
             .folioLock(let e), .folioTrylock(let e, _), .folioUnlock(let e), .lockBuffer(let e), .trylockBuffer(let e, _),
             .unlockBuffer(let e), .setFolioFlag(_, let e, _), .setBufferFlag(_, let e, _), .testClearFolioFlag(_, let e, _),
             .waitFolioFlagClear(_, let e), .waitEvent(let e), .load(_, let e):
            body(e)
        case .store(_, let i, let x):
            if let i { body(i) }
            body(x)
        case .setClear, .jump, .choose, .countEvent, .finish:
            return
        }
    }
}
