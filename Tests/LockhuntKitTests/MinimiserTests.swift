import Foundation
import Testing
import LockhuntKit

/// Trace minimisation: shorter or calmer traces, always to the same finding.
@Suite("Trace minimisation")
struct MinimiserTests {
    static let bystander = TestSupport.fixture("reports/bystander.lh")
    static let lostUpdate = TestSupport.fixture("reports/lost-update.lh")

    static func run(_ model: String, order: SearchOptions.Order = .breadthFirst, minimise: Bool = true, traceDir: String) -> CheckResult {
        var options = CheckOptions()
        options.models = [model]
        options.traceDir = traceDir
        options.minimise = minimise
        options.search.order = order
        return CheckRunner(options: options).run(model: model, policy: nil)
    }

    @Test("steps of a bystander thread are left out, and the shorter trace replays to the same deadlock")
    func dropsBystander() throws {
        let dir = TestSupport.temporaryDirectory()
        let raw = MinimiserTests.run(MinimiserTests.bystander, order: .depthFirst, minimise: false, traceDir: dir + "/raw")
        let r = MinimiserTests.run(MinimiserTests.bystander, order: .depthFirst, traceDir: dir + "/min")
        guard case .finding(let before) = raw.outcome, case .finding(let after) = r.outcome else { Issue.record("no finding"); return }
        #expect(before.steps.contains { $0.thread == "bystander" }, "the depth-first trace should meet the bystander first")
        #expect(!after.steps.contains { $0.thread == "bystander" })
        let m = try #require(after.minimisation)
        #expect(m.stepsBefore == before.steps.count && m.steps == after.steps.count && m.steps < m.stepsBefore)
        #expect(m.switches <= m.switchesBefore)
        // As short as breadth-first search's shortest trace.
        let bfs = MinimiserTests.run(MinimiserTests.bystander, minimise: false, traceDir: dir + "/bfs")
        if case .finding(let b) = bfs.outcome { #expect(after.steps.count == b.steps.count) }
        guard case .deadlock(let tb) = before.kind, case .deadlock(let ta) = after.kind else { return }
        #expect(Set(tb.map(\.thread)) == Set(ta.map(\.thread)))
        let replay = Replayer(options: .init(tracePath: try #require(r.tracePath))).run()
        #expect(replay.outcome == .reached, "\(replay.output)")
    }

    @Test("among the shortest traces, one with the fewest context switches")
    func fewestSwitches() throws {
        let dir = TestSupport.temporaryDirectory()
        let raw = MinimiserTests.run(MinimiserTests.lostUpdate, minimise: false, traceDir: dir + "/raw")
        let r = MinimiserTests.run(MinimiserTests.lostUpdate, traceDir: dir + "/min")
        guard case .finding(let before) = raw.outcome, case .finding(let after) = r.outcome else { Issue.record("no finding"); return }
        func switches(_ s: [TraceStep]) -> Int { zip(s, s.dropFirst()).filter { $0.thread != $1.thread }.count }
        #expect(after.steps.count == before.steps.count)
        #expect(switches(after.steps) < switches(before.steps))
        let m = try #require(after.minimisation)
        #expect(m.switches == switches(after.steps) && m.switchesBefore == switches(before.steps))
        // No shortest run does better: a brute-force check over every interleaving of that length.
        #expect(m.switches == MinimiserTests.bruteForceFewestSwitches(after.steps.count))
        let replay = Replayer(options: .init(tracePath: try #require(r.tracePath))).run()
        #expect(replay.outcome == .reached, "\(replay.output)")
    }

    /// The lost-update fixture by hand: a and b each read x, write x, bump done (3 steps each);
    /// the checker waits for done == 2, then fails its assert if a write was lost.
    static func bruteForceFewestSwitches(_ length: Int) -> Int {
        // Schedules of a (3 steps), b (3 steps), then the checker's 2 steps: the violation needs
        // both reads before both writes. Enumerate interleavings of a and b.
        var best = Int.max
        func go(_ a: Int, _ b: Int, _ seq: [Character]) {
            if a == 3 && b == 3 {
                let full = seq + ["c", "c"]
                guard full.count == length else { return }
                let ia = seq.firstIndex(of: "a")!, ib = seq.firstIndex(of: "b")!
                let wa = seq.indices.filter { seq[$0] == "a" }[1], wb = seq.indices.filter { seq[$0] == "b" }[1]
                guard ia < wb && ib < wa else { return }  // each read before the other's write
                best = min(best, zip(full, full.dropFirst()).filter { $0 != $1 }.count)
                return
            }
            if a < 3 { go(a + 1, b, seq + ["a"]) }
            if b < 3 { go(a, b + 1, seq + ["b"]) }
        }
        go(0, 0, [])
        return best
    }

    @Test("the fewest-switch search is capped, says so, and keeps a valid trace")
    func capped() throws {
        let c = TestSupport.compile(path: MinimiserTests.lostUpdate)
        let program = try #require(c.program)
        let search = TestSupport.explore(program)
        let raw = try #require(search.findings.first)
        var minimiser = TraceMinimiser(program: program)
        minimiser.maxPairs = 3
        let (out, m) = minimiser.minimise(raw)
        #expect(m.note?.contains("stopped at 3 states") == true, "\(String(describing: m.note))")
        #expect(out.path.count == raw.path.count)
        let f = FindingBuilder(program: program).build(out)
        guard case .violation(_, let message, _, _) = f.kind else { Issue.record("not a violation"); return }
        #expect(message == "assertion failed: assert(x == 2)")
    }

    @Test("check prints the length before and after")
    func reportLine() {
        let r = TestSupport.lockhunt(["check", MinimiserTests.bystander, "--search", "dfs", "--no-trace"])
        #expect(r.stdout.contains("counterexample: 6 steps, 1 context switch (11 steps, 3 before minimising)"), "\(r.stdout)")
        let off = TestSupport.lockhunt(["check", MinimiserTests.bystander, "--search", "dfs", "--no-trace", "--no-minimise"])
        #expect(!off.stdout.contains("counterexample:"))
        #expect(off.stdout.contains("steps (11):"))
    }
}
