import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration

/// `lockhunt export --promela`: the compiled program as a Promela model for SPIN, with the same
/// states and the same verdicts (docs/EXPORT.md). It works from the compiled program, after
/// inlining, so it has exactly lockhunt's semantics rather than a second reading of the source.
///
/// The differential tests run SPIN on it and compare verdicts and state counts with lockhunt's.
public struct PromelaExport {
    public let program: Program
    /// Whether each step runs a visible instruction and the local code after it, as `lockhunt
    /// check --reduce fold` does (the default), or each local instruction is a step of its
    /// own, as with `--reduce none`: the states are those of the search with that setting.
    public let folding: Bool

    public init(program: Program, folding: Bool = true) {
        self.program = program
        self.folding = folding
    }

    /// The pan options that explore it the way lockhunt does: no partial-order reduction,
    /// safety properties only.
    public static let panCompileFlags = ["-DSAFETY", "-DNOREDUCE"]

    public func render() -> String {
        let sym = PromelaSymbols(program: program)
        guard let initial = initialState() else { return renderInitialFault() }

        // Code first: it decides which helpers are needed.
        let threads = program.threads.indices.map { ExportThread(sym: sym, thread: $0, folding: folding) }
        let writers = threads.map { PromelaThreadWriter($0) }
        var processes = ""
        for w in writers { processes += w.render() + "\n" }
        processes += monitor(sym)
        let folds = writers.flatMap(\.fold.blocks)

        var out = header()
        out += declarations(sym, initial)
        out += promelaHelpers(sym)
        out += cCode(sym, folds)
        out += processes
        return out
    }

    /// The C name of a helper: `lh_list_len` is `lhc_list_len`, `PG_locked` is `lhc_PG_locked`.
    static func cName(_ name: String) -> String {
        "lhc_" + (name.hasPrefix("lh_") ? String(name.dropFirst(3)) : name)
    }

    // MARK: - Header

    func header() -> String {
        var what = program.modelPath
        if let p = program.policy { what += " under policy \(p.name) (\(p.path))" }
        var lines = [
            "Promela export of \(what)",
            "by lockhunt \(Lockhunt.version); digest \(program.digest)",
        ]
        for p in program.effectiveParams { lines.append("param \(p.name) = \(p.value)") }
        lines += [
            "",
            "Check it with SPIN:",
            "    spin -a FILE.pml && gcc -O2 -DSAFETY -DNOREDUCE -o pan pan.c && ./pan -m1000000",
            "Add -c0 to keep going after the first error (each is then counted), -E to ignore",
            "invalid end states, -A to ignore assertions; pan asks for -DVECTORSZ=N when the",
            "state is large.",
            "",
        ] + granularity() + [
            "Program counters are the variables pc_THREAD, and dead locals are zeroed at every",
            "resting point. Local code is C (c_code, one function per thread): SPIN caps a",
            "d_step at 2048 statements and the migrate_pages() policies fold hundreds of local",
            "instructions into a step; locks, flags, shared variables, waits and choices stay",
            "Promela. Without partial-order reduction (-DNOREDUCE), pan's \"states, stored\"",
            "equals lockhunt's state count, with every step that faults counted as no successor",
            "(see below).",
            "",
            "Verdicts:",
            "- A violation (failed assert, unlocking a folio that is not locked, NULL folio, index",
            "  out of range, value out of range, ...) is an assertion violation. The faulting step",
            "  undoes its writes first, so with -A or -c0 it returns to the state it came from.",
            "- A deadlock is an invalid end state: a state where no thread can move while some",
            "  thread has not finished. lockhunt reports a deadlock as soon as a set of threads can",
            "  never be woken, even while other threads still run; SPIN only sees a deadlock once",
            "  nothing at all can move (a global deadlock). Every lockhunt thread ends after",
            "  finitely many steps (loops are bounded), so the running threads eventually finish",
            "  or block, and the partial deadlock becomes an invalid end state that SPIN reports.",
            "  The verdicts agree; SPIN's counterexample is longer, and it names the state where",
            "  everything stopped rather than the one where the cycle closed. (If a still-running",
            "  thread can only fault, SPIN reports that assertion violation instead.)",
            "- The process lh_all_finished can move only once every thread has finished; that",
            "  keeps the final states from being end states, so a state with no move at all is",
            "  exactly a state where some thread is stuck.",
            "",
            "Arithmetic: lockhunt computes in 64 bits, never wrapped: a result that does not fit",
            "(or a shift count outside 0..63) is a violation, and a value's range is checked",
            "when it is stored. The local code does the same in C long long, with gcc's overflow",
            "builtins where a result is not known to fit. pan computes Promela expressions in C",
            "int (32 bits): a guard or visible operation whose intermediate values could exceed",
            "32 bits is written in C instead, in c_expr { }, so it computes exactly as lockhunt.",
        ]
        return PromelaComment.block(lines) + "\n\n"
    }

    /// The header's words on what a step is.
    func granularity() -> [String] {
        folding ? [
            "Same states as lockhunt check --reduce fold (and --reduce none without it: export",
            "--reduce none): every lockhunt step is one d_step, one visible operation and the",
            "local code folded after it.",
        ] : [
            "Same states as lockhunt check --reduce none (export --reduce none): no folding, so",
            "every instruction of a thread's local code is a d_step of its own, as is every",
            "visible operation; only jumps are passed through.",
        ]
    }

    // MARK: - Declarations

    func declarations(_ sym: PromelaSymbols, _ s: [UInt64]) -> String {
        let p = program
        var out = ""
        if !p.folios.isEmpty || !p.buffers.isEmpty {
            var ids = "Objects (ids as the model's values use them):"
            for (i, f) in p.folios.enumerated() { ids += " folio \(f.name) = \(i + 1);" }
            for (i, b) in p.buffers.enumerated() { ids += " buffer \(b.name) = \(i + 1);" }
            out += PromelaComment.line(ids) + "\n"
        }
        if !p.folios.isEmpty {
            out += "\n" + PromelaComment.line("Folio flags, one bit per folio") + "\n"
            for k in FolioFlag.allCases {
                for i in p.folios.indices {
                    out += "bit \(sym.folioFlag[k.rawValue][i]) = \(bit(s, p.folioFlagBase[k.rawValue] + i));\n"
                }
            }
        }
        if !p.buffers.isEmpty {
            out += "\n" + PromelaComment.line("Buffer flags, one bit per buffer head") + "\n"
            for k in BufferFlag.allCases {
                for i in p.buffers.indices {
                    out += "bit \(sym.bufferFlag[k.rawValue][i]) = \(bit(s, p.bufferFlagBase[k.rawValue] + i));\n"
                }
            }
        }
        if !p.shared.isEmpty {
            out += "\n" + PromelaComment.line("Shared variables") + "\n"
            for (v, info) in p.shared.enumerated() {
                let type = PromelaSymbols.type(for: sym.range(of: info.firstField))
                let size = info.isArray ? "[\(info.count)]" : ""
                out += "\(type) \(sym.shared[v])\(size) = \(value(s, info.firstField));\n"
            }
        }
        for (t, thread) in p.threads.enumerated() {
            out += "\n" + PromelaComment.line("Thread \(thread.name): program counter and locals") + "\n"
            let pcValue = value(s, thread.pcField)
            out += "\(PromelaSymbols.type(for: 0...Int64(max(1, thread.codeCount - 1)))) \(sym.pc[t]) = \(pcValue);\n"
            let live = Set(p.analysis.liveLocals(thread: t, pc: Int(pcValue)))
            for f in p.analysis.localFields[t] {
                let info = p.fieldInfo[f]
                let keep = live.contains(f) || f == thread.flagsField
                let note = " " + PromelaComment.line("\(info.name), \(p.sources.describe(info.location))")
                if let bits = sym.setBits[f] {
                    let field = p.fields[f]
                    for (i, b) in bits.enumerated() {
                        let on = keep && bit(s, Int(field.word) * 64 + Int(field.shift) + i) != 0
                        out += "bit \(b) = \(on ? 1 : 0);\(i == 0 ? note : "")\n"
                    }
                } else if let name = sym.local[f] {
                    out += "\(PromelaSymbols.type(for: sym.range(of: f))) \(name) = \(keep ? value(s, f) : 0);\(note)\n"
                }
            }
        }
        out += "\n" + PromelaComment.line("Scratch space of a step; not part of the state") + "\n"
        out += "hidden int \(sym.objectIndex), \(sym.oldValue);\n"
        return out + "\n"
    }

    func bit(_ s: [UInt64], _ b: Int) -> Int { Int((s[b / 64] >> UInt64(b % 64)) & 1) }

    func value(_ s: [UInt64], _ f: FieldID) -> Int64 {
        let field = program.fields[f]
        let raw = (s[Int(field.word)] >> UInt64(field.shift)) & field.mask
        if field.signed {
            let sh = UInt64(64 - Int(field.width))
            return Int64(bitPattern: raw << sh) >> Int64(sh)
        }
        return Int64(bitPattern: raw)
    }

    /// The initial state as the explorer starts from it (with folding, every thread's first
    /// local code run), or nil when that code already faults.
    func initialState() -> [UInt64]? {
        var machine = Machine(program, folding: folding)
        defer { machine.release() }
        let s = UnsafeMutablePointer<UInt64>.allocate(capacity: program.wordsPerState)
        defer { s.deallocate() }
        guard machine.initialState(program.rawInitialState, into: s) else { return nil }
        return Array(UnsafeBufferPointer(start: s, count: program.wordsPerState))
    }

    func renderInitialFault() -> String {
        header() + PromelaComment.lines([
            "The threads' first local code already faults: lockhunt reports a violation before",
            "any step.",
        ]) + """

        active proctype lh_initial_fault() {
        \tassert(false)
        }

        """
    }

    // MARK: - Helpers

    /// Macros reading a flag (or a set's bit) of a run-time object, inlines writing one, and
    /// list tables, for the Promela side.
    func promelaHelpers(_ sym: PromelaSymbols) -> String {
        let p = program
        var out = ""
        func reader(_ name: String, _ vars: [String]) {
            let cases = vars.enumerated().map { (Int64($0.offset + 1), $0.element) }
            out += "#define \(name)(x) \(PromelaExport.select("(x)", cases, otherwise: "0"))\n"
        }
        func writer(_ name: String, _ vars: [String]) {
            out += "inline \(name)(lh_f, lh_v) {\n\tif\n"
            for (i, v) in vars.enumerated() { out += "\t:: lh_f == \(i + 1) -> \(v) = lh_v\n" }
            out += "\t:: else -> skip\n\tfi\n}\n"
        }
        func table(_ name: String, _ values: [String], from first: Int) {
            let cases = values.enumerated().map { (Int64($0.offset + first), $0.element) }
            out += "#define \(name)(x) \(PromelaExport.select("(x)", cases, otherwise: "0"))\n"
        }
        for helper in sym.usedPromela.sorted() {
            switch helper {
            case .folioFlag, .bufferFlag, .setFolioFlag, .setBufferFlag, .setHas, .setPut:
                let a = sym.accessor(helper)!
                if a.writes { writer(a.name, a.vars) } else { reader(a.name, a.vars) }
            case .listLength: table(sym.listLength, p.lists.lists.map { "\($0.count)" }, from: 0)
            case .listElement:
                let cases = p.lists.lists.enumerated().map { (l, items) in
                    (Int64(l), PromelaExport.select("(i)", items.enumerated().map { (Int64($0.offset), "\($0.element)") }, otherwise: "0"))
                }
                out += "#define \(sym.listElement)(l, i) \(PromelaExport.select("(l)", cases, otherwise: "0"))\n"
            case .folioBuffers: table(sym.folioBuffers, p.folios.map { "\($0.bufferList)" }, from: 1)
            case .folioMapping: table(sym.folioMapping, p.folios.map { $0.mapping < 0 ? "(\($0.mapping))" : "\($0.mapping)" }, from: 1)
            case .bufferFolio: table(sym.bufferFolio, p.buffers.map { "\($0.folio)" }, from: 1)
            }
        }
        return out.isEmpty ? "" : PromelaComment.line("Flags, sets and lists indexed by a run-time folio, buffer or list id") + "\n" + out + "\n"
    }

    /// The C side: the saved state of a step, helpers, and each thread's local code.
    func cCode(_ sym: PromelaSymbols, _ folds: [String]) -> String {
        // Visible steps use the C helpers too, when an expression of theirs is C (ExprWriter).
        guard !folds.isEmpty || !sym.usedC.isEmpty else { return "" }
        let p = program
        var blocks: [String] = []
        var out = PromelaComment.line("The state at the start of a step whose local code may fault; restored when it does.") + """

        static State lhc_saved;
        static int lhc_fault;

        """
        func flush() {
            if out.count > PromelaFold.partSize {
                blocks.append(out)
                out = ""
            }
        }
        func cases(_ values: [String], from first: Int, _ body: (String) -> String) -> String {
            values.enumerated().map { "\tcase \($0.offset + first): \(body($0.element))\n" }.joined()
        }
        func reader(_ name: String, _ vars: [String]) {
            out += "static int \(PromelaExport.cName(name))(int x)\n{\n\tswitch (x) {\n"
            out += cases(vars, from: 1) { "return now.\($0);" } + "\t}\n\treturn 0;\n}\n"
        }
        func writer(_ name: String, _ vars: [String]) {
            out += "static void \(PromelaExport.cName(name))(int x, int v)\n{\n\tswitch (x) {\n"
            out += cases(vars, from: 1) { "now.\($0) = v; break;" } + "\t}\n}\n"
        }
        func table(_ name: String, _ values: [Int64], from first: Int) {
            let items = [Int64](repeating: 0, count: first) + values
            out += "static int \(PromelaExport.cName(name))(int x)\n{\n"
            out += "\tstatic const int v[] = { \(items.map(String.init).joined(separator: ", ")) };\n"
            out += "\treturn x >= 0 && x < \(items.count) ? v[x] : 0;\n}\n"
        }
        for helper in sym.usedC.sorted() {
            switch helper {
            case .folioFlag, .bufferFlag, .setFolioFlag, .setBufferFlag, .setHas, .setPut:
                let a = sym.accessor(helper)!
                if a.writes { writer(a.name, a.vars) } else { reader(a.name, a.vars) }
            case .listLength: table(sym.listLength, p.lists.lists.map { Int64($0.count) }, from: 0)
            case .listElement:
                if !sym.usedC.contains(.listLength) { table(sym.listLength, p.lists.lists.map { Int64($0.count) }, from: 0) }
                var starts: [Int64] = [], items: [Int64] = []
                for l in p.lists.lists { starts.append(Int64(items.count)); items += l.map(Int64.init) }
                out += "static int \(PromelaExport.cName(sym.listElement))(int l, int i)\n{\n"
                out += "\tstatic const int start[] = { \(starts.map(String.init).joined(separator: ", ")) };\n"
                out += "\tstatic const int item[] = { \((items.isEmpty ? [0] : items).map(String.init).joined(separator: ", ")) };\n"
                out += "\treturn l >= 0 && l < \(starts.count) && i >= 0 && i < \(PromelaExport.cName(sym.listLength))(l) ? item[start[l] + i] : 0;\n}\n"
            case .folioBuffers: table(sym.folioBuffers, p.folios.map { Int64($0.bufferList) }, from: 1)
            case .folioMapping: table(sym.folioMapping, p.folios.map(\.mapping), from: 1)
            case .bufferFolio: table(sym.bufferFolio, p.buffers.map { Int64($0.folio) }, from: 1)
            }
            flush()
        }
        if !out.isEmpty { blocks.append(out) }
        blocks += folds
        // SPIN copies at most 64 KiB per c_code block; every block holds whole functions.
        var text = PromelaComment.lines([
            "The threads' local code, in C (see PromelaFold): lockhunt folds a thread's local",
            "instructions into the step before them, and SPIN caps a d_step at 2048 statements.",
        ]) + "\n\n"
        for b in blocks { text += "c_code {\n\(b)}\n\n" }
        return text
    }

    /// `key == k1 -> v1 : key == k2 -> v2 : ... : otherwise` as a balanced tree of
    /// conditional expressions, so that SPIN's parser never nests deeply. `cases` ascend.
    static func select(_ key: String, _ cases: [(Int64, String)], otherwise: String) -> String {
        if cases.isEmpty { return otherwise }
        if cases.count <= 3 {
            var out = otherwise
            for (k, v) in cases.reversed() { out = "(\(key) == \(k) -> \(v) : \(out))" }
            return out
        }
        let mid = cases.count / 2
        return "(\(key) < \(cases[mid].0) -> \(select(key, Array(cases[..<mid]), otherwise: otherwise)) : \(select(key, Array(cases[mid...]), otherwise: otherwise)))"
    }

    // MARK: - Monitor

    func monitor(_ sym: PromelaSymbols) -> String {
        var finished: [String] = []
        for (t, thread) in program.threads.enumerated() {
            let ends = (0..<thread.codeCount).filter { if case .finish = program.ir[thread.codeStart + $0].op { return true } else { return false } }
            let any = ends.map { "\(sym.pc[t]) == \($0)" }.joined(separator: " || ")
            finished.append(ends.count == 1 ? any : "(\(any))")
        }
        let name = sym.names.claim("lh_all_finished")
        return PromelaComment.lines([
            "Enabled only once every thread has finished, and then it loops in place (no new",
            "state). So a final state is never an end state for pan, and a state where nothing can",
            "move is an invalid end state exactly when some thread is stuck: a deadlock.",
        ]) + """

        active proctype \(name)() {
        \tdo
        \t:: \(finished.joined(separator: " && "))
        \tod
        }

        """
    }

}
