import Foundation
import Testing
import LockhuntKit

/// The text report: a deadlock read as lockdep reads it, a violation with its lost write.
@Suite("Reports")
struct ReportTests {
    static func check(_ model: String, policy: String? = nil, configure: (inout CheckOptions) -> Void = { _ in }) -> CheckResult {
        var options = CheckOptions()
        options.models = [model]
        options.writeTraces = false
        configure(&options)
        return CheckRunner(options: options).run(model: model, policy: policy.map(TestSupport.policy))
    }

    @Test("the loop-bh deadlock under v5 reads as the cycle: bh of jbd2, loop_worker's folio A, kcompactd's lock_buffer")
    func loopBHCycle() throws {
        let r = ReportTests.check(TraceTests.loopBH, policy: "v5")
        guard case .finding(let f) = r.outcome, case .deadlock(let tasks) = f.kind else { Issue.record("no deadlock"); return }
        let text = TextReport().render(r)
        for needle in [
            "WARNING: deadlock: loop_worker and kcompactd wait for each other and can never wake up",
            "loop_worker is trying to take folio A:",
            "Models/scenarios/loop-bh.lh:29:2 in loop_worker",
            "but folio A is held: kcompactd took it at step 7:",
            "kcompactd is trying to take buffer bh:",
            "Models/lib/migrate-move.lh:38:4 in buffer_migrate_lock_buffers",
            "but buffer bh is held: jbd2 took it at step 1 and has finished:",
            "Models/scenarios/loop-bh.lh:20:2 in jbd2",
            "and only loop_worker releases it, at:",
            "Models/scenarios/loop-bh.lh:31:2 in loop_worker",
            "which closes the cycle: loop_worker -> kcompactd -> loop_worker",
            "possible unsafe scenario:",
            "*** DEADLOCK ***",
        ] {
            #expect(text.contains(needle), "missing: \(needle)")
        }
        let kc = try #require(tasks.first { $0.thread == "kcompactd" })
        #expect(kc.lock == "buffer bh")
        #expect(kc.heldBy == "jbd2" && kc.holderFinished)
        #expect(kc.releaseSites.count == 1 && kc.releaseSites[0].location.hasSuffix("Models/scenarios/loop-bh.lh:31:2"))
        let lw = try #require(tasks.first { $0.thread == "loop_worker" })
        #expect(lw.heldBy == "kcompactd" && !lw.holderFinished && lw.heldSince?.step == 7)
    }

    @Test("the unsafe scenario has one column per task and only the lines that make the deadlock")
    func scenarioTable() throws {
        let r = ReportTests.check(TraceTests.loopBH, policy: "v5")
        guard case .finding(let f) = r.outcome else { Issue.record("no finding"); return }
        let sc = try #require(f.scenario)
        #expect(sc.columns == ["jbd2", "loop_worker", "kcompactd"])
        let lines = sc.lines.map { "\(sc.columns[$0.column]): \($0.text)" }
        // folio X plays no part in the cycle: its trylock is left out.
        #expect(lines == [
            "jbd2: lock_buffer(bh)",
            "kcompactd: folio_trylock(A)",
            "loop_worker: folio_lock(A)  <- waits forever",
            "kcompactd: lock_buffer(bh)  <- waits forever",
        ])
    }

    @Test("a lost update names the lost write, the write that overwrote it, and the stale read behind it")
    func lostWrite() throws {
        let r = ReportTests.check(TestSupport.fixture("reports/lost-update.lh"))
        guard case .finding(let f) = r.outcome, case .violation = f.kind else { Issue.record("no violation"); return }
        let a = try #require(f.account)
        #expect(a.reads == ["x"])
        let lost = try #require(a.lost.first)
        #expect(lost.write.thread != lost.overwrittenBy.thread)
        #expect(lost.write.operation == "x = 1" && lost.overwrittenBy.operation == "x = 1")
        let read = try #require(lost.staleRead)
        #expect(read.thread == lost.overwrittenBy.thread)
        #expect(read.step < lost.write.step && lost.write.step < lost.overwrittenBy.step)
        #expect(read.operation == "x -> 0")
        let text = TextReport().render(r)
        #expect(text.contains("lost write: x = 1 by \(lost.write.thread) at step \(lost.write.step)"))
        let cli = TestSupport.lockhunt(["check", "Tests/LockhuntKitTests/Fixtures/reports/lost-update.lh", "--no-trace"])
        #expect(cli.status == 1)
        try GoldenTests.compare(cli.stdout, "lost-update.report.txt")
    }
}
