import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import LockhuntKit

/// `lockhunt gate` end to end, on copies of the model library.
@Suite("Gate")
struct GateTests {
    /// A copy of Models/ and Traces/ in a fresh folder, which becomes the working directory.
    /// With `only`, just those scenarios (and their traces) are copied, with every policy and
    /// lib file: the tests of the gate's mechanics need one scenario, not the whole library.
    static func sandbox(only scenarios: [String]? = nil) throws -> String {
        let dir = TestSupport.temporaryDirectory()
        let fm = FileManager.default
        guard let scenarios else {
            for sub in ["Models", "Traces"] {
                try fm.copyItem(atPath: TestSupport.root + "/" + sub, toPath: dir + "/" + sub)
            }
            try fm.createDirectory(atPath: dir + "/docs", withIntermediateDirectories: true)
            try fm.copyItem(atPath: TestSupport.root + "/docs/MATRIX.md", toPath: dir + "/docs/MATRIX.md")
            return dir
        }
        for sub in ["Models/lib", "Models/policies"] {
            try fm.createDirectory(atPath: dir + "/Models", withIntermediateDirectories: true)
            try fm.copyItem(atPath: TestSupport.root + "/" + sub, toPath: dir + "/" + sub)
        }
        try fm.createDirectory(atPath: dir + "/Models/scenarios", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: dir + "/Traces", withIntermediateDirectories: true)
        let traces = try fm.contentsOfDirectory(atPath: TestSupport.root + "/Traces")
        for name in scenarios {
            try fm.copyItem(atPath: TestSupport.root + "/Models/scenarios/\(name).lh", toPath: dir + "/Models/scenarios/\(name).lh")
            for t in traces where t.hasPrefix(name + ".") {
                try fm.copyItem(atPath: TestSupport.root + "/Traces/" + t, toPath: dir + "/Traces/" + t)
            }
        }
        // No docs/MATRIX.md: the library's matrix does not describe a subset of it.
        return dir
    }

    static func edit(_ path: String, _ from: String, _ to: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains(from), "\(path) does not contain the text to replace")
        try text.replacingOccurrences(of: from, with: to).write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test("the committed library passes the gate")
    func libraryPasses() throws {
        let dir = try GateTests.sandbox()
        // The matrix is checked by `make check` and its staleness detection by staleMatrix below.
        let r = TestSupport.lockhunt(["gate", "--no-matrix"], cwd: dir)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("gate: ok"))
        // Nothing was written: every finding's trace is committed.
        let before = try FileManager.default.contentsOfDirectory(atPath: TestSupport.root + "/Traces").sorted()
        let after = try FileManager.default.contentsOfDirectory(atPath: dir + "/Traces").sorted()
        #expect(before == after)
    }

    @Test("without --max-memory the gate's checks share the machine's default limit: on a tiny machine they end incomplete and fail the gate")
    func defaultMemoryLimit() throws {
        let dir = try GateTests.sandbox(only: ["loop-bh"])
        // A control group of 1 MiB: less than any search's visited set starts with.
        let root = LimitsTests.machine(cgroup: "0::/\n", files: ["/sys/fs/cgroup/memory.max": "\(1 << 20)\n"])
        let r = TestSupport.lockhunt(["gate", "--no-matrix"], cwd: dir, environment: ["LOCKHUNT_SYSTEM_ROOT": root])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("incomplete (stopped by max-memory)"), "\(r.stdout)")
        #expect(r.stdout.contains("the memory limit was the default"), "\(r.stdout)")
        // A limit given on the command line replaces the default.
        let given = TestSupport.lockhunt(["gate", "--no-matrix", "--max-memory", "1G"], cwd: dir, environment: ["LOCKHUNT_SYSTEM_ROOT": root])
        #expect(given.status == 0, "\(given.stdout)\(given.stderr)")
    }

    @Test("letting upstream batch in SYNC_LIGHT fails the gate, naming the scenario, the policy and the new trace")
    func regressionCaught() throws {
        let dir = try GateTests.sandbox(only: ["loop-bh"])
        try GateTests.edit(dir + "/Models/policies/upstream.lh", "if (mode == MIGRATE_ASYNC) {", "if (mode == MIGRATE_ASYNC || mode == MIGRATE_SYNC_LIGHT) {")
        let r = TestSupport.lockhunt(["gate"], cwd: dir)
        #expect(r.status == 1)
        #expect(r.stdout.contains("loop-bh under upstream: expected ok, got deadlock; trace: Traces/loop-bh.upstream.trace (new)"))
        #expect(FileManager.default.fileExists(atPath: dir + "/Traces/loop-bh.upstream.trace"))
    }

    @Test("a committed trace that no longer replays fails the gate until --update-traces")
    func staleTraceAndUpdate() throws {
        let dir = try GateTests.sandbox(only: ["loop-bh"])
        // Make v5 behave like norefs-async (trylock the buffers) and say so in the scenario.
        try GateTests.edit(dir + "/Models/lib/migrate-move.lh", "if (mode != MIGRATE_ASYNC) {", "if (mode != MIGRATE_ASYNC && false) {")
        let r = TestSupport.lockhunt(["gate", "--no-matrix"], cwd: dir)
        #expect(r.status == 1)
        #expect(r.stdout.contains("Traces/loop-bh.v5.trace no longer replays: diverged at step"))
        #expect(r.stdout.contains("loop-bh under v5: expected deadlock, got ok; no counterexample any more"))
        // After the intended change: adjust the expectations, rewrite the traces.
        try GateTests.edit(dir + "/Models/scenarios/loop-bh.lh", "expect deadlock under rfc-2022, v5, trylock-only, sync-light;", "expect deadlock under sync-light;\nexpect ok under rfc-2022, v5, trylock-only;")
        let u = TestSupport.lockhunt(["gate", "--update-traces", "--update-matrix"], cwd: dir)
        #expect(u.status == 0, "\(u.stdout)")
        #expect(u.stdout.contains("removed"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/Traces/loop-bh.v5.trace"))
        #expect(TestSupport.lockhunt(["gate"], cwd: dir).status == 0)
    }

    @Test("a scenario that does not compile, or names an unknown policy, is an error (exit 2)")
    func errors() throws {
        let dir = try GateTests.sandbox(only: ["loop-bh"])
        try GateTests.edit(dir + "/Models/scenarios/loop-bh.lh", "expect ok under v6.2,", "expect ok under v6.3,")
        let r = TestSupport.lockhunt(["gate"], cwd: dir)
        #expect(r.status == 2)
        #expect(r.stdout.contains("no policy 'v6.3'"))
        let dir2 = try GateTests.sandbox(only: ["loop-bh"])
        try GateTests.edit(dir2 + "/Models/scenarios/loop-bh.lh", "folio_lock(A);\n\tfolio_unlock(A);", "folio_lock(A)\n\tfolio_unlock(A);")
        let r2 = TestSupport.lockhunt(["gate"], cwd: dir2)
        #expect(r2.status == 2)
        #expect(r2.stdout.contains("loop-bh.lh:29:15: error: expected ';' after statement"))
    }

    @Test("a stale docs/MATRIX.md fails the gate; --update-matrix rewrites it")
    func staleMatrix() throws {
        let dir = try GateTests.sandbox(only: ["loop-bh"])
        try FileManager.default.createDirectory(atPath: dir + "/docs", withIntermediateDirectories: true)
        #expect(TestSupport.lockhunt(["matrix", "--write", "docs/MATRIX.md"], cwd: dir).status == 0)
        #expect(TestSupport.lockhunt(["gate"], cwd: dir).status == 0)
        // Fewer retry passes: no verdict changes, but the costs do.
        try GateTests.edit(dir + "/Models/lib/migrate-move.lh", "const NR_MAX_MIGRATE_PAGES_RETRY = 10;", "const NR_MAX_MIGRATE_PAGES_RETRY = 6;")
        let r = TestSupport.lockhunt(["gate", "--no-matrix"], cwd: dir)
        #expect(r.status == 0, "\(r.stdout)")
        let stale = TestSupport.lockhunt(["gate"], cwd: dir)
        #expect(stale.status == 1)
        #expect(stale.stdout.contains("docs/MATRIX.md is stale: run 'lockhunt matrix --write docs/MATRIX.md'"))
        let fixed = TestSupport.lockhunt(["gate", "--update-matrix"], cwd: dir)
        #expect(fixed.status == 0, "\(fixed.stdout)")
        #expect(fixed.stdout.contains("matrix: docs/MATRIX.md rewritten"))
        #expect(TestSupport.lockhunt(["gate"], cwd: dir).status == 0)
        let written = try String(contentsOfFile: dir + "/docs/MATRIX.md", encoding: .utf8)
        #expect(written == TestSupport.lockhunt(["matrix"], cwd: dir).stdout)
    }

    final class XMLCheck: NSObject, XMLParserDelegate {
        var testcases = 0
        var failures = 0
        var suiteAttributes: [[String: String]] = []
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            if name == "testcase" { testcases += 1 }
            if name == "failure" { failures += 1 }
            if name == "testsuites" { suiteAttributes.append(attributes) }
        }
    }

    @Test("--junit writes well-formed XML with one test case per pair and per trace")
    func junit() throws {
        let dir = try GateTests.sandbox(only: ["loop-bh"])
        try GateTests.edit(dir + "/Models/policies/upstream.lh", "if (mode == MIGRATE_ASYNC) {", "if (mode == MIGRATE_ASYNC || mode == MIGRATE_SYNC_LIGHT) {")
        let r = TestSupport.lockhunt(["gate", "--junit", "out/gate.xml", "--json", "out/gate.json"], cwd: dir)
        #expect(r.status == 1)
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/out/gate.xml"))
        let check = XMLCheck()
        let parser = XMLParser(data: data)
        parser.delegate = check
        #expect(parser.parse(), "not well-formed: \(String(describing: parser.parserError))")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/out/gate.json"))) as? [String: Any])
        let cells = try #require(json["cells"] as? [[String: Any]])
        let traces = try #require(json["traces"] as? [[String: Any]])
        #expect(check.testcases == cells.count + traces.count)
        #expect(check.failures == 1)
        #expect(check.suiteAttributes.first?["tests"] == String(cells.count + traces.count))
        #expect(check.suiteAttributes.first?["failures"] == "1")
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/xmllint") {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/xmllint")
            p.arguments = ["--noout", dir + "/out/gate.xml"]
            try p.run()
            p.waitUntilExit()
            #expect(p.terminationStatus == 0)
        }
    }
}
