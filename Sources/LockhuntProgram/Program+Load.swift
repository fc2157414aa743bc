import LockhuntBasics
import LockhuntLanguage

extension Program {
    /// Loads and compiles; on failure the result carries the printed diagnostics.
    /// `sources` may already hold the file that named the model (a trace), and `modelSite` and
    /// `policySite` point into it, so that a path there that cannot be read is reported with
    /// its place.
    public static func load(model: String, policy: PolicyRef?, params: [(String, Int64)],
                               sources: SourceManager = SourceManager(),
                               modelSite: SourceLocation = .none, policySite: SourceLocation = .none) -> (Program?, String) {
        let diags = DiagnosticEngine()
        guard let loaded = ModelLoader.load(modelPath: model, policy: policy, params: params, sources: sources, diagnostics: diags,
                                            modelSite: modelSite, policySite: policySite) else {
            return (nil, render(diags, sources))
        }
        let program = Program.compile(loaded, diagnostics: diags)
        return (program, program == nil ? render(diags, loaded.sources) : "")
    }

    public static func render(_ diags: DiagnosticEngine, _ sources: SourceManager) -> String {
        var text = DiagnosticPrinter(sources: sources, color: false).format(diags.diagnostics)
        if diags.isFull { text += "lockhunt: too many errors; stopping\n" }
        return text
    }

}
