import Foundation
import Testing
import LockhuntKit

/// `replay --step`, driven by commands on standard input as a test (or a pipe) would.
@Suite("Step-by-step replay")
struct StepWalkerTests {
    @Test("forward, back, go to, last: holders and waiters after each step")
    func walk() throws {
        let r = TestSupport.lockhunt(["replay", "Traces/loop-bh.v5.trace", "--step"], input: "n\nn\np\ng 7\nl\nn\nq\n")
        #expect(r.status == 0, "\(r.stderr)")
        try GoldenTests.compare(r.stdout, "loop-bh.v5.step.txt")
        #expect(r.stdout.contains("step 7 of 8: kcompactd: folio_trylock(A) -> true"))
        #expect(r.stdout.contains("loop_worker  folio_lock(A) at Models/scenarios/loop-bh.lh:29:2 (held by kcompactd)"))
        #expect(r.stdout.contains("already at the end"))
    }

    @Test("end of input quits; bad commands are explained")
    func endOfInput() {
        let r = TestSupport.lockhunt(["replay", "Traces/loop-bh.v5.trace", "--step"], input: "p\nxyzzy\ng\ng 99\n")
        #expect(r.status == 0)
        #expect(r.stdout.contains("already at the start"))
        #expect(r.stdout.contains("unknown command 'xyzzy'"))
        #expect(r.stdout.contains("g needs a step number, 0 to 8"))
        #expect(r.stdout.contains("the trace has 8 steps"))
        let empty = TestSupport.lockhunt(["replay", "Traces/loop-bh.v5.trace", "--step"], input: "")
        #expect(empty.status == 0 && empty.stdout.contains("start: no step taken"))
    }
}
