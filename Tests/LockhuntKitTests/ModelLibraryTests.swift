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

    /// (family, policy, expected verdict) for every expectation of every bench family.
    static var benchCases: [String] {
        let set = ScenarioSet(inputs: [TestSupport.root + "/Models/bench"], policyDir: nil)
        return set.pairs.map { "\($0.scenario) \($0.policy.name) \($0.expected.rawValue)" }
    }

    /// The gate checks the scenarios; nothing else checks that the bench families, which
    /// `make bench` measures at every size, still say what their `expect` lines say.
    @Test("every bench family keeps its expectation at small sizes, reduced and not", arguments: benchCases)
    func benchExpectation(_ spec: String) throws {
        let parts = spec.split(separator: " ").map(String.init)
        let (family, policy, verdict) = (parts[0], parts[1], parts[2])
        for n in [2, 4] {
            let compiled = TestSupport.compile(path: TestSupport.root + "/Models/bench/\(family).lh", policy: TestSupport.policy(policy), params: [("N", Int64(n))])
            let program = try #require(compiled.program, "\(family) under \(policy) at N = \(n):\n\(compiled.printed)")
            // Unfolded only at N = 2: at N = 4, loop-chain and writers are tens of millions of states.
            for reductions in n == 2 ? [Reductions.none, .folding, .all] : [.folding, .all] {
                let result = TestSupport.explore(program) { $0.reductions = reductions }
                #expect(TestSupport.verdict(result) == verdict, "\(family) under \(policy) at N = \(n), reductions \(reductions)")
            }
        }
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

    // MARK: - The scenarios of the verdict table (../shared/SCENARIOS.md)

    static let tablePolicies = ["v6.2", "rfc-2022", "v5", "norefs-async", "trylock-only", "sync-light", "upstream"]
    static let tableScenarios = [
        "loop-bh", "loop-writeback", "multi-folio-holder", "writeout-relock", "data-folio-buffers",
        "readahead-self-lock", "two-migrators", "two-migrators-no-isolation", "tlb-dirty-leak",
    ]

    static func scenario(_ name: String) -> String { TestSupport.root + "/Models/scenarios/\(name).lh" }

    static func finding(_ scenario: String, _ policy: String) throws -> Finding {
        let program = try #require(TestSupport.compile(path: ModelLibraryTests.scenario(scenario), policy: TestSupport.policy(policy)).program)
        let raw = try #require(TestSupport.explore(program).findings.first, "\(scenario) under \(policy): no finding")
        return FindingBuilder(program: program).build(raw)
    }

    static func tasks(_ f: Finding) throws -> [String: BlockedTask] {
        guard case .deadlock(let tasks) = f.kind else { throw ModelLibraryError.notADeadlock }
        return Dictionary(uniqueKeysWithValues: tasks.map { ($0.thread, $0) })
    }

    enum ModelLibraryError: Error { case notADeadlock }

    @Test("every scenario of the verdict table states a verdict for each of its seven policies", arguments: tableScenarios)
    func tableCovered(_ name: String) throws {
        let program = try #require(TestSupport.compile(path: ModelLibraryTests.scenario(name), policy: TestSupport.policy("upstream")).program)
        let policies = Set(program.expectations.map(\.policy))
        for p in ModelLibraryTests.tablePolicies {
            #expect(policies.contains(p), "\(name) has no expectation for \(p)")
        }
    }

    @Test("the control policies are named by the scenarios that call for them")
    func controlsExpected() throws {
        for (scenario, policy, verdict) in [("readahead-self-lock", "no-pf-memalloc", Verdict.deadlock), ("tlb-dirty-leak", "flush-deferred", Verdict.violation)] {
            let program = try #require(TestSupport.compile(path: ModelLibraryTests.scenario(scenario), policy: TestSupport.policy(policy)).program)
            #expect(program.expectations.contains { $0.policy == policy && $0.verdict == verdict }, "\(scenario) does not expect \(verdict) under \(policy)")
        }
    }

    @Test("loop-writeback under v5: the migrator waits for B's writeback holding A, which the loop worker needs")
    func loopWritebackCycle() throws {
        let f = try ModelLibraryTests.finding("loop-writeback", "v5")
        let t = try ModelLibraryTests.tasks(f)
        let migrator = try #require(t["compact_memory"])
        let worker = try #require(t["loop_worker"])
        #expect(migrator.waitsFor == "folio_wait_writeback(B)")
        #expect(migrator.callChain.first == "migrate_folio_unmap")
        #expect(migrator.holds.map(\.lock).contains("folio A"))
        #expect(worker.waitsFor == "folio_lock(A)")
        #expect(worker.heldBy == "compact_memory")
    }

    @Test("writeout-relock under v5: the relock in writeout() waits for the writer, which waits for a folio of the batch")
    func writeoutRelockCycle() throws {
        let f = try ModelLibraryTests.finding("writeout-relock", "v5")
        let t = try ModelLibraryTests.tasks(f)
        let migrator = try #require(t["compact_memory"])
        let writer = try #require(t["writer"])
        #expect(migrator.waitsFor == "folio_lock(W)")
        #expect(migrator.callChain.first == "writeout")
        #expect(migrator.holds.map(\.lock) == ["folio Q"])
        #expect(writer.waitsFor == "folio_lock(Q)")
        #expect(writer.holds.map(\.lock) == ["folio W"])
        #expect(Set(f.cycle) == ["compact_memory", "writer"])
    }

    @Test("readahead-self-lock without the PF_MEMALLOC check: the task waits for a lock it holds itself")
    func readaheadSelfLock() throws {
        let f = try ModelLibraryTests.finding("readahead-self-lock", "no-pf-memalloc")
        let reader = try #require(try ModelLibraryTests.tasks(f)["reader"])
        #expect(reader.waitsFor == "folio_lock(R)")
        #expect(reader.heldBy == "reader")
        #expect(reader.holds.map(\.lock) == ["folio R"])
        #expect(reader.callChain.contains("direct_compact"))
    }

    @Test("tlb-dirty-leak under flush-deferred: a write through the stale TLB entry lands in the source after the copy")
    func lostWrite() throws {
        let f = try ModelLibraryTests.finding("tlb-dirty-leak", "flush-deferred")
        guard case .violation(let thread, let message, _, _) = f.kind else { Issue.record("not a violation"); return }
        #expect(thread == "observer")
        #expect(message.contains("new_data"))
        // The copy (a store to new_data[S[i]] by the migrator), then a store of the writer to
        // old_data[S[i]], with no flush IPI taken in between.
        let copy = try #require(f.steps.firstIndex { $0.thread == "migratepages" && $0.function == "folio_migrate_copy" })
        let folio = String(f.steps[copy].operation.dropFirst("new_data".count).prefix { $0 != "=" }).trimmingCharacters(in: .whitespaces)
        let lost = try #require(f.steps[copy...].firstIndex { $0.thread == "writer" && $0.operation.hasPrefix("old_data\(folio)") })
        #expect(!f.steps[copy..<lost].contains { $0.operation.hasPrefix("flush_ipi = false") })
    }

    @Test("writeout-redirty under upstream: ->writepage() runs again while the first write is in flight")
    func writepageUnderWriteback() throws {
        let f = try ModelLibraryTests.finding("writeout-redirty", "upstream")
        guard case .violation(let thread, let message, _, let function) = f.kind else { Issue.record("not a violation"); return }
        #expect(thread == "compact_memory")
        #expect(function == "writepage")
        #expect(message.contains("already under writeback"))
        let starts = f.steps.indices.filter { f.steps[$0].operation == "folio_start_writeback(W)" }
        #expect(starts.count == 2)
        if starts.count == 2 {
            #expect(f.steps[starts[0]..<starts[1]].contains { $0.thread == "writer" && $0.operation == "folio_mark_dirty(W)" })
        }
    }
}
