import LockhuntBasics

/// One model file as read from disk: raw bytes plus a line table. Locations point into it.
public final class SourceFile: Sendable {
    public let id: Int
    /// The path as the user named it (relative to the working directory where possible).
    public let path: String
    public let bytes: [UInt8]
    private let lineStarts: [Int]

    public init(id: Int, path: String, bytes: [UInt8]) {
        self.id = id
        self.path = path
        self.bytes = bytes
        var starts = [0]
        for (i, b) in bytes.enumerated() where b == 0x0A { starts.append(i + 1) }
        self.lineStarts = starts
    }

    /// 1-based line and column (columns count bytes, as compilers do for ASCII sources).
    public func lineColumn(of offset: Int) -> (line: Int, column: Int) {
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        return (lo + 1, offset - lineStarts[lo] + 1)
    }

    /// The text of a 1-based line without its newline; undecodable bytes become U+FFFD.
    public func lineText(_ line: Int) -> String {
        guard line >= 1, line <= lineStarts.count else { return "" }
        let start = lineStarts[line - 1]
        var end = line < lineStarts.count ? lineStarts[line] - 1 : bytes.count
        if end > start, bytes[end - 1] == 0x0D { end -= 1 }
        return String(decoding: bytes[start..<max(start, end)], as: UTF8.self)
    }

    public var lineCount: Int { lineStarts.count }
}

/// A point in a source file. `file` indexes the `SourceManager`; -1 means "no location".
public struct SourceLocation: Hashable, Sendable, Comparable {
    public var file: Int32
    public var line: Int32
    public var column: Int32

    public init(file: Int, line: Int, column: Int) {
        self.file = Int32(file)
        self.line = Int32(line)
        self.column = Int32(column)
    }

    public static let none = SourceLocation(file: -1, line: 0, column: 0)
    public var isNone: Bool { file < 0 }

    public static func < (a: SourceLocation, b: SourceLocation) -> Bool {
        (a.file, a.line, a.column) < (b.file, b.line, b.column)
    }
}

/// Every file read for one model (scenario, includes, policy). Owns path lookup for locations.
public final class SourceManager: @unchecked Sendable {
    // Mutated only while a model is being loaded, on one thread; read-only afterwards.
    public private(set) var files: [SourceFile] = []

    public init() {}

    @discardableResult
    public func add(path: String, bytes: [UInt8]) -> SourceFile {
        let file = SourceFile(id: files.count, path: path, bytes: bytes)
        files.append(file)
        return file
    }

    public func file(_ location: SourceLocation) -> SourceFile? {
        let i = Int(location.file)
        return i >= 0 && i < files.count ? files[i] : nil
    }

    /// "path:line:col"
    public func describe(_ location: SourceLocation) -> String {
        guard let f = file(location) else { return "<unknown>" }
        return "\(f.path):\(location.line):\(location.column)"
    }

    /// "path:line"
    public func describeLine(_ location: SourceLocation) -> String {
        guard let f = file(location) else { return "<unknown>" }
        return "\(f.path):\(location.line)"
    }
}
