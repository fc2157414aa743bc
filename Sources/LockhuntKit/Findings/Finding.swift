/// A finding explained: the steps that lead to it, as a kernel developer reads them, and for a
/// deadlock who holds what and who waits for what.

/// One step of a run: which thread moved, on which branch of a choice, and what it did.
public struct Transition: Sendable, Equatable {
    public var thread: Int
    public var choice: Int
    public var event: StepEvent
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
}
