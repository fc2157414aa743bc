import Foundation
import LockhuntKit

/// `lockhunt replay`: re-execute a trace step by step on the current model.
enum ReplayCommand: Command {
    static let name = "replay"
    static let summary = "Re-execute a counterexample trace on the current model, step by step"
    static let usage = "lockhunt replay TRACE [--model MODEL] [--policy NAME|FILE] [--format text|svg|dot] [--output FILE] [--step]"
    static let details = """
    Prints each step with the locks held and awaited after it. Steps are matched by thread,
    operation and outcome, so a trace still replays after edits that leave its path alone.
    --format svg draws a sequence chart (one lane per thread, time downwards, the cycle in red);
    --format dot writes the wait-for graph at the finding and the lock-order graph of the run
    for graphviz. Both go to standard output, or to --output FILE (never replacing a different
    file unless --overwrite). --step walks the run forward and backward (n, p, g N, q).
    exit: 0 the recorded finding is reached, 1 the run diverges (the step and why),
    2 the trace or its model cannot be read (where).
    """
    static let options: [OptionSpec] = [
        OptionSpec(name: "--model", value: "MODEL", help: "Replay on this model instead of the trace's"),
        OptionSpec(name: "--policy", value: "NAME", help: "Replay under this policy instead of the trace's"),
        OptionSpec(name: "--policy-dir", value: "DIR", help: "Where policy names are looked up"),
        OptionSpec(name: "--format", value: "text|svg|dot", help: "Step-by-step text (default), a sequence chart, or graphviz graphs"),
        OptionSpec(name: "--output", value: "FILE", help: "Write the svg or dot output to FILE"),
        OptionSpec(name: "--overwrite", value: nil, help: "Let --output replace an existing file"),
        OptionSpec(name: "--step", value: nil, help: "Walk the run interactively (commands from standard input)"),
    ]

    static func run(_ args: Arguments) throws -> ExitCode {
        guard args.positional.count == 1 else {
            throw UsageError(message: args.positional.isEmpty ? "no trace given" : "replay takes one trace, got \(args.positional.count)")
        }
        let format = try args.choice("--format", ["text", "svg", "dot"]) ?? "text"
        let output = args.string("--output")
        if output != nil && format == "text" { throw UsageError(message: "--output goes with --format svg or dot") }
        if args.has("--step") && format != "text" { throw UsageError(message: "--step cannot be combined with --format \(format)") }
        var options = Replayer.Options(tracePath: args.positional[0])
        options.model = args.string("--model")
        options.policy = args.string("--policy")
        options.policyDir = args.string("--policy-dir")
        let result = Replayer(options: options).run()
        if case .unreadable = result.outcome {
            Output.err(result.output)
            return result.exitCode
        }
        guard let timeline = result.timeline else {
            Output.out(result.output)
            return result.exitCode
        }
        if args.has("--step") {
            let ending = result.output.split(separator: "\n").last.map(String.init) ?? ""
            StepWalker(timeline: timeline, finding: result.finding, ending: ending).run(input: { readLine() }, output: Output.out)
            return result.exitCode
        }
        if format == "text" {
            Output.out(result.output)
            return result.exitCode
        }
        if case .diverged = result.outcome {
            // The picture of a run that no longer reaches its finding would mislead.
            Output.err(result.output)
            return result.exitCode
        }
        let title = ReplayPictures.title(result)
        let text = format == "svg" ? SequenceChart().render(title: title, timeline: timeline, finding: result.finding)
                                   : LockGraphs().render(title: title, timeline: timeline, finding: result.finding)
        guard let path = output else {
            Output.out(text)
            return result.exitCode
        }
        do {
            try ReplayPictures.write(text, to: path, overwrite: args.has("--overwrite"))
        } catch {
            Output.err("lockhunt replay: error: \(error)\n")
            return .error
        }
        Output.err("wrote \(path)\n")
        return result.exitCode
    }
}
