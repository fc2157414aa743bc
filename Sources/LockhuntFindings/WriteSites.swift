import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration

/// Where a thread may still write a resource: the instructions reachable from its current point
/// whose (statically computed) write set contains it. This is how a report says where a lock
/// that its holder handed off (a buffer locked for I/O) would be released, and by whom.
extension Program {
    /// Global pcs of thread `t`'s instructions reachable from global pc `from` (itself
    /// included) that may write resource `r`, in program order.
    public func writeSites(resource r: Int, thread t: Int, from: Int) -> [Int] {
        let info = threads[t]
        let start = from - info.codeStart
        guard start >= 0 && start < info.codeCount else { return [] }
        var seen = [Bool](repeating: false, count: info.codeCount)
        var work = [start]
        seen[start] = true
        var out: [Int] = []
        while let pc = work.popLast() {
            let g = info.codeStart + pc
            if analysis.writes(pc: g).contains(r) { out.append(g) }
            for s in Analysis.successors(ir[g].op, pc) where s >= 0 && s < info.codeCount && !seen[s] {
                seen[s] = true
                work.append(s)
            }
        }
        return out.sorted()
    }

    /// The resource number of a lock named as the reports name it (`folio A`, `buffer bh`).
    public func lockResource(_ lock: String) -> Int? {
        let parts = lock.split(separator: " ", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return nil }
        if parts[0] == "folio", let i = folios.firstIndex(where: { $0.name == parts[1] }) {
            return analysis.resources.folio(i + 1, .locked)
        }
        if parts[0] == "buffer", let i = buffers.firstIndex(where: { $0.name == parts[1] }) {
            return analysis.resources.buffer(i + 1, .locked)
        }
        return nil
    }

    /// How a resource reads in a report: `x`, `PG_locked of folio A`, `BH_Uptodate of buffer bh`.
    public func resourceName(_ r: Int) -> String {
        switch analysis.resources.kind(r) {
        case .folio(let f, let flag): return "\(flag.kernelName) of folio \(folioName(Int64(f)))"
        case .buffer(let b, let flag): return "\(flag.kernelName) of buffer \(bufferName(Int64(b)))"
        case .shared(let v, let k): return fieldInfo[shared[v].firstField + k].name
        }
    }
}
