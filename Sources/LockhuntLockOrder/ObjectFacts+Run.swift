import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration
import LockhuntFindings

extension ObjectFacts {
    /// The analysis of one thread for one object: a fixpoint over the thread's instructions of
    /// sets of tuples (Layout says what each value means).
    struct Run {
        typealias Tuple = [UInt8]

        struct Result {
            var reached: [Bool]
            var holdsLock: [Bool]
            var holdsWriteback: [Bool]
            /// At a blocking lock or writeback wait: it may wait for the object while holding it.
            var waitsHolding: [Bool]
            var leftLock = false
            var leftWriteback = false
            /// Some step releases the object's lock (its writeback) while the thread does not hold it.
            var releasesLockUnheld = false
            var releasesWritebackUnheld = false
        }

        let program: Program
        let base: Int
        let count: Int
        let layout: Layout
        let decided: DecidedBranches
        let answers: Answers
        /// Every question asked, with its answer: a run is the same for any object that answers alike.
        private(set) var asked: [Query: Int] = [:]

        init(program: Program, thread: Int, layout: Layout, decided: DecidedBranches, answers: Answers) {
            self.program = program
            base = program.threads[thread].codeStart
            count = program.threads[thread].codeCount
            self.layout = layout
            self.decided = decided
            self.answers = answers
        }

        private mutating func ask(_ q: Query) -> Int {
            if let v = asked[q] { return v }
            let v = answers.ask(q)
            asked[q] = v
            return v
        }

        // Truth masks: what an expression may be in one tuple.
        private static let no: UInt8 = 1, yes: UInt8 = 2, either: UInt8 = 3

        mutating func analyse() -> Result? {
            var states = [Set<Tuple>?](repeating: nil, count: count)
            states[0] = [Tuple(repeating: 0, count: layout.count)]
            var work = [0]
            var queued = [Bool](repeating: false, count: count)
            queued[0] = true
            while let pc = work.popLast() {
                queued[pc] = false
                guard let input = states[pc] else { continue }
                for (s, tuples) in successors(pc, input) where s >= 0 && s < count && !tuples.isEmpty {
                    var arriving = Set<Tuple>()
                    for var t in tuples {
                        for a in layout.deadAttributes[s] { t[a] = 0 }
                        arriving.insert(t)
                    }
                    let old = states[s] ?? []
                    let merged = old.union(arriving)
                    if states[s] != nil && merged.count == old.count { continue }
                    if merged.count > ObjectFacts.tupleLimit { return nil }
                    states[s] = merged
                    if !queued[s] { queued[s] = true; work.append(s) }
                }
            }
            var r = Result(reached: states.map { $0 != nil }, holdsLock: [Bool](repeating: false, count: count),
                           holdsWriteback: [Bool](repeating: false, count: count), waitsHolding: [Bool](repeating: false, count: count))
            let folio = ask(.isFolio) == 1
            for pc in 0..<count {
                guard let tuples = states[pc] else { continue }
                let op = program.ir[base + pc].op
                for t in tuples {
                    if t[Layout.holdsLock] == 1 { r.holdsLock[pc] = true }
                    if t[Layout.holdsWriteback] == 1 { r.holdsWriteback[pc] = true }
                    switch op {
                    case .folioLock(let e) where folio && t[Layout.holdsLock] == 1:
                        if operandNames(e, pc, t, folio: true) & Run.yes != 0 { r.waitsHolding[pc] = true }
                    case .waitFolioFlagClear(.writeback, let e) where folio && t[Layout.holdsWriteback] == 1:
                        if operandNames(e, pc, t, folio: true) & Run.yes != 0 { r.waitsHolding[pc] = true }
                    case .lockBuffer(let e) where !folio && t[Layout.holdsLock] == 1:
                        if operandNames(e, pc, t, folio: false) & Run.yes != 0 { r.waitsHolding[pc] = true }
                    case .finish:
                        if t[Layout.holdsLock] == 1 { r.leftLock = true }
                        if t[Layout.holdsWriteback] == 1 { r.leftWriteback = true }
                    case .folioUnlock(let e) where folio && t[Layout.holdsLock] == 0:
                        if operandNames(e, pc, t, folio: true) & Run.yes != 0 { r.releasesLockUnheld = true }
                    case .unlockBuffer(let e) where !folio && t[Layout.holdsLock] == 0:
                        if operandNames(e, pc, t, folio: false) & Run.yes != 0 { r.releasesLockUnheld = true }
                    case .setFolioFlag(.writeback, let e, false) where folio && t[Layout.holdsWriteback] == 0,
                         .testClearFolioFlag(.writeback, let e, _) where folio && t[Layout.holdsWriteback] == 0:
                        if operandNames(e, pc, t, folio: true) & Run.yes != 0 { r.releasesWritebackUnheld = true }
                    default: break
                    }
                }
            }
            return r
        }

        // MARK: - Steps

        /// The tuples the step at `pc` leads to, per successor.
        private mutating func successors(_ pc: Int, _ input: Set<Tuple>) -> [(Int, [Tuple])] {
            let op = program.ir[base + pc].op
            let next = decided.successors(op, pc, global: base + pc)
            if case .branch(let cond, let elseTarget) = op {
                var out: [(Int, [Tuple])] = []
                for s in next {
                    var keep: [Tuple] = []
                    for t in input {
                        let m = truth(cond, t)
                        let ok = (s == pc + 1 && m & Run.yes != 0) || (s == elseTarget && m & Run.no != 0)
                        if ok { keep.append(t) }
                    }
                    out.append((s, keep))
                }
                return out
            }
            var after: [Tuple] = []
            for t in input { after += step(op, pc, t) }
            return next.map { ($0, after) }
        }

        /// The tuples one tuple can become across a step that is not a branch.
        private mutating func step(_ op: IROp, _ pc: Int, _ t: Tuple) -> [Tuple] {
            let folio = ask(.isFolio) == 1
            switch op {
            case .assign(let f, let e): return assign(f, e, t)
            case .load(let f, _): return unknown(f, t)
            case .setAdd(let s, let x), .setRemove(let s, let x):
                guard let a = layout.attribute[s] else { return [t] }
                var isAdd = false
                if case .setAdd = op { isAdd = true }
                return set(a, to: isAdd ? 1 : 0, when: folioNamed(x, t), t)
            case .setClear(let s):
                guard let a = layout.attribute[s] else { return [t] }
                var u = t; u[a] = 0; return [u]
            case .folioLock(let e):
                return folio ? set(Layout.holdsLock, to: 1, when: operandNames(e, pc, t, folio: true), t) : [t]
            case .folioUnlock(let e):
                return folio ? set(Layout.holdsLock, to: 0, when: operandNames(e, pc, t, folio: true), t) : [t]
            case .lockBuffer(let e):
                return folio ? [t] : set(Layout.holdsLock, to: 1, when: operandNames(e, pc, t, folio: false), t)
            case .unlockBuffer(let e):
                return folio ? [t] : set(Layout.holdsLock, to: 0, when: operandNames(e, pc, t, folio: false), t)
            case .folioTrylock(let e, let d):
                return trylock(folio ? operandNames(e, pc, t, folio: true) : Run.no, d, t)
            case .trylockBuffer(let e, let d):
                return trylock(folio ? Run.no : operandNames(e, pc, t, folio: false), d, t)
            case .setFolioFlag(.writeback, let e, let v):
                return folio ? set(Layout.holdsWriteback, to: v ? 1 : 0, when: operandNames(e, pc, t, folio: true), t) : [t]
            case .testClearFolioFlag(let k, let e, let d):
                var out = [t]
                if k == .writeback && folio { out = set(Layout.holdsWriteback, to: 0, when: operandNames(e, pc, t, folio: true), t) }
                guard let d, let a = layout.attribute[d] else { return out }
                return out.flatMap { u in [0, 1].compactMap { v in valueIndex(d, v).map { var w = u; w[a] = $0; return w } } }
            default:
                return [t]
            }
        }

        /// `a` set to `v` where the mask says the step names the object (both, when it may).
        private func set(_ a: Int, to v: UInt8, when m: UInt8, _ t: Tuple) -> [Tuple] {
            var out: [Tuple] = []
            if m & Run.yes != 0 { var u = t; u[a] = v; out.append(u) }
            if m & Run.no != 0 { out.append(t) }
            return out
        }

        /// A trylock that names the object per mask `m`, with its result in `d`.
        private func trylock(_ m: UInt8, _ d: FieldID?, _ t: Tuple) -> [Tuple] {
            var out: [(Tuple, Int64)] = []
            if m & Run.yes != 0 {
                var u = t; u[Layout.holdsLock] = 1
                out.append((u, 1))
                out.append((t, 0))
            }
            if m & Run.no != 0 { out.append((t, 0)); out.append((t, 1)) }
            guard let d, let a = layout.attribute[d] else { return out.map(\.0) }
            return out.compactMap { u, v in valueIndex(d, v).map { var w = u; w[a] = $0; return w } }
        }

        private func valueIndex(_ f: FieldID, _ v: Int64) -> UInt8? {
            layout.domain[f]?.firstIndex(of: v).map { UInt8($0) }
        }

        /// A field given a value no attribute can follow.
        private mutating func unknown(_ f: FieldID, _ t: Tuple) -> [Tuple] {
            var out = [t]
            if let a = layout.attribute[f] {
                let values: [UInt8]
                switch layout.role[f]! {
                case .folioRef, .bufferRef: values = ask(.pointsTo(f)) == 1 ? [0, 1] : [0]
                case .scalar: values = (0..<layout.domain[f]!.count).map { UInt8($0) }
                default: values = [0, 1]
                }
                out = values.map { var u = t; u[a] = $0; return u }
                if let cs = layout.cursorsOfList[f] { out = out.flatMap { cursorsAnywhere(cs, $0, inList: $0[a] == 1) } }
            }
            return cursorsAssigned(f, nil, t, out)
        }

        private mutating func assign(_ f: FieldID, _ e: CExpr, _ t: Tuple) -> [Tuple] {
            var out = [t]
            if let a = layout.attribute[f] {
                var m: UInt8
                switch layout.role[f]! {
                case .folioRef: m = folioNamed(e, t)
                case .bufferRef: m = bufferNamed(e, t)
                case .folioList, .bufferList: m = listHolds(e, t)
                case .set: m = Run.either
                case .scalar:
                    let values = scalarValues(e, t) ?? layout.domain[f]!
                    out = values.compactMap { v in valueIndex(f, v).map { var u = t; u[a] = $0; return u } }
                    if out.isEmpty { out = (0..<(layout.domain[f]!.count)).map { var u = t; u[a] = UInt8($0); return u } }
                    return cursorsAssigned(f, e, t, out)
                }
                if m == Run.either, layout.role[f] == .folioRef || layout.role[f] == .bufferRef, ask(.pointsTo(f)) == 0 { m = Run.no }
                out = []
                if m & Run.yes != 0 { var u = t; u[a] = 1; out.append(u) }
                if m & Run.no != 0 { var u = t; u[a] = 0; out.append(u) }
                if let cs = layout.cursorsOfList[f] {
                    // A list local given a new list: its cursors' places are unknown until reset.
                    out = out.flatMap { u in cursorsAnywhere(cs, u, inList: u[a] == 1) }
                }
            }
            return cursorsAssigned(f, e, t, out)
        }

        /// A counter's cursors after `f = e` (e nil: a value nothing follows).
        private mutating func cursorsAssigned(_ f: FieldID, _ e: CExpr?, _ before: Tuple, _ tuples: [Tuple]) -> [Tuple] {
            guard let cs = layout.cursorsOfCounter[f] else { return tuples }
            var out = tuples
            for ci in cs {
                let c = layout.cursors[ci]
                let a = c.attribute
                var next: [Tuple] = []
                for u in out {
                    guard let places = inContainer(c.container, u) else {
                        var w = u; w[a] = ObjectFacts.notInContainer; next.append(w); continue
                    }
                    var values: [UInt8]
                    switch e {
                    case .constant(let k, _)?:
                        let m = ask(.against(places, k))
                        values = []
                        if m & 1 != 0 { values.append(ObjectFacts.ahead) }
                        if m & 2 != 0 { values.append(ObjectFacts.at) }
                        if m & 4 != 0 { values.append(ObjectFacts.passed) }
                        if values.isEmpty { values = [ObjectFacts.notInContainer] }
                    case .binary(.add, .local(let g, _), .constant(let k, _))? where g == f && k >= 1:
                        switch before[a] {
                        case ObjectFacts.ahead: values = k == 1 ? [ObjectFacts.ahead, ObjectFacts.at] : [ObjectFacts.ahead, ObjectFacts.at, ObjectFacts.passed]
                        case ObjectFacts.at, ObjectFacts.passed: values = [ObjectFacts.passed]
                        default: values = [ObjectFacts.ahead, ObjectFacts.at, ObjectFacts.passed]
                        }
                    default:
                        values = [ObjectFacts.ahead, ObjectFacts.at, ObjectFacts.passed]
                    }
                    for v in values { var w = u; w[a] = v; next.append(w) }
                }
                out = next
            }
            return out
        }

        /// Cursors `cs` of a list just assigned: anywhere in it, or nowhere if it lacks the object.
        private func cursorsAnywhere(_ cs: [Int], _ t: Tuple, inList: Bool) -> [Tuple] {
            var out = [t]
            for ci in cs {
                let a = layout.cursors[ci].attribute
                out = out.flatMap { u -> [Tuple] in
                    if !inList { var w = u; w[a] = ObjectFacts.notInContainer; return [w] }
                    return [ObjectFacts.ahead, ObjectFacts.at, ObjectFacts.passed].map { var w = u; w[a] = $0; return w }
                }
            }
            return out
        }

        /// The places a container gives the object, or nil when it holds no place for it (in
        /// this tuple, for a list local).
        private mutating func inContainer(_ c: Layout.Container, _ t: Tuple) -> Places? {
            let places: Places
            switch c {
            case .array(let b, let n, let folios): places = .array(base: b, count: n, folios: folios)
            case .constantList(let id): places = .lists([id])
            case .listField(let l):
                guard let a = layout.attribute[l], t[a] == 1 else { return nil }
                places = .lists((program.analysis.pointsTo[l] ?? []).sorted())
            }
            return ask(.against(places, -1)) == 0 ? nil : places
        }

        // MARK: - Expressions, seen from the object

        /// Whether a lock or flag operand names the object; narrowed by the step's write set.
        private mutating func operandNames(_ e: CExpr, _ pc: Int, _ t: Tuple, folio: Bool) -> UInt8 {
            var m = folio ? folioNamed(e, t) : bufferNamed(e, t)
            if m & Run.yes != 0 && ask(.named(base + pc)) == 0 { m &= ~Run.yes }
            return m == 0 ? Run.no : m
        }

        /// Whether folio-valued `e` names the object's folio.
        private mutating func folioNamed(_ e: CExpr, _ t: Tuple) -> UInt8 {
            // An element read through a cursor is the object's folio exactly when the cursor is at its place.
            if let ci = cursorOf(e) { return t[layout.cursors[ci].attribute] == ObjectFacts.at ? Run.yes : Run.no }
            switch e {
            case .constant(let v, _):
                return v != 0 && ask(.ownerIs(Int(v))) == 1 ? Run.yes : Run.no
            case .local(let f, _):
                guard let a = layout.attribute[f], layout.role[f] == .folioRef else { return Run.either }
                return t[a] == 1 ? Run.yes : Run.no
            case .listElement(let l, _, _):
                return listHolds(l, t) & Run.yes != 0 ? Run.either : Run.no
            case .arrayElement(let b, let n, _, .folio):
                return ask(.against(.array(base: b, count: n, folios: true), -1)) != 0 ? Run.either : Run.no
            case .bufferFolio(let x):
                return bufferNamed(x, t) == Run.yes ? Run.yes : Run.either
            case .ternary(_, let a, let b):
                return folioNamed(a, t) | folioNamed(b, t)
            default:
                return Run.either
            }
        }

        /// Whether buffer-valued `e` names the object (never, for a folio).
        private mutating func bufferNamed(_ e: CExpr, _ t: Tuple) -> UInt8 {
            if ask(.isFolio) == 1 { return Run.no }
            if let ci = cursorOf(e) { return t[layout.cursors[ci].attribute] == ObjectFacts.at ? Run.yes : Run.no }
            switch e {
            case .constant(let v, _):
                return ask(.bufferIs(Int(v))) == 1 ? Run.yes : Run.no
            case .local(let f, _):
                guard let a = layout.attribute[f], layout.role[f] == .bufferRef else { return Run.either }
                return t[a] == 1 ? Run.yes : Run.no
            case .listElement(let l, _, _):
                return listHolds(l, t) & Run.yes != 0 ? Run.either : Run.no
            case .arrayElement(let b, let n, _, .buffer):
                return ask(.against(.array(base: b, count: n, folios: false), -1)) != 0 ? Run.either : Run.no
            case .ternary(_, let a, let b):
                return bufferNamed(a, t) | bufferNamed(b, t)
            default:
                return Run.either
            }
        }

        /// Whether list-valued `e` holds the object's folio (folio lists) or the object (buffer lists).
        private mutating func listHolds(_ e: CExpr, _ t: Tuple) -> UInt8 {
            switch e {
            case .constant(let id, _):
                return ask(.inList(Int(id))) == 1 ? Run.yes : Run.no
            case .local(let f, _):
                guard let a = layout.attribute[f], layout.role[f] == .folioList || layout.role[f] == .bufferList else { return Run.either }
                return t[a] == 1 ? Run.yes : Run.no
            case .folioBuffers(let x):
                return ask(.isFolio) == 1 ? Run.no : folioNamed(x, t)
            case .singletonList(let x, let kind):
                return kind == .folio ? folioNamed(x, t) : bufferNamed(x, t)
            case .ternary(_, let a, let b):
                return listHolds(a, t) | listHolds(b, t)
            default:
                return Run.either
            }
        }

        /// The cursor an element expression reads through, if its index is one.
        private func cursorOf(_ e: CExpr) -> Int? {
            let container: Layout.Container
            let counter: FieldID
            switch e {
            case .arrayElement(let b, let n, .local(let f, _), let kind):
                container = .array(base: b, count: n, folios: kind == .folio); counter = f
            case .listElement(.local(let l, _), .local(let f, _), _):
                container = .listField(l); counter = f
            case .listElement(.constant(let id, _), .local(let f, _), _):
                container = .constantList(Int(id)); counter = f
            default:
                return nil
            }
            return layout.cursorsOfCounter[counter]?.first { layout.cursors[$0].container == container }
        }

        /// The values a scalar expression may have in this tuple; nil when unknown.
        private mutating func scalarValues(_ e: CExpr, _ t: Tuple) -> [Int64]? {
            switch e {
            case .constant(let v, _): return [v]
            case .local(let f, _):
                guard let a = layout.attribute[f], layout.role[f] == .scalar else { return nil }
                return [layout.domain[f]![Int(t[a])]]
            case .folioMapping(let x):
                return folioNamed(x, t) == Run.yes ? [Int64(ask(.mapping))] : nil
            default:
                return nil
            }
        }

        /// What a condition may be in this tuple.
        private mutating func truth(_ e: CExpr, _ t: Tuple) -> UInt8 {
            switch e {
            case .constant(let v, _):
                return v != 0 ? Run.yes : Run.no
            case .local(let f, _):
                guard let values = scalarValues(e, t) else { return Run.either }
                _ = f
                return values.reduce(0) { $0 | ($1 != 0 ? Run.yes : Run.no) }
            case .setMember(let s, let x):
                guard let a = layout.attribute[s], folioNamed(x, t) == Run.yes else { return Run.either }
                return t[a] == 1 ? Run.yes : Run.no
            case .setEmpty(let s):
                guard let a = layout.attribute[s], t[a] == 1 else { return Run.either }
                return Run.no
            case .unary(.not, let x):
                let m = truth(x, t)
                return (m & Run.yes != 0 ? Run.no : 0) | (m & Run.no != 0 ? Run.yes : 0)
            case .binary(.and, let a, let b):
                let x = truth(a, t), y = truth(b, t)
                return (x & y & Run.yes) | ((x | y) & Run.no)
            case .binary(.or, let a, let b):
                let x = truth(a, t), y = truth(b, t)
                return ((x | y) & Run.yes) | (x & y & Run.no)
            case .binary(let op, let a, let b) where op == .equal || op == .notEqual:
                var m = Run.either
                if let x = scalarValues(a, t), let y = scalarValues(b, t) {
                    m = 0
                    for p in x { for q in y { m |= p == q ? Run.yes : Run.no } }
                } else if a.type == .folio && b.type == .folio {
                    let x = folioNamed(a, t), y = folioNamed(b, t)
                    if x == Run.yes && y == Run.yes { m = Run.yes } else if (x == Run.yes && y == Run.no) || (x == Run.no && y == Run.yes) { m = Run.no }
                }
                if op == .notEqual { m = (m & Run.yes != 0 ? Run.no : 0) | (m & Run.no != 0 ? Run.yes : 0) }
                return m
            case .binary(let op, .local(let c, _), let bound) where op == .less || op == .lessEqual:
                return cursorComparison(c, strict: op == .less, bound, t)
            default:
                return Run.either
            }
        }

        /// `c < bound` (or `<=`) through c's cursors: a cursor at or before the object's place
        /// is at most that place, one past it is above it.
        private mutating func cursorComparison(_ c: FieldID, strict: Bool, _ bound: CExpr, _ t: Tuple) -> UInt8 {
            guard let cs = layout.cursorsOfCounter[c] else { return Run.either }
            var m = Run.either
            for ci in cs {
                let cursor = layout.cursors[ci]
                let v = t[cursor.attribute]
                guard v != ObjectFacts.notInContainer, let places = inContainer(cursor.container, t) else { continue }
                switch bound {
                case .listLength(let l):
                    // Every place of a list is below its length.
                    let same: Bool
                    switch (cursor.container, l) {
                    case (.listField(let f), .local(let g, _)): same = f == g
                    case (.constantList(let id), .constant(let k, _)): same = Int64(id) == k
                    default: same = false
                    }
                    if same && (v == ObjectFacts.ahead || v == ObjectFacts.at) { m &= Run.yes }
                    // Past the last element: past the end.
                    if same && v == ObjectFacts.passed && ask(.lastPlace(places)) == 1 { m &= Run.no }
                case .constant(let k, _):
                    // c <= place < k (resp. c <= place <= k): true. c > place >= k - 1 (resp. >= k): false.
                    let limit = strict ? k : k + 1
                    if v == ObjectFacts.ahead || v == ObjectFacts.at {
                        if ask(.against(places, limit)) & 3 == 0 { m &= Run.yes }     // every place below `limit`
                    } else if ask(.against(places, limit - 1)) & 4 == 0 {
                        m &= Run.no                                                     // no place below limit - 1
                    }
                case .local(let other, _):
                    // Two cursors over the same container: `c < other`.
                    guard strict, let oc = layout.cursorsOfCounter[other]?.first(where: { layout.cursors[$0].container == cursor.container }) else { continue }
                    // Against the object's place p: c before p and other at or past it, or c at p
                    // and other past it, make c < other; c at or past p and other at or before
                    // it (not both past) make it false.
                    let w = t[layout.cursors[oc].attribute]
                    let (a, pa, z) = (ObjectFacts.ahead, ObjectFacts.at, ObjectFacts.passed)
                    if (v == a && (w == pa || w == z)) || (v == pa && w == z) { m &= Run.yes }
                    if (v == pa && (w == a || w == pa)) || (v == z && (w == a || w == pa)) { m &= Run.no }
                default:
                    continue
                }
            }
            return m == 0 ? Run.either : m
        }
    }
}
