import Testing
import KernelSource

@Suite("Reachability: lock operations reachable through direct calls")
struct ReachabilityTests {
    static let before = Fixture.tree("before")
    let file = "before/mm/migrate.c"

    func marker(_ name: String, _ relative: String = "before/mm/migrate.c") -> Int { Fixture.line(name, in: relative) }

    func reached(_ result: ReachabilityResult, _ key: String) -> [ReachedLockOperation] {
        result.operations.filter { $0.key == key }
    }

    @Test("the tree is read whole")
    func tree() {
        #expect(Self.before.problems.isEmpty)
        #expect(Self.before.files.map(\.path) == Fixture.treeFiles)
    }

    @Test("folio_lock in migrate_folio_unmap, with its call path, lines, conditions and loop")
    func unmapLock() throws {
        let result = Reachability.lockOperations(from: "migrate_pages", in: Self.before)
        #expect(result.startFound && !result.truncated)
        let lock = try #require(reached(result, "migrate_pages -> migrate_pages_batch -> migrate_folio_unmap -> folio_lock").first)
        #expect(lock.file == "mm/migrate.c" && lock.line == marker("unmap-lock"))
        #expect(lock.description == "migrate_pages -> migrate_pages_batch -> migrate_folio_unmap -> folio_lock @ mm/migrate.c:\(marker("unmap-lock"))")
        #expect(lock.path.map(\.lines) == [[marker("top-batch")], [marker("batch-unmap")]])
        #expect(lock.conditions.map(\.description) == [
            "!(current->flags & PF_MEMALLOC) (else goto out)", "mode != MIGRATE_ASYNC (else goto out)",
            "if (!folio_trylock(src))", "dst (else return -ENOMEM)",
        ])
        #expect(lock.inLoopAnywhere)
        #expect(lock.path[1].inLoop && !lock.path[0].inLoop && !lock.operation.call.inLoop)
        #expect(lock.operation.object == "src")
    }

    @Test("deep paths, static inline helpers of headers, other files")
    func deepAndHeaders() throws {
        let result = Reachability.lockOperations(from: "migrate_pages", in: Self.before)
        let writeout = try #require(reached(result,
            "migrate_pages -> migrate_pages_batch -> migrate_folio_move -> move_to_new_folio -> fallback_migrate_folio -> writeout -> folio_lock").first)
        #expect(writeout.line == marker("writeout-lock"))
        #expect(writeout.conditions.map(\.description) == [
            "if (rc != AOP_WRITEPAGE_ACTIVATE)", "mapping->a_ops->writepage (else return -EINVAL)",
        ])
        let stable = try #require(reached(result,
            "migrate_pages -> migrate_pages_batch -> migrate_folio_move -> folio_wait_stable_if_needed -> folio_wait_stable").first)
        #expect(stable.file == "include/linux/pagemap.h")
        #expect(stable.line == marker("header-stable", "before/include/linux/pagemap.h"))
        #expect(stable.operation.kind == .writeback && stable.operation.action == .wait)
        // remove_migration_ptes (mm/rmap.c) is entered but locks nothing before the patch.
        #expect(result.functionsVisited.contains("remove_migration_ptes"))
        #expect(!result.operations.contains { $0.function == "remove_migration_ptes" })
    }

    @Test("calls through pointers are listed, not followed")
    func indirect() {
        let result = Reachability.lockOperations(from: "migrate_pages", in: Self.before)
        let migrate = result.indirectCalls.first { $0.call.callee == "migrate_folio" }
        #expect(migrate?.call.receiver == "mapping->a_ops")
        #expect(migrate?.call.line == marker("indirect"))
        #expect(migrate?.function == "move_to_new_folio")
        #expect(result.indirectCalls.contains { $0.call.callee == "get_new_folio" })
        #expect(result.indirectCalls.contains { $0.call.callee == "writepage" && $0.function == "writeout" })
    }

    @Test("depth limit: operations beyond it are not reached, and the cut is reported")
    func depthLimit() {
        var options = ReachabilityOptions()
        options.maxDepth = 2
        let result = Reachability.lockOperations(from: "migrate_pages", in: Self.before, options: options)
        #expect(result.operations.allSatisfy { $0.path.count <= 2 })
        #expect(!result.operations.contains { $0.function == "writeout" })
        #expect(result.operations.contains { $0.function == "migrate_folio_unmap" })
        #expect(result.cutByDepth.contains("move_to_new_folio"))
    }

    @Test("buffer locks in a do-while and the secondary spinlock inside a goto loop")
    func buffers() throws {
        let result = Reachability.lockOperations(from: "buffer_migrate_folio", in: Self.before)
        let lock = try #require(result.operations.first { $0.operation.call.callee == "lock_buffer" })
        #expect(lock.functionPath == ["buffer_migrate_folio", "__buffer_migrate_folio", "buffer_migrate_lock_buffers"])
        #expect(lock.line == marker("buf-lock", "before/fs/buffer.c"))
        #expect(lock.operation.call.loops.first?.kind == .doWhile)
        #expect(lock.conditions.first?.description == "!(mode == MIGRATE_SYNC_LIGHT && !buffer_uptodate(bh)) (else goto unlock)")
        let spin = try #require(result.operations.first { $0.operation.call.callee == "spin_lock" })
        #expect(spin.operation.spec.secondary)
        #expect(spin.operation.call.loops.map(\.kind) == [.backwardGoto])

        var primaryOnly = ReachabilityOptions()
        primaryOnly.includeSecondary = false
        let without = Reachability.lockOperations(from: "buffer_migrate_folio", in: Self.before, options: primaryOnly)
        #expect(!without.operations.contains { $0.operation.spec.secondary })
        #expect(without.operations.count < result.operations.count)
        #expect(without.operations.contains { $0.operation.call.callee == "lock_buffer" })
    }

    @Test("recursion and mutual recursion end; functions not in the set are leaves")
    func recursion() {
        let set = KernelSourceSet(root: Fixture.directory, paths: ["bodies.c"])
        let result = Reachability.lockOperations(from: "recurse_a", in: set)
        #expect(result.operations.map(\.description) == [
            "recurse_a -> folio_lock @ bodies.c:\(Fixture.line("a-lock", in: "bodies.c"))",
            "recurse_a -> recurse_b -> lock_buffer @ bodies.c:\(Fixture.line("b-lock", in: "bodies.c"))",
        ])
        #expect(result.functionsVisited == ["recurse_a", "recurse_b"])
    }

    @Test("a missing start, missing files and a spent budget are said, not fatal")
    func problems() {
        let none = Reachability.lockOperations(from: "no_such_function", in: Self.before)
        #expect(!none.startFound && none.operations.isEmpty)
        let partial = KernelSourceSet(root: Fixture.path("before"), paths: ["mm/migrate.c", "mm/no_such_file.c", "mm"])
        #expect(partial.problems.map(\.path) == ["mm/no_such_file.c", "mm"])
        #expect(partial.files.count == 1)
        var tight = ReachabilityOptions()
        tight.maxExpansions = 2
        let cut = Reachability.lockOperations(from: "migrate_pages", in: Self.before, options: tight)
        #expect(cut.truncated)
    }

    @Test("a static function of another .c file is not a call target; the caller's own file's is")
    func staticScope() {
        let set = KernelSourceSet(sources: [
            (path: "a.c", text: "static void helper(void) { folio_lock(x); }\nvoid start(void) { helper(); other(); }"),
            (path: "b.c", text: "static void helper(void) { lock_buffer(b); }\nstatic void other(void) { wait_on_buffer(b); }"),
        ])
        let result = Reachability.lockOperations(from: "start", in: set)
        #expect(result.operations.map(\.key) == ["start -> helper -> folio_lock"])
    }

    @Test("a call to a function-like macro is followed to the call it starts with")
    func macroAlias() {
        let set = KernelSourceSet(sources: [
            (path: "include/huge.h", text: "#define split_folio_to_list(f, l) split_folio_to_list_to_order(f, l, 0)\n"),
            (path: "mm/huge.c", text: "int split_folio_to_list_to_order(struct folio *f, struct list_head *l, int o)\n{\n\tfolio_lock(f);\n}\n"),
            (path: "mm/user.c", text: "void start(struct folio *f) { split_folio_to_list(f, NULL); }"),
        ])
        let result = Reachability.lockOperations(from: "start", in: set)
        #expect(result.operations.map(\.description) == [
            "start -> split_folio_to_list -> split_folio_to_list_to_order -> folio_lock @ mm/huge.c:3",
        ])
        #expect(result.operations.first?.path.map(\.file) == ["mm/user.c", "include/huge.h"])
        #expect(set.macroBodies["split_folio_to_list"]?.first?.function.isMacro == true)
    }

    @Test("from a header, a configuration's stub and the real function in a .c file are both followed")
    func headerStubs() {
        let set = KernelSourceSet(sources: [
            (path: "include/split.h", text: """
                #ifdef CONFIG_THP
                int split_real(struct folio *folio);
                #else
                static inline int split_real(struct folio *folio) { return 0; }
                #endif
                static inline int split_wrapper(struct folio *folio) { return split_real(folio); }
                """),
            (path: "mm/split.c", text: "int split_real(struct folio *folio) { folio_unlock(folio); return 0; }"),
            (path: "mm/user.c", text: "void start(struct folio *f) { split_wrapper(f); }"),
        ])
        let result = Reachability.lockOperations(from: "start", in: set)
        #expect(result.operations.map(\.description) == ["start -> split_wrapper -> split_real -> folio_unlock @ mm/split.c:1"])
    }
}
