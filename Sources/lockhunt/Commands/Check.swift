import LockhuntKit

/// `lockhunt check`: explore a model under one policy, every policy, or none.
enum CheckCommand: Command {
    static let name = "check"
    static let summary = "Explore every interleaving of a model and report deadlocks and violations"
    static let usage = "lockhunt check MODEL... [--policy NAME|FILE|all] [--param K=V]... [--trace-dir DIR] [--format text|json] [--max-states N] [--time-limit SECONDS] [--max-memory SIZE]"
    static let details = """
    Each finding gets a shortest counterexample (breadth-first search), reordered to the fewest
    context switches and without steps of threads that play no part (--no-minimise keeps it as
    found), written to the trace folder as <scenario>.<policy>.trace. An existing trace that differs is kept and the new one
    goes beside it (<scenario>.<policy>.2.trace) unless --overwrite is given.
    --policy NAME reads <models>/policies/NAME.lh (the folder beside the model's folder, or
    Models/policies); --policy all runs every policy there.
    ^C stops the search: the statistics so far are printed, no trace is written.
    exit: 0 no finding (complete search), 1 finding, 2 usage or model error, 3 incomplete (a
    limit or ^C).
    """
    static let options: [OptionSpec] = [
        OptionSpec(name: "--policy", value: "NAME", help: "Policy providing migrate_pages(): a name, a .lh file, or 'all'"),
        OptionSpec(name: "--policy-dir", value: "DIR", help: "Where policy names are looked up"),
        OptionSpec(name: "--param", value: "K=V", help: "Override a model parameter (repeatable)", repeatable: true),
        OptionSpec(name: "--trace-dir", value: "DIR", help: "Where counterexample traces go (default Traces)"),
        OptionSpec(name: "--no-trace", value: nil, help: "Do not write trace files"),
        OptionSpec(name: "--overwrite", value: nil, help: "Replace an existing trace that differs"),
        OptionSpec(name: "--no-minimise", value: nil, help: "Keep the search's trace as found (no shortening, no reordering)"),
        OptionSpec(name: "--format", value: "text|json", help: "Output format (default text)"),
        OptionSpec(name: "--search", value: "bfs|dfs", help: "Breadth-first (default; shortest traces) or depth-first"),
        OptionSpec(name: "--all", value: nil, help: "Report every distinct finding, not only the first"),
        OptionSpec(name: "--reduce", value: "none|fold|por|sym|all", help: "Reductions that keep verdicts exact (default all; fold = local code inside steps, por = persistent,sleep)"),
        OptionSpec(name: "--jobs", value: "N", help: "Threads for the search (default: one per core; the result is the same)"),
        OptionSpec(name: "--hash-compact", value: nil, help: "Keep states as 64-bit hashes: far less memory, a reported chance of a missed state"),
        OptionSpec(name: "--max-states", value: "N", help: "Stop after N states (verdict: incomplete)"),
        OptionSpec(name: "--time-limit", value: "SECONDS", help: "Stop after this long (verdict: incomplete)"),
        OptionSpec(name: "--max-memory", value: "SIZE", help: "Stop when the search holds SIZE, e.g. 8G (verdict: incomplete; default: 3/4 of the machine's memory)"),
        OptionSpec(name: "--quiet", value: nil, help: "No progress line on stderr"),
    ]

    static func run(_ args: Arguments) throws -> ExitCode {
        guard !args.positional.isEmpty else { throw UsageError(message: "no model given") }
        var options = CheckOptions()
        options.models = args.positional
        options.policy = args.string("--policy")
        options.policyDir = args.string("--policy-dir")
        options.params = try args.params()
        options.traceDir = args.string("--trace-dir") ?? "Traces"
        options.writeTraces = !args.has("--no-trace")
        options.overwrite = args.has("--overwrite")
        options.minimise = !args.has("--no-minimise")
        let format = OutputFormat(rawValue: try args.choice("--format", ["text", "json"]) ?? "text")!
        if let order = try args.choice("--search", ["bfs", "dfs"]) { options.search.order = SearchOptions.Order(rawValue: order)! }
        options.search.allFindings = args.has("--all")
        if let j = try args.jobs() { options.search.jobs = j }
        options.search.hashCompaction = args.has("--hash-compact")
        if options.search.hashCompaction && options.search.order == .depthFirst {
            throw UsageError(message: "--hash-compact needs breadth-first search (--search bfs)")
        }
        if let r = args.string("--reduce") {
            guard let reductions = Reductions(name: r) else {
                throw UsageError(message: "invalid --reduce '\(r)': expected \(Reductions.accepted)")
            }
            options.search.reductions = reductions
        }
        options.search.maxStates = try args.positiveInt("--max-states")
        options.search.timeLimit = try args.positiveSeconds("--time-limit")
        let memory = try args.memoryLimit()
        options.search.maxMemory = memory.bytes
        let progress = Progress(enabled: Terminal.stderrIsTerminal && !args.has("--quiet"))
        options.search.progress = progress.report
        Interrupt.install()
        options.search.shouldStop = Interrupt.poll

        let runner = CheckRunner(options: options)
        let pairs: [(String, PolicyRef?)]
        switch runner.pairs() {
        case .success(let p): pairs = p
        case .failure(let e): throw UsageError(message: e.message)
        }
        var results: [CheckResult] = []
        let report = TextReport()
        for (i, (model, policy)) in pairs.enumerated() {
            // After ^C, the rest of --policy all is not started.
            if Interrupt.requested { break }
            progress.label = policy.map { "\(model) under \($0.name)" } ?? model
            let r = runner.run(model: model, policy: policy)
            progress.clear()
            results.append(r)
            if format == .text {
                if case .error(let d) = r.outcome {
                    Output.err(d)
                    Output.out("\(r.policy.map { "\(r.scenario) under policy \($0)" } ?? r.scenario): error: the model could not be loaded\n")
                } else {
                    Output.out(report.render(r))
                    if case .incomplete(.maxMemory) = r.outcome, let m = memory.defaultFrom { Output.out("  \(m.defaultLimitNote())\n") }
                }
                if i < pairs.count - 1 { Output.out("\n") }
            }
        }
        let code = overall(results)
        if format == .json { Output.out(JSONReport().render(results, exitCode: code)) }
        return code
    }

    /// Errors first, then findings, then incomplete searches.
    static func overall(_ results: [CheckResult]) -> ExitCode {
        if results.contains(where: { $0.exitCode == .error }) { return .error }
        if results.contains(where: { $0.exitCode == .finding }) { return .finding }
        if results.contains(where: { $0.exitCode == .incomplete }) { return .incomplete }
        return .ok
    }
}

/// The progress line on stderr for searches longer than a second, on a terminal only.
final class Progress: @unchecked Sendable {
    let enabled: Bool
    var label = ""
    private var shown = false

    init(enabled: Bool) { self.enabled = enabled }

    var report: (@Sendable (SearchProgress) -> Void)? {
        guard enabled else { return nil }
        return { [weak self] p in
            guard let self, p.seconds >= 1 else { return }
            self.shown = true
            let rate = p.seconds > 0 ? Double(p.states) / p.seconds : 0
            Output.status("\(self.label): \(Format.count(p.states)) states, \(Format.rate(rate))/s, depth \(p.depth), queue \(Format.count(p.queued))")
        }
    }

    func clear() {
        if shown { Output.status("") }
        shown = false
    }
}
