import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration

/// A run as the pictures, the "unsafe scenario" table and the step-by-step replay need it: for
/// every step, what it did to which lock, and after it who holds and who waits for what.
public struct Timeline: Sendable {
    /// What a step did to a folio or buffer lock.
    public enum LockEffect: Sendable, Equatable {
        case none
        /// `folio_lock`, `lock_buffer` or a successful trylock; `blocking` for the first two.
        case acquired(lock: String, blocking: Bool)
        case released(lock: String)
        case trylockFailed(lock: String)
    }

    /// A task that cannot move in some state.
    public struct Wait: Sendable, Equatable {
        public var thread: Int
        /// `lock_buffer(bh)`, `wait_event(loop_bio_queued)`.
        public var what: String
        /// `buffer bh` when the wait is for a lock.
        public var lock: String?
        public var location: String
    }

    public struct Entry: Sendable {
        public var step: TraceStep
        public var thread: Int
        public var effect: LockEffect
        /// After the step: every held lock, who took it and at which step (0-based).
        public var held: [String: LockLedger.Entry]
        /// After the step: every blocked task, in thread order.
        public var waits: [Wait]
    }

    public var threads: [String]
    /// Blocked tasks in the initial state.
    public var initialWaits: [Wait]
    public var entries: [Entry]

    /// Context switches: consecutive steps by different threads.
    public var contextSwitches: Int { Timeline.contextSwitches(entries.map(\.thread)) }

    public static func contextSwitches(_ threads: [Int]) -> Int {
        zip(threads, threads.dropFirst()).filter { $0 != $1 }.count
    }
}

extension Timeline {
    /// Builds the timeline of `transitions`, where `states[i]` is the state before transition i
    /// and `states[i + 1]` the one after (so there is one more state than transitions).
    public init(program: Program, transitions: [Transition], states: [[UInt64]]) {
        precondition(states.count == transitions.count + 1 || (transitions.isEmpty && states.isEmpty))
        let builder = FindingBuilder(program: program)
        var machine = Machine(program)
        defer { machine.release() }
        threads = program.threads.map(\.name)
        initialWaits = states.first.map { Timeline.waits(&machine, program, $0) } ?? []
        var ledger = LockLedger()
        var out: [Entry] = []
        for (i, tr) in transitions.enumerated() {
            ledger.apply(tr, step: i, program: program)
            out.append(Entry(step: builder.step(tr), thread: tr.thread, effect: Timeline.effect(tr, program),
                             held: ledger.held, waits: Timeline.waits(&machine, program, states[i + 1])))
        }
        entries = out
    }

    static func effect(_ tr: Transition, _ program: Program) -> LockEffect {
        let ins = program.ir[Int(tr.event.pc)]
        let folio = "folio \(program.folioName(tr.event.object))"
        let buffer = "buffer \(program.bufferName(tr.event.object))"
        switch ins.op {
        case .folioLock: return .acquired(lock: folio, blocking: true)
        case .lockBuffer: return .acquired(lock: buffer, blocking: true)
        case .folioTrylock: return tr.event.outcome != 0 ? .acquired(lock: folio, blocking: false) : .trylockFailed(lock: folio)
        case .trylockBuffer: return tr.event.outcome != 0 ? .acquired(lock: buffer, blocking: false) : .trylockFailed(lock: buffer)
        case .folioUnlock: return .released(lock: folio)
        case .unlockBuffer: return .released(lock: buffer)
        default: return .none
        }
    }

    /// Every blocked task of a state, with what it waits for.
    package static func waits(_ machine: inout Machine, _ program: Program, _ state: [UInt64]) -> [Wait] {
        state.withUnsafeBufferPointer { sp in
            let s = sp.baseAddress!
            var out: [Wait] = []
            for t in 0..<program.threads.count where machine.status(s, t) == .blocked {
                out.append(Timeline.wait(&machine, program, s, t))
            }
            return out
        }
    }

    /// What blocked thread `t` waits for in `s`.
    package static func wait(_ machine: inout Machine, _ program: Program, _ s: UnsafePointer<UInt64>, _ t: Int) -> Wait {
        let pc = machine.globalPC(s, t)
        let ins = program.ir[pc]
        var object: Int64 = 0
        if case .waitEvent = ins.op {} else {
            object = machine.eval(program.encoded.instructions[pc].expr, s, pc) ?? 0
        }
        var lock: String? = nil
        switch ins.op {
        case .folioLock: lock = "folio \(program.folioName(object))"
        case .lockBuffer: lock = "buffer \(program.bufferName(object))"
        default: break
        }
        return Wait(thread: t, what: program.describeWait(pc: pc, object: object), lock: lock, location: program.location(ofPC: pc))
    }
}
