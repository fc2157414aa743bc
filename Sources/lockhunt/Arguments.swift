import Foundation
import LockhuntKit

/// One option a command accepts.
struct OptionSpec {
    var name: String
    /// Placeholder for the value (`N`, `DIR`); nil for a flag.
    var value: String?
    var help: String
    var repeatable = false
}

/// A usage error: printed with the command's usage line, exit code 2.
struct UsageError: Error {
    var message: String
}

/// Parsed command line of one subcommand.
struct Arguments {
    var positional: [String] = []
    var values: [String: [String]] = [:]
    var flags: Set<String> = []

    /// Parses `args` against `specs`: `--opt value`, `--opt=value`, `--flag`, `--` ends options.
    static func parse(_ args: [String], specs: [OptionSpec], command: String) throws -> Arguments {
        var result = Arguments()
        var i = 0
        var optionsDone = false
        while i < args.count {
            let a = args[i]
            i += 1
            if optionsDone || !a.hasPrefix("-") || a == "-" {
                result.positional.append(a)
                continue
            }
            if a == "--" { optionsDone = true; continue }
            var name = a
            var inline: String? = nil
            if let eq = a.firstIndex(of: "=") {
                name = String(a[..<eq])
                inline = String(a[a.index(after: eq)...])
            }
            guard let spec = specs.first(where: { $0.name == name }) else {
                var message = "unknown option '\(name)' for 'lockhunt \(command)'"
                if let s = Suggest.closest(to: name, among: specs.map(\.name)) { message += "; did you mean '\(s)'?" }
                throw UsageError(message: message)
            }
            if spec.value == nil {
                if inline != nil { throw UsageError(message: "option '\(name)' takes no value") }
                result.flags.insert(name)
                continue
            }
            let value: String
            if let inline { value = inline }
            else {
                guard i < args.count else { throw UsageError(message: "option '\(name)' needs a value (\(spec.value!))") }
                value = args[i]
                i += 1
            }
            if !spec.repeatable, result.values[name] != nil {
                throw UsageError(message: "option '\(name)' given twice")
            }
            result.values[name, default: []].append(value)
        }
        return result
    }

    func string(_ name: String) -> String? { values[name]?.last }
    func has(_ name: String) -> Bool { flags.contains(name) }

    func positiveInt(_ name: String) throws -> Int? {
        guard let v = string(name) else { return nil }
        let digits = v.replacingOccurrences(of: "_", with: "")
        guard let n = Int(digits), n > 0 else {
            throw UsageError(message: "invalid \(name) '\(v)': expected a positive whole number")
        }
        return n
    }

    /// `--jobs N`, at most `SearchOptions.maxJobs`; a larger N is lowered to it with a note on
    /// stderr (the result is the same for any number of threads).
    func jobs() throws -> Int? {
        guard let n = try positiveInt("--jobs") else { return nil }
        if n > SearchOptions.maxJobs {
            Output.err("lockhunt: note: --jobs \(n) is more than the \(SearchOptions.maxJobs) threads lockhunt uses at most; using \(SearchOptions.maxJobs)\n")
            return SearchOptions.maxJobs
        }
        return n
    }

    func positiveSeconds(_ name: String) throws -> Double? {
        guard let v = string(name) else { return nil }
        guard let d = Double(v), d > 0, d.isFinite else {
            throw UsageError(message: "invalid \(name) '\(v)': expected a positive number of seconds")
        }
        return d
    }

    /// `--max-memory SIZE` for a search; without it, three quarters of what this machine allows
    /// (MachineMemory), shared by `share` searches running at once, so that a search too large
    /// for the machine ends "incomplete" with its statistics instead of being killed by the
    /// kernel. `defaultFrom` is the machine whose default applies (nil when the user gave one),
    /// so that the command can say where the limit came from.
    func memoryLimit(share: Int = 1) throws -> (bytes: Int?, defaultFrom: MachineMemory?) {
        if let b = try byteSize("--max-memory") { return (b, nil) }
        let machine = Arguments.machineMemory()
        return (machine?.defaultSearchLimit(sharedBy: share), machine)
    }

    /// This machine's memory. `LOCKHUNT_SYSTEM_ROOT` names a folder to read `proc/self/cgroup`
    /// and `sys/fs/cgroup` from instead of `/`: the tests' fake control group, which is how they
    /// reach the default limit without filling the machine.
    static func machineMemory() -> MachineMemory? {
        MachineMemory.current(root: ProcessInfo.processInfo.environment["LOCKHUNT_SYSTEM_ROOT"] ?? "")
    }

    /// `--max-memory 8G`, `512M`, or bytes.
    func byteSize(_ name: String) throws -> Int? {
        guard let v = string(name) else { return nil }
        var text = v.uppercased()
        var scale = 1
        for (suffix, s) in [("GIB", 1 << 30), ("MIB", 1 << 20), ("KIB", 1 << 10), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)] where text.hasSuffix(suffix) {
            text.removeLast(suffix.count)
            scale = s
            break
        }
        guard let n = Int(text), n > 0, n <= Int.max / scale else {
            throw UsageError(message: "invalid \(name) '\(v)': expected a size such as 8G, 512M or a number of bytes")
        }
        return n * scale
    }

    /// `--param NAME=VALUE`, repeatable.
    func params() throws -> [(String, Int64)] {
        var out: [(String, Int64)] = []
        for p in values["--param"] ?? [] {
            let parts = p.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, parts[0].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw UsageError(message: "invalid --param '\(p)': expected NAME=VALUE, as in --param N=32")
            }
            guard let v = Int64(parts[1]) else {
                throw UsageError(message: "invalid --param '\(p)': '\(parts[1])' is not a whole number")
            }
            if out.contains(where: { $0.0 == String(parts[0]) }) {
                throw UsageError(message: "--param \(parts[0]) given twice")
            }
            out.append((String(parts[0]), v))
        }
        return out
    }

    func choice(_ name: String, _ allowed: [String]) throws -> String? {
        guard let v = string(name) else { return nil }
        guard allowed.contains(v) else {
            var message = "invalid \(name) '\(v)': expected \(allowed.map { "'\($0)'" }.joined(separator: ", "))"
            if let s = Suggest.closest(to: v, among: allowed) { message += "; did you mean '\(s)'?" }
            throw UsageError(message: message)
        }
        return v
    }
}
