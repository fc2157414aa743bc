import Foundation
import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration
import LockhuntFindings

/// Makes the trace file of a finding.
public enum TraceBuilder {
    public static func trace(program: Program, finding: Finding, traceDir: String, search: SearchOptions) -> Trace {
        let record: TraceFindingRecord
        switch finding.kind {
        case .deadlock(let tasks):
            record = .deadlock(tasks.map { ($0.thread, $0.waitsFor, $0.location) })
        case .violation(let t, let m, let l, _):
            record = .violation(thread: t, message: m, location: l)
        }
        return Trace(root: relativeRoot(from: traceDir), model: program.modelPath, policy: program.policy?.name,
                     policyFile: program.policy?.path,
                     params: program.effectiveParams.map { TraceParam(name: $0.name, value: $0.value) },
                     digest: program.digest, search: search.order.rawValue, steps: finding.steps, finding: record)
    }

    /// The way back from the trace folder to the working directory, where model paths start.
    public static func relativeRoot(from traceDir: String) -> String {
        let dir = ModelLoader.normalize(traceDir)
        if dir.hasPrefix("/") { return FileManager.default.currentDirectoryPath }
        if dir == "." { return "." }
        var up: [String] = []
        for part in dir.split(separator: "/") {
            if part == ".." { return FileManager.default.currentDirectoryPath }
            up.append("..")
        }
        return up.joined(separator: "/")
    }

    /// Where a path recorded in a trace is, seen from the working directory.
    public static func resolve(_ path: String, trace tracePath: String, root: String) -> String {
        if path.hasPrefix("/") { return path }
        let dir = (tracePath as NSString).deletingLastPathComponent
        let base = root.hasPrefix("/") ? root : ((dir.isEmpty ? "." : dir) as NSString).appendingPathComponent(root)
        return ModelLoader.normalize((base as NSString).appendingPathComponent(path))
    }
}
