import Foundation
import Testing
import LockhuntKit

/// Every reduction keeps every verdict: checked against the unreduced search on the model
/// library, the semantics fixtures and a few hundred random models.
@Suite("Reductions keep verdicts")
struct ReductionTests {
    static let settings: [Reductions] = [.partialOrder, .symmetry, .all]

    static func verdicts(_ program: Program) -> [String] {
        ([Reductions.none] + settings).map { r in TestSupport.verdict(TestSupport.explore(program) { $0.reductions = r }) }
    }

    @Test("random models: every reduction agrees with the unreduced search", arguments: 0..<4)
    func random(_ batch: Int) throws {
        var differing: [String] = []
        var counts: [String: Int] = [:]
        for seed in UInt64(batch * 100)..<UInt64(batch * 100 + 100) {
            let text = RandomModels.generate(seed: seed)
            let compiled = TestSupport.compile(text)
            let program = try #require(compiled.program, "seed \(seed) does not compile:\n\(compiled.printed)\n\(text)")
            let v = ReductionTests.verdicts(program)
            counts[v[0], default: 0] += 1
            if Set(v).count != 1 { differing.append("seed \(seed): \(v)\n\(text)") }
        }
        #expect(differing.isEmpty, "\(differing.joined(separator: "\n"))")
        // The generator must exercise every verdict, or this test proves little.
        #expect(counts["ok", default: 0] > 5 && counts["deadlock", default: 0] > 5 && counts["violation", default: 0] > 2, "\(counts)")
    }

    @Test("the semantics fixtures", arguments: TestSupport.fixtures(in: "semantics"))
    func fixtures(_ name: String) throws {
        let program = try #require(TestSupport.compile(path: TestSupport.fixture("semantics/" + name)).program)
        let v = ReductionTests.verdicts(program)
        #expect(Set(v).count == 1, "\(name): \(v)")
    }

    @Test("every scenario under every policy")
    func library() throws {
        let scenarios = ModelLibraryTests.scenarios
        let policies = ((try? FileManager.default.contentsOfDirectory(atPath: TestSupport.root + "/Models/policies")) ?? [])
            .filter { $0.hasSuffix(".lh") }.map { String($0.dropLast(3)) }.sorted()
        for s in scenarios {
            for p in policies {
                let program = try #require(TestSupport.compile(path: TestSupport.root + "/Models/scenarios/" + s, policy: TestSupport.policy(p)).program)
                let v = ReductionTests.verdicts(program)
                #expect(Set(v).count == 1, "\(s) under \(p): \(v)")
            }
        }
    }

    @Test("the partial-order reduction shrinks independent work to one interleaving")
    func reducesIndependentWork() throws {
        let program = try #require(TestSupport.compile("""
        folio A, B;
        thread t1 { for (int i = 0; i < 4; i++) { folio_lock(A); folio_unlock(A); } }
        thread t2 { for (int i = 0; i < 4; i++) { folio_lock(B); folio_unlock(B); } }
        """).program)
        let none = TestSupport.explore(program) { $0.reductions = .none }
        let por = TestSupport.explore(program) { $0.reductions = .partialOrder }
        #expect(none.stats.states == 81)     // 9 x 9 positions
        #expect(por.stats.states == 17)      // one thread after the other
    }

    @Test("a trace found with reductions is as short as the unreduced one")
    func shortestKept() throws {
        let program = try #require(TestSupport.compile(SearchTests.twoTasks).program)
        let reduced = TestSupport.explore(program) { $0.reductions = .all }
        let none = TestSupport.explore(program) { $0.reductions = .none }
        #expect(reduced.shortest)
        #expect(reduced.findings.first?.path.count == none.findings.first?.path.count)
    }
}
