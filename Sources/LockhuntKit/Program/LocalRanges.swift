/// Narrower fields for int locals that only ever hold a few values.
///
/// An int local is 16 bits wide unless every write to it stores a constant, a truth value or
/// another such local: then it holds only values from a set the program text bounds, and gets
/// just the bits for them. A migrator's `rc`, `tmp` and `$switch` fields are mostly of this
/// kind (docs/PERFORMANCE.md: they were 9.5 of a migrator's 14 words at N = 96).
///
/// Why it is exact: the range is a fixpoint over every write to the field anywhere in the
/// program (and 0, which a local holds before its first write and after it dies), so no store
/// ever puts a value outside it; the store's range check (`Machine.put`), which uses the
/// field's width, therefore faults exactly where it did at 16 bits, that is never for these
/// fields. Anything else written to a field (arithmetic, a shared variable, a trylock's result,
/// a list's length) leaves it at 16 bits.
///
/// Copies of one thread declaration lay their locals out in the same order; a slot (the
/// template and the allocation's position in the thread's log) gets one range for all copies,
/// so their layouts stay identical, as symmetry's bit-for-bit swaps need. Threads of different
/// declarations are grouped by symmetry only when their widths agree (Symmetry.swift).
extension Compiler {
    struct Slot: Hashable {
        var template: Int
        var position: Int
    }

    /// Narrowed slots: width and signedness.
    func narrowedLocals() -> [Slot: (width: Int, signed: Bool)] {
        // Each int local's slot.
        var slotOf: [FieldID: Slot] = [:]
        for (t, log) in allocationLogs.enumerated() {
            var position = 0
            for event in log {
                if case .allocate(let f) = event {
                    if fieldInfo[f].type == .int { slotOf[f] = Slot(template: threads[t].template, position: position) }
                    position += 1
                }
            }
        }
        var range: [Slot: ClosedRange<Int64>] = [:]
        var unbounded = Set<Slot>()
        for slot in slotOf.values { range[slot] = 0...0 }
        /// The values `e` can have, or nil when the analysis does not bound them.
        func values(_ e: CExpr) -> ClosedRange<Int64>? {
            switch e {
            case .constant(let v, _): return v...v
            case .local(let g, let t):
                if t == .bool { return 0...1 }
                guard t == .int, let slot = slotOf[g], !unbounded.contains(slot) else { return nil }
                return range[slot]
            case .ternary(_, let a, let b):
                guard let x = values(a), let y = values(b) else { return nil }
                return min(x.lowerBound, y.lowerBound)...max(x.upperBound, y.upperBound)
            default:
                return e.type == .bool ? 0...1 : nil
            }
        }
        var changed = true
        while changed {
            changed = false
            func write(_ f: FieldID?, _ r: ClosedRange<Int64>?) {
                guard let f, let slot = slotOf[f], !unbounded.contains(slot) else { return }
                guard let r else {
                    unbounded.insert(slot)
                    changed = true
                    return
                }
                let old = range[slot]!
                let new = min(old.lowerBound, r.lowerBound)...max(old.upperBound, r.upperBound)
                if new != old {
                    range[slot] = new
                    changed = true
                }
            }
            for ins in ir {
                switch ins.op {
                case .assign(let f, let e): write(f, values(e))
                case .load(let f, _): write(f, nil)
                case .folioTrylock(_, let d), .trylockBuffer(_, let d), .testClearFolioFlag(_, _, let d): write(d, nil)
                default: break
                }
            }
        }
        var out: [Slot: (width: Int, signed: Bool)] = [:]
        for (slot, r) in range where !unbounded.contains(slot) {
            guard r.lowerBound >= IntRange.min && r.upperBound <= IntRange.max else { continue }
            var width = 1
            if r.lowerBound >= 0 {
                while (Int64(1) << Int64(width)) - 1 < r.upperBound { width += 1 }
                out[slot] = (width, false)
            } else {
                while -(Int64(1) << Int64(width - 1)) > r.lowerBound || (Int64(1) << Int64(width - 1)) - 1 < r.upperBound { width += 1 }
                out[slot] = (width, true)
            }
            if width >= IntRange.bits { out[slot] = nil }
        }
        return out
    }
}
