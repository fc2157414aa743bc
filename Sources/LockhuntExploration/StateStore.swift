import CPrefetch
import LockhuntBasics
import LockhuntProgram

/// Every state reached, packed back to back in fixed-size blocks, with a parent link each, and
/// an open-addressing hash table over them (the visited set). A state's index is its discovery
/// order, so in a breadth-first search the store is also the queue.
///
/// Blocks never move once allocated, and the table of block pointers is reserved up front, so
/// a state's address is stable: parallel workers read the states of one level while the merger
/// appends the next.
///
/// Only a state's first `storedWords` words are kept: the words after them hold flags that no
/// instruction changes (Layout.swift), the same in every state, and `load` puts them back from
/// the initial state. A state that differs there stops the search (a compiler bug, never a
/// silent merge).
///
/// Table slots are 64 bits: state index + 1 in the high half, the low 32 bits of the state's
/// hash in the low half. A state's slot is its hash modulo the table size, so growing the table
/// needs only the slots, never the states (which would be a cache miss each); the stored bits
/// above the table size reject most mismatches without touching the state. Linear probing,
/// load factor at most one half (linear probing degrades quickly past it).
final class StateStore {
    /// Words of a whole state, and of the part stored.
    let words: Int
    let storedWords: Int
    /// The constant words `storedWords..<words`.
    private let tail: UnsafeMutablePointer<UInt64>
    private(set) var count = 0
    private let blockShift = 16
    private var blockMask: Int { (1 << blockShift) - 1 }
    private let blocks: UnsafeMutablePointer<UnsafeMutablePointer<UInt64>?>
    private let parentBlocks: UnsafeMutablePointer<UnsafeMutablePointer<UInt32>?>
    private var blockCount = 0
    private let maxBlocks: Int
    private var table: UnsafeMutablePointer<UInt64>
    private var tableMask: Int

    static let noParent = UInt32.max
    /// How many inserts ahead the merge prefetches a successor's slot (measured: PERFORMANCE.md).
    static let prefetchDistance = 16
    /// The most states one store can hold (indices are 32-bit).
    static let maxStates = Int(UInt32.max - 2)

    /// A store for `program`'s states.
    convenience init(_ program: Program) {
        self.init(words: program.wordsPerState, storedWords: program.storedWordsPerState,
                  tail: Array(program.rawInitialState[program.storedWordsPerState...]))
    }

    init(words: Int, storedWords: Int, tail: [UInt64]) {
        precondition(storedWords + tail.count == words && storedWords >= 1)
        self.words = words
        self.storedWords = storedWords
        self.tail = .allocate(capacity: max(1, tail.count))
        self.tail.initialize(from: tail, count: tail.count)
        maxBlocks = (StateStore.maxStates >> 16) + 1
        blocks = .allocate(capacity: maxBlocks)
        parentBlocks = .allocate(capacity: maxBlocks)
        let tableSize = 1 << 12
        table = .allocate(capacity: tableSize)
        table.initialize(repeating: 0, count: tableSize)
        tableMask = tableSize - 1
    }

    deinit {
        for b in 0..<blockCount {
            blocks[b]!.deallocate()
            parentBlocks[b]!.deallocate()
        }
        blocks.deallocate()
        parentBlocks.deallocate()
        table.deallocate()
        tail.deallocate()
    }

    /// Bytes held, for the memory limit and statistics.
    var bytes: Int { blockCount * (1 << blockShift) * (storedWords * 8 + 4) + (tableMask + 1) * 8 + maxBlocks * 16 }

    /// The stored part of state `i`.
    @inline(__always)
    private func stored(_ i: Int) -> UnsafeMutablePointer<UInt64> { blocks[i &>> blockShift]! + (i & blockMask) * storedWords }

    /// Copies state `i`, whole, to `s`.
    @inline(__always)
    func load(_ i: Int, into s: UnsafeMutablePointer<UInt64>) {
        s.update(from: stored(i), count: storedWords)
        (s + storedWords).update(from: tail, count: words - storedWords)
    }

    /// State `i`, whole, as an array (for traces).
    func state(_ i: Int) -> [UInt64] {
        [UInt64](unsafeUninitializedCapacity: words) { buffer, count in
            load(i, into: buffer.baseAddress!)
            count = words
        }
    }

    @inline(__always)
    func parent(_ i: Int) -> Int {
        let p = parentBlocks[i &>> blockShift]![i & blockMask]
        return p == StateStore.noParent ? -1 : Int(p)
    }

    @inline(__always)
    static func hash(_ s: UnsafePointer<UInt64>, _ words: Int) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(words)
        for i in 0..<words {
            h = (h ^ s[i]) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 32
        }
        h = (h ^ (h >> 29)) &* 0xC4CE_B9FE_1A85_EC53
        return h ^ (h >> 32)
    }

    /// Asks the cache for the table slot that a state with hash `h` probes first, some inserts
    /// ahead of inserting it (CPrefetch.h). A hint only: a rehash in between costs a miss.
    @inline(__always)
    func prefetch(hash h: UInt64) {
        lh_prefetch(table + home(h & 0xFFFF_FFFF))
    }

    /// The slot where probing for a state with this tag (its hash's low 32 bits) starts.
    @inline(__always)
    private func home(_ tag: UInt64) -> Int { Int(truncatingIfNeeded: tag) & tableMask }

    /// Adds `s` unless present. Returns its index and whether it was new.
    @inline(__always)
    func insert(_ s: UnsafePointer<UInt64>, parent: Int) -> (index: Int, isNew: Bool) {
        insert(s, hash: StateStore.hash(s, words), parent: parent)
    }

    /// The same with the hash already computed (by a parallel worker).
    @inline(__always)
    func insert(_ s: UnsafePointer<UInt64>, hash h: UInt64, parent: Int) -> (index: Int, isNew: Bool) {
        for w in storedWords..<words {
            precondition(s[w] == tail[w - storedWords], "a flag laid out as constant changed (Compiler.changedFlags)")
        }
        let tag = h & 0xFFFF_FFFF
        var slot = home(tag)
        while true {
            let v = table[slot]
            if v == 0 { break }
            if v & 0xFFFF_FFFF == tag {
                let idx = Int(v >> 32) - 1
                let other = stored(idx)
                var same = true
                for w in 0..<storedWords where other[w] != s[w] { same = false; break }
                if same { return (idx, false) }
            }
            slot = (slot + 1) & tableMask
        }
        let idx = count
        if idx & blockMask == 0 { addBlock() }
        stored(idx).update(from: s, count: storedWords)
        parentBlocks[idx &>> blockShift]![idx & blockMask] = parent < 0 ? StateStore.noParent : UInt32(parent)
        count += 1
        table[slot] = (UInt64(idx + 1) << 32) | tag
        if count * 2 > tableMask + 1 { rehash() }
        return (idx, true)
    }

    private func addBlock() {
        precondition(blockCount < maxBlocks, "state store full")
        blocks[blockCount] = .allocate(capacity: (1 << blockShift) * storedWords)
        parentBlocks[blockCount] = .allocate(capacity: 1 << blockShift)
        blockCount += 1
    }

    private func rehash() {
        let old = table
        let oldSize = tableMask + 1
        let size = oldSize * 2
        precondition(size <= 1 << 32, "state table larger than its 32-bit slot positions")
        table = .allocate(capacity: size)
        table.initialize(repeating: 0, count: size)
        tableMask = size - 1
        for i in 0..<oldSize where old[i] != 0 {
            var slot = home(old[i] & 0xFFFF_FFFF)
            while table[slot] != 0 { slot = (slot + 1) & tableMask }
            table[slot] = old[i]
        }
        old.deallocate()
    }

    /// Indices from the initial state to `i`.
    func path(to i: Int) -> [Int] {
        var out: [Int] = []
        var cur = i
        while cur >= 0 {
            out.append(cur)
            cur = parent(cur)
        }
        return out.reversed()
    }
}
