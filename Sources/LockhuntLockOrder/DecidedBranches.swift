import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration
import LockhuntFindings

/// Branches whose outcome the model's constants decide, for the static analyses: a policy's
/// `switch (folio_mapping(src))` has one live arm when every folio src may name has the same
/// mapping, and `writeout()` is then dead code for a batch of anonymous folios. Without this,
/// the wait graph would hold the migrator responsible for writeback that no run can start.
///
/// The values are flow-insensitive: every value a local field is ever given, which is sound
/// because the compiler gives each field its value where it is declared, before any read.
package struct DecidedBranches {
    /// For each decided branch (global pc): whether its condition always holds.
    private var outcome: [Int: Bool] = [:]

    package init(program p: Program) {
        // Possible values per field; nil = unknown.
        var values: [FieldID: Set<Int64>?] = [:]
        let cap = 64
        func folios(_ e: CExpr) -> [Int]? {
            switch e {
            case .local(let f, _): return p.analysis.pointsTo[f].map { Array($0) }
            case .constant(let v, _): return [Int(v)]
            case .arrayElement(let base, let count, _, .folio): return Array(base..<(base + count))
            default: return nil
            }
        }
        func eval(_ e: CExpr) -> Set<Int64>? {
            switch e {
            case .constant(let v, _): return [v]
            case .local(let f, _):
                guard let known = values[f] else { return [] }   // not given a value yet (fixpoint)
                return known
            case .folioMapping(let x):
                guard let ids = folios(x), !ids.isEmpty, ids.allSatisfy({ $0 >= 1 && $0 <= p.folios.count }) else { return nil }
                return Set(ids.map { p.folios[$0 - 1].mapping })
            case .unary(.not, let x):
                return eval(x).map { Set($0.map { $0 == 0 ? 1 : 0 }) }
            case .binary(let op, let a, let b):
                guard let l = eval(a), let r = eval(b), l.count * r.count <= cap else { return nil }
                var out = Set<Int64>()
                for x in l {
                    for y in r {
                        switch op {
                        case .equal: out.insert(x == y ? 1 : 0)
                        case .notEqual: out.insert(x != y ? 1 : 0)
                        case .and: out.insert(x != 0 && y != 0 ? 1 : 0)
                        case .or: out.insert(x != 0 || y != 0 ? 1 : 0)
                        default: return nil
                        }
                    }
                }
                return out
            default:
                return nil
            }
        }
        func give(_ f: FieldID, _ v: Set<Int64>?) -> Bool {
            switch values[f] {
            case nil:
                values[f] = .some(v)
                return true
            case .some(nil):
                return false
            case .some(let old?):
                guard let v else { values[f] = .some(nil); return true }
                let merged = old.union(v)
                if merged == old { return false }
                values[f] = .some(merged.count > cap ? nil : merged)
                return true
            }
        }
        var changed = true
        while changed {
            changed = false
            for ins in p.ir {
                switch ins.op {
                case .assign(let f, let e): if give(f, eval(e)) { changed = true }
                case .load(let f, _): if give(f, nil) { changed = true }
                case .folioTrylock(_, let d?), .trylockBuffer(_, let d?), .testClearFolioFlag(_, _, let d?):
                    if give(d, [0, 1]) { changed = true }
                case .setAdd(let f, _), .setRemove(let f, _), .setClear(let f):
                    if give(f, nil) { changed = true }
                default: break
                }
            }
        }
        for (pc, ins) in p.ir.enumerated() {
            guard case .branch(let cond, _) = ins.op, let v = eval(cond), !v.isEmpty else { continue }
            if !v.contains(0) { outcome[pc] = true }
            else if v == [0] { outcome[pc] = false }
        }
    }

    /// The successors of a thread-relative pc that some run may take.
    func successors(_ op: IROp, _ pc: Int, global g: Int) -> [Int] {
        if case .branch(_, let elseTarget) = op, let o = outcome[g] { return o ? [pc + 1] : [elseTarget] }
        return Analysis.successors(op, pc)
    }

    var count: Int { outcome.count }
}
