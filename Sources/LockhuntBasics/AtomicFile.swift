import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Files are written whole or not at all: the bytes go to a temporary file in the same folder,
/// are flushed, and are then renamed (replace) or hard-linked (create) into place. A reader never
/// sees half a trace, and `create` never replaces a file that appeared in the meantime.
public enum AtomicFile {
    public enum Failure: Error, CustomStringConvertible {
        case exists(String)
        case io(String, String)

        public var description: String {
            switch self {
            case .exists(let path): return "\(path) already exists"
            case .io(let path, let why): return "cannot write \(path): \(why)"
            }
        }
    }

    /// Writes `data` to `path` only if no file is there yet.
    public static func create(_ path: String, contents: String) throws {
        try write(path, contents: contents, replace: false)
    }

    /// Writes `data` to `path`, replacing what is there.
    public static func replace(_ path: String, contents: String) throws {
        try write(path, contents: contents, replace: true)
    }

    private static func write(_ path: String, contents: String, replace: Bool) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let dir = directory.isEmpty ? "." : directory
        try ensureDirectory(dir)
        var template = Array("\(dir)/.\((path as NSString).lastPathComponent).tmp.XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if fd < 0 { throw Failure.io(path, String(cString: strerror(errno))) }
        let tempPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        var ok = false
        defer { if !ok { unlink(tempPath) } }
        let bytes = Array(contents.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                Glibc.write(fd, raw.baseAddress! + written, bytes.count - written)
            }
            if n < 0 {
                if errno == EINTR { continue }
                let why = String(cString: strerror(errno))
                close(fd)
                throw Failure.io(path, why)
            }
            written += n
        }
        fchmod(fd, 0o644)
        if fsync(fd) != 0 || close(fd) != 0 {
            throw Failure.io(path, String(cString: strerror(errno)))
        }
        if replace {
            if rename(tempPath, path) != 0 { throw Failure.io(path, String(cString: strerror(errno))) }
        } else {
            if link(tempPath, path) != 0 {
                if errno == EEXIST { throw Failure.exists(path) }
                throw Failure.io(path, String(cString: strerror(errno)))
            }
            unlink(tempPath)
        }
        ok = true
    }

    public static func ensureDirectory(_ dir: String) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) {
            if !isDir.boolValue { throw Failure.io(dir, "not a directory") }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw Failure.io(dir, "cannot create directory")
        }
    }
}
