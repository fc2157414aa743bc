#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading the files that models and traces name. Models, traces and policies may come from a
/// change under review (docs/SECURITY.md), and an `include`, a trace's `model:` line or an
/// `expect ... under` line is a path chosen by whoever wrote them. So lockhunt reads a file only
/// when it is what it claims to be:
///
/// - a model only from a file whose name ends in `.lh`, a trace only from one ending in `.trace`;
///   a symbolic link counts by the name of what it finally points to, so `x.lh -> /etc/shadow`
///   is refused. Anything else is never opened, so its lines can never reach a diagnostic, a
///   JSON report or a CI log;
/// - a regular file: a directory, a named pipe, a device (`/dev/zero`) or a socket is refused
///   before it is opened, and the file is opened without blocking and checked again once open;
/// - no larger than the limit, judged by its size before a byte is read (a sparse 3 GB file is
///   refused at once) and again while reading (a file that grows is cut off).
public enum InputFile {
    public enum Kind: Sendable {
        case model, trace

        public var fileExtension: String { self == .model ? ".lh" : ".trace" }
        var noun: String { self == .model ? "model" : "trace" }
    }

    /// Why a file was not read: a sentence fragment for "cannot read 'PATH': ...", or a whole
    /// message (`isWholeMessage`) for the refusals that are not about reading.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var isWholeMessage = false

        public var description: String { isWholeMessage ? reason : "cannot read '\(path)': \(reason)" }
    }

    /// The file's bytes, or why lockhunt will not read it.
    public static func read(_ path: String, as kind: Kind, limit: Int) -> Result<[UInt8], Failure> {
        func fail(_ reason: String) -> Result<[UInt8], Failure> { .failure(Failure(path: path, reason: reason)) }
        var link = stat()
        if lstat(path, &link) != 0 {
            return fail(errno == ENOENT || errno == ENOTDIR ? "no such file" : describeErrno(errno))
        }
        var info = stat()
        if stat(path, &info) != 0 {
            if errno == ELOOP { return fail("symbolic link loop") }
            if errno == ENOENT || errno == ENOTDIR { return fail("dangling symbolic link\(linkTarget(path).map { " (to '\($0)')" } ?? "")") }
            return fail(describeErrno(errno))
        }
        if let what = notARegularFile(info.st_mode) { return fail(what) }
        if let refusal = refusedName(path, isLink: (link.st_mode & S_IFMT) == S_IFLNK, kind: kind) {
            return .failure(Failure(path: path, reason: refusal, isWholeMessage: true))
        }
        if Int(info.st_size) > limit { return .failure(tooLarge(path, Int(info.st_size), limit)) }
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        if fd < 0 { return fail(describeErrno(errno)) }
        defer { close(fd) }
        // The file may have been swapped for something else since stat().
        var opened = stat()
        if fstat(fd, &opened) != 0 { return fail(describeErrno(errno)) }
        if let what = notARegularFile(opened.st_mode) { return fail(what) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(limit, Int(opened.st_size)))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let want = min(chunk.count, limit + 1 - bytes.count)
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, want) }
            if n < 0 {
                if errno == EINTR { continue }
                return fail(describeErrno(errno))
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
            if bytes.count > limit { return .failure(tooLarge(path, nil, limit)) }
        }
        return .success(bytes)
    }

    /// The refusal of a file that is not a model (or trace) by its name, or nil.
    static func refusedName(_ path: String, isLink: Bool, kind: Kind) -> String? {
        if !path.hasSuffix(kind.fileExtension) {
            return "'\(path)' is not a \(kind.noun) file: lockhunt reads \(kind.noun)s only from files whose names end in \(kind.fileExtension) (docs/SECURITY.md)"
        }
        guard isLink else { return nil }
        guard let resolved = realPath(path) else { return nil }
        if !resolved.hasSuffix(kind.fileExtension) {
            return "'\(path)' is not a \(kind.noun) file: it is a symbolic link to '\(resolved)', and lockhunt reads \(kind.noun)s only from files whose names end in \(kind.fileExtension) (docs/SECURITY.md)"
        }
        return nil
    }

    /// `size` is nil when the file grew past the limit while it was read.
    static func tooLarge(_ path: String, _ size: Int?, _ limit: Int) -> Failure {
        Failure(path: path, reason: "'\(path)' is too large (\(size.map { "\($0)" } ?? "more than \(limit)") bytes; the limit is \(limit))", isWholeMessage: true)
    }

    static func notARegularFile(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "it is a directory"
        case S_IFIFO: return "it is a named pipe (FIFO), not a file"
        case S_IFCHR, S_IFBLK: return "it is a device, not a file"
        case S_IFSOCK: return "it is a socket, not a file"
        default: return "it is not a regular file"
        }
    }

    static func describeErrno(_ e: Int32) -> String {
        switch e {
        case EACCES, EPERM: return "permission denied"
        case ELOOP: return "symbolic link loop"
        case ENAMETOOLONG: return "the path is too long"
        default: return String(cString: strerror(e))
        }
    }

    static func linkTarget(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4097)
        let n = readlink(path, &buffer, 4096)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    /// What is at `path` for a writer that must not follow it into something else: nil when
    /// nothing is there, else why a file cannot be written there (a directory, a FIFO, a
    /// device, a dangling or looping link), or "" for a regular file (or a link to one).
    public static func obstacle(at path: String) -> String? {
        var link = stat()
        if lstat(path, &link) != 0 { return nil }
        var info = stat()
        if stat(path, &info) != 0 {
            if errno == ELOOP { return "it is a symbolic link loop" }
            return "it is a dangling symbolic link\(linkTarget(path).map { " (to '\($0)')" } ?? "")"
        }
        return notARegularFile(info.st_mode) ?? ""
    }
}
