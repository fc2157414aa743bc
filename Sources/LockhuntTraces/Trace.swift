import Foundation
import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration
import LockhuntFindings

/// A counterexample on disk (format: docs/TRACES.md). Plain text, one step per line, so that it
/// diffs well and a reviewer can read it without the tool.
public struct Trace: Sendable, Equatable {
    public static let formatVersion = 1
    public static let magic = "# lockhunt trace"

    /// Paths below are relative to this folder, itself relative to the trace file's folder
    /// (`..` for a trace in Traces/ of a project whose models are in Models/).
    public var root: String
    public var model: String
    public var policy: String?
    public var policyFile: String?
    public var params: [TraceParam]
    public var digest: String
    public var search: String
    public var steps: [TraceStep]
    public var finding: TraceFindingRecord

    public var verdict: Verdict { finding.verdict }
}

public struct TraceParam: Sendable, Equatable, Codable {
    public var name: String
    public var value: Int64
}

/// The end of a trace: who is stuck, or what broke.
public enum TraceFindingRecord: Sendable, Equatable {
    /// Each blocked thread with the wait it is in and where.
    case deadlock([(thread: String, waitsFor: String, location: String)])
    case violation(thread: String, message: String, location: String)

    public var verdict: Verdict {
        if case .deadlock = self { return .deadlock }
        return .violation
    }

    public static func == (a: TraceFindingRecord, b: TraceFindingRecord) -> Bool {
        switch (a, b) {
        case (.deadlock(let x), .deadlock(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.thread == $1.thread && $0.waitsFor == $1.waitsFor && $0.location == $1.location }
        case (.violation(let t1, let m1, let l1), .violation(let t2, let m2, let l2)):
            return t1 == t2 && m1 == m2 && l1 == l2
        default:
            return false
        }
    }
}

extension Trace {
    /// The file's text.
    public func render() -> String {
        var out = "\(Trace.magic) \(Trace.formatVersion)\n"
        out += "# A counterexample found by `lockhunt check`. Replay it with `lockhunt replay <this file>`.\n"
        out += "root: \(root)\n"
        out += "model: \(model)\n"
        if let policy { out += "policy: \(policy)\(policyFile.map { " \($0)" } ?? "")\n" }
        for p in params { out += "param: \(p.name)=\(p.value)\n" }
        out += "digest: \(digest)\n"
        out += "search: \(search)\n"
        out += "verdict: \(verdict.rawValue)\n"
        out += "steps: \(steps.count)\n\n"
        for (i, s) in steps.enumerated() {
            out += "step \(i + 1): \(s.thread): \(s.operation) -> \(s.outcome) @ \(s.location) in \(s.function)\n"
        }
        out += "\n"
        switch finding {
        case .deadlock(let blocked):
            for b in blocked { out += "blocked: \(b.thread): \(b.waitsFor) @ \(b.location)\n" }
        case .violation(let t, let m, let l):
            out += "violation: \(t): \(m) @ \(l)\n"
        }
        return out
    }

    /// The name a trace gets: `<scenario>.<policy>.trace`, or `<scenario>.trace` without a policy.
    public static func fileName(scenario: String, policy: String?) -> String {
        policy.map { "\(scenario).\($0).trace" } ?? "\(scenario).trace"
    }
}

/// Reads a trace file. Errors carry `file:line:col`.
public enum TraceReader {
    /// Traces larger than this are refused before they are read.
    public static let maxBytes = 64 << 20

    public static func read(path: String, sources: SourceManager, diagnostics: DiagnosticEngine) -> Trace? {
        switch InputFile.read(path, as: .trace, limit: maxBytes) {
        case .failure(let f):
            diagnostics.error(.none, f.isWholeMessage ? f.reason : "cannot read trace '\(path)': \(f.reason)")
            return nil
        case .success(let bytes):
            return parse(sources.add(path: path, bytes: bytes), diagnostics: diagnostics)
        }
    }

    public static func parse(_ file: SourceFile, diagnostics: DiagnosticEngine) -> Trace? {
        guard let text = String(validating: file.bytes, as: UTF8.self) else {
            let bad = firstInvalidUTF8(file.bytes)
            let (l, c) = file.lineColumn(of: bad)
            diagnostics.error(SourceLocation(file: file.id, line: l, column: c), "trace is not UTF-8 text")
            return nil
        }
        if file.bytes.contains(0) {
            let (l, c) = file.lineColumn(of: file.bytes.firstIndex(of: 0)!)
            diagnostics.error(SourceLocation(file: file.id, line: l, column: c), "NUL byte in trace; is this a binary file?")
            return nil
        }
        // Lines end in LF or CRLF. (A String splits into Characters, and CR LF is one Character,
        // so splitting on "\n" alone left a CRLF file one long line.)
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map(String.init)
        func loc(_ line: Int, _ col: Int = 1) -> SourceLocation { SourceLocation(file: file.id, line: line, column: col) }
        func fail(_ line: Int, _ message: String, _ col: Int = 1) -> Trace? {
            diagnostics.error(loc(line, col), message)
            return nil
        }
        guard let first = lines.first, first.hasPrefix(Trace.magic) else {
            return fail(1, "not a lockhunt trace: the first line must be '\(Trace.magic) \(Trace.formatVersion)'")
        }
        let versionText = first.dropFirst(Trace.magic.count).trimmingCharacters(in: .whitespaces)
        guard let version = Int(versionText) else { return fail(1, "missing trace format version after '\(Trace.magic)'", Trace.magic.count + 2) }
        guard version == Trace.formatVersion else {
            return fail(1, "trace format version \(version) is not supported (this lockhunt reads version \(Trace.formatVersion))", Trace.magic.count + 2)
        }
        var header: [String: (String, Int)] = [:]
        var params: [TraceParam] = []
        var steps: [TraceStep] = []
        var blocked: [(thread: String, waitsFor: String, location: String)] = []
        var violation: (String, String, String)? = nil
        var declaredSteps: (Int, Int)? = nil
        for (i, raw) in lines.enumerated().dropFirst() {
            let n = i + 1
            let line = raw
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("step ") {
                guard let colon = line.range(of: ": ") else { return fail(n, "malformed step: expected 'step N: THREAD: OPERATION -> OUTCOME @ LOCATION in FUNCTION'") }
                let numberText = line[line.index(line.startIndex, offsetBy: 5)..<colon.lowerBound]
                guard let number = Int(numberText), number == steps.count + 1 else {
                    return fail(n, "step number '\(numberText)' out of order; expected \(steps.count + 1)", 6)
                }
                guard let step = parseStep(String(line[colon.upperBound...])) else {
                    return fail(n, "malformed step: expected 'step N: THREAD: OPERATION -> OUTCOME @ LOCATION in FUNCTION'", line.distance(from: line.startIndex, to: colon.upperBound) + 1)
                }
                steps.append(step)
                continue
            }
            guard let colon = line.range(of: ": ") else { return fail(n, "expected 'key: value'") }
            let key = String(line[..<colon.lowerBound])
            let value = String(line[colon.upperBound...])
            let col = line.distance(from: line.startIndex, to: colon.upperBound) + 1
            switch key {
            case "root", "model", "policy", "digest", "search", "verdict":
                if header[key] != nil { return fail(n, "duplicate '\(key)' line") }
                header[key] = (value, n)
            case "steps":
                guard let k = Int(value), k >= 0 else { return fail(n, "'steps' must be a number", col) }
                declaredSteps = (k, n)
            case "param":
                let parts = value.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, let v = Int64(parts[1]), !parts[0].isEmpty else { return fail(n, "malformed parameter: expected 'param: NAME=VALUE'", col) }
                params.append(TraceParam(name: String(parts[0]), value: v))
            case "blocked":
                guard let (t, rest) = splitOnce(value, ": "), let (w, l) = splitLast(rest, " @ ") else {
                    return fail(n, "malformed 'blocked' line: expected 'blocked: THREAD: WAIT @ LOCATION'", col)
                }
                blocked.append((t, w, l))
            case "violation":
                guard let (t, rest) = splitOnce(value, ": "), let (m, l) = splitLast(rest, " @ ") else {
                    return fail(n, "malformed 'violation' line: expected 'violation: THREAD: MESSAGE @ LOCATION'", col)
                }
                if violation != nil { return fail(n, "more than one 'violation' line") }
                violation = (t, m, l)
            default:
                var message = "unknown trace line '\(key)'"
                if let s = Suggest.closest(to: key, among: ["root", "model", "policy", "param", "digest", "search", "verdict", "steps", "step", "blocked", "violation"]) {
                    message += "; did you mean '\(s)'?"
                }
                return fail(n, message)
            }
        }
        let lastLine = max(1, lines.count)
        for key in ["model", "digest", "verdict"] where header[key] == nil {
            return fail(lastLine, "trace has no '\(key):' line")
        }
        if let (k, n) = declaredSteps, k != steps.count {
            return fail(n, "the header says \(k) steps but the trace has \(steps.count)")
        }
        let (verdictText, verdictLine) = header["verdict"]!
        guard let verdict = Verdict(rawValue: verdictText), verdict != .ok else {
            return fail(verdictLine, "verdict must be 'deadlock' or 'violation', not '\(verdictText)'", 10)
        }
        let finding: TraceFindingRecord
        if verdict == .deadlock {
            guard !blocked.isEmpty, violation == nil else { return fail(lastLine, "a deadlock trace ends with 'blocked:' lines (and no 'violation:' line)") }
            finding = .deadlock(blocked)
        } else {
            guard let v = violation, blocked.isEmpty else { return fail(lastLine, "a violation trace ends with one 'violation:' line") }
            finding = .violation(thread: v.0, message: v.1, location: v.2)
        }
        var policy: String? = nil
        var policyFile: String? = nil
        if let (p, _) = header["policy"] {
            let parts = p.split(separator: " ", maxSplits: 1)
            policy = parts.first.map(String.init)
            policyFile = parts.count > 1 ? String(parts[1]) : nil
        }
        return Trace(root: header["root"]?.0 ?? ".", model: header["model"]!.0, policy: policy, policyFile: policyFile,
                     params: params, digest: header["digest"]!.0, search: header["search"]?.0 ?? "bfs",
                     steps: steps, finding: finding)
    }

    /// Where the value of the header line `key:` starts in a trace file, for diagnostics about
    /// what it names; `.none` when there is no such line.
    public static func valueLocation(_ key: String, in file: SourceFile?) -> SourceLocation {
        guard let file else { return .none }
        for line in 1...max(1, file.lineCount) where file.lineText(line).hasPrefix("\(key): ") {
            return SourceLocation(file: file.id, line: line, column: key.utf8.count + 3)
        }
        return .none
    }

    /// `THREAD: OPERATION -> OUTCOME @ LOCATION in FUNCTION`
    static func parseStep(_ s: String) -> TraceStep? {
        guard let (thread, rest) = splitOnce(s, ": "),
              let (what, where_) = splitLast(rest, " @ "),
              let (op, outcome) = splitLast(what, " -> "),
              let (location, function) = splitLast(where_, " in ") else { return nil }
        guard !thread.isEmpty, !op.isEmpty else { return nil }
        return TraceStep(thread: thread, operation: op, outcome: outcome, location: location, function: function)
    }

    static func splitOnce(_ s: String, _ sep: String) -> (String, String)? {
        guard let r = s.range(of: sep) else { return nil }
        return (String(s[..<r.lowerBound]), String(s[r.upperBound...]))
    }

    static func splitLast(_ s: String, _ sep: String) -> (String, String)? {
        guard let r = s.range(of: sep, options: .backwards) else { return nil }
        return (String(s[..<r.lowerBound]), String(s[r.upperBound...]))
    }

    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int {
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            let need = b < 0x80 ? 0 : b & 0xE0 == 0xC0 ? 1 : b & 0xF0 == 0xE0 ? 2 : b & 0xF8 == 0xF0 ? 3 : -1
            if need < 0 || i + need >= bytes.count + (need == 0 ? 1 : 0) { return i }
            if need > 0 && (1...need).contains(where: { i + $0 >= bytes.count || bytes[i + $0] & 0xC0 != 0x80 }) { return i }
            i += need + 1
        }
        return 0
    }
}
