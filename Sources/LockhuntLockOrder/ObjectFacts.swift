import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration
import LockhuntFindings

/// What one thread may hold at each of its instructions, object by object: the precise half of
/// the wait graph's per-thread facts (HeldLocks.swift is the other; WaitGraph keeps only what
/// both allow).
///
/// Why: a batch locks the folios of its list in one loop, records them in a set, and unlocks
/// them in another loop; upstream's migrate_pages() then retries a folio alone with a blocking
/// folio_lock(). HeldLocks follows a lock through the expression that took it, so once the loop
/// variable moves on it can only say "may hold every folio of the list", and the wait graph sees
/// the migrator wait for a folio it holds itself. Likewise a loop that locks buffer after buffer
/// "may already hold", at its lock_buffer(), the very buffer it waits for, which hides the order
/// of I/O hand-offs (the submitter cannot be waiting for a buffer it has handed off yet).
///
/// How: an abstract interpretation of the thread, once per object it can lock (a cartesian
/// abstraction: objects are analysed independently, so the facts are exact about one object at
/// a time and say nothing about pairs). For object o a state is a set of tuples, one value per
/// attribute (`Layout`):
/// - whether the thread holds o's lock and, for a folio, the writeback it started;
/// - per folio local: whether it names o's folio (o itself, or the folio of buffer o); per
///   buffer local: whether it names o;
/// - per list local: whether the list holds o's folio (folio lists) or o (buffer lists); per
///   set: whether it holds o's folio;
/// - per loop cursor (a counter indexing an array or a list): whether it is before o's place,
///   at it, or past it, so that a loop's exit says it went over every element;
/// - per scalar of a small domain (return codes, trylock results, `switch` values, modes): its
///   value, so that `rc == MIGRATEPAGE_UNMAP` on the path that locked the folio stays apart from
///   `-EAGAIN` on the path that did not.
/// Branches refine each side (`folio in unmap_folios`, `rc != K`, `i < len(l)` at the exit), and
/// dead locals are forgotten, which keeps the sets small.
///
/// Sound because each run gives the object one tuple at each step, each transfer maps a tuple to
/// every tuple its concrete successors can have, and a branch side drops only tuples whose
/// object contradicts the condition. A set that empties means no run gets there. Every question
/// about the object itself goes through `Query`, so objects that answer a run's questions alike
/// (most elements of an array) share its result.
package struct ObjectFacts {
    /// Per thread-relative pc: the lock-like resources (folio lock, folio writeback, buffer lock)
    /// the thread may hold there.
    package private(set) var held: [[Int]]
    /// Per thread-relative pc of a blocking lock or writeback wait: the resources it may wait for
    /// while holding that same resource itself.
    private(set) var heldWhileAwaited: [[Int]]
    /// Pcs some run may reach.
    private(set) var reached: [Bool]
    /// What it may still hold when it finishes.
    private(set) var leftHeld: Set<Int>
    /// The lock-like resources it releases (unlocks, ends the writeback of) only ever while
    /// holding them itself: it is never the one that releases them for another thread.
    private(set) var releasesOnlyItsOwn: Set<Int> = []

    /// Past this many tuples at one step the analysis gives up (`init` returns nil) and the wait
    /// graph keeps HeldLocks' facts alone.
    static let tupleLimit = 4096

    /// A cursor's value: the object has no place in what it counts over, or the cursor is
    /// before its place, at it, or past it.
    static let notInContainer: UInt8 = 0, ahead: UInt8 = 1, at: UInt8 = 2, passed: UInt8 = 3

    struct Object: Hashable {
        var isFolio: Bool
        var id: Int
        /// Its folio: the object itself, or the folio a buffer belongs to.
        var owner: Int
    }

    package init?(program p: Program, thread threadIndex: Int, decided: DecidedBranches, lockLike: (Int) -> Bool) {
        let t = p.threads[threadIndex]
        let base = t.codeStart
        let n = t.codeCount
        let res = p.analysis.resources
        held = [[Int]](repeating: [], count: n)
        heldWhileAwaited = [[Int]](repeating: [], count: n)
        reached = [Bool](repeating: true, count: n)
        leftHeld = []
        guard n > 0 else { return }

        // The objects it can lock.
        var objects: [Object] = []
        var known = Set<Object>()
        for pc in 0..<n where ObjectFacts.isLockOperation(p.ir[base + pc].op) {
            for r in p.analysis.writes(pc: base + pc) where lockLike(r) {
                let o: Object
                switch res.kind(r) {
                case .folio(let f, _): o = Object(isFolio: true, id: f, owner: f)
                case .buffer(let b, _): o = Object(isFolio: false, id: b, owner: p.buffers[b - 1].folio)
                default: continue
                }
                if known.insert(o).inserted { objects.append(o) }
            }
        }
        guard !objects.isEmpty else { return }
        let layout = Layout(program: p, thread: threadIndex)

        // One run per object, reused by every object that gives the same answers to its questions.
        var runs: [(questions: [Query: Int], result: Run.Result)] = []
        var heldSets = [Set<Int>](repeating: [], count: n)
        var awaitedSets = [Set<Int>](repeating: [], count: n)
        for o in objects {
            let answers = Answers(program: p, object: o)
            var result = runs.first { $0.questions.allSatisfy { answers.ask($0.key) == $0.value } }?.result
            if result == nil {
                var run = Run(program: p, thread: threadIndex, layout: layout, decided: decided, answers: answers)
                guard let r = run.analyse() else { return nil }
                runs.append((run.asked, r))
                result = r
            }
            let r = result!
            let lock = o.isFolio ? res.folio(o.id, .locked) : res.buffer(o.id, .locked)
            let writeback = o.isFolio ? res.folio(o.id, .writeback) : nil
            for pc in 0..<n {
                if !r.reached[pc] { reached[pc] = false }
                if r.holdsLock[pc] { heldSets[pc].insert(lock) }
                if r.holdsWriteback[pc], let w = writeback { heldSets[pc].insert(w) }
                if r.waitsHolding[pc] {
                    if case .waitFolioFlagClear = p.ir[base + pc].op { if let w = writeback { awaitedSets[pc].insert(w) } } else { awaitedSets[pc].insert(lock) }
                }
            }
            if r.leftLock { leftHeld.insert(lock) }
            if r.leftWriteback, let w = writeback { leftHeld.insert(w) }
            if !r.releasesLockUnheld { releasesOnlyItsOwn.insert(lock) }
            if !r.releasesWritebackUnheld, let w = writeback { releasesOnlyItsOwn.insert(w) }
        }
        held = heldSets.map { $0.filter(lockLike).sorted() }
        heldWhileAwaited = awaitedSets.map { $0.filter(lockLike).sorted() }
        leftHeld = leftHeld.filter(lockLike)
        releasesOnlyItsOwn = releasesOnlyItsOwn.filter(lockLike)
    }

    static func isLockOperation(_ op: IROp) -> Bool {
        switch op {
        case .folioLock, .folioTrylock, .folioUnlock, .lockBuffer, .trylockBuffer, .unlockBuffer,
             .setFolioFlag(.writeback, _, _), .testClearFolioFlag(.writeback, _, _):
            return true
        default:
            return false
        }
    }

    // MARK: - The questions asked about an object

    /// Where a cursor counts: an array's elements or the elements of some lists (those a list
    /// local may hold).
    enum Places: Hashable {
        case array(base: Int, count: Int, folios: Bool)
        case lists([Int])
    }

    enum Query: Hashable {
        case isFolio
        case ownerIs(Int)
        case bufferIs(Int)
        /// Whether list `id` holds the object's folio (a folio list) or the object (a buffer list).
        case inList(Int)
        /// The object's places against index k, as a mask: 1 some place is above k (a cursor at
        /// k is before it), 2 one is k, 4 one is below k; 0 when it has no place there.
        case against(Places, Int64)
        /// Whether every place the object has there is the last of its list (or array).
        case lastPlace(Places)
        case mapping
        /// Whether step `pc` (global) may name the object, by what the step reads or writes.
        case named(Int)
        /// Whether object field `f` may hold the object, by the points-to sets.
        case pointsTo(FieldID)
    }

    struct Answers {
        let program: Program
        let object: Object

        /// The object's places, each with the length of what it is a place in.
        private func placesAndLengths(_ c: Places) -> [(place: Int, length: Int)] {
            switch c {
            case .array(let b, let count, let folios):
                guard let me = folios ? object.owner : (object.isFolio ? nil : object.id) else { return [] }
                return me >= b && me < b + count ? [(me - b, count)] : []
            case .lists(let ids):
                var out: [(Int, Int)] = []
                for id in ids where id >= 0 && id < program.lists.count {
                    let me = program.lists.kinds[id] == .folio ? object.owner : (object.isFolio ? -1 : object.id)
                    if let k = program.lists.lists[id].firstIndex(of: me) { out.append((k, program.lists.lists[id].count)) }
                }
                return out
            }
        }

        private func places(_ c: Places) -> [Int] { placesAndLengths(c).map(\.place) }

        func ask(_ q: Query) -> Int {
            switch q {
            case .isFolio: return object.isFolio ? 1 : 0
            case .ownerIs(let f): return object.owner == f ? 1 : 0
            case .bufferIs(let b): return !object.isFolio && object.id == b ? 1 : 0
            case .inList(let id): return places(.lists([id])).isEmpty ? 0 : 1
            case .against(let c, let k):
                var mask = 0
                for place in places(c) { mask |= Int64(place) > k ? 1 : Int64(place) == k ? 2 : 4 }
                return mask
            case .lastPlace(let c):
                let all = placesAndLengths(c)
                return !all.isEmpty && all.allSatisfy { $0.place == $0.length - 1 } ? 1 : 0
            case .mapping:
                return Int(truncatingIfNeeded: program.folios[object.owner - 1].mapping)
            case .named(let pc):
                let res = program.analysis.resources
                let mine = object.isFolio ? [res.folio(object.id, .locked), res.folio(object.id, .writeback)] : [res.buffer(object.id, .locked)]
                return (program.analysis.writes(pc: pc) + program.analysis.reads(pc: pc)).contains { mine.contains($0) } ? 1 : 0
            case .pointsTo(let f):
                let pts = program.analysis.pointsTo[f] ?? []
                switch program.fieldInfo[f].type {
                case .folio: return pts.contains(object.owner) ? 1 : 0
                case .buffer: return !object.isFolio && pts.contains(object.id) ? 1 : 0
                default: return 1
                }
            }
        }
    }
}
