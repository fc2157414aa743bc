import Foundation
import LockhuntBasics

/// A model ready to compile: the scenario file, its includes, the policy file and its includes,
/// parsed, in the order their definitions take effect.
public final class LoadedModel {
    public let sources: SourceManager
    /// Prelude first, then the scenario with its includes expanded in place, then the policy.
    public let files: [ModelFile]
    public let modelPath: String
    /// The scenario's name: its file name without `.lh`.
    public let scenario: String
    public let policy: PolicyRef?
    public let paramOverrides: [(name: String, value: Int64)]
    /// Fingerprint of every byte read plus the parameters, for trace headers.
    public let digest: String

    init(sources: SourceManager, files: [ModelFile], modelPath: String, scenario: String,
         policy: PolicyRef?, paramOverrides: [(String, Int64)], digest: String) {
        self.sources = sources
        self.files = files
        self.modelPath = modelPath
        self.scenario = scenario
        self.policy = policy
        self.paramOverrides = paramOverrides
        self.digest = digest
    }
}

/// A policy chosen on the command line: a name found in the policy folder, or a path.
public struct PolicyRef: Sendable, Equatable {
    public var name: String
    public var path: String

    public init(name: String, path: String) {
        self.name = name
        self.path = path
    }
}

public enum ModelLoader {
    public static let maxFiles = 256
    public static let maxFileBytes = 8 << 20
    public static let fileExtension = "lh"

    /// Where `--policy NAME` looks: the `policies` folder beside the scenario's folder
    /// (Models/scenarios/x.lh -> Models/policies), then `Models/policies` under the working
    /// directory.
    public static func policyDirectories(for modelPath: String, explicit: String?) -> [String] {
        if let explicit { return [explicit] }
        let dir = (modelPath as NSString).deletingLastPathComponent
        let sibling = ((dir.isEmpty ? "." : dir) as NSString).appendingPathComponent("../policies")
        var dirs = [normalize(sibling)]
        if !dirs.contains("Models/policies") { dirs.append("Models/policies") }
        return dirs
    }

    /// Every policy in the first policy folder that exists, sorted by name.
    public static func allPolicies(for modelPath: String, explicit: String?) -> (dir: String, policies: [PolicyRef])? {
        for dir in policyDirectories(for: modelPath, explicit: explicit) {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else { continue }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            let refs = names.filter { $0.hasSuffix(".\(fileExtension)") }.sorted().map {
                PolicyRef(name: String($0.dropLast(fileExtension.count + 1)), path: normalize((dir as NSString).appendingPathComponent($0)))
            }
            return (dir, refs)
        }
        return nil
    }

    /// Whether `name` can name a policy of a policy folder: letters, digits, `.`, `-`, `_` and
    /// `+`, not starting with `.`, not ending in `.lh` (that would be taken as a path).
    public static func isPolicyName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first != ".", name.utf8.count <= 255,
              !name.hasSuffix(".\(fileExtension)") else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-+".unicodeScalars.contains($0)) }
    }

    /// Resolves `--policy NAME` (or a path to a policy file).
    public static func resolvePolicy(_ name: String, for modelPath: String, explicit: String?) -> Result<PolicyRef, UserError> {
        if name.contains("/") || name.hasSuffix(".\(fileExtension)") {
            guard FileManager.default.fileExists(atPath: name) else { return .failure(UserError("policy file '\(name)' does not exist")) }
            let base = ((name as NSString).lastPathComponent as NSString).deletingPathExtension
            return .success(PolicyRef(name: base, path: normalize(name)))
        }
        let dirs = policyDirectories(for: modelPath, explicit: explicit)
        for dir in dirs {
            let path = normalize((dir as NSString).appendingPathComponent("\(name).\(fileExtension)"))
            if FileManager.default.fileExists(atPath: path) { return .success(PolicyRef(name: name, path: path)) }
        }
        var message = "no policy '\(name)' in \(dirs.joined(separator: " or "))"
        if let (_, all) = allPolicies(for: modelPath, explicit: explicit), !all.isEmpty {
            if let s = Suggest.closest(to: name, among: all.map(\.name)) { message += "; did you mean '\(s)'?" }
            else { message += " (there: \(all.map(\.name).joined(separator: ", ")))" }
        }
        return .failure(UserError(message))
    }

    /// Reads and parses the model and the policy. Errors go to `diagnostics`; the result is nil
    /// when a file could not be read or parsed.
    /// Files read go into `sources` (also on failure, so that diagnostics can quote them).
    ///
    /// `modelSite` and `policySite` are where the model and the policy were named, when a file
    /// named them (a trace's `model:` and `policy:` lines), so that a path that cannot be read
    /// is reported there.
    public static func load(modelPath: String, policy: PolicyRef?, params: [(String, Int64)],
                            sources: SourceManager, diagnostics: DiagnosticEngine,
                            modelSite: SourceLocation = .none, policySite: SourceLocation = .none) -> LoadedModel? {
        var files: [ModelFile] = []
        var seen = Set<String>()
        // Include once by path, and also by content: a copy of a library file under another
        // path would otherwise define everything twice.
        var seenContents = Set<[UInt8]>()
        var digest = Digest()

        func read(_ path: String, from site: SourceLocation) -> SourceFile? {
            guard let bytes = readModelFile(path, from: site, diagnostics: diagnostics) else { return nil }
            // Contents only: the same model read from another directory has the same digest.
            digest.add(bytes)
            digest.add([0])
            return sources.add(path: path, bytes: bytes)
        }

        func parse(_ file: SourceFile, depth: Int) -> Bool {
            var parser = Parser(file: file, diagnostics: diagnostics)
            let parsed = parser.parseFile()
            var ok = !diagnostics.hasErrors
            // Includes take effect where they are written: expand them in place.
            var own: [Declaration] = []
            func flush() {
                if !own.isEmpty { files.append(ModelFile(file: file, declarations: own)); own = [] }
            }
            for decl in parsed.declarations {
                guard case .include(let rel, let loc) = decl else { own.append(decl); continue }
                let base = (file.path as NSString).deletingLastPathComponent
                let path = normalize(rel.hasPrefix("/") ? rel : ((base.isEmpty ? "." : base) as NSString).appendingPathComponent(rel))
                let key = canonical(path)
                if seen.contains(key) { continue }  // include once, like #pragma once
                if seen.count >= maxFiles || depth > 32 {
                    diagnostics.error(loc, "too many or too deeply nested includes")
                    return false
                }
                seen.insert(key)
                flush()
                guard let inc = read(path, from: loc) else { ok = false; continue }
                if seenContents.contains(inc.bytes) { continue }
                seenContents.insert(inc.bytes)
                if !parse(inc, depth: depth + 1) { ok = false }
            }
            flush()
            return ok
        }

        let prelude = sources.add(path: Prelude.path, bytes: Array(Prelude.text.utf8))
        var ok = parse(prelude, depth: 0)
        seen.insert(canonical(modelPath))
        guard let main = read(modelPath, from: modelSite) else { return nil }
        if main.bytes.isEmpty || String(decoding: main.bytes, as: UTF8.self).allSatisfy({ $0.isWhitespace }) {
            diagnostics.error(SourceLocation(file: main.id, line: 1, column: 1), "empty model file: declare folios, buffers and threads (see docs/LANGUAGE.md)")
            return nil
        }
        ok = parse(main, depth: 0) && ok
        if let policy {
            let key = canonical(policy.path)
            if !seen.contains(key) {
                seen.insert(key)
                guard let pf = read(policy.path, from: policySite) else { return nil }
                ok = parse(pf, depth: 0) && ok
            }
            digest.add("policy=\(policy.name)")
        }
        for (name, value) in params { digest.add("param \(name)=\(value)") }
        guard ok, !diagnostics.hasErrors else { return nil }
        let scenario = ((modelPath as NSString).lastPathComponent as NSString).deletingPathExtension
        return LoadedModel(sources: sources, files: files, modelPath: modelPath, scenario: scenario,
                           policy: policy, paramOverrides: params, digest: digest.hex)
    }

    /// `a/./b/../c` -> `a/c`, keeping the path relative when it was.
    public static func normalize(_ path: String) -> String {
        var parts: [String] = []
        let absolute = path.hasPrefix("/")
        for p in path.split(separator: "/", omittingEmptySubsequences: true) {
            if p == "." { continue }
            if p == "..", let last = parts.last, last != ".." { parts.removeLast(); continue }
            if p == "..", absolute, parts.isEmpty { continue }
            parts.append(String(p))
        }
        let joined = parts.joined(separator: "/")
        return absolute ? "/" + joined : (joined.isEmpty ? "." : joined)
    }

    /// A model file's bytes (only `.lh` files, regular, within `maxFileBytes`: `InputFile`), or
    /// nil with a diagnostic at `site`, the include or line that named it.
    static func readModelFile(_ path: String, from site: SourceLocation, diagnostics: DiagnosticEngine) -> [UInt8]? {
        switch InputFile.read(path, as: .model, limit: maxFileBytes) {
        case .success(let bytes): return bytes
        case .failure(let f):
            diagnostics.error(site, f.description)
            return nil
        }
    }

    static func canonical(_ path: String) -> String {
        let abs = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return normalize(abs)
    }
}

extension ModelLoader {
    /// The `expect ... under ...` lines of a scenario file, without compiling it (a scenario
    /// usually needs a policy to compile). Errors go to `diagnostics`.
    public static func expectations(modelPath: String, sources: SourceManager, diagnostics: DiagnosticEngine) -> [ExpectedVerdict]? {
        guard let bytes = readModelFile(modelPath, from: .none, diagnostics: diagnostics) else { return nil }
        let file = sources.add(path: modelPath, bytes: bytes)
        var parser = Parser(file: file, diagnostics: diagnostics)
        let parsed = parser.parseFile()
        if diagnostics.hasErrors { return nil }
        var out: [ExpectedVerdict] = []
        for case .expect(let e) in parsed.declarations {
            for (p, loc) in e.policies {
                if let prev = out.first(where: { $0.policy == p }) {
                    diagnostics.error(loc, "policy '\(p)' already has an expectation", notes: [.note(prev.location, "first expectation is here")])
                    continue
                }
                out.append(ExpectedVerdict(policy: p, verdict: e.verdict, location: loc))
            }
        }
        return diagnostics.hasErrors ? nil : out
    }
}
