import Foundation
import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration
import LockhuntFindings
import LockhuntTraces
import LockhuntLockOrder
import LockhuntExport

public enum OutputFormat: String, Sendable { case text, json }

public struct CheckOptions: Sendable {
    public var models: [String] = []
    /// A policy name, a path to a policy file, `all`, or nil for a model that needs none.
    public var policy: String? = nil
    public var policyDir: String? = nil
    public var params: [(String, Int64)] = []
    public var traceDir = "Traces"
    public var writeTraces = true
    /// Replace an existing trace that differs, instead of writing a numbered sibling.
    public var overwrite = false
    /// Shorten the counterexample after the search (fewest context switches, no steps of
    /// threads that play no part); see `TraceMinimiser`.
    public var minimise = true
    public var search = SearchOptions()

    public init() {}
}

/// The outcome of one model under one policy.
public struct CheckResult {
    public enum Outcome {
        case ok
        case finding(Finding)
        case incomplete(SearchLimit)
        /// Model or policy could not be loaded; the diagnostics, printed.
        case error(String)
    }

    public var model: String
    public var scenario: String
    public var policy: String?
    public var params: [(name: String, value: Int64)] = []
    public var outcome: Outcome
    /// What stopped the search before it covered every state, if anything did. With `--all`
    /// the outcome can be a finding and the search still incomplete: the findings reported are
    /// real, but others may exist.
    public var limit: SearchLimit? = nil
    public var stats = SearchStats()
    public var tracePath: String? = nil
    /// With hash compaction: the probability that a state was missed.
    public var omissionProbability: Double? = nil
    /// With --all: the findings after the first, each with its trace.
    public var moreFindings: [(finding: Finding, tracePath: String?, traceNote: String?)] = []
    /// What happened to the trace file: written, unchanged, or written beside a different one.
    public var traceNote: String? = nil
    public var program: Program? = nil

    public var verdictWord: String {
        switch outcome {
        case .ok: return "ok"
        case .finding(let f): return f.kind.verdict.rawValue
        case .incomplete: return "incomplete"
        case .error: return "error"
        }
    }

    public var exitCode: ExitCode {
        switch outcome {
        case .ok: return .ok
        case .finding: return .finding
        case .incomplete: return .incomplete
        case .error: return .error
        }
    }
}

/// Runs `lockhunt check`: every model under every requested policy.
public struct CheckRunner: Sendable {
    public let options: CheckOptions

    public init(options: CheckOptions) { self.options = options }

    /// The (model, policy) pairs to run, or a usage error.
    public func pairs() -> Result<[(String, PolicyRef?)], UserError> {
        var out: [(String, PolicyRef?)] = []
        for model in options.models {
            let path = ModelLoader.normalize(model)
            guard let policy = options.policy else { out.append((path, nil)); continue }
            if policy == "all" {
                guard let (dir, all) = ModelLoader.allPolicies(for: path, explicit: options.policyDir) else {
                    return .failure(UserError("--policy all: no policy folder found (looked in \(ModelLoader.policyDirectories(for: path, explicit: options.policyDir).joined(separator: ", ")))"))
                }
                if all.isEmpty { return .failure(UserError("--policy all: \(dir) holds no .lh files")) }
                out.append(contentsOf: all.map { (path, $0) })
            } else {
                switch ModelLoader.resolvePolicy(policy, for: path, explicit: options.policyDir) {
                case .success(let ref): out.append((path, ref))
                case .failure(let e): return .failure(e)
                }
            }
        }
        return .success(out)
    }

    public func run(model: String, policy: PolicyRef?) -> CheckResult {
        let scenario = ((model as NSString).lastPathComponent as NSString).deletingPathExtension
        var result = CheckResult(model: model, scenario: scenario, policy: policy?.name, outcome: .ok)
        let (compiled, errors) = Program.load(model: model, policy: policy, params: options.params)
        guard let program = compiled else {
            result.outcome = .error(errors)
            return result
        }
        result.program = program
        result.params = program.effectiveParams
        let search = Explorer(program: program, options: options.search).run()
        result.stats = search.stats
        result.limit = search.limit
        result.omissionProbability = search.omissionProbability
        if var first = search.findings.first {
            var minimisation: Minimisation? = nil
            if options.minimise {
                (first, minimisation) = TraceMinimiser(program: program).minimise(first)
            }
            var finding = FindingBuilder(program: program).build(first)
            finding.minimisation = minimisation
            result.outcome = .finding(finding)
            if options.writeTraces {
                let trace = TraceBuilder.trace(program: program, finding: finding, traceDir: options.traceDir, search: options.search)
                let (path, note) = writeTrace(trace, scenario: scenario, policy: policy?.name)
                result.tracePath = path
                result.traceNote = note
            }
            // With --all, every further distinct finding, each with its own trace.
            for (k, raw) in search.findings.dropFirst().enumerated() {
                var more = raw
                var minimisation: Minimisation? = nil
                if options.minimise { (more, minimisation) = TraceMinimiser(program: program).minimise(raw) }
                var f = FindingBuilder(program: program).build(more)
                f.minimisation = minimisation
                var path: String? = nil, note: String? = nil
                if options.writeTraces {
                    let trace = TraceBuilder.trace(program: program, finding: f, traceDir: options.traceDir, search: options.search)
                    let w = TraceStore(directory: options.traceDir).write(trace, scenario: scenario, policy: policy?.name,
                                                                           suffix: "finding-\(k + 2)", replace: options.overwrite)
                    (path, note) = (w.path, w.note)
                }
                result.moreFindings.append((f, path, note))
            }
        } else if search.limit == .localComputation, let (thread, pc) = search.tooLong {
            result.outcome = .error(CheckRunner.tooLongDiagnostic(program, thread: thread, pc: pc))
        } else if let limit = search.limit {
            result.outcome = .incomplete(limit)
        }
        return result
    }

    /// The error for a thread whose local code ran past `Machine.localInstructionLimit` in one
    /// step: the model cannot be explored as written, which is no verdict about the kernel.
    static func tooLongDiagnostic(_ program: Program, thread: Int, pc: Int) -> String {
        let site = program.ir[pc].site
        let diags = DiagnosticEngine()
        let chain = program.callChain(site: site).map(\.function)
        diags.error(program.sites[site].location,
                    "thread '\(program.threads[thread].name)' runs more than \(Format.count(Machine.localInstructionLimit)) local instructions here without a step" +
                    (chain.isEmpty ? "" : " (in \(chain.joined(separator: " <- ")))") +
                    "; lockhunt cannot explore a loop of local code that long: bound it more tightly, or give it a visible step")
        return Program.render(diags, program.sources)
    }

    /// Writes atomically; never replaces a different trace unless asked to.
    func writeTrace(_ trace: Trace, scenario: String, policy: String?) -> (String?, String) {
        let written = TraceStore(directory: options.traceDir).write(trace, scenario: scenario, policy: policy, replace: options.overwrite)
        return (written.path, written.note)
    }
}
