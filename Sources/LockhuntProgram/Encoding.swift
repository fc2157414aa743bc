import LockhuntBasics
import LockhuntLanguage

/// The program in the form the explorer runs: flat arrays of trivial values, read through raw
/// pointers so that the inner loop does no allocation and no reference counting.

/// Expression bytecode: a stack machine over Int64. Operands follow the opcode in the stream.
package enum XOp: Int32 {
    case const32 = 0      // value
    case const64          // high, low
    case field            // field id (locals and shared scalars alike)
    case sharedIndexed    // firstField, count, perFolio      (pops index)
    case folioFlag        // bit base, flag                    (pops folio)
    case bufferFlag       // bit base, flag                    (pops buffer)
    case setMember        // set field                         (pops folio)
    case setEmpty         // set field
    case listLength       //                                   (pops list)
    case listElement      //                                   (pops index, list)
    case arrayElement     // base, count                       (pops index)
    case folioBuffers     //                                   (pops folio)
    case folioMapping     //                                   (pops folio)
    case bufferFolio      //                                   (pops buffer)
    case singleton        // base, count                       (pops object)
    case not, negate, complement
    case add, subtract, multiply, divide, remainder, bitAnd, bitOr, bitXor, shiftLeft, shiftRight
    case equal, notEqual, less, lessEqual, greater, greaterEqual
    case toBool
    case jumpIfZero       // target (pops)
    case jumpIfZeroKeep   // target (keeps the value)
    case jumpIfNonZeroKeep
    case jump             // target
    case pop
    case end
}

/// Instruction opcodes; one per `IROp` case, split where the encoded form differs.
package enum IOp: UInt8 {
    case assign = 0, setAdd, setRemove, setClear, branch, jump, assertLocal, assertShared
    case folioLock, folioTrylock, folioUnlock, lockBuffer, trylockBuffer, unlockBuffer
    case setFolioFlag, setBufferFlag, testClearFolioFlag, waitFolioFlagClear, waitEvent
    case load, store, choose, countEvent, finish
}

package struct EncodedInstruction {
    package var op: IOp
    /// Folio/buffer flag index, or the value a set-flag instruction writes.
    package var flag: UInt8 = 0
    package var value: UInt8 = 0
    package var visible: Bool = false
    /// Whether a thread rests here when local code is not folded (`IROp.rests(folding: false)`).
    package var restsUnfolded: Bool = false
    /// Destination / set / shared first field; -1 for none.
    package var field: Int32 = -1
    /// Main expression, -1 for none.
    package var expr: Int32 = -1
    /// Index expression of a store, -1 for a scalar.
    package var expr2: Int32 = -1
    /// Branch else-target, jump target, or start of the choice targets.
    package var target: Int32 = 0
    /// Choice count, or shared array length.
    package var count: Int32 = 0
    /// Bit base of the flag bitmap this instruction touches.
    package var flagBase: Int32 = 0
}

/// Owns the flat tables; freed with the program.
package final class EncodedProgram: @unchecked Sendable {
    package let instructions: UnsafeMutableBufferPointer<EncodedInstruction>
    package let code: UnsafeMutableBufferPointer<Int32>
    package let fields: UnsafeMutableBufferPointer<Field>
    package let chooseTargets: UnsafeMutableBufferPointer<Int32>
    package let listStart: UnsafeMutableBufferPointer<Int32>
    package let listLength: UnsafeMutableBufferPointer<Int32>
    package let listItems: UnsafeMutableBufferPointer<Int32>
    package let folioMapping: UnsafeMutableBufferPointer<Int64>
    package let folioBufferList: UnsafeMutableBufferPointer<Int32>
    package let bufferFolio: UnsafeMutableBufferPointer<Int32>
    package let threadCodeStart: UnsafeMutableBufferPointer<Int32>
    package let threadPCField: UnsafeMutableBufferPointer<Int32>
    package let liveMaskStart: UnsafeMutableBufferPointer<Int32>
    package let liveMaskWords: UnsafeMutableBufferPointer<UInt64>
    package let threadFirstWord: UnsafeMutableBufferPointer<Int32>
    package let threadWordCount: UnsafeMutableBufferPointer<Int32>
    package let mayWrite: UnsafeMutableBufferPointer<UInt64>
    package let reads: UnsafeMutableBufferPointer<UInt64>
    package let writes: UnsafeMutableBufferPointer<UInt64>
    package let mayRead: UnsafeMutableBufferPointer<UInt64>
    /// Empty unless the program tracks folio owners.
    package let ownerFields: UnsafeMutableBufferPointer<Int32>
    /// Per field: its resource (shared variable element), or -1 for locals.
    package let fieldResource: UnsafeMutableBufferPointer<Int32>
    package let resourceWords: Int
    package let maxStack: Int
    package let maxChoices: Int

    static func copy<T>(_ a: [T]) -> UnsafeMutableBufferPointer<T> {
        let p = UnsafeMutableBufferPointer<T>.allocate(capacity: max(1, a.count))
        _ = p.initialize(from: a)
        return p
    }

    init(instructions: [EncodedInstruction], code: [Int32], fields: [Field], chooseTargets: [Int32],
         lists: ListTable, folios: [FolioInfo], buffers: [BufferInfo], threads: [ThreadInfo], ownerFields: [FieldID], fieldResources: [Int32], analysis: Analysis,
         maxStack: Int, maxChoices: Int) {
        self.instructions = EncodedProgram.copy(instructions)
        self.code = EncodedProgram.copy(code)
        self.fields = EncodedProgram.copy(fields)
        self.chooseTargets = EncodedProgram.copy(chooseTargets)
        var starts: [Int32] = [], lengths: [Int32] = [], items: [Int32] = []
        for l in lists.lists {
            starts.append(Int32(items.count))
            lengths.append(Int32(l.count))
            items.append(contentsOf: l.map { Int32($0) })
        }
        listStart = EncodedProgram.copy(starts)
        listLength = EncodedProgram.copy(lengths)
        listItems = EncodedProgram.copy(items)
        folioMapping = EncodedProgram.copy(folios.map(\.mapping))
        folioBufferList = EncodedProgram.copy(folios.map { Int32($0.bufferList) })
        bufferFolio = EncodedProgram.copy(buffers.map { Int32($0.folio) })
        threadCodeStart = EncodedProgram.copy(threads.map { Int32($0.codeStart) })
        threadPCField = EncodedProgram.copy(threads.map { Int32($0.pcField) })
        liveMaskStart = EncodedProgram.copy(analysis.liveMaskStart.map { Int32($0) })
        liveMaskWords = EncodedProgram.copy(analysis.liveMaskWords)
        threadFirstWord = EncodedProgram.copy(analysis.localWordRange.map { Int32($0.first) })
        threadWordCount = EncodedProgram.copy(analysis.localWordRange.map { Int32($0.count) })
        mayWrite = EncodedProgram.copy(analysis.mayWrite.bits)
        reads = EncodedProgram.copy(analysis.reads.bits)
        writes = EncodedProgram.copy(analysis.writes.bits)
        mayRead = EncodedProgram.copy(analysis.mayRead.bits)
        self.ownerFields = EncodedProgram.copy(ownerFields.map { Int32($0) })
        fieldResource = EncodedProgram.copy(fieldResources)
        resourceWords = analysis.resources.words
        self.maxStack = maxStack
        self.maxChoices = maxChoices
    }

    deinit {
        instructions.deallocate(); code.deallocate(); fields.deallocate(); chooseTargets.deallocate()
        listStart.deallocate(); listLength.deallocate(); listItems.deallocate()
        folioMapping.deallocate(); folioBufferList.deallocate(); bufferFolio.deallocate()
        threadCodeStart.deallocate(); threadPCField.deallocate()
        liveMaskStart.deallocate(); liveMaskWords.deallocate(); threadFirstWord.deallocate(); threadWordCount.deallocate()
        mayWrite.deallocate(); reads.deallocate(); writes.deallocate(); mayRead.deallocate(); ownerFields.deallocate(); fieldResource.deallocate()
    }
}

/// Encodes IR into `EncodedProgram` tables.
struct Encoder {
    package var code: [Int32] = []
    package var maxStack = 1
    let shared: [SharedVarInfo]
    let folioFlagBase: [Int]
    let bufferFlagBase: [Int]
    let singletons: SingletonLists
    let folioCount: Int
    let bufferCount: Int

    /// Appends the bytecode of `e` followed by `end`; returns its start.
    mutating func encode(_ e: CExpr) -> Int32 {
        let start = Int32(code.count)
        let depth = emit(e)
        maxStack = max(maxStack, depth)
        code.append(XOp.end.rawValue)
        return start
    }

    private mutating func op(_ o: XOp, _ args: Int32...) {
        code.append(o.rawValue)
        code.append(contentsOf: args)
    }

    /// Emits code leaving one value on the stack; returns the stack depth it needs.
    private mutating func emit(_ e: CExpr) -> Int {
        switch e {
        case .constant(let v, _):
            if v >= Int64(Int32.min) && v <= Int64(Int32.max) { op(.const32, Int32(v)) }
            else { op(.const64, Int32(truncatingIfNeeded: v >> 32), Int32(truncatingIfNeeded: v)) }
            return 1
        case .local(let f, _):
            op(.field, Int32(f)); return 1
        case .shared(let v, nil, _):
            op(.field, Int32(shared[v].firstField)); return 1
        case .shared(let v, let i?, _):
            let d = emit(i)
            op(.sharedIndexed, Int32(shared[v].firstField), Int32(shared[v].count), shared[v].perFolio ? 1 : 0)
            return d
        case .folioFlag(let k, let x):
            let d = emit(x); op(.folioFlag, Int32(folioFlagBase[k.rawValue]), Int32(k.rawValue)); return d
        case .bufferFlag(let k, let x):
            let d = emit(x); op(.bufferFlag, Int32(bufferFlagBase[k.rawValue]), Int32(k.rawValue)); return d
        case .setMember(let f, let x):
            let d = emit(x); op(.setMember, Int32(f)); return d
        case .setEmpty(let f):
            op(.setEmpty, Int32(f)); return 1
        case .listLength(let x):
            let d = emit(x); op(.listLength); return d
        case .listElement(let l, let i, _):
            let a = emit(l), b = emit(i); op(.listElement); return max(a, b + 1)
        case .arrayElement(let base, let count, let i, _):
            let d = emit(i); op(.arrayElement, Int32(base), Int32(count)); return d
        case .folioBuffers(let x):
            let d = emit(x); op(.folioBuffers); return d
        case .folioMapping(let x):
            let d = emit(x); op(.folioMapping); return d
        case .bufferFolio(let x):
            let d = emit(x); op(.bufferFolio); return d
        case .singletonList(let x, let kind):
            let d = emit(x)
            op(.singleton, Int32(kind == .folio ? singletons.folioBase : singletons.bufferBase),
               Int32(kind == .folio ? folioCount : bufferCount))
            return d
        case .unary(let u, let x):
            let d = emit(x)
            switch u {
            case .not: op(.not)
            case .negate: op(.negate)
            case .complement: op(.complement)
            }
            return d
        case .binary(.and, let a, let b), .binary(.or, let a, let b):
            let isAnd: Bool
            if case .binary(.and, _, _) = e { isAnd = true } else { isAnd = false }
            let da = emit(a)
            op(.toBool)
            let patch = code.count + 1
            op(isAnd ? .jumpIfZeroKeep : .jumpIfNonZeroKeep, 0)
            op(.pop)
            let db = emit(b)
            op(.toBool)
            code[patch] = Int32(code.count)
            return max(da, db)
        case .binary(let o, let a, let b):
            let da = emit(a), db = emit(b)
            let x: XOp
            switch o {
            case .add: x = .add
            case .subtract: x = .subtract
            case .multiply: x = .multiply
            case .divide: x = .divide
            case .remainder: x = .remainder
            case .bitAnd: x = .bitAnd
            case .bitOr: x = .bitOr
            case .bitXor: x = .bitXor
            case .shiftLeft: x = .shiftLeft
            case .shiftRight: x = .shiftRight
            case .equal: x = .equal
            case .notEqual: x = .notEqual
            case .less: x = .less
            case .lessEqual: x = .lessEqual
            case .greater: x = .greater
            case .greaterEqual: x = .greaterEqual
            case .and, .or, .member: preconditionFailure("handled above")
            }
            op(x)
            return max(da, db + 1)
        case .ternary(let c, let a, let b):
            let dc = emit(c)
            let toElse = code.count + 1
            op(.jumpIfZero, 0)
            let da = emit(a)
            let toEnd = code.count + 1
            op(.jump, 0)
            code[toElse] = Int32(code.count)
            let db = emit(b)
            code[toEnd] = Int32(code.count)
            return max(dc, da, db)
        }
    }
}
