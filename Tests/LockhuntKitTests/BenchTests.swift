import Foundation
import Testing
import LockhuntKit

/// `lockhunt bench` and what it stands on: running and measuring a process, reading pan's
/// output, and the side-by-side report. No test here asserts a speed: figures are for
/// `make bench` to print, not for a test to time.
@Suite("Benchmark harness")
struct BenchTests {
    static func pan(_ name: String) throws -> PanOutput {
        PanOutput(try String(contentsOfFile: TestSupport.fixture("pan/\(name).txt"), encoding: .utf8))
    }

    @Test("pan's output is read: counts, verdicts, and why a search did not complete")
    func panOutput() throws {
        let ok = try BenchTests.pan("ok")
        #expect(ok.states == 2121 && ok.transitions == 2522 && ok.depth == 120 && ok.errors == 0)
        #expect(ok.verdict == "ok" && !ok.incomplete)
        #expect(ok.seconds != nil && ok.memoryBytes != nil)
        let deadlock = try BenchTests.pan("deadlock")
        #expect(deadlock.verdict == "deadlock" && deadlock.errors == 1)
        let assertion = try BenchTests.pan("assertion")
        #expect(assertion.verdict == "violation")
        let shallow = try BenchTests.pan("depth-too-small")
        #expect(shallow.depthTooSmall && shallow.incomplete)
        let vector = try BenchTests.pan("vectorsz")
        #expect(vector.vectorSizeNeeded == 28)
        let memory = try BenchTests.pan("memlim")
        #expect(memory.memoryLimitReached && memory.incomplete)
    }

    @Test("a subprocess: exit status, output, working directory, peak memory, time limit")
    func subprocess() {
        let dir = TestSupport.temporaryDirectory()
        let r = Subprocess.run("/bin/sh", ["-c", "pwd; echo oops >&2; exit 3"], cwd: dir, timeout: 10)
        #expect(r.status == 3 && !r.signaled && !r.timedOut)
        #expect(URL(fileURLWithPath: r.stdout.trimmingCharacters(in: .newlines)).resolvingSymlinksInPath().path
                == URL(fileURLWithPath: dir).resolvingSymlinksInPath().path)
        #expect(r.stderr == "oops\n")
        // dd holds one block of the given size in memory.
        let big = Subprocess.run("/bin/dd", ["if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"], timeout: 30)
        #expect(big.status == 0 && big.peakBytes >= 64 << 20, "\(big.peakBytes)")
        let slow = Subprocess.run("/bin/sleep", ["30"], timeout: 0.3)
        #expect(slow.timedOut && slow.signaled && slow.seconds < 10)
        let missing = Subprocess.run("/nonexistent/tool", [], timeout: 5)
        #expect(missing.status != 0)
    }

    @Test("the report sets the two tools side by side, with their ratios and reach")
    func report() {
        var o = BenchRunner.Options(lockhunt: "lockhunt")
        o.to = 8
        o.gateModels = nil
        func m(_ tool: String, states: Int, seconds: Double, peakMiB: Int, complete: Bool = true) -> BenchMeasurement {
            var x = BenchMeasurement(tool: tool)
            x.states = states
            x.searchSeconds = seconds
            x.wallSeconds = seconds
            x.peakBytes = peakMiB << 20
            x.verdict = "ok"
            x.complete = complete
            if !complete { x.note = "over 60 s" }
            return x
        }
        var s = BenchRunner.Series(family: "fam", policy: "upstream", mode: .unreduced)
        s.rows = [BenchRunner.Row(size: 2, lockhunt: m("lockhunt", states: 100, seconds: 0.01, peakMiB: 20),
                                  spin: m("spin", states: 100, seconds: 0.01, peakMiB: 100)),
                  BenchRunner.Row(size: 4, lockhunt: m("lockhunt", states: 1_048_576, seconds: 1, peakMiB: 120),
                                  spin: m("spin", states: 1_048_576, seconds: 4, peakMiB: 900)),
                  BenchRunner.Row(size: 6, lockhunt: m("lockhunt", states: 4_000_000, seconds: 4, peakMiB: 520),
                                  spin: m("spin", states: 0, seconds: 60, peakMiB: 8000, complete: false))]
        s.lockhuntBaseline = 20 << 20
        s.spinBaseline = 100 << 20
        var r = BenchRunner.Report(options: o)
        r.series = [s]
        let text = BenchReport().render(r, machine: "test machine")
        let lines = text.split(separator: "\n").map(String.init)
        let n4 = lines.first { $0.hasPrefix("4 ") } ?? ""
        // 1 Mi states in 1 s against 4 s: 4.0 times; (120-20) MiB against (900-100) MiB: 0.12.
        #expect(n4.contains("1,048,576") && n4.hasSuffix("4.0       0.12"), "\(n4)")
        #expect(n4.contains(" 100 ") && n4.contains(" 800 "), "bytes per state: \(n4)")
        let n6 = lines.first { $0.hasPrefix("6 ") } ?? ""
        #expect(n6.contains("over 60 s"))
        #expect(text.contains("largest N within budget: lockhunt N=6, SPIN N=4"))
        #expect(text.contains("reductions off: lockhunt --reduce none --jobs 1; pan -DSAFETY -DNOREDUCE"))
    }

    /// `lockhunt bench` on one family and policy, unreduced, at N = 2 and 4, SPIN included.
    static func smallSeries(_ family: String, _ policy: String) throws -> (BenchRunner.Report, BenchRunner.Series) {
        try #require(Subprocess.which("spin") != nil && Subprocess.which("gcc") != nil,
                     "spin or gcc is not installed; run .ci/deps (apt-get install -y spin gcc)")
        var o = BenchRunner.Options(lockhunt: TestSupport.binary)
        o.inputs = [TestSupport.root + "/Models/bench/\(family).lh"]
        o.policies = [policy]
        o.modes = [.unreduced]
        o.to = 4
        o.budgetSeconds = 60
        o.gateModels = nil
        let report = try BenchRunner(options: o).run().get()
        let series = try #require(report.series.first)
        #expect(series.rows.map(\.size) == [2, 4])
        return (report, series)
    }

    @Test("end to end: lockhunt and SPIN count the same states on an exported family")
    func endToEnd() throws {
        let (_, series) = try BenchTests.smallSeries("migrators", "v6.2")
        for row in series.rows {
            let l = try #require(row.lockhunt), s = try #require(row.spin)
            #expect(l.complete && s.complete, "\(l.note ?? "") \(s.note ?? "")")
            #expect(l.states == s.states && l.states != nil)
            #expect(l.verdict == "ok" && s.verdict == "ok")
        }
        #expect(series.largest(\.lockhunt) == 4 && series.largest(\.spin) == 4)
    }

    @Test("a family that expects a deadlock: finding it is each tool's verdict, and the series goes on")
    func deadlockFamily() throws {
        let (report, series) = try BenchTests.smallSeries("loop-batch", "v5")
        for row in series.rows {
            let l = try #require(row.lockhunt), s = try #require(row.spin)
            #expect(l.complete && s.complete, "\(l.note ?? "") \(s.note ?? "")")
            #expect(l.verdict == "deadlock" && s.verdict == "deadlock")
        }
        let text = BenchReport().render(report, machine: "test machine")
        #expect(text.contains("largest N within budget: lockhunt N=4, SPIN N=4"), "\(text)")
        #expect(text.split(separator: "\n").contains { $0.hasPrefix("4 ") && $0.contains(" deadlock") }, "\(text)")
    }

    @Test("reductions on, SPIN runs twice: given lockhunt's folding, and with its own reductions alone on the unfolded model")
    func spinWithItsOwnReductions() throws {
        try #require(Subprocess.which("spin") != nil && Subprocess.which("gcc") != nil,
                     "spin or gcc is not installed; run .ci/deps (apt-get install -y spin gcc)")
        #expect(BenchRunner.Mode.unreduced.spinSetup == (folding: false, partialOrder: false))
        #expect(BenchRunner.Mode.reduced.spinSetup == (folding: true, partialOrder: true))
        #expect(BenchRunner.Mode.ownReductions.spinSetup == (folding: false, partialOrder: true))
        var o = BenchRunner.Options(lockhunt: TestSupport.binary)
        o.inputs = [TestSupport.root + "/Models/bench/migrators.lh"]
        o.policies = ["v5"]
        o.to = 2
        o.gateModels = nil
        let report = try BenchRunner(options: o).run().get()
        #expect(report.series.map(\.mode) == [.unreduced, .reduced, .ownReductions])
        let rows = try report.series.map { try #require($0.rows.first) }
        let counts = try rows.map { (try #require($0.lockhunt?.states), try #require($0.spin?.states)) }
        let (unreduced, reduced, own) = (counts[0], counts[1], counts[2])
        // lockhunt runs the same search in both reduced series.
        #expect(reduced.0 == own.0 && reduced.0 < unreduced.0)
        // SPIN's reduction does not stand in for folding: on the unfolded model it keeps every
        // state (the claim docs/PERFORMANCE.md makes), given folding it has far fewer.
        #expect(own.1 == unreduced.1 && unreduced.1 == unreduced.0, "\(counts)")
        #expect(reduced.1 < own.1, "\(counts)")
        let text = BenchReport().render(report, machine: "test machine")
        #expect(text.contains("migrators under v5, reductions on, each tool its own: lockhunt --reduce all (every core); pan -DSAFETY (partial-order reduction) on export --reduce none"))
    }

    @Test("a size the model cannot have shows the model's error in the table, not just 'error'")
    func modelErrorAtSize() throws {
        var o = BenchRunner.Options(lockhunt: TestSupport.binary)
        o.inputs = [TestSupport.root + "/Models/bench/writers.lh"]
        o.policies = ["v5"]
        o.modes = [.reduced]
        o.from = 64
        o.to = 64
        o.spin = false
        o.gateModels = nil
        let report = try BenchRunner(options: o).run().get()
        let row = try #require(report.series.first?.rows.first)
        let l = try #require(row.lockhunt)
        #expect(!l.complete && l.note == "too many threads (the limit is 64)", "\(l.note ?? "")")
    }
}
