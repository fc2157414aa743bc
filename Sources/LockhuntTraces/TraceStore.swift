import Foundation
import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration
import LockhuntFindings

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
    /// replaced only if `replace`, else the trace goes to the next free `<name>.N.trace`. Whatever
    /// stands at a name that is not a regular file (a directory, a FIFO, a device, a dangling
    /// or looping link) is neither read nor replaced: the write fails and says why, and the
    /// finding it belongs to is reported all the same.
    public func write(_ trace: Trace, scenario: String, policy: String?, suffix: String? = nil, replace: Bool) -> Written {
        let path = self.path(scenario: scenario, policy: policy, suffix: suffix)
        let text = trace.render()
        let data = [UInt8](text.utf8)
        // Twice at most: a file that appears between the look and the write is looked at again.
        for _ in 0..<2 {
            switch existing(path) {
            case .failure(let why):
                return .failed("cannot write \(path): \(why)")
            case .success(nil):
                do {
                    try AtomicFile.create(path, contents: text)
                    return .created(path)
                } catch AtomicFile.Failure.exists(_) {
                    continue
                } catch {
                    return .failed("could not write \(path): \(error)")
                }
            case .success(let bytes?):
                if bytes == data { return .unchanged(path) }
                if replace {
                    do { try AtomicFile.replace(path, contents: text) } catch { return .failed("could not write \(path): \(error)") }
                    return .replaced(path)
                }
                return writeBeside(path, text: text, data: data)
            }
        }
        return .failed("could not write \(path): it keeps changing while lockhunt writes it")
    }

    /// The next free `<name>.N.trace` beside `path`, or one that holds this very trace.
    private func writeBeside(_ path: String, text: String, data: [UInt8]) -> Written {
        let stem = (path as NSString).deletingPathExtension
        for k in 2...999 {
            let alt = "\(stem).\(k).trace"
            switch existing(alt) {
            case .failure: continue
            case .success(let bytes?):
                if bytes == data { return .beside(taken: path, path: alt) }
                continue
            case .success(nil):
                do {
                    try AtomicFile.create(alt, contents: text)
                    return .beside(taken: path, path: alt)
                } catch AtomicFile.Failure.exists(_) {
                    continue
                } catch {
                    return .failed("could not write \(alt): \(error)")
                }
            }
        }
        return .failed("could not find a free trace name beside \(path)")
    }

    /// What is at `path`: nothing, a trace's bytes, or why nothing may be written there.
    private func existing(_ path: String) -> Result<[UInt8]?, TraceStoreError> {
        guard let obstacle = InputFile.obstacle(at: path) else { return .success(nil) }
        if !obstacle.isEmpty { return .failure(TraceStoreError(obstacle)) }
        switch InputFile.read(path, as: .trace, limit: TraceReader.maxBytes) {
        case .success(let bytes): return .success(bytes)
        case .failure(let f): return .failure(TraceStoreError(f.isWholeMessage ? f.reason : f.reason))
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

/// Why a trace could not be written where it belongs.
struct TraceStoreError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
