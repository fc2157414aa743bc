import LockhuntKit

/// `lockhunt explain`: the static lock-order graph of a model, its cycles, and the explorer's
/// verdict on each.
enum ExplainCommand: Command {
    static let name = "explain"
    static let summary = "Show the static lock-order graph (lockdep-style) and settle each cycle with the explorer"
    static let usage = "lockhunt explain MODEL [--policy NAME|FILE] [--param K=V]... [--max-states N] [--time-limit SECONDS] [--max-memory SIZE]"
    static let details = """
    Lists every "B taken while holding A" the compiled model allows, folio and buffer locks
    alike, with where B is taken and where A was; a lock that a task must release but another
    task took (a buffer locked for I/O and unlocked by its completion) counts as held until the
    release. Each cycle is then confirmed by a reachable deadlock (with the counterexample) or
    ruled out by a complete search (with the reason when the graph shows one).
    exit: 0 no deadlock, 1 a cycle confirmed or another deadlock found, 2 usage or model error,
    3 incomplete search.
    """
    static let options: [OptionSpec] = [
        OptionSpec(name: "--policy", value: "NAME", help: "Policy providing migrate_pages(): a name or a .lh file"),
        OptionSpec(name: "--policy-dir", value: "DIR", help: "Where policy names are looked up"),
        OptionSpec(name: "--param", value: "K=V", help: "Override a model parameter (repeatable)", repeatable: true),
        OptionSpec(name: "--max-states", value: "N", help: "Stop the search after N states (cycles left undecided)"),
        OptionSpec(name: "--time-limit", value: "SECONDS", help: "Stop the search after this long (cycles left undecided)"),
        OptionSpec(name: "--max-memory", value: "SIZE", help: "Stop the search when it holds SIZE (default: 3/4 of the machine's memory)"),
    ]

    static func run(_ args: Arguments) throws -> ExitCode {
        guard args.positional.count == 1 else {
            throw UsageError(message: args.positional.isEmpty ? "no model given" : "explain takes one model, got \(args.positional.count)")
        }
        var options = CheckOptions()
        options.models = args.positional
        options.policy = args.string("--policy")
        options.policyDir = args.string("--policy-dir")
        options.params = try args.params()
        options.search.maxStates = try args.positiveInt("--max-states")
        options.search.timeLimit = try args.positiveSeconds("--time-limit")
        options.search.maxMemory = try args.memoryLimit().bytes
        if options.policy == "all" { throw UsageError(message: "explain takes one policy, not 'all'") }
        let pairs: [(String, PolicyRef?)]
        switch CheckRunner(options: options).pairs() {
        case .success(let p): pairs = p
        case .failure(let e): throw UsageError(message: e.message)
        }
        let (model, policy) = pairs[0]
        let (compiled, errors) = Program.load(model: model, policy: policy, params: options.params)
        guard let program = compiled else {
            Output.err(errors)
            return .error
        }
        let verdicts = CycleVerdicts(program: program, search: options.search)
        let title = policy.map { "\(program.scenario) under policy \($0.name)" } ?? program.scenario
        Output.out(ExplainReport().render(title: title, program: program, verdicts))
        if verdicts.cycles.contains(where: { if case .confirmed = $0.verdict { return true } else { return false } }) || !verdicts.otherFindings.isEmpty {
            return .finding
        }
        return verdicts.limit == nil ? .ok : .incomplete
    }
}
