import Foundation
import Testing
import LockhuntKit

@Suite("Traces and replay")
struct TraceTests {
    static let loopBH = TestSupport.root + "/Models/scenarios/loop-bh.lh"

    /// Runs `check` on loop-bh under `policy` writing traces into a fresh folder.
    static func check(_ policy: String, traceDir: String, overwrite: Bool = false, model: String = loopBH) -> CheckResult {
        var options = CheckOptions()
        options.models = [model]
        options.traceDir = traceDir
        options.overwrite = overwrite
        let runner = CheckRunner(options: options)
        return runner.run(model: model, policy: TestSupport.policy(policy))
    }

    static func parse(_ text: String) -> (Trace?, [Diagnostic]) {
        let sources = SourceManager()
        let diags = DiagnosticEngine()
        let file = sources.add(path: "t.trace", bytes: Array(text.utf8))
        return (TraceReader.parse(file, diagnostics: diags), diags.diagnostics)
    }

    @Test("a trace renders and parses back to the same value")
    func renderParse() throws {
        let dir = TestSupport.temporaryDirectory()
        let r = TraceTests.check("v5", traceDir: dir)
        let path = try #require(r.tracePath)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let (trace, diags) = TraceTests.parse(text)
        #expect(diags.isEmpty)
        let t = try #require(trace)
        #expect(t.render() == text)
        #expect(t.verdict == .deadlock)
        #expect(t.policy == "v5")
    }

    @Test("check -> trace -> replay reaches the same deadlock with the same steps")
    func roundTrip() throws {
        let dir = TestSupport.temporaryDirectory()
        let r = TraceTests.check("v5", traceDir: dir)
        guard case .finding(let finding) = r.outcome else { Issue.record("no finding"); return }
        let path = try #require(r.tracePath)
        let result = Replayer(options: .init(tracePath: path)).run()
        #expect(result.outcome == .reached, "\(result.output)")
        #expect(result.exitCode == .ok)
        // Every step printed by replay is the step recorded by check.
        for (i, s) in finding.steps.enumerated() {
            #expect(result.output.contains("\(i + 1)  \(s.thread): \(s.operation) -> \(s.outcome)"), "step \(i + 1)")
        }
        #expect(result.output.contains("reached the recorded deadlock"))
    }

    @Test("replay still matches after edits that leave the path alone")
    func robustToUnrelatedEdits() throws {
        let dir = TestSupport.temporaryDirectory()
        let r = TraceTests.check("v5", traceDir: dir)
        let path = try #require(r.tracePath)
        // A copy of the scenario with comments, blank lines and an unused function added.
        let original = try String(contentsOfFile: TraceTests.loopBH, encoding: .utf8)
        let edited = "// An edited copy.\n\n" + original.replacingOccurrences(of: "thread jbd2 {", with: "void unused_helper(folio f) { folio_lock(f); folio_unlock(f); }\n\n// jbd2, moved down a few lines\nthread jbd2 {")
        let copyDir = TestSupport.temporaryDirectory() + "/scenarios"
        try FileManager.default.createDirectory(atPath: copyDir, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: copyDir + "/../lib", withIntermediateDirectories: true)
        for lib in ["mm.lh", "migrate-move.lh"] {
            try FileManager.default.copyItem(atPath: TestSupport.root + "/Models/lib/" + lib, toPath: copyDir + "/../lib/" + lib)
        }
        let model = TestSupport.writeModel(edited, name: "loop-bh.lh", in: copyDir)
        var options = Replayer.Options(tracePath: path)
        options.model = model
        let result = Replayer(options: options).run()
        #expect(result.outcome == .reached, "\(result.output)")
        #expect(result.output.contains("the model changed since this trace was written"))
    }

    @Test("replay under a policy that fixes the deadlock diverges, naming the step and why")
    func divergence() throws {
        let dir = TestSupport.temporaryDirectory()
        let path = try #require(TraceTests.check("v5", traceDir: dir).tracePath)
        var options = Replayer.Options(tracePath: path)
        options.policy = TestSupport.policy("upstream").path
        let result = Replayer(options: options).run()
        guard case .diverged(let step, let reason) = result.outcome else {
            Issue.record("expected divergence, got \(result.outcome)\n\(result.output)")
            return
        }
        #expect(step >= 1)
        #expect(reason.contains("the trace expects"))
        #expect(result.exitCode == .finding)
    }

    @Test("when an edit changes a thread's path, replay names the step, the last match, and why")
    func divergenceAfterEdit() throws {
        let dir = TestSupport.temporaryDirectory()
        let path = try #require(TraceTests.check("v5", traceDir: dir).tracePath)
        // jbd2 now queues the bio before locking the buffer: step 1 no longer matches.
        let original = try String(contentsOfFile: TraceTests.loopBH, encoding: .utf8)
        let edited = original.replacingOccurrences(of: "\tlock_buffer(bh);\n\tloop_bio_queued = true;", with: "\tloop_bio_queued = true;\n\tlock_buffer(bh);")
        #expect(edited != original)
        let copyDir = TestSupport.temporaryDirectory() + "/scenarios"
        try FileManager.default.createDirectory(atPath: copyDir + "/../lib", withIntermediateDirectories: true)
        for lib in ["mm.lh", "migrate-move.lh"] {
            try FileManager.default.copyItem(atPath: TestSupport.root + "/Models/lib/" + lib, toPath: copyDir + "/../lib/" + lib)
        }
        var options = Replayer.Options(tracePath: path)
        options.model = TestSupport.writeModel(edited, name: "loop-bh.lh", in: copyDir)
        let result = Replayer(options: options).run()
        guard case .diverged(let step, let reason) = result.outcome else { Issue.record("\(result.output)"); return }
        #expect(step == 1)
        #expect(reason.contains("the trace expects jbd2: lock_buffer(bh) -> acquired, but the model does loop_bio_queued = true -> done"))
        #expect(reason.contains("jbd2's path through jbd2 changed"))
        // Under v6.2 kcompactd blocks earlier: the reason names the holder, and the last match is shown.
        var v62 = Replayer.Options(tracePath: path)
        v62.policy = TestSupport.policy("v6.2").path
        let r2 = Replayer(options: v62).run()
        #expect(r2.output.contains("but kcompactd is blocked in lock_buffer(bh) at "))
        #expect(r2.output.contains("migrate-move.lh:38:4 (buffer bh is held by jbd2 since step 1)"))
        #expect(r2.output.contains("the last step that matched: 6  kcompactd: folio_test_writeback(X) -> false"))
    }

    @Test("a violation trace replays to its violation")
    func violationRoundTrip() throws {
        let dir = TestSupport.temporaryDirectory()
        let model = TestSupport.writeModel("""
        folio A;
        shared int x;
        thread a { folio_lock(A); x = 1; folio_unlock(A); }
        thread b { folio_lock(A); assert(x == 0); folio_unlock(A); }
        """, in: dir)
        var options = CheckOptions()
        options.traceDir = dir + "/Traces"
        let r = CheckRunner(options: options).run(model: model, policy: nil)
        guard case .finding(let f) = r.outcome, case .violation(_, let message, _, _) = f.kind else {
            Issue.record("expected a violation"); return
        }
        #expect(message == "assertion failed: assert(x == 0)")
        let result = Replayer(options: .init(tracePath: try #require(r.tracePath))).run()
        #expect(result.outcome == .reached, "\(result.output)")
    }

    @Test("an existing trace is never silently overwritten")
    func neverOverwrite() throws {
        let dir = TestSupport.temporaryDirectory()
        let first = TraceTests.check("v5", traceDir: dir)
        let path = try #require(first.tracePath)
        #expect(first.traceNote == "written")
        // The same run again: the file is identical and left alone.
        #expect(TraceTests.check("v5", traceDir: dir).traceNote == "unchanged")
        // A different trace under the same name goes beside it.
        try "# lockhunt trace 1\nhand-edited\n".write(toFile: path, atomically: true, encoding: .utf8)
        let third = TraceTests.check("v5", traceDir: dir)
        #expect(third.tracePath == dir + "/loop-bh.v5.2.trace")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "# lockhunt trace 1\nhand-edited\n")
        #expect(third.traceNote?.contains("exists and differs") == true)
        // Only --overwrite replaces it.
        let forced = TraceTests.check("v5", traceDir: dir, overwrite: true)
        #expect(forced.tracePath == path)
        #expect(try String(contentsOfFile: path, encoding: .utf8).hasPrefix("# lockhunt trace 1\n# A counterexample"))
        // No temporary files are left behind.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp.") }
        #expect(leftovers.isEmpty)
    }

    @Test("malformed traces are reported at file:line:col", arguments: [
        ("not a trace\n", 1, "not a lockhunt trace"),
        ("# lockhunt trace 9\n", 1, "trace format version 9 is not supported"),
        ("# lockhunt trace 1\nmodel: m.lh\ndigest: x\nverdict: deadlock\nstep 2: t: folio_lock(A) -> acquired @ m.lh:1:1 in t\n", 5, "out of order"),
        ("# lockhunt trace 1\nmodel: m.lh\ndigest: x\nverdict: deadlock\nstep 1: garbage\n", 5, "malformed step"),
        ("# lockhunt trace 1\ndigest: x\nverdict: deadlock\nblocked: t: folio_lock(A) @ m.lh:1:1\n", 5, "no 'model:' line"),
        ("# lockhunt trace 1\nmodel: m.lh\ndigest: x\nverdict: deadlock\nsteps: 3\nblocked: t: folio_lock(A) @ m:1:1\n", 5, "the header says 3 steps"),
        ("# lockhunt trace 1\nmodel: m.lh\ndigest: x\nverdict: ok\n", 4, "verdict must be"),
        ("# lockhunt trace 1\nmodle: m.lh\n", 2, "did you mean 'model'?"),
        ("# lockhunt trace 1\nmodel: m.lh\ndigest: x\nverdict: deadlock\n", 5, "ends with 'blocked:' lines"),
    ])
    func malformed(_ text: String, _ line: Int, _ message: String) {
        let (trace, diags) = TraceTests.parse(text)
        #expect(trace == nil)
        #expect(diags.count == 1)
        #expect(diags.first.map { Int($0.location.line) } == line, "\(diags)")
        #expect(diags.first?.message.contains(message) == true, "\(diags)")
    }

    @Test("binary garbage as a trace is an error, not a crash")
    func garbageTrace() {
        let dir = TestSupport.temporaryDirectory()
        for (i, bytes) in [[UInt8](repeating: 0xFF, count: 64), [0, 1, 2, 3], Array("# lockhunt trace 1\n".utf8) + [0xC3]].enumerated() {
            let path = dir + "/g\(i).trace"
            #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)), "could not write a test file")
            let result = Replayer(options: .init(tracePath: path)).run()
            guard case .unreadable = result.outcome else { Issue.record("case \(i): \(result.outcome)"); continue }
            #expect(result.output.contains("g\(i).trace:1:") || result.output.contains("g\(i).trace:2:"), "\(result.output)")
        }
    }
}
