import Foundation

/// Writing trace files into a folder without ever clobbering a different one.
public struct TraceStore {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    /// `<scenario>.<policy>[.<suffix>].trace`
    public func path(scenario: String, policy: String?, suffix: String? = nil) -> String {
        var name = Trace.fileName(scenario: scenario, policy: policy)
        if let suffix { name = (name as NSString).deletingPathExtension + ".\(suffix).trace" }
        return ModelLoader.normalize((directory as NSString).appendingPathComponent(name))
    }

    public enum Written: Equatable {
        case created(String)
        case unchanged(String)
        case replaced(String)
        /// The name was taken by a different trace; this one went to the path given.
        case beside(taken: String, path: String)
        case failed(String)

        public var path: String? {
            switch self {
            case .created(let p), .unchanged(let p), .replaced(let p), .beside(_, let p): return p
            case .failed: return nil
            }
        }

        public var note: String {
            switch self {
            case .created: return "written"
            case .unchanged: return "unchanged"
            case .replaced: return "replaced"
            case .beside(let taken, let path): return "\(taken) exists and differs, so this trace went to \(path) (--overwrite replaces it)"
            case .failed(let why): return why
            }
        }
    }

    /// Writes atomically. An existing file with the same text is left alone; a different one is
    /// replaced only if `replace`, else the trace goes to the next free `<name>.N.trace`.
    public func write(_ trace: Trace, scenario: String, policy: String?, suffix: String? = nil, replace: Bool) -> Written {
        let path = self.path(scenario: scenario, policy: policy, suffix: suffix)
        let text = trace.render()
        let data = Data(text.utf8)
        if let existing = FileManager.default.contents(atPath: path) {
            if existing == data { return .unchanged(path) }
            if replace {
                do { try AtomicFile.replace(path, contents: text) } catch { return .failed("could not write \(path): \(error)") }
                return .replaced(path)
            }
            let stem = (path as NSString).deletingPathExtension
            for k in 2...999 {
                let alt = "\(stem).\(k).trace"
                if let other = FileManager.default.contents(atPath: alt) {
                    if other == data { return .beside(taken: path, path: alt) }
                    continue
                }
                do {
                    try AtomicFile.create(alt, contents: text)
                    return .beside(taken: path, path: alt)
                } catch AtomicFile.Failure.exists(_) {
                    continue
                } catch {
                    return .failed("could not write \(alt): \(error)")
                }
            }
            return .failed("could not find a free trace name beside \(path)")
        }
        do {
            try AtomicFile.create(path, contents: text)
            return .created(path)
        } catch AtomicFile.Failure.exists(_) {
            return write(trace, scenario: scenario, policy: policy, suffix: suffix, replace: replace)
        } catch {
            return .failed("could not write \(path): \(error)")
        }
    }

    /// Every `.trace` file of the folder, sorted.
    public func all() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".trace") }.sorted().map {
            ModelLoader.normalize((directory as NSString).appendingPathComponent($0))
        }
    }
}
