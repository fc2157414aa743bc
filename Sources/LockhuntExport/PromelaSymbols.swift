import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration

/// What the Promela export calls every piece of a program's state, and which helper macros the
/// generated code used (only those are written out).
///
/// The state is laid out as global variables, one per lockhunt field, so that SPIN's state
/// vector holds exactly what lockhunt's packed state holds:
/// - one `bit` per flag per folio or buffer (`PG_locked_A`, `BH_Lock_bh`): a Promela array
///   cannot be initialised element by element, and folios start with different flags;
/// - one variable per shared variable (an array for shared arrays, whose elements share an
///   initial value);
/// - one variable per thread-local field (`kcompactd_rc`), and one `bit` per folio for a `set`;
/// - one program counter per thread (`pc_kcompactd`), holding lockhunt's resting pc.
final class PromelaSymbols {
    let program: Program
    var names = PromelaNames()

    var folioFlag: [[String]] = []      // [flag][folio id - 1]
    var bufferFlag: [[String]] = []     // [flag][buffer id - 1]
    var shared: [String] = []
    var local: [FieldID: String] = [:]
    /// A set local: one bit per folio, and the macro and inline that test and change the bit of
    /// a run-time folio.
    var setBits: [FieldID: [String]] = [:]
    var setHas: [FieldID: String] = [:]
    var setPut: [FieldID: String] = [:]
    var pc: [String] = []
    var process: [String] = []

    // Helper names, claimed up front so that no model name can take them. In C they get the
    // prefix `lhc_`, which the model's names are kept off too.
    let listLength = "lh_list_len", listElement = "lh_list_elem"
    let folioBuffers = "lh_folio_buffers", folioMapping = "lh_folio_mapping", bufferFolio = "lh_buffer_folio"
    let objectIndex = "lh_i", oldValue = "lh_old"

    /// Helpers the generated Promela and C used.
    var usedPromela = Set<PromelaHelper>()
    var usedC = Set<PromelaHelper>()

    /// A helper that reads or writes one flag (or set bit) of a run-time object: its name, the
    /// variable of each object (by id - 1), and whether it writes. Nil for the list tables.
    func accessor(_ h: PromelaHelper) -> (name: String, vars: [String], writes: Bool)? {
        switch h {
        case .folioFlag(let k): return (FolioFlag(rawValue: k)!.kernelName, folioFlag[k], false)
        case .bufferFlag(let k): return (BufferFlag(rawValue: k)!.kernelName, bufferFlag[k], false)
        case .setFolioFlag(let k): return ("set_" + FolioFlag(rawValue: k)!.kernelName, folioFlag[k], true)
        case .setBufferFlag(let k): return ("set_" + BufferFlag(rawValue: k)!.kernelName, bufferFlag[k], true)
        case .setHas(let f): return (setHas[f]!, setBits[f]!, false)
        case .setPut(let f): return (setPut[f]!, setBits[f]!, true)
        case .listLength, .listElement, .folioBuffers, .folioMapping, .bufferFolio: return nil
        }
    }

    init(program p: Program) {
        program = p
        for n in [listLength, listElement, folioBuffers, folioMapping, bufferFolio, objectIndex, oldValue] {
            _ = names.claim(n)
        }
        for f in FolioFlag.allCases {
            _ = names.claim(f.kernelName)
            _ = names.claim("set_" + f.kernelName)
        }
        for f in BufferFlag.allCases {
            _ = names.claim(f.kernelName)
            _ = names.claim("set_" + f.kernelName)
        }
        for f in FolioFlag.allCases {
            folioFlag.append(p.folios.map { names.fresh(f.kernelName, $0.name) })
        }
        for f in BufferFlag.allCases {
            bufferFlag.append(p.buffers.map { names.fresh(f.kernelName, $0.name) })
        }
        shared = p.shared.map { names.fresh($0.name) }
        for (t, thread) in p.threads.enumerated() {
            process.append(names.fresh(thread.name))
            pc.append(names.fresh("pc", thread.name))
            for f in p.analysis.localFields[t] {
                let info = p.fieldInfo[f]
                let base = info.name == "current->flags" ? "flags" : info.name
                if info.type == .set {
                    setBits[f] = p.folios.map { names.fresh(thread.name, base, $0.name) }
                    setHas[f] = names.fresh(thread.name, base, "has")
                    setPut[f] = names.fresh(thread.name, base, "put")
                } else {
                    local[f] = names.fresh(thread.name, base)
                }
            }
        }
    }

    /// Values a field may hold, as lockhunt stores it (a value outside is a fault).
    func range(of f: FieldID) -> ClosedRange<Int64> {
        let field = program.fields[f]
        let w = Int64(field.width)
        if field.signed { return -(Int64(1) << (w - 1))...((Int64(1) << (w - 1)) - 1) }
        return 0...(w >= 63 ? Int64.max : (Int64(1) << w) - 1)
    }

    /// The smallest Promela type that holds `range`.
    static func type(for range: ClosedRange<Int64>) -> String {
        if range.lowerBound >= 0 {
            if range.upperBound <= 1 { return "bit" }
            if range.upperBound <= 255 { return "byte" }
        }
        if range.lowerBound >= -32768 && range.upperBound <= 32767 { return "short" }
        return "int"
    }
}
