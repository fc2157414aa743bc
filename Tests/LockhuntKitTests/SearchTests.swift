import Foundation
import Testing
import LockhuntKit

@Suite("Search")
struct SearchTests {
    static let twoTasks = """
    folio A, B;
    shared int n;
    thread t1 { folio_lock(A); folio_lock(B); folio_unlock(B); folio_unlock(A); }
    thread t2 { for (int i = 0; i < 4; i++) n = n + 1; folio_lock(B); folio_lock(A); folio_unlock(A); folio_unlock(B); }
    """

    @Test("breadth-first search finds a shortest counterexample; depth-first may find a longer one")
    func shortest() throws {
        let program = try #require(TestSupport.compile(SearchTests.twoTasks).program)
        let bfs = TestSupport.explore(program)
        let dfs = TestSupport.explore(program) { $0.order = .depthFirst }
        let bfsLength = try #require(bfs.findings.first).path.count - 1
        let dfsLength = try #require(dfs.findings.first).path.count - 1
        // t2 must count to 4 (4 steps) and lock B; t1 locks A: 6 steps at the least.
        #expect(bfsLength == 6)
        #expect(dfsLength >= bfsLength)
        #expect(TestSupport.verdict(dfs) == "deadlock")
    }

    @Test("hitting --max-states gives incomplete, never ok")
    func maxStates() throws {
        let program = try #require(TestSupport.compile("""
        shared int a, b;
        thread t1 { for (int i = 0; i < 5; i++) a = a + 1; }
        thread t2 { for (int i = 0; i < 5; i++) b = b + 1; }
        """).program)
        // Unreduced but folded (the loop's counting is no step), the two independent counters
        // give 6 x 6 states.
        let full = TestSupport.explore(program) { $0.reductions = .folding }
        #expect(TestSupport.verdict(full) == "ok")
        #expect(full.stats.states == 36)
        let cut = TestSupport.explore(program) { $0.maxStates = 10; $0.reductions = .folding }
        #expect(TestSupport.verdict(cut) == "incomplete")
        #expect(cut.limit == .maxStates)
        // A limit at the exact size of the state space is not hit.
        let exact = TestSupport.explore(program) { $0.maxStates = 36; $0.reductions = .folding }
        #expect(exact.limit == nil)
        // Without folding the limit is counted the same way, in unfolded states.
        let unfolded = TestSupport.explore(program) { $0.reductions = .none }
        #expect(TestSupport.explore(program) { $0.maxStates = unfolded.stats.states; $0.reductions = .none }.limit == nil)
        #expect(TestSupport.explore(program) { $0.maxStates = unfolded.stats.states - 1; $0.reductions = .none }.limit == .maxStates)
    }

    @Test("a time limit or a stop request gives incomplete")
    func timeAndStop() throws {
        let program = try #require(TestSupport.compile("""
        shared int a, b, c;
        thread t1 { for (int i = 0; i < 30; i++) a = a + 1; }
        thread t2 { for (int i = 0; i < 30; i++) b = b + 1; }
        thread t3 { for (int i = 0; i < 30; i++) c = c + 1; }
        """).program)
        let stopped = TestSupport.explore(program) { $0.shouldStop = { true }; $0.reductions = .none }
        #expect(stopped.limit == .interrupted)
        let timed = TestSupport.explore(program) { $0.timeLimit = 0.000001; $0.reductions = .none }
        #expect(timed.limit == .timeLimit)
        #expect(TestSupport.verdict(timed) == "incomplete")
    }

    @Test("--all reports each distinct deadlock once")
    func allFindings() throws {
        let program = try #require(TestSupport.compile("""
        folio A, B, C;
        thread t1 { either { folio_lock(A); folio_lock(B); folio_unlock(B); folio_unlock(A); }
                    or { folio_lock(B); folio_lock(C); folio_unlock(C); folio_unlock(B); } }
        thread t2 { either { folio_lock(B); folio_lock(A); folio_unlock(A); folio_unlock(B); }
                    or { folio_lock(C); folio_lock(B); folio_unlock(B); folio_unlock(C); } }
        """).program)
        let first = TestSupport.explore(program)
        #expect(first.findings.count == 1)
        let all = TestSupport.explore(program) { $0.allFindings = true }
        #expect(all.findings.count == 2)
    }

    @Test("breadth-first search gives the same states, transitions and trace on 1 and on 4 workers")
    func workersDoNotChangeResults() throws {
        // loop-chain under por meets expanded states again with smaller sleep sets, whose woken
        // threads are expanded a level later.
        for (text, bench, params) in [(SearchTests.twoTasks, "", [(String, Int64)]()),
                                      ("", "writeback", [("N", 6)]), ("", "loop-chain", [("N", 4)])] {
            // The bench models include the library: compile them where they live.
            let program = try #require(bench.isEmpty ? TestSupport.compile(path: TestSupport.writeModel(text)).program :
                TestSupport.compile(path: TestSupport.root + "/Models/bench/\(bench).lh", policy: TestSupport.policy("upstream"), params: params).program)
            // The bench families folded (unfolded, writeback at N = 6 has tens of millions of states).
            let settings: [Reductions] = bench.isEmpty ? [.none, .partialOrder, .folding, .all] : [.folding, [.folding, .partialOrder], .all]
            for reductions in settings {
                let one = TestSupport.explore(program) { $0.jobs = 1; $0.reductions = reductions }
                let four = TestSupport.explore(program) { $0.jobs = 4; $0.reductions = reductions }
                #expect(one.stats.states == four.stats.states && one.stats.transitions == four.stats.transitions && one.stats.depth == four.stats.depth)
                #expect(one.findings.first?.path == four.findings.first?.path)
            }
        }
    }

    @Test("hash compaction: the same states and verdicts as the exact store, findings that replay, a tiny omission probability")
    func hashCompaction() throws {
        for text in [SearchTests.twoTasks, RandomModels.generate(seed: 7), RandomModels.generate(seed: 11)] {
            let program = try #require(TestSupport.compile(text).program)
            for reductions in [Reductions.none, .all] {
                // Hash compaction cannot expand old states again, so it searches without sleep sets.
                let exact = TestSupport.explore(program) { $0.reductions = reductions.subtracting(.sleepSets); $0.allFindings = true }
                let compact = TestSupport.explore(program) { $0.reductions = reductions; $0.allFindings = true; $0.hashCompaction = true }
                #expect(exact.stats.states == compact.stats.states && exact.stats.transitions == compact.stats.transitions)
                #expect(exact.findings.count == compact.findings.count)
                #expect(exact.findings.map(\.path) == compact.findings.map(\.path))
                #expect((compact.omissionProbability ?? 1) < 1e-9)
            }
        }
    }

    @Test("the fold cache changes nothing: the same states, transitions and findings as interpreting every fold",
          arguments: ["random", "loop-chain", "writeback", "migrators"])
    func foldCacheIsExact(_ family: String) throws {
        // Wrong masking of dead locals, or of other threads' bits sharing a word, would merge or
        // split states; a stale entry would change a successor.
        var programs: [Program] = []
        if family == "random" {
            for seed in UInt64(1200)..<UInt64(1260) {
                programs.append(try #require(TestSupport.compile(RandomModels.generate(seed: seed, replicas: seed % 2 == 0)).program))
            }
        } else {
            for policy in ["upstream", "v5"] {
                programs.append(try #require(TestSupport.compile(path: TestSupport.root + "/Models/bench/\(family).lh",
                                                                 policy: TestSupport.policy(policy), params: [("N", 4)]).program))
            }
        }
        // Folding on: without it there is no local code to fold, and no cache.
        for program in programs {
            for reductions in [Reductions.folding, .all] {
                let cached = TestSupport.explore(program) { $0.reductions = reductions; $0.allFindings = true }
                let interpreted = TestSupport.explore(program) { $0.reductions = reductions; $0.allFindings = true; $0.cacheFolds = false }
                #expect(cached.stats.states == interpreted.stats.states && cached.stats.transitions == interpreted.stats.transitions
                        && cached.stats.completedRuns == interpreted.stats.completedRuns, "\(family) \(reductions.name)")
                #expect(cached.findings.map(\.path) == interpreted.findings.map(\.path), "\(family) \(reductions.name)")
            }
        }
    }

    @Test("flags no instruction changes are laid out past the stored words, and read as declared in every order of search")
    func constantFlagsAreNotStored() throws {
        let program = try #require(TestSupport.compile(path: TestSupport.fixture("semantics/constant-flags.lh")).program)
        // PG_uptodate and PG_dirty of 72 folios: two words at least that no state differs in.
        #expect(program.storedWordsPerState <= program.wordsPerState - 2)
        // Every finding, so that every order of search covers the whole state space.
        let bfs = TestSupport.explore(program) { $0.reductions = .none; $0.allFindings = true }
        #expect(TestSupport.verdict(bfs) == "violation")
        for configure: (inout SearchOptions) -> Void in [
            { $0.reductions = .none; $0.allFindings = true; $0.order = .depthFirst },
            { $0.reductions = .none; $0.allFindings = true; $0.hashCompaction = true },
            { $0.reductions = .none; $0.allFindings = true; $0.jobs = 2 },
        ] {
            let other = TestSupport.explore(program, configure)
            #expect(TestSupport.verdict(other) == "violation")
            #expect(other.stats.states == bfs.stats.states)
        }
    }

    /// Found by the differential tests: a choice whose first branch faulted took every branch
    /// with it, so --all missed what only the other branches reach, and the state count was
    /// smaller than SPIN's.
    static let faultingBranch = """
    folio A;
    shared bool go;
    thread t {
    	bool ok;
    	either { assert(ok); } or { folio_lock(A); go = true; }
    }
    thread u { wait_event(go); folio_lock(A); }
    """

    @Test("a branch of a choice that faults does not hide the other branches")
    func faultingBranch() throws {
        let program = try #require(TestSupport.compile(SearchTests.faultingBranch).program)
        let first = TestSupport.explore(program)
        #expect(TestSupport.verdict(first) == "violation")
        #expect(first.findings.first?.faultingChoice == 0)
        let all = TestSupport.explore(program) { $0.allFindings = true; $0.reductions = .folding }
        // Only the second branch leads to u waiting forever for A, which t took and kept.
        #expect(all.findings.contains { if case .deadlock = $0.kind { return true } else { return false } })
        // t at the choice / at `go = true` / done; u waiting / blocked on A / ...: 5 states.
        #expect(all.stats.states == 5)
        // Without folding the first branch rests at its assertion, and still hides nothing.
        let unfolded = TestSupport.explore(program) { $0.allFindings = true; $0.reductions = .none }
        #expect(unfolded.findings.contains { if case .deadlock = $0.kind { return true } else { return false } })
        #expect(unfolded.findings.contains { if case .violation = $0.kind { return true } else { return false } })
    }

    @Test("the violation in one branch of a choice has a trace that replays")
    func faultingBranchTrace() throws {
        let dir = TestSupport.temporaryDirectory()
        let model = TestSupport.writeModel(SearchTests.faultingBranch, in: dir)
        var options = CheckOptions()
        options.traceDir = dir + "/Traces"
        let r = CheckRunner(options: options).run(model: model, policy: nil)
        guard case .finding(let f) = r.outcome, case .violation = f.kind else { Issue.record("expected a violation"); return }
        #expect(f.steps.last?.outcome == "branch 1 of 2, then fails")
        let result = Replayer(options: .init(tracePath: try #require(r.tracePath))).run()
        #expect(result.outcome == .reached, "\(result.output)")
    }

    @Test("the same model gives the same statistics and trace, run after run")
    func deterministic() throws {
        let program = try #require(TestSupport.compile(SearchTests.twoTasks).program)
        let a = TestSupport.explore(program), b = TestSupport.explore(program)
        #expect(a.stats.states == b.stats.states && a.stats.transitions == b.stats.transitions)
        #expect(a.findings.first?.path == b.findings.first?.path)
    }
}
