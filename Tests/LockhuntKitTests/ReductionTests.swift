import Foundation
import Testing
import LockhuntKit
import LockhuntTestSupport

/// Every reduction keeps every verdict: checked against the unreduced search on the model
/// library, the semantics fixtures and a few hundred random models.
@Suite("Reductions keep verdicts")
struct ReductionTests {
    /// Each reduction alone, POR (persistent and sleep sets), POR and symmetry without folding,
    /// and everything.
    static let settings: [Reductions] = [.folding, .persistentSets, .sleepSets, .partialOrder, .symmetry,
                                         Reductions.all.ofTheSearch, .all]

    /// The first finding's kind, breadth-first (the first finding of a model with both kinds is
    /// then the one with the shortest trace, whatever the reduction). With `base` `.folding`,
    /// every setting folds (for models whose unfolded state space is too large to test often).
    static func verdicts(_ program: Program, base: Reductions = .none) -> [String] {
        ([base] + settings.map { $0.union(base) }).map { r in TestSupport.verdict(TestSupport.explore(program) { $0.reductions = r }) }
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

    /// What a search found, every finding: whether some deadlock, and every faulting step
    /// (kind and instruction). Reductions may reach a deadlock in a different state, but never
    /// lose one, nor any faulting step.
    struct Findings: Equatable, CustomStringConvertible {
        var deadlock = false
        var faults = Set<String>()
        /// Some fault is in local code (an assertion on locals, a value out of range, ...):
        /// where folding and no folding differ most (FoldProjection.swift).
        var localFault = false
        /// States the search stored (not compared).
        var states = 0
        var description: String { (deadlock ? "deadlock " : "") + faults.sorted().joined(separator: " ") }
        static func == (a: Findings, b: Findings) -> Bool { a.deadlock == b.deadlock && a.faults == b.faults }
    }

    /// With `byGroup`, a fault of a thread of a symmetry group is named by the group and its
    /// place in the thread's code, the same for every member.
    static func everyFinding(_ program: Program, _ r: Reductions, _ order: SearchOptions.Order = .breadthFirst,
                             byGroup: Bool = false) -> Findings {
        let result = TestSupport.explore(program) { $0.reductions = r; $0.order = order; $0.allFindings = true }
        var found = Findings()
        found.states = result.stats.states
        for f in result.findings {
            switch f.kind {
            case .deadlock: found.deadlock = true
            case .violation(let fault):
                let pc = Int(fault.pc), t = program.thread(ofPC: pc)
                if !program.ir[pc].op.isVisible { found.localFault = true }
                if byGroup, let t, let g = program.symmetry.groups.firstIndex(where: { $0.contains(t) }) {
                    found.faults.insert("\(fault.kind)@group\(g)+\(pc - program.threads[t].codeStart)")
                } else {
                    found.faults.insert("\(fault.kind)@\(fault.pc)")
                }
            }
        }
        return found
    }

    @Test("random models: every reduction keeps every fault and some deadlock (all findings)", arguments: 0..<2)
    func randomEveryFinding(_ batch: Int) throws {
        var differing: [String] = []
        for seed in UInt64(500 + batch * 100)..<UInt64(500 + batch * 100 + 100) {
            let text = RandomModels.generate(seed: seed)
            let program = try #require(TestSupport.compile(text).program, "seed \(seed)\n\(text)")
            let none = ReductionTests.everyFinding(program, .none)
            // Depth-first too: sleep sets meet states again in another order there.
            let searches = ReductionTests.settings.map { ($0, SearchOptions.Order.breadthFirst) }
                + [(.partialOrder, .depthFirst), ([.folding, .persistentSets, .sleepSets], .depthFirst), (.none, .depthFirst)]
            for (r, order) in searches {
                let reduced = ReductionTests.everyFinding(program, r, order)
                if reduced != none { differing.append("seed \(seed) \(r.name) \(order): \(reduced) against \(none)\n\(text)") }
            }
        }
        #expect(differing.isEmpty, "\(differing.joined(separator: "\n"))")
    }

    @Test("sleep sets alone reach every state, with fewer transitions", arguments: 0..<2)
    func sleepSetsKeepStates(_ batch: Int) throws {
        var fewer = 0
        for seed in UInt64(700 + batch * 100)..<UInt64(700 + batch * 100 + 100) {
            let text = RandomModels.generate(seed: seed)
            let program = try #require(TestSupport.compile(text).program, "seed \(seed)\n\(text)")
            for order in [SearchOptions.Order.breadthFirst, .depthFirst] {
                let none = TestSupport.explore(program) { $0.reductions = .none; $0.order = order; $0.allFindings = true }
                let sleep = TestSupport.explore(program) { $0.reductions = .sleepSets; $0.order = order; $0.allFindings = true }
                #expect(sleep.stats.states == none.stats.states, "seed \(seed) \(order)\n\(text)")
                #expect(sleep.stats.transitions <= none.stats.transitions, "seed \(seed) \(order)")
                if sleep.stats.transitions < none.stats.transitions { fewer += 1 }
            }
        }
        #expect(fewer > 100, "sleep sets cut transitions in only \(fewer) of 200 searches")
    }

    @Test("persistent and sleep sets reach every terminal state: the bench families and random models", arguments: ["loop-chain", "writeback", "random"])
    func terminalStatesKept(_ family: String) throws {
        // Each reachable state where every thread has finished is expanded exactly once, so
        // `completedRuns` counts them; a reduction that lost one (say, sleep sets that did not
        // expand the threads woken by a later visit: loop-chain needs those) would count fewer.
        // The bench families folded: unfolded, loop-chain at N = 4 has tens of millions of states.
        var programs: [(String, Program)] = []
        let base: Reductions = family == "random" ? .none : .folding
        if family == "random" {
            for seed in UInt64(900)..<UInt64(960) {
                programs.append(("seed \(seed)", try #require(TestSupport.compile(RandomModels.generate(seed: seed)).program)))
            }
        } else {
            for policy in ["upstream", "v5"] {
                programs.append((policy, try #require(TestSupport.compile(path: TestSupport.root + "/Models/bench/\(family).lh",
                                                                          policy: TestSupport.policy(policy), params: [("N", 4)]).program)))
            }
        }
        for (name, program) in programs {
            for order in [SearchOptions.Order.breadthFirst, .depthFirst] {
                let none = TestSupport.explore(program) { $0.reductions = base; $0.order = order; $0.allFindings = true }
                for r in [Reductions.persistentSets, .sleepSets, .partialOrder].map({ $0.union(base) }) {
                    let reduced = TestSupport.explore(program) { $0.reductions = r; $0.order = order; $0.allFindings = true }
                    #expect(reduced.stats.completedRuns == none.stats.completedRuns, "\(family) \(name) \(r.name) \(order)")
                }
            }
        }
    }

    @Test("sleep sets count their memory as reserved by doubling, so the statistics repeat run after run")
    func sleepSetBytes() {
        // Array.capacity includes the allocator's rounding, which once made two identical
        // searches in one process report 64 bytes apart.
        for (n, reserved) in [(0, 0), (1, 1), (3, 4), (100, 128), (1024, 1024), (1025, 2048)] {
            var sets = SleepSets()
            for i in 0..<n { _ = sets.meet(i, isNew: true, incoming: UInt64(i)) }
            #expect(sets.bytes == reserved * 8, "\(n) states")
        }
    }

    @Test("sleep sets: a state met again with fewer threads asleep expands the woken ones")
    func sleepSetsWake() throws {
        var sets = SleepSets()
        #expect(sets.meet(0, isNew: true, incoming: 0b0110) == nil)
        #expect(sets.meet(0, isNew: false, incoming: 0b1110) == nil)           // nothing woke
        #expect(sets.meet(0, isNew: false, incoming: 0b0011) == SleepSets.Wake(threads: 0b0100, sleep: 0b0010))
        #expect(sets[0] == 0b0010)                                              // only ever shrinks
        #expect(sets.meet(0, isNew: false, incoming: 0b0110) == nil)
        // loop-chain under por meets expanded states again with smaller sleep sets; the woken
        // expansions keep states that the first visit's sleep set would have cut.
        let program = try #require(TestSupport.compile(path: TestSupport.root + "/Models/bench/loop-chain.lh",
                                                       policy: TestSupport.policy("upstream"), params: [("N", 4)]).program)
        for order in [SearchOptions.Order.breadthFirst, .depthFirst] {
            let por = TestSupport.explore(program) { $0.reductions = [.folding, .partialOrder]; $0.order = order }
            #expect(por.stats.wokenExpansions > 0, "\(order)")
        }
    }

    @Test("--reduce names: por is persistent and sleep sets, each part alone, lists combine, names round-trip")
    func reductionNames() {
        #expect(Reductions(name: "por") == [.persistentSets, .sleepSets])
        #expect(Reductions(name: "persistent") == .persistentSets)
        #expect(Reductions(name: "sleep,sym") == [.sleepSets, .symmetry])
        #expect(Reductions(name: "all") == [.folding, .persistentSets, .sleepSets, .symmetry])
        #expect(Reductions(name: "fold,por") == [.folding, .persistentSets, .sleepSets])
        #expect(Reductions(name: "none") == [])
        #expect(Reductions(name: "stubborn") == nil)
        #expect(Reductions(name: "por,") == nil)
        for r in [Reductions.none, .folding, .persistentSets, .sleepSets, .partialOrder, .symmetry, [.persistentSets, .symmetry],
                  [.folding, .symmetry], Reductions.all.ofTheSearch, .all] {
            #expect(Reductions(name: r.name) == r, "\(r.name)")
        }
        let bad = TestSupport.lockhunt(["check", TestSupport.fixture("semantics/constant-flags.lh"), "--reduce", "stubborn", "--no-trace"])
        #expect(bad.status == 2 && bad.stderr.contains("expected \(Reductions.accepted)"), "\(bad.stderr)")
    }

    @Test("random models with identical threads: symmetry agrees with the unreduced search, and its traces replay", arguments: 0..<2)
    func randomReplicas(_ batch: Int) throws {
        var differing: [String] = []
        var reduced = 0, skipped = 0, unfolded = 0
        for seed in UInt64(1000 + batch * 100)..<UInt64(1000 + batch * 100 + 100) {
            let text = RandomModels.generate(seed: seed, replicas: true)
            let program = try #require(TestSupport.compile(text).program, "seed \(seed)\n\(text)")
            #expect(!program.symmetry.isEmpty, "seed \(seed): the copies are not recognised as interchangeable")
            // A few seeds are large; they add time, not coverage.
            if TestSupport.explore(program, { $0.reductions = .folding; $0.maxStates = 100_000 }).limit != nil { skipped += 1; continue }
            let v = ReductionTests.verdicts(program, base: .folding)
            if Set(v).count != 1 { differing.append("seed \(seed): \(v)\n\(text)") }
            let none = TestSupport.explore(program) { $0.reductions = .folding; $0.allFindings = true }
            let sym = TestSupport.explore(program) { $0.reductions = [.folding, .symmetry]; $0.allFindings = true }
            if sym.stats.states < none.stats.states { reduced += 1 }
            // Findings of the symmetry-reduced search are mapped back to real runs: they replay.
            for raw in sym.findings {
                let f = FindingBuilder(program: program).build(raw)
                #expect(!f.steps.isEmpty || raw.path.count <= 1, "seed \(seed)")
            }
            // Without folding too, where the unfolded state space is small.
            if ReductionTests.comparedUnfolded(program, seed: seed, text: text, into: &differing) { unfolded += 1 }
        }
        #expect(differing.isEmpty, "\(differing.joined(separator: "\n"))")
        #expect(skipped < 10, "\(skipped) of 100 models were too large")
        #expect(unfolded > 25, "only \(unfolded) of 100 models were compared without folding")
        #expect(reduced > 50, "symmetry reduced only \(reduced) of \(100 - skipped) models")
    }

    /// Symmetry and the other search reductions without folding, every finding by group,
    /// against `--reduce none` and against the folded search; false when the unfolded state
    /// space has over 50,000 states (unfolded, a copy's local code interleaves with everyone's).
    static func comparedUnfolded(_ program: Program, seed: UInt64, text: String, into differing: inout [String]) -> Bool {
        guard TestSupport.explore(program, { $0.reductions = .none; $0.allFindings = true; $0.maxStates = 50_000 }).limit == nil else { return false }
        let none = everyFinding(program, .none, byGroup: true)
        for r in [Reductions.folding, .symmetry, Reductions.all.ofTheSearch] {
            let found = everyFinding(program, r, byGroup: true)
            if found != none { differing.append("seed \(seed) \(r.name): all findings \(found) / none \(none)\n\(text)") }
        }
        return true
    }

    @Test("symmetry: threads are interchangeable when their code is the same up to their own folios")
    func symmetryDetection() throws {
        func sym(_ text: String) throws -> SymmetryGroups { try #require(TestSupport.compile(text).program, "\(text)").symmetry }
        // Copies that name the same folio.
        let same = try sym("folio A;\nthread w[i < 3] { folio_lock(A); folio_unlock(A); }\n")
        #expect(same.groups == [[0, 1, 2]] && same.ownFolios == [[[], [], []]])
        // Copies on a folio each: interchangeable together with their folios.
        let own = try sym("folio P[3];\nthread w[i < 3] { folio_lock(P[i]); folio_unlock(P[i]); }\n")
        #expect(own.groups == [[0, 1, 2]] && own.ownFolios == [[[1], [2], [3]]])
        // Two declarations doing the same to different folios, as the two migrators of the bench.
        let two = try sym("folio X, Y;\nthread a { folio_lock(X); folio_unlock(X); }\nthread b { folio_lock(Y); folio_unlock(Y); }\n")
        #expect(two.groups == [[0, 1]] && two.ownFolios == [[[1], [2]]])
        // B is w[0]'s own, A is common to w[1] and w[2]: only those two are alike.
        let some = try sym("folio A, B;\nthread w[i < 3] { if (i == 0) folio_lock(B); else folio_lock(A); }\n")
        #expect(some.groups == [[1, 2]] && some.ownFolios == [[[], []]])
        // Another thread names P[0]: it is no longer w[0]'s own, so w[0] differs from w[1].
        // (w[0] and o now do the same to the same folio: those two are alike.)
        let outsider = try sym("folio P[2];\nthread w[i < 2] { folio_lock(P[i]); folio_unlock(P[i]); }\nthread o { folio_lock(P[0]); folio_unlock(P[0]); }\n")
        #expect(outsider.groups == [[0, 2]] && outsider.ownFolios == [[[], []]])
        // Own folios that start differently (one dirty) are not interchangeable.
        let dirty = try sym("folio X { dirty; };\nfolio Y;\nthread a { folio_lock(X); folio_unlock(X); }\nthread b { folio_lock(Y); folio_unlock(Y); }\n")
        #expect(dirty.isEmpty)
        // Lists and slices count by position: the two halves of the migrators family.
        let halves = try sym("folio P[4];\nthread a { for (f in P[0..2]) folio_lock(f); }\nthread b { for (f in P[2..4]) folio_lock(f); }\n")
        #expect(halves.groups == [[0, 1]] && halves.ownFolios == [[[1, 2], [3, 4]]])
        let reversed = try sym("folio P[4];\nthread a { for (f in P[0..2]) folio_lock(f); }\nthread b { for (f in [P[3], P[2]]) folio_lock(f); }\n")
        #expect(reversed.groups == [[0, 1]] && reversed.ownFolios == [[[1, 2], [4, 3]]])
    }

    @Test("random models with copies on their own folios: symmetry agrees with the unreduced search, and its swaps are automorphisms", arguments: 0..<2)
    func randomOwnFolios(_ batch: Int) throws {
        var differing: [String] = []
        var problems: [String] = []
        var reduced = 0, skipped = 0, withOwn = 0, unfolded = 0
        for seed in UInt64(3000 + batch * 100)..<UInt64(3000 + batch * 100 + 100) {
            let text = RandomModels.generate(seed: seed, ownFolios: true)
            let compiled = TestSupport.compile(text)
            let program = try #require(compiled.program, "seed \(seed) does not compile:\n\(compiled.printed)\n\(text)")
            #expect(!program.symmetry.isEmpty, "seed \(seed): the copies are not recognised as interchangeable\n\(text)")
            if program.symmetry.ownFolios.contains(where: { $0.contains { !$0.isEmpty } }) { withOwn += 1 }
            if TestSupport.explore(program, { $0.reductions = .folding; $0.maxStates = 50_000 }).limit != nil { skipped += 1; continue }
            let v = ReductionTests.verdicts(program, base: .folding)
            if Set(v).count != 1 { differing.append("seed \(seed): \(v)\n\(text)") }
            // Symmetry finds a fault of interchangeable threads in one of them: compare the faults
            // by group and place in the code.
            let none = ReductionTests.everyFinding(program, .folding, byGroup: true)
            let sym = ReductionTests.everyFinding(program, [.folding, .symmetry], byGroup: true)
            if none != sym { differing.append("seed \(seed): all findings \(none) / symmetry \(sym)\n\(text)") }
            let plain = TestSupport.explore(program) { $0.reductions = .folding }
            let reducedSearch = TestSupport.explore(program) { $0.reductions = [.folding, .symmetry] }
            if reducedSearch.stats.states < plain.stats.states { reduced += 1 }
            if ReductionTests.comparedUnfolded(program, seed: seed, text: text, into: &differing) { unfolded += 1 }
            // Each swap maps reachable states to reachable states and keeps canonical forms.
            if let p = SymmetryCheck.problems(program, maxStates: 50_000), !p.isEmpty {
                problems.append("seed \(seed): \(p.joined(separator: "; "))\n\(text)")
            }
        }
        #expect(differing.isEmpty, "\(differing.joined(separator: "\n"))")
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        #expect(skipped < 15, "\(skipped) of 100 models were too large")
        #expect(withOwn > 60, "only \(withOwn) of 100 models have copies with folios of their own")
        #expect(unfolded > 25, "only \(unfolded) of 100 models were compared without folding")
        #expect(reduced > 50, "symmetry reduced only \(reduced) of \(100 - skipped) models")
    }

    @Test("the migrators family: its two compaction runs are swapped with their halves of the folios")
    func migratorsSymmetry() throws {
        for policy in ["upstream", "v5"] {
            let program = try #require(TestSupport.compile(path: TestSupport.root + "/Models/bench/migrators.lh",
                                                           policy: TestSupport.policy(policy), params: [("N", 4)]).program)
            #expect(program.symmetry.groups == [[0, 1]] && program.symmetry.ownFolios == [[[1, 2], [3, 4]]], "\(policy)")
            #expect(SymmetryCheck.problems(program, maxStates: 100_000) == [], "\(policy)")
            let none = TestSupport.explore(program) { $0.reductions = .none }
            let sym = TestSupport.explore(program) { $0.reductions = .symmetry }
            // Each state where the two runs differ has its mirror image: about half the states go.
            #expect(sym.stats.states * 3 < none.stats.states * 2, "\(policy): \(sym.stats.states) of \(none.stats.states)")
            #expect(TestSupport.verdict(sym) == TestSupport.verdict(none))
        }
    }

    @Test("the writers family: copies on their own folios, one orbit per order of the writers")
    func writersSymmetry() throws {
        for policy in ["upstream", "v5"] {
            let program = try #require(TestSupport.compile(path: TestSupport.root + "/Models/bench/writers.lh",
                                                           policy: TestSupport.policy(policy), params: [("N", 3)]).program)
            // J is named by every writer and by kcompactd: common. D[i] is writer i's own.
            let d = program.folios.indices.filter { program.folios[$0].name.hasPrefix("D[") }.map { $0 + 1 }
            #expect(program.symmetry.groups == [[0, 1, 2]] && program.symmetry.ownFolios == [d.map { [$0] }], "\(policy)")
            #expect(SymmetryCheck.problems(program, maxStates: 200_000) == [], "\(policy)")
            // Folded: unfolded, three writers under upstream are tens of millions of states.
            let v = ReductionTests.verdicts(program, base: .folding)
            #expect(Set(v) == ["ok"], "\(policy): \(v)")
            let none = TestSupport.explore(program) { $0.reductions = .folding }
            let sym = TestSupport.explore(program) { $0.reductions = [.folding, .symmetry] }
            let por = TestSupport.explore(program) { $0.reductions = [.folding, .partialOrder] }
            let all = TestSupport.explore(program) { $0.reductions = .all }
            // Three writers: up to 3! = 6 states per orbit, with or without the partial-order reduction.
            #expect(sym.stats.states * 3 < none.stats.states && all.stats.states * 3 < por.stats.states,
                    "\(policy): none \(none.stats.states), sym \(sym.stats.states), por \(por.stats.states), all \(all.stats.states)")
        }
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
                let v = ReductionTests.verdicts(program, base: .folding)
                #expect(Set(v).count == 1, "\(s) under \(p): \(v)")
                // Every finding of every setting against --reduce none. Sleep sets and symmetry
                // alone keep (nearly) every unfolded state: past a million (data-folio-buffers,
                // 9 million) they are compared folded only, above.
                let none = ReductionTests.everyFinding(program, .none)
                for r in ReductionTests.settings where none.states < 1_000_000 || r.contains(.folding) || r.contains(.persistentSets) {
                    let found = ReductionTests.everyFinding(program, r)
                    #expect(found == none, "\(s) under \(p), \(r.name): \(found), unfolded unreduced \(none)")
                }
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
        // Folded, so that the loop's counting is no step: 9 resting points per thread.
        let none = TestSupport.explore(program) { $0.reductions = .folding }
        let por = TestSupport.explore(program) { $0.reductions = [.folding, .partialOrder] }
        #expect(none.stats.states == 81)     // 9 x 9 positions
        #expect(por.stats.states == 17)      // one thread after the other
        // Unfolded, the counting is steps too, and still one thread after the other.
        let unfolded = TestSupport.explore(program) { $0.reductions = .none }
        let unfoldedPOR = TestSupport.explore(program) { $0.reductions = .partialOrder }
        let perThread = Int(Double(unfolded.stats.states).squareRoot())
        #expect(perThread * perThread == unfolded.stats.states && perThread > 9, "\(unfolded.stats.states)")
        #expect(unfoldedPOR.stats.states == 2 * perThread - 1)
    }

    @Test("a thread whose step faults does not cut the reduced search short (--all finds the deadlock too)")
    func faultingThreadDoesNotHideOthers() throws {
        // t0 fails its assertion on its own local state, independently of everyone: once it holds
        // C, the smallest persistent set is {t0}, whose only step faults. Found by the differential suite.
        let program = try #require(TestSupport.compile("""
        folio A, B, C;
        thread t0 { bool r; folio_lock(C); folio_unlock(C); assert(r); }
        thread t1 { folio_lock(A); folio_lock(B); }
        thread t2 { folio_lock(B); folio_lock(A); }
        """).program)
        // Without folding t0's unlock is a step of its own and the assertion after it another:
        // the fallback must come while t0 still holds C, as it does folded.
        for reductions in [Reductions.none, .folding, .partialOrder, .persistentSets, Reductions.all.ofTheSearch, .all] {
            let r = TestSupport.explore(program) { $0.reductions = reductions; $0.allFindings = true }
            #expect(r.findings.contains { if case .deadlock = $0.kind { return true }; return false }, "\(reductions)")
            #expect(r.findings.contains { if case .violation = $0.kind { return true }; return false }, "\(reductions)")
        }
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
