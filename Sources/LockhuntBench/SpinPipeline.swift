import Foundation
import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExport
import LockhuntDriver

/// One model through SPIN, as a SPIN user would run it: `spin -a`, `gcc` on pan.c (with
/// `-DSAFETY`, and `-DNOREDUCE` for the unreduced comparison), then `./pan`, retried with a
/// larger `-DVECTORSZ` or `-m` depth when pan asks for it. The budget is for all of it, as
/// the time to a verdict: gcc on a large pan.c can take minutes.
struct SpinPipeline {
    var budgetSeconds: Double
    var memoryLimitBytes: Int
    var reduce: Bool

    static var available: Bool { Subprocess.which("spin") != nil && Subprocess.which("gcc") != nil }

    func run(promela: String) -> BenchMeasurement {
        var m = BenchMeasurement(tool: "spin")
        guard let spin = Subprocess.which("spin"), let gcc = Subprocess.which("gcc") else {
            m.note = "spin or gcc not installed"
            return m
        }
        let dir = NSTemporaryDirectory() + "lockhunt-bench-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do { try promela.write(toFile: dir + "/model.pml", atomically: true, encoding: .utf8) } catch {
            m.note = "cannot write the model: \(error)"
            return m
        }
        let start = Date()
        func left() -> Double { budgetSeconds - Date().timeIntervalSince(start) }
        func overBudget(_ what: String) -> BenchMeasurement {
            var over = m
            over.wallSeconds = Date().timeIntervalSince(start)
            over.note = "over \(Int(budgetSeconds)) s (\(what))"
            return over
        }
        let a = Subprocess.run(spin, ["-a", "model.pml"], cwd: dir, timeout: left())
        m.compileSeconds += a.seconds
        if a.timedOut { return overBudget("spin -a") }
        guard a.status == 0, FileManager.default.fileExists(atPath: dir + "/pan.c") else {
            m.note = "spin -a failed: \(String((a.stdout + a.stderr).prefix(300)))"
            return m
        }
        var vector = 1024
        var depth = 1_000_000
        var compiled = false
        for _ in 0..<6 {
            if !compiled {
                var flags = ["-O2", "-w", "-o", "pan", "pan.c", "-DSAFETY", "-DVECTORSZ=\(vector)",
                             "-DMEMLIM=\(memoryLimitBytes >> 20)"]
                if !reduce { flags.append("-DNOREDUCE") }
                let cc = Subprocess.run(gcc, flags, cwd: dir, timeout: max(0.1, left()))
                m.compileSeconds += cc.seconds
                if cc.timedOut { return overBudget("gcc") }
                guard cc.status == 0 else {
                    m.note = "gcc failed: \(String(cc.stderr.prefix(300)))"
                    return m
                }
                compiled = true
            }
            guard left() > 0 else { return overBudget("gcc") }
            let pan = Subprocess.run(dir + "/pan", ["-m\(depth)"], cwd: dir, timeout: left())
            let out = PanOutput(pan.stdout + pan.stderr)
            if let need = out.vectorSizeNeeded {
                vector = (need / 1024 + 1) * 1024
                compiled = false
                continue
            }
            if out.depthTooSmall && !pan.timedOut && depth < 100_000_000 {
                depth *= 10
                continue
            }
            m.wallSeconds = Date().timeIntervalSince(start)
            m.peakBytes = pan.peakBytes
            m.states = out.states
            m.transitions = out.transitions
            m.searchSeconds = out.seconds
            m.verdict = out.verdict
            if pan.timedOut {
                m.note = "over \(Int(budgetSeconds)) s"
            } else if out.memoryLimitReached {
                m.note = "over \(memoryLimitBytes >> 30) GiB"
            } else if out.verdict != "ok" && out.states != nil {
                // pan stops at its first error: a deadlock or violation is the verdict, reached.
                m.complete = true
            } else if out.incomplete || out.states == nil {
                m.note = "search not completed"
            } else {
                m.complete = true
            }
            return m
        }
        m.note = "pan could not be configured"
        return m
    }
}
