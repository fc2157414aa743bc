import LockhuntKit

/// `lockhunt replay`: re-execute a trace step by step on the current model.
enum ReplayCommand: Command {
    static let name = "replay"
    static let summary = "Re-execute a counterexample trace on the current model, step by step"
    static let usage = "lockhunt replay TRACE [--model MODEL] [--policy NAME|FILE]"
    static let details = """
    Prints each step with the locks held and awaited after it. Steps are matched by thread,
    operation and outcome, so a trace still replays after edits that leave its path alone.
    exit: 0 the recorded finding is reached, 1 the run diverges (the step and why),
    2 the trace or its model cannot be read (where).
    """
    static let options: [OptionSpec] = [
        OptionSpec(name: "--model", value: "MODEL", help: "Replay on this model instead of the trace's"),
        OptionSpec(name: "--policy", value: "NAME", help: "Replay under this policy instead of the trace's"),
        OptionSpec(name: "--policy-dir", value: "DIR", help: "Where policy names are looked up"),
    ]

    static func run(_ args: Arguments) throws -> ExitCode {
        guard args.positional.count == 1 else {
            throw UsageError(message: args.positional.isEmpty ? "no trace given" : "replay takes one trace, got \(args.positional.count)")
        }
        var options = Replayer.Options(tracePath: args.positional[0])
        options.model = args.string("--model")
        options.policy = args.string("--policy")
        options.policyDir = args.string("--policy-dir")
        let result = Replayer(options: options).run()
        switch result.outcome {
        case .unreadable: Output.err(result.output)
        default: Output.out(result.output)
        }
        return result.exitCode
    }
}
