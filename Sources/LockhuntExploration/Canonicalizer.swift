import LockhuntBasics
import LockhuntProgram

/// Puts a state in canonical form under the program's symmetry groups (Symmetry.swift): within
/// each group the members are sorted by what they hold, seen from one place (the first
/// member's): its pc, its live locals with every folio, buffer, list or set of its own folios
/// renamed to the first member's, and the flags and per-folio shared entries of its own folios.
/// The member sorted into place i then gets that content back, renamed to member i's folios.
/// All states that differ only by a swap of members (and their folios) become one.
///
/// A state where a member holds another member's own folio cannot arise from code that passed
/// detection; if one ever did, its group is left as it is: a state stored in a form that is not
/// the canonical one costs a duplicate, never a lost state.
package struct Canonicalizer {
    private let groups: [GroupTable]
    private let fields: [Field]
    private let keyWords: Int
    private let keys: UnsafeMutablePointer<UInt64>
    private let order: UnsafeMutablePointer<Int>
    /// One set's worth of words, for renaming a set.
    private let scratch: UnsafeMutablePointer<UInt64>
    /// Groups whose members are swapped bit for bit (`GroupTable.copiesBits`), the common case
    /// (copies of one declaration) kept on a short path: members flattened, group after group
    /// (`groupEnd`), with each member's thread, pc bit and locals' bits.
    private let copies: [Bool]
    private let groupEnd: [Int]
    private let pcWidth: [Int]
    private let keyLength: [Int]
    private let memberThread: UnsafeMutablePointer<Int>
    private let memberPc: UnsafeMutablePointer<Int>
    private let memberStart: UnsafeMutablePointer<Int>
    private let memberBits: UnsafeMutablePointer<Int>

    package init?(_ p: Program) {
        guard !p.symmetry.isEmpty else { return nil }
        let tables = p.symmetry.groups.indices.map { GroupTable(p, group: $0) }
        groups = tables
        fields = p.fields
        copies = tables.map(\.copiesBits)
        pcWidth = tables.map(\.pcWidth)
        keyLength = tables.map(\.keyWords)
        var ends: [Int] = []
        var members = 0
        for g in tables { members += g.threads.count; ends.append(members) }
        groupEnd = ends
        memberThread = .allocate(capacity: members)
        memberPc = .allocate(capacity: members)
        memberStart = .allocate(capacity: members)
        memberBits = .allocate(capacity: members)
        var i = 0
        for g in tables {
            for m in g.threads.indices {
                memberThread[i] = g.threads[m]
                memberPc[i] = g.pcBits[m]
                memberStart[i] = g.localBits[m].lowerBound
                memberBits[i] = g.localBits[m].count
                i += 1
            }
        }
        keyWords = tables.map(\.keyWords).max() ?? 1
        let most = tables.map(\.threads.count).max() ?? 0
        keys = .allocate(capacity: most * keyWords)
        order = .allocate(capacity: most)
        scratch = .allocate(capacity: max(1, tables.map(\.setWords).max() ?? 1))
    }

    package func release() {
        keys.deallocate()
        order.deallocate()
        scratch.deallocate()
        memberThread.deallocate(); memberPc.deallocate(); memberStart.deallocate(); memberBits.deallocate()
    }

    /// Rewrites `s` in place into its canonical form.
    package func canonicalize(_ s: UnsafeMutablePointer<UInt64>) {
        var none: UInt64 = 0
        canonicalize(s, threads: &none)
    }

    /// The same, and renames the threads of the mask `threads` (a sleep set) as the state's
    /// threads were: the bit of the thread whose local state moved to member m's place moves too.
    package func canonicalize(_ s: UnsafeMutablePointer<UInt64>, threads mask: inout UInt64) {
        var begin = 0
        for gi in 0..<groupEnd.count {
            let end = groupEnd[gi]
            if copies[gi] {
                sortCopies(members: begin..<end, pcWidth: pcWidth[gi], words: keyLength[gi], s, &mask)
            } else {
                sortRenaming(groups[gi], s, &mask)
            }
            begin = end
        }
    }

    /// Sorts a group of copies by (pc, locals), moving their bits as they are.
    private func sortCopies(members: Range<Int>, pcWidth: Int, words: Int, _ s: UnsafeMutablePointer<UInt64>, _ mask: inout UInt64) {
        let n = members.count
        for m in 0..<n {
            let i = members.lowerBound + m
            let key = keys + m * keyWords
            key[0] = Canonicalizer.read(s, memberPc[i], pcWidth)
            var w = 0
            while w * 64 < memberBits[i] {
                key[1 + w] = Canonicalizer.read(s, memberStart[i] + w * 64, min(64, memberBits[i] - w * 64))
                w += 1
            }
        }
        guard sortKeys(n, words: words) else { return }
        let before = mask
        for m in 0..<n {
            let i = members.lowerBound + m
            let from = UInt64(1) << UInt64(memberThread[members.lowerBound + order[m]]), to = UInt64(1) << UInt64(memberThread[i])
            mask = before & from != 0 ? mask | to : mask & ~to
            let key = keys + order[m] * keyWords
            Canonicalizer.write(s, memberPc[i], pcWidth, key[0])
            var w = 0
            while w * 64 < memberBits[i] {
                Canonicalizer.write(s, memberStart[i] + w * 64, min(64, memberBits[i] - w * 64), key[1 + w])
                w += 1
            }
        }
    }

    /// Sorts a group whose members are renamed as they move (own folios, or locals laid out
    /// differently).
    private func sortRenaming(_ g: GroupTable, _ s: UnsafeMutablePointer<UInt64>, _ mask: inout UInt64) {
        let n = g.threads.count
        for m in 0..<n where !readKey(g, m, s) { return }
        guard sortKeys(n, words: g.keyWords) else { return }
        let before = mask
        for i in 0..<n {
            let from = UInt64(1) << UInt64(g.threads[order[i]]), to = UInt64(1) << UInt64(g.threads[i])
            mask = before & from != 0 ? mask | to : mask & ~to
            writeKey(g, order[i], into: i, s)
        }
    }

    /// Sorts keys 0..<n into `order`; false if they were in order already (nothing to move).
    private func sortKeys(_ n: Int, words: Int) -> Bool {
        var sorted = true
        for m in 1..<n where less(m, m - 1, words) { sorted = false; break }
        if sorted { return false }
        for m in 0..<n { order[m] = m }
        // Insertion sort: groups are small.
        for m in 1..<n {
            let x = order[m]
            var j = m
            while j > 0 && less(x, order[j - 1], words) { order[j] = order[j - 1]; j -= 1 }
            order[j] = x
        }
        return true
    }

    /// Moves the members of group `group` as `order` says (member `order[i]`'s content goes to
    /// member i), without sorting: the group action itself, for tests. False if the state has a
    /// member holding another member's folio.
    package func permute(_ s: UnsafeMutablePointer<UInt64>, group: Int, order perm: [Int]) -> Bool {
        let g = groups[group]
        for m in 0..<g.threads.count where !readKey(g, m, s) { return false }
        for i in 0..<g.threads.count { writeKey(g, perm[i], into: i, s) }
        return true
    }

    @inline(__always)
    private func less(_ a: Int, _ b: Int, _ words: Int) -> Bool {
        for w in 0..<words {
            let x = keys[a * keyWords + w], y = keys[b * keyWords + w]
            if x != y { return x < y }
        }
        return false
    }

    // MARK: - Keys

    /// Member m's content, renamed to the first member's folios, into key m. False if it names
    /// a folio of another member (or a list no renaming reaches).
    private func readKey(_ g: GroupTable, _ m: Int, _ s: UnsafeMutablePointer<UInt64>) -> Bool {
        let key = keys + m * keyWords
        key.update(repeating: 0, count: g.keyWords)
        let pc = Int(Canonicalizer.read(s, g.pcBits[m], g.pcWidth))
        key[0] = UInt64(pc)
        if g.copiesBits {
            let range = g.localBits[m]
            var w = 0
            while w * 64 < range.count {
                key[1 + w] = Canonicalizer.read(s, range.lowerBound + w * 64, min(64, range.count - w * 64))
                w += 1
            }
            return true
        }
        guard pc < g.codeCount else { return true }
        var slot = 1
        for l in g.liveStart[pc]..<g.liveStart[pc + 1] {
            let k = Int(g.liveField[l])
            let fl = fields[g.firstField[m] + k]
            let kind = g.fieldKind[k]
            if kind == GroupTable.setKind {
                guard renameSet(g, s + Int(fl.word), fl, from: m, to: 0, into: key + slot, checking: true) else { return false }
            } else {
                let raw = (s[Int(fl.word)] >> UInt64(fl.shift)) & fl.mask
                guard let v = rename(g, kind, raw, from: m, checking: true) else { return false }
                key[slot] = v
            }
            slot += Int(g.fieldWords[k])
        }
        guard g.ownCount > 0 else { return true }
        var bit = g.blockStart * 64
        let own = g.ownFolios + m * g.ownCount, ownBufs = g.ownBuffers + m * g.ownBufferCount
        for base in g.folioFlagBases {
            for j in 0..<g.ownCount { Canonicalizer.copyBit(from: s, base + Int(own[j]) - 1, to: key, bit); bit += 1 }
        }
        for base in g.bufferFlagBases {
            for j in 0..<g.ownBufferCount { Canonicalizer.copyBit(from: s, base + Int(ownBufs[j]) - 1, to: key, bit); bit += 1 }
        }
        for first in g.perFolioShared {
            for j in 0..<g.ownCount {
                let fl = fields[first + Int(own[j]) - 1]
                Canonicalizer.write(key, bit, Int(fl.width), (s[Int(fl.word)] >> UInt64(fl.shift)) & fl.mask)
                bit += Int(fl.width)
            }
        }
        return true
    }

    /// Key `k` (in the first member's names) into member i's place, renamed to its folios.
    private func writeKey(_ g: GroupTable, _ k: Int, into i: Int, _ s: UnsafeMutablePointer<UInt64>) {
        let key = keys + k * keyWords
        let pc = Int(key[0])
        Canonicalizer.write(s, g.pcBits[i], g.pcWidth, UInt64(pc))
        if g.copiesBits {
            let range = g.localBits[i]
            var w = 0
            while w * 64 < range.count {
                Canonicalizer.write(s, range.lowerBound + w * 64, min(64, range.count - w * 64), key[1 + w])
                w += 1
            }
            return
        }
        var pos = g.localBits[i].lowerBound
        while pos < g.localBits[i].upperBound {
            let n = min(64, g.localBits[i].upperBound - pos)
            Canonicalizer.write(s, pos, n, 0)
            pos += n
        }
        if pc < g.codeCount {
            var slot = 1
            for l in g.liveStart[pc]..<g.liveStart[pc + 1] {
                let f = Int(g.liveField[l])
                let fl = fields[g.firstField[i] + f]
                let kind = g.fieldKind[f]
                if kind == GroupTable.setKind {
                    _ = renameSet(g, key + slot, Field(word: 0, shift: 0, width: Int(fl.width), signed: false),
                                  from: 0, to: i, into: scratch, checking: false)
                    if fl.width > 64 {
                        (s + Int(fl.word)).update(from: scratch, count: fl.wordCount)
                    } else {
                        let w = Int(fl.word)
                        s[w] = (s[w] & ~(fl.mask << UInt64(fl.shift))) | ((scratch[0] & fl.mask) << UInt64(fl.shift))
                    }
                } else {
                    // Back from the first member's names to member i's: the same swap.
                    let v = rename(g, kind, key[slot], from: i, checking: false) ?? key[slot]
                    let w = Int(fl.word)
                    s[w] = (s[w] & ~(fl.mask << UInt64(fl.shift))) | ((v & fl.mask) << UInt64(fl.shift))
                }
                slot += Int(g.fieldWords[f])
            }
        }
        guard g.ownCount > 0 else { return }
        var bit = g.blockStart * 64
        let own = g.ownFolios + i * g.ownCount, ownBufs = g.ownBuffers + i * g.ownBufferCount
        for base in g.folioFlagBases {
            for j in 0..<g.ownCount { Canonicalizer.copyBit(from: key, bit, to: s, base + Int(own[j]) - 1); bit += 1 }
        }
        for base in g.bufferFlagBases {
            for j in 0..<g.ownBufferCount { Canonicalizer.copyBit(from: key, bit, to: s, base + Int(ownBufs[j]) - 1); bit += 1 }
        }
        for first in g.perFolioShared {
            for j in 0..<g.ownCount {
                let fl = fields[first + Int(own[j]) - 1]
                let v = Canonicalizer.read(key, bit, Int(fl.width))
                let w = Int(fl.word)
                s[w] = (s[w] & ~(fl.mask << UInt64(fl.shift))) | ((v & fl.mask) << UInt64(fl.shift))
                bit += Int(fl.width)
            }
        }
    }

    // MARK: - Renaming values

    /// A scalar local's value renamed by member m's swap (its own folios with the first
    /// member's, its own inverse): from member m's names to the first member's, or back. When
    /// checking, nil if it names a folio (buffer, list) of a member other than m.
    @inline(__always)
    private func rename(_ g: GroupTable, _ kind: UInt8, _ v: UInt64, from m: Int, checking: Bool) -> UInt64? {
        switch kind {
        case GroupTable.folioKind:
            guard v != 0, Int(v) <= g.folioTotal else { return v }
            let owner = Int(g.folioOwner[Int(v)])
            if checking && owner >= 0 && owner != m { return nil }
            return UInt64(g.folioMap[m * (g.folioTotal + 1) + Int(v)])
        case GroupTable.bufferKind:
            guard v != 0, Int(v) <= g.bufferTotal else { return v }
            let owner = Int(g.bufferOwner[Int(v)])
            if checking && owner >= 0 && owner != m { return nil }
            return UInt64(g.bufferMap[m * (g.bufferTotal + 1) + Int(v)])
        case GroupTable.listKind:
            guard Int(v) < g.listTotal else { return v }
            let owner = Int(g.listOwner[Int(v)])
            if checking && (owner == GroupTable.unmovable || (owner >= 0 && owner != m)) { return nil }
            return UInt64(g.listMap[m * g.listTotal + Int(v)])
        default:
            return v
        }
    }

    /// Renames a set (bit f - 1 for folio f) held at `src` (a field `fl`, in place), from member
    /// a's folios to member b's (one of them is the first member), into `dst` (whole words).
    /// False, when checking, if it holds a folio of a member other than a.
    private func renameSet(_ g: GroupTable, _ src: UnsafeMutablePointer<UInt64>, _ fl: Field, from a: Int, to b: Int,
                           into dst: UnsafeMutablePointer<UInt64>, checking: Bool) -> Bool {
        let words = fl.wordCount
        if fl.width <= 64 {
            dst[0] = (src[0] >> UInt64(fl.shift)) & fl.mask
        } else {
            dst.update(from: src, count: words)
        }
        guard g.ownCount > 0 else { return true }
        let other = a == 0 ? b : a
        if checking {
            // Of the members' own folios, only member a's may be named.
            let allowed = g.ownMasks + a * g.setWords
            for w in 0..<words where dst[w] & g.allOwnMask[w] & ~allowed[w] != 0 { return false }
        }
        guard other != 0 else { return true }
        // Swap the bits of member `other`'s folios with the first member's.
        let own0 = g.ownFolios, ownX = g.ownFolios + other * g.ownCount
        for j in 0..<g.ownCount {
            let p = Int(own0[j]) - 1, q = Int(ownX[j]) - 1
            let bp = dst[p >> 6] >> UInt64(p & 63) & 1, bq = dst[q >> 6] >> UInt64(q & 63) & 1
            if bp != bq {
                dst[p >> 6] ^= UInt64(1) << UInt64(p & 63)
                dst[q >> 6] ^= UInt64(1) << UInt64(q & 63)
            }
        }
        return true
    }

    // MARK: - Bits

    @inline(__always)
    static func read(_ s: UnsafePointer<UInt64>, _ pos: Int, _ n: Int) -> UInt64 {
        let w = pos >> 6, off = pos & 63
        var v = s[w] >> UInt64(off)
        if off + n > 64 { v |= s[w + 1] << UInt64(64 - off) }
        return n == 64 ? v : v & ((UInt64(1) << UInt64(n)) - 1)
    }

    @inline(__always)
    static func write(_ s: UnsafeMutablePointer<UInt64>, _ pos: Int, _ n: Int, _ v: UInt64) {
        let w = pos >> 6, off = pos & 63
        let mask: UInt64 = n == 64 ? ~0 : (UInt64(1) << UInt64(n)) - 1
        s[w] = (s[w] & ~(mask << UInt64(off))) | ((v & mask) << UInt64(off))
        if off + n > 64 {
            let spill = off + n - 64
            let m2 = (UInt64(1) << UInt64(spill)) - 1
            s[w + 1] = (s[w + 1] & ~m2) | ((v >> UInt64(64 - off)) & m2)
        }
    }

    @inline(__always)
    static func copyBit(from s: UnsafePointer<UInt64>, _ p: Int, to d: UnsafeMutablePointer<UInt64>, _ q: Int) {
        let on = (s[p >> 6] >> UInt64(p & 63)) & 1
        d[q >> 6] = (d[q >> 6] & ~(UInt64(1) << UInt64(q & 63))) | (on << UInt64(q & 63))
    }
}
