import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration

/// A finding explained: the steps that lead to it, as a kernel developer reads them, and for a
/// deadlock who holds what and who waits for what.

/// One step of a run: which thread moved, on which branch of a choice, and what it did.
public struct Transition: Sendable, Equatable {
    public var thread: Int
    public var choice: Int
    public var event: StepEvent

    /// The memberwise initializer, for the other layers of the package.
    package init(thread: Int, choice: Int, event: StepEvent) {
        self.thread = thread
        self.choice = choice
        self.event = event
    }
}

/// A step as reports and trace files show it.
public struct TraceStep: Sendable, Equatable, Codable {
    public var thread: String
    public var operation: String
    public var outcome: String
    /// `path:line:col` of the call in the model.
    public var location: String
    /// The innermost model function (or the thread) the step is in.
    public var function: String

    public init(thread: String, operation: String, outcome: String, location: String, function: String) {
        self.thread = thread
        self.operation = operation
        self.outcome = outcome
        self.location = location
        self.function = function
    }

    /// Two steps are the same step when thread, operation and outcome agree; the location may
    /// have moved with unrelated edits.
    public func matches(_ other: TraceStep) -> Bool {
        thread == other.thread && operation == other.operation && outcome == other.outcome
    }
}

/// A lock held at the point of the finding, and where it was taken.
public struct HeldLock: Sendable, Equatable, Codable {
    /// `folio A` or `buffer bh`.
    public var lock: String
    /// The step (1-based) that took it, and where.
    public var step: Int
    public var location: String
    public var function: String
    public var operation: String
}

/// One task of a deadlock.
public struct BlockedTask: Sendable, Equatable, Codable {
    public var thread: String
    /// `lock_buffer(bh)`
    public var waitsFor: String
    public var location: String
    public var function: String
    /// Innermost first: `buffer_migrate_lock_buffers <- __buffer_migrate_folio <- ...`.
    public var callChain: [String]
    public var holds: [HeldLock]
    /// Who holds what it waits for (a thread, possibly outside the cycle or finished), if a lock.
    public var heldBy: String?
    /// Tasks of the deadlock that could release it, if they ever ran again.
    public var releasers: [String]
    /// The awaited lock (`buffer bh`), nil for `wait_event` and other waits.
    public var lock: String? = nil
    /// Where and when the holder (`heldBy`) took the awaited lock.
    public var heldSince: HeldLock? = nil
    /// The holder has finished: the lock was handed off (to an I/O completion, say).
    public var holderFinished = false
    /// Where the releasers would end the wait (`unlock_buffer(bh)` in loop_worker), if they ran.
    public var releaseSites: [ReleaseSite] = []
}

/// A place where a task would release a lock (or write what a `wait_event` reads).
public struct ReleaseSite: Sendable, Equatable, Codable {
    public var thread: String
    /// `unlock_buffer(bh)`, `loop_bio_queued = ...`.
    public var operation: String
    public var location: String
    public var function: String
}

/// lockdep's "possible unsafe locking scenario": one column per task, only the lock operations
/// that make the deadlock, in order, then the waits that never end.
public struct UnsafeScenario: Sendable, Equatable {
    public struct Line: Sendable, Equatable {
        public var column: Int
        public var text: String
    }
    public var columns: [String]
    public var lines: [Line]
}

/// A write to shared state along a run (1-based step).
public struct SharedWrite: Sendable, Equatable, Codable {
    /// `x`, `PG_uptodate of folio A`.
    public var resource: String
    public var step: Int
    public var thread: String
    public var operation: String
    public var location: String
}

/// A write that never counted: another task overwrote it with a value computed from what it had
/// read before the write.
public struct LostWrite: Sendable, Equatable, Codable {
    public var write: SharedWrite
    public var overwrittenBy: SharedWrite
    /// The overwriting task's read of the old value (`operation` is the load), if there was one.
    public var staleRead: SharedWrite?
}

/// For a broken invariant: what the failing check reads, who wrote it last, and which writes
/// were lost.
public struct ViolationAccount: Sendable, Equatable {
    /// Shared state the failing check reads.
    public var reads: [String]
    public var lastWrites: [SharedWrite]
    public var lost: [LostWrite]
}

/// How a counterexample was shortened after the search.
public struct Minimisation: Sendable, Equatable {
    public var stepsBefore: Int
    public var switchesBefore: Int
    public var steps: Int
    public var switches: Int
    /// Why the fewest-context-switch search was skipped or cut short, if it was.
    public var note: String?
}

public enum FindingKind: Sendable, Equatable {
    case deadlock([BlockedTask])
    /// Thread, message, location, function.
    case violation(thread: String, message: String, location: String, function: String)

    public var verdict: Verdict {
        if case .deadlock = self { return .deadlock }
        return .violation
    }
}

public struct Finding: Sendable {
    public var kind: FindingKind
    public var steps: [TraceStep]
    /// Threads in the deadlock, in a cycle order when there is a cycle (each waits for the next).
    public var cycle: [String]
    /// For a deadlock: the interleaving in the fewest lines.
    public var scenario: UnsafeScenario? = nil
    /// For a violation: the writes behind it.
    public var account: ViolationAccount? = nil
    /// Set when the trace was minimised after the search.
    public var minimisation: Minimisation? = nil

    public init(kind: FindingKind, steps: [TraceStep], cycle: [String]) {
        self.kind = kind
        self.steps = steps
        self.cycle = cycle
    }
}
