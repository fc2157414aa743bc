import Foundation
import Testing
import LockhuntKit
import LockhuntTestSupport

/// The per-thread facts under the wait graph (HeldLocks, ObjectFacts) checked against the state
/// space, state by state (WaitGraphCheck), and the precision they buy: batches that release
/// what they took, and I/O hand-offs in their order, no longer look like cycles.
@Suite("Wait graph facts")
struct WaitGraphFactsTests {
    static func check(_ program: Program, _ what: String, maxStates: Int = 60_000) -> (checked: Bool, problems: [String]) {
        guard let problems = WaitGraphCheck.problems(program, maxStates: maxStates) else { return (false, []) }
        return (true, problems.map { "\(what): \($0)" })
    }

    @Test("what each thread holds, where it holds what it waits for, and what it reaches: the model library and the bench families")
    func library() throws {
        let policies = ((try? FileManager.default.contentsOfDirectory(atPath: TestSupport.root + "/Models/policies")) ?? [])
            .filter { $0.hasSuffix(".lh") }.map { String($0.dropLast(3)) }.sorted()
        var problems: [String] = []
        var checked = 0
        for s in ModelLibraryTests.scenarios {
            for p in policies {
                let program = try #require(TestSupport.compile(path: TestSupport.root + "/Models/scenarios/" + s, policy: TestSupport.policy(p)).program)
                let r = WaitGraphFactsTests.check(program, "\(s) under \(p)")
                if r.checked { checked += 1 }
                problems += r.problems
            }
        }
        for family in ["migrators", "writeback", "loop-chain", "writers", "loop-batch"] {
            for p in ["upstream", "v5", "v6.2"] {
                for n in [2, 3] {
                    let program = try #require(TestSupport.compile(path: TestSupport.root + "/Models/bench/\(family).lh",
                                                                   policy: TestSupport.policy(p), params: [("N", Int64(n))]).program)
                    let r = WaitGraphFactsTests.check(program, "\(family) under \(p) at N = \(n)")
                    if r.checked { checked += 1 }
                    problems += r.problems
                }
            }
        }
        #expect(problems.isEmpty, "\(problems.prefix(10).joined(separator: "\n"))")
        #expect(checked > ModelLibraryTests.scenarios.count * policies.count / 2, "only \(checked) models small enough")
    }

    @Test("the same on random models: locking, sweeps over arrays, batches and hand-offs", arguments: ["random", "locking", "batch"])
    func random(_ kind: String) throws {
        var problems: [String] = []
        var checked = 0
        for seed: UInt64 in 1...(kind == "batch" ? 300 : 150) {
            let text: String
            switch kind {
            case "random": text = RandomModels.generate(seed: seed, arrays: seed % 2 == 0)
            case "locking": text = ScaleTests.lockModel(seed: seed)
            default: text = RandomBatchModels.generate(seed: seed)
            }
            let compiled = TestSupport.compile(text)
            let program = try #require(compiled.program, "seed \(seed) does not compile:\n\(compiled.printed)\n\(text)")
            let r = WaitGraphFactsTests.check(program, "seed \(seed)", maxStates: 30_000)
            if r.checked { checked += 1 }
            if !r.problems.isEmpty { problems.append(r.problems.joined(separator: "\n") + "\n" + text) }
        }
        #expect(problems.isEmpty, "\(problems.prefix(3).joined(separator: "\n\n"))")
        #expect(checked >= (kind == "batch" ? 200 : 100), "only \(checked) models small enough")
    }

    @Test("on random batch models, the static argument never rules out a deadlock the explorer finds")
    func batchAgreement() throws {
        var proven = 0, acyclic = 0, deadlocks = 0
        for seed: UInt64 in 1...300 {
            let text = RandomBatchModels.generate(seed: seed)
            let program = try #require(TestSupport.compile(text).program, "seed \(seed)")
            let graph = WaitGraph(program: program)
            let r = TestSupport.explore(program)
            guard r.limit == nil else { continue }
            let found = r.findings.first { if case .deadlock = $0.kind { return true }; return false }
            if found != nil { deadlocks += 1 }
            switch graph.verdict {
            case .possibleCycle: continue
            case .noDeadlock:
                proven += 1
                #expect(found == nil, "seed \(seed): the static argument ruled out a deadlock the search finds\n\(text)")
            case .noCyclicDeadlock:
                acyclic += 1
                // A deadlock here must be one an open end explains: a task nobody on a cycle can wake.
                if let f = found, case .deadlock(let tasks) = FindingBuilder(program: program).build(f).kind {
                    #expect(tasks.contains { $0.releasers.isEmpty }, "seed \(seed): a cyclic deadlock in an acyclic graph\n\(text)")
                }
            }
        }
        // Not vacuous: the generator makes deadlocks, and the graph proves some models acyclic.
        #expect(deadlocks >= 30 && acyclic + proven >= 60, "deadlocks \(deadlocks), acyclic \(acyclic), proven \(proven)")
    }

    static func verdict(_ family: String, _ policy: String, _ n: Int) throws -> WaitGraph.Verdict {
        let program = try #require(TestSupport.compile(path: TestSupport.root + "/Models/bench/\(family).lh",
                                                       policy: TestSupport.policy(policy), params: [("N", Int64(n))]).program)
        return WaitGraph(program: program).verdict
    }

    @Test("batches that release what they took: no cycle past the sizes a search finishes")
    func batches() throws {
        // Without ObjectFacts each of these had a migrator "waiting for a folio it may hold itself".
        for (family, policy) in [("migrators", "upstream"), ("migrators", "v5"), ("writeback", "upstream"), ("writeback", "v5"),
                                 ("loop-batch", "upstream")] {
            if case .possibleCycle(let edges) = try WaitGraphFactsTests.verdict(family, policy, 24) {
                Issue.record("\(family) under \(policy): a cycle of \(edges.count) edges")
            }
        }
        // The deadlock the batch really has stays a cycle.
        guard case .possibleCycle = try WaitGraphFactsTests.verdict("loop-batch", "v5", 8) else {
            Issue.record("loop-batch under v5 shows no cycle"); return
        }
    }

    @Test("I/O hand-offs in their order: the loop-device chain has no cycle under any policy, at N = 64")
    func handOffs() throws {
        // jbd2 waits in lock_buffer() for a buffer it has not handed to the loop worker yet, so
        // the worker cannot be what it waits for; upstream's retry of one folio at a time waits
        // holding nothing else.
        for policy in ["upstream", "v5", "v6.2"] {
            switch try WaitGraphFactsTests.verdict("loop-chain", policy, 64) {
            case .possibleCycle(let edges): Issue.record("loop-chain under \(policy): a cycle of \(edges.count) edges")
            case .noDeadlock: Issue.record("loop-chain under \(policy): its hand-offs and wait_event are open ends, yet the graph says no deadlock at all")
            case .noCyclicDeadlock(let open):
                #expect(open.contains { if case .leftHeld = $0 { return true }; return false }, "\(policy): \(open)")
            }
        }
    }
}
