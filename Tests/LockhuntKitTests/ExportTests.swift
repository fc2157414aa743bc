import Foundation
import Testing
import LockhuntKit

/// `lockhunt export --promela`: the command, and properties of the text that SPIN relies on.
/// That SPIN agrees with lockhunt on the exported models is the differential suite's job.
@Suite("Export")
struct ExportTests {
    @Test("export writes Promela to standard output, or to a file it never silently replaces")
    func command() throws {
        let r = TestSupport.lockhunt(["export", "--promela", "Models/scenarios/loop-bh.lh", "--policy", "v5"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("/*\n * Promela export of Models/scenarios/loop-bh.lh under policy v5"))
        #expect(r.stdout.contains("active proctype kcompactd()"))
        #expect(r.stdout.contains("active proctype lh_all_finished()"))
        #expect(r.stdout.contains("invalid end state"), "the header explains how deadlocks show up")

        let dir = TestSupport.temporaryDirectory()
        let out = dir + "/loop-bh.pml"
        let w = TestSupport.lockhunt(["export", "--promela", "Models/scenarios/loop-bh.lh", "--policy", "v5", "--output", out])
        #expect(w.status == 0 && w.stdout.isEmpty)
        #expect(try String(contentsOfFile: out, encoding: .utf8) == r.stdout)
        let again = TestSupport.lockhunt(["export", "--promela", "Models/scenarios/loop-bh.lh", "--policy", "upstream", "--output", out])
        #expect(again.status == 2)
        #expect(again.stderr.contains("already exists; pass --overwrite"))
        #expect(try String(contentsOfFile: out, encoding: .utf8) == r.stdout)
        let forced = TestSupport.lockhunt(["export", "--promela", "Models/scenarios/loop-bh.lh", "--policy", "upstream", "--output", out, "--overwrite"])
        #expect(forced.status == 0)
        #expect(try String(contentsOfFile: out, encoding: .utf8).contains("under policy upstream"))
    }

    @Test("export usage and model errors exit 2", arguments: [
        (["export", "Models/scenarios/loop-bh.lh"], "choose an output language: --promela"),
        (["export", "--promela"], "no model given"),
        (["export", "--promela", "a.lh", "b.lh"], "export takes one model, got 2"),
        (["export", "--promela", "Models/scenarios/loop-bh.lh", "--policy", "all"], "export one policy at a time"),
        (["export", "--promela", "Models/scenarios/loop-bh.lh", "--policy", "v55"], "no policy 'v55'"),
        (["export", "--promela", "Models/scenarios/nope.lh"], "nope.lh"),
        (["export", "--promela", "Models/scenarios/loop-bh.lh", "--reduce", "por"], "--reduce por: export takes fold or none"),
    ])
    func errors(_ args: [String], _ message: String) {
        let r = TestSupport.lockhunt(args)
        #expect(r.status == 2, "\(args): \(r.stdout)")
        #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
    }

    @Test("the export is the same text every time")
    func deterministic() throws {
        let program = try #require(TestSupport.compile(path: TestSupport.root + "/Models/scenarios/loop-bh.lh", policy: TestSupport.policy("sync-light")).program)
        let again = try #require(TestSupport.compile(path: TestSupport.root + "/Models/scenarios/loop-bh.lh", policy: TestSupport.policy("sync-light")).program)
        #expect(PromelaExport(program: program).render() == PromelaExport(program: again).render())
    }

    @Test("model names that are Promela or C keywords, or clash with each other, get fresh names")
    func names() throws {
        let program = try #require(TestSupport.compile("""
        folio A;
        shared int timeout;
        shared bool now;
        thread init { int run = 1; folio_lock(A); timeout = run; folio_unlock(A); }
        thread skip { wait_event(timeout == 1); now = true; }
        thread lh_all_finished { }

        """).program)
        let text = PromelaExport(program: program).render()
        for bad in ["proctype init(", "proctype skip(", "int timeout", "bit now ", "proctype lh_all_finished() {\n\tdo\n\t:: false"] {
            #expect(!text.contains(bad), "\(bad)")
        }
        #expect(text.contains("active proctype init_()"))
        #expect(text.contains("short timeout_ = 0;"))
        #expect(text.contains("active proctype m_lh_all_finished()"))
    }

    @Test("a thread that is only local code has a process that never moves")
    func noSteps() throws {
        let program = try #require(TestSupport.compile("""
        thread t { int x = 1; x = x + 1; }
        thread u { }

        """).program)
        let text = PromelaExport(program: program).render()
        #expect(text.components(separatedBy: ":: false\t/* no steps").count == 3)
    }

    @Test("export --reduce none: every local instruction is a step, and the header says so")
    func unfolded() throws {
        let program = try #require(TestSupport.compile("""
        folio A;
        thread t { int x = 1; x = x + 1; folio_lock(A); x = x * 2; assert(x == 4); folio_unlock(A); }

        """).program)
        let folded = PromelaExport(program: program).render()
        let unfolded = PromelaExport(program: program, folding: false).render()
        func steps(_ text: String) -> Int { text.components(separatedBy: ":: d_step {").count - 1 }
        // Folded: folio_lock and folio_unlock. Unfolded: also x = 1, x = x + 1, x = x * 2 and
        // the assertion, each run by the thread's local code entered at its own pc.
        #expect(steps(folded) == 2 && steps(unfolded) == 6, "\(steps(folded)) \(steps(unfolded))")
        #expect(unfolded.contains("/* 1: x = x + 1"), "a local step's comment shows the instruction")
        #expect(unfolded.contains("check --reduce none") && folded.contains("check --reduce fold"))
        // The command line gives the same text.
        let dir = TestSupport.temporaryDirectory()
        let model = TestSupport.writeModel("""
        folio A;
        thread t { int x = 1; x = x + 1; folio_lock(A); x = x * 2; assert(x == 4); folio_unlock(A); }

        """, in: dir)
        let r = TestSupport.lockhunt(["export", "--promela", model, "--reduce", "none"])
        #expect(r.status == 0 && steps(r.stdout) == 6, "\(r.stderr)")
    }

    @Test("a model whose first local code faults exports as a single failing assertion")
    func initialFault() throws {
        let program = try #require(TestSupport.compile("thread t { int x = 0; assert(x == 1); }\n").program)
        let text = PromelaExport(program: program).render()
        #expect(text.contains("active proctype lh_initial_fault() {\n\tassert(false)\n}"))
        #expect(!text.contains("proctype t("))
    }
}
