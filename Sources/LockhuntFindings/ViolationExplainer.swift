import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration

/// For a broken invariant: which shared state the failing check reads, who wrote it last, and
/// which writes were lost, that is overwritten by a task that computed its value from a read
/// made before the write (the classic lost update).
struct ViolationExplainer {
    let program: Program

    /// The resources a step wrote, exactly (from the object it acted on, not the static may-set).
    func writes(_ tr: Transition) -> [Int] {
        let res = program.analysis.resources
        let o = Int(tr.event.object)
        switch program.ir[Int(tr.event.pc)].op {
        case .store(let v, _, _): return [res.shared(v, Int(tr.event.index))]
        case .setFolioFlag(let k, _, _), .testClearFolioFlag(let k, _, _): return o > 0 ? [res.folio(o, k)] : []
        case .setBufferFlag(let k, _, _): return o > 0 ? [res.buffer(o, k)] : []
        case .folioLock, .folioUnlock: return o > 0 ? [res.folio(o, .locked)] : []
        case .folioTrylock: return o > 0 && tr.event.outcome != 0 ? [res.folio(o, .locked)] : []
        case .lockBuffer, .unlockBuffer: return o > 0 ? [res.buffer(o, .locked)] : []
        case .trylockBuffer: return o > 0 && tr.event.outcome != 0 ? [res.buffer(o, .locked)] : []
        default: return []
        }
    }

    /// The resources a step read: exact for flag tests, the static set otherwise.
    func reads(_ tr: Transition) -> [Int] {
        let res = program.analysis.resources
        let o = Int(tr.event.object)
        switch program.ir[Int(tr.event.pc)].op {
        case .load(_, .folioFlag(let k, _)): return o > 0 ? [res.folio(o, k)] : []
        case .load(_, .bufferFlag(let k, _)): return o > 0 ? [res.buffer(o, k)] : []
        default: return program.analysis.reads(pc: Int(tr.event.pc))
        }
    }

    func account(faultPC: Int, transitions trs: [Transition], steps: [TraceStep]) -> ViolationAccount? {
        let checked = program.analysis.reads(pc: faultPC)
        guard !checked.isEmpty else { return nil }
        func record(_ r: Int, _ i: Int) -> SharedWrite {
            SharedWrite(resource: program.resourceName(r), step: i + 1, thread: steps[i].thread,
                        operation: steps[i].operation, location: steps[i].location)
        }
        var last: [SharedWrite] = []
        var lost: [LostWrite] = []
        // The last transition is the faulting step itself, which never completes.
        let run = trs.count == steps.count ? Array(0..<max(0, trs.count - 1)) : []
        for r in checked {
            let writeSteps = run.filter { writes(trs[$0]).contains(r) }
            guard let final = writeSteps.last else { continue }
            last.append(record(r, final))
            // A write by a, then the next write by b != a, where b's last read of r before its
            // write came before a's write: a's write was lost.
            for (a, b) in zip(writeSteps, writeSteps.dropFirst()) where trs[a].thread != trs[b].thread {
                let readsByB = run.filter { $0 < b && trs[$0].thread == trs[b].thread && reads(trs[$0]).contains(r) }
                if let k = readsByB.last, k < a {
                    var read = record(r, k)
                    read.operation = "\(steps[k].operation) -> \(steps[k].outcome)"
                    lost.append(LostWrite(write: record(r, a), overwrittenBy: record(r, b), staleRead: read))
                }
            }
        }
        return ViolationAccount(reads: checked.map(program.resourceName), lastWrites: last, lost: lost)
    }
}
