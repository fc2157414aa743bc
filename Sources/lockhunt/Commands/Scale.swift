import LockhuntKit

/// `lockhunt scale`: the largest size verified, and a static argument beyond it where one holds.
enum ScaleCommand: Command {
    static let name = "scale"
    static let summary = "Verify a model at growing sizes, and past the budget give a static verdict where one holds"
    static let usage = "lockhunt scale MODEL [--policy P] [--param-name NAME] [--from N] [--to N] [--time-limit SECONDS] [--max-memory SIZE] [--max-states N] [--reduce none|fold|por|sym|all]"
    static let details = """
    Sizes 2, 4, 6, 8, 12, 16, 24, 32, 48, 64, ... of the model's size parameter are checked
    exhaustively until one hits the budget (default 60 s and 8 GiB per size). Past the largest
    size verified, the static wait graph is computed at each size up to --to (default 512):
    where it has no cycle, no set of tasks can deadlock waiting on each other in a cycle; where
    moreover every lock and writeback flag is cleared by the task that set it, and no task waits
    for any other condition, no deadlock is possible at all. The report says what each verdict
    rests on, and where no argument applies (naming the cycle). Static verdicts cover
    deadlocks only: assertions are checked up to the largest size verified exhaustively.
    exit: 0 every size up to --to has a deadlock verdict and there is no finding, 1 a finding,
    2 an error, 3 some sizes have no verdict.
    """
    static let options: [OptionSpec] = [
        OptionSpec(name: "--policy", value: "NAME", help: "Policy providing migrate_pages()"),
        OptionSpec(name: "--policy-dir", value: "DIR", help: "Where policy names are looked up"),
        OptionSpec(name: "--param-name", value: "NAME", help: "The size parameter (default: the model's only parameter)"),
        OptionSpec(name: "--param", value: "K=V", help: "Fix another parameter (repeatable)", repeatable: true),
        OptionSpec(name: "--from", value: "N", help: "Smallest size (default 2)"),
        OptionSpec(name: "--to", value: "N", help: "Largest size (default 512)"),
        OptionSpec(name: "--time-limit", value: "SECONDS", help: "Budget of one exhaustive search (default 60)"),
        OptionSpec(name: "--max-memory", value: "SIZE", help: "Budget of one exhaustive search (default 8G)"),
        OptionSpec(name: "--max-states", value: "N", help: "Budget of one exhaustive search, in states (default none)"),
        OptionSpec(name: "--reduce", value: "none|fold|por|sym|all", help: "Reductions for the exhaustive searches (default all)"),
    ]

    static func run(_ args: Arguments) throws -> ExitCode {
        guard args.positional.count == 1 else { throw UsageError(message: "scale takes one model") }
        var o = ScaleRunner.Options(model: args.positional[0])
        if let p = args.string("--policy") {
            switch ModelLoader.resolvePolicy(p, for: o.model, explicit: args.string("--policy-dir")) {
            case .success(let ref): o.policy = ref
            case .failure(let e): throw UsageError(message: e.message)
            }
        }
        o.parameter = args.string("--param-name")
        o.otherParams = try args.params()
        o.from = try args.positiveInt("--from") ?? 2
        o.to = try args.positiveInt("--to") ?? 512
        if o.to < o.from { throw UsageError(message: "--to \(o.to) is below --from \(o.from)") }
        o.search.timeLimit = try args.positiveSeconds("--time-limit") ?? 60
        o.search.maxMemory = try args.byteSize("--max-memory") ?? 8 << 30
        o.search.maxStates = try args.positiveInt("--max-states")
        if let r = args.string("--reduce") {
            guard let red = Reductions(name: r) else { throw UsageError(message: "invalid --reduce '\(r)': expected \(Reductions.accepted)") }
            o.search.reductions = red
        }
        switch ScaleRunner(options: o).run() {
        case .failure(let e):
            Output.err("lockhunt scale: error: \(e.message)\n")
            return .error
        case .success(let report):
            Output.out(ScaleReport().render(report, model: o.model, policy: o.policy?.name, to: o.to))
            if report.finding != nil { return .finding }
            if report.rows.contains(where: { if case .error = $0.verdict { return true }; return false }) { return .error }
            // Complete when every size up to --to has a deadlock verdict, exhaustive or static.
            return (report.staticUpTo ?? report.largestVerified ?? 0) >= o.to ? .ok : .incomplete
        }
    }
}
