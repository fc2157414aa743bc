/// Random models in the shapes the wait graph's per-object facts (LockOrder/ObjectFacts.swift)
/// are about: batches that trylock the folios of a list, record them in a set by return code,
/// and release them in a second loop (sometimes leaving one behind, sometimes breaking out
/// early); retries of one folio at a time with a blocking lock; buffers locked in loops and
/// unlocked by counted undo loops; and I/O hand-offs, a submitter locking buffer after buffer
/// and a completion unlocking them after a wait_event, with the odd relock. Many of them
/// deadlock or leak; the rest are what a sound, precise analysis should prove.
enum RandomBatchModels {
    static func generate(seed: UInt64) -> String {
        var rng = RandomModels.RNG(state: seed)
        let k = 2 + rng.int(2)                 // folios F0..F(k-1)
        var out = "// random batch model, seed \(seed)\ninclude \"\(TestSupport.root)/Models/lib/mm.lh\";\n"
        for f in 0..<k {
            out += "folio F\(f) { mapping = \(rng.chance(50) ? "blkdev" : "anon");\(rng.chance(30) ? " dirty;" : "") buffers = 1; }\n"
        }
        out += "folio P[2] { mapping = blkdev; buffers = 1; }\n"
        out += "shared bool queued[folio];\nshared bool ev;\n"

        // take(): lock the source, by trylock or waiting; maybe fail on a dirty folio.
        let waitFirst = rng.chance(30)
        let failUnlocks = !rng.chance(8)      // the failure path forgets to unlock: a leak
        out += "int take(folio src, bool wait)\n{\n"
        out += "\tif (!folio_trylock(src)) {\n\t\tif (!wait) return -EAGAIN;\n\t\tfolio_lock(src);\n\t}\n"
        if rng.chance(60) {
            out += "\tif (folio_test_dirty(src)) {\n\t\t\(failUnlocks ? "folio_unlock(src);" : "")\n\t\treturn -EBUSY;\n\t}\n"
        }
        out += "\treturn MIGRATEPAGE_UNMAP;\n}\n"

        // The buffers of a held folio, by mapping: locked in a loop, then released.
        let bufferShape = rng.int(4)
        out += "void move(folio f, bool wait)\n{\n\tswitch (folio_mapping(f)) {\n\tcase blkdev:\n"
        switch bufferShape {
        case 0:
            out += "\t\tfor (bh in folio_buffers(f)) lock_buffer(bh);\n\t\tfor (bh in folio_buffers(f)) unlock_buffer(bh);\n"
        case 1:
            out += """
            \t\t{ list head = folio_buffers(f); bool ok = true;
            \t\tfor (int i = 0; i < len(head) && ok; i++) {
            \t\t\tif (!trylock_buffer(head[i])) {
            \t\t\t\tif (wait) { lock_buffer(head[i]); } else { for (int j = 0; j < i; j++) unlock_buffer(head[j]); ok = false; }
            \t\t\t}
            \t\t}
            \t\tif (ok) for (bh in head) unlock_buffer(bh); }

            """
        case 2:
            out += "\t\tif (wait) { for (bh in folio_buffers(f)) { lock_buffer(bh); unlock_buffer(bh); } }\n"
        default:
            out += "\t\tfor (bh in folio_buffers(f)) if (trylock_buffer(bh)) unlock_buffer(bh);\n"
        }
        out += "\t\tbreak;\n\tdefault:\n\t\tbreak;\n\t}\n}\n"

        // batch(): trylock (or wait on) each folio, record by return code, release in a second loop.
        let leaveOne = rng.chance(10)
        let breakEarly = rng.chance(15)
        out += "void batch(list from, bool wait, set done)\n{\n\tset held;\n\tint rc;\n"
        out += "\tfor (int pass = 0; pass < \(1 + rng.int(2)); pass++) {\n\t\tfor (f in from) {\n"
        out += "\t\t\tif (f in done || f in held) continue;\n\t\t\trc = take(f, wait);\n"
        out += "\t\t\tswitch (rc) {\n\t\t\tcase MIGRATEPAGE_UNMAP:\n\t\t\t\theld += f;\n\t\t\t\tbreak;\n\t\t\tcase -EBUSY:\n\t\t\t\tdone += f;\n\t\t\t\tbreak;\n\t\t\tdefault:\n\t\t\t\tbreak;\n\t\t\t}\n"
        if waitFirst { out += "\t\t\tif (f in held) move(f, wait);\n" }
        out += "\t\t}\n\t}\n"
        out += "\tfor (f in from) {\n"
        if breakEarly { out += "\t\tif (f == F0) break;\n" }
        out += "\t\tif (f in held\(leaveOne ? " && f != F\(k - 1)" : "")) {\n\t\t\tmove(f, wait);\n\t\t\tfolio_unlock(f);\n\t\t\theld -= f;\n\t\t\tdone += f;\n\t\t}\n\t}\n}\n"

        func list(_ r: inout RandomModels.RNG) -> String {
            var items = (0..<k).map { "F\($0)" }
            if r.chance(40) { items.append("P[\(r.int(2))]") }
            for i in stride(from: items.count - 1, to: 0, by: -1) { items.swapAt(i, r.int(i + 1)) }
            return "[" + items.prefix(2 + r.int(items.count - 1)).joined(separator: ", ") + "]"
        }
        // Migrators: a batch, then (as upstream does) each folio left over alone, waiting.
        for m in 0..<(1 + rng.int(2)) {
            let l = list(&rng)
            out += "thread migrator\(m) {\n\tset done;\n"
            out += rng.chance(50) ? "\tbatch(\(l), \(rng.chance(40)), done);\n" : "\teither { batch(\(l), false, done); } or { batch(\(l), true, done); }\n"
            if rng.chance(70) { out += "\tfor (f in \(l)) if (!(f in done)) batch([f], true, done);\n" }
            out += "}\n"
        }
        // An I/O hand-off over P: the submitter locks each buffer and queues it; the completion
        // waits for it, may take a folio lock on the way (the loop worker), and unlocks it.
        if rng.chance(70) {
            let relock = rng.chance(20)
            out += "thread submitter {\n\tfor (int i = 0; i < 2; i++) {\n\t\tfor (bh in folio_buffers(P[i])) lock_buffer(bh);\n\t\tqueued[P[i]] = true;\n\t}\n"
            if relock { out += "\tfor (bh in folio_buffers(P[0])) lock_buffer(bh);\n" }
            out += "}\n"
            out += "thread completion {\n\tfor (int i = 0; i < 2; i++) {\n\t\twait_event(queued[P[i]]);\n"
            if rng.chance(60) { let f = "F\(rng.int(k))"; out += "\t\tfolio_lock(\(f));\n\t\tfolio_unlock(\(f));\n" }
            out += "\t\tfor (bh in folio_buffers(P[i])) unlock_buffer(bh);\n\t}\n}\n"
        }
        // A holder of several folios in a fixed order.
        if rng.chance(50) {
            let a = "F\(rng.int(k))", b = "F\((rng.int(k - 1) + 1 + Int(a.dropFirst())!) % k)"
            out += "thread holder {\n\tfolio_lock(\(a));\n\tfolio_lock(\(b));\n\tfolio_unlock(\(b));\n\tfolio_unlock(\(a));\n}\n"
        }
        return out
    }
}
