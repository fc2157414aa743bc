import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration
import LockhuntFindings

extension ObjectFacts {
    /// The attributes of one thread's tuples: which locals are followed, and how.
    struct Layout {
        enum Role { case folioRef, bufferRef, folioList, bufferList, set, scalar }
        /// What a cursor counts over.
        enum Container: Hashable {
            case array(base: Int, count: Int, folios: Bool)
            case constantList(Int)
            case listField(FieldID)
        }
        struct Cursor {
            var counter: FieldID
            var container: Container
            var attribute: Int
        }

        /// Attribute 0: the thread holds the object's lock; 1: the writeback it started.
        static let holdsLock = 0, holdsWriteback = 1
        var count = 2
        var attribute: [FieldID: Int] = [:]
        var role: [FieldID: Role] = [:]
        /// The values a scalar can take; its attribute holds an index into this.
        var domain: [FieldID: [Int64]] = [:]
        var cursors: [Cursor] = []
        var cursorsOfCounter: [FieldID: [Int]] = [:]
        var cursorsOfList: [FieldID: [Int]] = [:]
        /// Per thread-relative pc: the attributes of the locals dead there, reset on arrival.
        var deadAttributes: [[Int]] = []

        init(program p: Program, thread ti: Int) {
            let t = p.threads[ti]
            let ir = Array(p.ir[t.codeStart..<(t.codeStart + t.codeCount)])
            let locals = p.analysis.localFields[ti]
            let scalars = Layout.smallScalars(p, ir, locals)
            var attributesOf: [FieldID: [Int]] = [:]
            func add(_ f: FieldID, _ r: Role) {
                attribute[f] = count
                role[f] = r
                attributesOf[f, default: []].append(count)
                count += 1
            }
            for f in locals {
                switch p.fieldInfo[f].type {
                case .folio: add(f, .folioRef)
                case .buffer: add(f, .bufferRef)
                case .list(.folio): add(f, .folioList)
                case .list(.buffer): add(f, .bufferList)
                case .set: add(f, .set)
                default:
                    if let values = scalars[f] {
                        add(f, .scalar)
                        domain[f] = values
                    }
                }
            }
            // Cursors: a local counter that indexes an array or a list.
            let mine = Set(locals)
            func scan(_ e: CExpr) {
                var found: (FieldID, Container)? = nil
                switch e {
                case .arrayElement(let b, let c, .local(let f, _), let kind): found = (f, .array(base: b, count: c, folios: kind == .folio))
                case .listElement(.local(let l, _), .local(let f, _), _): found = (f, .listField(l))
                case .listElement(.constant(let id, _), .local(let f, _), _): found = (f, .constantList(Int(id)))
                default: break
                }
                if let (f, k) = found, mine.contains(f), !cursors.contains(where: { $0.counter == f && $0.container == k }) {
                    cursors.append(Cursor(counter: f, container: k, attribute: count))
                    cursorsOfCounter[f, default: []].append(cursors.count - 1)
                    attributesOf[f, default: []].append(count)
                    if case .listField(let l) = k {
                        cursorsOfList[l, default: []].append(cursors.count - 1)
                        attributesOf[l, default: []].append(count)
                    }
                    count += 1
                }
                e.forEachSubexpression(scan)
            }
            for ins in ir { ins.op.forEachExpression(scan) }
            // Forgetting: the attributes of every local not live where a step arrives.
            let followed = Set(attributesOf.keys)
            for pc in 0..<t.codeCount {
                let live = Set(p.analysis.liveLocals(thread: ti, pc: pc))
                deadAttributes.append(followed.subtracting(live).flatMap { attributesOf[$0]! }.sorted())
            }
        }

        /// Scalars whose every value is a constant, a copy of such a scalar, a folio's mapping or
        /// a true/false result, with at most 16 values: their values, 0 (the start) included.
        static func smallScalars(_ p: Program, _ ir: [IRInstruction], _ locals: [FieldID]) -> [FieldID: [Int64]] {
            var candidates = Set(locals.filter {
                switch p.fieldInfo[$0].type {
                case .int, .bool, .enumeration: return true
                default: return false
                }
            })
            let mappings = Set(p.folios.map(\.mapping) + [0])
            while true {
                var values: [FieldID: Set<Int64>] = [:]
                for f in candidates { values[f] = [0] }
                var dropped = Set<FieldID>()
                var grew = true
                while grew {
                    grew = false
                    for ins in ir {
                        var add: Set<Int64> = []
                        var target: FieldID? = nil
                        switch ins.op {
                        case .assign(let f, let e) where candidates.contains(f):
                            target = f
                            switch e {
                            case .constant(let v, _): add = [v]
                            case .local(let g, _) where candidates.contains(g): add = values[g]!
                            case .folioMapping: add = mappings
                            default: dropped.insert(f)
                            }
                        case .folioTrylock(_, let d?), .trylockBuffer(_, let d?), .testClearFolioFlag(_, _, let d?):
                            if candidates.contains(d) { target = d; add = [0, 1] }
                        case .load(let f, _):
                            dropped.insert(f)
                        default: break
                        }
                        if let f = target, !add.isSubset(of: values[f]!) { values[f]!.formUnion(add); grew = true }
                    }
                }
                for (f, v) in values where v.count > 16 { dropped.insert(f) }
                dropped.formIntersection(candidates)
                if dropped.isEmpty { return values.mapValues { $0.sorted() } }
                candidates.subtract(dropped)
            }
        }
    }
}
