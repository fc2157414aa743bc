import Foundation
import LockhuntKit

/// `lockhunt gate`: the CI regression gate over the scenario x policy matrix.
enum GateCommand: Command {
    static let name = "gate"
    static let summary = "Check every scenario under every policy its expectations name, and replay every trace"
    static let usage = "lockhunt gate [DIR|MODEL...] [--junit FILE] [--json FILE] [--update-traces] [--trace-dir DIR]"
    static let details = """
    DIR (default Models) holds scenarios/ and policies/; each scenario's `expect VERDICT under
    POLICY, ...` lines say which pairs to check. A finding writes its counterexample to the trace
    folder as <scenario>.<policy>.trace if none is committed; every trace there is then replayed
    against the current models.
    exit: 0 everything matches; 1 a mismatch, an incomplete search, a trace that no longer
    replays, a new finding whose trace is not committed, or a stale docs/MATRIX.md; 2 an error;
    3 interrupted (^C).
    --update-traces rewrites the committed traces (and removes those of pairs that no longer
    have a finding) after an intended model change; commit the result.
    """
    static let options: [OptionSpec] = [
        OptionSpec(name: "--junit", value: "FILE", help: "Write JUnit XML: one test case per scenario x policy and per trace"),
        OptionSpec(name: "--json", value: "FILE", help: "Write the full results as JSON"),
        OptionSpec(name: "--update-traces", value: nil, help: "Rewrite the committed traces after an intended model change"),
        OptionSpec(name: "--matrix", value: "FILE", help: "Fail when FILE differs from 'lockhunt matrix' (default docs/MATRIX.md, if present)"),
        OptionSpec(name: "--no-matrix", value: nil, help: "Do not check the matrix file"),
        OptionSpec(name: "--update-matrix", value: nil, help: "Rewrite the matrix file when it is stale"),
        OptionSpec(name: "--trace-dir", value: "DIR", help: "The committed traces (default Traces)"),
        OptionSpec(name: "--policy-dir", value: "DIR", help: "Where policy names are looked up"),
        OptionSpec(name: "--jobs", value: "N", help: "Checks run at once (default: one per core)"),
        OptionSpec(name: "--time-limit", value: "SECONDS", help: "Per check; a check that hits it fails the gate as incomplete"),
        OptionSpec(name: "--max-states", value: "N", help: "Per check; likewise"),
        OptionSpec(name: "--max-memory", value: "SIZE", help: "Per check; likewise (default: 3/4 of the machine's memory, shared by the checks at once)"),
    ]

    static func run(_ args: Arguments) throws -> ExitCode {
        var options = GateOptions()
        if !args.positional.isEmpty { options.inputs = args.positional }
        options.traceDir = args.string("--trace-dir") ?? "Traces"
        options.policyDir = args.string("--policy-dir")
        options.updateTraces = args.has("--update-traces")
        options.updateMatrix = args.has("--update-matrix")
        if !args.has("--no-matrix") {
            if let m = args.string("--matrix") { options.matrixFile = m }
            else if args.positional.isEmpty, FileManager.default.fileExists(atPath: "docs/MATRIX.md") { options.matrixFile = "docs/MATRIX.md" }
        }
        if let j = try args.jobs() { options.jobs = j }
        options.search.timeLimit = try args.positiveSeconds("--time-limit")
        options.search.maxStates = try args.positiveInt("--max-states")
        let memory = try args.memoryLimit(share: options.jobs)
        options.search.maxMemory = memory.bytes
        Interrupt.install()
        options.search.shouldStop = Interrupt.poll
        var result = GateRunner(options: options).run()
        // The files first: a file that cannot be written is an error of this run, which the
        // report (and the JSON) must say rather than end in "gate: ok".
        if let path = args.string("--junit"), let why = write(path, JUnitReport().render(result)) {
            result.errors.append("cannot write --junit \(path): \(why)")
        }
        if let path = args.string("--json") {
            if let why = write(path, GateJSON().render(result)) {
                result.errors.append("cannot write --json \(path): \(why)")
            }
        }
        Output.out(GateReport().render(result))
        if let m = memory.defaultFrom, result.cells.contains(where: { if case .incomplete(.maxMemory) = $0.result.outcome { true } else { false } }) {
            Output.out("  \(m.defaultLimitNote(sharedBy: options.jobs))\n")
        }
        return result.exitCode
    }

    /// Writes `text` to `path` atomically; nil, or why it could not.
    static func write(_ path: String, _ text: String) -> String? {
        do { try AtomicFile.replace(path, contents: text) } catch { return "\(error)" }
        return nil
    }
}
