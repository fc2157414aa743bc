/// A seeded generator of small random models: a few threads over a few folios, buffers and
/// shared counters, using every primitive (locks, trylocks, flags, writeback, handoffs through
/// wait_event, bounded loops, choices, asserts). Models may deadlock or break an assertion;
/// what matters is that every search mode agrees on them.
struct RandomModels {
    /// SplitMix64: small, fast, and the same on every platform.
    struct RNG {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func int(_ n: Int) -> Int { Int(next() % UInt64(max(1, n))) }
        mutating func chance(_ percent: Int) -> Bool { int(100) < percent }
    }

    /// With `replicas`, one thread is declared as `thread r[i < K]` (K identical copies), so that
    /// symmetry reduction has something to reduce. With `ownFolios` too, each copy also works on
    /// a folio of its own, `O[i]` (through locals, lists, sets, its buffer and a per-folio shared
    /// entry), which no other thread names: copies interchangeable with their folios.
    /// With `arrays`, threads also sweep a folio array `A[K]` and a shared array `cnt[K]` with
    /// loop indices (upwards, downwards through a computed index, every other element, nested,
    /// stopping early, or computed from a shared counter), so that the index ranges that narrow
    /// what `A[j]` may name are exercised.
    static func generate(seed: UInt64, replicas: Bool = false, ownFolios: Bool = false, arrays: Bool = false) -> String {
        var rng = RNG(state: seed)
        let replicas = replicas || ownFolios
        let folios = 2 + rng.int(3)
        let buffers = rng.int(3)
        let counters = 1 + rng.int(2)
        let threads = 2 + rng.int(3)
        var out = "// random model, seed \(seed)\n"
        for f in 0..<folios { out += "folio F\(f)\(rng.chance(30) ? " { dirty; }" : "");\n" }
        for b in 0..<buffers { out += "buffer B\(b) of F\(b % folios);\n" }
        for c in 0..<counters { out += "shared int c\(c);\n" }
        let k = arrays ? 3 + rng.int(2) : 0
        if arrays {
            out += "folio A[\(k)] { buffers = 1; }\n"
            out += "shared int cnt[\(k)];\n"
        }
        func folio(_ r: inout RNG) -> String { "F\(r.int(folios))" }
        func counter(_ r: inout RNG) -> String { "c\(r.int(counters))" }
        func statement(_ r: inout RNG, depth: Int) -> String {
            if arrays && r.chance(25) { return sweep(&r, depth: depth) }
            switch r.int(depth > 1 ? 9 : 12) {
            case 0:
                let f = folio(&r)
                return "folio_lock(\(f)); \(statement(&r, depth: depth + 1)) folio_unlock(\(f));"
            case 1:
                let f = folio(&r)
                return "if (folio_trylock(\(f))) { \(statement(&r, depth: depth + 1)) folio_unlock(\(f)); }"
            case 2:
                if buffers == 0 { return "\(counter(&r)) = \(counter(&r)) + 1;" }
                let b = "B\(r.int(buffers))"
                return r.chance(50) ? "lock_buffer(\(b)); \(statement(&r, depth: depth + 1)) unlock_buffer(\(b));"
                    : "if (trylock_buffer(\(b))) unlock_buffer(\(b));"
            case 3:
                let c = counter(&r)
                return "\(c) = \(c) + 1;"
            case 4:
                return "wait_event(\(counter(&r)) >= \(1 + r.int(2)));"
            case 5:
                let f = folio(&r)
                return "if (folio_test_dirty(\(f))) folio_clear_dirty(\(f)); else folio_mark_dirty(\(f));"
            case 6:
                return "either { \(statement(&r, depth: depth + 1)) } or { \(statement(&r, depth: depth + 1)) }"
            case 7:
                return "for (int i = 0; i < 2; i++) { \(statement(&r, depth: depth + 1)) }"
            case 8:
                return "assert(\(counter(&r)) <= \(2 + r.int(4)));"
            case 9:
                let f = folio(&r)
                return "folio_lock(\(f)); if (!folio_test_writeback(\(f))) folio_start_writeback(\(f)); folio_unlock(\(f));"
            case 10:
                let f = folio(&r)
                return "if (folio_test_writeback(\(f))) folio_end_writeback(\(f));"
            default:
                return "folio_wait_writeback(\(folio(&r)));"
            }
        }
        // A statement over the arrays, through an index whose range decides what it touches.
        func sweep(_ r: inout RNG, depth: Int) -> String {
            let lo = r.int(k), hi = lo + 1 + r.int(k - lo)
            let inner = depth > 0 || r.chance(50) ? "" : statement(&r, depth: depth + 1)
            switch r.int(7) {
            case 0:
                return "for (int j = \(lo); j < \(hi); j++) { folio_lock(A[j]); \(inner) folio_unlock(A[j]); }"
            case 1:
                // Downwards, through a computed index.
                return "for (int j = \(lo); j < \(hi); j++) { int d = \(hi - 1 + lo) - j; if (folio_trylock(A[d])) { \(inner) folio_unlock(A[d]); } }"
            case 2:
                // Every other element, from lo.
                return "for (int j = 0; j < \((k - lo + 1) / 2); j++) { int e = 2 * j + \(lo); for (bh in folio_buffers(A[e])) { lock_buffer(bh); \(inner) unlock_buffer(bh); } }"
            case 3:
                return "for (int j = \(lo); j < \(hi); j++) for (int m = j; m < \(hi); m++) if (folio_trylock(A[m])) { folio_unlock(A[m]); cnt[j] = cnt[j] + 1; }"
            case 4:
                return "{ int j = \(counter(&r)) % \(k); if (j >= 0) { folio_lock(A[j]); \(inner) folio_unlock(A[j]); } }"
            case 5:
                return "for (int j = \(lo); j < \(hi); j++) { wait_event(cnt[j] < 3); cnt[j] = cnt[j] + 1; assert(cnt[j] <= \(1 + r.int(2))); \(inner) }"
            default:
                // A search that stops early: what it found is any of A[lo..hi), or nothing.
                return "{ int found = \(k); for (int j = \(lo); j < \(hi) && found == \(k); j++) if (folio_test_dirty(A[j])) found = j; "
                    + "if (found < \(k)) { folio_clear_dirty(A[found]); folio_lock(A[found]); folio_unlock(A[found]); } else folio_mark_dirty(A[\(lo)]); }"
            }
        }
        // A copy's statements on its own folio O[i], mixed with the common ones.
        func own(_ r: inout RNG) -> String {
            switch r.int(7) {
            case 0:
                return "folio_lock(O[i]); \(statement(&r, depth: 2)) folio_unlock(O[i]);"
            case 1:
                return "{ folio f = O[i]; if (folio_trylock(f)) { \(statement(&r, depth: 2)) folio_unlock(f); } }"
            case 2:
                let f = folio(&r)
                return "{ set s; s += O[i]; if (folio_test_dirty(\(f))) s += \(f); "
                    + "for (g in [O[i], \(f)]) if (g in s) { folio_lock(g); folio_unlock(g); } }"
            case 3:
                return "if (!seen[O[i]]) { seen[O[i]] = true; \(counter(&r)) = \(counter(&r)) + 1; }"
            case 4:
                return "for (bh in folio_buffers(O[i])) { lock_buffer(bh); \(statement(&r, depth: 2)) unlock_buffer(bh); }"
            case 5:
                return "if (folio_test_dirty(O[i])) folio_clear_dirty(O[i]); else { folio_mark_dirty(O[i]); \(counter(&r)) = \(counter(&r)) + 1; }"
            default:
                return "either { \(own(&r)) } or { \(statement(&r, depth: 2)) }"
            }
        }
        // Copies multiply the state space: keep their bodies shallow and the other threads few.
        if replicas {
            let copies = 2 + rng.int(2)
            if ownFolios {
                out += "folio O[\(copies)] { buffers = 1;\(rng.chance(50) ? " dirty;" : "") }\n"
                out += "shared bool seen[folio];\n"
            }
            out += "thread r[i < \(copies)] {\n"
            for _ in 0..<(1 + rng.int(2)) { out += "\t" + (ownFolios && rng.chance(60) ? own(&rng) : statement(&rng, depth: 1)) + "\n" }
            out += "}\n"
        }
        for t in 0..<(replicas ? min(2, threads - 1) : threads) {
            out += "thread t\(t) {\n"
            for _ in 0..<(2 + rng.int(4)) { out += "\t" + statement(&rng, depth: 0) + "\n" }
            out += "}\n"
        }
        return out
    }
}
