import Foundation
import Testing
import LockhuntKit
#if canImport(FoundationXML)
import FoundationXML
#endif

/// `replay --format svg|dot`: pinned by golden files, and rendered by real tools (rsvg-convert
/// and graphviz, installed by .ci/deps), so a picture that no longer renders fails the suite.
@Suite("Pictures")
struct PictureTests {
    static let trace = "Traces/loop-bh.v5.trace"

    static func tool(_ name: String) -> String? {
        for dir in ["/usr/bin", "/usr/local/bin", "/bin"] where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
            return "\(dir)/\(name)"
        }
        return nil
    }

    /// Runs `tool args` with `input` on stdin; exit status and stdout size.
    static func render(_ tool: String, _ args: [String], input: String) throws -> (Int32, Int) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        let inPipe = Pipe(), out = Pipe()
        p.standardInput = inPipe
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        inPipe.fileHandleForWriting.write(Data(input.utf8))
        try inPipe.fileHandleForWriting.close()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, data.count)
    }

    static func wellFormed(_ xml: String) -> Bool {
        let parser = XMLParser(data: Data(xml.utf8))
        return parser.parse()
    }

    @Test("the loop-bh v5 sequence chart is pinned, well-formed, script-free and renders")
    func svg() throws {
        let r = TestSupport.lockhunt(["replay", PictureTests.trace, "--format", "svg"])
        #expect(r.status == 0, "\(r.stderr)")
        try GoldenTests.compare(r.stdout, "loop-bh.v5.svg")
        #expect(PictureTests.wellFormed(r.stdout))
        #expect(!r.stdout.contains("<script") && !r.stdout.contains("xlink:href") && !r.stdout.contains("@import"))
        for lane in ["jbd2", "loop_worker", "kcompactd"] { #expect(r.stdout.contains("id=\"lane-\(lane)\"")) }
        #expect(r.stdout.contains("waits forever: lock_buffer(bh)") && r.stdout.contains("waits forever: folio_lock(A)"))
        #expect(r.stdout.contains("released only by loop_worker"))
        guard let rsvg = PictureTests.tool("rsvg-convert") else {
            Issue.record("rsvg-convert is missing: run .ci/deps (Debian package librsvg2-bin)"); return
        }
        let (status, bytes) = try PictureTests.render(rsvg, ["-f", "png"], input: r.stdout)
        #expect(status == 0 && bytes > 1000)
    }

    @Test("the loop-bh v5 graphs are pinned and graphviz renders them")
    func dot() throws {
        let r = TestSupport.lockhunt(["replay", PictureTests.trace, "--format", "dot"])
        #expect(r.status == 0, "\(r.stderr)")
        try GoldenTests.compare(r.stdout, "loop-bh.v5.dot")
        #expect(r.stdout.contains("cluster_waitfor") && r.stdout.contains("cluster_order"))
        guard let dot = PictureTests.tool("dot") else {
            Issue.record("dot is missing: run .ci/deps (Debian package graphviz)"); return
        }
        let (status, bytes) = try PictureTests.render(dot, ["-Tsvg"], input: r.stdout)
        #expect(status == 0 && bytes > 1000)
    }

    @Test("the chart in docs/ is the current one")
    func docsChartIsCurrent() throws {
        let r = TestSupport.lockhunt(["replay", PictureTests.trace, "--format", "svg"])
        let committed = try String(contentsOfFile: TestSupport.root + "/docs/loop-bh.v5.svg", encoding: .utf8)
        #expect(committed == r.stdout, "docs/loop-bh.v5.svg is stale: regenerate it and docs/loop-bh.v5.png (see Pictures in docs/DESIGN.md)")
    }

    @Test("a violation renders too")
    func violation() throws {
        let dir = TestSupport.temporaryDirectory()
        var options = CheckOptions()
        options.traceDir = dir
        let c = CheckRunner(options: options).run(model: MinimiserTests.lostUpdate, policy: nil)
        let path = try #require(c.tracePath)
        let svg = TestSupport.lockhunt(["replay", path, "--format", "svg"])
        #expect(svg.status == 0 && PictureTests.wellFormed(svg.stdout))
        #expect(svg.stdout.contains("violation in checker: assertion failed: assert(x == 2)"))
        let dot = TestSupport.lockhunt(["replay", path, "--format", "dot"])
        #expect(dot.status == 0 && dot.stdout.contains("w_violation"))
    }

    @Test("--output writes the file and never replaces a different one")
    func output() throws {
        let dir = TestSupport.temporaryDirectory()
        let out = dir + "/chart.svg"
        let first = TestSupport.lockhunt(["replay", PictureTests.trace, "--format", "svg", "--output", out])
        #expect(first.status == 0 && first.stderr.contains("wrote \(out)"))
        #expect(PictureTests.wellFormed(try String(contentsOfFile: out, encoding: .utf8)))
        try "other".write(toFile: out, atomically: true, encoding: .utf8)
        let second = TestSupport.lockhunt(["replay", PictureTests.trace, "--format", "svg", "--output", out])
        #expect(second.status == 2 && second.stderr.contains("already exists"))
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "other")
        let forced = TestSupport.lockhunt(["replay", PictureTests.trace, "--format", "svg", "--output", out, "--overwrite"])
        #expect(forced.status == 0)
        #expect(try String(contentsOfFile: out, encoding: .utf8).hasPrefix("<?xml"))
        let bad = TestSupport.lockhunt(["replay", PictureTests.trace, "--output", out])
        #expect(bad.status == 2 && bad.stderr.contains("--output goes with --format svg or dot"))
    }

    @Test("no picture of a run that diverges")
    func diverged() {
        let r = TestSupport.lockhunt(["replay", PictureTests.trace, "--format", "svg", "--policy", "v6.2"])
        #expect(r.status == 1)
        #expect(r.stdout.isEmpty && r.stderr.contains("diverged at step 7"))
    }
}
