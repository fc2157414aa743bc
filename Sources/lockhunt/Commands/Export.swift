import LockhuntKit

/// `lockhunt export --promela`: the compiled model as a Promela model for SPIN.
enum ExportCommand: Command {
    static let name = "export"
    static let summary = "Write a model, compiled under a policy, as a Promela model for SPIN"
    static let usage = "lockhunt export --promela MODEL [--policy NAME|FILE] [--param K=V]... [--reduce fold|none] [--output FILE]"
    static let details = """
    The Promela model has lockhunt's states and verdicts: a violation is an assertion
    violation, a deadlock an invalid end state, and without partial-order reduction pan's
    "states, stored" is lockhunt's state count. SPIN sees a deadlock only once nothing at all
    can move; since every lockhunt thread ends, a deadlock among some threads while others run
    always becomes one. With --reduce none (no folding: every local instruction a step) the
    states are those of `lockhunt check --reduce none`, by default those of `--reduce fold`;
    SPIN's own partial-order reduction is pan's to apply, lockhunt's cannot be exported.
    The file's header and docs/EXPORT.md say more.
    exit: 0 written, 2 usage or model error.
    """
    static let options: [OptionSpec] = [
        OptionSpec(name: "--promela", value: nil, help: "Write Promela (the only format so far)"),
        OptionSpec(name: "--policy", value: "NAME", help: "Policy providing migrate_pages(): a name or a .lh file"),
        OptionSpec(name: "--policy-dir", value: "DIR", help: "Where policy names are looked up"),
        OptionSpec(name: "--param", value: "K=V", help: "Override a model parameter (repeatable)", repeatable: true),
        OptionSpec(name: "--reduce", value: "fold|none", help: "Fold local code into steps (fold, the default) or not (none)"),
        OptionSpec(name: "--output", value: "FILE", help: "Write to FILE instead of standard output"),
        OptionSpec(name: "--overwrite", value: nil, help: "Replace FILE if it exists"),
    ]

    static func run(_ args: Arguments) throws -> ExitCode {
        guard args.has("--promela") else { throw UsageError(message: "choose an output language: --promela") }
        guard args.positional.count == 1 else {
            throw UsageError(message: args.positional.isEmpty ? "no model given" : "export takes one model, got \(args.positional.count)")
        }
        var options = ExportOptions()
        options.model = args.positional[0]
        options.policy = args.string("--policy")
        if options.policy == "all" { throw UsageError(message: "--policy all: export one policy at a time") }
        options.policyDir = args.string("--policy-dir")
        options.params = try args.params()
        options.output = args.string("--output")
        options.overwrite = args.has("--overwrite")
        switch args.string("--reduce") {
        case nil, "fold": options.folding = true
        case "none": options.folding = false
        case let other?:
            throw UsageError(message: "--reduce \(other): export takes fold or none (persistent sets, sleep sets and symmetry are lockhunt's search, not the model's; pan has its own partial-order reduction)")
        }
        let result = ExportRunner(options: options).run()
        Output.err(result.errors)
        if result.exitCode == .ok && options.output == nil { Output.out(result.text) }
        return result.exitCode
    }
}
