import LockhuntKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// lockhunt: a deadlock-hunting model checker for the Linux kernel's page-migration lock ordering.
enum Commands {
    static let all: [any Command.Type] = [CheckCommand.self, ReplayCommand.self, ExplainCommand.self, GateCommand.self, MatrixCommand.self, ScaleCommand.self, ExportCommand.self, BenchCommand.self]
}

func mainUsage() -> String {
    var out = """
    usage: lockhunt COMMAND [OPTIONS] ...

    lockhunt explores every interleaving of a model of kernel threads (folio locks, buffer
    locks, writeback, I/O handoffs) and reports deadlocks and broken invariants with a shortest
    counterexample trace.

    commands:

    """
    for c in Commands.all { out += Format.pad("  \(c.name)", 12) + c.summary + "\n" }
    out += Format.pad("  help", 12) + "Show help for a command: lockhunt help COMMAND\n"
    out += """

    options:
      --help, -h   Show this help
      --version    Print the version

    exit codes: 0 ok (complete search, nothing found; replay reached its finding),
                1 finding (deadlock or violation; replay diverged), 2 usage, model or trace error,
                3 incomplete (a limit or ^C stopped the search: no verdict)

    """
    return out
}

func runMain(_ argv: [String]) -> Int32 {
    guard let first = argv.first else {
        Output.err(mainUsage())
        return ExitCode.error.rawValue
    }
    switch first {
    case "--help", "-h":
        Output.out(mainUsage())
        return 0
    case "--version":
        Output.out("lockhunt \(Lockhunt.version)\n")
        return 0
    case "help":
        guard argv.count > 1 else { Output.out(mainUsage()); return 0 }
        guard let c = Commands.all.first(where: { $0.name == argv[1] }) else {
            var message = "lockhunt: error: no command '\(argv[1])'"
            if let s = Suggest.closest(to: argv[1], among: Commands.all.map { $0.name }) { message += "; did you mean '\(s)'?" }
            Output.err(message + "\n")
            return ExitCode.error.rawValue
        }
        Output.out(c.help)
        return 0
    default:
        break
    }
    guard let c = Commands.all.first(where: { $0.name == first }) else {
        var message = "lockhunt: error: unknown command '\(first)'"
        if let s = Suggest.closest(to: first, among: Commands.all.map { $0.name } + ["help"]) { message += "; did you mean '\(s)'?" }
        Output.err(message + "\nrun 'lockhunt --help' for the list of commands\n")
        return ExitCode.error.rawValue
    }
    let rest = Array(argv.dropFirst())
    if rest.contains("--help") || rest.contains("-h") {
        Output.out(c.help)
        return 0
    }
    do {
        let args = try Arguments.parse(rest, specs: c.options, command: c.name)
        return try c.run(args).rawValue
    } catch let e as UsageError {
        Output.err("lockhunt \(c.name): error: \(e.message)\nusage: \(c.usage)\n")
        return ExitCode.error.rawValue
    } catch {
        Output.err("lockhunt \(c.name): error: \(error)\n")
        return ExitCode.error.rawValue
    }
}

exit(runMain(Array(CommandLine.arguments.dropFirst())))
