/// Random small models for differential testing against SPIN: a few threads over a few folios,
/// buffer heads and shared variables, using every kind of step lockhunt has: folio and buffer
/// locks and trylocks, flags and writeback, shared loads and stores, `wait_event` handoffs,
/// bounded loops, `either` and `nondet_bool()` choices, assertions on shared and local values,
/// and local arithmetic, some of it past 64 bits (local code) or 32 bits (visible steps). Some
/// models deadlock and some break a rule; that is the point.
///
/// The same seed always gives the same model (RandomModels.RNG, no system randomness).
struct ModelGenerator {
    private var rng: RandomModels.RNG

    init(seed: UInt64) { rng = RandomModels.RNG(state: seed) }

    mutating func next() -> UInt64 { rng.next() }

    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    // What the model being built declares.
    private var folios: [String] = []
    private var buffers: [String] = []
    private var bools: [String] = []
    private var ints: [String] = []
    private var out = ""
    /// Visible steps left for the thread being written, so that models stay small.
    private var budget = 0

    /// A model's text.
    mutating func model() -> String {
        out = "// generated\n"
        folios = (0..<(1 + below(3))).map { "F\($0)" }
        for f in folios {
            var attrs: [String] = []
            if chance(40) { attrs.append("uptodate;") }
            if chance(25) { attrs.append("dirty;") }
            out += "folio \(f)" + (attrs.isEmpty ? ";\n" : " { \(attrs.joined(separator: " ")) }\n")
        }
        buffers = (0..<below(3)).map { "b\($0)" }
        for b in buffers { out += "buffer \(b) of \(pick(folios))\(chance(30) ? " { uptodate; }" : ";")\n" }
        bools = (0..<(1 + below(2))).map { "flag\($0)" }
        for v in bools { out += "shared bool \(v);\n" }
        ints = (0..<below(2)).map { "count\($0)" }
        for v in ints { out += "shared int \(v)\(chance(30) ? " = 1" : "");\n" }
        let threads = 2 + below(2)
        for t in 0..<threads {
            out += "\nthread t\(t) {\n\tint x = \(below(3));\n\tint i0;\n\tint i1;\n\tbool r;\n"
            budget = 3 + below(5)
            var n = 0
            while budget > 0 && n < 6 {
                statement(depth: 1)
                n += 1
            }
            out += "}\n"
        }
        return out
    }

    private mutating func line(_ depth: Int, _ s: String) {
        out += String(repeating: "\t", count: depth) + s + "\n"
    }

    private mutating func block(_ depth: Int, max: Int) {
        let n = below(max + 1)
        for _ in 0..<n where budget > 0 { statement(depth: depth) }
        if n == 0 { line(depth, ";") }
    }

    private mutating func sharedCondition() -> String {
        var options = bools.map { $0 } + bools.map { "!\($0)" }
        for v in ints { options += ["\(v) > 0", "\(v) < 2", "\(v) == 1"] }
        options += folios.map { "folio_test_dirty(\($0))" } + folios.map { "!folio_test_locked(\($0))" }
        options += buffers.map { "buffer_uptodate(\($0))" }
        return pick(options)
    }

    /// Local arithmetic past 64 bits for some values of x (a small int): an overflow, a shift
    /// count out of range, INT64_MIN % -1 (which is 0). The export writes it in C, with gcc's
    /// overflow builtins.
    static let wideLocal = [
        "x = x * 4611686018427387904 / 4611686018427387904;",
        "x = (x << (61 + x)) >> 61;",
        "x = -(x * 4611686018427387904 * 2) / 4611686018427387904;",
        "x = (x - 2) * 9223372036854775807 / 9223372036854775807;",
        "x = (x * -4611686018427387904 * 2) % (x - 2);",
        "x = x + (x >> (x - 1));",
    ]

    /// Shared arithmetic past 32 bits (some of it past 64) in a visible step, which pan cannot
    /// compute in Promela's int: the export writes it in C, in c_expr.
    static func wideShared(_ v: String) -> [String] {
        [
            "\(v) = \(v) * 1000000 * 1000000 / 1000000000000;",
            "\(v) = \(v) * 3074457345618258603 / 3074457345618258603;",
            "assert(\(v) * 100000 * 100000 < 20000000000);",
            "wait_event(\(v) * 4611686018427387904 >= 0);",
        ]
    }

    private mutating func localCondition() -> String {
        pick(["x > 0", "x == 1", "x < 2", "r", "!r", "x != 2"])
    }

    private mutating func statement(depth: Int) {
        budget -= 1
        let nested = depth < 3
        let f = pick(folios)
        switch below(nested ? 24 : 16) {
        case 0, 1:
            line(depth, "folio_lock(\(f));")
            if nested { block(depth, max: 2) }
            line(depth, "folio_unlock(\(f));")
        case 2:
            line(depth, chance(50) ? "folio_lock(\(f));" : "folio_unlock(\(f));")
        case 3:
            guard let b = buffers.isEmpty ? nil : pick(buffers) else { fallthrough }
            line(depth, "lock_buffer(\(b));")
            line(depth, chance(85) ? "unlock_buffer(\(b));" : "folio_mark_dirty(\(f));")
        case 4:
            let flag = pick(["folio_mark_dirty", "folio_clear_dirty", "folio_mark_uptodate", "folio_clear_uptodate"])
            line(depth, "\(flag)(\(f));")
        case 5:
            if let b = buffers.isEmpty ? nil : pick(buffers) {
                line(depth, "\(pick(["set_buffer_uptodate", "clear_buffer_uptodate", "mark_buffer_dirty", "clear_buffer_dirty"]))(\(b));")
            } else {
                line(depth, "r = folio_clear_dirty_for_io(\(f));")
            }
        case 6:
            line(depth, "\(pick(bools)) = \(chance(70) ? "true" : "false");")
        case 7:
            if let v = ints.isEmpty ? nil : pick(ints) {
                line(depth, chance(85) ? pick(["\(v) = \(v) + 1;", "\(v) = x;", "x = \(v);", "\(v) = \(v) - 1;"])
                                       : pick(ModelGenerator.wideShared(v)))
            } else {
                line(depth, "r = \(pick(bools));")
            }
        case 8:
            line(depth, "wait_event(\(sharedCondition()));")
        case 9:
            line(depth, chance(50) ? "assert(\(sharedCondition()));" : "BUG_ON(\(sharedCondition()));")
        case 10:
            if chance(60) {
                line(depth, "assert(\(localCondition()));")
            } else if chance(75) {
                line(depth, "x = x \(pick(["+", "-", "*"])) \(below(3));")
            } else {
                line(depth, pick(ModelGenerator.wideLocal))
            }
        case 11:
            line(depth, "folio_wait_writeback(\(f));")
        case 12:
            line(depth, pick(["folio_start_writeback(\(f));", "folio_end_writeback(\(f));"]))
        case 13:
            line(depth, "r = \(pick(["folio_test_uptodate", "folio_test_dirty", "folio_test_writeback", "folio_test_locked"]))(\(f));")
        case 14:
            line(depth, "x = x + 1;")
        case 15:
            line(depth, "if (\(localCondition())) x = \(below(4)); else r = true;")
        case 16, 17:
            line(depth, "if (folio_trylock(\(f))) {")
            block(depth + 1, max: 1)
            line(depth + 1, "folio_unlock(\(f));")
            if chance(50) {
                line(depth, "} else {")
                block(depth + 1, max: 1)
            }
            line(depth, "}")
        case 18:
            guard let b = buffers.isEmpty ? nil : pick(buffers) else { fallthrough }
            line(depth, "if (trylock_buffer(\(b))) {")
            block(depth + 1, max: 1)
            line(depth + 1, "unlock_buffer(\(b));")
            line(depth, "}")
        case 19:
            line(depth, "either {")
            block(depth + 1, max: 2)
            line(depth, "} or {")
            block(depth + 1, max: 2)
            line(depth, "}")
        case 20:
            let counter = "i\(depth - 1 < 2 ? depth - 1 : 1)"
            line(depth, "for (\(counter) = 0; \(counter) < \(1 + below(2)); \(counter)++) {")
            block(depth + 1, max: 2)
            line(depth, "}")
        case 21:
            line(depth, "if (\(sharedCondition())) {")
            block(depth + 1, max: 2)
            line(depth, "}")
        case 22:
            line(depth, "if (nondet_bool()) {")
            block(depth + 1, max: 1)
            line(depth, "}")
        default:
            line(depth, "if (folio_test_writeback(\(f))) { folio_wait_writeback(\(f)); } else { folio_lock(\(f)); folio_start_writeback(\(f)); folio_unlock(\(f)); folio_end_writeback(\(f)); }")
        }
    }
}
