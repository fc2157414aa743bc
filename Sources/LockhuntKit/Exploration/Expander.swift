/// What expanding a run of states produced: their successors (with hashes and parents), and
/// any deadlock or fault met. Written by one worker, read by the merger, then reused.
final class ChunkOutput {
    let words: Int
    /// Successor states, back to back.
    private(set) var states: UnsafeMutablePointer<UInt64>
    private(set) var hashes: UnsafeMutablePointer<UInt64>
    private(set) var parents: UnsafeMutablePointer<Int>
    /// The step that made each successor: thread in the low 6 bits, choice branch above.
    private(set) var labels: UnsafeMutablePointer<UInt16>
    private(set) var capacity: Int
    private(set) var count = 0
    /// Per expanded state (in order): its index, where its successors end, and whether every
    /// thread had finished there (a complete run).
    var expanded: [(state: Int, successorEnd: Int, complete: Bool)] = []
    /// Deadlocks and faults, rare: state index, and what.
    var deadlocks: [(state: Int, threads: [Int], signature: [Int])] = []
    /// For a fault in a choice, `choice` is the (first) faulting branch.
    var faults: [(state: Int, thread: Int, fault: Fault, choice: Int)] = []
    var transitions = 0
    var completedRuns = 0

    init(words: Int) {
        self.words = words
        capacity = 256
        states = .allocate(capacity: capacity * words)
        hashes = .allocate(capacity: capacity)
        parents = .allocate(capacity: capacity)
        labels = .allocate(capacity: capacity)
    }

    deinit {
        states.deallocate()
        hashes.deallocate()
        parents.deallocate()
        labels.deallocate()
    }

    func reset() {
        count = 0
        expanded.removeAll(keepingCapacity: true)
        deadlocks.removeAll(keepingCapacity: true)
        faults.removeAll(keepingCapacity: true)
        transitions = 0
        completedRuns = 0
    }

    /// Room for `n` more successors.
    @inline(__always)
    func reserve(_ n: Int) {
        if count + n <= capacity { return }
        var c = capacity
        while c < count + n { c *= 2 }
        ChunkOutput.grow(&states, count * words, to: c * words)
        ChunkOutput.grow(&hashes, count, to: c)
        ChunkOutput.grow(&parents, count, to: c)
        ChunkOutput.grow(&labels, count, to: c)
        capacity = c
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
    func slot() -> UnsafeMutablePointer<UInt64> { states + count * words }

    @inline(__always)
    func commit(parent: Int, label: UInt16) {
        hashes[count] = StateStore.hash(states + count * words, words)
        parents[count] = parent
        labels[count] = label
        count += 1
    }

    @inline(__always)
    func state(_ k: Int) -> UnsafeMutablePointer<UInt64> { states + k * words }
}

/// Expands states: the deadlock check, the partial-order reduction, and every successor of the
/// threads it selects. One per worker thread; it owns a machine and scratch space.
struct Expander {
    var machine: Machine
    let por: Machine.PORScratch
    let succ: UnsafeMutablePointer<UInt64>
    let words: Int
    let reducePO: Bool
    let allFindings: Bool
    /// Present when symmetry reduction is on and the program has interchangeable threads.
    let canonicalizer: Canonicalizer?

    init(program: Program, options: SearchOptions) {
        machine = Machine(program)
        por = Machine.PORScratch(threads: machine.threadCount, resourceWords: machine.resourceWords)
        succ = .allocate(capacity: program.wordsPerState * max(1, machine.maxChoices))
        words = program.wordsPerState
        reducePO = options.reductions.contains(.partialOrder)
        allFindings = options.allFindings
        canonicalizer = options.reductions.contains(.symmetry) ? Canonicalizer(program) : nil
    }

    func release() {
        canonicalizer?.release()
        machine.release()
        por.release()
        succ.deallocate()
    }

    /// Expands state `index` (contents `s`) into `out`. With `expand` false (at a depth limit)
    /// only the deadlock check runs. Stops expanding at the first fault unless all findings are
    /// wanted, as the sequential search always did.
    mutating func expand(_ index: Int, _ s: UnsafePointer<UInt64>, expand: Bool, into out: ChunkOutput) {
        let masks = machine.statusMasks(s)
        let dead = machine.deadlockedThreads(s, blocked: masks.blocked, unfinished: masks.unfinished, scratch: por)
        if dead != 0 {
            var threads: [Int] = []
            var sig: [Int] = [0]
            var rest = dead
            while rest != 0 {
                let t = rest.trailingZeroBitCount
                rest &= rest - 1
                threads.append(t)
                sig.append(t)
                sig.append(machine.globalPC(s, t))
            }
            out.deadlocks.append((index, threads, sig))
        }
        if masks.unfinished == 0 { out.completedRuns += 1 }
        guard expand else {
            out.expanded.append((index, out.count, masks.unfinished == 0))
            return
        }
        var threadsLeft = masks.enabled
        var fullExpansion = true
        if reducePO {
            threadsLeft = machine.persistentSet(s, enabled: masks.enabled, blocked: masks.blocked, unfinished: masks.unfinished, scratch: por)
            fullExpansion = threadsLeft == masks.enabled
        }
        let before = out.count
        var faulted = false
        var threadsDone: UInt64 = 0
        while true {
            if threadsLeft == 0 {
                // A step that faults leads nowhere: its thread is, for the graph, disabled here.
                // A persistent set whose every step faulted has no transition at all, which no
                // persistent set may have while some thread can move: expand every thread.
                guard !fullExpansion, faulted, out.count == before else { break }
                threadsLeft = masks.enabled & ~threadsDone
                fullExpansion = true
                continue
            }
            let t = threadsLeft.trailingZeroBitCount
            threadsLeft &= threadsLeft - 1
            threadsDone |= UInt64(1) << UInt64(t)
            let n = machine.step(s, t, succ)
            if n < 0 || machine.faultedBranches > 0 {
                // A fault; when only some branches of a choice fault, the others still move.
                out.faults.append((index, t, machine.fault, machine.faultedBranches > 0 ? machine.faultedChoice : 0))
                faulted = true
                if !allFindings { break }
                if n < 0 { continue }
            }
            out.reserve(n)
            for k in 0..<n where machine.isSuccessor(k) {
                let slot = out.slot()
                slot.update(from: succ + k * words, count: words)
                canonicalizer?.canonicalize(slot, &machine)
                out.commit(parent: index, label: UInt16(t) | UInt16(k) << 6)
                out.transitions += 1
            }
        }
        out.expanded.append((index, out.count, masks.unfinished == 0))
    }
}
