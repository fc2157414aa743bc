import Foundation
import Testing
import LockhuntKit

/// Folding of invisible local steps, `--reduce fold`: what a step is with and without it, and
/// how findings of a search without it become folded runs (FoldProjection.swift). That folding
/// keeps verdicts is checked with the other reductions (ReductionTests) and against SPIN on
/// the unfolded export (DifferentialTests).
@Suite("Folding of local steps")
struct FoldingTests {
    /// Models per batch of `localFaults`; more for a longer hunt: `LOCKHUNT_FOLD_MODELS=1000
    /// swift test --filter FoldingTests`.
    static let models = Differential.setting("LOCKHUNT_FOLD_MODELS", default: 60)

    @Test("without folding every local instruction is a step; with it, local code runs inside the visible step")
    func localInstructionsAreSteps() throws {
        // Four assignments to a local (its declaration zeroes it), then the end: five places to
        // rest unfolded, one folded.
        let one = try #require(TestSupport.compile("thread t { int x; x = 1; x = x + 1; x = x * 3; }\n").program)
        #expect(TestSupport.explore(one) { $0.reductions = .none }.stats.states == 5)
        #expect(TestSupport.explore(one) { $0.reductions = .folding }.stats.states == 1)
        // Two such threads interleave their local steps: 5 x 5 states unfolded.
        let two = try #require(TestSupport.compile("""
        thread a { int x; x = 1; x = x + 1; x = x * 3; }
        thread b { int y; y = 2; y = y + 1; y = y * 5; }
        """).program)
        #expect(TestSupport.explore(two) { $0.reductions = .none }.stats.states == 25)
        #expect(TestSupport.explore(two) { $0.reductions = .folding }.stats.states == 1)
        // Jumps are no steps: a loop of two iterations is its test (3 times), its body's
        // assignment (twice) and its increment (twice), then the end.
        let loop = try #require(TestSupport.compile("shared int s;\nthread t { int k; for (int i = 0; i < 2; i++) k = i; s = 1; }\n").program)
        let unfolded = TestSupport.explore(loop) { $0.reductions = .none }
        let folded = TestSupport.explore(loop) { $0.reductions = .folding }
        #expect(folded.stats.states == 2)      // before and after the store of s
        #expect(unfolded.stats.states > folded.stats.states + 5, "\(unfolded.stats.states)")
    }

    @Test("local steps touch nothing shared: the partial-order reduction runs them one thread at a time")
    func localStepsCommute() throws {
        let program = try #require(TestSupport.compile("""
        thread a { int x; x = 1; x = x + 1; x = x * 3; }
        thread b { int y; y = 2; y = y + 1; y = y * 5; }
        """).program)
        // One thread's four steps, then the other's: 9 states instead of 25.
        #expect(TestSupport.explore(program) { $0.reductions = .persistentSets }.stats.states == 9)
    }

    @Test("a local assertion fails in the step that reaches it: unfolded its own, folded the visible one before")
    func localFaultPlace() throws {
        let program = try #require(TestSupport.compile("""
        folio A;
        thread t { int x; folio_lock(A); x = 2; x = x + 1; assert(x == 4); folio_unlock(A); }
        """).program)
        for r in [Reductions.none, .folding] {
            let result = TestSupport.explore(program) { $0.reductions = r }
            let raw = try #require(result.findings.first, "\(r.name)")
            guard case .violation(let fault) = raw.kind else { Issue.record("\(r.name): \(raw.kind)"); continue }
            #expect(fault.kind == .assertion)
            // Reported as a folded run either way: one step (folio_lock and the code after it).
            let finding = FindingBuilder(program: program).build(raw)
            #expect(finding.steps.map(\.operation) == ["folio_lock(A)"], "\(r.name): \(finding.steps.map(\.operation))")
        }
    }

    @Test("a deadlock found unfolded while another thread's local code must still fault becomes that fault")
    func deadlockPastAnInevitableFault() throws {
        // Unfolded, t1 and t2 deadlock after two steps while t3 is still computing x; folded, t3's
        // code runs before anything else and fails, so there is no state at all. Both runs are
        // real; the folded one is what traces speak of, and the only finding either way.
        let program = try #require(TestSupport.compile("""
        folio A, B;
        thread t1 { folio_lock(A); folio_lock(B); }
        thread t2 { folio_lock(B); folio_lock(A); }
        thread t3 { int x; x = 1; x = x + 1; assert(x == 5); }
        """).program)
        for r in [Reductions.none, .folding, .partialOrder, .all] {
            let result = TestSupport.explore(program) { $0.reductions = r; $0.allFindings = true }
            #expect(result.findings.count == 1, "\(r.name): \(result.findings.map(\.kind))")
            guard case .violation(let fault)? = result.findings.first?.kind else { Issue.record("\(r.name)"); continue }
            #expect(fault.kind == .assertion && result.findings.first?.path.isEmpty == true, "\(r.name)")
        }
    }

    @Test("the same deadlock met again after a thread took the branch that does not fault is kept")
    func deadlockBesideADoomedBranch() throws {
        // t0 either fails its assertion at once or reads n and ends; t1 waits for n == 1, which
        // nobody writes. Without folding the first deadlock of t1 met (partial-order reduction
        // runs t0 first) has t0 inside the failing branch, which folds into t0's fault; the
        // deadlock itself must still be found, where t0 took the other branch.
        let program = try #require(TestSupport.compile("""
        shared int n;
        thread t0 { bool r; either { assert(r); } or { if (n < 2) { ; } } }
        thread t1 { wait_event(n == 1); }
        """).program)
        for r in [Reductions.none, .folding, .persistentSets, .partialOrder, Reductions.all.ofTheSearch, .all] {
            let found = ReductionTests.everyFinding(program, r)
            #expect(found.deadlock && found.faults.count == 1, "\(r.name): \(found)")
        }
    }

    @Test("models with faults in local code: every reduction, folding or not, finds what --reduce none finds", arguments: 0..<2)
    func localFaults(_ batch: Int) throws {
        // The differential generator writes local arithmetic and assertions on locals, where a
        // search without folding meets findings past an inevitable fault (FindingLog.swift).
        var differing: [String] = []
        var withLocalFaults = 0
        let count = FoldingTests.models
        for i in (batch * count)..<(batch * count + count) {
            var generator = ModelGenerator(seed: 77_000 + UInt64(i))
            let text = generator.model()
            let program = try #require(TestSupport.compile(text).program, "model \(i)\n\(text)")
            let none = ReductionTests.everyFinding(program, .none)
            if none.localFault { withLocalFaults += 1 }
            let searches = ReductionTests.settings.map { ($0, SearchOptions.Order.breadthFirst) }
                + [(.partialOrder, .depthFirst), ([.folding, .persistentSets, .sleepSets], .depthFirst)]
            for (r, order) in searches {
                let found = ReductionTests.everyFinding(program, r, order)
                if found != none { differing.append("model \(i) \(r.name) \(order): \(found) against \(none)\n\(text)") }
            }
        }
        #expect(differing.isEmpty, "\(differing.prefix(3).joined(separator: "\n"))")
        #expect(withLocalFaults >= count / 10, "only \(withLocalFaults) of \(count) models have a fault in local code")
    }

    @Test("findings of an unfolded search are folded runs whose traces replay", arguments: 0..<2)
    func projectedFindingsReplay(_ batch: Int) throws {
        var replayed = 0, kinds = Set<String>()
        for seed in UInt64(4000 + batch * 30)..<UInt64(4000 + batch * 30 + 30) {
            let text = RandomModels.generate(seed: seed)
            let dir = TestSupport.temporaryDirectory()
            let model = TestSupport.writeModel(text, in: dir)
            var options = CheckOptions()
            options.models = [model]
            options.traceDir = dir + "/Traces"
            options.search.reductions = .none
            options.search.allFindings = true
            options.search.maxStates = 200_000
            let result = CheckRunner(options: options).run(model: model, policy: nil)
            let traces = [result.tracePath].compactMap { $0 } + result.moreFindings.compactMap(\.tracePath)
            for path in traces {
                let replay = Replayer(options: .init(tracePath: path)).run()
                #expect(replay.outcome == .reached, "seed \(seed): \(path)\n\(replay.output)\n\(text)")
                replayed += 1
            }
            kinds.insert(result.verdictWord)
        }
        #expect(replayed >= 20 && kinds.isSuperset(of: ["deadlock", "violation"]), "\(replayed) traces, verdicts \(kinds)")
    }

    @Test("check --reduce none reports the folded counterexample and writes a trace that replays")
    func commandLineRoundTrip() throws {
        let dir = TestSupport.temporaryDirectory()
        let model = TestSupport.root + "/Models/scenarios/loop-bh.lh"
        let none = TestSupport.lockhunt(["check", model, "--policy", "v5", "--reduce", "none", "--trace-dir", dir + "/none"])
        let fold = TestSupport.lockhunt(["check", model, "--policy", "v5", "--reduce", "fold", "--trace-dir", dir + "/fold"])
        #expect(none.status == 1 && fold.status == 1, "\(none.stderr)\(fold.stderr)")
        // The counterexample is the same folded run; only the search's figures differ.
        func steps(_ out: String) -> String { String(out[(out.range(of: "steps (")?.lowerBound ?? out.endIndex)...]) }
        #expect(steps(none.stdout).replacingOccurrences(of: "/none/", with: "/fold/") == steps(fold.stdout))
        let replay = TestSupport.lockhunt(["replay", dir + "/none/loop-bh.v5.trace"])
        #expect(replay.status == 0 && replay.stdout.contains("reached the recorded deadlock"), "\(replay.stdout)\(replay.stderr)")
    }
}
