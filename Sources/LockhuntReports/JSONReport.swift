import Foundation
import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration
import LockhuntFindings
import LockhuntTraces
import LockhuntLockOrder
import LockhuntDriver
import LockhuntBench

/// `lockhunt check --format json`: the same content as the text report, as a stable JSON object
/// (schema in docs/JSON.md). Keys are sorted so that output diffs cleanly.
public struct JSONReport {
    public static let schema = 1

    struct Document: Encodable {
        var tool = "lockhunt"
        var version = Lockhunt.version
        var schema = JSONReport.schema
        var exitCode: Int32
        var results: [Result]
    }

    struct Stats: Encodable {
        var states: Int
        var transitions: Int
        var depth: Int
        var seconds: Double
        var statesPerSecond: Double
        var bytes: Int
    }

    struct Violation: Encodable {
        var thread: String
        var message: String
        var location: String
        var function: String
    }

    struct FindingJSON: Encodable {
        var kind: String
        var tasks: [BlockedTask]?
        var cycle: [String]?
        var violation: Violation?
        var steps: [TraceStep]
        var minimisation: MinimisationJSON? = nil
        var lostWrites: [LostWrite]? = nil
    }

    struct MinimisationJSON: Encodable {
        var steps: Int
        var switches: Int
        var stepsBefore: Int
        var switchesBefore: Int
        var note: String?
    }

    struct Result: Encodable {
        var model: String
        var scenario: String
        var policy: String?
        var params: [String: Int64]
        var verdict: String
        var complete: Bool
        var limit: String?
        var stats: Stats
        var trace: String?
        var traceNote: String?
        var omissionProbability: Double?
        var finding: FindingJSON?
        /// With --all: the findings after the first.
        var moreFindings: [MoreFinding]?
        var diagnostics: String?
    }

    struct MoreFinding: Encodable {
        var finding: FindingJSON
        var trace: String?
        var traceNote: String?
    }

    public init() {}

    public func render(_ results: [CheckResult], exitCode: ExitCode) -> String {
        let doc = Document(exitCode: exitCode.rawValue, results: results.map(result))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(doc) else { return "{}\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    func result(_ r: CheckResult) -> Result {
        var limit: String? = nil
        var finding: FindingJSON? = nil
        var diagnostics: String? = nil
        var complete = false
        switch r.outcome {
        case .ok: complete = true
        case .incomplete(let l): limit = l.rawValue
        case .error(let d): diagnostics = d
        case .finding(let f):
            finding = json(f)
            // With --all, a limit may have stopped the search after some findings.
            limit = r.limit?.rawValue
        }
        let more = r.moreFindings.isEmpty ? nil : r.moreFindings.map { MoreFinding(finding: json($0.finding), trace: $0.tracePath, traceNote: $0.traceNote) }
        let s = r.stats
        return Result(model: r.model, scenario: r.scenario, policy: r.policy,
                      params: Dictionary(r.params.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }),
                      verdict: r.verdictWord, complete: complete, limit: limit,
                      stats: Stats(states: s.states, transitions: s.transitions, depth: s.depth, seconds: s.seconds,
                                   statesPerSecond: s.statesPerSecond, bytes: s.bytes),
                      trace: r.tracePath, traceNote: r.traceNote, omissionProbability: r.omissionProbability, finding: finding, moreFindings: more, diagnostics: diagnostics)
    }

    func json(_ f: Finding) -> FindingJSON {
        var finding: FindingJSON
        switch f.kind {
        case .deadlock(let tasks):
            finding = FindingJSON(kind: "deadlock", tasks: tasks, cycle: f.cycle, violation: nil, steps: f.steps)
        case .violation(let t, let m, let l, let fn):
            finding = FindingJSON(kind: "violation", tasks: nil, cycle: nil,
                                  violation: Violation(thread: t, message: m, location: l, function: fn), steps: f.steps)
            finding.lostWrites = f.account?.lost
        }
        finding.minimisation = f.minimisation.map {
            MinimisationJSON(steps: $0.steps, switches: $0.switches, stepsBefore: $0.stepsBefore, switchesBefore: $0.switchesBefore, note: $0.note)
        }
        return finding
    }
}
