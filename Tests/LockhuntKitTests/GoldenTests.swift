import Foundation
import Testing
import LockhuntKit

/// Outputs pinned to files under Tests/LockhuntKitTests/Golden. Run with
/// LOCKHUNT_RECORD_GOLDEN=1 to re-record after an intended change, then review the diff.
/// Timings, rates and digests are masked, since they change from run to run or with any edit.
@Suite("Golden outputs")
struct GoldenTests {
    static let dir = TestSupport.root + "/Tests/LockhuntKitTests/Golden/"

    static func mask(_ text: String) -> String {
        var out: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var l = String(line)
            if let r = l.range(of: #"time [0-9.]+ s, [0-9,]+ states/s"#, options: .regularExpression) { l.replaceSubrange(r, with: "time T, R states/s") }
            if let r = l.range(of: #"^digest: [0-9a-f]+$"#, options: .regularExpression) { l.replaceSubrange(r, with: "digest: D") }
            if let r = l.range(of: #"in [0-9.]+ s$"#, options: .regularExpression) { l.replaceSubrange(r, with: "in T") }
            if let r = l.range(of: #"\"seconds\" : [0-9.e-]+"#, options: .regularExpression) { l.replaceSubrange(r, with: "\"seconds\" : T") }
            if let r = l.range(of: #"\"statesPerSecond\" : [0-9.e-]+"#, options: .regularExpression) { l.replaceSubrange(r, with: "\"statesPerSecond\" : R") }
            if let r = l.range(of: #"\"bytes\" : [0-9]+"#, options: .regularExpression) { l.replaceSubrange(r, with: "\"bytes\" : B") }
            while let r = l.range(of: #" [0-9]+\.[0-9]{2}s"#, options: .regularExpression) { l.replaceSubrange(r, with: " T") }
            out.append(l)
        }
        return out.joined(separator: "\n")
    }

    static func compare(_ actual: String, _ name: String) throws {
        let path = dir + name
        let masked = mask(actual)
        if ProcessInfo.processInfo.environment["LOCKHUNT_RECORD_GOLDEN"] != nil {
            try masked.write(toFile: path, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOfFile: path, encoding: .utf8)
        if masked != expected {
            let a = masked.split(separator: "\n", omittingEmptySubsequences: false)
            let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let first = zip(a, e).enumerated().first { $0.element.0 != $0.element.1 }
            Issue.record("\(name) differs (re-record with LOCKHUNT_RECORD_GOLDEN=1): first difference at line \((first?.offset ?? min(a.count, e.count)) + 1):\n  golden: \(first.map { String($0.element.1) } ?? "<end>")\n  actual: \(first.map { String($0.element.0) } ?? "<end>")")
        }
    }

    @Test("the loop-bh deadlock report under v5")
    func report() throws {
        let r = TestSupport.lockhunt(["check", "Models/scenarios/loop-bh.lh", "--policy", "v5", "--no-trace"])
        #expect(r.status == 1)
        try GoldenTests.compare(r.stdout, "loop-bh.v5.report.txt")
    }

    @Test("the loop-bh report under upstream (no deadlock)")
    func okReport() throws {
        let r = TestSupport.lockhunt(["check", "Models/scenarios/loop-bh.lh", "--policy", "upstream", "--no-trace"])
        #expect(r.status == 0)
        try GoldenTests.compare(r.stdout, "loop-bh.upstream.report.txt")
    }

    @Test("the committed loop-bh trace under v5")
    func traceFile() throws {
        try GoldenTests.compare(try String(contentsOfFile: TestSupport.root + "/Traces/loop-bh.v5.trace", encoding: .utf8), "loop-bh.v5.trace")
    }

    @Test("replay of the loop-bh trace under v5")
    func replay() throws {
        let r = TestSupport.lockhunt(["replay", "Traces/loop-bh.v5.trace"])
        #expect(r.status == 0)
        try GoldenTests.compare(r.stdout, "loop-bh.v5.replay.txt")
    }

    @Test("the JSON report of loop-bh under v5")
    func json() throws {
        let r = TestSupport.lockhunt(["check", "Models/scenarios/loop-bh.lh", "--policy", "v5", "--no-trace", "--format", "json"])
        try GoldenTests.compare(r.stdout, "loop-bh.v5.json")
    }

    @Test("the gate matrix of the model library")
    func gate() throws {
        let sandbox = try GateTests.sandbox()
        let r = TestSupport.lockhunt(["gate", "--no-matrix"], cwd: sandbox)
        try GoldenTests.compare(r.stdout, "gate.txt")
    }
}
