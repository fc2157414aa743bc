import LockhuntBasics
import LockhuntProgram

/// What the Canonicalizer needs to know about one symmetry group, laid out for its inner loop:
/// where each member's pc and locals are, which locals are live at each pc and what they hold,
/// and the swap of each member's own folios with the first member's, as maps over folio,
/// buffer and list ids.
final class GroupTable {
    static let plainKind: UInt8 = 0, folioKind: UInt8 = 1, bufferKind: UInt8 = 2, listKind: UInt8 = 3, setKind: UInt8 = 4
    /// `listOwner` of a list no swap can rename: it names several members' folios, or its
    /// renamed image is not a list of the program.
    static let unmovable: Int32 = -2

    let threads: [Int]
    /// Per member: the bit position of its pc; the pcs' width.
    let pcBits: [Int]
    let pcWidth: Int
    /// Per member: its first local field (local k of member m is field `firstField[m] + k`) and
    /// the bits of its locals.
    let firstField: [Int]
    let localBits: [Range<Int>]
    let codeCount: Int
    /// Per pc: `liveStart[pc] ..< liveStart[pc + 1]` in `liveField`: the locals (by number)
    /// that hold a value there, the task flags included.
    let liveStart: [Int]
    let liveField: [Int32]
    /// Per local: what it holds, and the key words it takes (a set of more than 64 folios takes
    /// several).
    let fieldKind: [UInt8]
    let fieldWords: [Int32]
    /// Key words: the pc, a slot per live local, then (from word `blockStart`) the own folios'
    /// flags and per-folio shared entries.
    let keyWords: Int
    let blockStart: Int
    /// The members own no folios and lay their locals out alike: keys are their locals' bits as
    /// they are, with nothing to rename (copies of one declaration, laid out at the same offset
    /// within a word for this).
    let copiesBits: Bool

    /// Own folios per member (`ownCount` each), and their buffers (`ownBufferCount` each).
    let ownCount: Int
    let ownBufferCount: Int
    let ownFolios: UnsafeMutablePointer<Int32>
    let ownBuffers: UnsafeMutablePointer<Int32>
    /// Bit bases of the flags some instruction changes (the others are equal in every state),
    /// and the first field of each per-folio shared array.
    let folioFlagBases: [Int]
    let bufferFlagBases: [Int]
    let perFolioShared: [Int]

    let folioTotal: Int
    let bufferTotal: Int
    let listTotal: Int
    /// Per id: the member whose own object it is, or -1.
    let folioOwner: UnsafeMutablePointer<Int32>
    let bufferOwner: UnsafeMutablePointer<Int32>
    /// Per id: the member whose own folios it names, -1 for none, or `unmovable`.
    let listOwner: UnsafeMutablePointer<Int32>
    /// Per member m, per id: the id's image under the swap of member m's own folios with the
    /// first member's (the identity for m = 0); -1 for a list with no image.
    let folioMap: UnsafeMutablePointer<Int32>
    let bufferMap: UnsafeMutablePointer<Int32>
    let listMap: UnsafeMutablePointer<Int32>
    /// Sets: words per set value; per member the mask of its own folios, and of all members'.
    let setWords: Int
    let ownMasks: UnsafeMutablePointer<UInt64>
    let allOwnMask: UnsafeMutablePointer<UInt64>

    package init(_ p: Program, group: Int) {
        let members = p.symmetry.groups[group]
        let own = p.symmetry.ownFolios[group]
        let n = members.count
        threads = members
        let pcs = members.map { p.fields[p.threads[$0].pcField] }
        pcBits = pcs.map { Int($0.word) * 64 + Int($0.shift) }
        pcWidth = Int(pcs[0].width)
        firstField = members.map { t in p.fieldInfo.indices.first { p.fieldInfo[$0].thread == t && $0 != p.threads[t].pcField }! }
        localBits = members.map { p.threads[$0].localBits }
        let t0 = members[0]
        codeCount = p.threads[t0].codeCount

        // Locals: kinds and widths, from the first member (the others' are the same).
        let localCount = p.fieldInfo.indices.filter { p.fieldInfo[$0].thread == t0 && $0 != p.threads[t0].pcField }.count
        var kinds: [UInt8] = [], words: [Int32] = []
        for k in 0..<localCount {
            let id = firstField[0] + k
            switch p.fieldInfo[id].type {
            case .folio: kinds.append(GroupTable.folioKind)
            case .buffer: kinds.append(GroupTable.bufferKind)
            case .list: kinds.append(GroupTable.listKind)
            case .set: kinds.append(GroupTable.setKind)
            default: kinds.append(GroupTable.plainKind)
            }
            words.append(Int32(p.fields[id].wordCount))
        }
        fieldKind = kinds
        fieldWords = words
        let f0 = firstField[0]
        let flags = p.threads[t0].flagsField - f0
        var starts: [Int] = [], live: [Int32] = []
        var slots = 0
        for pc in 0..<codeCount {
            starts.append(live.count)
            var ks = p.analysis.liveLocals(thread: t0, pc: pc).map { $0 - f0 }
            if !ks.contains(flags) { ks.append(flags); ks.sort() }
            live.append(contentsOf: ks.map { Int32($0) })
            slots = max(slots, ks.reduce(0) { $0 + Int(words[$1]) })
        }
        starts.append(live.count)
        liveStart = starts
        liveField = live
        // Bit for bit when nothing needs renaming and every local sits at the same offset.
        let firsts = firstField, ranges = localBits
        let layouts = members.indices.map { m in
            (0..<localCount).map { k -> Int in
                let fl = p.fields[firsts[m] + k]
                return Int(fl.word) * 64 + Int(fl.shift) - ranges[m].lowerBound
            }
        }
        let sameLayout = layouts.allSatisfy { $0 == layouts[0] } && ranges.allSatisfy { $0.count == ranges[0].count }
        copiesBits = own.allSatisfy(\.isEmpty) && sameLayout
        blockStart = copiesBits ? 1 + (ranges[0].count + 63) / 64 : 1 + slots

        // Own folios and their buffers.
        ownCount = own.first?.count ?? 0
        ownFolios = .allocate(capacity: max(1, n * ownCount))
        var bufs: [[Int]] = []
        for (m, list) in own.enumerated() {
            for (j, f) in list.enumerated() { ownFolios[m * ownCount + j] = Int32(f) }
            bufs.append(list.flatMap { p.folios[$0 - 1].buffers })
        }
        ownBufferCount = bufs.first?.count ?? 0
        ownBuffers = .allocate(capacity: max(1, n * ownBufferCount))
        for m in 0..<n { for (j, b) in bufs[m].enumerated() { ownBuffers[m * ownBufferCount + j] = Int32(b) } }
        let stored = p.storedWordsPerState * 64
        folioFlagBases = FolioFlag.allCases.map { p.folioFlagBase[$0.rawValue] }.filter { $0 < stored }
        bufferFlagBases = BufferFlag.allCases.map { p.bufferFlagBase[$0.rawValue] }.filter { $0 < stored }
        perFolioShared = p.shared.filter(\.perFolio).map(\.firstField)
        var blockBits = ownCount * folioFlagBases.count + ownBufferCount * bufferFlagBases.count
        for v in p.shared where v.perFolio { blockBits += ownCount * Int(p.fields[v.firstField].width) }
        keyWords = blockStart + (ownCount == 0 ? 0 : (blockBits + 63) / 64)

        // The swaps, as maps over ids.
        folioTotal = p.folios.count
        bufferTotal = p.buffers.count
        listTotal = p.lists.count
        folioOwner = .allocate(capacity: folioTotal + 1)
        folioOwner.initialize(repeating: -1, count: folioTotal + 1)
        bufferOwner = .allocate(capacity: bufferTotal + 1)
        bufferOwner.initialize(repeating: -1, count: bufferTotal + 1)
        folioMap = .allocate(capacity: n * (folioTotal + 1))
        bufferMap = .allocate(capacity: n * (bufferTotal + 1))
        for m in 0..<n {
            for f in 0...folioTotal { folioMap[m * (folioTotal + 1) + f] = Int32(f) }
            for b in 0...bufferTotal { bufferMap[m * (bufferTotal + 1) + b] = Int32(b) }
        }
        for m in 0..<n {
            for j in 0..<ownCount {
                let a = Int(ownFolios[j]), b = Int(ownFolios[m * ownCount + j])
                folioOwner[b] = Int32(m)
                folioMap[m * (folioTotal + 1) + a] = Int32(b)
                folioMap[m * (folioTotal + 1) + b] = Int32(a)
            }
            for j in 0..<ownBufferCount {
                let a = Int(ownBuffers[j]), b = Int(ownBuffers[m * ownBufferCount + j])
                bufferOwner[b] = Int32(m)
                bufferMap[m * (bufferTotal + 1) + a] = Int32(b)
                bufferMap[m * (bufferTotal + 1) + b] = Int32(a)
            }
        }
        let lists = p.lists.count, folios = p.folios.count, buffers = p.buffers.count
        let listOwner = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, lists))
        let listMap = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, n * lists))
        let folioMap = self.folioMap, bufferMap = self.bufferMap, folioOwner = self.folioOwner, bufferOwner = self.bufferOwner
        var ids: [ListID: Int] = [:]
        for (id, items) in p.lists.lists.enumerated() { ids[ListID(kind: p.lists.kinds[id], items: items)] = id }
        for l in 0..<lists {
            let kind = p.lists.kinds[l], items = p.lists.lists[l]
            var owners = Set<Int32>()
            for x in items where x >= 1 {
                let o = kind == .folio ? (x <= folios ? folioOwner[x] : -1) : (x <= buffers ? bufferOwner[x] : -1)
                if o >= 0 { owners.insert(o) }
            }
            listOwner[l] = owners.isEmpty ? -1 : owners.count == 1 ? owners.first! : GroupTable.unmovable
            for m in 0..<n {
                let mapped = items.map { x in
                    Int(kind == .folio ? folioMap[m * (folios + 1) + x] : bufferMap[m * (buffers + 1) + x])
                }
                listMap[m * lists + l] = mapped == items ? Int32(l) : Int32(ids[ListID(kind: kind, items: mapped)] ?? -1)
            }
        }
        // A list of a member's folios must reach the first member's, and from there every member's.
        for l in 0..<lists where listOwner[l] >= 0 {
            let l0 = listMap[Int(listOwner[l]) * lists + l]
            if l0 < 0 || (0..<n).contains(where: { listMap[$0 * lists + Int(l0)] < 0 }) { listOwner[l] = GroupTable.unmovable }
        }
        self.listOwner = listOwner
        self.listMap = listMap

        setWords = max(1, (folioTotal + 63) / 64)
        ownMasks = .allocate(capacity: n * setWords)
        ownMasks.initialize(repeating: 0, count: n * setWords)
        allOwnMask = .allocate(capacity: setWords)
        allOwnMask.initialize(repeating: 0, count: setWords)
        for m in 0..<n {
            for j in 0..<ownCount {
                let bit = Int(ownFolios[m * ownCount + j]) - 1
                ownMasks[m * setWords + bit / 64] |= UInt64(1) << UInt64(bit % 64)
                allOwnMask[bit / 64] |= UInt64(1) << UInt64(bit % 64)
            }
        }
    }

    deinit {
        ownFolios.deallocate(); ownBuffers.deallocate()
        folioOwner.deallocate(); bufferOwner.deallocate(); listOwner.deallocate()
        folioMap.deallocate(); bufferMap.deallocate(); listMap.deallocate()
        ownMasks.deallocate(); allOwnMask.deallocate()
    }

    private struct ListID: Hashable {
        var kind: ValueType.ElementKind
        var items: [Int]
    }
}
