import LockhuntBasics
import LockhuntProgram

/// The whole reachable state graph, edges included, for the cost analysis: a verdict search
/// keeps only parent links, but costs need every run, so every edge is recorded with what its
/// step did (its thread, whether it called a blocking primitive, the vm events it counted).
/// Always explored without reductions, since the costs count runs.
public struct StateGraph: Sendable {
    public var states = 0
    /// Edges of state i are `edgeStart[i] ..< edgeStart[i + 1]`.
    package var edgeStart: [UInt32] = []
    package var edgeTarget: [UInt32] = []
    package var edgeThread: [UInt8] = []
    /// The step called folio_lock, lock_buffer, folio_wait_writeback or wait_event.
    package var edgeBlocking: [Bool] = []
    /// count_vm_event() items per edge: PGMIGRATE_SUCCESS, PGMIGRATE_FAIL, NR_TLB_REMOTE_FLUSH.
    package var edgeEvents: [UInt8] = []
    /// Per state: 0 some thread can move, 1 every thread finished, 2 stuck (deadlock or a fault).
    package var terminal: [UInt8] = []
    /// Per thread: the most folio locks it held at once (needs owner tracking).
    public var maxFolioLocksHeld: [Int] = []
    /// Events counted while folding the threads' first local code, before any step: every run
    /// has them.
    package var initialEvents: [Int] = [0, 0, 0]

    public enum Failure: Error, Equatable {
        case tooLarge(Int)
    }

    /// Explores everything reachable, up to `maxStates`.
    public static func explore(_ program: Program, maxStates: Int) -> Result<StateGraph, Failure> {
        var machine = Machine(program)
        defer { machine.release() }
        let words = program.wordsPerState
        let kinds = Machine.eventKinds
        let store = StateStore(program)
        let cur = UnsafeMutablePointer<UInt64>.allocate(capacity: words)
        let succ = UnsafeMutablePointer<UInt64>.allocate(capacity: words * max(1, machine.maxChoices))
        let counts = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, machine.maxChoices) * kinds)
        defer { cur.deallocate(); succ.deallocate(); counts.deallocate() }
        machine.eventCounts = counts

        var g = StateGraph()
        g.maxFolioLocksHeld = [Int](repeating: 0, count: program.threads.count)
        var held = [Int](repeating: 0, count: program.threads.count)
        let owners = program.ownerFields.map { Int32($0) }

        for k in 0..<(max(1, machine.maxChoices) * kinds) { counts[k] = 0 }
        let started = machine.initialState(program.rawInitialState, into: cur)
        g.initialEvents = (0..<kinds).map { Int(counts[$0]) }
        guard started else {
            g.states = 1
            g.edgeStart = [0, 0]
            g.terminal = [2]
            return .success(g)
        }
        _ = store.insert(cur, parent: -1)
        var next = 0
        while next < store.count {
            store.load(next, into: cur)
            g.edgeStart.append(UInt32(g.edgeTarget.count))
            if !owners.isEmpty {
                for t in held.indices { held[t] = 0 }
                for f in owners {
                    let o = Int(machine.get(cur, f))
                    if o > 0 { held[o - 1] += 1 }
                }
                for t in held.indices where held[t] > g.maxFolioLocksHeld[t] { g.maxFolioLocksHeld[t] = held[t] }
            }
            var moved = false
            var faulted = false
            for t in 0..<machine.threadCount {
                for k in 0..<(max(1, machine.maxChoices) * kinds) { counts[k] = 0 }
                let n = machine.step(cur, t, succ)
                if n < 0 { faulted = true; continue }
                if machine.faultedBranches > 0 { faulted = true }
                if n > machine.faultedBranches { moved = true }
                let blocking = program.ir[Int(machine.event.pc)].op.isBlocking
                for k in 0..<n where machine.isSuccessor(k) {
                    let (i, isNew) = store.insert(succ + k * words, parent: next)
                    if isNew && store.count > maxStates { return .failure(.tooLarge(maxStates)) }
                    g.edgeTarget.append(UInt32(i))
                    g.edgeThread.append(UInt8(t))
                    g.edgeBlocking.append(blocking)
                    for e in 0..<kinds { g.edgeEvents.append(UInt8(clamping: counts[k * kinds + e])) }
                }
            }
            if moved {
                g.terminal.append(0)
            } else {
                var allFinished = !faulted
                for t in 0..<machine.threadCount where machine.status(cur, t) != .finished { allFinished = false; break }
                g.terminal.append(allFinished ? 1 : 2)
            }
            next += 1
        }
        g.edgeStart.append(UInt32(g.edgeTarget.count))
        g.states = store.count
        return .success(g)
    }
}
