import Foundation
import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration
import LockhuntFindings
import LockhuntTraces
import LockhuntLockOrder
import LockhuntExport

/// The scenario files named by a gate or matrix invocation, and the (scenario, policy,
/// expected verdict) pairs their `expect` lines name.
public struct ScenarioSet {
    public struct Pair: Sendable {
        public var model: String
        public var scenario: String
        public var policy: PolicyRef
        public var expected: Verdict
    }

    public var scenarios: [String] = []
    public var policies: [String] = []
    public var pairs: [Pair] = []
    /// Problems that stop the run (printed diagnostics or messages).
    public var errors: [String] = []

    /// Folders (holding `scenarios/`, or scenario files directly) and scenario files.
    public static func files(_ inputs: [String]) -> Result<[String], UserError> {
        var files: [String] = []
        for input in inputs {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: input, isDirectory: &isDir) else {
                return .failure(UserError("'\(input)' does not exist"))
            }
            if !isDir.boolValue { files.append(ModelLoader.normalize(input)); continue }
            let sub = (input as NSString).appendingPathComponent("scenarios")
            var subIsDir: ObjCBool = false
            let dir = FileManager.default.fileExists(atPath: sub, isDirectory: &subIsDir) && subIsDir.boolValue ? sub : input
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".lh") }.sorted()
            if names.isEmpty { return .failure(UserError("no scenario (.lh) files in '\(dir)'")) }
            files.append(contentsOf: names.map { ModelLoader.normalize((dir as NSString).appendingPathComponent($0)) })
        }
        return .success(files)
    }

    public init(inputs: [String], policyDir: String?) {
        let files: [String]
        switch ScenarioSet.files(inputs) {
        case .success(let f): files = f
        case .failure(let e):
            errors.append(e.message)
            return
        }
        for file in files {
            let sources = SourceManager()
            let diags = DiagnosticEngine()
            let scenario = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
            guard let expectations = ModelLoader.expectations(modelPath: file, sources: sources, diagnostics: diags) else {
                errors.append(DiagnosticPrinter(sources: sources).format(diags.diagnostics).trimmingCharacters(in: .newlines))
                continue
            }
            if expectations.isEmpty {
                errors.append("\(file): no 'expect ... under POLICY' lines; there is nothing to check")
                continue
            }
            scenarios.append(scenario)
            for e in expectations {
                switch ModelLoader.resolvePolicy(e.policy, for: file, explicit: policyDir) {
                case .success(let ref):
                    pairs.append(Pair(model: file, scenario: scenario, policy: ref, expected: e.verdict))
                    if !policies.contains(e.policy) { policies.append(e.policy) }
                case .failure(let err):
                    errors.append("\(sources.describe(e.location)): error: \(err.message)")
                }
            }
        }
        policies = ScenarioSet.order(policies, files: files, policyDir: policyDir)
    }

    /// Policies in historical order, then the others in the policy folder's order.
    static func order(_ names: [String], files: [String], policyDir: String?) -> [String] {
        let preferred = ["v6.2", "rfc-2022", "v5", "norefs-async", "trylock-only", "sync-light", "upstream"]
        var known: [String] = []
        if let first = files.first, let (_, all) = ModelLoader.allPolicies(for: first, explicit: policyDir) { known = all.map(\.name) }
        let ordered = preferred.filter { names.contains($0) } + known.filter { names.contains($0) && !preferred.contains($0) }
        return ordered + names.filter { !ordered.contains($0) }.sorted()
    }
}

/// Runs work items on every core, keeping results in input order.
enum Parallel {
    static func map<T: Sendable, R>(_ items: [T], jobs: Int, _ body: @escaping @Sendable (T) -> R) -> [R] {
        let slots = ResultSlots<R>(count: items.count)
        let next = Counter()
        DispatchQueue.concurrentPerform(iterations: max(1, min(jobs, items.count, SearchOptions.maxJobs))) { _ in
            while true {
                let i = next.take()
                if i >= items.count { return }
                slots.set(i, body(items[i]))
            }
        }
        return (0..<items.count).map { slots.get($0)! }
    }
}
