import Foundation
import KernelSource

/// The kernel-style C fixtures of Fixtures/, written for these tests, and ways to find lines
/// in them by their `/* M:name */` markers (so that tests never hard-code line numbers).
enum Fixture {
    static let directory: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
    }()

    static func path(_ relative: String) -> String { directory + "/" + relative }

    static func text(_ relative: String) -> String {
        (try? String(contentsOfFile: path(relative), encoding: .utf8)) ?? ""
    }

    static func bytes(_ relative: String) -> [UInt8] {
        Array((FileManager.default.contents(atPath: path(relative)) ?? Data()))
    }

    /// 1-based line of the marker `/* M:name */` in a fixture (0 if missing: tests then fail).
    static func line(_ marker: String, in relative: String) -> Int {
        line(containing: "/* M:\(marker) */", in: relative)
    }

    /// 1-based line of the first line containing `text` (0 if none).
    static func line(containing text: String, in relative: String) -> Int {
        let lines = self.text(relative).components(separatedBy: "\n")
        return (lines.firstIndex { $0.contains(text) } ?? -1) + 1
    }

    /// 1-based line of the first line after `after` that starts with `}`.
    static func closingBrace(after: Int, in relative: String) -> Int {
        let lines = text(relative).components(separatedBy: "\n")
        var k = after
        while k < lines.count, !lines[k].hasPrefix("}") { k += 1 }
        return k + 1
    }

    static func lex(_ relative: String) -> LexedSource { CLexer.lex(bytes(relative)) }

    static func functions(_ relative: String) -> [FunctionDefinition] {
        FunctionIndex.find(in: lex(relative), file: relative)
    }

    static func body(_ name: String, in relative: String) -> FunctionBody? {
        functions(relative).first { $0.name == name }.map(BodyReader.read)
    }

    /// The files of a fixture tree (`before` or `after`).
    static let treeFiles = ["mm/migrate.c", "mm/rmap.c", "fs/buffer.c", "include/linux/pagemap.h"]

    static func tree(_ name: String) -> KernelSourceSet {
        KernelSourceSet(root: path(name), paths: treeFiles)
    }
}

extension FunctionBody {
    /// The calls on a line.
    func calls(at line: Int) -> [CallSite] { calls.filter { $0.line == line } }

    /// The call to `callee` on `line`.
    func call(_ callee: String, at line: Int) -> CallSite? { calls.first { $0.line == line && $0.callee == callee } }
}
