/// Puts a state in canonical form under the program's symmetry groups: within each group of
/// interchangeable threads, the threads' local states (locals and pc) are sorted, so that all
/// states that differ only by a permutation of those threads are stored as one.
struct Canonicalizer {
    /// Per group member (flattened): its thread.
    private let threads: [Int]
    /// Per group member (flattened): its locals' bit range and its pc field.
    private let starts: [Int]
    private let counts: [Int]
    private let pcFields: [Int32]
    private let groupEnds: [Int]
    private let keyWords: Int
    private let keys: UnsafeMutablePointer<UInt64>
    private let order: UnsafeMutablePointer<Int>
    private let maxMembers: Int

    init?(_ p: Program) {
        let groups = p.symmetry.groups
        guard !groups.isEmpty else { return nil }
        var starts: [Int] = [], counts: [Int] = [], pcs: [Int32] = [], ends: [Int] = [], members: [Int] = []
        var width = 0
        for g in groups {
            for t in g {
                members.append(t)
                starts.append(p.threads[t].localBits.lowerBound)
                counts.append(p.threads[t].localBits.count)
                pcs.append(Int32(p.threads[t].pcField))
                width = max(width, p.threads[t].localBits.count)
            }
            ends.append(starts.count)
        }
        self.threads = members
        self.starts = starts
        self.counts = counts
        self.pcFields = pcs
        self.groupEnds = ends
        keyWords = (width + 63) / 64 + 1
        maxMembers = groups.map(\.count).max() ?? 0
        keys = .allocate(capacity: maxMembers * keyWords)
        order = .allocate(capacity: maxMembers)
    }

    func release() {
        keys.deallocate()
        order.deallocate()
    }

    @inline(__always)
    private static func read(_ s: UnsafePointer<UInt64>, _ pos: Int, _ n: Int) -> UInt64 {
        let w = pos >> 6, off = pos & 63
        var v = s[w] >> UInt64(off)
        if off + n > 64 { v |= s[w + 1] << UInt64(64 - off) }
        return n == 64 ? v : v & ((UInt64(1) << UInt64(n)) - 1)
    }

    @inline(__always)
    private static func write(_ s: UnsafeMutablePointer<UInt64>, _ pos: Int, _ n: Int, _ v: UInt64) {
        let w = pos >> 6, off = pos & 63
        let mask: UInt64 = n == 64 ? ~0 : (UInt64(1) << UInt64(n)) - 1
        s[w] = (s[w] & ~(mask << UInt64(off))) | ((v & mask) << UInt64(off))
        if off + n > 64 {
            let spill = off + n - 64
            let m2 = (UInt64(1) << UInt64(spill)) - 1
            s[w + 1] = (s[w + 1] & ~m2) | ((v >> UInt64(64 - off)) & m2)
        }
    }

    private func less(_ a: Int, _ b: Int) -> Bool {
        for w in 0..<keyWords {
            let x = keys[a * keyWords + w], y = keys[b * keyWords + w]
            if x != y { return x < y }
        }
        return false
    }

    /// Rewrites `s` in place into its canonical form.
    func canonicalize(_ s: UnsafeMutablePointer<UInt64>, _ machine: inout Machine) {
        var none: UInt64 = 0
        canonicalize(s, &machine, threads: &none)
    }

    /// The same, and renames the threads of the mask `threads` (a sleep set) as the state's
    /// threads were: the bit of the thread whose local state moved to member m's place moves too.
    func canonicalize(_ s: UnsafeMutablePointer<UInt64>, _ machine: inout Machine, threads mask: inout UInt64) {
        let before = mask
        var begin = 0
        for end in groupEnds {
            let n = end - begin
            // Keys: the pc first (it tells most threads apart), then the locals.
            for m in 0..<n {
                let i = begin + m
                let key = keys + m * keyWords
                key[0] = UInt64(bitPattern: machine.get(s, pcFields[i]))
                var w = 0
                while w * 64 < counts[i] {
                    key[1 + w] = Canonicalizer.read(s, starts[i] + w * 64, min(64, counts[i] - w * 64))
                    w += 1
                }
                order[m] = m
            }
            var sorted = true
            for m in 1..<n where less(m, m - 1) { sorted = false; break }
            if !sorted {
                // Insertion sort: groups are small.
                for m in 1..<n {
                    let x = order[m]
                    var j = m
                    while j > 0 && less(x, order[j - 1]) { order[j] = order[j - 1]; j -= 1 }
                    order[j] = x
                }
                for m in 0..<n {
                    let i = begin + m
                    let from = UInt64(1) << UInt64(threads[begin + order[m]]), to = UInt64(1) << UInt64(threads[i])
                    mask = before & from != 0 ? mask | to : mask & ~to
                    let key = keys + order[m] * keyWords
                    _ = machine.put(s, pcFields[i], Int64(bitPattern: key[0]), 0)
                    var w = 0
                    while w * 64 < counts[i] {
                        Canonicalizer.write(s, starts[i] + w * 64, min(64, counts[i] - w * 64), key[1 + w])
                        w += 1
                    }
                }
            }
            begin = end
        }
    }
}
