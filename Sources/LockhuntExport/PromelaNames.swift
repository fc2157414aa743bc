import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration

/// Promela (and C) identifiers for everything the export declares. SPIN compiles a model to C
/// (`pan.c`), where variables become fields of the state struct and the preprocessor runs over
/// the model first, so a name must avoid Promela keywords, C keywords and common C macros.
/// Names are handed out in a fixed order, so the same program always gives the same text.
struct PromelaNames {
    private var taken: Set<String>

    init() {
        taken = PromelaNames.reserved
    }

    /// A fresh identifier built from `parts` (`["kcompactd", "rc"]` gives `kcompactd_rc`, then
    /// `kcompactd_rc_2` for the next local of the same name).
    mutating func fresh(_ parts: String...) -> String {
        var base = parts.map(PromelaNames.sanitize).filter { !$0.isEmpty }.joined(separator: "_")
        if base.isEmpty { base = "x" }
        if let first = base.unicodeScalars.first, !(first.properties.isAlphabetic && first.isASCII) { base = "x" + base }
        // pan.c defines many all-capitals macros (SAFETY, VECTORSZ, ...); a name with no
        // lower-case letter could be one of them.
        if !base.unicodeScalars.contains(where: { ("a"..."z").contains($0) }) { base = "v_" + base }
        // The export's own names start with lh (Promela) or lhc_ (C).
        if base.hasPrefix("lh") { base = "m_" + base }
        // A keyword gets an underscore: `init` is `init_`.
        if PromelaNames.reserved.contains(base) { base += "_" }
        var name = base
        var k = 2
        while taken.contains(name) {
            name = "\(base)_\(k)"
            k += 1
        }
        taken.insert(name)
        return name
    }

    /// Claims a fixed name (the export's own helpers); it must still be free.
    mutating func claim(_ name: String) -> String {
        precondition(!taken.contains(name), "Promela name \(name) claimed twice")
        taken.insert(name)
        return name
    }

    /// Letters, digits and underscores; runs of anything else become one underscore.
    static func sanitize(_ s: String) -> String {
        var out = ""
        var pendingUnderscore = false
        for u in s.unicodeScalars {
            if u.isASCII && (u.properties.isAlphabetic || ("0"..."9").contains(u) || u == "_") {
                if pendingUnderscore && !out.isEmpty { out += "_" }
                pendingUnderscore = false
                out.unicodeScalars.append(u)
            } else {
                pendingUnderscore = true
            }
        }
        return out
    }

    static let reserved: Set<String> = {
        let promela = """
        active assert atomic bit bool break byte chan d_step D_proctype do else empty enabled eval \
        false fi full get_priority goto hidden if in init inline int len local ltl mtype nempty never \
        nfull np_ od of pc_value print printf printm priority proctype provided run select set_priority \
        short show skip timeout trace notrace true typedef unless unsigned xr xs for c_code c_decl \
        c_expr c_state c_track accept end progress _ _pid _nr_pr _last _priority
        """
        let c = """
        auto case char const continue default double enum extern float long register restrict return \
        signed sizeof static struct switch union void volatile while _Bool NULL EOF errno stdin stdout \
        stderr main exit abort now Index Mask P0 P1 trpt
        """
        return Set((promela + " " + c).split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
    }()
}
