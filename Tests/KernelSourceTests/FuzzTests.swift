import Foundation
import Testing
import KernelSource

/// The reader must never crash, hang or blow up, whatever the bytes: random inputs, cut and
/// mutated fixtures, and pathological shapes, with a fixed seed so that a failure repeats.
/// `LOCKHUNT_KERNELC_FUZZ=N` runs N times more inputs (and a new seed with `LOCKHUNT_KERNELC_SEED`).
@Suite("Fuzzing the C reader")
struct FuzzTests {
    static let scale = Int(ProcessInfo.processInfo.environment["LOCKHUNT_KERNELC_FUZZ"] ?? "") ?? 1
    static let seed = UInt64(ProcessInfo.processInfo.environment["LOCKHUNT_KERNELC_SEED"] ?? "") ?? 0x6B65_726E_656C_63

    /// SplitMix64: small, fast, and the same everywhere.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
    }

    /// Pieces of C that stress the reader when dropped anywhere.
    static let pieces: [String] = [
        "{", "}", "(", ")", "[", "]", ";", ":", ",", "/*", "*/", "//", "\"", "'", "\\", "\\\n", "\n", "#if 0\n", "#if 1\n",
        "#ifdef CONFIG_X\n", "#else\n", "#elif Y\n", "#endif\n", "#define M(x) do { \\\n", "if (", "else ", "for (;;) ",
        "while (x) ", "do ", "switch (m) {", "case 1:", "default:", "goto out;", "out:", "retry:", "goto retry;", "return ",
        "list_for_each_entry(f, l, lru) ", "folio_lock(", "folio_trylock(f)", "ops->migrate(", "(*fn)(", "static int f(void) ",
        "int g(int a) {", "\0", "\u{FF}", "\r\n", "->", "...", "'\\''", "\"\\\"\"", "sizeof(", "({ ", " })",
    ]

    static let fixtures = ["lexer.c", "shapes.c", "shapes.h", "bodies.c", "before/mm/migrate.c", "before/fs/buffer.c",
                           "after/mm/migrate.c", "after/mm/rmap.c"]

    /// Runs the whole reader on `bytes` and checks what must hold for any input (one
    /// expectation per property, as expectations in inner loops would cost more than the reader).
    static func check(_ bytes: [UInt8]) {
        let lexed = CLexer.lex(bytes)
        var lastLine = 1
        var tokensOK = true
        for t in lexed.tokens {
            tokensOK = tokensOK && t.kind != .directive && t.line >= lastLine && t.column >= 1 && t.line <= max(1, lexed.lineCount)
            lastLine = t.line
        }
        #expect(tokensOK, "tokens out of order or out of the file's lines")
        let functions = FunctionIndex.find(in: lexed, file: "fuzz.c")
        var previousEnd = 0
        var functionsOK = true
        var callsOK = true
        for f in functions {
            functionsOK = functionsOK && f.firstLine <= f.nameLine && f.nameLine <= f.lastLine && f.firstLine >= previousEnd
            previousEnd = f.lastLine
            for c in BodyReader.read(f).calls {
                let structural = c.conditions.count - c.conditions.filter { $0.kind == .guardFalse }.count
                callsOK = callsOK && c.line >= f.firstLine && c.line <= f.lastLine && structural <= BodyReader.maximumNesting + 2
            }
        }
        #expect(functionsOK, "definitions overlap or have lines out of order")
        #expect(callsOK, "a call outside its function, or nested beyond the limit")
        if functions.count <= 40 {
            let set = KernelSourceSet(sources: [(path: "fuzz.c", text: String(decoding: bytes, as: UTF8.self))])
            var options = ReachabilityOptions()
            options.maxExpansions = 2_000
            for f in set.index.definitions.prefix(5) {
                _ = Reachability.lockOperations(from: f.name, in: set, options: options)
            }
        }
    }

    @Test("random bytes, and random C-like pieces")
    func randomInputs() {
        var random = Random(state: Self.seed)
        for _ in 0..<(300 * Self.scale) {
            let count = random.below(2048)
            Self.check((0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) })
        }
        for _ in 0..<(300 * Self.scale) {
            var text = ""
            for _ in 0..<random.below(200) {
                if random.below(3) == 0 {
                    text += String(UnicodeScalar(UInt8(32 + random.below(95))))
                } else {
                    text += Self.pieces[random.below(Self.pieces.count)]
                }
            }
            Self.check(Array(text.utf8))
        }
    }

    @Test("every fixture cut at random points, and mutated")
    func cutsAndMutations() {
        var random = Random(state: Self.seed ^ 0xC0FFEE)
        for name in Self.fixtures {
            let original = Fixture.bytes(name)
            #expect(!original.isEmpty, "\(name)")
            for _ in 0..<(30 * Self.scale) {
                Self.check(Array(original.prefix(random.below(original.count + 1))))
            }
            for _ in 0..<(40 * Self.scale) {
                var bytes = original
                for _ in 0..<(1 + random.below(8)) {
                    guard !bytes.isEmpty else { break }
                    let at = random.below(bytes.count)
                    switch random.below(4) {
                    case 0: bytes[at] = UInt8(truncatingIfNeeded: random.next())
                    case 1: bytes.removeSubrange(at..<min(bytes.count, at + 1 + random.below(64)))
                    default: bytes.insert(contentsOf: Array(Self.pieces[random.below(Self.pieces.count)].utf8), at: at)
                    }
                }
                Self.check(bytes)
            }
        }
    }

    @Test("pathological shapes finish quickly")
    func pathological() {
        let inputs: [String] = [
            String(repeating: "{", count: 100_000),
            String(repeating: "}", count: 100_000),
            "int f(void) {" + String(repeating: "(", count: 100_000),
            "int f(void) {" + String(repeating: "f(", count: 20_000),  // each call's argument text is bounded
            "int f(void) {" + String(repeating: "if (x) ", count: 50_000) + "g();}",
            "int f(void) {" + String(repeating: "else ", count: 50_000) + "}",
            "int f(void) {" + String(repeating: "do ", count: 50_000) + "}",
            "int f(void) {" + String(repeating: "a: goto a; folio_lock(x); ", count: 5_000) + "}",
            "int f(void) {" + String(repeating: "x->", count: 50_000) + "y(); }",
            "int f(void) {" + String(repeating: "))->y(", count: 20_000) + "}",
            String(repeating: "#if X\n{\n#else\n{\n", count: 20_000),
            String(repeating: "#if 0\n", count: 50_000),
            String(repeating: "a", count: 1_000_000),
            String(repeating: "/*", count: 100_000),
            String(repeating: "\\\n", count: 100_000) + "int f(void) { folio_lock(x); }",
            String(repeating: "int f(", count: 50_000) + ") {}",
            String(repeating: "static int f(void) { return 0; }\n", count: 20_000),
        ]
        let start = Date()
        for input in inputs {
            let one = Date()
            Self.check(Array(input.utf8))
            // Each takes about a second on an idle machine; quadratic work would take hours.
            // The bounds are loose so that a loaded CI machine does not fail them.
            #expect(Date().timeIntervalSince(one) < 60, "input starting \(input.prefix(20)) took too long")
        }
        #expect(Date().timeIntervalSince(start) < 300)
        // The last input's functions are all found.
        let many = FunctionIndex.find(in: CLexer.lex(inputs.last!), file: "many.c")
        #expect(many.count == 20_000)
    }
}
