import LockhuntBasics
import LockhuntProgram

/// Executes steps of a compiled program on packed states. One machine per worker thread; it
/// holds raw pointers into the program's tables (valid while the `Program` is alive) and a
/// scratch stack, so that computing a successor allocates nothing.
package struct Machine {
    let ins: UnsafeMutablePointer<EncodedInstruction>
    private let code: UnsafeMutablePointer<Int32>
    private let fields: UnsafeMutablePointer<Field>
    private let chooseTargets: UnsafeMutablePointer<Int32>
    private let listStart: UnsafeMutablePointer<Int32>
    private let listLength: UnsafeMutablePointer<Int32>
    private let listItems: UnsafeMutablePointer<Int32>
    private let folioMapping: UnsafeMutablePointer<Int64>
    private let folioBufferList: UnsafeMutablePointer<Int32>
    private let bufferFolio: UnsafeMutablePointer<Int32>
    private let threadCodeStart: UnsafeMutablePointer<Int32>
    private let threadPCField: UnsafeMutablePointer<Int32>
    private let liveMaskStart: UnsafeMutablePointer<Int32>
    private let liveMaskWords: UnsafeMutablePointer<UInt64>
    private let threadFirstWord: UnsafeMutablePointer<Int32>
    private let threadWordCount: UnsafeMutablePointer<Int32>
    let mayWrite: UnsafeMutablePointer<UInt64>
    package let reads: UnsafeMutablePointer<UInt64>
    package let writes: UnsafeMutablePointer<UInt64>
    let mayRead: UnsafeMutablePointer<UInt64>
    /// Folio owner fields, or nil when the program does not track owners.
    private let ownerFields: UnsafeMutablePointer<Int32>?
    private let fieldResource: UnsafeMutablePointer<Int32>
    package let resourceWords: Int
    let words: Int
    package let threadCount: Int
    package let maxChoices: Int
    let folioCount: Int64
    let bufferCount: Int64
    private let listCount: Int64
    private let stack: UnsafeMutablePointer<Int64>
    /// Per branch of the last choice: whether its local code faulted (its successor slot then
    /// holds no state).
    private let branchFaulted: UnsafeMutablePointer<Bool>

    /// The fault of the last step that returned -1, or of the first faulting branch of a
    /// choice (`faultedBranches > 0`).
    package var fault = Fault()
    /// Branches of the last step (a choice) whose local code faulted, and the first of them.
    /// The other branches' successors are valid: one branch failing an assertion does not
    /// take the others away.
    package var faultedBranches = 0
    package var faultedChoice = 0
    /// The last step computed (for every successor of a choice, `outcome` is set per branch by
    /// the caller from the successor index).
    package var event = StepEvent()

    /// Kinds of `count_vm_event()` items (the prelude's `enum vm_event_item`).
    package static let eventKinds = 3
    /// When set (the cost exploration), `count_vm_event(item)` in the step computing successor
    /// k adds one to `eventCounts[k * eventKinds + item]`. The caller zeroes it before a step.
    var eventCounts: UnsafeMutablePointer<Int32>? = nil
    private var eventSlot = 0
    /// Results of folding, which depend on nothing but the thread, where it starts and the
    /// locals live there (FoldCache.swift).
    private var foldCache: FoldCache
    /// Off only to check that the cache changes nothing (SearchOptions.cacheFolds).
    var cacheFolds = true
    /// The most local instructions a thread runs between two visible steps. Loops are bounded,
    /// but nested loops of 32,767 iterations each run for hours inside one step, deaf to every
    /// limit; past this bound the step is a violation (`localComputationTooLong`) instead.
    /// About 20 ms of interpretation.
    package static let localInstructionLimit = 1 << 22
    /// Local instructions run so far, for the search's polling of its limits while steps are
    /// long (`Expander.pollIfBusy`).
    private(set) var localWork = 0
    /// Whether a thread's local code runs inside the visible step before it (`--reduce fold`,
    /// the default), or each local instruction is a step of its own (`IROp.rests`).
    let folding: Bool

    package init(_ p: Program, folding: Bool = true) {
        self.folding = folding
        let e = p.encoded
        ins = e.instructions.baseAddress!
        code = e.code.baseAddress!
        fields = e.fields.baseAddress!
        chooseTargets = e.chooseTargets.baseAddress!
        listStart = e.listStart.baseAddress!
        listLength = e.listLength.baseAddress!
        listItems = e.listItems.baseAddress!
        folioMapping = e.folioMapping.baseAddress!
        folioBufferList = e.folioBufferList.baseAddress!
        bufferFolio = e.bufferFolio.baseAddress!
        threadCodeStart = e.threadCodeStart.baseAddress!
        threadPCField = e.threadPCField.baseAddress!
        liveMaskStart = e.liveMaskStart.baseAddress!
        liveMaskWords = e.liveMaskWords.baseAddress!
        threadFirstWord = e.threadFirstWord.baseAddress!
        threadWordCount = e.threadWordCount.baseAddress!
        mayWrite = e.mayWrite.baseAddress!
        reads = e.reads.baseAddress!
        writes = e.writes.baseAddress!
        mayRead = e.mayRead.baseAddress!
        ownerFields = p.ownerFields.isEmpty ? nil : e.ownerFields.baseAddress!
        fieldResource = e.fieldResource.baseAddress!
        resourceWords = e.resourceWords
        words = p.wordsPerState
        threadCount = p.threads.count
        maxChoices = e.maxChoices
        folioCount = Int64(p.folios.count)
        bufferCount = Int64(p.buffers.count)
        listCount = Int64(p.lists.count)
        stack = UnsafeMutablePointer<Int64>.allocate(capacity: e.maxStack + 8)
        branchFaulted = UnsafeMutablePointer<Bool>.allocate(capacity: max(1, e.maxChoices))
        branchFaulted.initialize(repeating: false, count: max(1, e.maxChoices))
        foldCache = FoldCache(p)
    }

    /// Frees the scratch memory; the machine is unusable afterwards.
    package func release() {
        stack.deallocate()
        branchFaulted.deallocate()
        foldCache.release()
    }

    /// Whether successor `k` of the last step is a state (not a faulted branch of a choice).
    @inline(__always)
    package func isSuccessor(_ k: Int) -> Bool { faultedBranches == 0 || !branchFaulted[k] }

    // MARK: - Fields and bits

    @inline(__always)
    func get(_ s: UnsafePointer<UInt64>, _ id: Int32) -> Int64 {
        let f = fields[Int(id)]
        let raw = (s[Int(f.word)] &>> UInt64(f.shift)) & f.mask
        if f.signed {
            let sh = UInt64(64 - Int(f.width))
            return Int64(bitPattern: raw &<< sh) &>> Int64(sh)
        }
        return Int64(bitPattern: raw)
    }

    /// Stores `v`, or records a fault when it does not fit the field.
    @inline(__always)
    mutating func put(_ s: UnsafeMutablePointer<UInt64>, _ id: Int32, _ v: Int64, _ pc: Int) -> Bool {
        let f = fields[Int(id)]
        if f.signed {
            let lo = -(Int64(1) << Int64(f.width - 1)), hi = (Int64(1) << Int64(f.width - 1)) - 1
            if v < lo || v > hi { return fail(.valueOutOfRange, pc, v, Int64(id)) }
        } else if v < 0 || UInt64(v) > f.mask {
            return fail(.valueOutOfRange, pc, v, Int64(id))
        }
        let w = Int(f.word)
        s[w] = (s[w] & ~(f.mask &<< UInt64(f.shift))) | ((UInt64(bitPattern: v) & f.mask) &<< UInt64(f.shift))
        return true
    }

    @inline(__always)
    func testBit(_ s: UnsafePointer<UInt64>, _ bit: Int) -> Bool {
        s[bit &>> 6] & (UInt64(1) &<< UInt64(bit & 63)) != 0
    }

    @inline(__always)
    func setBit(_ s: UnsafeMutablePointer<UInt64>, _ bit: Int, _ on: Bool) {
        if on { s[bit &>> 6] |= UInt64(1) &<< UInt64(bit & 63) }
        else { s[bit &>> 6] &= ~(UInt64(1) &<< UInt64(bit & 63)) }
    }

    /// Bit of folio `f` (1-based) in member set field `id`.
    @inline(__always)
    func setBitIndex(_ id: Int32, _ f: Int64) -> Int {
        let fl = fields[Int(id)]
        return Int(fl.word) * 64 + Int(fl.shift) + Int(f - 1)
    }

    @inline(__always)
    func note(_ row: UnsafeMutablePointer<UInt64>, _ r: Int) {
        if r >= 0 { row[r &>> 6] |= UInt64(1) &<< UInt64(r & 63) }
    }

    @inline(__always)
    mutating func fail(_ kind: Fault.Kind, _ pc: Int, _ value: Int64 = 0, _ extra: Int64 = 0) -> Bool {
        fault.kind = kind
        fault.pc = Int32(pc)
        fault.value = value
        fault.extra = extra
        fault.operation = .none
        return false
    }

    /// An arithmetic fault (`.arithmeticOverflow`, `.shiftCountOutOfRange`) of `a op b`. Out of
    /// line: `eval` only branches here, so its common path stays as short as before.
    @inline(never)
    private mutating func arithmeticFault(_ kind: Fault.Kind, _ op: Fault.Operation, _ a: Int64, _ b: Int64, _ pc: Int) -> Int64? {
        _ = fail(kind, pc, a, b)
        fault.operation = op
        return nil
    }

    func pc(_ s: UnsafePointer<UInt64>, _ t: Int) -> Int { Int(get(s, threadPCField[t])) }
    package func globalPC(_ s: UnsafePointer<UInt64>, _ t: Int) -> Int { Int(threadCodeStart[t]) + pc(s, t) }

    // MARK: - Expressions

    /// Evaluates the bytecode at `start`; nil after a fault (division by zero, overflow, NULL, ...).
    /// With `collect`, also sets there the bit of every resource the evaluation reads (the
    /// partial-order reduction and the deadlock check want exact read sets).
    package mutating func eval(_ start: Int32, _ s: UnsafePointer<UInt64>, _ pc: Int, collect: UnsafeMutablePointer<UInt64>? = nil) -> Int64? {
        var ip = Int(start)
        var sp = 0
        let st = stack
        while true {
            switch XOp(rawValue: code[ip]).unsafelyUnwrapped {
            case .const32:
                st[sp] = Int64(code[ip + 1]); sp += 1; ip += 2
            case .const64:
                st[sp] = (Int64(code[ip + 1]) << 32) | Int64(UInt32(bitPattern: code[ip + 2])); sp += 1; ip += 3
            case .field:
                if let c = collect { note(c, Int(fieldResource[Int(code[ip + 1])])) }
                st[sp] = get(s, code[ip + 1]); sp += 1; ip += 2
            case .sharedIndexed:
                var i = st[sp - 1]
                let count = Int64(code[ip + 2])
                if code[ip + 3] != 0 {
                    if i == 0 { _ = fail(.nullFolio, pc); return nil }
                    i -= 1
                }
                if i < 0 || i >= count { _ = fail(.indexOutOfRange, pc, i, count); return nil }
                if let c = collect { note(c, Int(fieldResource[Int(code[ip + 1] + Int32(i))])) }
                st[sp - 1] = get(s, code[ip + 1] + Int32(i)); ip += 4
            case .folioFlag:
                let f = st[sp - 1]
                if f <= 0 || f > folioCount { _ = fail(.nullFolio, pc); return nil }
                if let c = collect { note(c, Int(f - 1) * FolioFlag.allCases.count + Int(code[ip + 2])) }
                st[sp - 1] = testBit(s, Int(code[ip + 1]) + Int(f) - 1) ? 1 : 0; ip += 3
            case .bufferFlag:
                let b = st[sp - 1]
                if b <= 0 || b > bufferCount { _ = fail(.nullBuffer, pc); return nil }
                if let c = collect {
                    note(c, FolioFlag.allCases.count * Int(folioCount) + Int(b - 1) * BufferFlag.allCases.count + Int(code[ip + 2]))
                }
                st[sp - 1] = testBit(s, Int(code[ip + 1]) + Int(b) - 1) ? 1 : 0; ip += 3
            case .setMember:
                let f = st[sp - 1]
                if f <= 0 || f > folioCount { _ = fail(.nullFolio, pc); return nil }
                st[sp - 1] = testBit(s, setBitIndex(code[ip + 1], f)) ? 1 : 0; ip += 2
            case .setEmpty:
                let fl = fields[Int(code[ip + 1])]
                var empty = true
                if fl.width <= 64 {
                    empty = (s[Int(fl.word)] >> UInt64(fl.shift)) & fl.mask == 0
                } else {
                    for k in 0..<fl.wordCount where s[Int(fl.word) + k] != 0 { empty = false }
                }
                st[sp] = empty ? 1 : 0; sp += 1; ip += 2
            case .listLength:
                let l = st[sp - 1]
                if l < 0 || l >= listCount { _ = fail(.indexOutOfRange, pc, l, listCount); return nil }
                st[sp - 1] = Int64(listLength[Int(l)]); ip += 1
            case .listElement:
                let i = st[sp - 1], l = st[sp - 2]
                sp -= 1
                if l < 0 || l >= listCount { _ = fail(.indexOutOfRange, pc, l, listCount); return nil }
                let n = Int64(listLength[Int(l)])
                if i < 0 || i >= n { _ = fail(.indexOutOfRange, pc, i, n); return nil }
                st[sp - 1] = Int64(listItems[Int(listStart[Int(l)]) + Int(i)]); ip += 1
            case .arrayElement:
                let i = st[sp - 1], n = Int64(code[ip + 2])
                if i < 0 || i >= n { _ = fail(.indexOutOfRange, pc, i, n); return nil }
                st[sp - 1] = Int64(code[ip + 1]) + i; ip += 3
            case .folioBuffers:
                let f = st[sp - 1]
                if f <= 0 || f > folioCount { _ = fail(.nullFolio, pc); return nil }
                st[sp - 1] = Int64(folioBufferList[Int(f - 1)]); ip += 1
            case .folioMapping:
                let f = st[sp - 1]
                if f <= 0 || f > folioCount { _ = fail(.nullFolio, pc); return nil }
                st[sp - 1] = folioMapping[Int(f - 1)]; ip += 1
            case .bufferFolio:
                let b = st[sp - 1]
                if b <= 0 || b > bufferCount { _ = fail(.nullBuffer, pc); return nil }
                st[sp - 1] = Int64(bufferFolio[Int(b - 1)]); ip += 1
            case .singleton:
                let x = st[sp - 1]
                if x <= 0 || x > Int64(code[ip + 2]) { _ = fail(.nullFolio, pc); return nil }
                st[sp - 1] = Int64(code[ip + 1]) + x - 1; ip += 3
            // Arithmetic is exact: a result that does not fit in 64 bits is a fault, never a
            // wrapped value (LANGUAGE.md). The ...ReportingOverflow operations compile to the
            // plain instruction and a branch on its overflow flag, and the fault itself is out
            // of line (`arithmeticFault`), so the common case costs one predicted branch.
            case .not: st[sp - 1] = st[sp - 1] == 0 ? 1 : 0; ip += 1
            case .negate:
                let (r, o) = Int64(0).subtractingReportingOverflow(st[sp - 1])
                if o { return arithmeticFault(.arithmeticOverflow, .negate, st[sp - 1], 0, pc) }
                st[sp - 1] = r; ip += 1
            case .complement: st[sp - 1] = ~st[sp - 1]; ip += 1
            case .add:
                let (r, o) = st[sp - 2].addingReportingOverflow(st[sp - 1])
                if o { return arithmeticFault(.arithmeticOverflow, .add, st[sp - 2], st[sp - 1], pc) }
                st[sp - 2] = r; sp -= 1; ip += 1
            case .subtract:
                let (r, o) = st[sp - 2].subtractingReportingOverflow(st[sp - 1])
                if o { return arithmeticFault(.arithmeticOverflow, .subtract, st[sp - 2], st[sp - 1], pc) }
                st[sp - 2] = r; sp -= 1; ip += 1
            case .multiply:
                let (r, o) = st[sp - 2].multipliedReportingOverflow(by: st[sp - 1])
                if o { return arithmeticFault(.arithmeticOverflow, .multiply, st[sp - 2], st[sp - 1], pc) }
                st[sp - 2] = r; sp -= 1; ip += 1
            case .divide, .remainder:
                let b = st[sp - 1], a = st[sp - 2]
                if b == 0 { _ = fail(.divisionByZero, pc); return nil }
                let isDiv = code[ip] == XOp.divide.rawValue
                if b == -1 {
                    // Int64.min / -1 is 2^63, which does not fit; any remainder by -1 is 0.
                    if isDiv && a == Int64.min { return arithmeticFault(.arithmeticOverflow, .divide, a, b, pc) }
                    st[sp - 2] = isDiv ? 0 &- a : 0
                } else {
                    st[sp - 2] = isDiv ? a / b : a % b
                }
                sp -= 1; ip += 1
            case .bitAnd: st[sp - 2] = st[sp - 2] & st[sp - 1]; sp -= 1; ip += 1
            case .bitOr: st[sp - 2] = st[sp - 2] | st[sp - 1]; sp -= 1; ip += 1
            case .bitXor: st[sp - 2] = st[sp - 2] ^ st[sp - 1]; sp -= 1; ip += 1
            case .shiftLeft:
                // a << b is a * 2^b: it overflows exactly when shifting back does not give a.
                let a = st[sp - 2], b = st[sp - 1]
                if UInt64(bitPattern: b) > 63 { return arithmeticFault(.shiftCountOutOfRange, .shiftLeft, a, b, pc) }
                let r = a &<< b
                if r &>> b != a { return arithmeticFault(.arithmeticOverflow, .shiftLeft, a, b, pc) }
                st[sp - 2] = r; sp -= 1; ip += 1
            case .shiftRight:
                // Arithmetic (it rounds towards minus infinity); it cannot overflow.
                let a = st[sp - 2], b = st[sp - 1]
                if UInt64(bitPattern: b) > 63 { return arithmeticFault(.shiftCountOutOfRange, .shiftRight, a, b, pc) }
                st[sp - 2] = a &>> b; sp -= 1; ip += 1
            case .equal: st[sp - 2] = st[sp - 2] == st[sp - 1] ? 1 : 0; sp -= 1; ip += 1
            case .notEqual: st[sp - 2] = st[sp - 2] != st[sp - 1] ? 1 : 0; sp -= 1; ip += 1
            case .less: st[sp - 2] = st[sp - 2] < st[sp - 1] ? 1 : 0; sp -= 1; ip += 1
            case .lessEqual: st[sp - 2] = st[sp - 2] <= st[sp - 1] ? 1 : 0; sp -= 1; ip += 1
            case .greater: st[sp - 2] = st[sp - 2] > st[sp - 1] ? 1 : 0; sp -= 1; ip += 1
            case .greaterEqual: st[sp - 2] = st[sp - 2] >= st[sp - 1] ? 1 : 0; sp -= 1; ip += 1
            case .toBool: st[sp - 1] = st[sp - 1] != 0 ? 1 : 0; ip += 1
            case .jumpIfZero:
                sp -= 1
                ip = st[sp] == 0 ? Int(code[ip + 1]) : ip + 2
            case .jumpIfZeroKeep: ip = st[sp - 1] == 0 ? Int(code[ip + 1]) : ip + 2
            case .jumpIfNonZeroKeep: ip = st[sp - 1] != 0 ? Int(code[ip + 1]) : ip + 2
            case .jump: ip = Int(code[ip + 1])
            case .pop: sp -= 1; ip += 1
            case .end: return st[sp - 1]
            }
        }
    }

    // MARK: - Thread status

    package enum Status: Equatable {
        case runnable
        case blocked
        case finished
    }

    /// Whether thread `t` can take a step in `s`. A step that would fault counts as runnable:
    /// the fault is found when the step is taken.
    package mutating func status(_ s: UnsafePointer<UInt64>, _ t: Int) -> Status {
        let g = globalPC(s, t)
        let i = ins[g]
        switch i.op {
        case .finish: return .finished
        case .folioLock, .lockBuffer, .waitFolioFlagClear:
            guard let x = eval(i.expr, s, g), x > 0 else { return .runnable }
            return testBit(s, Int(i.flagBase) + Int(x) - 1) ? .blocked : .runnable
        case .waitEvent:
            guard let v = eval(i.expr, s, g) else { return .runnable }
            return v == 0 ? .blocked : .runnable
        default:
            return .runnable
        }
    }

    /// The resource a blocked thread waits for (from its operand), or -1 for `wait_event`,
    /// whose condition may read several (the analysis' read set of that step applies).
    mutating func awaitedResource(_ s: UnsafePointer<UInt64>, _ t: Int, _ resources: ResourceMap) -> Int {
        let g = globalPC(s, t)
        let i = ins[g]
        guard let x = eval(i.expr, s, g) else { return -1 }
        switch i.op {
        case .folioLock: return resources.folio(Int(x), .locked)
        case .lockBuffer: return resources.buffer(Int(x), .locked)
        case .waitFolioFlagClear: return resources.folio(Int(x), FolioFlag(rawValue: Int(i.flag))!)
        default: return -1
        }
    }

    // MARK: - Steps

    /// Computes the successors of thread `t` in `s` into `out` (`words` words each, up to
    /// `maxChoices` of them). Returns how many; 0 when the thread is blocked or finished; -1 on a
    /// fault (`fault` says which; `out` then holds the state as far as the step got). For a
    /// choice where some but not all branches fault, it returns every branch with
    /// `faultedBranches > 0`: skip the slots `isSuccessor` rejects.
    package mutating func step(_ s: UnsafePointer<UInt64>, _ t: Int, _ out: UnsafeMutablePointer<UInt64>) -> Int {
        let base = Int(threadCodeStart[t])
        let pc = Int(get(s, threadPCField[t]))
        let g = base + pc
        let i = ins[g]
        event.thread = Int32(t)
        event.pc = Int32(g)
        event.object = 0
        event.outcome = 0
        event.index = 0
        faultedBranches = 0
        var next = pc + 1
        switch i.op {
        case .finish:
            return 0
        case .choose:
            let n = Int(i.count)
            var first = Fault()
            for k in 0..<n {
                event.outcome = Int64(k)
                eventSlot = k
                let dst = out + k * words
                dst.update(from: s, count: words)
                branchFaulted[k] = !fold(dst, t, Int(chooseTargets[Int(i.target) + k]))
                if branchFaulted[k] {
                    if faultedBranches == 0 { first = fault; faultedChoice = k }
                    faultedBranches += 1
                }
            }
            if faultedBranches > 0 {
                fault = first
                if faultedBranches == n {
                    event.outcome = Int64(faultedChoice)
                    return -1
                }
            }
            return n
        default:
            break
        }
        out.update(from: s, count: words)
        eventSlot = 0
        switch i.op {
        case .folioLock, .lockBuffer, .waitFolioFlagClear:
            guard let x = eval(i.expr, s, g) else { return -1 }
            if x <= 0 { return fail(i.op == .lockBuffer ? .nullBuffer : .nullFolio, g) ? 0 : -1 }
            event.object = x
            let bit = Int(i.flagBase) + Int(x) - 1
            if testBit(s, bit) { return 0 }
            if i.op != .waitFolioFlagClear { setBit(out, bit, true) }
            if i.op == .folioLock, let owners = ownerFields, !put(out, owners[Int(x) - 1], Int64(t + 1), g) { return -1 }
        case .folioTrylock, .trylockBuffer:
            guard let x = eval(i.expr, s, g) else { return -1 }
            if x <= 0 { return fail(i.op == .trylockBuffer ? .nullBuffer : .nullFolio, g) ? 0 : -1 }
            event.object = x
            let bit = Int(i.flagBase) + Int(x) - 1
            let got = !testBit(s, bit)
            if got { setBit(out, bit, true) }
            if got, i.op == .folioTrylock, let owners = ownerFields, !put(out, owners[Int(x) - 1], Int64(t + 1), g) { return -1 }
            event.outcome = got ? 1 : 0
            if i.field >= 0, !put(out, i.field, got ? 1 : 0, g) { return -1 }
        case .folioUnlock, .unlockBuffer:
            guard let x = eval(i.expr, s, g) else { return -1 }
            let isFolio = i.op == .folioUnlock
            if x <= 0 { return fail(isFolio ? .nullFolio : .nullBuffer, g) ? 0 : -1 }
            event.object = x
            let bit = Int(i.flagBase) + Int(x) - 1
            if !testBit(s, bit) { return fail(isFolio ? .folioUnlockNotLocked : .bufferUnlockNotLocked, g, x) ? 0 : -1 }
            setBit(out, bit, false)
            if isFolio, let owners = ownerFields, !put(out, owners[Int(x) - 1], 0, g) { return -1 }
        case .setFolioFlag, .setBufferFlag, .testClearFolioFlag:
            guard let x = eval(i.expr, s, g) else { return -1 }
            let isFolio = i.op != .setBufferFlag
            if x <= 0 { return fail(isFolio ? .nullFolio : .nullBuffer, g) ? 0 : -1 }
            event.object = x
            let bit = Int(i.flagBase) + Int(x) - 1
            if i.op == .testClearFolioFlag {
                let was = testBit(s, bit)
                setBit(out, bit, false)
                event.outcome = was ? 1 : 0
                if i.field >= 0, !put(out, i.field, was ? 1 : 0, g) { return -1 }
            } else {
                if isFolio && i.flag == UInt8(FolioFlag.writeback.rawValue) {
                    let set = testBit(s, bit)
                    if i.value == 1 {
                        // __folio_start_writeback(): the folio must be locked and not already under
                        // writeback. Flag bitmaps are consecutive, one folio count apart.
                        let lockedBit = bit - Int(folioCount) * (FolioFlag.writeback.rawValue - FolioFlag.locked.rawValue)
                        if !testBit(s, lockedBit) { return fail(.startWritebackNotLocked, g, x) ? 0 : -1 }
                        if set { return fail(.startWritebackTwice, g, x) ? 0 : -1 }
                    } else if !set {
                        return fail(.endWritebackNotUnderWriteback, g, x) ? 0 : -1
                    }
                }
                setBit(out, bit, i.value != 0)
            }
        case .waitEvent:
            guard let v = eval(i.expr, s, g) else { return -1 }
            if v == 0 { return 0 }
        case .load:
            guard let v = eval(i.expr, s, g) else { return -1 }
            event.outcome = v
            if i.expr2 >= 0 { event.object = eval(i.expr2, s, g) ?? 0 }
            if !put(out, i.field, v, g) { return -1 }
        case .store:
            guard let v = eval(i.expr, s, g) else { return -1 }
            var idx: Int64 = 0
            if i.expr2 >= 0 {
                guard let ix = eval(i.expr2, s, g) else { return -1 }
                idx = ix
                if i.flag != 0 {
                    if idx <= 0 { return fail(.nullFolio, g) ? 0 : -1 }
                    idx -= 1
                }
                if idx < 0 || idx >= Int64(i.count) { return fail(.indexOutOfRange, g, idx, Int64(i.count)) ? 0 : -1 }
            }
            event.object = Int64(i.field) + idx
            event.index = idx
            event.outcome = v
            if !put(out, i.field + Int32(idx), v, g) { return -1 }
        case .assertShared:
            guard let v = eval(i.expr, s, g) else { return -1 }
            if v == 0 { return fail(.assertion, g) ? 0 : -1 }
        default:
            // Local code rests at a pc only without folding; it is then a step of its own.
            guard !folding, i.restsUnfolded else { return fail(.assertion, g) ? 0 : -1 }
            guard let after = runLocal(out, t, pc) else { return -1 }
            next = after
        }
        if !fold(out, t, next) { return -1 }
        return 1
    }

    /// Whether thread code rests at `i`: a visible instruction or the end with folding, every
    /// instruction but jumps and `count_vm_event()` without.
    @inline(__always)
    func rests(_ i: EncodedInstruction) -> Bool {
        folding ? Machine.restsFolded(i) : i.restsUnfolded
    }

    @inline(__always)
    static func restsFolded(_ i: EncodedInstruction) -> Bool { i.visible || i.op == .finish }

    /// Runs thread `t`'s invisible instructions from `pc` until the next visible one (or its
    /// end), stores the pc there, and clears the thread's dead locals.
    mutating func fold(_ s: UnsafeMutablePointer<UInt64>, _ t: Int, _ start: Int) -> Bool {
        // The cost exploration counts events while folding: no shortcut there. Without folding
        // there are only jumps to follow.
        if eventCounts != nil || !cacheFolds || !folding { return interpretFold(s, t, start) }
        let g = Int(threadCodeStart[t]) + start
        // Nothing to run before the next visible instruction: the pc and the dead locals only.
        if rests(ins[g]) { return interpretFold(s, t, start) }
        let first = Int(threadFirstWord[t]), n = Int(threadWordCount[t])
        let entry = foldCache.lookup(t, start, s + first, n, live: liveMaskWords + Int(liveMaskStart[g]))
        if foldCache.hit(entry, t, start, n) {
            foldCache.restore(entry, t, into: s + first, n)
            return put(s, threadPCField[t], foldCache.pc(entry, n), g)
        }
        guard interpretFold(s, t, start) else { return false }
        foldCache.finish(entry, t, start, s + first, n, pc: get(s, threadPCField[t]))
        return true
    }

    /// `fold` by running the instructions.
    private mutating func interpretFold(_ s: UnsafeMutablePointer<UInt64>, _ t: Int, _ start: Int) -> Bool {
        let base = Int(threadCodeStart[t])
        var pc = start
        var count = 0
        while !rests(ins[base + pc]) {
            count &+= 1
            if count > Machine.localInstructionLimit {
                localWork &+= count
                return fail(.localComputationTooLong, base + pc, Int64(Machine.localInstructionLimit))
            }
            guard let next = runLocal(s, t, pc) else { localWork &+= count; return false }
            pc = next
        }
        localWork &+= count
        let g = base + pc
        guard put(s, threadPCField[t], Int64(pc), g) else { return false }
        let first = Int(threadFirstWord[t])
        let m = Int(liveMaskStart[g])
        for w in 0..<Int(threadWordCount[t]) { s[first + w] &= liveMaskWords[m + w] }
        return true
    }

    /// Without folding: whether thread `t`'s local code, run from where it stands in `s` up to
    /// its next visible instruction as folding would run it, faults. The step that led here
    /// is then, folded, a step that faults (`Expander.successors` treats it so). Works on
    /// `scratch` (`words` words); `fault` is left as it was.
    mutating func localCodeFaults(_ s: UnsafePointer<UInt64>, _ t: Int, scratch: UnsafeMutablePointer<UInt64>) -> Bool {
        var pc = self.pc(s, t)
        let base = Int(threadCodeStart[t])
        if Machine.restsFolded(ins[base + pc]) { return false }
        let kept = fault
        defer { fault = kept }
        scratch.update(from: s, count: words)
        var count = 0
        defer { localWork &+= count }
        while !Machine.restsFolded(ins[base + pc]) {
            count &+= 1
            // Without folding there is no bound: local code is steps like any other.
            if count > Machine.localInstructionLimit { return false }
            guard let next = runLocal(scratch, t, pc) else { return true }
            pc = next
        }
        return false
    }

    /// Runs the local instruction at thread `t`'s `pc` on `s` and returns the pc after it, or
    /// nil on a fault. Local code reads and writes the thread's own locals only.
    @inline(__always)
    private mutating func runLocal(_ s: UnsafeMutablePointer<UInt64>, _ t: Int, _ pc: Int) -> Int? {
        let g = Int(threadCodeStart[t]) + pc
        let i = ins[g]
        switch i.op {
        case .assign:
            guard let v = eval(i.expr, s, g), put(s, i.field, v, g) else { return nil }
        case .setAdd, .setRemove:
            guard let f = eval(i.expr, s, g) else { return nil }
            if f <= 0 || f > folioCount { _ = fail(.nullFolio, g); return nil }
            setBit(s, setBitIndex(i.field, f), i.op == .setAdd)
        case .setClear:
            let fl = fields[Int(i.field)]
            if fl.width <= 64 {
                s[Int(fl.word)] &= ~(fl.mask &<< UInt64(fl.shift))
            } else {
                for k in 0..<fl.wordCount { s[Int(fl.word) + k] = 0 }
            }
        case .branch:
            guard let v = eval(i.expr, s, g) else { return nil }
            return v != 0 ? pc + 1 : Int(i.target)
        case .jump:
            return Int(i.target)
        case .assertLocal:
            guard let v = eval(i.expr, s, g) else { return nil }
            if v == 0 { _ = fail(.assertion, g); return nil }
        case .countEvent:
            if let counts = eventCounts { counts[eventSlot * Machine.eventKinds + Int(i.field)] += 1 }
        default:
            _ = fail(.assertion, g)
            return nil
        }
        return pc + 1
    }

    /// The initial state: every thread folded from its first instruction.
    package mutating func initialState(_ raw: [UInt64], into s: UnsafeMutablePointer<UInt64>) -> Bool {
        for w in 0..<words { s[w] = raw[w] }
        for t in 0..<threadCount where !fold(s, t, 0) { return false }
        return true
    }

    /// Does thread `t` (at its current point in `s`) possibly write resource `r` from now on?
    @inline(__always)
    package func mayStillWrite(_ s: UnsafePointer<UInt64>, _ t: Int, _ r: Int) -> Bool {
        let row = globalPC(s, t) * resourceWords
        return mayWrite[row + r / 64] & (UInt64(1) << UInt64(r % 64)) != 0
    }

    func fieldResource(_ f: Int32) -> Int32 { fieldResource[Int(f)] }

    /// What blocked thread `t` waits for, as a resource row: the lock or flag of its operand, or
    /// exactly what its wait_event condition reads in this state.
    package mutating func awaitedResources(_ s: UnsafePointer<UInt64>, _ t: Int, into row: UnsafeMutablePointer<UInt64>) {
        for k in 0..<resourceWords { row[k] = 0 }
        let g = globalPC(s, t)
        let i = ins[g]
        if i.op == .waitEvent {
            if eval(i.expr, s, g, collect: row) == nil {
                let r = g * resourceWords
                for k in 0..<resourceWords { row[k] = reads[r + k] }
            }
            return
        }
        guard let x = eval(i.expr, s, g), x > 0 else { return }
        let folioFlags = FolioFlag.allCases.count
        switch i.op {
        case .folioLock: note(row, Int(x - 1) * folioFlags + FolioFlag.locked.rawValue)
        case .waitFolioFlagClear: note(row, Int(x - 1) * folioFlags + Int(i.flag))
        case .lockBuffer: note(row, Int(folioCount) * folioFlags + Int(x - 1) * BufferFlag.allCases.count + BufferFlag.locked.rawValue)
        default: break
        }
    }

    /// Does thread `t` (in `s`) possibly write, from now on, any resource of `row`?
    package func mayStillWrite(_ s: UnsafePointer<UInt64>, _ t: Int, any row: UnsafePointer<UInt64>) -> Bool {
        let r = globalPC(s, t) * resourceWords
        for k in 0..<resourceWords where mayWrite[r + k] & row[k] != 0 { return true }
        return false
    }

    /// Does thread `t` (in `s`) possibly write, from now on, anything step `readerPC` reads?
    func mayStillWriteAnyRead(_ s: UnsafePointer<UInt64>, _ t: Int, readerPC: Int) -> Bool {
        let row = globalPC(s, t) * resourceWords
        let rrow = readerPC * resourceWords
        for w in 0..<resourceWords where mayWrite[row + w] & reads[rrow + w] != 0 { return true }
        return false
    }
}
