import LockhuntBasics
import LockhuntProgram

/// Maps a finding of a search without folding (`--reduce` without `fold`) to the same finding
/// in folded runs: the steps that traces, reports and `lockhunt replay` speak of.
///
/// Without folding, each local instruction is a step of its own. Local code reads and writes
/// only its own thread's locals, so each local step commutes with every step of the other
/// threads: moved back to right after its thread's previous visible step, it changes nothing
/// any other step sees. The run's visible steps, taken in the same order by the folding
/// machine, therefore go through the same shared states, each thread's local code done as soon
/// as the visible step before it is. Where the unfolded run ends:
///
/// - a deadlock: every thread of it rests at a blocking instruction, with the same locals, in
///   the folded state too; the folded machine only has fewer runs from there, so they still
///   never wake. Threads that were still in local code have run it, and may have blocked too:
///   the folded state's deadlock is computed anew and contains the unfolded one.
/// - a fault in a visible step: the same step faults from the folded state.
/// - a fault in local code: the folded machine meets it while folding the local code after that
///   thread's last visible step (or in the initial state), the same instruction and values.
///
/// Folding runs a thread's local code to its end at once, so it may meet a fault the unfolded
/// run had not reached yet (a thread that was still in local code when others deadlocked). That
/// fault is then the finding: a real one in both semantics, since nothing can stop local code;
/// `exact` is false. The signature is the folded finding's (FindingLog).
struct FoldProjection {
    let program: Program

    func project(_ raw: RawFinding) -> (finding: RawFinding, exact: Bool, signature: [Int]) {
        var unfolded = Machine(program, folding: false)
        var folded = Machine(program)
        let words = program.wordsPerState
        let succ = UnsafeMutablePointer<UInt64>.allocate(capacity: words * max(1, folded.maxChoices))
        defer { unfolded.release(); folded.release(); succ.deallocate() }

        // The visible steps of the unfolded path, as (thread, branch).
        var visible: [(thread: Int, choice: Int)] = []
        for (from, to) in zip(raw.path, raw.path.dropFirst()) {
            var step: (thread: Int, choice: Int, local: Bool)? = nil
            from.withUnsafeBufferPointer { s in
                for t in 0..<unfolded.threadCount where step == nil {
                    let n = unfolded.step(s.baseAddress!, t, succ)
                    for k in 0..<max(0, n) where unfolded.isSuccessor(k) {
                        if UnsafeBufferPointer(start: succ + k * words, count: words).elementsEqual(to) {
                            let g = unfolded.globalPC(s.baseAddress!, t)
                            step = (t, k, !program.ir[g].op.rests(folding: true))
                            break
                        }
                    }
                }
            }
            guard let step else { preconditionFailure("a step of an unfolded finding does not replay") }
            if !step.local { visible.append((step.thread, step.choice)) }
        }

        // The same visible steps on the folding machine.
        var cur = [UInt64](repeating: 0, count: words)
        let started = cur.withUnsafeMutableBufferPointer { folded.initialState(program.rawInitialState, into: $0.baseAddress!) }
        if !started {
            var f = RawFinding(kind: .violation(folded.fault), path: [])
            f.faultingThread = program.thread(ofPC: Int(folded.fault.pc))
            return (f, false, FindingLog.faultSignature(folded.fault))
        }
        var path = [cur]
        for (t, k) in visible {
            let n = cur.withUnsafeBufferPointer { folded.step($0.baseAddress!, t, succ) }
            if n < 0 || (folded.faultedBranches > 0 && !folded.isSuccessor(k)) {
                // The local code after this step faults: in folded runs, this step does.
                var f = RawFinding(kind: .violation(folded.fault), path: path)
                f.faultingThread = t
                f.faultingChoice = k
                return (f, false, FindingLog.faultSignature(folded.fault))
            }
            precondition(k < n, "a visible step of an unfolded finding is not a folded step")
            cur = Array(UnsafeBufferPointer(start: succ + k * words, count: words))
            path.append(cur)
        }

        var result = RawFinding(kind: raw.kind, path: path)
        switch raw.kind {
        case .deadlock:
            let dead = cur.withUnsafeBufferPointer { folded.deadlockedThreads($0.baseAddress!, program.analysis.resources) }
            precondition(dead != 0, "an unfolded deadlock is no deadlock once folded")
            let threads = (0..<folded.threadCount).filter { dead & (UInt64(1) << UInt64($0)) != 0 }
            result.kind = .deadlock(threads)
            let signature = cur.withUnsafeBufferPointer { s in FindingLog.deadlockSignature(threads) { folded.globalPC(s.baseAddress!, $0) } }
            return (result, true, signature)
        case .violation:
            // The faulting step is visible (a local one faulted above): it faults here too.
            guard let t = raw.faultingThread else { preconditionFailure("a violation without its thread") }
            let n = cur.withUnsafeBufferPointer { folded.step($0.baseAddress!, t, succ) }
            precondition(n < 0 || (folded.faultedBranches > 0 && !folded.isSuccessor(raw.faultingChoice)),
                         "an unfolded fault does not fault once folded")
            result.kind = .violation(folded.fault)
            result.faultingThread = t
            result.faultingChoice = raw.faultingChoice
            return (result, true, FindingLog.faultSignature(folded.fault))
        }
    }
}
