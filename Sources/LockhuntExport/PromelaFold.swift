import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration

/// A thread's local code as C, run (through `c_code`) at the end of each of its steps:
/// lockhunt's `Machine.fold`. From the instruction after the step's visible one it runs the
/// invisible instructions (assignments to locals, set changes, branches, jumps, local
/// assertions) up to the next resting pc, zeroes each local on the edge where it dies, stores
/// that pc, and returns 0; it returns 1 on a fault (the caller then restores the state it
/// saved and asserts). Locals are fields of pan's state vector, `now.NAME`.
///
/// SPIN copies a `c_code` block of at most 64 KiB, so long code is cut into parts, each a
/// function in its own block that runs until the code leaves its part and returns where to
/// go on (`-1` done, `-2` fault); `lhc_fold_THREAD` loops over them.
final class PromelaFold {
    let t: ExportThread
    let functionName: String
    /// Entry points: the first instruction after each step, when it is local code.
    private(set) var entries: [Int] = []
    /// Instructions reachable from an entry, ascending.
    private(set) var pcs: [Int] = []
    private var faulting = Set<Int>()
    private var faultFrom: [Int: Bool] = [:]
    /// The C text, one `c_code` block's worth each.
    private(set) var blocks: [String] = []

    /// Characters per part, well below SPIN's 64 KiB per `c_code` block.
    static let partSize = 48_000

    init(_ t: ExportThread) {
        self.t = t
        functionName = "lhc_fold_" + t.sym.process[t.thread]
        var starts = Set<Int>()
        for pc in 0..<t.info.codeCount where t.isResting(pc) {
            switch t.op(pc) {
            case .finish: break
            case .choose(let targets): starts.formUnion(targets)
            // Without folding, a local instruction's step is this code entered at it.
            case _ where t.isLocalStep(pc): starts.insert(pc)
            default: starts.insert(pc + 1)
            }
        }
        entries = starts.filter { $0 < t.info.codeCount && (!t.isResting($0) || t.isLocalStep($0)) }.sorted()
        pcs = reach(from: entries).sorted()
        if !entries.isEmpty { blocks = render() }
    }

    /// The instructions the local code entered at `starts` can run: the entries themselves (a
    /// local step rests at its own pc) and the instructions after them up to a resting pc.
    private func reach(from starts: [Int]) -> Set<Int> {
        var seen = Set<Int>()
        var work = starts.map { (pc: $0, entry: true) }
        while let (q, entry) = work.popLast() {
            guard !seen.contains(q), q >= 0, q < t.info.codeCount, entry || !t.isResting(q) else { continue }
            seen.insert(q)
            work.append(contentsOf: Analysis.successors(t.op(q), q).map { ($0, false) })
        }
        return seen
    }

    /// Whether the local code run from `start` can fault.
    func mayFault(from start: Int) -> Bool {
        if let known = faultFrom[start] { return known }
        let result = !reach(from: [start]).isDisjoint(with: faulting)
        faultFrom[start] = result
        return result
    }

    /// How an instruction's code continues: at another instruction (a `goto` within a part,
    /// a return to the loop across parts).
    private enum Line {
        case text(String)
        case jump(Int, prefix: String, suffix: String)
    }

    private func render() -> [String] {
        let c = ExprWriter(sym: t.sym, c: true)
        let program = t.program
        var code: [[Line]] = []
        /// The edge from `q` to `s`; `next` is the instruction written right after `q`'s code.
        func edge(_ q: Int, to s: Int, next: Int?, prefix: String = "", suffix: String = "") -> [Line] {
            var zero = t.clears(from: q, def: t.defined(q), to: s).flatMap(t.variables(of:)).map { "now.\($0) = 0;" }.joined(separator: " ")
            if !zero.isEmpty { zero += " " }
            if t.isResting(s) { return [.text(prefix + zero + "now.\(t.pcName) = \(s); return -1;" + suffix)] }
            if s == next && prefix.isEmpty { return zero.isEmpty ? [] : [.text(String(zero.dropLast()))] }
            return [.jump(s, prefix: prefix + zero, suffix: suffix)]
        }
        for (j, q) in pcs.enumerated() {
            let next = j + 1 < pcs.count ? pcs[j + 1] : nil
            var lines: [Line] = []
            func check(_ fault: String?) {
                guard let fault else { return }
                lines.append(.text("if (\(fault)) return -2;"))
                faulting.insert(q)
            }
            switch t.op(q) {
            case .assign(let f, let e):
                let v = c.expr(e)
                if let name = t.sym.local[f] {
                    check(promelaOr(v.fault, c.outOfRange(v, t.sym.range(of: f))))
                    lines.append(.text("now.\(name) = \(v.value);"))
                } else {
                    check("1 " + PromelaComment.line("unsupported store to \(program.fieldInfo[f].name)"))
                }
                lines += edge(q, to: q + 1, next: next)
            case .setAdd(let f, let e), .setRemove(let f, let e):
                var isAdd = false
                if case .setAdd = t.op(q) { isAdd = true }
                let o = c.expr(e)
                let n = program.folios.count
                check(c.guarded(o, c.objectFault(o.value, n), within: c.span(1, Int64(n))))
                if let id = o.constant, id >= 1, id <= Int64(n) {
                    lines.append(.text("now.\(t.sym.setBits[f]![Int(id) - 1]) = \(isAdd ? 1 : 0);"))
                } else {
                    lines.append(.text(c.call(.setPut(f), t.sym.setPut[f]!, o.value, isAdd ? "1" : "0") + ";"))
                }
                lines += edge(q, to: q + 1, next: next)
            case .setClear(let f):
                lines += (t.sym.setBits[f] ?? []).map { .text("now.\($0) = 0;") }
                lines += edge(q, to: q + 1, next: next)
            case .branch(let cond, let elseTarget):
                let e = c.expr(cond)
                check(e.fault)
                lines += edge(q, to: elseTarget, next: nil, prefix: "if (!\(c.wrap(e.value))) { ", suffix: " }")
                lines += edge(q, to: q + 1, next: next)
            case .jump(let target):
                lines += edge(q, to: target, next: next)
            case .countEvent:
                // count_vm_event(): no effect on the state (costs are lockhunt's own).
                lines += edge(q, to: q + 1, next: next)
            case .assert(let cond, _):
                let e = c.expr(cond)
                check(promelaOr(e.fault, "!\(c.wrap(e.value))"))
                lines += edge(q, to: q + 1, next: next)
            default:
                check("1 " + PromelaComment.line("not local code"))
            }
            code.append(lines)
        }

        // Cut into parts of consecutive instructions.
        func size(_ lines: [Line]) -> Int {
            lines.reduce(0) { n, l in
                switch l {
                case .text(let s): return n + s.count + 2
                case .jump(_, let p, let s): return n + p.count + s.count + 20
                }
            } + 60
        }
        var parts: [Range<Int>] = []
        var first = 0, used = 0
        for j in pcs.indices {
            let n = size(code[j])
            if used + n > PromelaFold.partSize && j > first {
                parts.append(first..<j)
                first = j
                used = 0
            }
            used += n
        }
        parts.append(first..<pcs.count)
        var partOf: [Int: Int] = [:]
        for (k, r) in parts.enumerated() { for j in r { partOf[pcs[j]] = k } }

        // Where each part can be entered: step entries, jumps from other parts, and the end of
        // the part before.
        var referenced = Set(entries)
        var entered = Set(entries)
        for r in parts.dropFirst() {
            referenced.insert(pcs[r.lowerBound])
            entered.insert(pcs[r.lowerBound])
        }
        for (j, q) in pcs.enumerated() {
            for case .jump(let s, _, _) in code[j] {
                referenced.insert(s)
                if partOf[s] != partOf[q] { entered.insert(s) }
            }
        }
        let name = { (k: Int) in parts.count == 1 ? "\(self.functionName)_code" : "\(self.functionName)_\(k + 1)" }
        var out: [String] = []
        for (k, r) in parts.enumerated() {
            var text = PromelaComment.line("\(t.info.name): local code\(parts.count > 1 ? ", part \(k + 1) of \(parts.count)" : "")") + "\n"
            text += "static int \(name(k))(int pc)\n{\n\tswitch (pc) {\n"
            for j in r where entered.contains(pcs[j]) { text += "\tcase \(pcs[j]): goto L\(pcs[j]);\n" }
            text += "\t}\n\treturn -2;\n"
            var lastLine: Int32 = -1
            for j in r {
                let q = pcs[j]
                let site = program.sites[program.ir[t.info.codeStart + q].site]
                if site.location.line != lastLine {
                    text += "\t" + PromelaComment.line(program.sources.describeLine(site.location)) + "\n"
                    lastLine = site.location.line
                }
                var lines = code[j].map { line -> String in
                    switch line {
                    case .text(let s): return s
                    case .jump(let s, let prefix, let suffix):
                        return prefix + (partOf[s] == k ? "goto L\(s);" : "return \(s);") + suffix
                    }
                }
                // The last instruction of a part may fall through to the next part.
                if j == r.upperBound - 1, j + 1 < pcs.count { lines.append("return \(pcs[j + 1]);") }
                if lines.isEmpty { lines = [";"] }
                for (i, l) in lines.enumerated() {
                    text += (i == 0 && referenced.contains(q) ? "L\(q):\t" : "\t") + l + "\n"
                }
            }
            text += "}\n"
            out.append(text)
        }
        var main = PromelaComment.line("\(t.info.name): run the local code from pc `start` to the next resting pc") + "\n"
        main += "static int \(functionName)(int start)\n{\n\tint pc = start;\n\twhile (pc >= 0) {\n"
        if parts.count == 1 {
            main += "\t\tpc = \(name(0))(pc);\n"
        } else {
            for (k, r) in parts.enumerated() {
                let bound = k == parts.count - 1 ? "" : "if (pc < \(pcs[r.upperBound])) "
                main += "\t\t\(k == 0 ? "" : "else ")\(bound)pc = \(name(k))(pc);\n"
            }
        }
        main += "\t}\n\treturn pc == -2;\n}\n"
        out.append(main)
        return out
    }
}
