import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration
import LockhuntFindings
import LockhuntTraces
import LockhuntLockOrder
import LockhuntExport

/// `lockhunt export`: compile a model under a policy and write it in another checker's language.
public struct ExportOptions: Sendable {
    public var model = ""
    public var policy: String? = nil
    public var policyDir: String? = nil
    public var params: [(String, Int64)] = []
    /// Where to write; nil for standard output.
    public var output: String? = nil
    /// Replace an existing output file.
    public var overwrite = false
    /// Fold local code into the visible steps (`--reduce fold`, the default) or not
    /// (`--reduce none`): the export has the states of `lockhunt check` with the same setting.
    public var folding = true

    public init() {}
}

public struct ExportResult: Sendable {
    /// The Promela text (also when it was written to a file).
    public var text = ""
    /// Diagnostics or the reason nothing was written, printed.
    public var errors = ""
    public var exitCode = ExitCode.ok
}

public struct ExportRunner: Sendable {
    public let options: ExportOptions

    public init(options: ExportOptions) { self.options = options }

    public func run() -> ExportResult {
        var result = ExportResult()
        let model = ModelLoader.normalize(options.model)
        var policy: PolicyRef? = nil
        if let name = options.policy {
            switch ModelLoader.resolvePolicy(name, for: model, explicit: options.policyDir) {
            case .success(let ref): policy = ref
            case .failure(let e):
                result.errors = "lockhunt export: error: \(e.message)\n"
                result.exitCode = .error
                return result
            }
        }
        let (compiled, errors) = Program.load(model: model, policy: policy, params: options.params)
        guard let program = compiled else {
            result.errors = errors
            result.exitCode = .error
            return result
        }
        result.text = PromelaExport(program: program, folding: options.folding).render()
        if let path = options.output {
            do {
                if options.overwrite { try AtomicFile.replace(path, contents: result.text) }
                else { try AtomicFile.create(path, contents: result.text) }
            } catch AtomicFile.Failure.exists(let p) {
                result.errors = "lockhunt export: error: \(p) already exists; pass --overwrite to replace it\n"
                result.exitCode = .error
            } catch {
                result.errors = "lockhunt export: error: \(error)\n"
                result.exitCode = .error
            }
        }
        return result
    }
}
