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

/// The scenario x policy matrix that `lockhunt gate` prints, and its verdict.
public struct GateReport {
    public init() {}

    public static func symbol(_ verdict: String) -> String {
        switch verdict {
        case "deadlock": return "D"
        case "violation": return "V"
        case "ok": return "ok"
        case "incomplete": return "?"
        default: return "E"
        }
    }

    func cellText(_ c: GateCell) -> String {
        var v = GateReport.symbol(c.actual)
        if c.status == .mismatch { v = "!\(v)" }
        if c.status == .incomplete { v = "?" }
        return "\(v) \(c.result.stats.states) \(String(format: "%.2fs", c.result.stats.seconds))"
    }

    public func render(_ r: GateResult) -> String {
        var out = ""
        let checks = r.cells.count
        func n(_ k: Int, _ word: String) -> String { "\(k) \(word)\(k == 1 ? "" : "s")" }
        out += "lockhunt gate: \(n(r.scenarios.count, "scenario")), \(n(r.policies.count, "policy").replacingOccurrences(of: "policys", with: "policies")), \(n(checks, "check")), \(n(r.traces.filter { !$0.removed }.count, "trace"))\n\n"
        if !r.cells.isEmpty {
            let first = max(8, (r.scenarios.map(\.count).max() ?? 0) + 2)
            var widths: [String: Int] = [:]
            for p in r.policies {
                let cells = r.cells.filter { $0.policy == p }.map(cellText)
                widths[p] = max(p.count, cells.map(\.count).max() ?? 1) + 2
            }
            out += (Format.pad("scenario", first) + r.policies.map { Format.pad($0, widths[$0]!) }.joined()).trimmingCharacters(in: .whitespaces) + "\n"
            for s in r.scenarios {
                var line = Format.pad(s, first)
                for p in r.policies {
                    let text = r.cells.first { $0.scenario == s && $0.policy == p }.map(cellText) ?? "-"
                    line += Format.pad(text, widths[p]!)
                }
                out += line.trimmingCharacters(in: .whitespaces) + "\n"
            }
            out += "\nD deadlock, V violation, ok no finding; then states and seconds. ! differs from the\n"
            out += "scenario's expectation, ? incomplete search, - no expectation for that policy.\n"
        }
        let replayed = r.traces.filter { !$0.removed }
        let failing = replayed.filter { $0.outcome != .reached }
        let removed = r.traces.filter(\.removed)
        if !replayed.isEmpty || !removed.isEmpty {
            out += "\ntraces: \(replayed.count) replayed"
            out += failing.isEmpty ? ", all reach their findings" : ", \(failing.count) no longer replay"
            if !removed.isEmpty { out += "; removed \(removed.count) stale: \(removed.map(\.path).joined(separator: ", "))" }
            out += "\n"
        }
        if let m = r.matrixChecked {
            let stale = r.problems.contains { $0.hasPrefix(m) }
            out += "matrix: \(m) \(r.matrixUpdated ? "rewritten" : stale ? "is out of date" : "is up to date")\n"
        }
        let written = r.cells.filter { $0.newTrace }.compactMap(\.trace)
        if !written.isEmpty { out += "new traces written: \(written.joined(separator: ", "))\n" }
        out += "\n"
        if !r.errors.isEmpty {
            out += "gate: ERROR\n"
            for e in r.errors { out += e.split(separator: "\n", omittingEmptySubsequences: false).map { "  \($0)" }.joined(separator: "\n") + "\n" }
            for p in r.problems { out += "  \(p)\n" }
        } else if r.interrupted {
            out += "gate: INTERRUPTED after \(Format.seconds(r.seconds)): the checks that did not finish have no verdict\n"
            for p in r.problems { out += "  \(p)\n" }
        } else if r.problems.isEmpty {
            out += "gate: ok (\(checks) checks match their expectations, \(replayed.count) traces replay) in \(Format.seconds(r.seconds))\n"
        } else {
            out += "gate: FAILED (\(r.problems.count) problem\(r.problems.count == 1 ? "" : "s")) in \(Format.seconds(r.seconds))\n"
            for p in r.problems { out += "  \(p)\n" }
        }
        return out
    }
}

/// JUnit XML, as CI systems render it: one test case per scenario x policy and per trace.
public struct JUnitReport {
    public init() {}

    static func escape(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                // XML 1.0 allows tab, newline, carriage return and printable characters only.
                if ch.value < 0x20 && ch != "\t" && ch != "\n" && ch != "\r" { out += " " }
                else { out.unicodeScalars.append(ch) }
            }
        }
        return out
    }

    public func render(_ r: GateResult) -> String {
        func seconds(_ s: Double) -> String { String(format: "%.3f", s) }
        var cases = ""
        var failures = 0, errors = 0
        var caseTime = 0.0
        for c in r.cells {
            caseTime += c.result.stats.seconds
            cases += "    <testcase classname=\"\(JUnitReport.escape("gate.\(c.scenario)"))\" name=\"\(JUnitReport.escape(c.policy))\" time=\"\(seconds(c.result.stats.seconds))\">\n"
            let summary = "expected \(c.expected.rawValue), got \(c.actual)"
            switch c.status {
            case .match:
                if c.newTrace {
                    failures += 1
                    cases += "      <failure type=\"new-trace\" message=\"\(JUnitReport.escape("trace not committed: \(c.trace ?? "")"))\"/>\n"
                }
            case .mismatch, .incomplete:
                failures += 1
                var detail = summary
                if let t = c.trace { detail += "\ntrace: \(t)" }
                cases += "      <failure type=\"\(c.status.rawValue)\" message=\"\(JUnitReport.escape(summary))\">\(JUnitReport.escape(detail))</failure>\n"
            case .error:
                errors += 1
                if case .error(let d) = c.result.outcome {
                    cases += "      <error type=\"model\" message=\"the model could not be loaded\">\(JUnitReport.escape(d))</error>\n"
                }
            }
            cases += "      <system-out>\(JUnitReport.escape("\(c.result.stats.states) states, \(c.result.stats.transitions) transitions"))</system-out>\n"
            cases += "    </testcase>\n"
        }
        var traceCases = ""
        var traceFailures = 0
        let replayed = r.traces.filter { !$0.removed }
        for t in replayed {
            traceCases += "    <testcase classname=\"gate.traces\" name=\"\(JUnitReport.escape(t.path))\" time=\"0\">\n"
            switch t.outcome {
            case .reached: break
            case .diverged(let step, let reason):
                traceFailures += 1
                traceCases += "      <failure type=\"diverged\" message=\"\(JUnitReport.escape("diverged at step \(step)"))\">\(JUnitReport.escape(reason))</failure>\n"
            case .unreadable(let why):
                traceFailures += 1
                traceCases += "      <failure type=\"unreadable\" message=\"unreadable trace\">\(JUnitReport.escape(why))</failure>\n"
            }
            traceCases += "    </testcase>\n"
        }
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"lockhunt gate\" tests=\"\(r.cells.count + replayed.count)\" failures=\"\(failures + traceFailures)\" errors=\"\(errors)\" time=\"\(seconds(r.seconds))\">\n"
        out += "  <testsuite name=\"scenarios\" tests=\"\(r.cells.count)\" failures=\"\(failures)\" errors=\"\(errors)\" time=\"\(seconds(caseTime))\">\n"
        out += cases
        out += "  </testsuite>\n"
        out += "  <testsuite name=\"traces\" tests=\"\(replayed.count)\" failures=\"\(traceFailures)\" errors=\"0\" time=\"0\">\n"
        out += traceCases
        out += "  </testsuite>\n"
        out += "</testsuites>\n"
        return out
    }
}

/// `lockhunt gate --json FILE`: the full results.
public struct GateJSON {
    struct Cell: Encodable {
        var scenario: String
        var policy: String
        var expected: String
        var actual: String
        var status: String
        var states: Int
        var transitions: Int
        var depth: Int
        var seconds: Double
        var trace: String?
        var newTrace: Bool
        /// What stopped the check's search before it covered every state, if anything did.
        var limit: String?
    }

    struct TraceJSON: Encodable {
        var path: String
        var outcome: String
        var step: Int?
        var reason: String?
        var removed: Bool
    }

    struct Document: Encodable {
        var tool = "lockhunt"
        var version = Lockhunt.version
        var schema = JSONReport.schema
        var exitCode: Int32
        var seconds: Double
        var scenarios: [String]
        var policies: [String]
        var cells: [Cell]
        var traces: [TraceJSON]
        var problems: [String]
        var errors: [String]
    }

    public init() {}

    public func render(_ r: GateResult) -> String {
        let cells = r.cells.map {
            Cell(scenario: $0.scenario, policy: $0.policy, expected: $0.expected.rawValue, actual: $0.actual, status: $0.status.rawValue,
                 states: $0.result.stats.states, transitions: $0.result.stats.transitions, depth: $0.result.stats.depth,
                 seconds: $0.result.stats.seconds, trace: $0.trace, newTrace: $0.newTrace, limit: $0.result.limit?.rawValue)
        }
        let traces = r.traces.map { t -> TraceJSON in
            switch t.outcome {
            case .reached: return TraceJSON(path: t.path, outcome: t.removed ? "removed" : "replays", step: nil, reason: nil, removed: t.removed)
            case .diverged(let s, let why): return TraceJSON(path: t.path, outcome: "diverged", step: s, reason: why, removed: false)
            case .unreadable(let why): return TraceJSON(path: t.path, outcome: "unreadable", step: nil, reason: why, removed: false)
            }
        }
        let doc = Document(exitCode: r.exitCode.rawValue, seconds: r.seconds, scenarios: r.scenarios, policies: r.policies,
                           cells: cells, traces: traces, problems: r.problems, errors: r.errors)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(doc)).map { String(decoding: $0, as: UTF8.self) + "\n" } ?? "{}\n"
    }
}
