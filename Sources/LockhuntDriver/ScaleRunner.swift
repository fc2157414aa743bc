import Foundation
import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration
import LockhuntFindings
import LockhuntTraces
import LockhuntLockOrder
import LockhuntExport

/// `lockhunt scale`: how far a model parameterised by a size (folios per batch, writers) can be
/// verified. Exhaustive searches at growing sizes, within a budget, give exact verdicts; past the
/// largest size they reach, the static wait graph (LockOrder/WaitGraph.swift), computed at each
/// size, rules out cyclic deadlocks where it is acyclic, and every deadlock where moreover no
/// task can be left waiting for a release nobody makes. Where it has a cycle, no argument
/// applies, and the report says so, naming the cycle.
public struct ScaleRunner {
    public struct Options: Sendable {
        public var model: String
        public var policy: PolicyRef?
        /// The size parameter; the model's only parameter when nil.
        public var parameter: String?
        public var from = 2
        public var to = 512
        public var otherParams: [(String, Int64)] = []
        public var search = SearchOptions()

        public init(model: String) { self.model = model }
    }

    public struct Row: Sendable {
        public enum Verdict: Sendable, Equatable {
            case exhaustive(String)         // ok / deadlock / violation
            case incomplete(SearchLimit)
            /// The wait graph rules out every deadlock.
            case staticNoDeadlock
            /// It rules out cyclic deadlocks; the reasons others remain possible.
            case staticNoCycle([String])
            /// It has this cycle (one line per wait).
            case staticCycle([String])
            case error(String)
        }
        public var size: Int
        public var verdict: Verdict
        public var states = 0
        public var seconds = 0.0
    }

    public struct Report: Sendable {
        public var parameter: String
        public var rows: [Row]
        /// The largest size verified exhaustively with no finding.
        public var largestVerified: Int?
        /// Past it, the largest size up to which the wait graph rules out every deadlock.
        public var staticUpTo: Int?
        /// Past it, the largest size up to which the wait graph rules out cyclic deadlocks.
        public var acyclicUpTo: Int?
        public var finding: Row?
    }

    public let options: Options

    public init(options: Options) { self.options = options }

    /// Sizes tried: 2, 4, 6, 8, 12, 16, 24, 32, 48, 64, ... within [from, to].
    public static func sizes(from: Int, to: Int) -> [Int] {
        var out: [Int] = []
        var n = 2, step = 2
        while n <= to {
            if n >= from { out.append(n) }
            n += step
            if n >= 4 * step { step *= 2 }
        }
        if out.isEmpty || out.last! < to { if to >= from { out.append(to) } }
        return out
    }

    func compile(_ size: Int, _ parameter: String) -> (Program?, String) {
        Program.load(model: options.model, policy: options.policy, params: options.otherParams + [(parameter, Int64(size))])
    }

    public func run() -> Result<Report, UserError> {
        // Find the size parameter.
        let (probe, errors) = Program.load(model: options.model, policy: options.policy, params: options.otherParams)
        guard let p0 = probe else { return .failure(UserError(errors.trimmingCharacters(in: .newlines))) }
        let declared = p0.effectiveParams.map(\.name).filter { name in !options.otherParams.contains { $0.0 == name } }
        let parameter: String
        if let wanted = options.parameter {
            guard declared.contains(wanted) else {
                var message = "the model has no parameter '\(wanted)'"
                if let s = Suggest.closest(to: wanted, among: declared) { message += "; did you mean '\(s)'?" }
                return .failure(UserError(message))
            }
            parameter = wanted
        } else {
            guard declared.count == 1 else {
                return .failure(UserError(declared.isEmpty ? "the model has no parameter to scale" : "the model has several parameters (\(declared.joined(separator: ", "))); name one with --param-name"))
            }
            parameter = declared[0]
        }
        var report = Report(parameter: parameter, rows: [], largestVerified: nil, staticUpTo: nil, acyclicUpTo: nil, finding: nil)
        let sizes = ScaleRunner.sizes(from: options.from, to: options.to)
        var staticFrom = sizes.count
        // Exhaustive, while the budget holds.
        for (i, n) in sizes.enumerated() {
            let (program, errs) = compile(n, parameter)
            guard let program else {
                report.rows.append(Row(size: n, verdict: .error(errs.trimmingCharacters(in: .newlines))))
                return .success(report)
            }
            let r = Explorer(program: program, options: options.search).run()
            var row = Row(size: n, verdict: .exhaustive("ok"), states: r.stats.states, seconds: r.stats.seconds)
            if let f = r.findings.first {
                if case .deadlock = f.kind { row.verdict = .exhaustive("deadlock") } else { row.verdict = .exhaustive("violation") }
                report.rows.append(row)
                report.finding = row
                return .success(report)
            }
            if let limit = r.limit {
                row.verdict = .incomplete(limit)
                report.rows.append(row)
                staticFrom = i
                break
            }
            report.rows.append(row)
            report.largestVerified = n
        }
        // Past that, the static argument, size by size.
        for n in sizes.dropFirst(staticFrom) {
            let (program, errs) = compile(n, parameter)
            guard let program else {
                report.rows.append(Row(size: n, verdict: .error(errs.trimmingCharacters(in: .newlines))))
                break
            }
            let start = Date()
            let graph = WaitGraph(program: program)
            let seconds = Date().timeIntervalSince(start)
            switch graph.verdict {
            case .possibleCycle(let edges):
                report.rows.append(Row(size: n, verdict: .staticCycle(edges.map { graph.describe($0, in: program) }), seconds: seconds))
            case .noCyclicDeadlock(let open):
                report.rows.append(Row(size: n, verdict: .staticNoCycle(open.map { graph.describe($0, in: program) }), seconds: seconds))
                report.acyclicUpTo = n
            case .noDeadlock:
                report.rows.append(Row(size: n, verdict: .staticNoDeadlock, seconds: seconds))
                if report.staticUpTo == report.acyclicUpTo { report.staticUpTo = n }
                report.acyclicUpTo = n
            }
            if case .staticCycle = report.rows.last!.verdict { break }
        }
        return .success(report)
    }
}

/// The text of a scale report.
public struct ScaleReport {
    public init() {}

    public func render(_ r: ScaleRunner.Report, model: String, policy: String?, to: Int) -> String {
        let k = r.parameter
        var out = "\(model)\(policy.map { " under policy \($0)" } ?? ""), scaling \(k):\n\n"
        for row in r.rows {
            let size = Format.pad("\(k)=\(row.size)", 14)
            switch row.verdict {
            case .exhaustive(let v):
                out += "  \(size)\(Format.pad(v, 20))exhaustive: \(Format.count(row.states)) states, \(Format.seconds(row.seconds))\n"
            case .incomplete(let l):
                out += "  \(size)\(Format.pad("incomplete", 20))the search stopped at its \(l.rawValue) (\(Format.count(row.states)) states)\n"
            case .staticNoDeadlock:
                out += "  \(size)\(Format.pad("no deadlock", 20))static: acyclic wait graph, nothing left open\n"
            case .staticNoCycle(let open):
                out += "  \(size)\(Format.pad("no cyclic deadlock", 20))static: acyclic wait graph; open: \(open.first ?? "")"
                out += open.count > 1 ? " (and \(open.count - 1) more)\n" : "\n"
            case .staticCycle(let lines):
                out += "  \(size)\(Format.pad("no verdict", 20))static: the wait graph has a cycle:\n"
                for l in lines { out += "  \(Format.pad("", 14))\(Format.pad("", 20))  \(l)\n" }
            case .error(let e):
                out += "  \(size)error: \(e)\n"
            }
        }
        out += "\n"
        if let f = r.finding, case .exhaustive(let v) = f.verdict {
            out += "\(v) at \(k)=\(f.size): run 'lockhunt check' at that size for the trace\n"
            return out
        }
        if let v = r.largestVerified {
            out += "verified exhaustively (every interleaving): no deadlock and no violation for \(k) up to \(v)\n"
        } else {
            out += "no size was verified exhaustively within the budget\n"
        }
        let base = r.largestVerified ?? 0
        // What the exhaustive searches covered, in words: "up to N=8", or nothing at all.
        let searched = r.largestVerified.map { "only by the exhaustive searches, up to \(k)=\($0)" }
            ?? "by no search: none completed"
        if let s = r.staticUpTo {
            out += "static argument: no deadlock for \(k) up to \(s): at every size checked\(r.largestVerified.map { " past \($0)" } ?? ""), the wait\n"
            out += "graph is acyclic, so no tasks can wait on each other in a cycle, and every lock and\n"
            out += "writeback flag a task sets it clears again before it finishes, so no task can wait for a\n"
            out += "release that nobody makes. Assertions and misuse of the primitives are checked\n"
            out += "\(searched).\n"
        }
        if let a = r.acyclicUpTo, a != r.staticUpTo {
            out += "static argument: no cyclic deadlock for \(k) up to \(a): the wait graph is acyclic there, but\n"
            out += "a task may be left waiting for a release nobody makes (the open ends above), which is ruled out\n"
            out += "\(searched).\n"
        }
        let reached = r.staticUpTo ?? base
        if reached < to {
            out += reached == 0 ? "no argument gives a full verdict at any size" : "no argument gives a full verdict past \(k)=\(reached)"
            if let last = r.rows.last, case .staticCycle = last.verdict {
                out += ": at \(k)=\(last.size) the wait graph has a cycle, and the static\nanalysis cannot tell it from a real one (it follows each lock on its own through a task's\nloops, sets and return codes, but not how two locks relate: which element a computed index\nnames, or what a task holds when it waits for another object)\n"
            } else {
                out += "\n"
            }
        }
        return out
    }
}
