import Foundation
import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration
import LockhuntFindings
import LockhuntTraces
import LockhuntLockOrder
import LockhuntDriver
import LockhuntBench

/// The text of `lockhunt bench`: one table per family, policy and mode, lockhunt and SPIN side
/// by side, their ratios, and the largest size each completes within the budget.
public struct BenchReport {
    public init() {}

    /// Bytes per state are peak memory above the tool's own smallest run, per state; below this
    /// many states the fixed costs drown them, and they are not printed.
    static let minimumStatesForBytes = 20_000

    public func render(_ r: BenchRunner.Report, machine: String) -> String {
        let o = r.options
        var out = "lockhunt bench: \(machine)\n"
        out += "budget per run: \(Int(o.budgetSeconds)) s and \(o.maxMemory >> 30) GiB; sizes \(o.from) to \(o.to)\n"
        out += "time: to the verdict, within the budget (lockhunt: the whole process; SPIN: spin -a, gcc and pan,\n"
        out += "      of which gcc is also shown apart); states/s: over each tool's own search time\n"
        out += "B/state: peak memory above the tool's smallest run of the series, per state stored\n"
        for s in r.series {
            out += "\n" + header(s)
            out += table(s)
            let lh = s.largest(\.lockhunt).map { "N=\($0)" } ?? "none"
            let sp = s.rows.contains { $0.spin != nil } ? (s.largest(\.spin).map { "N=\($0)" } ?? "none") : "not run"
            out += "largest N within budget: lockhunt \(lh), SPIN \(sp)\n"
        }
        if let g = r.gateSeconds {
            out += "\ngate over \(o.gateModels ?? "Models") (every scenario x policy, every trace): \(Format.seconds(g)), exit \(r.gateStatus ?? -1)\n"
        }
        return out
    }

    func header(_ s: BenchRunner.Series) -> String {
        switch s.mode {
        case .unreduced:
            return "\(s.family) under \(s.policy), reductions off: lockhunt --reduce none --jobs 1; pan -DSAFETY -DNOREDUCE on export --reduce none\n"
        case .reduced:
            return "\(s.family) under \(s.policy), reductions on: lockhunt --reduce all (every core); pan -DSAFETY (partial-order reduction) on the folded export\n"
        case .ownReductions:
            return "\(s.family) under \(s.policy), reductions on, each tool its own: lockhunt --reduce all (every core); pan -DSAFETY (partial-order reduction) on export --reduce none\n"
        }
    }

    func table(_ s: BenchRunner.Series) -> String {
        let cols = ["N", "lockhunt states", "time", "states/s", "B/state", "peak MiB",
                    "SPIN states", "time", "states/s", "B/state", "peak MiB", "gcc s", "speed x", "B/state x"]
        var rows: [[String]] = []
        for row in s.rows {
            var cells = ["\(row.size)"]
            let lb = bytesPerState(row.lockhunt, baseline: s.lockhuntBaseline)
            let sb = bytesPerState(row.spin, baseline: s.spinBaseline)
            cells += measurement(row.lockhunt, lb)
            cells += measurement(row.spin, sb)
            cells.append(row.spin.map { String(format: "%.1f", $0.compileSeconds) } ?? "")
            // Ratios compare like with like: two complete searches of the same states. Runs that
            // stop at a deadlock stop wherever each tool's order meets it first.
            let comparable = [row.lockhunt, row.spin].allSatisfy { $0?.complete == true && $0?.verdict == "ok" }
            if let a = row.lockhunt?.statesPerSecond, let b = row.spin?.statesPerSecond, comparable {
                cells.append(String(format: "%.1f", a / b))
            } else { cells.append("") }
            if let a = lb, let b = sb, b > 0, comparable { cells.append(String(format: "%.2f", a / b)) } else { cells.append("") }
            rows.append(cells)
        }
        var widths = cols.map(\.count)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        func line(_ cells: [String]) -> String {
            var text = ""
            for (i, c) in cells.enumerated() {
                if i > 0 { text += i == 6 || i == 12 ? " | " : "  " }
                text += String(repeating: " ", count: widths[i] - c.count) + c
            }
            return text + "\n"
        }
        var out = line(cols)
        for r in rows { out += line(r) }
        return out
    }

    func bytesPerState(_ m: BenchMeasurement?, baseline: Int?) -> Double? {
        guard let m, m.complete, let states = m.states, states >= BenchReport.minimumStatesForBytes,
              let peak = m.peakBytes else { return nil }
        return Double(max(0, peak - (baseline ?? 0))) / Double(states)
    }

    func measurement(_ m: BenchMeasurement?, _ bytes: Double?) -> [String] {
        guard let m else { return ["", "", "", "", ""] }
        if !m.complete {
            return [m.note ?? "incomplete", "", "", "", m.peakBytes.map { mib($0) } ?? ""]
        }
        return [(m.states.map(Format.count) ?? "?") + (m.verdict == "ok" ? "" : " " + m.verdict),
                m.wallSeconds.map { String(format: "%.2f", $0) } ?? "",
                m.statesPerSecond.map { Format.count(Int($0)) } ?? "",
                bytes.map { String(format: "%.0f", $0) } ?? "-",
                m.peakBytes.map { mib($0) } ?? ""]
    }

    func mib(_ bytes: Int) -> String { String(format: "%.0f", Double(bytes) / 1_048_576) }
}
