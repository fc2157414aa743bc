import Foundation
import Testing
import LockhuntKit

/// The built `lockhunt` binary, end to end: exit codes, help, usage errors, output files.
@Suite("Command line")
struct CommandLineTests {
    static let loopBH = "Models/scenarios/loop-bh.lh"

    @Test("--version and --help")
    func versionAndHelp() {
        let v = TestSupport.lockhunt(["--version"])
        #expect(v.status == 0)
        #expect(v.stdout == "lockhunt \(Lockhunt.version)\n")
        let h = TestSupport.lockhunt(["--help"])
        #expect(h.status == 0)
        #expect(h.stdout.contains("check") && h.stdout.contains("replay") && h.stdout.contains("exit codes"))
        let hc = TestSupport.lockhunt(["help", "check"])
        #expect(hc.status == 0 && hc.stdout.hasPrefix("usage: lockhunt check MODEL..."))
        #expect(TestSupport.lockhunt(["check", "--help"]).stdout == hc.stdout)
    }

    @Test("usage errors exit 2 with a suggestion", arguments: [
        (["chek"], "unknown command 'chek'; did you mean 'check'?"),
        (["help", "replai"], "no command 'replai'; did you mean 'replay'?"),
        (["check"], "no model given"),
        (["check", "--polcy", "v5", loopBH], "unknown option '--polcy' for 'lockhunt check'; did you mean '--policy'?"),
        (["check", "--max-states", "lots", loopBH], "invalid --max-states 'lots': expected a positive whole number"),
        (["check", "--time-limit", "-1", loopBH], "invalid --time-limit '-1'"),
        (["check", "--param", "N", loopBH], "invalid --param 'N': expected NAME=VALUE"),
        (["check", "--format", "xml", loopBH], "invalid --format 'xml'"),
        (["check", "--policy", "v55", loopBH], "no policy 'v55'"),
        (["check", "--policy"], "option '--policy' needs a value"),
        (["replay"], "no trace given"),
        (["bench", "--mode", "both"], "invalid --mode 'both': expected unreduced, reduced, own or all"),
    ])
    func usageErrors(_ args: [String], _ message: String) {
        let r = TestSupport.lockhunt(args)
        #expect(r.status == 2, "\(args): \(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
    }

    @Test("check --all prints every distinct finding")
    func checkAllPrintsEveryFinding() {
        // Two deadlocks, one per pair of branches (the model of SearchTests.allFindings).
        let model = TestSupport.writeModel("""
        folio A, B, C;
        thread t1 { either { folio_lock(A); folio_lock(B); folio_unlock(B); folio_unlock(A); }
                    or { folio_lock(B); folio_lock(C); folio_unlock(C); folio_unlock(B); } }
        thread t2 { either { folio_lock(B); folio_lock(A); folio_unlock(A); folio_unlock(B); }
                    or { folio_lock(C); folio_lock(B); folio_unlock(B); folio_unlock(C); } }
        """)
        let dir = TestSupport.temporaryDirectory()
        let r = TestSupport.lockhunt(["check", model, "--all", "--trace-dir", dir])
        #expect(r.status == 1)
        #expect(r.stdout.components(separatedBy: "WARNING: deadlock").count - 1 == 2, "\(r.stdout)")
        #expect(r.stdout.contains("finding 2 of 2:"))
        // Each finding has its own trace, and each replays.
        for name in ["model.trace", "model.finding-2.trace"] {
            #expect(TestSupport.lockhunt(["replay", dir + "/" + name]).status == 0, "\(name)")
        }
        let json = TestSupport.lockhunt(["check", model, "--all", "--no-trace", "--format", "json"])
        #expect(json.stdout.contains("\"moreFindings\""))
    }

    @Test("exit codes: 0 ok, 1 finding, 2 model error, 3 incomplete")
    func exitCodes() {
        let dir = TestSupport.temporaryDirectory()
        let ok = TestSupport.lockhunt(["check", CommandLineTests.loopBH, "--policy", "upstream", "--trace-dir", dir])
        #expect(ok.status == 0, "\(ok.stdout)")
        #expect(ok.stdout.contains("loop-bh under policy upstream: ok"))
        let dead = TestSupport.lockhunt(["check", CommandLineTests.loopBH, "--policy", "v5", "--trace-dir", dir])
        #expect(dead.status == 1)
        #expect(FileManager.default.fileExists(atPath: dir + "/loop-bh.v5.trace"))
        let cut = TestSupport.lockhunt(["check", CommandLineTests.loopBH, "--policy", "upstream", "--max-states", "5", "--trace-dir", dir])
        #expect(cut.status == 3)
        #expect(cut.stdout.contains("INCOMPLETE"))
        #expect(!cut.stdout.contains(": ok"))
        let model = TestSupport.writeModel("thread t { folio_lock(Q); }\n", in: dir)
        let bad = TestSupport.lockhunt(["check", model])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("model.lh:1:23: error: unknown name 'Q'"))
    }

    @Test("--policy all runs every policy file and reports each")
    func policyAll() {
        let dir = TestSupport.temporaryDirectory()
        let r = TestSupport.lockhunt(["check", CommandLineTests.loopBH, "--policy", "all", "--trace-dir", dir])
        #expect(r.status == 1)
        let policies = ((try? FileManager.default.contentsOfDirectory(atPath: TestSupport.root + "/Models/policies")) ?? [])
            .filter { $0.hasSuffix(".lh") }.map { String($0.dropLast(3)) }
        #expect(policies.count >= 7)
        for p in policies { #expect(r.stdout.contains("loop-bh under policy \(p): "), "\(p)") }
    }

    @Test("--format json is one JSON object with the documented keys")
    func json() throws {
        let dir = TestSupport.temporaryDirectory()
        let r = TestSupport.lockhunt(["check", CommandLineTests.loopBH, "--policy", "v5", "--format", "json", "--trace-dir", dir])
        #expect(r.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(object["tool"] as? String == "lockhunt")
        #expect(object["exitCode"] as? Int == 1)
        let results = try #require(object["results"] as? [[String: Any]])
        #expect(results.count == 1)
        let first = results[0]
        #expect(first["verdict"] as? String == "deadlock")
        #expect(first["policy"] as? String == "v5")
        #expect((first["stats"] as? [String: Any])?["states"] as? Int ?? 0 > 0)
        let finding = try #require(first["finding"] as? [String: Any])
        #expect((finding["tasks"] as? [[String: Any]])?.count == 2)
        #expect((finding["steps"] as? [[String: Any]])?.isEmpty == false)
    }

    @Test("replay exit codes: 0 reached, 1 diverged, 2 unreadable")
    func replayCodes() {
        let dir = TestSupport.temporaryDirectory()
        _ = TestSupport.lockhunt(["check", CommandLineTests.loopBH, "--policy", "v5", "--trace-dir", dir])
        let trace = dir + "/loop-bh.v5.trace"
        #expect(TestSupport.lockhunt(["replay", trace]).status == 0)
        let diverged = TestSupport.lockhunt(["replay", trace, "--policy", "upstream"])
        #expect(diverged.status == 1)
        #expect(diverged.stdout.contains("diverged at step"))
        #expect(FileManager.default.createFile(atPath: dir + "/junk.trace", contents: Data("hello\n".utf8)), "could not write a test file")
        let junk = TestSupport.lockhunt(["replay", dir + "/junk.trace"])
        #expect(junk.status == 2)
        #expect(junk.stderr.contains("junk.trace:1:1: error: not a lockhunt trace"))
    }
}
