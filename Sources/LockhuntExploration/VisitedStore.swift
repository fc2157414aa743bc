import CPrefetch
import LockhuntBasics
import LockhuntProgram

/// What a breadth-first search needs from the set of visited states: insert with a known hash,
/// read the states of the level being expanded, and rebuild the path to a state.
protocol VisitedStore: AnyObject, SendableMetatype {
    var words: Int { get }
    var count: Int { get }
    var bytes: Int { get }
    /// Whether `load` can give back any state, not only those of the current level (sleep sets
    /// expand old states again).
    var keepsEveryState: Bool { get }
    /// Copies a state of the level being expanded (or, for the exact store, any state), whole.
    func load(_ i: Int, into s: UnsafeMutablePointer<UInt64>)
    func insert(_ s: UnsafePointer<UInt64>, hash: UInt64, parent: Int, label: UInt16) -> (index: Int, isNew: Bool)
    /// A hint that a state with this hash will be inserted soon (StateStore.prefetch).
    func prefetch(hash: UInt64)
    /// The states `start..<end` are the next level to expand; those before it are done.
    func beginLevel(start: Int, end: Int)
    /// The states from the initial one to state `i`.
    func pathStates(to i: Int) -> [[UInt64]]
}

extension StateStore: VisitedStore {
    var keepsEveryState: Bool { true }

    func insert(_ s: UnsafePointer<UInt64>, hash: UInt64, parent: Int, label: UInt16) -> (index: Int, isNew: Bool) {
        insert(s, hash: hash, parent: parent)
    }

    func beginLevel(start: Int, end: Int) {}

    func pathStates(to i: Int) -> [[UInt64]] {
        path(to: i).map(state)
    }
}

/// Hash compaction (Wolper and Leroy): the visited set keeps only a 64-bit hash of each state,
/// with its parent and the step that reached it; full states are kept only for the level being
/// expanded and the next one. Two states with the same hash count as one, so a state may be
/// missed, with probability at most n(n-1)/2^65 for n states (`omissionProbability`): a "no
/// deadlock" verdict is then very probably, not certainly, right. Findings stay sound: their
/// paths are rebuilt by replaying the recorded steps, and replayed again by every trace check.
final class CompactStore: VisitedStore {
    let words: Int
    var keepsEveryState: Bool { false }
    private(set) var count = 0
    private var table: UnsafeMutablePointer<UInt64>
    private var tableMask: Int
    private var parents: [UInt32] = []
    private var labels: [UInt16] = []
    // States of the current level (from `currentStart`) and of the next one.
    private var current: UnsafeMutablePointer<UInt64>
    private var currentStart = 0
    private var currentCount = 0
    private var next: UnsafeMutablePointer<UInt64>
    private var nextStart = 0
    private var nextCount = 0
    private var nextCapacity = 1024
    private var peakLevelStates = 0
    /// Replays a label path from the initial state (the explorer provides it).
    private let replay: ([UInt16]) -> [[UInt64]]

    init(words: Int, replay: @escaping ([UInt16]) -> [[UInt64]]) {
        self.words = words
        self.replay = replay
        table = .allocate(capacity: 1 << 12)
        table.initialize(repeating: 0, count: 1 << 12)
        tableMask = (1 << 12) - 1
        current = .allocate(capacity: 1)
        next = .allocate(capacity: nextCapacity * words)
    }

    deinit {
        table.deallocate()
        current.deallocate()
        next.deallocate()
    }

    var bytes: Int { (tableMask + 1) * 8 + doublingCapacity(parents.count) * 4 + doublingCapacity(labels.count) * 2 + (peakLevelStates + nextCapacity) * words * 8 }

    /// The chance that some state was never explored because its hash equalled another's.
    var omissionProbability: Double {
        let n = Double(count)
        return min(1, n * (n - 1) / 2 / 18_446_744_073_709_551_616.0)
    }

    func prefetch(hash: UInt64) {
        lh_prefetch(table + home(hash | 1))
    }

    /// The slot where probing for `key` (a hash with its low bit set, 0 marking an empty slot)
    /// starts.
    @inline(__always)
    private func home(_ key: UInt64) -> Int { Int(truncatingIfNeeded: key >> 1) & tableMask }

    func load(_ i: Int, into s: UnsafeMutablePointer<UInt64>) {
        let from = i >= nextStart ? next + (i - nextStart) * words : current + (i - currentStart) * words
        s.update(from: from, count: words)
    }

    func insert(_ s: UnsafePointer<UInt64>, hash: UInt64, parent: Int, label: UInt16) -> (index: Int, isNew: Bool) {
        let key = hash | 1  // 0 marks an empty slot
        var slot = home(key)
        while true {
            let v = table[slot]
            if v == 0 { break }
            if v == key { return (-1, false) }
            slot = (slot + 1) & tableMask
        }
        table[slot] = key
        if nextCount == nextCapacity {
            let bigger = UnsafeMutablePointer<UInt64>.allocate(capacity: nextCapacity * 2 * words)
            bigger.moveInitialize(from: next, count: nextCount * words)
            next.deallocate()
            next = bigger
            nextCapacity *= 2
        }
        (next + nextCount * words).update(from: s, count: words)
        nextCount += 1
        parents.append(parent < 0 ? UInt32.max : UInt32(parent))
        labels.append(label)
        count += 1
        if count * 2 > tableMask + 1 { rehash() }
        return (count - 1, true)
    }

    private func rehash() {
        let old = table, oldSize = tableMask + 1
        table = .allocate(capacity: oldSize * 2)
        table.initialize(repeating: 0, count: oldSize * 2)
        tableMask = oldSize * 2 - 1
        for i in 0..<oldSize where old[i] != 0 {
            var slot = home(old[i])
            while table[slot] != 0 { slot = (slot + 1) & tableMask }
            table[slot] = old[i]
        }
        old.deallocate()
    }

    func beginLevel(start: Int, end: Int) {
        // The next level becomes the current one; a fresh buffer takes the one after.
        precondition(start == nextStart && end == nextStart + nextCount)
        current.deallocate()
        current = next
        currentStart = nextStart
        currentCount = nextCount
        peakLevelStates = max(peakLevelStates, currentCount)
        nextStart = end
        nextCount = 0
        nextCapacity = max(1024, currentCount)
        next = .allocate(capacity: nextCapacity * words)
    }

    func pathStates(to i: Int) -> [[UInt64]] {
        var steps: [UInt16] = []
        var cur = i
        while cur > 0 {
            steps.append(labels[cur])
            let p = parents[cur]
            cur = p == UInt32.max ? -1 : Int(p)
        }
        return replay(steps.reversed())
    }
}
