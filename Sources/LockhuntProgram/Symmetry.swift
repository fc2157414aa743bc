import LockhuntBasics
import LockhuntLanguage

/// Groups of interchangeable threads, each thread with the folios that are its own.
///
/// Two threads are interchangeable when their compiled code is the same once each thread's own
/// folios (those no other thread names) are numbered in the order the code first names them:
/// copies of `thread w[i < N] { ... }` whose body does not depend on `i` (no own folios), or
/// threads that do the same thing to different folios, such as `folio_lock(P[i])` in each copy,
/// or two compaction runs `migrate_pages(P[0..4])` and `migrate_pages(P[4..8])`. Swapping two
/// members' local states (locals, task flags, program counter) together with their own folios
/// (flags, buffers, per-folio shared entries, and every local value naming one of them) maps
/// every run to a run, so a state and its swapped image need to be explored only once
/// (Canonicalizer.swift).
///
/// What makes a swap safe, and so what detection checks:
/// - the members' code is equal instruction by instruction, with constants naming own folios,
///   their buffers, lists and arrays of them compared by position in the member's own folios;
/// - the j-th own folios of all members start alike (mapping, flags, buffers and their flags);
/// - no thread outside the group, and no other member, can name a member's own folio: folios
///   named by two threads are common, and left in place by a swap;
/// - no shared variable holds a folio, buffer, list or set (it would need renaming too), and
///   no state records which task holds a lock (owner tracking).
/// Folios are named by constants only (a run-time folio comes from a constant, a list or an
/// array the code names), so the folios a thread names are found in its code.
public struct SymmetryGroups: Sendable {
    /// Each group's threads, in thread order; only groups of two or more.
    public let groups: [[Int]]
    /// Per group, per member: the member's own folios (ids), position for position: a swap
    /// exchanges the j-th own folios of the two members. Empty lists when the members name only
    /// common folios.
    public let ownFolios: [[[Int]]]

    public var isEmpty: Bool { groups.isEmpty }

    static let none = SymmetryGroups(groups: [], ownFolios: [])

    init(groups: [[Int]], ownFolios: [[[Int]]]) {
        self.groups = groups
        self.ownFolios = ownFolios
    }

    init(program p: Program) {
        // Owner fields hold thread numbers, which a swap would have to rename.
        guard p.ownerFields.isEmpty else { self = .none; return }
        let objectShared = p.shared.contains { v in
            switch v.type {
            case .folio, .buffer, .list, .set: return true
            default: return false
            }
        }
        let named = p.threads.indices.map { SymmetryGroups.namedFolios(p, $0) }
        var namers = [Int](repeating: 0, count: p.folios.count + 1)
        for list in named { for f in list { namers[f] += 1 } }

        var classes: [(signature: [String], threads: [Int], own: [[Int]])] = []
        var index: [[String]: Int] = [:]
        for t in p.threads.indices {
            let own = objectShared ? [] : named[t].filter { namers[$0] == 1 }
            guard let sig = SymmetryGroups.signature(p, t, own: own) else { continue }
            if let i = index[sig] {
                classes[i].threads.append(t)
                classes[i].own.append(own)
            } else {
                index[sig] = classes.count
                classes.append((sig, [t], [own]))
            }
        }
        let kept = classes.filter { $0.threads.count > 1 }
        groups = kept.map(\.threads)
        ownFolios = kept.map(\.own)
    }

    /// The folios thread `t`'s code names, in order of first appearance: folio constants, the
    /// folios of buffer constants, the elements of list constants and of indexed arrays, then
    /// anything the points-to analysis adds (nothing, for code the compiler produced).
    static func namedFolios(_ p: Program, _ t: Int) -> [Int] {
        var seen = Set<Int>()
        var out: [Int] = []
        func add(_ f: Int) { if f >= 1 && f <= p.folios.count && seen.insert(f).inserted { out.append(f) } }
        func addObject(_ id: Int, _ kind: ValueType.ElementKind) {
            if kind == .folio { add(id) } else if id >= 1 && id <= p.buffers.count { add(p.buffers[id - 1].folio) }
        }
        func addList(_ id: Int) {
            guard id >= 0 && id < p.lists.count else { return }
            for x in p.lists.lists[id] { addObject(x, p.lists.kinds[id]) }
        }
        func visit(_ x: CExpr) {
            switch x {
            case .constant(let v, .folio): add(Int(v))
            case .constant(let v, .buffer): addObject(Int(v), .buffer)
            case .constant(let v, .list): addList(Int(v))
            case .constant, .local, .setEmpty: break
            case .shared(_, let i, _): if let i { visit(i) }
            case .folioFlag(_, let a), .bufferFlag(_, let a), .setMember(_, let a), .listLength(let a),
                 .folioBuffers(let a), .folioMapping(let a), .bufferFolio(let a), .singletonList(let a, _),
                 .unary(_, let a):
                visit(a)
            case .listElement(let a, let b, _), .binary(_, let a, let b): visit(a); visit(b)
            case .arrayElement(let base, let n, let i, let kind):
                for id in base..<(base + n) { addObject(id, kind) }
                visit(i)
            case .ternary(let a, let b, let c): visit(a); visit(b); visit(c)
            }
        }
        let info = p.threads[t]
        for ins in p.ir[info.codeStart..<(info.codeStart + info.codeCount)] {
            switch ins.op {
            case .assign(_, let x), .setAdd(_, let x), .setRemove(_, let x), .branch(let x, _), .assert(let x, _),
                 .folioLock(let x), .folioTrylock(let x, _), .folioUnlock(let x), .lockBuffer(let x),
                 .trylockBuffer(let x, _), .unlockBuffer(let x), .setFolioFlag(_, let x, _),
                 .setBufferFlag(_, let x, _), .testClearFolioFlag(_, let x, _), .waitFolioFlagClear(_, let x),
                 .waitEvent(let x), .load(_, let x):
                visit(x)
            case .store(_, let i, let x): if let i { visit(i) }; visit(x)
            case .setClear, .jump, .choose, .countEvent, .finish: break
            }
        }
        // The points-to sets of its locals (ids of folios, buffers or lists, by the local's type).
        for id in p.fieldInfo.indices where p.fieldInfo[id].thread == t {
            guard let targets = p.analysis.pointsTo[id] else { continue }
            for x in targets.sorted() {
                switch p.fieldInfo[id].type {
                case .folio: add(x)
                case .buffer: addObject(x, .buffer)
                case .list: addList(x)
                default: break
                }
            }
        }
        return out
    }

    /// The thread's code and locals with its own fields numbered from 0 and its own folios by
    /// position in `own`; nil if its fields are not contiguous. Equal signatures make threads
    /// interchangeable.
    static func signature(_ p: Program, _ t: Int, own: [Int]) -> [String]? {
        let info = p.threads[t]
        let ownFields = p.fieldInfo.indices.filter { p.fieldInfo[$0].thread == t && $0 != info.pcField }
        guard let first = ownFields.first, ownFields.last! - first + 1 == ownFields.count else { return nil }
        var position: [Int: Int] = [:]
        for (j, f) in own.enumerated() { position[f] = j }
        func f(_ id: FieldID) -> String {
            p.fieldInfo[id].thread == t ? "L\(id - first)" : "G\(id)"
        }
        func folio(_ id: Int) -> String { position[id].map { "o\($0)" } ?? "F\(id)" }
        func object(_ id: Int, _ kind: ValueType.ElementKind) -> String {
            guard kind == .buffer, id >= 1 && id <= p.buffers.count else { return folio(id) }
            let owner = p.buffers[id - 1].folio
            guard position[owner] != nil, let r = p.folios[owner - 1].buffers.firstIndex(of: id) else { return "B\(id)" }
            return folio(owner) + ".\(r)"
        }
        func list(_ id: Int) -> String {
            guard id >= 0 && id < p.lists.count else { return "L?\(id)" }
            let kind = p.lists.kinds[id]
            return "\(kind)[" + p.lists.lists[id].map { object($0, kind) }.joined(separator: ",") + "]"
        }
        func e(_ x: CExpr) -> String {
            switch x {
            case .constant(let v, .folio): return v == 0 ? "NULLf" : folio(Int(v))
            case .constant(let v, .buffer): return v == 0 ? "NULLb" : object(Int(v), .buffer)
            case .constant(let v, .list): return list(Int(v))
            case .constant(let v, let ty): return "c\(v):\(ty)"
            case .local(let id, _): return f(id)
            case .shared(let v, let i, _): return "s\(v)[\(i.map(e) ?? "")]"
            case .folioFlag(let k, let a): return "ff\(k.rawValue)(\(e(a)))"
            case .bufferFlag(let k, let a): return "bf\(k.rawValue)(\(e(a)))"
            case .setMember(let id, let a): return "in(\(f(id)),\(e(a)))"
            case .setEmpty(let id): return "empty(\(f(id)))"
            case .listLength(let a): return "len(\(e(a)))"
            case .listElement(let a, let b, _): return "el(\(e(a)),\(e(b)))"
            case .arrayElement(let base, let n, let i, let kind):
                return "ae[" + (base..<(base + n)).map { object($0, kind) }.joined(separator: ",") + "](\(e(i)))"
            case .folioBuffers(let a): return "fb(\(e(a)))"
            case .folioMapping(let a): return "fm(\(e(a)))"
            case .bufferFolio(let a): return "bfo(\(e(a)))"
            case .singletonList(let a, let k): return "sl\(k)(\(e(a)))"
            case .unary(let op, let a): return "\(op.rawValue)(\(e(a)))"
            case .binary(let op, let a, let b): return "(\(e(a))\(op.rawValue)\(e(b)))"
            case .ternary(let a, let b, let c): return "(\(e(a))?\(e(b)):\(e(c)))"
            }
        }
        func o(_ x: FieldID?) -> String { x.map(f) ?? "-" }
        var out: [String] = []
        for ins in p.ir[info.codeStart..<(info.codeStart + info.codeCount)] {
            switch ins.op {
            case .assign(let a, let x): out.append("as \(f(a)) \(e(x))")
            case .setAdd(let a, let x): out.append("sa \(f(a)) \(e(x))")
            case .setRemove(let a, let x): out.append("sr \(f(a)) \(e(x))")
            case .setClear(let a): out.append("sc \(f(a))")
            case .branch(let x, let t): out.append("br \(e(x)) \(t)")
            case .jump(let t): out.append("j \(t)")
            case .assert(let x, let k): out.append("at \(e(x)) \(k)")
            case .folioLock(let x): out.append("fl \(e(x))")
            case .folioTrylock(let x, let d): out.append("ft \(e(x)) \(o(d))")
            case .folioUnlock(let x): out.append("fu \(e(x))")
            case .lockBuffer(let x): out.append("lb \(e(x))")
            case .trylockBuffer(let x, let d): out.append("tb \(e(x)) \(o(d))")
            case .unlockBuffer(let x): out.append("ub \(e(x))")
            case .setFolioFlag(let k, let x, let v): out.append("sff \(k.rawValue) \(e(x)) \(v)")
            case .setBufferFlag(let k, let x, let v): out.append("sbf \(k.rawValue) \(e(x)) \(v)")
            case .testClearFolioFlag(let k, let x, let d): out.append("tcf \(k.rawValue) \(e(x)) \(o(d))")
            case .waitFolioFlagClear(let k, let x): out.append("wf \(k.rawValue) \(e(x))")
            case .waitEvent(let x): out.append("we \(e(x))")
            case .load(let a, let x): out.append("ld \(f(a)) \(e(x))")
            case .store(let v, let i, let x): out.append("st \(v) \(i.map(e) ?? "") \(e(x))")
            case .choose(let ts): out.append("ch \(ts)")
            case .countEvent(let k): out.append("ce \(k)")
            case .finish: out.append("fin")
            }
        }
        // Its locals: widths and types (a swap moves them field by field), and its pc's width.
        for id in ownFields {
            let fl = p.fields[id]
            out.append("\(fl.width):\(fl.signed):\(p.fieldInfo[id].type)")
        }
        out.append("pc:\(p.fields[info.pcField].width) flags:\(info.flagsField - first)")
        // How its own folios start: a swap must map the initial state to itself.
        for (j, fid) in own.enumerated() {
            let fo = p.folios[fid - 1]
            let bufs = fo.buffers.map { p.buffers[$0 - 1].initialFlags.map(\.rawValue) }
            out.append("o\(j): m\(fo.mapping) \(fo.initialFlags.map(\.rawValue)) \(bufs)")
        }
        return out
    }
}
