import Foundation
import LockhuntKit

/// Helpers shared by the tests: fixture paths, compiling model text, running the built binary.
enum TestSupport {
    /// The package root, found from this file's path.
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static func fixture(_ relative: String) -> String {
        root + "/Tests/LockhuntKitTests/Fixtures/" + relative
    }

    static func fixtures(in dir: String) -> [String] {
        let path = fixture(dir)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { $0.hasSuffix(".lh") }.sorted()
    }

    /// A fresh empty directory for one test.
    /// One folder per test process for every temporary file, so that runs do not pile up
    /// thousands of folders: the folders of earlier runs whose process is gone are removed when
    /// a run starts.
    static let sessionDirectory: String = {
        let base = NSTemporaryDirectory()
        let prefix = "lockhunt-tests-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? [] where name.hasPrefix(prefix) {
            if let pid = Int32(name.dropFirst(prefix.count)), pid != getpid(), kill(pid, 0) != 0 {
                try? FileManager.default.removeItem(atPath: base + name)
            }
        }
        let dir = base + prefix + "\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }()

    static func temporaryDirectory() -> String {
        let dir = sessionDirectory + "/" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Writes `text` to a temporary model file and returns its path.
    static func writeModel(_ text: String, name: String = "model.lh", in dir: String? = nil) -> String {
        let d = dir ?? temporaryDirectory()
        let path = d + "/" + name
        let written = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        precondition(written, "could not write \(path)")
        return path
    }

    struct Compiled {
        var program: Program?
        var diagnostics: [Diagnostic]
        var sources: SourceManager
        var printed: String { DiagnosticPrinter(sources: sources).format(diagnostics) }
    }

    static func compile(path: String, policy: PolicyRef? = nil, params: [(String, Int64)] = []) -> Compiled {
        let sources = SourceManager()
        let diags = DiagnosticEngine()
        guard let model = ModelLoader.load(modelPath: path, policy: policy, params: params, sources: sources, diagnostics: diags) else {
            return Compiled(program: nil, diagnostics: diags.diagnostics, sources: sources)
        }
        let program = Program.compile(model, diagnostics: diags)
        return Compiled(program: program, diagnostics: diags.diagnostics, sources: sources)
    }

    static func compile(_ text: String, params: [(String, Int64)] = []) -> Compiled {
        compile(path: writeModel(text), params: params)
    }

    static func policy(_ name: String) -> PolicyRef {
        PolicyRef(name: name, path: root + "/Models/policies/\(name).lh")
    }

    static func explore(_ program: Program, _ configure: (inout SearchOptions) -> Void = { _ in }) -> SearchResult {
        var options = SearchOptions()
        configure(&options)
        return Explorer(program: program, options: options).run()
    }

    /// The verdict of a complete search, "incomplete" otherwise.
    static func verdict(_ r: SearchResult) -> String {
        if let f = r.findings.first {
            switch f.kind {
            case .deadlock: return "deadlock"
            case .violation: return "violation"
            }
        }
        return r.limit == nil ? "ok" : "incomplete"
    }

    /// The deadlocked thread names of the first finding.
    static func deadlocked(_ program: Program, _ r: SearchResult) -> [String] {
        guard let f = r.findings.first, case .deadlock(let ts) = f.kind else { return [] }
        return ts.map { program.threads[$0].name }.sorted()
    }

    // MARK: - The built command

    /// The binary under test: the one built beside the tests, or `LOCKHUNT_TEST_BINARY` (how a
    /// new test is checked to fail on an older build).
    static var binary: String {
        if let given = ProcessInfo.processInfo.environment["LOCKHUNT_TEST_BINARY"] { return given }
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        for candidate in [dir + "/lockhunt", root + "/.build/release/lockhunt", root + "/.build/debug/lockhunt"]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return root + "/.build/debug/lockhunt"
    }

    struct RunResult {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs the lockhunt binary with `args` in `cwd`, with `input` (if any) as standard input and
    /// `environment` added to the test's own.
    static func lockhunt(_ args: [String], cwd: String = root, input: String? = nil, environment: [String: String] = [:]) -> RunResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new } }
        p.currentDirectoryURL = URL(fileURLWithPath: cwd)
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        let inPipe = Pipe()
        p.standardInput = input == nil ? FileHandle.nullDevice : inPipe
        do { try p.run() } catch { return RunResult(status: -1, stdout: "", stderr: "\(error)") }
        if let input {
            inPipe.fileHandleForWriting.write(Data(input.utf8))
            try? inPipe.fileHandleForWriting.close()
        }
        // Read before waiting so that a large output cannot fill the pipe and stall the child.
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return RunResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }
}
