import Foundation
import Dispatch
import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration
import LockhuntFindings
import LockhuntTraces
import LockhuntLockOrder
import LockhuntExport

public struct GateOptions: Sendable {
    /// Folders (holding `scenarios/`, or scenario files directly) and scenario files.
    public var inputs: [String] = ["Models"]
    public var traceDir = "Traces"
    public var policyDir: String? = nil
    /// Rewrite the committed counterexamples after an intended model change.
    public var updateTraces = false
    public var search = SearchOptions()
    /// Pairs checked at once (one per core by default).
    public var jobs = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// The cost matrix to check for staleness (docs/MATRIX.md), or nil.
    public var matrixFile: String? = nil
    /// Rewrite the matrix file instead of failing when it is stale.
    public var updateMatrix = false

    public init() {}
}

/// One scenario under one policy, against its expectation.
public struct GateCell {
    public enum Status: String { case match, mismatch, incomplete, error }

    public var scenario: String
    public var model: String
    public var policy: String
    public var expected: Verdict
    public var result: CheckResult
    /// The trace of this cell's finding, where the gate put it.
    public var trace: String? = nil
    /// A finding whose trace was not committed before this run.
    public var newTrace = false

    public var actual: String { result.verdictWord }

    public var status: Status {
        switch result.outcome {
        case .error: return .error
        case .incomplete: return .incomplete
        case .ok: return expected == .ok ? .match : .mismatch
        case .finding(let f): return f.kind.verdict == expected ? .match : .mismatch
        }
    }
}

/// A committed trace replayed against the current models.
public struct GateTrace {
    public var path: String
    public var outcome: Replayer.Outcome
    /// Removed by --update-traces because its pair no longer has that finding.
    public var removed = false
}

public struct GateResult {
    public var scenarios: [String]
    public var policies: [String]
    public var cells: [GateCell]
    public var traces: [GateTrace]
    /// Problems that fail the gate, one line each, naming scenario, policy and trace.
    public var problems: [String]
    /// Errors that stop it (exit 2): unreadable scenarios, unknown policies.
    public var errors: [String]
    public var seconds: Double
    /// The matrix file compared, and whether it was rewritten.
    public var matrixChecked: String? = nil
    public var matrixUpdated = false
    /// ^C (or the caller's stop request) ended some checks early: the matrix is partial, which
    /// is no verdict either way.
    public var interrupted = false

    public var exitCode: ExitCode {
        if !errors.isEmpty || cells.contains(where: { $0.status == .error }) { return .error }
        if interrupted { return .incomplete }
        return problems.isEmpty ? .ok : .finding
    }
}

/// `lockhunt gate`: every scenario under every policy its expectations name, the verdicts
/// compared, every trace in the trace folder replayed, and docs/MATRIX.md checked for staleness.
public struct GateRunner {
    public let options: GateOptions

    public init(options: GateOptions) { self.options = options }

    public func run(progress: (@Sendable (String) -> Void)? = nil) -> GateResult {
        let clock = Stopwatch()
        var result = GateResult(scenarios: [], policies: [], cells: [], traces: [], problems: [], errors: [], seconds: 0)
        let set = ScenarioSet(inputs: options.inputs, policyDir: options.policyDir)
        result.scenarios = set.scenarios
        result.policies = set.policies
        result.errors = set.errors
        if !result.errors.isEmpty { return result }

        // Check the pairs, several at once.
        var check = CheckOptions()
        check.search = options.search
        check.search.progress = nil
        // The pairs already run in parallel: one thread per search.
        check.search.jobs = 1
        check.writeTraces = false
        let runner = CheckRunner(options: check)
        let outcomes = Parallel.map(set.pairs, jobs: options.jobs) { p -> CheckResult in
            let r = runner.run(model: p.model, policy: p.policy)
            progress?("\(p.scenario) under \(p.policy.name)")
            return r
        }
        let store = TraceStore(directory: options.traceDir)
        let existing = Set(store.all())
        var keep = Set<String>()
        for (p, outcome) in zip(set.pairs, outcomes) {
            var cell = GateCell(scenario: p.scenario, model: p.model, policy: p.policy.name, expected: p.expected, result: outcome)
            if case .finding(let f) = cell.result.outcome, let program = cell.result.program {
                let trace = TraceBuilder.trace(program: program, finding: f, traceDir: options.traceDir, search: options.search)
                let canonical = store.path(scenario: p.scenario, policy: p.policy.name)
                if options.updateTraces {
                    let w = store.write(trace, scenario: p.scenario, policy: p.policy.name, replace: true)
                    cell.trace = w.path
                    if case .failed(let why) = w { result.problems.append(why) }
                } else if existing.contains(canonical) {
                    cell.trace = canonical
                } else {
                    let w = store.write(trace, scenario: p.scenario, policy: p.policy.name, replace: false)
                    cell.trace = w.path
                    cell.newTrace = true
                    if case .failed(let why) = w { result.problems.append(why) }
                }
                keep.insert(canonical)
            }
            switch cell.status {
            case .match:
                if cell.newTrace, let t = cell.trace {
                    result.problems.append("\(p.scenario) under \(p.policy.name): \(cell.actual) as expected, but its trace was not committed; wrote \(t): review it and commit it")
                }
            case .mismatch:
                var line = "\(p.scenario) under \(p.policy.name): expected \(p.expected.rawValue), got \(cell.actual)"
                if let t = cell.trace { line += "; trace: \(t)" + (cell.newTrace ? " (new)" : "") }
                else if p.expected != .ok { line += "; no counterexample any more" }
                result.problems.append(line)
            case .incomplete:
                if case .incomplete(let limit) = cell.result.outcome {
                    result.problems.append("\(p.scenario) under \(p.policy.name): incomplete (stopped by \(limit.rawValue)); expected \(p.expected.rawValue) is not confirmed")
                }
            case .error:
                if case .error(let d) = cell.result.outcome {
                    result.errors.append(d.trimmingCharacters(in: .newlines))
                }
            }
            result.cells.append(cell)
        }

        // Every trace in the folder must still replay. With --update-traces, traces of pairs
        // that no longer have a finding (and numbered siblings) are removed instead.
        let scenarioNames = Set(result.scenarios)
        for path in store.all() {
            let base = (path as NSString).lastPathComponent
            let scenario = String(base.split(separator: ".").first ?? "")
            if options.updateTraces && scenarioNames.contains(scenario) && !keep.contains(path) {
                try? FileManager.default.removeItem(atPath: path)
                result.traces.append(GateTrace(path: path, outcome: .reached, removed: true))
                continue
            }
            var ro = Replayer.Options(tracePath: path)
            ro.policyDir = options.policyDir
            let r = Replayer(options: ro).run()
            result.traces.append(GateTrace(path: path, outcome: r.outcome))
            switch r.outcome {
            case .reached: break
            case .diverged(let step, let reason):
                result.problems.append("\(path) no longer replays: diverged at step \(step): \(reason); if the change is intended, run 'lockhunt gate --update-traces' and commit the traces")
            case .unreadable:
                result.problems.append("\(path) cannot be replayed: \(r.output.split(separator: "\n").first.map(String.init) ?? "unreadable")")
            }
        }

        // The cost matrix must be up to date.
        if let file = options.matrixFile, result.errors.isEmpty {
            var verdicts: [String: String] = [:]
            for c in result.cells { verdicts["\(c.scenario) \(c.policy)"] = c.actual }
            let rows = MatrixRunner(inputs: options.inputs, policyDir: options.policyDir, jobs: options.jobs).rows(set, verdicts: verdicts)
            let text = MatrixMarkdown().render(set, rows)
            let current = FileManager.default.contents(atPath: file).map { String(decoding: $0, as: UTF8.self) }
            if current != text {
                if options.updateMatrix {
                    do { try AtomicFile.replace(file, contents: text) } catch { result.problems.append("could not write \(file): \(error)") }
                    result.matrixUpdated = true
                } else {
                    result.problems.append("\(file) is \(current == nil ? "missing" : "stale"): run 'lockhunt matrix --write \(file)' (or 'lockhunt gate --update-matrix') and commit it")
                }
            }
            result.matrixChecked = file
        }
        result.interrupted = result.cells.contains { $0.result.limit == .interrupted } || (options.search.shouldStop?() ?? false)
        result.seconds = clock.elapsed
        return result
    }
}

/// Results written by concurrent workers, each to its own slot.
final class ResultSlots<T>: @unchecked Sendable {
    private var items: [T?]
    private let lock = NSLock()

    init(count: Int) { items = [T?](repeating: nil, count: count) }

    func set(_ i: Int, _ v: T) {
        lock.lock()
        items[i] = v
        lock.unlock()
    }

    func get(_ i: Int) -> T? {
        lock.lock()
        defer { lock.unlock() }
        return items[i]
    }
}

/// A shared work counter.
final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()

    func take() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value - 1
    }
}
