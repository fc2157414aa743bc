import LockhuntKit

/// `lockhunt matrix`: verdicts and costs of every scenario x policy pair, as markdown.
enum MatrixCommand: Command {
    static let name = "matrix"
    static let summary = "Print the verdict and the cost of every scenario x policy pair as a markdown table"
    static let usage = "lockhunt matrix [DIR|MODEL...] [--write FILE]"
    static let details = """
    For every pair the scenarios' expectations name: the verdict, and over every complete run the
    most folio locks a migrator holds at once, the most blocking calls in one run, how many runs
    give a folio up, and TLB flushes per folios migrated (where the scenario counts them).
    docs/MATRIX.md is this output; the gate fails when it is stale.
    """
    static let options: [OptionSpec] = [
        OptionSpec(name: "--write", value: "FILE", help: "Write the markdown to FILE (atomically) instead of stdout"),
        OptionSpec(name: "--policy-dir", value: "DIR", help: "Where policy names are looked up"),
        OptionSpec(name: "--jobs", value: "N", help: "Pairs computed at once (default: one per core)"),
    ]

    static func run(_ args: Arguments) throws -> ExitCode {
        var runner = MatrixRunner(inputs: args.positional.isEmpty ? ["Models"] : args.positional, policyDir: args.string("--policy-dir"))
        if let j = try args.jobs() { runner = MatrixRunner(inputs: runner.inputs, policyDir: runner.policyDir, jobs: j) }
        let (set, rows) = runner.run()
        if !set.errors.isEmpty {
            Output.err(set.errors.joined(separator: "\n") + "\n")
            return .error
        }
        let text = MatrixMarkdown().render(set, rows)
        if let path = args.string("--write") {
            do { try AtomicFile.replace(path, contents: text) } catch { throw UsageError(message: "\(error)") }
            Output.out("wrote \(path)\n")
        } else {
            Output.out(text)
        }
        return .ok
    }
}
