import Foundation
import Testing
import LockhuntKit

/// The static wait graph (LockOrder/WaitGraph.swift) and `lockhunt scale`, which rests on it
/// past the sizes the explorer can finish. What matters most is that the static argument never
/// rules out a deadlock that a search finds: each test below compares it with the explorer.
@Suite("Scale and the static wait graph")
struct ScaleTests {
    /// `// static: no-deadlock`, `// static: no-cyclic-deadlock KIND`, `// static: cycle`.
    static func expectedStatic(_ text: String) -> [String]? {
        for line in text.split(separator: "\n") where line.hasPrefix("// static: ") {
            return line.dropFirst("// static: ".count).split(separator: " ").map(String.init)
        }
        return nil
    }

    static func kind(_ o: WaitGraph.OpenEnd) -> String {
        switch o {
        case .leftHeld: return "left-held"
        case .initiallySet: return "initially-set"
        case .waitsForCondition: return "condition"
        }
    }

    @Test("fixture verdicts of the wait graph agree with the header and with the search",
          arguments: TestSupport.fixtures(in: "waitgraph"))
    func fixture(_ name: String) throws {
        let path = TestSupport.fixture("waitgraph/" + name)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let expected = try #require(ScaleTests.expectedStatic(text), "\(name) has no '// static:' line")
        let compiled = TestSupport.compile(path: path)
        let program = try #require(compiled.program, "\(name):\n\(compiled.printed)")
        let graph = WaitGraph(program: program)
        let searched = TestSupport.verdict(TestSupport.explore(program))
        switch graph.verdict {
        case .noDeadlock:
            #expect(expected == ["no-deadlock"], "\(name)")
            #expect(searched == "ok", "\(name): the static argument ruled out a deadlock the search finds")
        case .noCyclicDeadlock(let open):
            #expect(expected.first == "no-cyclic-deadlock", "\(name)")
            #expect(open.map(ScaleTests.kind).contains(expected.dropFirst().first ?? ""), "\(name): \(open)")
        case .possibleCycle(let edges):
            #expect(expected == ["cycle"], "\(name): \(edges.map { graph.describe($0, in: program) })")
            // Each edge of a reported cycle is a different task's wait.
            #expect(Set(edges.map(\.thread)).count == edges.count, "\(name)")
            for (e, next) in zip(edges, edges.dropFirst() + edges.prefix(1)) { #expect(e.to == next.from, "\(name)") }
        }
        if let e = SemanticsTests.expectation(text) { #expect(searched == e.verdict, "\(name)") }
    }

    @Test("a cycle is described by who waits where while holding what")
    func cycleDescription() throws {
        let program = try #require(TestSupport.compile(path: TestSupport.fixture("waitgraph/abba.lh")).program)
        let graph = WaitGraph(program: program)
        guard case .possibleCycle(let edges) = graph.verdict else { Issue.record("abba has no cycle"); return }
        let lines = edges.map { graph.describe($0, in: program) }.sorted()
        #expect(lines.count == 2)
        #expect(lines[0].hasPrefix("a waits for folio B (") && lines[0].contains("abba.lh:6:") && lines[0].hasSuffix("while it may still release folio A"))
        #expect(lines[1].hasPrefix("b waits for folio A (") && lines[1].contains("abba.lh:7:") && lines[1].hasSuffix("while it may still release folio B"))
    }

    @Test("over the model library, the static argument never rules out a deadlock the explorer finds")
    func libraryAgreement() throws {
        let root = TestSupport.root + "/Models/"
        var proven = 0
        for dir in ["scenarios", "bench"] {
            for model in try FileManager.default.contentsOfDirectory(atPath: root + dir).sorted() where model.hasSuffix(".lh") {
                for policy in ["v6.2", "v5", "trylock-only", "upstream"] {
                    let program = try #require(TestSupport.compile(path: root + dir + "/" + model, policy: TestSupport.policy(policy)).program)
                    let graph = WaitGraph(program: program)
                    switch graph.verdict {
                    case .possibleCycle: continue
                    case .noDeadlock:
                        proven += 1
                        let r = TestSupport.explore(program)
                        #expect(r.findings.allSatisfy { if case .deadlock = $0.kind { return false }; return true }, "\(model) under \(policy)")
                    case .noCyclicDeadlock:
                        let r = TestSupport.explore(program)
                        // A deadlock here must be one an open end explains: nobody on a cycle.
                        if let f = r.findings.first, case .deadlock = f.kind {
                            let built = FindingBuilder(program: program).build(f)
                            if case .deadlock(let tasks) = built.kind {
                                #expect(tasks.contains { $0.releasers.isEmpty }, "\(model) under \(policy): a cyclic deadlock in an acyclic graph")
                            }
                        }
                    }
                }
            }
        }
        // v6.2 never holds two folio locks at once: two-migrators and the migrators family.
        #expect(proven >= 3)
        // And the deadlocks the library is about stay visible as cycles.
        let loopBH = try #require(TestSupport.compile(path: root + "scenarios/loop-bh.lh", policy: TestSupport.policy("v5")).program)
        if case .possibleCycle = WaitGraph(program: loopBH).verdict {} else { Issue.record("loop-bh under v5 shows no cycle") }
    }

    @Test("on random models, the static argument never rules out a deadlock the explorer finds")
    func randomAgreement() throws {
        var proven = 0, acyclic = 0
        for seed: UInt64 in 1...300 {
            let text = RandomModels.generate(seed: seed)
            guard let program = TestSupport.compile(text).program else { continue }
            let graph = WaitGraph(program: program)
            if case .possibleCycle = graph.verdict { continue }
            acyclic += 1
            let r = TestSupport.explore(program)
            let deadlock = r.findings.contains { if case .deadlock = $0.kind { return true }; return false }
            if case .noDeadlock = graph.verdict {
                proven += 1
                #expect(!deadlock, "seed \(seed): the static argument ruled out a deadlock the search finds\n\(text)")
            }
        }
        // The comparison is not vacuous: some random models are proven, more are acyclic.
        #expect(proven >= 5 && acyclic >= proven, "proven \(proven), acyclic \(acyclic)")
    }

    /// Random models about locking alone, in every form the static analysis tracks: locks
    /// through constants, local variables, procedure parameters, array elements and list
    /// iteration; nesting, trylocks, choices, and now and then a lock left held. Many of them
    /// deadlock, many are proven free of deadlock: the comparison bites both ways.
    static func lockModel(seed: UInt64) -> String {
        var rng = RandomModels.RNG(state: seed)
        let folios = 2 + rng.int(3)
        var out = "// random locking model, seed \(seed)\n"
        out += (0..<folios).map { "folio F\($0);" }.joined(separator: " ") + "\nfolio P[2];\n"
        out += "void grab(folio x, folio y) { folio_lock(x); folio_lock(y); folio_unlock(y); folio_unlock(x); }\n"
        func f(_ r: inout RandomModels.RNG) -> String { "F\(r.int(folios))" }
        func statement(_ r: inout RandomModels.RNG, _ depth: Int) -> String {
            let inner = { (r: inout RandomModels.RNG) -> String in depth < 2 && r.chance(50) ? statement(&r, depth + 1) : "" }
            switch r.int(9) {
            case 0: let x = f(&r); return "folio_lock(\(x)); \(inner(&r)) folio_unlock(\(x));"
            case 1: let x = f(&r); return "if (folio_trylock(\(x))) { \(inner(&r)) folio_unlock(\(x)); }"
            case 2: return "{ folio v = \(f(&r)); folio_lock(v); \(inner(&r)) folio_unlock(v); }"
            case 3: return "for (int i = 0; i < 2; i++) { folio_lock(P[i]); \(inner(&r)) folio_unlock(P[i]); }"
            case 4: return "for (folio in [\(f(&r)), P[\(r.int(2))]]) { folio_lock(folio); \(inner(&r)) folio_unlock(folio); }"
            case 5: return "grab(\(f(&r)), \(f(&r)));"
            case 6: return "either { \(statement(&r, depth + 1)) } or { \(statement(&r, depth + 1)) }"
            case 7: return r.chance(10) ? "folio_lock(\(f(&r)));" : "folio_lock(P[\(r.int(2))]); folio_unlock(P[\(r.int(2))]);"
            default: return "if (folio_trylock(\(f(&r)))) {} "
            }
        }
        for t in 0..<(2 + rng.int(2)) {
            out += "thread t\(t) { " + (0..<(1 + rng.int(3))).map { _ in statement(&rng, 0) }.joined(separator: " ") + " }\n"
        }
        return out
    }

    @Test("on random locking models, the static argument never rules out a deadlock the explorer finds")
    func randomLockingAgreement() throws {
        var proven = 0, deadlocks = 0, compiled = 0
        for seed: UInt64 in 1...400 {
            let text = ScaleTests.lockModel(seed: seed)
            guard let program = TestSupport.compile(text).program else { continue }
            compiled += 1
            let graph = WaitGraph(program: program)
            let r = TestSupport.explore(program)
            let deadlock = r.findings.contains { if case .deadlock = $0.kind { return true }; return false }
            if deadlock { deadlocks += 1 }
            if case .noDeadlock = graph.verdict {
                proven += 1
                #expect(!deadlock, "seed \(seed): the static argument ruled out a deadlock the search finds\n\(text)")
            }
        }
        #expect(compiled >= 380 && proven >= 20 && deadlocks >= 100, "compiled \(compiled), proven \(proven), deadlocks \(deadlocks)")
    }

    @Test("scale sizes grow like 2, 4, 6, 8, 12, 16, 24, 32, ... and end at --to")
    func sizes() {
        #expect(ScaleRunner.sizes(from: 2, to: 64) == [2, 4, 6, 8, 12, 16, 24, 32, 48, 64])
        #expect(ScaleRunner.sizes(from: 5, to: 20) == [6, 8, 12, 16, 20])
        #expect(ScaleRunner.sizes(from: 3, to: 3) == [3])
    }

    func scale(_ fixture: String, maxStates: Int?, to: Int) throws -> ScaleRunner.Report {
        var o = ScaleRunner.Options(model: TestSupport.fixture("waitgraph/" + fixture))
        o.to = to
        o.search.maxStates = maxStates
        return try ScaleRunner(options: o).run().get()
    }

    @Test("scale verifies exhaustively while it can, then statically where the graph allows")
    func exhaustiveThenStatic() throws {
        let r = try scale("one-at-a-time.lh", maxStates: 400, to: 96)
        let firstStatic = try #require(r.rows.firstIndex { if case .staticNoDeadlock = $0.verdict { return true }; return false })
        // Every row before the static ones is exhaustive and ok, except the one that hit the limit.
        #expect(r.rows[..<(firstStatic - 1)].allSatisfy { $0.verdict == .exhaustive("ok") })
        #expect(r.rows[firstStatic - 1].verdict == .incomplete(.maxStates))
        #expect(r.rows[firstStatic - 1].size == r.rows[firstStatic].size)
        #expect(r.largestVerified == r.rows[firstStatic - 2].size)
        #expect(r.staticUpTo == 96 && r.rows.last?.size == 96)
        let text = ScaleReport().render(r, model: "one-at-a-time.lh", policy: nil, to: 96)
        #expect(text.contains("static argument: no deadlock for N up to 96"))
        #expect(!text.contains("no argument"))
    }

    @Test("scale says plainly where no argument applies, naming the cycle")
    func noArgument() throws {
        let r = try scale("computed-index-batch.lh", maxStates: 30, to: 64)
        #expect(r.staticUpTo == nil)
        guard case .staticCycle(let lines)? = r.rows.last?.verdict else { Issue.record("no cycle row: \(r.rows)"); return }
        #expect(lines.first?.contains("while it may hold it itself") == true)
        let text = ScaleReport().render(r, model: "computed-index-batch.lh", policy: nil, to: 64)
        #expect(text.contains("no argument gives a full verdict past N=\(r.largestVerified ?? 0)"))
    }

    @Test("scale stops at the first size with a finding")
    func finding() throws {
        // Opposite-order locking over the array deadlocks once there are two folios.
        let model = TestSupport.writeModel("""
        param N = 2;
        folio P[N];
        thread a { for (int i = 0; i < N; i++) folio_lock(P[i]); }
        thread b { for (int i = 0; i < N; i++) folio_lock(P[N - 1 - i]); }
        """)
        var o = ScaleRunner.Options(model: model)
        o.to = 16
        let r = try ScaleRunner(options: o).run().get()
        #expect(r.finding?.size == 2 && r.finding?.verdict == .exhaustive("deadlock"))
        #expect(r.rows.count == 1)
    }

    @Test("lockhunt scale exit codes: 0 complete, 1 finding, 3 no verdict past the budget, 2 usage")
    func exitCodes() {
        let fixture = "Tests/LockhuntKitTests/Fixtures/waitgraph/"
        #expect(TestSupport.lockhunt(["scale", fixture + "one-at-a-time.lh", "--to", "32", "--max-states", "400"]).status == 0)
        #expect(TestSupport.lockhunt(["scale", fixture + "computed-index-batch.lh", "--to", "32", "--max-states", "30"]).status == 3)
        #expect(TestSupport.lockhunt(["scale", fixture + "abba.lh"]).status == 2)
        let bad = TestSupport.lockhunt(["scale", fixture + "one-at-a-time.lh", "--param-name", "M"])
        #expect(bad.status == 2 && bad.stderr.contains("the model has no parameter 'M'; did you mean 'N'?"))
        let model = TestSupport.writeModel("""
        param N = 2;
        folio P[N];
        thread a { for (int i = 0; i < N; i++) folio_lock(P[i]); }
        thread b { for (int i = 0; i < N; i++) folio_lock(P[N - 1 - i]); }
        """)
        #expect(TestSupport.lockhunt(["scale", model, "--to", "8"]).status == 1)
    }
}
