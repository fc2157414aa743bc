import LockhuntBasics
import LockhuntProgram

/// What expanding a run of states produced: their successors (with hashes and parents), and
/// any deadlock or fault met. Written by one worker, read by the merger, then reused.
final class ChunkOutput {
    let words: Int
    /// The buffers and counters written for every successor, and the lists written for every
    /// state, behind a pointer: each access to a stored `var` of a class is checked for exclusive
    /// access at run time, which cost 8 % of an unreduced search when the buffers were plain
    /// properties, and 5 % of a depth-first one when the lists still were (docs/PERFORMANCE-HISTORY.md).
    private struct Buffers {
        /// Successor states, back to back.
        var states: UnsafeMutablePointer<UInt64>
        var hashes: UnsafeMutablePointer<UInt64>
        var parents: UnsafeMutablePointer<Int>
        /// The step that made each successor: thread in the low 6 bits, choice branch above.
        var labels: UnsafeMutablePointer<UInt16>
        /// The sleep set each successor inherits (0 without sleep sets).
        var sleeps: UnsafeMutablePointer<UInt64>
        var capacity: Int
        var count = 0
        var transitions = 0
        var completedRuns = 0
        var expanded: [(state: Int, successorEnd: Int, complete: Bool)] = []
        var deadlocks: [(state: Int, threads: [Int], signature: [Int])] = []
        var faults: [(state: Int, thread: Int, fault: Fault, choice: Int)] = []
        /// Set when expanding stopped early: a limit met while steps ran long, or a thread's
        /// local code that ran past its bound (`tooLong`).
        var stoppedBy: SearchLimit? = nil
        var tooLong: (thread: Int, pc: Int)? = nil
    }
    private let b: UnsafeMutablePointer<Buffers>

    var hashes: UnsafeMutablePointer<UInt64> { b.pointee.hashes }
    var parents: UnsafeMutablePointer<Int> { b.pointee.parents }
    var labels: UnsafeMutablePointer<UInt16> { b.pointee.labels }
    var sleeps: UnsafeMutablePointer<UInt64> { b.pointee.sleeps }
    var count: Int { b.pointee.count }
    /// Successors committed since the last reset.
    var transitions: Int { b.pointee.transitions }
    var completedRuns: Int {
        get { b.pointee.completedRuns }
        set { b.pointee.completedRuns = newValue }
    }
    /// Per expanded state (in order): its index, where its successors end, and whether every
    /// thread had finished there (a complete run). A state expanded again because threads woke
    /// in it (sleep sets) appears again, never as complete.
    var expanded: [(state: Int, successorEnd: Int, complete: Bool)] { b.pointee.expanded }
    /// Deadlocks and faults, rare: state index, and what.
    var deadlocks: [(state: Int, threads: [Int], signature: [Int])] { b.pointee.deadlocks }
    /// For a fault in a choice, `choice` is the (first) faulting branch.
    var faults: [(state: Int, thread: Int, fault: Fault, choice: Int)] { b.pointee.faults }
    /// Why the expansion of this output's states stopped before its last state, if it did.
    var stoppedBy: SearchLimit? { b.pointee.stoppedBy }
    var tooLong: (thread: Int, pc: Int)? { b.pointee.tooLong }
    func stop(_ limit: SearchLimit, tooLong: (thread: Int, pc: Int)? = nil) {
        b.pointee.stoppedBy = limit
        b.pointee.tooLong = tooLong
    }
    var hasDeadlocks: Bool { !b.pointee.deadlocks.isEmpty }
    var hasFaults: Bool { !b.pointee.faults.isEmpty }

    /// `state` is expanded: its successors are those committed so far.
    @inline(__always)
    func noteExpanded(_ state: Int, complete: Bool) { b.pointee.expanded.append((state, b.pointee.count, complete)) }
    func noteDeadlock(_ state: Int, threads: [Int], signature: [Int]) { b.pointee.deadlocks.append((state, threads, signature)) }
    func noteFault(_ state: Int, thread: Int, fault: Fault, choice: Int) { b.pointee.faults.append((state, thread, fault, choice)) }
    package init(words: Int) {
        self.words = words
        let capacity = 256
        b = .allocate(capacity: 1)
        b.initialize(to: Buffers(states: .allocate(capacity: capacity * words), hashes: .allocate(capacity: capacity),
                                 parents: .allocate(capacity: capacity), labels: .allocate(capacity: capacity),
                                 sleeps: .allocate(capacity: capacity), capacity: capacity))
    }

    deinit {
        b.pointee.states.deallocate()
        b.pointee.hashes.deallocate()
        b.pointee.parents.deallocate()
        b.pointee.labels.deallocate()
        b.pointee.sleeps.deallocate()
        b.deinitialize(count: 1)
        b.deallocate()
    }

    func reset() {
        b.pointee.count = 0
        b.pointee.transitions = 0
        b.pointee.completedRuns = 0
        b.pointee.expanded.removeAll(keepingCapacity: true)
        if hasDeadlocks { b.pointee.deadlocks.removeAll(keepingCapacity: true) }
        if hasFaults { b.pointee.faults.removeAll(keepingCapacity: true) }
        b.pointee.stoppedBy = nil
        b.pointee.tooLong = nil
    }

    /// Room for `n` more successors.
    @inline(__always)
    func reserve(_ n: Int) {
        let count = b.pointee.count
        if count + n <= b.pointee.capacity { return }
        var c = b.pointee.capacity
        while c < count + n { c *= 2 }
        ChunkOutput.grow(&b.pointee.states, count * words, to: c * words)
        ChunkOutput.grow(&b.pointee.hashes, count, to: c)
        ChunkOutput.grow(&b.pointee.parents, count, to: c)
        ChunkOutput.grow(&b.pointee.labels, count, to: c)
        ChunkOutput.grow(&b.pointee.sleeps, count, to: c)
        b.pointee.capacity = c
    }

    /// Moves the first `used` elements of `buffer` into a new allocation of `capacity`.
    private static func grow<T>(_ buffer: inout UnsafeMutablePointer<T>, _ used: Int, to capacity: Int) {
        let bigger = UnsafeMutablePointer<T>.allocate(capacity: capacity)
        bigger.moveInitialize(from: buffer, count: used)
        buffer.deallocate()
        buffer = bigger
    }

    /// Where the next successor goes; `commit` it once written.
    @inline(__always)
    func slot() -> UnsafeMutablePointer<UInt64> { b.pointee.states + b.pointee.count * words }

    @inline(__always)
    func commit(parent: Int, label: UInt16, sleep: UInt64) {
        let k = b.pointee.count
        b.pointee.hashes[k] = StateStore.hash(b.pointee.states + k * words, words)
        b.pointee.parents[k] = parent
        b.pointee.labels[k] = label
        b.pointee.sleeps[k] = sleep
        b.pointee.count = k + 1
        b.pointee.transitions += 1
    }

    @inline(__always)
    func state(_ k: Int) -> UnsafeMutablePointer<UInt64> { b.pointee.states + k * words }
}

/// Expands states: the deadlock check, the partial-order reduction, and every successor of the
/// threads it selects. One per worker thread; it owns a machine and scratch space.
struct Expander {
    var machine: Machine
    let por: Machine.PORScratch
    let succ: UnsafeMutablePointer<UInt64>
    /// One state's room, for running a thread's local code ahead (without folding).
    let scratch: UnsafeMutablePointer<UInt64>
    let words: Int
    let persistentSets: Bool
    let sleepSets: Bool
    let allFindings: Bool
    /// Present when symmetry reduction is on and the program has interchangeable threads.
    let canonicalizer: Canonicalizer?
    /// Threads whose next step's reads and writes are in `por`'s rows for the state at hand.
    private var accessKnown: UInt64 = 0
    /// The limits the search polls between states, looked at here too once steps run long
    /// local code (`pollIfBusy`).
    private let timeLimit: Double?
    private let shouldStop: (@Sendable () -> Bool)?
    private let clock = Stopwatch()
    private var workAtLastPoll = 0
    /// Local instructions between two looks at the limits: a few milliseconds.
    static let pollWork = 1 << 20

    /// `sleepSets` is false when the store cannot give back old states to expand again
    /// (hash compaction), whatever the options say.
    package init(program: Program, options: SearchOptions, sleepSets: Bool) {
        machine = Machine(program, folding: options.reductions.contains(.folding))
        machine.cacheFolds = options.cacheFolds
        por = Machine.PORScratch(threads: machine.threadCount, resourceWords: machine.resourceWords)
        succ = .allocate(capacity: program.wordsPerState * max(1, machine.maxChoices))
        scratch = .allocate(capacity: max(1, program.wordsPerState))
        words = program.wordsPerState
        persistentSets = options.reductions.contains(.persistentSets)
        self.sleepSets = sleepSets
        allFindings = options.allFindings
        canonicalizer = options.reductions.contains(.symmetry) ? Canonicalizer(program) : nil
        timeLimit = options.timeLimit
        shouldStop = options.shouldStop
    }

    /// The searches look at their limits every few hundred states; a state whose steps run long
    /// local code (up to `Machine.localInstructionLimit` per step) would make that seconds.
    /// So, once the machine has run `pollWork` local instructions since the last look, look:
    /// the time limit and a stop request (^C). Nil when the search may go on.
    mutating func pollIfBusy() -> SearchLimit? {
        if machine.localWork &- workAtLastPoll < Expander.pollWork { return nil }
        workAtLastPoll = machine.localWork
        if let t = timeLimit, clock.elapsed >= t { return .timeLimit }
        if let stop = shouldStop, stop() { return .interrupted }
        return nil
    }

    package func release() {
        canonicalizer?.release()
        machine.release()
        por.release()
        succ.deallocate()
        scratch.deallocate()
    }

    /// Expands state `index` (contents `s`, sleep set `sleep`) into `out`. With `expand` false
    /// (at a depth limit) only the deadlock check runs. Stops expanding at the first fault
    /// unless all findings are wanted, as the sequential search always did.
    mutating func expand(_ index: Int, _ s: UnsafePointer<UInt64>, expand: Bool, sleep: UInt64, into out: ChunkOutput) {
        let masks = machine.statusMasks(s)
        let dead = machine.deadlockedThreads(s, blocked: masks.blocked, unfinished: masks.unfinished, scratch: por)
        if dead != 0 {
            var threads: [Int] = []
            var rest = dead
            while rest != 0 {
                let t = rest.trailingZeroBitCount
                rest &= rest - 1
                threads.append(t)
            }
            out.noteDeadlock(index, threads: threads, signature: FindingLog.deadlockSignature(threads) { machine.globalPC(s, $0) })
        }
        if masks.unfinished == 0 { out.completedRuns += 1 }
        guard expand else {
            out.noteExpanded(index, complete: masks.unfinished == 0)
            return
        }
        var chosen = masks.enabled
        // The deadlock check leaves what blocked threads wait for in the rows; persistentSet
        // leaves every enabled thread's next access there when there were two or more.
        accessKnown = 0
        if persistentSets {
            chosen = machine.persistentSet(s, enabled: masks.enabled, blocked: masks.blocked, unfinished: masks.unfinished, scratch: por)
            if masks.enabled.nonzeroBitCount > 1 { accessKnown = masks.enabled }
        }
        let fallback = chosen != masks.enabled ? masks.enabled & ~sleep : 0
        successors(index, s, threads: chosen & ~sleep, fallback: fallback, sleep: sleep, into: out)
        out.noteExpanded(index, complete: masks.unfinished == 0)
    }

    /// Expands state `index` again, met with a smaller sleep set after its first expansion: the
    /// threads that woke (`threads`), with the state's new sleep set.
    mutating func expandWoken(_ index: Int, _ s: UnsafePointer<UInt64>, threads: UInt64, sleep: UInt64, into out: ChunkOutput) {
        accessKnown = 0
        successors(index, s, threads: threads, fallback: 0, sleep: sleep, into: out)
        out.noteExpanded(index, complete: false)
    }

    /// Every successor of `threads` in `s`, each with the sleep set it inherits. `fallback`: the
    /// threads to expand instead when every selected step faulted (below).
    private mutating func successors(_ index: Int, _ s: UnsafePointer<UInt64>, threads: UInt64, fallback: UInt64,
                                     sleep: UInt64, into out: ChunkOutput) {
        var threadsLeft = threads
        var fallbackLeft = fallback
        var sleeping = sleep
        var faulted = false
        // Successors that are no steps into a fault: without folding, those after which the
        // thread's own local code must fault count as faulting (they are stored all the same).
        var onward = 0
        let checkLocalCode = !machine.folding && (fallback != 0 || sleepSets)
        var threadsDone: UInt64 = 0
        while true {
            if threadsLeft == 0 {
                // A step that faults leads nowhere: its thread is, for the graph, disabled here.
                // A persistent set whose every step faulted has no transition at all, which no
                // persistent set may have while some thread can move: expand every thread.
                // Without folding, a step whose thread's local code must then fault is such a
                // step once folded; treating it so makes this fallback happen where the folded
                // search's does, before the thread has gone past what others may need of it.
                guard fallbackLeft != 0, faulted, onward == 0 else { break }
                threadsLeft = fallbackLeft & ~threadsDone
                fallbackLeft = 0
                continue
            }
            let t = threadsLeft.trailingZeroBitCount
            let bit = UInt64(1) << UInt64(t)
            threadsLeft &= threadsLeft - 1
            threadsDone |= bit
            let n = machine.step(s, t, succ)
            if (n < 0 || machine.faultedBranches > 0) && machine.fault.kind == .localComputationTooLong {
                // Not a finding: the model's local code is too long to explore.
                out.stop(.localComputation, tooLong: (t, Int(machine.fault.pc)))
                return
            }
            if n < 0 || machine.faultedBranches > 0 {
                // A fault; when only some branches of a choice fault, the others still move.
                out.noteFault(index, thread: t, fault: machine.fault, choice: machine.faultedBranches > 0 ? machine.faultedChoice : 0)
                faulted = true
                if !allFindings { break }
                if n < 0 { continue }
            }
            let inherited = sleeping == 0 ? 0 : stillAsleep(s, after: t, sleeping)
            out.reserve(n)
            var doomed = 0, stored = 0
            for k in 0..<n where machine.isSuccessor(k) {
                stored += 1
                if checkLocalCode && machine.localCodeFaults(succ + k * words, t, scratch: scratch) {
                    faulted = true
                    doomed += 1
                } else {
                    onward += 1
                }
                let slot = out.slot()
                slot.update(from: succ + k * words, count: words)
                var z = inherited
                canonicalizer?.canonicalize(slot, threads: &z)
                out.commit(parent: index, label: UInt16(t) | UInt16(k) << 6, sleep: z)
            }
            // A step that faults puts nothing to sleep: it covers no run of the other threads.
            // Without folding, neither does one after which its thread's local code must fault:
            // what lies past it folds into that fault.
            if sleepSets && (doomed == 0 || doomed < stored) { sleeping |= bit }
        }
    }

    /// The threads of `sleeping` that stay asleep after thread `t`'s step: those whose next step
    /// commutes with it.
    private mutating func stillAsleep(_ s: UnsafePointer<UInt64>, after t: Int, _ sleeping: UInt64) -> UInt64 {
        knowAccess(s, t)
        var keep: UInt64 = 0
        var rest = sleeping
        while rest != 0 {
            let u = rest.trailingZeroBitCount
            rest &= rest - 1
            knowAccess(s, u)
            if machine.independent(t, u, por) { keep |= UInt64(1) << UInt64(u) }
        }
        return keep
    }

    @inline(__always)
    private mutating func knowAccess(_ s: UnsafePointer<UInt64>, _ t: Int) {
        let bit = UInt64(1) << UInt64(t)
        if accessKnown & bit != 0 { return }
        machine.nextAccess(s, t, por.reads + t * por.words, por.writes + t * por.words)
        accessKnown |= bit
    }
}
