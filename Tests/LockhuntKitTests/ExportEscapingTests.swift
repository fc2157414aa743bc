import Foundation
import Testing
import LockhuntKit

/// Text from the model (paths, names, operations) reaches `export --promela` only inside
/// comments, where it can end neither the comment nor the line. Issue 15, item 9: an include
/// path holding `*/` closed a declaration comment, and the `c_code` block that the folder
/// names spelled out was compiled into pan and run.
@Suite("Export escaping")
struct ExportEscapingTests {
    /// The folder and file names of a model tree, benign or hostile.
    struct Names {
        var top: [String]        // folders above the scenario
        var scenario: String     // the scenario's file name, without .lh
        var libFolder: [String]  // folders of the library, below the scenario's
        var lib: String          // the library's file name, without .lh
        var policyFolder: [String]
        var policy: String
    }

    static let benign = Names(top: ["a", "b", "c"], scenario: "scenario", libFolder: ["lib", "d", "e"], lib: "helpers",
                              policyFolder: ["policies", "f", "g"], policy: "v5")

    /// `x*` then `/` closes a comment, the next folder is code, and `*y` after the next `/`
    /// opens a comment again, which the export's own `*/` closes: the export of lockhunt
    /// before issue 15 compiled this code into pan, which ran it and wrote the marker file
    /// (the #ifndef keeps its copies, one per comment it escaped from, from clashing). The
    /// library's folders do the same with an empty block, which keeps that export valid, and
    /// the policy's folders with the payload again. Around them: a newline, a carriage return,
    /// a backslash, trigraph starts (`??/` is a backslash with trigraphs), quotes, non-ASCII,
    /// an unbalanced brace and `c_code { system("id"); }`.
    static let marker = "lh_pwned"
    static let payload = " c_code {\n#ifndef LH_EVIL\n#define LH_EVIL\n"
        + "__attribute__((constructor)) static void lh_evil(void) { system(\"touch \(marker)\"); }\n#endif\n} "
    static let hostile = Names(top: ["x*", payload, "*y\n\\ q??"],
                               scenario: "s*\" c_code { system(\"id\"); } \\",
                               libFolder: ["lib*", " c_code { } ", "*l"],
                               lib: "h\"\\?? c_code {",
                               policyFolder: ["pol*", payload, "*\r\u{e9}"],
                               policy: "*v5\" \\??")

    /// The model text: the same for both trees but for the include path.
    static func scenario(_ n: Names) -> String {
        let include = ((n.libFolder + [n.lib + ".lh"]).joined(separator: "/")).replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "\"", with: "\\\"")
        return """
        include "\(include)";

        folio A { uptodate; }
        folio P[2] { buffers = 1; }
        buffer bh of A;
        shared bool queued;

        thread writer {
        \tint tries = 2;
        \tlock_buffer(bh);
        \tqueued = true;
        \tfolio_lock(P[1]);
        \tfolio_unlock(P[1]);
        \ttries--;
        }

        thread completion {
        \twait_event(queued);
        \tunlock_buffer(bh);
        }

        thread kcompactd {
        \tint got = migrate_pages([A, P], MIGRATE_SYNC_LIGHT);
        \tnote_moved(got);
        }

        """
    }

    static let library = """
    // A library: a shared counter and a helper that the threads inline.
    shared int moved;

    int note_moved(int n)
    {
    \tint before = moved;
    \tmoved = before + n;
    \treturn before;
    }

    """

    static let policy = """
    // A policy: migrate_pages() over a list, trylocking each folio and locking its buffers.
    int migrate_pages(list folios, enum migrate_mode mode)
    {
    \tint rc = 0;
    \tfor (f in folios) {
    \t\tif (!folio_trylock(f)) {
    \t\t\tif (mode == MIGRATE_ASYNC)
    \t\t\t\tcontinue;
    \t\t\tfolio_lock(f);
    \t\t}
    \t\tfor (bh in folio_buffers(f)) {
    \t\t\tlock_buffer(bh);
    \t\t\tunlock_buffer(bh);
    \t\t}
    \t\trc++;
    \t\tfolio_unlock(f);
    \t}
    \treturn rc;
    }

    """

    /// Writes the tree under `root` and returns the scenario's and the policy's paths.
    static func write(_ n: Names, under root: String) throws -> (model: String, policy: String) {
        let fm = FileManager.default
        let dir = ([root] + n.top).joined(separator: "/")
        let libDir = ([dir] + n.libFolder).joined(separator: "/")
        try fm.createDirectory(atPath: libDir, withIntermediateDirectories: true)
        let policyDir = ([root] + n.policyFolder).joined(separator: "/")
        try fm.createDirectory(atPath: policyDir, withIntermediateDirectories: true)
        let model = dir + "/" + n.scenario + ".lh"
        let policyPath = policyDir + "/" + n.policy + ".lh"
        for (path, text) in [(model, scenario(n)), (libDir + "/" + n.lib + ".lh", library), (policyPath, policy)] {
            guard fm.createFile(atPath: path, contents: Data(text.utf8)) else { throw CocoaError(.fileWriteUnknown) }
        }
        return (model, policyPath)
    }

    /// The export of the tree's model under its policy, folded or not, compiled as the
    /// command line does.
    static func export(_ n: Names, under root: String, folding: Bool) throws -> String {
        let (model, policyPath) = try write(n, under: root)
        let policy = try ModelLoader.resolvePolicy(policyPath, for: model, explicit: nil).get()
        #expect(policy.name == n.policy)
        let compiled = TestSupport.compile(path: model, policy: policy)
        let program = try #require(compiled.program, "\(compiled.printed)")
        return PromelaExport(program: program, folding: folding).render()
    }

    /// `text` as the C preprocessor would see it after removing comments, line by line: lines
    /// spliced by backslash-newline (and `??/`-newline, with trigraphs) are joined, each
    /// comment becomes one space (keeping the newlines inside a block comment, so lines stay
    /// aligned), string and character literals are kept whole. Returns the code lines.
    static func codeLines(_ text: String) -> [String] {
        let s = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        func at(_ k: Int) -> Unicode.Scalar? { k < s.count ? s[k] : nil }
        /// Past a line splice at `k`, if one starts there: the index after it.
        func splice(_ k: Int) -> Int? {
            if at(k) == "\\" && at(k + 1) == "\n" { return k + 2 }
            if at(k) == "?" && at(k + 1) == "?" && at(k + 2) == "/" && at(k + 3) == "\n" { return k + 4 }
            return nil
        }
        /// The next character, splices skipped; nil at the end.
        func next() -> Unicode.Scalar? {
            while let k = splice(i) { i = k; out.append("\n") }  // keep the line count
            guard i < s.count else { return nil }
            defer { i += 1 }
            return s[i]
        }
        func peek() -> Unicode.Scalar? {
            var k = i
            while let j = splice(k) { k = j }
            return at(k)
        }
        while let c = next() {
            if c == "/" && peek() == "*" {
                _ = next()
                out.append(" ")
                var last: Unicode.Scalar = " "
                while let d = next() {
                    if last == "*" && d == "/" { break }
                    if d == "\n" { out.append("\n") }
                    last = d
                }
            } else if c == "/" && peek() == "/" {
                while let d = peek(), d != "\n" { _ = next() }
                out.append(" ")
            } else if c == "\"" || c == "'" {
                out.append(c)
                while let d = next() {
                    out.append(d)
                    if d == "\\", let e = next() { out.append(e); continue }
                    if d == c || d == "\n" { break }
                }
            } else {
                out.append(c)
            }
        }
        return String(out).components(separatedBy: "\n")
    }

    /// The numbers of the lines that hold `c_code` outside a `/* */` comment: a second,
    /// simpler reading than `codeLines` (no strings, no splices), so that a mistake in one
    /// does not hide an injection from both.
    static func cCodeLines(_ text: String) -> [Int] {
        var inComment = false
        var found: [Int] = []
        for (k, line) in text.components(separatedBy: "\n").enumerated() {
            var code = ""
            var rest = Substring(line)
            while !rest.isEmpty {
                if inComment {
                    guard let close = rest.range(of: "*/") else { rest = ""; break }
                    rest = rest[close.upperBound...]
                    inComment = false
                } else if let open = rest.range(of: "/*") {
                    code += rest[..<open.lowerBound]
                    rest = rest[open.upperBound...]
                    inComment = true
                } else {
                    code += rest
                    rest = ""
                }
            }
            if code.contains("c_code") { found.append(k + 1) }
        }
        return found
    }

    @Test("the comment text cannot end a comment or a line, whatever the input")
    func commentText() {
        for raw in ["*/", "/*", "*/*", "a*/b/*c", "x\ny", "x\r\ny", "\\", "??/", "???/", "tab\there", "caf\u{e9}", "\u{0}", "*", "/", "**//"] {
            let t = PromelaComment.text(raw)
            #expect(!t.contains("*/") && !t.contains("/*") && !t.contains("??") && !t.contains("\\"), "\(raw.debugDescription) -> \(t)")
            #expect(t.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value <= 0x7E }, "\(raw.debugDescription) -> \(t)")
            let line = PromelaComment.line(raw)
            #expect(ExportEscapingTests.codeLines(line) == [" "], "\(raw.debugDescription) -> \(line)")
        }
        #expect(PromelaComment.text("a*/b") == "a* /b")
        #expect(PromelaComment.text("x\ny\\") == "x<U+000A>y<U+005C>")
        // A backslash at the very end would splice the comment's line with the next.
        #expect(ExportEscapingTests.codeLines("/* " + PromelaComment.text("x\\") + " */\nint a;") == [" ", "int a;"])
    }

    @Test("hostile folder, file and policy names reach the export only inside comments")
    func hostileNames() throws {
        let root = TestSupport.temporaryDirectory()
        for folding in [true, false] {
            let benign = try ExportEscapingTests.export(ExportEscapingTests.benign, under: root + "/benign", folding: folding)
            let hostile = try ExportEscapingTests.export(ExportEscapingTests.hostile, under: root + "/hostile", folding: folding)
            // The hostile text is there, in comments.
            #expect(hostile.contains(PromelaComment.text("/x*/" + ExportEscapingTests.payload + "/*y\n\\ q??/s*\"")))
            #expect(!hostile.contains("x*/") && !hostile.contains("/*y") && !hostile.contains("\n#ifndef"))
            // Without comments, the two exports are the same text, line for line.
            let b = ExportEscapingTests.codeLines(benign), h = ExportEscapingTests.codeLines(hostile)
            #expect(h.count == b.count, "\(h.count) lines against \(b.count)")
            let differing = zip(b, h).enumerated().filter { $0.element.0 != $0.element.1 }
            #expect(differing.isEmpty, "first differing line \(differing.first.map { "\($0.offset + 1): \($0.element.1)" } ?? "")")
            // And no line holds a c_code outside comments that the benign export does not.
            let hostileCCode = ExportEscapingTests.cCodeLines(hostile), benignCCode = ExportEscapingTests.cCodeLines(benign)
            #expect(!benignCCode.isEmpty)
            #expect(hostileCCode == benignCCode, "c_code outside comments on lines \(Set(hostileCCode).subtracting(benignCCode).sorted())")
            let benignLines = benign.components(separatedBy: "\n"), hostileLines = hostile.components(separatedBy: "\n")
            for k in hostileCCode where k <= benignLines.count {
                #expect(hostileLines[k - 1] == benignLines[k - 1], "line \(k): \(hostileLines[k - 1])")
            }
        }
    }

    @Test("SPIN, gcc and pan on the hostile export run none of the injected code")
    func hostileExportUnderSpin() throws {
        try #require(SpinRunner.available, Comment(rawValue: SpinRunner.missing))
        let root = TestSupport.temporaryDirectory()
        let text = try ExportEscapingTests.export(ExportEscapingTests.hostile, under: root + "/tree", folding: true)
        let dir = root + "/pan"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try text.write(toFile: dir + "/model.pml", atomically: true, encoding: .utf8)
        let spin = ProcessRunner.run(ProcessRunner.which("spin")!, ["-a", "model.pml"], cwd: dir, timeout: 120)
        #expect(spin.status == 0, "\(spin.stdout)\(spin.stderr)")
        let cc = ProcessRunner.run(ProcessRunner.which("gcc")!, ["-O0", "-w", "-o", "pan", "pan.c"] + PromelaExport.panCompileFlags, cwd: dir, timeout: 300)
        #expect(cc.status == 0, "\(cc.stderr.prefix(2000))")
        let pan = ProcessRunner.run(dir + "/pan", ["-c0", "-n"], cwd: dir, timeout: 120)
        #expect(pan.status == 0 && pan.stdout.contains("states, stored"), "\(pan.stdout)\(pan.stderr)")
        for place in [dir, root, TestSupport.root] {
            #expect(!FileManager.default.fileExists(atPath: place + "/" + ExportEscapingTests.marker), "the injected code ran: \(place)/\(ExportEscapingTests.marker)")
        }
    }

    @Test("only PromelaComment writes comment delimiters into the export")
    func oneCommentWriter() throws {
        let dir = TestSupport.root + "/Sources/LockhuntExport"
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".swift") && $0 != "PromelaComment.swift" }
        #expect(files.count >= 8)
        for file in files {
            let lines = try String(contentsOfFile: dir + "/" + file, encoding: .utf8).components(separatedBy: "\n")
            for (k, line) in lines.enumerated() {
                let code = line.trimmingCharacters(in: .whitespaces)
                if code.hasPrefix("//") { continue }  // a Swift comment, not output
                #expect(!code.contains("/*") && !code.contains("*/"), "\(file):\(k + 1) writes a comment delimiter itself: \(code)")
            }
        }
    }
}
