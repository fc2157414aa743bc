import Foundation
import Testing
import LockhuntKit

/// Int locals that only ever hold constants, truth values or copies of such locals get just the
/// bits for those values (LocalRanges.swift); everything else keeps 16. A change of layout only:
/// every search must see the same states, transitions and findings with it as without it.
@Suite("Narrow int locals")
struct LocalRangeTests {
    static func compile(path: String, policy: PolicyRef? = nil, params: [(String, Int64)] = [], narrow: Bool) -> Program? {
        let diags = DiagnosticEngine()
        guard let model = ModelLoader.load(modelPath: path, policy: policy, params: params, sources: SourceManager(), diagnostics: diags) else { return nil }
        var options = CompileOptions()
        options.narrowLocals = narrow
        return Program.compile(model, diagnostics: diags, options: options)
    }

    /// The fields of `thread` named `name`, as (width, signed).
    static func widths(_ p: Program, _ name: String, thread: String) -> [String] {
        p.fieldInfo.indices.filter { p.fieldInfo[$0].thread >= 0 && p.fieldInfo[$0].name == name && p.threads[p.fieldInfo[$0].thread].name == thread }
            .map { "\(p.fields[$0].width)\(p.fields[$0].signed ? "s" : "u")" }
    }

    @Test("constants, truth values and copies get their bits; arithmetic, shared values and trylock results keep 16")
    func widths() throws {
        let path = TestSupport.writeModel("""
        folio A;
        shared int s;
        thread t {
        \tint rc = 0;
        \tint copy = 0;
        \tint flag = 0;
        \tint k = 0;
        \tint fromShared = 0;
        \tint big = 0;
        \tif (nondet_bool()) rc = -11; else rc = 1;
        \tcopy = rc;
        \tflag = rc == 1;
        \tk = k + 1;
        \tfromShared = s;
        \tbig = 40000;
        }
        thread w[i < 3] { int v = i; assert(v < 3); }
        """)
        let p = try #require(LocalRangeTests.compile(path: path, narrow: true))
        #expect(LocalRangeTests.widths(p, "rc", thread: "t") == ["5s"])
        #expect(LocalRangeTests.widths(p, "copy", thread: "t") == ["5s"])
        #expect(LocalRangeTests.widths(p, "flag", thread: "t") == ["1u"])
        #expect(LocalRangeTests.widths(p, "k", thread: "t") == ["16s"])
        #expect(LocalRangeTests.widths(p, "fromShared", thread: "t") == ["16s"])
        #expect(LocalRangeTests.widths(p, "big", thread: "t") == ["16s"], "40000 does not fit 16 bits: the store must fault as before")
        // Copies share one range (0...2), so their layouts stay alike for symmetry.
        for k in 0..<3 { #expect(LocalRangeTests.widths(p, "v", thread: "w[\(k)]") == ["2u"]) }
        let wide = try #require(LocalRangeTests.compile(path: path, narrow: false))
        #expect(LocalRangeTests.widths(wide, "rc", thread: "t") == ["16s"])
        // The out-of-range constant still faults, narrowed or not.
        for program in [p, wide] {
            let r = TestSupport.explore(program)
            let kind = r.findings.first.map { "\($0.kind)" } ?? "none"
            #expect(TestSupport.verdict(r) == "violation" && kind.contains("valueOutOfRange") && kind.contains("40000"), "\(kind)")
        }
    }

    /// Everything a search reports that does not depend on where fields sit in a state.
    static func summary(_ p: Program, _ reductions: Reductions) -> String {
        let r = TestSupport.explore(p) { $0.reductions = reductions; $0.allFindings = true }
        let findings = r.findings.map { "\($0.kind) after \($0.path.count)" }.sorted()
        return "\(r.stats.states) states \(r.stats.transitions) transitions \(TestSupport.verdict(r)) \(findings)"
    }

    static func same(_ name: String, _ narrow: Program, _ wide: Program) {
        #expect(narrow.storedWordsPerState <= wide.storedWordsPerState, "\(name)")
        for reductions in [Reductions.none, .all] {
            let a = summary(narrow, reductions), b = summary(wide, reductions)
            #expect(a == b, "\(name) \(reductions.name): narrowed \(a), 16-bit \(b)")
        }
    }

    @Test("every scenario under every policy: the same search either way")
    func library() throws {
        let policies = ((try? FileManager.default.contentsOfDirectory(atPath: TestSupport.root + "/Models/policies")) ?? [])
            .filter { $0.hasSuffix(".lh") }.map { String($0.dropLast(3)) }.sorted()
        for s in ModelLibraryTests.scenarios where s != "data-folio-buffers.lh" {
            for p in policies {
                let path = TestSupport.root + "/Models/scenarios/" + s
                let a = try #require(LocalRangeTests.compile(path: path, policy: TestSupport.policy(p), narrow: true))
                let b = try #require(LocalRangeTests.compile(path: path, policy: TestSupport.policy(p), narrow: false))
                LocalRangeTests.same("\(s) under \(p)", a, b)
            }
        }
    }

    @Test("the semantics fixtures and random models: the same search either way")
    func fixturesAndRandom() throws {
        for name in TestSupport.fixtures(in: "semantics") {
            let path = TestSupport.fixture("semantics/" + name)
            let params: [(String, Int64)] = name == "params-and-arrays.lh" ? [("N", 3)] : []
            let a = try #require(LocalRangeTests.compile(path: path, params: params, narrow: true))
            let b = try #require(LocalRangeTests.compile(path: path, params: params, narrow: false))
            LocalRangeTests.same(name, a, b)
        }
        for seed in UInt64(1)...60 {
            let path = TestSupport.writeModel(RandomModels.generate(seed: seed, replicas: seed % 3 == 0, ownFolios: seed % 3 == 1, arrays: seed % 2 == 0))
            guard let a = LocalRangeTests.compile(path: path, narrow: true), let b = LocalRangeTests.compile(path: path, narrow: false) else { continue }
            LocalRangeTests.same("random seed \(seed)", a, b)
        }
    }

    @Test("a migrator's state is smaller, and the bench families search alike")
    func benchFamilies() throws {
        for family in ["migrators", "writeback", "loop-chain", "loop-batch", "writers"] {
            for policy in ["upstream", "v5"] {
                let path = TestSupport.root + "/Models/bench/\(family).lh"
                let a = try #require(LocalRangeTests.compile(path: path, policy: TestSupport.policy(policy), params: [("N", 2)], narrow: true))
                let b = try #require(LocalRangeTests.compile(path: path, policy: TestSupport.policy(policy), params: [("N", 2)], narrow: false))
                LocalRangeTests.same("\(family) under \(policy)", a, b)
            }
        }
        let path = TestSupport.root + "/Models/bench/migrators.lh"
        let a = try #require(LocalRangeTests.compile(path: path, policy: TestSupport.policy("v5"), params: [("N", 96)], narrow: true))
        let b = try #require(LocalRangeTests.compile(path: path, policy: TestSupport.policy("v5"), params: [("N", 96)], narrow: false))
        #expect(a.storedWordsPerState < b.storedWordsPerState, "\(a.storedWordsPerState) vs \(b.storedWordsPerState)")
    }
}
