import Foundation
import Testing
import LockhuntKit

/// Bad model input of every kind ends in `file:line:col: error: ...` diagnostics, several per
/// run where possible. Each fixture marks the errors it expects with `//~ error: TEXT` on the
/// line the error must point at.
@Suite("Model diagnostics")
struct DiagnosticsTests {
    @Test("every marked error is reported at its line, and nothing else", arguments: TestSupport.fixtures(in: "diagnostics"))
    func fixture(_ name: String) throws {
        let path = TestSupport.fixture("diagnostics/" + name)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var expected: [(line: Int, text: String)] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if let r = line.range(of: "//~ error: ") { expected.append((i + 1, String(line[r.upperBound...]).trimmingCharacters(in: .whitespaces))) }
        }
        #expect(!expected.isEmpty, "fixture \(name) marks no expected error")
        let compiled = TestSupport.compile(path: path)
        #expect(compiled.program == nil)
        let errors = compiled.diagnostics.filter { $0.severity == .error }
        for e in expected {
            let hit = errors.contains { Int($0.location.line) == e.line && $0.message.contains(e.text) }
            #expect(hit, "\(name):\(e.line): expected an error containing \"\(e.text)\"; got:\n\(compiled.printed)")
        }
        for d in errors {
            let marked = expected.contains { $0.line == Int(d.location.line) && d.message.contains($0.text) }
            #expect(marked, "\(name): unexpected error at line \(d.location.line): \(d.message)")
        }
    }

    @Test("a diagnostic prints file:line:col, the source line and a caret")
    func printedForm() {
        let compiled = TestSupport.compile("folio A;\nthread t {\n\tfolio_lock(B);\n}\n")
        let text = compiled.printed
        #expect(text.contains("model.lh:3:13: error: unknown name 'B'; did you mean 'A'?\n"))
        #expect(text.contains("\tfolio_lock(B);\n\t           ^\n"))
    }

    @Test("an empty file is an error, not an empty model")
    func emptyFile() {
        for text in ["", "\n\n   \n"] {
            let compiled = TestSupport.compile(text)
            #expect(compiled.program == nil)
            #expect(compiled.diagnostics.first?.message.hasPrefix("empty model file") == true)
        }
    }

    @Test("binary garbage and invalid UTF-8 give one clear error")
    func garbage() {
        let dir = TestSupport.temporaryDirectory()
        let cases: [(String, [UInt8], String)] = [
            ("nul.lh", [0x66, 0x6f, 0x00, 0x01, 0x02], "NUL byte"),
            ("latin1.lh", Array("folio A; // caf".utf8) + [0xE9] + Array("\n".utf8), "0xe9"),
            ("truncated.lh", Array("folio A;".utf8) + [0xE2, 0x82], "truncated UTF-8 sequence"),
            ("elf.lh", [0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00], "NUL byte"),
        ]
        for (name, bytes, message) in cases {
            let path = dir + "/" + name
            #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)), "could not write a test file")
            let compiled = TestSupport.compile(path: path)
            #expect(compiled.program == nil)
            #expect(compiled.diagnostics.count == 1, "\(name): \(compiled.printed)")
            #expect(compiled.diagnostics.first?.message.contains(message) == true, "\(name): \(compiled.printed)")
        }
    }

    @Test("deep nesting is refused instead of overflowing the stack")
    func deepNesting() {
        let deep = "thread t { int x = " + String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000) + "; }"
        let compiled = TestSupport.compile(deep)
        #expect(compiled.program == nil)
        #expect(compiled.diagnostics.contains { $0.message.contains("nesting too deep") })
        let blocks = "thread t " + String(repeating: "{ ", count: 3000) + String(repeating: "} ", count: 3000)
        #expect(TestSupport.compile(blocks).diagnostics.contains { $0.message.contains("nesting too deep") })
    }

    @Test("huge numbers are errors")
    func hugeNumbers() {
        let compiled = TestSupport.compile("param N = 99999999999999999999999;\nthread t { }\n")
        #expect(compiled.diagnostics.contains { $0.message.contains("too large") && $0.location.line == 1 })
    }

    @Test("an unknown --param is reported with a suggestion")
    func unknownParam() {
        let compiled = TestSupport.compile("param BATCH = 2;\nthread t { }\n", params: [("BACTH", 3)])
        #expect(compiled.program == nil)
        #expect(compiled.diagnostics.contains { $0.message.contains("--param BACTH: the model has no parameter 'BACTH'; did you mean 'BATCH'?") })
    }

    @Test("a missing include is reported where it is included")
    func missingInclude() {
        let compiled = TestSupport.compile("include \"nowhere.lh\";\nthread t { }\n")
        #expect(compiled.diagnostics.first?.message.contains("cannot read") == true)
        #expect(compiled.diagnostics.first?.location.line == 1)
    }

    @Test("the error count is capped so garbage cannot print thousands of lines")
    func errorCap() {
        let text = String(repeating: "thread t { folio_lock(Q); }\n", count: 500)
        let compiled = TestSupport.compile(text)
        #expect(compiled.diagnostics.filter { $0.severity == .error }.count <= 50)
    }
}
