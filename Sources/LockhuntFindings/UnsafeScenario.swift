import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration

/// lockdep's "possible unsafe locking scenario", for our deadlocks: one column per task that
/// takes or waits for a lock of the deadlock, and only the steps that matter, so that the
/// interleaving fits in a few lines.
extension UnsafeScenario {
    /// The lines: for every lock the deadlocked tasks wait for, the step that took it (and is
    /// still holding it at the end), in run order; then each task's wait that never ends, in
    /// cycle order.
    init(timeline: Timeline, tasks: [BlockedTask], cycle: [String], program: Program) {
        let awaited = Set(tasks.compactMap(\.lock))
        var rows: [(thread: Int, text: String)] = []
        // Only the acquisition that the final holder made counts: earlier rounds of the same
        // lock were released again and play no part.
        let finalHolds = timeline.entries.last?.held ?? [:]
        for (i, e) in timeline.entries.enumerated() {
            guard case .acquired(let lock, _) = e.effect, awaited.contains(lock),
                  let h = finalHolds[lock], h.step == i else { continue }
            rows.append((e.thread, e.step.operation))
        }
        let order = cycle.isEmpty ? tasks.map(\.thread) : cycle
        for name in order {
            guard let t = tasks.first(where: { $0.thread == name }),
                  let index = program.threads.firstIndex(where: { $0.name == name }) else { continue }
            rows.append((index, "\(t.waitsFor)  <- waits forever"))
        }
        let used = Set(rows.map(\.thread)).sorted()
        columns = used.map { program.threads[$0].name }
        lines = rows.map { Line(column: used.firstIndex(of: $0.thread)!, text: $0.text) }
    }
}
