import LockhuntBasics
import LockhuntLanguage

/// What one step did, for traces and replay: which instruction ran, on which object, with what
/// outcome. Filled by the machine for every step it computes (a few stores, no allocation).
public struct StepEvent: Sendable, Equatable {
    public var thread: Int32 = -1
    /// Global pc of the visible instruction.
    public var pc: Int32 = -1
    /// Folio or buffer id the step acted on (0 if none), or the shared variable element.
    public var object: Int64 = 0
    /// trylock result, value read or written, choice index.
    public var outcome: Int64 = 0
    /// Element index of a shared array access.
    public var index: Int64 = 0

    public init() {}
}
