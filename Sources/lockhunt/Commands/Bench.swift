import Foundation
import LockhuntKit

/// `lockhunt bench`: lockhunt beside SPIN on the benchmark families (make bench).
enum BenchCommand: Command {
    static let name = "bench"
    static let summary = "Measure lockhunt beside SPIN on the benchmark families at growing sizes (make bench)"
    static let usage = "lockhunt bench [DIR|MODEL...] [--policy P]... [--mode unreduced|reduced|own|all] [--budget SECONDS] [--max-memory SIZE] [--to N] [--output FILE]"
    static let details = """
    Each family (default Models/bench) runs under each policy its 'expect' lines name, at
    N = 2, 4, 6, 8, 12, 16, 24, 32, ... up to --to, by lockhunt and by SPIN on the exported
    Promela model, until each exceeds the budget (default 60 s and 8 GiB per run). With
    reductions off on both sides (lockhunt --reduce none --jobs 1; pan -DSAFETY -DNOREDUCE on
    export --reduce none: no folding either) the state counts are equal and the figures compare
    raw speed and memory per state; with reductions on (lockhunt --reduce all on every core)
    they compare reach, twice: pan -DSAFETY on the folded export (reduced: SPIN has lockhunt's
    folding as well as its own partial-order reduction) and on export --reduce none (own: each
    tool with its own reductions on the same model). Then the gate over Models is timed.
    Progress goes to stderr; docs/BENCH-RUNS.md keeps runs.
    exit: 0 done, 2 usage error.
    """
    static let options: [OptionSpec] = [
        OptionSpec(name: "--policy", value: "NAME", help: "Only this policy (repeatable; default: each family's expectations)", repeatable: true),
        OptionSpec(name: "--mode", value: "unreduced|reduced|own|all", help: "Which comparison (default all three)"),
        OptionSpec(name: "--budget", value: "SECONDS", help: "Time per run (default 60)"),
        OptionSpec(name: "--max-memory", value: "SIZE", help: "Memory per run (default 8G)"),
        OptionSpec(name: "--from", value: "N", help: "Smallest size (default 2)"),
        OptionSpec(name: "--to", value: "N", help: "Largest size (default 512)"),
        OptionSpec(name: "--jobs", value: "N", help: "lockhunt's search threads with reductions on (default: one per core)"),
        OptionSpec(name: "--no-spin", help: "Measure lockhunt only"),
        OptionSpec(name: "--no-gate", help: "Do not time the gate"),
        OptionSpec(name: "--output", value: "FILE", help: "Also write the report to FILE (atomically)"),
    ]

    static func run(_ args: Arguments) throws -> ExitCode {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var o = BenchRunner.Options(lockhunt: me)
        if !args.positional.isEmpty { o.inputs = args.positional }
        let policies = args.values["--policy"] ?? []
        if !policies.isEmpty { o.policies = policies }
        switch args.string("--mode") ?? "all" {
        case "all": o.modes = BenchRunner.Mode.allCases
        case let m:
            guard let mode = BenchRunner.Mode(rawValue: m) else {
                throw UsageError(message: "invalid --mode '\(m)': expected unreduced, reduced, own or all")
            }
            o.modes = [mode]
        }
        o.budgetSeconds = try args.positiveSeconds("--budget") ?? 60
        o.maxMemory = try args.byteSize("--max-memory") ?? 8 << 30
        o.from = try args.positiveInt("--from") ?? 2
        o.to = try args.positiveInt("--to") ?? 512
        if o.to < o.from { throw UsageError(message: "--to \(o.to) is below --from \(o.from)") }
        if let j = try args.jobs() { o.jobs = j }
        if args.has("--no-spin") { o.spin = false }
        if args.has("--no-gate") { o.gateModels = nil }
        if o.spin && Subprocess.which("spin") == nil {
            Output.err("lockhunt bench: spin is not installed (apt-get install -y spin gcc, or .ci/deps); measuring lockhunt only\n")
        }
        var runner = BenchRunner(options: o)
        runner.progress = { line in Output.err("  \(line)\n") }
        switch runner.run() {
        case .failure(let e):
            Output.err("lockhunt bench: error: \(e.message)\n")
            return .error
        case .success(let report):
            let text = BenchReport().render(report, machine: MachineDescription.current())
            Output.out(text)
            if let path = args.string("--output") {
                do { try AtomicFile.replace(path, contents: text) } catch { throw UsageError(message: "\(error)") }
            }
            return .ok
        }
    }
}
