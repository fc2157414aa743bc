import Foundation
import Testing
import LockhuntKit

/// `lockhunt export --promela`: the command, and properties of the text that SPIN relies on.
/// That SPIN agrees with lockhunt on the exported models is the differential suite's job.
@Suite("Export")
struct ExportTests {
    @Test("export writes Promela to standard output, or to a file it never silently replaces")
    func command() throws {
        let r = TestSupport.lockhunt(["export", "--promela", "Models/scenarios/loop-bh.lh", "--policy", "v5"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("/*\n * Promela export of Models/scenarios/loop-bh.lh under policy v5"))
        #expect(r.stdout.contains("active proctype kcompactd()"))
        #expect(r.stdout.contains("active proctype lh_all_finished()"))
        #expect(r.stdout.contains("invalid end state"), "the header explains how deadlocks show up")

        let dir = TestSupport.temporaryDirectory()
        let out = dir + "/loop-bh.pml"
        let w = TestSupport.lockhunt(["export", "--promela", "Models/scenarios/loop-bh.lh", "--policy", "v5", "--output", out])
        #expect(w.status == 0 && w.stdout.isEmpty)
        #expect(try String(contentsOfFile: out, encoding: .utf8) == r.stdout)
        let again = TestSupport.lockhunt(["export", "--promela", "Models/scenarios/loop-bh.lh", "--policy", "upstream", "--output", out])
        #expect(again.status == 2)
        #expect(again.stderr.contains("already exists; pass --overwrite"))
        #expect(try String(contentsOfFile: out, encoding: .utf8) == r.stdout)
        let forced = TestSupport.lockhunt(["export", "--promela", "Models/scenarios/loop-bh.lh", "--policy", "upstream", "--output", out, "--overwrite"])
        #expect(forced.status == 0)
        #expect(try String(contentsOfFile: out, encoding: .utf8).contains("under policy upstream"))
    }

    @Test("export usage and model errors exit 2", arguments: [
        (["export", "Models/scenarios/loop-bh.lh"], "choose an output language: --promela"),
        (["export", "--promela"], "no model given"),
        (["export", "--promela", "a.lh", "b.lh"], "export takes one model, got 2"),
        (["export", "--promela", "Models/scenarios/loop-bh.lh", "--policy", "all"], "export one policy at a time"),
        (["export", "--promela", "Models/scenarios/loop-bh.lh", "--policy", "v55"], "no policy 'v55'"),
        (["export", "--promela", "Models/scenarios/nope.lh"], "nope.lh"),
        (["export", "--promela", "Models/scenarios/loop-bh.lh", "--reduce", "por"], "--reduce por: export takes fold or none"),
    ])
    func errors(_ args: [String], _ message: String) {
        let r = TestSupport.lockhunt(args)
        #expect(r.status == 2, "\(args): \(r.stdout)")
        #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
    }

    @Test("the export is the same text every time")
    func deterministic() throws {
        let program = try #require(TestSupport.compile(path: TestSupport.root + "/Models/scenarios/loop-bh.lh", policy: TestSupport.policy("sync-light")).program)
        let again = try #require(TestSupport.compile(path: TestSupport.root + "/Models/scenarios/loop-bh.lh", policy: TestSupport.policy("sync-light")).program)
        #expect(PromelaExport(program: program).render() == PromelaExport(program: again).render())
    }

    @Test("model names that are Promela or C keywords, or clash with each other, get fresh names")
    func names() throws {
        let program = try #require(TestSupport.compile("""
        folio A;
        shared int timeout;
        shared bool now;
        thread init { int run = 1; folio_lock(A); timeout = run; folio_unlock(A); }
        thread skip { wait_event(timeout == 1); now = true; }
        thread lh_all_finished { }

        """).program)
        let text = PromelaExport(program: program).render()
        for bad in ["proctype init(", "proctype skip(", "int timeout", "bit now ", "proctype lh_all_finished() {\n\tdo\n\t:: false"] {
            #expect(!text.contains(bad), "\(bad)")
        }
        #expect(text.contains("active proctype init_()"))
        #expect(text.contains("short timeout_ = 0;"))
        #expect(text.contains("active proctype m_lh_all_finished()"))
    }

    @Test("a thread that is only local code has a process that never moves")
    func noSteps() throws {
        let program = try #require(TestSupport.compile("""
        thread t { int x = 1; x = x + 1; }
        thread u { }

        """).program)
        let text = PromelaExport(program: program).render()
        #expect(text.components(separatedBy: ":: false\t/* no steps").count == 3)
    }

    @Test("export --reduce none: every local instruction is a step, and the header says so")
    func unfolded() throws {
        let program = try #require(TestSupport.compile("""
        folio A;
        thread t { int x = 1; x = x + 1; folio_lock(A); x = x * 2; assert(x == 4); folio_unlock(A); }

        """).program)
        let folded = PromelaExport(program: program).render()
        let unfolded = PromelaExport(program: program, folding: false).render()
        func steps(_ text: String) -> Int { text.components(separatedBy: ":: d_step {").count - 1 }
        // Folded: folio_lock and folio_unlock. Unfolded: also x = 1, x = x + 1, x = x * 2 and
        // the assertion, each run by the thread's local code entered at its own pc.
        #expect(steps(folded) == 2 && steps(unfolded) == 6, "\(steps(folded)) \(steps(unfolded))")
        #expect(unfolded.contains("/* 1: x = x + 1"), "a local step's comment shows the instruction")
        #expect(unfolded.contains("check --reduce none") && folded.contains("check --reduce fold"))
        // The command line gives the same text.
        let dir = TestSupport.temporaryDirectory()
        let model = TestSupport.writeModel("""
        folio A;
        thread t { int x = 1; x = x + 1; folio_lock(A); x = x * 2; assert(x == 4); folio_unlock(A); }

        """, in: dir)
        let r = TestSupport.lockhunt(["export", "--promela", model, "--reduce", "none"])
        #expect(r.status == 0 && steps(r.stdout) == 6, "\(r.stderr)")
    }

    @Test("arithmetic in a visible step stays Promela when it fits pan's int, and is C (c_expr) when it may not")
    func wideArithmetic() throws {
        let program = try #require(TestSupport.compile("""
        shared int s;
        shared int t;
        thread a { s = s + 1; t = s * s * s / 1000; wait_event(t * 100000 > 5); assert((s << 3) != 7); assert((s << t) != 7); }

        """).program)
        let text = PromelaExport(program: program).render()
        // A 16-bit value plus one, or shifted by 3, fits in 32 bits: plain Promela.
        #expect(text.contains("\t\t\ts = (s + 1);\n"))
        #expect(text.contains("if :: !((s << 3) != 7) -> goto s3_fail"))
        // s * s * s can reach 2^45: C, for the range check and the store alike.
        #expect(text.contains("t = (c_expr { (((long long)((long long)((long long)now.s * (long long)now.s) * (long long)now.s) / (long long)1000)) });"))
        // A guard too.
        #expect(text.contains("pc_a == 2 && ((c_expr { ((((long long)now.t * (long long)100000) > 5)) }))"))
        // A shift count that may be outside 0..31 (and 0..63): C, with the count checked.
        #expect(text.contains("(c_expr { (now.t < 0 || now.t > 63 || "), "\(text)")
        // Local code is C with the overflow checked where the range does not rule it out.
        let local = try #require(TestSupport.compile("""
        shared int s;
        thread a { int y = s; int z = y * y; z = z * y * 1000000000000 / 1000000000000; }

        """).program)
        let c = PromelaExport(program: local).render()
        #expect(!c.contains("__builtin_mul_overflow_p((long long)now.a_y, (long long)now.a_y"), "y * y fits in 64 bits: no check")
        #expect(c.contains("__builtin_mul_overflow_p((long long)((long long)now.a_z * (long long)now.a_y), (long long)1000000000000LL, (long long)0)"), "\(c)")
    }

    @Test("the export's static ranges hold every value the operation can give without faulting")
    func exactRanges() throws {
        var rng = RandomModels.RNG(state: 20260515)
        let ends: [Int64] = [.min, .min + 1, -4611686018427387904, -3037000500, -2147483649, -2147483648, -65536, -100, -64, -63, -2, -1,
                             0, 1, 2, 3, 31, 32, 62, 63, 64, 100, 65535, 2147483647, 2147483648, 3037000500, 4611686018427387904, .max - 1, .max]
        func pick() -> Int64 { ends[Int(rng.next() % UInt64(ends.count))] }
        func range() -> ClosedRange<Int64> { let a = pick(), b = pick(); return min(a, b)...max(a, b) }
        func samples(_ r: ClosedRange<Int64>) -> [Int64] { ([r.lowerBound, r.upperBound] + ends.filter(r.contains)) }
        for _ in 0..<3000 {
            let a = range(), b = range()
            for op in [BinaryOp.add, .subtract, .multiply, .divide, .remainder, .shiftLeft, .shiftRight, .bitAnd, .bitOr, .bitXor] {
                let r: ClosedRange<Int64>?
                switch op {
                case .add, .subtract, .multiply: r = ExactRange.arithmetic(op, a, b)
                case .divide: r = ExactRange.divide(a, b)
                case .remainder: r = ExactRange.remainder(a, b)
                case .shiftLeft, .shiftRight: r = ExactRange.shift(op, a, b)
                default: r = ExactRange.bitwise(op, a, b)
                }
                for x in samples(a) {
                    for y in samples(b) {
                        // The value lockhunt computes, or nil where it faults.
                        guard let v = Compiler.fold(op, x, y, SourceLocation(file: 0, line: 0, column: 0), nil) else { continue }
                        if let r {
                            #expect(r.contains(v), "\(x) \(op.rawValue) \(y) = \(v), outside \(r) for \(a), \(b)")
                        } else {
                            // Unknown only where some operands give a result beyond 64 bits.
                            #expect([.add, .subtract, .multiply, .divide, .shiftLeft].contains(op), "\(op.rawValue): no range for \(a), \(b)")
                        }
                    }
                }
            }
            if let n = ExactRange.negate(a) {
                for x in samples(a) where x != .min { #expect(n.contains(-x)) }
            }
        }
    }

    @Test("a model whose first local code faults exports as a single failing assertion")
    func initialFault() throws {
        let program = try #require(TestSupport.compile("thread t { int x = 0; assert(x == 1); }\n").program)
        let text = PromelaExport(program: program).render()
        #expect(text.contains("active proctype lh_initial_fault() {\n\tassert(false)\n}"))
        #expect(!text.contains("proctype t("))
    }
}
