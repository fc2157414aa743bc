import Foundation
import Testing
import LockhuntKit

/// The semantics of each primitive on tiny models. Each fixture states its expected verdict in
/// a header comment (`// expect: deadlock t1 t2`, `// expect: ok`, `// expect: violation TEXT`)
/// and optionally the length of the shortest counterexample (`// steps: N`).
@Suite("Primitive semantics")
struct SemanticsTests {
    struct Expectation {
        var verdict: String
        var detail: String
        var steps: Int?
    }

    static func expectation(_ text: String) -> Expectation? {
        var e: Expectation? = nil
        for line in text.split(separator: "\n") {
            if line.hasPrefix("// expect: ") {
                let rest = line.dropFirst("// expect: ".count)
                let verdict = rest.split(separator: " ").first.map(String.init) ?? ""
                e = Expectation(verdict: verdict, detail: String(rest.dropFirst(verdict.count)).trimmingCharacters(in: .whitespaces), steps: nil)
            }
            if line.hasPrefix("// steps: ") { e?.steps = Int(line.dropFirst("// steps: ".count)) }
        }
        return e
    }

    @Test("fixture verdicts", arguments: TestSupport.fixtures(in: "semantics"))
    func fixture(_ name: String) throws {
        let path = TestSupport.fixture("semantics/" + name)
        let expected = try #require(SemanticsTests.expectation(try String(contentsOfFile: path, encoding: .utf8)))
        let compiled = TestSupport.compile(path: path)
        let program = try #require(compiled.program, "\(name) does not compile:\n\(compiled.printed)")
        let result = TestSupport.explore(program)
        #expect(TestSupport.verdict(result) == expected.verdict, "\(name)")
        guard let raw = result.findings.first else { return }
        let finding = FindingBuilder(program: program).build(raw)
        switch finding.kind {
        case .deadlock(let tasks):
            #expect(tasks.map(\.thread).sorted() == expected.detail.split(separator: " ").map(String.init).sorted(), "\(name)")
        case .violation(_, let message, _, _):
            #expect(message.contains(expected.detail), "\(name): \(message)")
        }
        if let steps = expected.steps {
            #expect(finding.steps.count == steps, "\(name): \(finding.steps.map { "\($0.thread): \($0.operation)" })")
        }
    }

    @Test("parameters change the model: the opposite-order deadlock needs two folios")
    func parameterOverride() throws {
        let path = TestSupport.fixture("semantics/params-and-arrays.lh")
        let one = try #require(TestSupport.compile(path: path, params: [("N", 1)]).program)
        #expect(TestSupport.verdict(TestSupport.explore(one)) == "ok")
        let four = try #require(TestSupport.compile(path: path, params: [("N", 4)]).program)
        #expect(TestSupport.verdict(TestSupport.explore(four)) == "deadlock")
    }

    @Test("a failed trylock leaves the lock to its holder; a successful one takes it")
    func trylockOutcomes() throws {
        let program = try #require(TestSupport.compile("""
        folio A;
        shared int got;
        thread a { if (folio_trylock(A)) got = got + 1; }
        thread b { if (folio_trylock(A)) got = got + 1; }
        thread check { wait_event(got >= 1); assert(got == 1); }
        """).program)
        // Exactly one trylock wins in every interleaving (neither unlocks).
        #expect(TestSupport.verdict(TestSupport.explore(program)) == "ok")
    }

    @Test("dead locals are cleared, so equal states are stored once")
    func deadLocalsCleared() throws {
        // The loop counter and temporaries are dead after the loop: the end state is unique.
        let program = try #require(TestSupport.compile("""
        shared int x;
        thread t { for (int i = 0; i < 3; i++) { int tmp = i * 2; x = tmp; } }
        """).program)
        let r = TestSupport.explore(program)
        // One state per visible step plus the initial one: the store of x three times.
        #expect(r.stats.states == 4)
    }
}
