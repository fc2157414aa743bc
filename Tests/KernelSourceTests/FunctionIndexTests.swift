import Testing
import KernelSource

@Suite("FunctionIndex: top-level definitions by their shape")
struct FunctionIndexTests {
    let shapes = Fixture.functions("shapes.c")

    func named(_ name: String) -> FunctionDefinition? { shapes.first { $0.name == name } }

    @Test("definitions are found, declarations, initialisers, struct bodies and typedefs are not")
    func definitionsOnly() {
        #expect(shapes.map(\.name) == [
            "shape_init", "shape_multi_line_type", "shape_returns_pointer", "shape_log", "shape_unlock",
            "shape_callbacks", "sys_shape_syscall", "declared_only", "__buffer_style_name",
        ])
    }

    @Test("first and last lines cover specifiers, attributes and return types over several lines")
    func lines() throws {
        let initFn = try #require(named("shape_init"))
        #expect(initFn.firstLine == Fixture.line("init-first", in: "shapes.c"))
        #expect(initFn.lastLine == Fixture.line("init-last", in: "shapes.c"))
        #expect(initFn.isStatic && !initFn.isInline)

        let multi = try #require(named("shape_multi_line_type"))
        let nameLine = Fixture.line("multi-first", in: "shapes.c")
        #expect(multi.firstLine == nameLine - 1)  // `static int __must_check` is on the line above
        #expect(multi.nameLine == nameLine)
        #expect(multi.lastLine == Fixture.line("multi-last", in: "shapes.c"))

        let log = try #require(named("shape_log"))
        #expect(log.firstLine == Fixture.line("printf-name", in: "shapes.c") - 1)  // `__printf(2, 3)`
        #expect(log.parameters == ["folio", "fmt"])

        let syscall = try #require(named("sys_shape_syscall"))
        #expect(syscall.firstLine == Fixture.line("syscall", in: "shapes.c"))

        let underscored = try #require(named("__buffer_style_name"))
        #expect(underscored.firstLine == Fixture.line("underscored", in: "shapes.c"))
        #expect(underscored.lastLine == underscored.firstLine + 3)
    }

    @Test("parameters include function-pointer parameters; annotations after the list are not the name")
    func parameters() throws {
        #expect(try #require(named("shape_callbacks")).parameters == ["folio", "get", "put", "nr"])
        #expect(try #require(named("shape_unlock")).parameters == ["lock"])
        #expect(try #require(named("shape_init")).parameters == [])
        // Calls through those parameters are indirect.
        let body = BodyReader.read(try #require(named("shape_callbacks")))
        #expect(body.calls.map(\.callee) == ["put", "get"])
        #expect(body.calls.allSatisfy { $0.isIndirect })
    }

    @Test("static inline functions in headers, one-line bodies, and the #else definition of a config stub")
    func header() {
        let header = Fixture.functions("shapes.h")
        #expect(header.map(\.name) == ["shape_test_locked", "shape_lock", "shape_one_line", "shape_config"])
        #expect(header.allSatisfy { $0.isStatic && $0.isInline })
        let oneLine = header.first { $0.name == "shape_one_line" }
        #expect(oneLine?.firstLine == Fixture.line("one-line", in: "shapes.h"))
        #expect(oneLine?.lastLine == oneLine?.firstLine)
        let lock = header.first { $0.name == "shape_lock" }.map(BodyReader.read)
        #expect(lock?.call("__folio_lock", at: Fixture.line("inline-slow", in: "shapes.h")) != nil)
    }

    @Test("the fixture's migration functions, first to last line")
    func migrationFixture() {
        let file = "before/mm/migrate.c"
        let found = Fixture.functions(file)
        #expect(found.map(\.name) == [
            "writeout", "migrate_folio", "fallback_migrate_folio", "move_to_new_folio", "try_split_folio",
            "migrate_folio_unmap", "migrate_folio_move", "migrate_pages_batch", "migrate_pages",
        ])
        for name in ["migrate_folio_unmap", "migrate_pages_batch", "migrate_pages"] {
            let start = Fixture.line(containing: " \(name)(", in: file)
            let def = found.first { $0.name == name }
            #expect(def?.firstLine == start, "\(name)")
            #expect(def?.lastLine == Fixture.closingBrace(after: start, in: file), "\(name)")
        }
    }

    @Test("a body with an extra brace ends at the next } in column 1; the next function is still found")
    func unbalanced() throws {
        let source = """
        static int broken(int x)
        {
        \tif (x) {
        \t\tfolio_lock(NULL);
        \treturn x;
        }

        static int next_one(void)
        {
        \treturn 0;
        }
        """
        let found = FunctionIndex.find(in: CLexer.lex(source), file: "t.c")
        #expect(found.map(\.name) == ["broken", "next_one"])
        let broken = try #require(found.first)
        #expect(!broken.bodyComplete)
        #expect(broken.lastLine == 6)
        #expect(found.last?.firstLine == 8)
        #expect(found.last?.bodyComplete == true)
    }

    @Test("a file cut inside a body gives a definition running to the end, marked incomplete")
    func cutShort() throws {
        let found = FunctionIndex.find(in: CLexer.lex("int a(void)\n{\n\tfolio_lock(f);\n\tif (x) {\n\t\ty();"), file: "t.c")
        let a = try #require(found.first)
        #expect(found.count == 1 && a.name == "a" && !a.bodyComplete && a.lastLine == 5)
        #expect(BodyReader.read(a).calls.map(\.callee) == ["folio_lock", "y"])
    }

    @Test("a } in column 1 inside an initialiser does not end anything early")
    func initialiserBraces() {
        let source = """
        static struct table tbl[] = {
        {
        \t.a = 1,
        },
        };

        int after_table(void)
        {
        \treturn 0;
        }
        """
        let found = FunctionIndex.find(in: CLexer.lex(source), file: "t.c")
        #expect(found.map(\.name) == ["after_table"])
        #expect(found.first?.firstLine == 7)
    }
}
