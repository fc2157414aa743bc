/// Every state reached, packed back to back, with a parent link each, and an open-addressing
/// hash table over them (the visited set). A state's index is its discovery order, so in a
/// breadth-first search the store is also the queue.
///
/// Table slots are 64 bits: state index + 1 in the high half, the low 32 bits of the state's
/// hash in the low half. A state's slot is its hash modulo the table size, so growing the table
/// needs only the slots, never the states (which would be a cache miss each); the stored bits
/// above the table size reject most mismatches without touching the state. Linear probing,
/// load factor at most one half (linear probing degrades quickly past it).
final class StateStore {
    let words: Int
    private(set) var count = 0
    private var capacity: Int
    private(set) var data: UnsafeMutablePointer<UInt64>
    private(set) var parents: UnsafeMutablePointer<UInt32>
    private var table: UnsafeMutablePointer<UInt64>
    private var tableMask: Int

    static let noParent = UInt32.max
    /// The most states one store can hold (indices are 32-bit).
    static let maxStates = Int(UInt32.max - 2)

    init(words: Int, initialCapacity: Int = 1 << 12) {
        self.words = words
        capacity = initialCapacity
        data = .allocate(capacity: capacity * words)
        parents = .allocate(capacity: capacity)
        let tableSize = initialCapacity * 2
        table = .allocate(capacity: tableSize)
        table.initialize(repeating: 0, count: tableSize)
        tableMask = tableSize - 1
    }

    deinit {
        data.deallocate()
        parents.deallocate()
        table.deallocate()
    }

    /// Bytes held, for the memory limit and statistics.
    var bytes: Int { capacity * (words * 8 + 4) + (tableMask + 1) * 8 }

    @inline(__always)
    func state(_ i: Int) -> UnsafeMutablePointer<UInt64> { data + i * words }

    @inline(__always)
    func parent(_ i: Int) -> Int {
        let p = parents[i]
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

    /// Adds `s` unless present. Returns its index and whether it was new.
    @inline(__always)
    func insert(_ s: UnsafePointer<UInt64>, parent: Int) -> (index: Int, isNew: Bool) {
        let h = StateStore.hash(s, words)
        let tag = h & 0xFFFF_FFFF
        var slot = Int(truncatingIfNeeded: tag) & tableMask
        while true {
            let v = table[slot]
            if v == 0 { break }
            if v & 0xFFFF_FFFF == tag {
                let idx = Int(v >> 32) - 1
                let other = data + idx * words
                var same = true
                for w in 0..<words where other[w] != s[w] { same = false; break }
                if same { return (idx, false) }
            }
            slot = (slot + 1) & tableMask
        }
        if count == capacity { grow() }
        let idx = count
        (data + idx * words).update(from: s, count: words)
        parents[idx] = parent < 0 ? StateStore.noParent : UInt32(parent)
        count += 1
        table[slot] = (UInt64(idx + 1) << 32) | tag
        if count * 2 > tableMask + 1 { rehash() }
        return (idx, true)
    }

    private func grow() {
        let newCapacity = capacity * 2
        let newData = UnsafeMutablePointer<UInt64>.allocate(capacity: newCapacity * words)
        newData.moveInitialize(from: data, count: count * words)
        data.deallocate()
        data = newData
        let newParents = UnsafeMutablePointer<UInt32>.allocate(capacity: newCapacity)
        newParents.moveInitialize(from: parents, count: count)
        parents.deallocate()
        parents = newParents
        capacity = newCapacity
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
            var slot = Int(truncatingIfNeeded: old[i] & 0xFFFF_FFFF) & tableMask
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
