import Foundation
import Testing
import LockhuntKit

/// The model library's verdicts. Expectations live in the scenario files themselves
/// (`expect deadlock under v5, ...`), so that they travel with the models.
@Suite("Model library")
struct ModelLibraryTests {
    static var scenarios: [String] {
        let dir = TestSupport.root + "/Models/scenarios"
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".lh") }.sorted()
    }

    /// (scenario, policy, expected verdict) for every expectation of every scenario.
    static var cases: [String] {
        var out: [String] = []
        for s in scenarios {
            let compiled = TestSupport.compile(path: TestSupport.root + "/Models/scenarios/" + s, policy: TestSupport.policy("upstream"))
            for e in compiled.program?.expectations ?? [] { out.append("\(s) \(e.policy) \(e.verdict.rawValue)") }
        }
        return out
    }

    @Test("every expectation holds", arguments: cases)
    func expectation(_ spec: String) throws {
        let parts = spec.split(separator: " ").map(String.init)
        let (scenario, policy, verdict) = (parts[0], parts[1], parts[2])
        let compiled = TestSupport.compile(path: TestSupport.root + "/Models/scenarios/" + scenario, policy: TestSupport.policy(policy))
        let program = try #require(compiled.program, "\(scenario) under \(policy):\n\(compiled.printed)")
        let result = TestSupport.explore(program)
        #expect(TestSupport.verdict(result) == verdict, "\(scenario) under \(policy)")
    }

    @Test("loop-bh states a verdict for each of the first six policies and v6.2")
    func loopBHCovered() throws {
        let program = try #require(TestSupport.compile(path: TraceTests.loopBH, policy: TestSupport.policy("v5")).program)
        let policies = Set(program.expectations.map(\.policy))
        for p in ["v6.2", "v5", "norefs-async", "trylock-only", "sync-light", "upstream"] {
            #expect(policies.contains(p), "loop-bh has no expectation for \(p)")
        }
    }

    @Test("the loop-bh deadlock under v5 is the cycle of the report: buffer lock, backing folio, lock_buffer")
    func loopBHCycle() throws {
        let program = try #require(TestSupport.compile(path: TraceTests.loopBH, policy: TestSupport.policy("v5")).program)
        let raw = try #require(TestSupport.explore(program).findings.first)
        let f = FindingBuilder(program: program).build(raw)
        guard case .deadlock(let tasks) = f.kind else { Issue.record("not a deadlock"); return }
        let kc = try #require(tasks.first { $0.thread == "kcompactd" })
        let lw = try #require(tasks.first { $0.thread == "loop_worker" })
        #expect(kc.waitsFor == "lock_buffer(bh)")
        #expect(kc.heldBy == "jbd2")
        #expect(kc.releasers == ["loop_worker"])
        #expect(kc.holds.map(\.lock).contains("folio A"))
        #expect(kc.callChain.first == "buffer_migrate_lock_buffers")
        #expect(lw.waitsFor == "folio_lock(A)")
        #expect(lw.heldBy == "kcompactd")
        #expect(Set(f.cycle) == ["kcompactd", "loop_worker"])
    }
}
