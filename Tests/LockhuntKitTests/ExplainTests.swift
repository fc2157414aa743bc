import Foundation
import Testing
import LockhuntKit

/// `lockhunt explain`: the static lock-order graph and the explorer's verdict on each cycle.
@Suite("Explain")
struct ExplainTests {
    static func verdicts(_ model: String, policy: String? = nil) throws -> (Program, CycleVerdicts) {
        let c = TestSupport.compile(path: model, policy: policy.map(TestSupport.policy))
        let p = try #require(c.program, "\(c.printed)")
        return (p, CycleVerdicts(program: p, search: SearchOptions()))
    }

    @Test("loop-bh under v5: the hand-off cycle through buffer bh and folio A is confirmed")
    func v5() throws {
        let (p, v) = try ExplainTests.verdicts(TraceTests.loopBH, policy: "v5")
        // loop_worker takes folio A before it releases bh, which jbd2 locked: a hand-off edge.
        let handoff = try #require(v.graph.edges.first { $0.from == "buffer bh" && $0.to == "folio A" })
        let inst = try #require(handoff.instances.first { $0.kind == .handoff })
        #expect(p.threads[inst.thread].name == "loop_worker")
        #expect(p.location(ofPC: inst.takePC).hasSuffix("Models/scenarios/loop-bh.lh:29:2"))
        #expect(inst.holdPCs.count == 1 && p.location(ofPC: inst.holdPCs[0]).hasSuffix("Models/scenarios/loop-bh.lh:31:2"))
        let confirmed = v.cycles.filter { if case .confirmed = $0.verdict { return true } else { return false } }
        #expect(confirmed.map { Set($0.locks) } == [Set(["folio A", "buffer bh"])])
        let r = TestSupport.lockhunt(["explain", "Models/scenarios/loop-bh.lh", "--policy", "v5"])
        #expect(r.status == 1)
        try GoldenTests.compare(r.stdout, "loop-bh.v5.explain.txt")
    }

    @Test("loop-bh under upstream: every cycle is ruled out")
    func upstream() throws {
        let (_, v) = try ExplainTests.verdicts(TraceTests.loopBH, policy: "upstream")
        #expect(!v.cycles.isEmpty)
        for c in v.cycles {
            guard case .ruledOut = c.verdict else { Issue.record("\(c.locks) is not ruled out"); continue }
        }
        let r = TestSupport.lockhunt(["explain", "Models/scenarios/loop-bh.lh", "--policy", "upstream"])
        #expect(r.status == 0)
        try GoldenTests.compare(r.stdout, "loop-bh.upstream.explain.txt")
    }

    @Test("a cycle one of whose edges is only a trylock is ruled out, and the report says why")
    func trylockBreaksCycle() throws {
        let (_, v) = try ExplainTests.verdicts(TestSupport.fixture("reports/trylock-breaks-cycle.lh"))
        #expect(v.cycles.count == 1)
        guard case .ruledOut(let why)? = v.cycles.first?.verdict else { Issue.record("not ruled out"); return }
        #expect(why.contains("folio B -> folio A is only ever taken by folio_trylock, which cannot wait"))
        let edge = try #require(v.graph.edges.first { $0.from == "folio B" && $0.to == "folio A" })
        #expect(edge.trylockOnly)
    }

    @Test("an ABBA order is found statically and confirmed")
    func abba() throws {
        let (_, v) = try ExplainTests.verdicts(MinimiserTests.bystander)
        #expect(v.cycles.count == 1)
        guard case .confirmed(let f)? = v.cycles.first?.verdict, case .deadlock(let tasks) = f.kind else { Issue.record("not confirmed"); return }
        #expect(Set(tasks.map(\.thread)) == ["a", "b"])
        #expect(!f.steps.contains { $0.thread == "bystander" })
    }

    @Test("usage errors")
    func usage() {
        let r = TestSupport.lockhunt(["explain"])
        #expect(r.status == 2 && r.stderr.contains("no model given"))
        let all = TestSupport.lockhunt(["explain", "Models/scenarios/loop-bh.lh", "--policy", "all"])
        #expect(all.status == 2 && all.stderr.contains("one policy"))
    }
}
