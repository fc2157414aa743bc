import Foundation
import LockhuntBasics
import LockhuntProgram

/// A cache of folding results. Folding runs a thread's invisible instructions (local
/// assignments, branches, set updates, local assertions), which read and write nothing but the
/// thread's own locals, task flags and pc. So its result is a function of the thread, the pc it
/// starts from and the locals live there; without reductions, the same thread folds the same
/// local code from the same locals in every interleaving of the others, and interpreting it
/// again was the largest share of the search's time (docs/PERFORMANCE.md, "Reading a profile").
///
/// The key is the thread, the start pc and the thread's local bits masked to those live at the
/// start (the liveness masks of Analysis.swift): a dead local is never read before being written,
/// and folding clears it at the end if it stays dead. The value is the thread's local bits and
/// pc after folding. Bits of other threads or shared variables that share the thread's first or
/// last word are neither part of the key nor touched. Direct-mapped and exact (the whole key is
/// compared); a fold that faults is not cached, so faults are always computed afresh. Allocated
/// once per machine; a lookup allocates nothing.
struct FoldCache {
    private let slots: UnsafeMutablePointer<UInt64>
    /// Per thread, `maxWords` words: which bits of the thread's words are its locals.
    private let own: UnsafeMutablePointer<UInt64>
    private let maxWords: Int
    /// The key being looked up, kept for `finish` after a miss.
    private let key: UnsafeMutablePointer<UInt64>
    /// Words per entry: header, key words, result words, result pc.
    private let stride: Int
    static let entries = 1 << 14

    init(_ p: Program) {
        let ranges = p.analysis.localWordRange
        maxWords = ranges.map(\.count).max() ?? 0
        stride = 2 + 2 * maxWords
        own = .allocate(capacity: max(1, p.threads.count * maxWords))
        own.initialize(repeating: 0, count: max(1, p.threads.count * maxWords))
        for (t, info) in p.threads.enumerated() {
            for b in info.localBits {
                let w = b / 64 - ranges[t].first
                own[t * maxWords + w] |= UInt64(1) << UInt64(b % 64)
            }
        }
        key = .allocate(capacity: max(1, maxWords))
        // Zeroed pages from the system: a machine that folds little (a replay) touches few.
        slots = calloc(FoldCache.entries * stride, 8)!.bindMemory(to: UInt64.self, capacity: FoldCache.entries * stride)
    }

    package func release() {
        free(slots)
        own.deallocate()
        key.deallocate()
    }

    @inline(__always)
    private static func header(_ t: Int, _ start: Int) -> UInt64 { (UInt64(t) << 32 | UInt64(start)) &+ 1 }

    /// Builds the key from the thread's words `locals` and the live mask at the start pc, and
    /// returns its entry (which may hold another key).
    @inline(__always)
    func lookup(_ t: Int, _ start: Int, _ locals: UnsafePointer<UInt64>, _ n: Int,
                live: UnsafePointer<UInt64>) -> UnsafeMutablePointer<UInt64> {
        let mine = own + t * maxWords
        var h = FoldCache.header(t, start) &* 0x9E37_79B9_7F4A_7C15
        for w in 0..<n {
            let k = locals[w] & live[w] & mine[w]
            key[w] = k
            h = (h ^ k) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h &>> 32
        }
        return slots + (Int(truncatingIfNeeded: h &>> 40) & (FoldCache.entries - 1)) * stride
    }

    /// Whether the entry holds the key just looked up.
    @inline(__always)
    func hit(_ e: UnsafeMutablePointer<UInt64>, _ t: Int, _ start: Int, _ n: Int) -> Bool {
        if e[0] != FoldCache.header(t, start) { return false }
        for w in 0..<n where e[1 + w] != key[w] { return false }
        return true
    }

    /// Writes the cached locals of thread `t` into its words, leaving other bits alone.
    @inline(__always)
    func restore(_ e: UnsafeMutablePointer<UInt64>, _ t: Int, into locals: UnsafeMutablePointer<UInt64>, _ n: Int) {
        let mine = own + t * maxWords
        for w in 0..<n { locals[w] = (locals[w] & ~mine[w]) | e[1 + n + w] }
    }

    @inline(__always)
    func pc(_ e: UnsafeMutablePointer<UInt64>, _ n: Int) -> Int64 { Int64(bitPattern: e[1 + 2 * n]) }

    /// After a fold (that did not fault) missed: store the key looked up and the result.
    @inline(__always)
    func finish(_ e: UnsafeMutablePointer<UInt64>, _ t: Int, _ start: Int, _ locals: UnsafePointer<UInt64>, _ n: Int, pc: Int64) {
        let mine = own + t * maxWords
        for w in 0..<n {
            e[1 + w] = key[w]
            e[1 + n + w] = locals[w] & mine[w]
        }
        e[1 + 2 * n] = UInt64(bitPattern: pc)
        e[0] = FoldCache.header(t, start)
    }
}
