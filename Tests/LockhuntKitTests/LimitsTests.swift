import Foundation
import Testing
import LockhuntKit

/// Limits, interrupts and determinism, end to end through the binary: a stopped search says
/// "incomplete" with its statistics and exits 3, writes no trace, and the same input always
/// gives the same output.
@Suite("Limits and determinism")
struct LimitsTests {
    /// Four counters to 60: 61^4 states, far more than any test waits for (unreduced: the
    /// partial-order reduction sees that the counters are independent, and needs 241).
    static let huge = """
    shared int a, b, c, d;
    thread t1 { for (int i = 0; i < 60; i++) a = a + 1; }
    thread t2 { for (int i = 0; i < 60; i++) b = b + 1; }
    thread t3 { for (int i = 0; i < 60; i++) c = c + 1; }
    thread t4 { for (int i = 0; i < 60; i++) d = d + 1; }

    """

    /// Starts `lockhunt check` on the huge model, sends `sig` once it runs, and returns the result.
    static func interrupted(_ sig: Int32) throws -> (ProcessRunner.Result, String) {
        let dir = TestSupport.temporaryDirectory()
        let model = TestSupport.writeModel(huge, in: dir)
        return try interrupted(sig, args: ["check", model, "--reduce", "none", "--trace-dir", dir + "/Traces", "--time-limit", "120"], in: dir)
    }

    /// Starts lockhunt with `args` in `dir`, sends `sig` once it has used some CPU time, and
    /// returns the result.
    static func interrupted(_ sig: Int32, args: [String], in dir: String) throws -> (ProcessRunner.Result, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TestSupport.binary)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        let out = dir + "/out", err = dir + "/err"
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        p.standardOutput = FileHandle(forWritingAtPath: out)
        p.standardError = FileHandle(forWritingAtPath: err)
        try p.run()
        // The handler is installed before the model is even read. Wait until the search is
        // under way: until the process has used some CPU time, not for a fixed wall-clock
        // time, which a loaded machine (the rest of the suite on two cores) may spend before
        // the process has even read its model.
        let deadline = Date().addingTimeInterval(60)
        while p.isRunning, LimitsTests.cpuSeconds(p.processIdentifier) < 0.3, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        kill(p.processIdentifier, sig)
        // A process deaf to the signal (as lockhunt once was inside long local code) is killed
        // after a minute and reported as timed out, rather than hanging the suite.
        let stopBy = Date().addingTimeInterval(60)
        while p.isRunning && Date() < stopBy { Thread.sleep(forTimeInterval: 0.02) }
        let deaf = p.isRunning
        if deaf { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        let result = ProcessRunner.Result(status: p.terminationStatus,
                                          stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                                          stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "",
                                          timedOut: deaf, signaled: !deaf && p.terminationReason == .uncaughtSignal,
                                          seconds: 0, peakBytes: 0)
        return (result, dir)
    }

    /// The user and system CPU time a process has used so far (Linux: /proc/PID/stat).
    static func cpuSeconds(_ pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        // After "pid (comm)": state is field 3, utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    @Test("^C stops the search: statistics so far, verdict incomplete, exit 3, no trace", arguments: [SIGINT, SIGTERM])
    func interrupt(_ sig: Int32) throws {
        let (r, dir) = try LimitsTests.interrupted(sig)
        #expect(!r.signaled, "killed by the signal instead of stopping")
        #expect(r.status == 3, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("INCOMPLETE: the search stopped at an interrupt"), "\(r.stdout)")
        let states = r.stdout.split(separator: "\n").first { $0.contains("states ") }
        #expect(states != nil && !(states!.contains("states 0,")), "\(r.stdout)")
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: dir + "/Traces")) ?? []
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    @Test("--max-memory stops the search with its statistics and exit 3")
    func maxMemory() {
        let dir = TestSupport.temporaryDirectory()
        let model = TestSupport.writeModel(LimitsTests.huge, in: dir)
        let r = TestSupport.lockhunt(["check", model, "--reduce", "none", "--max-memory", "1M", "--trace-dir", dir])
        #expect(r.status == 3)
        #expect(r.stdout.contains("INCOMPLETE: the search stopped at --max-memory"), "\(r.stdout)")
        #expect(r.stdout.contains("states "))
        let bad = TestSupport.lockhunt(["check", model, "--max-memory", "lots"])
        #expect(bad.status == 2 && bad.stderr.contains("invalid --max-memory 'lots'"))
    }

    /// A fake machine: `/proc/self/cgroup` and the control group files under a folder.
    static func machine(cgroup: String, files: [String: String]) -> String {
        let root = TestSupport.temporaryDirectory()
        for (path, text) in files.merging(["/proc/self/cgroup": cgroup], uniquingKeysWith: { a, _ in a }) {
            try? FileManager.default.createDirectory(atPath: root + (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: root + path, contents: Data(text.utf8))
        }
        return root
    }

    @Test("without --max-memory a search may hold 3/4 of the physical memory or of a smaller control group limit")
    func defaultMemoryLimit() {
        let gib = 1 << 30
        // cgroup v2, limited: the group's memory.max wins over the physical memory.
        let v2 = LimitsTests.machine(cgroup: "0::/ci.slice/job\n", files: ["/sys/fs/cgroup/ci.slice/job/memory.max": "4294967296\n"])
        let limited = MachineMemory.current(root: v2, physical: 24 * gib)
        #expect(limited == MachineMemory(bytes: 4 * gib, source: "control group limit"))
        #expect(limited?.defaultSearchLimit == 3 * gib)
        #expect(limited?.defaultSearchLimit(sharedBy: 2) == 3 * gib / 2 && limited?.defaultSearchLimit(sharedBy: 0) == 3 * gib)
        // "max" is no limit; nor is v1's page-rounded Int.max; a larger limit than the machine
        // has is not believed either.
        for (cgroup, files) in [("0::/\n", ["/sys/fs/cgroup/memory.max": "max\n"]),
                                ("4:memory:/job\n0::/\n", ["/sys/fs/cgroup/memory/job/memory.limit_in_bytes": "9223372036854771712\n"]),
                                ("4:cpu,memory:/\n", ["/sys/fs/cgroup/memory/memory.limit_in_bytes": "\(64 * gib)\n"])] {
            let m = MachineMemory.current(root: LimitsTests.machine(cgroup: cgroup, files: files), physical: 24 * gib)
            #expect(m == MachineMemory(bytes: 24 * gib, source: "physical memory"), "\(cgroup)")
        }
        // cgroup v1, limited, the group mounted at the root as in a container.
        let v1 = LimitsTests.machine(cgroup: "9:memory:/docker/abc\n", files: ["/sys/fs/cgroup/memory/memory.limit_in_bytes": "\(2 * gib)\n"])
        #expect(MachineMemory.current(root: v1, physical: 24 * gib)?.bytes == 2 * gib)
        // This machine: something, and no more than it has.
        let here = MachineMemory.current()
        #expect(here != nil && here!.bytes > 0 && here!.defaultSearchLimit < here!.bytes)
    }

    @Test("without --max-memory, check stops at the default limit and says where it came from; a given limit is the user's")
    func defaultLimitThroughBinary() {
        let dir = TestSupport.temporaryDirectory()
        let model = TestSupport.writeModel(LimitsTests.huge, in: dir)
        // A control group of 8 MiB: the default is 6 MiB, far below this machine's memory.
        let env = ["LOCKHUNT_SYSTEM_ROOT": LimitsTests.machine(cgroup: "0::/\n", files: ["/sys/fs/cgroup/memory.max": "\(8 << 20)\n"])]
        // The time limit only keeps a broken default from filling the machine: with the default
        // the search stops within a second.
        let r = TestSupport.lockhunt(["check", model, "--reduce", "none", "--trace-dir", dir, "--time-limit", "20"], environment: env)
        #expect(r.status == 3, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("INCOMPLETE: the search stopped at --max-memory"), "\(r.stdout)")
        #expect(r.stdout.contains("the memory limit was the default, 6.0 MiB: 3/4 of this machine's control group limit (8.0 MiB)"), "\(r.stdout)")
        let given = TestSupport.lockhunt(["check", model, "--reduce", "none", "--trace-dir", dir, "--max-memory", "4M"], environment: env)
        #expect(given.status == 3 && !given.stdout.contains("the memory limit was the default"), "\(given.stdout)")
        // explain's search (all reductions) has the same default: counters on one shared
        // variable, of different lengths, so that neither partial-order reduction nor symmetry
        // shrinks them.
        let shared = TestSupport.writeModel("""
        shared int a;
        thread t1 { for (int i = 0; i < 60; i++) a = a + 1; }
        thread t2 { for (int i = 0; i < 61; i++) a = a + 1; }
        thread t3 { for (int i = 0; i < 62; i++) a = a + 1; }
        thread t4 { for (int i = 0; i < 63; i++) a = a + 1; }

        """, name: "shared.lh", in: dir)
        let explained = TestSupport.lockhunt(["explain", shared, "--time-limit", "20"], environment: env)
        #expect(explained.status == 3 && explained.stdout.contains("stopped at max-memory"), "\(explained.stdout)\(explained.stderr)")
    }

    /// The report without what a clock decides.
    static func untimed(_ text: String) -> String {
        text.replacingOccurrences(of: #", time [0-9.]+ s, [0-9,.]+[kM]? states/s"#, with: "", options: .regularExpression)
    }

    @Test("the same model, policy and parameters give the same verdict, statistics and trace, byte for byte")
    func deterministic() throws {
        // In the library: every statistic but the time, and the trace text.
        let program = try #require(TestSupport.compile(path: TestSupport.root + "/Models/scenarios/loop-bh.lh", policy: TestSupport.policy("v5")).program)
        let runs = (0..<2).map { _ in TestSupport.explore(program) { $0.allFindings = true } }
        for r in runs.dropFirst() {
            var (a, b) = (r.stats, runs[0].stats)
            a.seconds = 0
            b.seconds = 0
            #expect(a == b)
            #expect(r.findings.map(\.path) == runs[0].findings.map(\.path))
        }
        // Through the binary, in two fresh trace folders: the same report and the same trace bytes.
        let params = TestSupport.fixture("semantics/params-and-arrays.lh")
        for (args, trace) in [(["Models/scenarios/loop-bh.lh", "--policy", "v5"], "loop-bh.v5.trace"),
                              ([params, "--param", "N=3"], "params-and-arrays.trace")] {
            var outputs: [String] = [], traces: [Data] = []
            for _ in 0..<2 {
                let dir = TestSupport.temporaryDirectory()
                let r = TestSupport.lockhunt(["check"] + args + ["--trace-dir", dir + "/Traces"])
                #expect(r.status == 1, "\(r.stdout)")
                outputs.append(LimitsTests.untimed(r.stdout.replacingOccurrences(of: dir, with: "DIR")))
                traces.append(try #require(FileManager.default.contents(atPath: dir + "/Traces/" + trace)))
            }
            #expect(outputs[0] == outputs[1])
            #expect(traces[0] == traces[1])
            #expect(!outputs[0].contains("time "), "the timing was not taken out: \(outputs[0])")
        }
    }
}
