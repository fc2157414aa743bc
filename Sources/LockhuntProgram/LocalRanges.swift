import LockhuntBasics
import LockhuntLanguage

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
    /// The narrowed int locals: width and signedness by field.
    func narrowedLocals() -> [FieldID: (width: Int, signed: Bool)] {
        /// Where a local sits in its declaration's layout: copies share the slot's range.
        struct Slot: Hashable {
            var template: Int
            var position: Int
        }
        var slotOf: [FieldID: Slot] = [:]
        for (t, log) in allocationLogs.enumerated() {
            var position = 0
            for case .allocate(let f) in log {
                if fieldInfo[f].type == .int { slotOf[f] = Slot(template: threads[t].template, position: position) }
                position += 1
            }
        }
        var range: [Slot: ClosedRange<Int64>] = [:]
        for slot in slotOf.values { range[slot] = 0...0 }
        var unbounded = Set<Slot>()
        /// The values `e` can have, or nil when the analysis does not bound them.
        func values(_ e: CExpr) -> ClosedRange<Int64>? {
            switch e {
            case .constant(let v, _): return v...v
            case .local(let g, .int): return slotOf[g].flatMap { unbounded.contains($0) ? nil : range[$0] }
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
            for ins in ir {
                guard let f = ins.op.definedLocal, let slot = slotOf[f], !unbounded.contains(slot) else { continue }
                // Only an assignment can be bounded; a load, a trylock's or test-and-clear's result is not.
                guard case .assign(_, let e) = ins.op, let r = values(e) else {
                    unbounded.insert(slot)
                    changed = true
                    continue
                }
                let old = range[slot]!
                let new = min(old.lowerBound, r.lowerBound)...max(old.upperBound, r.upperBound)
                if new != old {
                    range[slot] = new
                    changed = true
                }
            }
        }
        var widths: [Slot: (width: Int, signed: Bool)] = [:]
        for (slot, r) in range where !unbounded.contains(slot) {
            let signed = r.lowerBound < 0
            // Two's complement holds -2^(w-1) ... 2^(w-1) - 1: the magnitude bits of the larger end, plus the sign.
            // ~lo is -lo - 1 without overflowing for lo = -2^63.
            let width = signed ? bitsFor(Int(max(~r.lowerBound, r.upperBound))) + 1 : bitsFor(Int(r.upperBound))
            if width < IntRange.bits { widths[slot] = (width, signed) }
        }
        return slotOf.compactMapValues { widths[$0] }
    }
}
