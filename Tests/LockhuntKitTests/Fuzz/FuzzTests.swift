import Foundation
import Testing
import LockhuntKit

/// Bad input never crashes or hangs lockhunt: every model or trace that cannot be read ends
/// in a diagnostic (exit 2 through the command line); one that happens to be valid is
/// checked or replayed as usual. Inputs are random bytes, truncations and mutations of the
/// model library, the test fixtures and the committed traces, deep nesting, huge numbers and
/// invalid UTF-8, from a fixed seed.
///
/// Longer local runs: `LOCKHUNT_FUZZ_ITERATIONS=200000 LOCKHUNT_FUZZ_SEED=7 swift test --filter Fuzz`
/// (`make fuzz`). The input being processed is always written first to
/// $TMPDIR/lockhunt-fuzz-last-input.lh (or .trace), so if the test process crashes or hangs,
/// that file is the reproducer: add it under Fixtures/regressions/ with the fix.
@Suite("Fuzzing: bad input ends in diagnostics")
struct FuzzTests {
    static let seed = UInt64(Differential.setting("LOCKHUNT_FUZZ_SEED", default: 424_242))
    static let iterations = Differential.setting("LOCKHUNT_FUZZ_ITERATIONS", default: 2_000)
    static let lastInput = NSTemporaryDirectory() + "lockhunt-fuzz-last-input"

    /// A copy of Models/ where mutated scenarios are written, so that their includes and
    /// policies resolve and mutations reach the compiler, not just the file loader.
    static let workspace: String = {
        let dir = TestSupport.temporaryDirectory()
        try? FileManager.default.copyItem(atPath: TestSupport.root + "/Models", toPath: dir + "/Models")
        return dir
    }()

    static func files(_ dir: String, _ ext: String) -> [String] {
        guard let e = FileManager.default.enumerator(atPath: dir) else { return [] }
        return e.compactMap { $0 as? String }.filter { $0.hasSuffix(ext) }.sorted().map { dir + "/" + $0 }
    }

    static let modelSeeds: [[UInt8]] = (files(TestSupport.root + "/Models", ".lh") + files(TestSupport.fixture("semantics"), ".lh")
        + files(TestSupport.fixture("diagnostics"), ".lh") + files(TestSupport.fixture("differential"), ".lh"))
        .compactMap { FileManager.default.contents(atPath: $0).map { [UInt8]($0) } }

    /// The committed traces, with their root pointed at the repository so that they load.
    static let traceSeeds: [[UInt8]] = (files(TestSupport.root + "/Traces", ".trace") + files(TestSupport.root + "/Tests/LockhuntKitTests/Golden", ".trace"))
        .compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }
        .map { Array($0.replacingOccurrences(of: "root: ..", with: "root: " + TestSupport.root).utf8) }

    enum Kind { case random, mutated, extreme }

    /// Input number `i` of a run, for models or traces.
    static func input(_ i: Int, seeds: [[UInt8]], seed: UInt64 = seed) -> [UInt8] {
        var m = Mutator(seed: seed &* 7_919 &+ UInt64(i))
        switch i % 10 {
        case 0: return m.randomBytes()
        case 1: return m.extreme()
        case 2, 3:
            // A valid generated model with numbers and names swapped: most still parse, so
            // these reach the compiler, the search and the export.
            guard seeds.first?.starts(with: Array("# lockhunt trace".utf8)) != true else { fallthrough }
            var g = ModelGenerator(seed: seed &+ UInt64(i))
            var b = Array(g.model().utf8)
            for _ in 0..<(1 + m.below(3)) { b = m.chance(50) ? m.swapNumber(b) : m.swapIdentifier(b) }
            return b
        default: return m.mutate(seeds[m.below(seeds.count)], other: seeds[m.below(seeds.count)])
        }
    }

    /// Loads, compiles and (if it compiles) briefly explores and exports a model: must end in
    /// a program or in at least one error, never a crash.
    static func model(_ bytes: [UInt8], policy: Bool, name: String = "fuzz.lh") -> String? {
        let path = workspace + "/Models/scenarios/" + name
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        _ = FileManager.default.createFile(atPath: lastInput + ".lh", contents: Data(bytes))
        let sources = SourceManager()
        let diags = DiagnosticEngine()
        let ref = policy ? PolicyRef(name: "v5", path: workspace + "/Models/policies/v5.lh") : nil
        guard let loaded = ModelLoader.load(modelPath: path, policy: ref, params: [], sources: sources, diagnostics: diags) else {
            return diags.hasErrors ? nil : "the loader failed without an error"
        }
        guard let program = Program.compile(loaded, diagnostics: diags) else {
            // Printing the diagnostics must work too (odd locations, invalid text).
            _ = DiagnosticPrinter(sources: loaded.sources).format(diags.diagnostics)
            return diags.hasErrors ? nil : "the compiler failed without an error"
        }
        var options = SearchOptions()
        options.maxStates = 3_000
        options.timeLimit = 2
        let result = Explorer(program: program, options: options).run()
        if let f = result.findings.first { _ = FindingBuilder(program: program).build(f) }
        _ = PromelaExport(program: program).render()
        return nil
    }

    @Test("models: random bytes, mutations, deep nesting, huge numbers, invalid UTF-8")
    func models() {
        var failures: [String] = []
        for i in 0..<FuzzTests.iterations {
            let bytes = FuzzTests.input(i, seeds: FuzzTests.modelSeeds)
            if let f = FuzzTests.model(bytes, policy: i % 10 == 3) {
                failures.append("input \(i) (LOCKHUNT_FUZZ_SEED=\(FuzzTests.seed)): \(f)")
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(5).joined(separator: "\n"))")
    }

    /// Parses a trace and, if it reads, replays it: must end in a result, never a crash.
    static func trace(_ bytes: [UInt8], name: String = "fuzz.trace") -> String? {
        _ = FileManager.default.createFile(atPath: lastInput + ".trace", contents: Data(bytes))
        let sources = SourceManager()
        let diags = DiagnosticEngine()
        let file = sources.add(path: "fuzz.trace", bytes: bytes)
        guard let trace = TraceReader.parse(file, diagnostics: diags) else {
            _ = DiagnosticPrinter(sources: sources).format(diags.diagnostics)
            return diags.hasErrors ? nil : "the trace reader failed without an error"
        }
        let dir = workspace + "/Traces"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        let result = Replayer(options: .init(tracePath: path)).run()
        if result.exitCode == .ok && trace.steps.isEmpty { return "an empty trace replayed as reaching its finding" }
        return nil
    }

    @Test("traces: random bytes and mutations of the committed traces")
    func traces() {
        var failures: [String] = []
        for i in 0..<max(1, FuzzTests.iterations / 3) {
            let bytes = FuzzTests.input(i, seeds: FuzzTests.traceSeeds)
            if let f = FuzzTests.trace(bytes) { failures.append("trace input \(i): \(f)") }
        }
        #expect(failures.isEmpty, "\(failures.prefix(5).joined(separator: "\n"))")
    }

    /// Runs the binary on an input file; returns what was wrong, if anything.
    static func binary(_ args: [String], allowed: Set<Int32>) -> String? {
        let r = ProcessRunner.run(TestSupport.binary, args, cwd: workspace, timeout: 20)
        if r.timedOut { return "hangs: lockhunt \(args.joined(separator: " "))" }
        if r.signaled || !allowed.contains(r.status) {
            return "exit \(r.status)\(r.signaled ? " (killed by a signal)" : ""): lockhunt \(args.joined(separator: " "))\n\(r.stderr.suffix(2000))"
        }
        if r.status == 2 && !r.stderr.contains("error:") { return "exit 2 without a diagnostic: \(r.stderr.prefix(500))" }
        return nil
    }

    @Test("through the command line: exit 2 with a diagnostic, never a crash or a hang")
    func commandLine() {
        let n = max(20, FuzzTests.iterations / 20)
        let failures = Differential.parallel(n) { i -> String? in
            let dir = FuzzTests.workspace + "/Models/scenarios/cli-\(i)"
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            if i % 2 == 0 {
                let path = dir + "/m.lh"
                _ = FileManager.default.createFile(atPath: path, contents: Data(FuzzTests.input(i, seeds: FuzzTests.modelSeeds, seed: FuzzTests.seed &+ 1)))
                return FuzzTests.binary(["check", path, "--no-trace", "--max-states", "3000", "--time-limit", "5"], allowed: [0, 1, 2, 3])
            } else {
                let path = dir + "/t.trace"
                _ = FileManager.default.createFile(atPath: path, contents: Data(FuzzTests.input(i, seeds: FuzzTests.traceSeeds, seed: FuzzTests.seed &+ 1)))
                return FuzzTests.binary(["replay", path], allowed: [0, 1, 2])
            }
        }.compactMap { $0 }
        #expect(failures.isEmpty, "\(failures.prefix(5).joined(separator: "\n"))")
    }

    static var regressions: [String] {
        files(TestSupport.fixture("regressions"), "").filter { $0.hasSuffix(".lh") || $0.hasSuffix(".trace") }
    }

    @Test("inputs that once crashed or hung end in diagnostics", arguments: regressions)
    func regression(_ path: String) throws {
        let bytes = [UInt8](try #require(FileManager.default.contents(atPath: path)))
        let name = (path as NSString).lastPathComponent
        if path.hasSuffix(".trace") {
            #expect(FuzzTests.trace(bytes, name: "regression-" + name) == nil, "\(name)")
            let copy = FuzzTests.workspace + "/Models/scenarios/" + name
            _ = FileManager.default.createFile(atPath: copy, contents: Data(bytes))
            #expect(FuzzTests.binary(["replay", copy], allowed: [0, 1, 2]) == nil, "\(name)")
        } else {
            #expect(FuzzTests.model(bytes, policy: false, name: "regression-" + name) == nil, "\(name)")
            let copy = FuzzTests.workspace + "/Models/scenarios/" + name
            _ = FileManager.default.createFile(atPath: copy, contents: Data(bytes))
            #expect(FuzzTests.binary(["check", copy, "--no-trace", "--max-states", "3000", "--time-limit", "5"], allowed: [0, 1, 2, 3]) == nil, "\(name)")
        }
    }
}
