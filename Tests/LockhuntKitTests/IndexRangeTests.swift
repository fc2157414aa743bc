import Foundation
import Testing
import LockhuntKit
import LockhuntTestSupport

/// The index ranges (Program/IndexRanges.swift) narrow what `A[i]` may name to the elements
/// the loop around it reaches. The partial-order reduction, the deadlock check and the wait
/// graph all trust the narrowed rows, so each test here either shows the narrowing pays (it
/// fails with whole-array rows) or checks the rows against every reachable state (it fails if
/// they leave anything out).
@Suite("Index ranges")
struct IndexRangeTests {
    /// Two threads on disjoint halves of one array, each locking its folio then its buffer
    /// (or, with `opposite`, the second one buffer first): a cycle only if the halves overlap.
    static func halves(_ n: Int, overlap: Bool = false, opposite: Bool = false) -> String {
        let second = opposite
            ? "for (bh in folio_buffers(W[i])) { lock_buffer(bh); folio_lock(W[i]); folio_unlock(W[i]); unlock_buffer(bh); }"
            : "folio_lock(W[i]); for (bh in folio_buffers(W[i])) { lock_buffer(bh); unlock_buffer(bh); } folio_unlock(W[i]);"
        return """
        folio W[\(n)] { buffers = 1; }
        thread low { for (int i = 0; i < \(overlap ? n : n / 2); i++) { folio_lock(W[i]); for (bh in folio_buffers(W[i])) { lock_buffer(bh); unlock_buffer(bh); } folio_unlock(W[i]); } }
        thread high { for (int i = \(n / 2); i < \(n); i++) { \(second) } }
        """
    }

    @Test("threads on disjoint halves of an array commute: the partial-order reduction sees it")
    func disjointHalvesCommute() throws {
        let program = try #require(TestSupport.compile(IndexRangeTests.halves(8)).program)
        let none = TestSupport.explore(program) { $0.reductions = .none }
        let por = TestSupport.explore(program) { $0.reductions = .partialOrder }
        #expect(TestSupport.verdict(none) == "ok" && TestSupport.verdict(por) == "ok")
        // Unreduced: every pair of positions of the two sweeps, about L^2. With the halves
        // told apart, one order of the two sweeps: about 2L.
        #expect(por.stats.states * 4 < none.stats.states, "por \(por.stats.states), none \(none.stats.states)")
        #expect(FootprintCheck.problems(program, maxStates: 100_000) == [])
    }

    @Test("the wait graph tells the halves apart, and still sees the cycle where they overlap")
    func waitGraphHalves() throws {
        let apart = try #require(TestSupport.compile(IndexRangeTests.halves(8, opposite: true)).program)
        if case .possibleCycle(let c) = WaitGraph(program: apart).verdict {
            Issue.record("a cycle between disjoint halves: \(c.map { WaitGraph(program: apart).describe($0, in: apart) })")
        }
        #expect(TestSupport.verdict(TestSupport.explore(apart)) == "ok")
        let overlapping = try #require(TestSupport.compile(IndexRangeTests.halves(8, overlap: true, opposite: true)).program)
        guard case .possibleCycle = WaitGraph(program: overlapping).verdict else {
            Issue.record("no cycle where both threads sweep W[4..8) in opposite orders"); return
        }
        #expect(TestSupport.verdict(TestSupport.explore(overlapping)) == "deadlock")
    }

    @Test("ranges follow loops down, by strides, nested, and through shared elements")
    func shapes() throws {
        // Each thread touches a part of A and cnt that the other never does: with exact ranges
        // the partial-order reduction runs them one after the other.
        let text = """
        folio A[8];
        shared int cnt[8];
        thread down { for (int j = 0; j < 4; j++) { int d = 3 - j; folio_lock(A[d]); cnt[d] = cnt[d] + 1; folio_unlock(A[d]); } }
        thread odd { for (int j = 0; j < 2; j++) { int e = 2 * j + 5; for (int m = e; m < 8; m++) if (folio_trylock(A[m])) { folio_unlock(A[m]); cnt[m] = 1; } } }
        """
        let program = try #require(TestSupport.compile(text).program)
        let none = TestSupport.explore(program) { $0.reductions = .none }
        let por = TestSupport.explore(program) { $0.reductions = .partialOrder }
        #expect(TestSupport.verdict(none) == TestSupport.verdict(por))
        #expect(por.stats.states * 3 < none.stats.states, "por \(por.stats.states), none \(none.stats.states)")
        #expect(FootprintCheck.problems(program, maxStates: 100_000) == [])
    }

    @Test("random models sweeping arrays: every reduction agrees with the unreduced search, and the static rows cover every step", arguments: 0..<2)
    func randomSweeps(_ batch: Int) throws {
        var differing: [String] = []
        var problems: [String] = []
        var counts: [String: Int] = [:]
        var skipped = 0
        for seed in UInt64(5000 + batch * 100)..<UInt64(5000 + batch * 100 + 100) {
            let text = RandomModels.generate(seed: seed, arrays: true)
            let compiled = TestSupport.compile(text)
            let program = try #require(compiled.program, "seed \(seed) does not compile:\n\(compiled.printed)\n\(text)")
            guard let p = FootprintCheck.problems(program, maxStates: 50_000) else { skipped += 1; continue }
            if !p.isEmpty { problems.append("seed \(seed): \(p.joined(separator: "; "))\n\(text)") }
            let v = ReductionTests.verdicts(program)
            counts[v[0], default: 0] += 1
            if Set(v).count != 1 { differing.append("seed \(seed): \(v)\n\(text)") }
            let none = ReductionTests.everyFinding(program, .none)
            let por = ReductionTests.everyFinding(program, .partialOrder)
            if none != por { differing.append("seed \(seed): all findings \(none) / por \(por)\n\(text)") }
        }
        #expect(differing.isEmpty, "\(differing.joined(separator: "\n"))")
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        #expect(skipped < 20, "\(skipped) of 100 models were too large")
        #expect(counts["ok", default: 0] > 5 && counts["deadlock", default: 0] > 5 && counts["violation", default: 0] > 2, "\(counts)")
    }

    @Test("the static rows cover every step of the model library and the bench families")
    func libraryFootprints() throws {
        let policies = ((try? FileManager.default.contentsOfDirectory(atPath: TestSupport.root + "/Models/policies")) ?? [])
            .filter { $0.hasSuffix(".lh") }.map { String($0.dropLast(3)) }.sorted()
        var checked = 0
        for s in ModelLibraryTests.scenarios {
            for p in policies {
                let program = try #require(TestSupport.compile(path: TestSupport.root + "/Models/scenarios/" + s, policy: TestSupport.policy(p)).program)
                if let problems = FootprintCheck.problems(program, maxStates: 200_000) {
                    #expect(problems == [], "\(s) under \(p)")
                    checked += 1
                }
            }
        }
        for family in ["migrators", "writeback", "loop-chain", "writers", "loop-batch"] {
            for p in ["upstream", "v5"] {
                let program = try #require(TestSupport.compile(path: TestSupport.root + "/Models/bench/\(family).lh",
                                                               policy: TestSupport.policy(p), params: [("N", 4)]).program)
                let problems = try #require(FootprintCheck.problems(program, maxStates: 500_000), "\(family) under \(p) is too large")
                #expect(problems == [], "\(family) under \(p)")
            }
        }
        #expect(checked > ModelLibraryTests.scenarios.count * policies.count / 2, "only \(checked) pairs small enough")
    }
}
