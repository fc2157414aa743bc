import Foundation
import Testing
import LockhuntKit

/// lockhunt against SPIN, an established model checker, on the same models: the number of
/// reachable states and the verdicts must agree (Differential.swift says exactly how).
///
/// Longer local runs: `LOCKHUNT_DIFF_MODELS=5000 LOCKHUNT_DIFF_SEED=7 swift test --filter Differential`
/// (`make difftest`). A mismatch prints the model; save it under
/// Fixtures/differential/ and it is compared on every run from then on.
@Suite("Differential testing against SPIN")
struct DifferentialTests {
    static let seed = UInt64(Differential.setting("LOCKHUNT_DIFF_SEED", default: 15_052_026))
    static let models = Differential.setting("LOCKHUNT_DIFF_MODELS", default: 200)

    /// The generated model number `i` of a run.
    static func generated(_ i: Int, seed: UInt64 = seed) -> String {
        var g = ModelGenerator(seed: seed &* 1_000_003 &+ UInt64(i))
        return g.model()
    }

    /// A failure's text: what differs, how to get the model again, and the model.
    static func describe(_ what: String, _ mismatches: [String], _ text: String) -> String {
        "\(what):\n  " + mismatches.joined(separator: "\n  ") + "\n--- model ---\n" + text + "--- end ---"
    }

    static func compare(text: String, name: String, folding: Bool = true,
                        mutate: @escaping (String) -> String = { $0 }) -> (failure: String?, report: Differential.Report?) {
        let compiled = TestSupport.compile(text)
        guard let program = compiled.program else {
            return (describe(name, ["does not compile:\n" + compiled.printed], text), nil)
        }
        do {
            let report = try Differential.compare(program, folding: folding, mutate: mutate)
            let what = name + (folding ? "" : " (unfolded: check --reduce none, export --reduce none)")
            return (report.mismatches.isEmpty ? nil : describe(what, report.mismatches, text), report)
        } catch {
            return (describe(name, ["\(error)"], text), nil)
        }
    }

    @Test("random models: lockhunt and SPIN find the same states and the same verdicts")
    func randomModels() throws {
        try #require(SpinRunner.available, Comment(rawValue: SpinRunner.missing))
        let seed = DifferentialTests.seed
        // Every other model without folding, on both sides: each local instruction a step.
        let results = Differential.parallel(DifferentialTests.models) { i in
            DifferentialTests.compare(text: DifferentialTests.generated(i, seed: seed),
                                      name: "generated model \(i) (LOCKHUNT_DIFF_SEED=\(seed))", folding: i % 2 == 0)
        }
        let failures = results.compactMap(\.failure)
        #expect(failures.isEmpty, "\(failures.count) of \(results.count) models disagree; the first:\n\(failures.prefix(3).joined(separator: "\n\n"))")

        // The generator must keep producing every kind of model, or this test quietly tests less.
        let reports = results.compactMap(\.report)
        let deadlocks = reports.filter { $0.lockhuntDeadlock }.count
        let violations = reports.filter { $0.lockhuntViolation }.count
        let clean = reports.filter { !$0.lockhuntDeadlock && !$0.lockhuntViolation }.count
        let tenth = reports.count / 10
        #expect(deadlocks >= tenth && violations >= tenth && clean >= tenth,
                "deadlocks \(deadlocks), violations \(violations), clean \(clean) of \(reports.count)")
        #expect(reports.map(\.lockhuntStates).reduce(0, +) >= 20 * reports.count, "the generated models are too small to test much")
        // Some overflow 64 bits (an integer overflow or a bad shift count, in local code or a
        // visible step), so that the export's overflow checks are compared too.
        let overflows = reports.filter(\.lockhuntOverflow).count
        #expect(overflows >= reports.count / 50, "only \(overflows) of \(reports.count) models overflow")
    }

    static var fixtureModels: [String] {
        TestSupport.fixtures(in: "semantics").map { "semantics/" + $0 } + TestSupport.fixtures(in: "differential").map { "differential/" + $0 }
    }

    @Test("fixture models: semantics and past mismatches", arguments: fixtureModels)
    func fixture(_ name: String) throws {
        try #require(SpinRunner.available, Comment(rawValue: SpinRunner.missing))
        let text = try String(contentsOfFile: TestSupport.fixture(name), encoding: .utf8)
        for folding in [true, false] {
            let failure = DifferentialTests.compare(text: text, name: name, folding: folding).failure
            #expect(failure == nil, "\(failure ?? "")")
        }
    }

    /// (scenario, policy) for every expectation of every scenario in Models/.
    static var libraryCases: [String] {
        ModelLibraryTests.cases.map { $0.split(separator: " ").prefix(2).joined(separator: " ") }
    }

    @Test("the model library: every scenario under every policy it names")
    func library() throws {
        try #require(SpinRunner.available, Comment(rawValue: SpinRunner.missing))
        let cases = DifferentialTests.libraryCases
        #expect(!cases.isEmpty)
        // Each case folded (index 2k) and unfolded (2k + 1). Unfolded, data-folio-buffers has
        // 9 million states: too many for pan's state vectors in CI, so a case over a million
        // unfolded states is compared folded only.
        let outcomes = Differential.parallel(2 * cases.count) { i -> (failure: String?, skipped: String?) in
            let parts = cases[i / 2].split(separator: " ").map(String.init)
            let folding = i % 2 == 0
            let what = "\(parts[0]) under \(parts[1])" + (folding ? "" : ", unfolded")
            let compiled = TestSupport.compile(path: TestSupport.root + "/Models/scenarios/" + parts[0], policy: TestSupport.policy(parts[1]))
            guard let program = compiled.program else { return ("\(what) does not compile:\n\(compiled.printed)", nil) }
            do {
                let r = try Differential.compare(program, folding: folding, maxStates: folding ? 2_000_000 : 1_000_000)
                return (r.mismatches.isEmpty ? nil : "\(what):\n  " + r.mismatches.joined(separator: "\n  "), nil)
            } catch is Differential.TooLarge where !folding {
                return (nil, parts[0])
            } catch {
                return ("\(what): \(error)", nil)
            }
        }
        let failures = outcomes.compactMap(\.failure)
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        let skipped = Set(outcomes.compactMap(\.skipped))
        #expect(skipped.isSubset(of: ["data-folio-buffers.lh"]), "compared folded only: \(skipped.sorted())")
    }

    /// Makes every trylock in the exported model succeed, as a broken folio_trylock would.
    static func alwaysAcquire(_ promela: String) -> String {
        promela.replacingOccurrences(of: "lh_old = PG_locked", with: "lh_old = 0 && PG_locked")
    }

    @Test("a broken folio_trylock in the export is caught")
    func brokenTrylock() throws {
        try #require(SpinRunner.available, Comment(rawValue: SpinRunner.missing))
        let model = """
        folio A;
        thread holder { folio_lock(A); folio_unlock(A); }
        thread trier {
        \tif (folio_trylock(A))
        \t\tfolio_unlock(A);
        }

        """
        #expect(DifferentialTests.compare(text: model, name: "trylock").failure == nil)
        let broken = DifferentialTests.compare(text: model, name: "trylock", mutate: DifferentialTests.alwaysAcquire)
        let failure = try #require(broken.failure, "the broken trylock went unnoticed")
        #expect(failure.contains("violation: lockhunt finds none, SPIN"))

        // The random models catch it too: among the first ones some use a trylock that fails.
        let caught = Differential.parallel(16) { i in
            DifferentialTests.compare(text: DifferentialTests.generated(i), name: "\(i)", mutate: DifferentialTests.alwaysAcquire).failure != nil
        }.filter { $0 }.count
        #expect(caught >= 2, "only \(caught) of 16 generated models noticed a folio_trylock that always succeeds")
    }
}
