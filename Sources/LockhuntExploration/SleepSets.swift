import LockhuntBasics
import LockhuntProgram

/// Sleep sets (Godefroid, "Partial-Order Methods for the Verification of Concurrent Systems",
/// LNCS 1032, chapters 5 and 6), at the granularity of threads, on top of persistent sets.
///
/// When a state expands thread t and then thread u, and their next steps commute, every run
/// that starts with u and takes t later reaches what the run through t reaches first: so the
/// successor through u need not take t again until some step that does not commute with t has
/// been taken. That thread "sleeps" there. The sleep set travels with the state: a successor
/// inherits the sleeping threads (and the siblings expanded before it) whose next step commutes
/// with the step that made it. Sleep sets cut transitions into states that are reached anyway,
/// not states; they save the successor generation, hashing and visited-set probes.
///
/// With a visited set, a state may be met again with a sleep set that lacks a thread it slept on
/// before: the state's stored sleep set becomes the intersection and, if it was already expanded,
/// the threads that woke are expanded from it now (Godefroid's algorithm with state caching,
/// which keeps every deadlock of the persistent-set search). A faulting step is a step into an
/// error state with no successor, so every fault is kept too, and a set of tasks stuck for good
/// stays stuck until a terminal state: every verdict is that of the unreduced search.
///
/// Threads are put to sleep as a whole (every branch of a choice at once): all branches of a
/// thread's step are always expanded together, and independence is judged on what the step as a
/// whole reads and writes (`Machine.nextAccess`, exact where the operand can be evaluated).
/// Folding keeps this exact: the local code a step folds in touches only the thread's own state.
extension Machine {
    /// Whether the next steps of threads `t` and `u`, both enabled, commute: neither writes a
    /// resource the other reads or writes. Both rows must have been filled by `nextAccess`.
    @inline(__always)
    func independent(_ t: Int, _ u: Int, _ scratch: PORScratch) -> Bool {
        let wds = scratch.words
        let rt = scratch.reads + t * wds, wt = scratch.writes + t * wds
        let ru = scratch.reads + u * wds, wu = scratch.writes + u * wds
        for k in 0..<wds where (wt[k] & (ru[k] | wu[k])) | (wu[k] & rt[k]) != 0 { return false }
        return true
    }
}

/// The sleep set of every stored state, kept by the search (the merger), indexed like the
/// visited set. A state's sleep set only ever shrinks. Public for its tests.
public struct SleepSets: Sendable {
    /// Thread masks, one per stored state.
    private(set) var masks: [UInt64] = []

    public init() {}

    /// A state expanded before with sleep set `old` and met again with `incoming`: the threads
    /// to expand from it now, and its new sleep set.
    public struct Wake: Equatable, Sendable {
        public var threads: UInt64
        public var sleep: UInt64
        public init(threads: UInt64, sleep: UInt64) { self.threads = threads; self.sleep = sleep }
    }

    /// Bytes held, as reserved by doubling (see `doublingCapacity`): the same for the same input.
    public var bytes: Int { doublingCapacity(masks.count) * 8 }

    public subscript(_ i: Int) -> UInt64 { masks[i] }

    /// Records the sleep set of state `i` on insertion: for a new state it is `incoming`; for a
    /// known one, the intersection. Returns the threads that woke (nil when none did).
    public mutating func meet(_ i: Int, isNew: Bool, incoming: UInt64) -> Wake? {
        if isNew {
            precondition(i == masks.count, "states are numbered in insertion order")
            masks.append(incoming)
            return nil
        }
        let old = masks[i]
        let woken = old & ~incoming
        if woken == 0 { return nil }
        masks[i] = old & incoming
        return Wake(threads: woken, sleep: old & incoming)
    }
}
