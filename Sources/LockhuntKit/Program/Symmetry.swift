/// Groups of interchangeable threads: copies of one `thread w[i < N]` declaration whose code,
/// once compiled, is the same up to the renaming of their own locals (the body does not depend
/// on `i`). Swapping two such threads' local states (locals, task flags, program counter) maps
/// every run to a run, so a state and its swapped image need to be explored only once. The
/// shared part (folios, buffers, shared variables) is not permuted: threads whose code names
/// different folios are not interchangeable here.
public struct SymmetryGroups: Sendable {
    /// Each group's threads, in thread order; only groups of two or more.
    public let groups: [[Int]]

    public var isEmpty: Bool { groups.isEmpty }

    static let none = SymmetryGroups(groups: [])

    init(groups: [[Int]]) { self.groups = groups }

    init(program: Program) {
        var found: [[Int]] = []
        var byTemplate: [Int: [Int]] = [:]
        for (t, info) in program.threads.enumerated() { byTemplate[info.template, default: []].append(t) }
        for template in byTemplate.keys.sorted() {
            let members = byTemplate[template]!
            guard members.count > 1 else { continue }
            // Split the copies into classes of identical code.
            var classes: [(signature: [String], threads: [Int])] = []
            for t in members {
                guard let sig = SymmetryGroups.signature(program, t) else { continue }
                if let i = classes.firstIndex(where: { $0.signature == sig }) { classes[i].threads.append(t) }
                else { classes.append((sig, [t])) }
            }
            found.append(contentsOf: classes.map(\.threads).filter { $0.count > 1 })
        }
        groups = found
    }

    /// The thread's code and local layout with its own fields numbered from 0 and its bits
    /// counted from the start of its locals; nil if its fields are not contiguous.
    static func signature(_ p: Program, _ t: Int) -> [String]? {
        let info = p.threads[t]
        let own = p.fieldInfo.indices.filter { p.fieldInfo[$0].thread == t && $0 != info.pcField }
        guard let first = own.first, own.last! - first + 1 == own.count else { return nil }
        func f(_ id: FieldID) -> String {
            p.fieldInfo[id].thread == t ? "L\(id - first)" : "G\(id)"
        }
        func e(_ x: CExpr) -> String {
            switch x {
            case .constant(let v, let ty): return "c\(v):\(ty)"
            case .local(let id, _): return f(id)
            case .shared(let v, let i, _): return "s\(v)[\(i.map(e) ?? "")]"
            case .folioFlag(let k, let a): return "ff\(k.rawValue)(\(e(a)))"
            case .bufferFlag(let k, let a): return "bf\(k.rawValue)(\(e(a)))"
            case .setMember(let id, let a): return "in(\(f(id)),\(e(a)))"
            case .setEmpty(let id): return "empty(\(f(id)))"
            case .listLength(let a): return "len(\(e(a)))"
            case .listElement(let a, let b, _): return "el(\(e(a)),\(e(b)))"
            case .arrayElement(let base, let n, let i, _): return "ae\(base),\(n)(\(e(i)))"
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
        // The layout of its locals, relative to their start, and the width of its pc.
        for id in own {
            let fl = p.fields[id]
            out.append("@\(Int(fl.word) * 64 + Int(fl.shift) - info.localBits.lowerBound):\(fl.width):\(fl.signed)")
        }
        out.append("pc:\(p.fields[info.pcField].width) locals:\(info.localBits.count)")
        return out
    }
}
