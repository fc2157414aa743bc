import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration

/// Who holds which folio and buffer lock along a run, and at which step each was taken.
/// Folio locks have no owner in the kernel (I/O completion may release them); the ledger
/// records the task that took the lock, which is what a reader wants to know.
public struct LockLedger {
    public struct Entry: Sendable, Equatable {
        public var thread: Int
        /// 0-based index of the step that took the lock.
        public var step: Int
    }

    /// Keyed by "folio A" / "buffer bh".
    public private(set) var held: [String: Entry] = [:]

    public init() {}

    public mutating func apply(_ tr: Transition, step: Int, program: Program) {
        let ins = program.ir[Int(tr.event.pc)]
        let folio = "folio \(program.folioName(tr.event.object))"
        let buffer = "buffer \(program.bufferName(tr.event.object))"
        switch ins.op {
        case .folioLock: held[folio] = Entry(thread: tr.thread, step: step)
        case .folioTrylock: if tr.event.outcome != 0 { held[folio] = Entry(thread: tr.thread, step: step) }
        case .folioUnlock: held[folio] = nil
        case .lockBuffer: held[buffer] = Entry(thread: tr.thread, step: step)
        case .trylockBuffer: if tr.event.outcome != 0 { held[buffer] = Entry(thread: tr.thread, step: step) }
        case .unlockBuffer: held[buffer] = nil
        default: break
        }
    }

    /// "jbd2: buffer bh; kcompactd: folio X, folio A" in thread order.
    public func summary(_ program: Program) -> String {
        var byThread: [Int: [(String, Int)]] = [:]
        for (lock, e) in held { byThread[e.thread, default: []].append((lock, e.step)) }
        if byThread.isEmpty { return "nothing" }
        return byThread.keys.sorted().map { t in
            "\(program.threads[t].name): " + byThread[t]!.sorted { $0.1 < $1.1 }.map(\.0).joined(separator: ", ")
        }.joined(separator: "; ")
    }
}
