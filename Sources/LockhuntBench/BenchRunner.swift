import Foundation
import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExport
import LockhuntDriver

/// One tool on one model at one size.
public struct BenchMeasurement: Sendable {
    public var tool: String
    public var states: Int?
    public var transitions: Int?
    /// The search alone, as the tool reports it.
    public var searchSeconds: Double?
    /// The whole run (lockhunt: the process; SPIN: pan), to the verdict.
    public var wallSeconds: Double?
    /// SPIN: `spin -a` and gcc, before pan can run.
    public var compileSeconds = 0.0
    public var peakBytes: Int?
    public var verdict = ""
    /// The run reached a verdict within the budget: a complete search, or a deadlock or
    /// violation found (both tools stop at the first).
    public var complete = false
    /// Why it did not complete, or did not run.
    public var note: String?

    public init(tool: String) { self.tool = tool }

    public var statesPerSecond: Double? {
        guard let s = states, let t = searchSeconds, t > 0 else { return nil }
        return Double(s) / t
    }
}

/// `make bench`: the families of `Models/bench/` at growing sizes, each size run by lockhunt and
/// by SPIN on the exported model, with reductions off on both sides (raw speed and memory per
/// state) and on (reach: SPIN once with lockhunt's folding, once with its own reductions only),
/// until each tool exceeds the budget.
public struct BenchRunner {
    public enum Mode: String, Sendable, CaseIterable {
        /// lockhunt `--reduce none --jobs 1`; pan `-DSAFETY -DNOREDUCE` on `export --reduce none`:
        /// no folding on either side, so the state counts are equal.
        case unreduced
        /// lockhunt `--reduce all` on every core; pan `-DSAFETY` (its partial-order reduction) on
        /// the folded export: SPIN gets lockhunt's folding too, which its statement merging
        /// could not do across the loops of migrate_pages().
        case reduced
        /// lockhunt `--reduce all` on every core; pan `-DSAFETY` on `export --reduce none`: the
        /// model of the unreduced comparison, each tool with only its own reductions.
        case ownReductions = "own"

        /// lockhunt's search: its reductions and search threads.
        func lockhuntArguments(jobs: Int) -> [String] {
            self == .unreduced ? ["--reduce", "none", "--jobs", "1"] : ["--reduce", "all", "--jobs", "\(jobs)"]
        }
        /// SPIN's side: whether the export folds local code, and whether pan reduces.
        public var spinSetup: (folding: Bool, partialOrder: Bool) {
            switch self {
            case .unreduced: return (false, false)
            case .reduced: return (true, true)
            case .ownReductions: return (false, true)
            }
        }
    }

    public struct Options: Sendable {
        public var inputs = ["Models/bench"]
        /// Policies to run; nil for those each family's `expect` lines name.
        public var policies: [String]? = nil
        public var modes = Mode.allCases
        public var budgetSeconds = 60.0
        public var maxMemory = 8 << 30
        public var to = 512
        public var from = 2
        public var spin = true
        /// The lockhunt binary to measure (this one).
        public var lockhunt: String
        public var jobs = ProcessInfo.processInfo.activeProcessorCount
        /// Run the gate over this folder and time it (the 60 s target), if set.
        public var gateModels: String? = "Models"

        public init(lockhunt: String) { self.lockhunt = lockhunt }
    }

    public struct Row: Sendable {
        public var size: Int
        public var lockhunt: BenchMeasurement?
        public var spin: BenchMeasurement?

        public init(size: Int, lockhunt: BenchMeasurement? = nil, spin: BenchMeasurement? = nil) {
            self.size = size
            self.lockhunt = lockhunt
            self.spin = spin
        }
    }

    public struct Series: Sendable {
        public var family: String
        public var policy: String
        public var mode: Mode
        public var rows: [Row] = []
        /// Peak memory of each tool's smallest run: subtracted before dividing by states.
        public var lockhuntBaseline: Int?
        public var spinBaseline: Int?

        public init(family: String, policy: String, mode: Mode) {
            self.family = family
            self.policy = policy
            self.mode = mode
        }

        public func largest(_ tool: KeyPath<Row, BenchMeasurement?>) -> Int? {
            rows.filter { $0[keyPath: tool]?.complete == true }.map(\.size).max()
        }
    }

    public struct Report: Sendable {
        public var series: [Series] = []
        public var gateSeconds: Double?
        public var gateStatus: Int32?
        public var options: Options

        public init(options: Options) { self.options = options }
    }

    public let options: Options
    /// Called with a line as each measurement ends (for a terminal).
    public var progress: (@Sendable (String) -> Void)?

    public init(options: Options) { self.options = options }

    public func run() -> Result<Report, UserError> {
        let set = ScenarioSet(inputs: options.inputs, policyDir: nil)
        if let e = set.errors.first { return .failure(UserError(e)) }
        var report = Report(options: options)
        var pairs: [(model: String, family: String, policy: PolicyRef)] = []
        for pair in set.pairs where options.policies?.contains(pair.policy.name) ?? true {
            pairs.append((pair.model, pair.scenario, pair.policy))
        }
        if let wanted = options.policies {
            for name in wanted where !pairs.contains(where: { $0.policy.name == name }) {
                for model in (try? ScenarioSet.files(options.inputs).get()) ?? [] {
                    guard case .success(let ref) = ModelLoader.resolvePolicy(name, for: model, explicit: nil) else { continue }
                    let family = ((model as NSString).lastPathComponent as NSString).deletingPathExtension
                    pairs.append((model, family, ref))
                }
            }
        }
        if pairs.isEmpty { return .failure(UserError("no family with a policy to run (add 'expect ... under POLICY' lines)")) }
        let spinAvailable = options.spin && SpinPipeline.available
        for mode in options.modes {
            for pair in pairs {
                report.series.append(runSeries(pair.model, pair.family, pair.policy, mode, spin: spinAvailable))
            }
        }
        if let models = options.gateModels {
            let gate = Subprocess.run(options.lockhunt, ["gate", models, "--no-matrix"], timeout: 600)
            report.gateSeconds = gate.seconds
            report.gateStatus = gate.status
        }
        return .success(report)
    }

    func runSeries(_ model: String, _ family: String, _ policy: PolicyRef, _ mode: Mode, spin: Bool) -> Series {
        var series = Series(family: family, policy: policy.name, mode: mode)
        var lockhuntAlive = true, spinAlive = spin
        for n in ScaleRunner.sizes(from: options.from, to: options.to) {
            guard lockhuntAlive || spinAlive else { break }
            var row = Row(size: n)
            if lockhuntAlive {
                let m = runLockhunt(model, policy, n, mode)
                row.lockhunt = m
                lockhuntAlive = m.complete
                if series.lockhuntBaseline == nil { series.lockhuntBaseline = m.peakBytes }
                progress?("\(family) \(policy.name) \(mode.rawValue) N=\(n): lockhunt \(describe(m))")
            }
            if spinAlive {
                let m = runSpin(model, policy, n, mode)
                row.spin = m
                spinAlive = m.complete
                if series.spinBaseline == nil { series.spinBaseline = m.peakBytes }
                progress?("\(family) \(policy.name) \(mode.rawValue) N=\(n): SPIN \(describe(m))")
            }
            series.rows.append(row)
        }
        return series
    }

    func describe(_ m: BenchMeasurement) -> String {
        if let note = m.note { return note }
        return "\(m.states.map(Format.count) ?? "?") states in \(m.wallSeconds.map(Format.seconds) ?? "?")"
    }

    func runLockhunt(_ model: String, _ policy: PolicyRef, _ n: Int, _ mode: Mode) -> BenchMeasurement {
        var m = BenchMeasurement(tool: "lockhunt")
        let args = ["check", model, "--policy", policy.path, "--param", "N=\(n)"] + mode.lockhuntArguments(jobs: options.jobs)
            + ["--format", "json", "--no-trace", "--quiet",
                    "--time-limit", "\(Int(options.budgetSeconds))", "--max-memory", "\(options.maxMemory)"]
        let r = Subprocess.run(options.lockhunt, args, timeout: options.budgetSeconds + 30)
        m.wallSeconds = r.seconds
        m.peakBytes = r.peakBytes
        guard let data = r.stdout.data(using: .utf8),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let results = json["results"] as? [[String: Any]], let first = results.first,
              let stats = first["stats"] as? [String: Any] else {
            m.note = r.timedOut ? "over \(Int(options.budgetSeconds)) s" : "no result: \(String(r.stderr.prefix(300)))"
            return m
        }
        m.states = stats["states"] as? Int
        m.transitions = stats["transitions"] as? Int
        m.searchSeconds = stats["seconds"] as? Double
        m.verdict = first["verdict"] as? String ?? ""
        // A finding is a verdict too (the first one, with a shortest trace): the time to it is
        // what a family that expects a deadlock measures.
        m.complete = (first["complete"] as? Bool ?? false) || m.verdict == "deadlock" || m.verdict == "violation"
        if !m.complete {
            let limit = (first["limit"] as? String) ?? m.verdict
            m.note = limit == "time-limit" ? "over \(Int(options.budgetSeconds)) s" : limit == "max-memory" ? "over \(options.maxMemory >> 30) GiB" : limit
            // A model error (at a size the language does not allow, say): its message, not "error".
            if m.verdict == "error", let d = first["diagnostics"] as? String,
               let line = d.split(separator: "\n").first, let at = line.range(of: "error: ") {
                m.note = String(line[at.upperBound...])
            }
        }
        return m
    }

    func runSpin(_ model: String, _ policy: PolicyRef, _ n: Int, _ mode: Mode) -> BenchMeasurement {
        let (program, errors) = Program.load(model: model, policy: policy, params: [("N", Int64(n))])
        guard let program else {
            var m = BenchMeasurement(tool: "spin")
            m.note = "model error: \(errors.prefix(200))"
            return m
        }
        let setup = mode.spinSetup
        let pipeline = SpinPipeline(budgetSeconds: options.budgetSeconds, memoryLimitBytes: options.maxMemory, reduce: setup.partialOrder)
        return pipeline.run(promela: PromelaExport(program: program, folding: setup.folding).render())
    }
}
