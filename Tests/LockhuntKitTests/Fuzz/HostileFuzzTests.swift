import Foundation
import Testing
import LockhuntKit

/// The hostile-input round of issue 15, as a fuzzer: random cases of the kinds of input that
/// once crashed, hung or misled lockhunt (paths that are not files, files that are not models,
/// sizes at the limits, thread and job counts, arithmetic at the edge of 64 bits, local loops,
/// signals at random moments, escape bytes), each run through the binary. Every case must end
/// with an exit code the README documents, in time, not killed by a signal, and without
/// printing a line of a file that is not a model (a canary holds a secret).
///
/// CI runs `LOCKHUNT_FUZZ_ITERATIONS / 50` cases (40 by default) from the fixed seed; `make fuzz`
/// runs more with a new seed. A failing case prints its number and seed: `LOCKHUNT_FUZZ_SEED=S`
/// repeats the run.
@Suite("Fuzzing: hostile paths, sizes, counts, arithmetic and signals")
struct HostileFuzzTests {
    static let cases = max(20, FuzzTests.iterations / 50)

    enum Kind: CaseIterable { case tracePath, include, size, threads, arithmetic, localLoop, signal, escapes }

    struct Case {
        var args: [String]
        var allowed: Set<Int32>
        /// Send this signal after the process has used some CPU time.
        var signal: Int32? = nil
        var description: String
    }

    /// Builds case `i` in `dir`, whose canary file holds `secret`.
    static func make(_ i: Int, in dir: String, canary: String) -> Case {
        var m = Mutator(seed: FuzzTests.seed &* 31 &+ UInt64(i))
        let kind = Kind.allCases[i % Kind.allCases.count]
        let abba = HardeningTests.abba
        func write(_ text: String, _ name: String = "m.lh") -> String { TestSupport.writeModel(text, name: name, in: dir) }
        switch kind {
        case .tracePath:
            let model = write(abba, "abba.lh")
            try? FileManager.default.createDirectory(atPath: dir + "/t", withIntermediateDirectories: true)
            let obstacle = HardeningTests.Obstacle.allCases[m.below(HardeningTests.Obstacle.allCases.count)]
            _ = obstacle.make(at: dir + "/t/abba.trace")
            if m.chance(50) { _ = HardeningTests.Obstacle.allCases[m.below(5)].make(at: dir + "/t/abba.2.trace") }
            return Case(args: ["check", model, "--trace-dir", dir + "/t"] + (m.chance(50) ? ["--all"] : []), allowed: [1],
                        description: "trace path: \(obstacle)")
        case .include:
            // Paths that are not models, links to them, folders, FIFOs, devices, long paths.
            let targets = [canary, "/etc/passwd", "/dev/zero", dir, dir + "/fifo.lh", dir + "/link.lh", dir + "/loop.lh",
                           dir + "/dangling.lh", String(repeating: "a/", count: 2_100) + "x.lh", "../../../../../../etc/shadow",
                           dir + "/x*/ c_code { } /*.lh", "\u{1B}[2J.lh"]
            mkfifo(dir + "/fifo.lh", 0o644)
            symlink(canary, dir + "/link.lh")
            symlink("loop.lh", dir + "/loop.lh")
            symlink(dir + "/nothing", dir + "/dangling.lh")
            let target = targets[m.below(targets.count)]
            let escaped = target.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            let model = write("include \"\(escaped)\";\n" + abba)
            return Case(args: ["check", model, "--no-trace", "--format", m.chance(50) ? "json" : "text"], allowed: [2],
                        description: "include \(target.prefix(80))")
        case .size:
            // A model at, just under or past the size limit, sparse or not.
            let limit = ModelLoader.maxFileBytes
            let size = [limit - 1, limit, limit + 1, 3 << 30][m.below(4)]
            let path = dir + "/size.lh"
            var text = Array(abba.utf8)
            text += Array(repeating: UInt8(ascii: " "), count: max(0, min(size, limit + 1) - text.count))
            _ = FileManager.default.createFile(atPath: path, contents: Data(text.prefix(min(size, limit + 1))))
            if size > limit + 1 { truncate(path, off_t(size)) }
            return Case(args: ["check", path, "--no-trace"], allowed: size > limit ? [2] : [1], description: "size \(size)")
        case .threads:
            let n = [1, 2, 32, 63, 64, 65, 200][m.below(7)]
            var text = "folio A;\n"
            for t in 0..<n { text += "thread t\(t) { folio_lock(A); folio_unlock(A); }\n" }
            let model = write(text)
            let jobs = ["1", "2", "3", "64", "65", "100000", "0", "-1", "x"][m.below(9)]
            return Case(args: ["check", model, "--no-trace", "--jobs", jobs, "--max-states", "20000", "--time-limit", "10"],
                        allowed: [0, 2, 3], description: "\(n) threads, --jobs \(jobs)")
        case .arithmetic:
            let values = ["0", "1", "-1", "2", "256", "32767", "-32768", "65536", "2147483647", "4294967296",
                          "3037000499", "3037000500", "4611686018427387904", "9223372036854775807", "-9223372036854775807"]
            let ops = ["+", "-", "*", "/", "%", "<<", ">>", "&", "|"]
            var expr = values[m.below(values.count)]
            for _ in 0..<(1 + m.below(6)) { expr = "(\(expr) \(ops[m.below(ops.count)]) \(m.chance(50) ? "x" : values[m.below(values.count)]))" }
            let constant = m.chance(30)
            let text = constant
                ? "const C = \(expr.replacingOccurrences(of: "x", with: "3"));\nshared int s;\nthread t { s = C; }\n"
                : "shared int s;\nthread t { int x = \(values[m.below(values.count)].count < 6 ? values[m.below(values.count)] : "7"); int y = \(expr) > 0; s = y; }\n"
            return Case(args: ["check", write(text), "--no-trace"], allowed: [0, 1, 2], description: "arithmetic \(expr)")
        case .localLoop:
            let bound = ["10", "1000", "32767"][m.below(3)]
            let depth = 1 + m.below(3)
            var body = "x = (x + 1) & 1;"
            for d in 0..<depth { body = "for (int i\(d) = 0; i\(d) < \(bound); i\(d)++) { \(body) }" }
            let text = "shared int s;\nthread t { int x = 0; \(body) s = x; }\nthread u { s = 1; }\n"
            return Case(args: ["check", write(text), "--no-trace", "--time-limit", "5", "--search", m.chance(50) ? "bfs" : "dfs"],
                        allowed: [0, 1, 2, 3], description: "\(depth) loops of \(bound)")
        case .signal:
            let sig = [SIGINT, SIGTERM, SIGHUP][m.below(3)]
            let model = write(LimitsTests.huge)
            if m.chance(50) {
                let gate = HardeningTests.slowGate()
                return Case(args: ["gate", gate, "--json", gate + "/j.json", "--trace-dir", gate + "/t"], allowed: [3],
                            signal: sig, description: "gate, signal \(sig)")
            }
            return Case(args: ["check", model, "--reduce", "none", "--no-trace", "--time-limit", "60"] + (m.chance(50) ? ["--all"] : []),
                        allowed: [3], signal: sig, description: "check, signal \(sig)")
        case .escapes:
            let junk = ["\u{1B}[2J", "\u{1B}]0;x\u{07}", "\r", "\u{9B}31m", "\u{08}\u{08}"][m.below(5)]
            if m.chance(50) {
                return Case(args: ["check", write("thread t { } // \(junk)\nthread t { }\n"), "--no-trace"], allowed: [2],
                            description: "escape in a model")
            }
            var trace = (try? String(contentsOfFile: TestSupport.root + "/Traces/loop-bh.v5.trace", encoding: .utf8)) ?? ""
            trace = trace.replacingOccurrences(of: "root: ..", with: "root: " + TestSupport.root)
                .replacingOccurrences(of: "kcompactd", with: "kcomp\(junk)actd")
            let path = dir + "/e.trace"
            _ = FileManager.default.createFile(atPath: path, contents: Data(trace.utf8))
            return Case(args: ["replay", path], allowed: [1, 2], description: "escape in a trace")
        }
    }

    /// What went wrong with case `i`, or nil.
    static func check(_ i: Int) -> String? {
        let dir = TestSupport.temporaryDirectory()
        let secret = "lockhunt-canary-\(i)-\(UUID().uuidString)"
        let canary = dir + "/canary.txt"
        _ = FileManager.default.createFile(atPath: canary, contents: Data("\(secret)\n".utf8))
        let c = make(i, in: dir, canary: canary)
        let r: ProcessRunner.Result
        if let sig = c.signal {
            guard let (result, _) = try? LimitsTests.interrupted(sig, args: c.args, in: dir) else { return "case \(i) (\(c.description)): could not start" }
            r = result
        } else {
            r = ProcessRunner.run(TestSupport.binary, c.args, cwd: dir, timeout: 60)
        }
        let output = r.stdout + r.stderr
        let name = "case \(i) (\(c.description), LOCKHUNT_FUZZ_SEED=\(FuzzTests.seed))"
        if r.timedOut { return "\(name): hangs" }
        if r.signaled { return "\(name): killed by a signal" }
        if !c.allowed.contains(r.status) { return "\(name): exit \(r.status), expected one of \(c.allowed.sorted())\n\(output.suffix(600))" }
        if r.status == 2 && !r.stderr.contains("error:") && !r.stdout.contains("error") { return "\(name): exit 2 without a diagnostic" }
        if output.contains(secret) || output.contains("root:x:0:0") { return "\(name): printed a file that is not a model" }
        // Not a terminal: not even the progress line may write an escape byte.
        if output.unicodeScalars.contains(where: { $0.value == 0x1B }) { return "\(name): a raw escape byte reached the output" }
        if let j = c.args.firstIndex(of: "--json"), let data = FileManager.default.contents(atPath: c.args[j + 1]),
           let doc = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           (doc["exitCode"] as? NSNumber)?.int32Value != r.status {
            return "\(name): the JSON says exit \(doc["exitCode"] ?? "?"), the process exited \(r.status)"
        }
        return nil
    }

    @Test("hostile cases through the command line: documented exit, no crash, no hang, no leak")
    func hostile() {
        // Two at a time: several cases start searches of their own.
        var failures: [String] = []
        for start in stride(from: 0, to: HostileFuzzTests.cases, by: 2) {
            failures += Differential.parallel(min(2, HostileFuzzTests.cases - start)) { HostileFuzzTests.check(start + $0) }.compactMap { $0 }
        }
        #expect(failures.isEmpty, "\(failures.prefix(5).joined(separator: "\n"))")
    }
}
