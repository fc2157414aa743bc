import Testing
import KernelSource

@Suite("LockDiff: lock operations before and after a patch")
struct LockDiffTests {
    static let diff = LockDiff.compare(function: "migrate_pages", before: Fixture.tree("before"), after: Fixture.tree("after"))

    @Test("writeout()'s folio_lock is removed with writeout")
    func removed() {
        #expect(Self.diff.removed.map(\.key) == [
            "migrate_pages -> migrate_pages_batch -> migrate_folio_move -> move_to_new_folio -> fallback_migrate_folio -> writeout -> folio_lock",
        ])
    }

    @Test("a helper that gains a blocking folio_lock is found through the call path, with both locations")
    func helperGainsLock() throws {
        let added = Self.diff.added
        let gained = try #require(added.first { $0.function == "remove_migration_ptes" })
        #expect(gained.key == "migrate_pages -> migrate_pages_batch -> migrate_folio_move -> remove_migration_ptes -> folio_lock")
        #expect(gained.file == "mm/rmap.c" && gained.line == Fixture.line("rmap-lock", in: "after/mm/rmap.c"))
        #expect(gained.path.last?.file == "mm/migrate.c")
        #expect(gained.path.last?.lines == [Fixture.line("move-remove", in: "after/mm/migrate.c")])
        #expect(gained.path.map(\.lines) == [
            [Fixture.line("top-batch", in: "after/mm/migrate.c")],
            [Fixture.line("batch-move", in: "after/mm/migrate.c")],
            [Fixture.line("move-remove", in: "after/mm/migrate.c")],
        ])
        #expect(gained.operation.spec.blocks)
        #expect(gained.conditions.map(\.description) == ["if (!folio_test_locked(dst))"])
    }

    @Test("try_split_folio: a trylock is added, the folio_lock becomes conditional on the mode")
    func splitBecomesConditional() throws {
        let trylock = try #require(Self.diff.added.first { $0.operation.call.callee == "folio_trylock" })
        #expect(trylock.key == "migrate_pages -> migrate_pages_batch -> try_split_folio -> folio_trylock")
        #expect(trylock.line == Fixture.line("split-trylock", in: "after/mm/migrate.c"))
        #expect(Self.diff.added.count == 2)
        let changed = try #require(Self.diff.changed.first)
        #expect(Self.diff.changed.count == 1)
        #expect(changed.after.key == "migrate_pages -> migrate_pages_batch -> try_split_folio -> folio_lock")
        #expect(changed.before.line == Fixture.line("split-lock", in: "before/mm/migrate.c"))
        #expect(changed.after.line == Fixture.line("split-lock", in: "after/mm/migrate.c"))
        #expect(changed.differences == ["conditions: (none) → else of if (mode == MIGRATE_ASYNC)"])
    }

    @Test("operations that only moved lines are no change")
    func movedIsNoChange() {
        let unmap = "migrate_pages -> migrate_pages_batch -> migrate_folio_unmap -> folio_lock"
        let before = Self.diff.before.operations.first { $0.key == unmap }
        let after = Self.diff.after.operations.first { $0.key == unmap }
        #expect(before != nil && after != nil && before?.line != after?.line)
        #expect(!Self.diff.lines.contains { $0.contains(unmap + " @") })
        #expect(Self.diff.lines.count == 4)
    }

    @Test("matching by site: a helper moved under a new one is no change; guards can be left out")
    func siteMatching() {
        let before = KernelSourceSet(sources: [(path: "a.c", text: """
            static void helper(struct folio *f) { folio_lock(f); }
            void start(struct folio *f) { helper(f); }
            """)])
        let after = KernelSourceSet(sources: [(path: "a.c", text: """
            static void helper(struct folio *f) { if (!f) return; folio_lock(f); }
            static void middle(struct folio *f) { helper(f); }
            void start(struct folio *f) { middle(f); }
            """)])
        let byPath = LockDiff.compare(function: "start", before: before, after: after)
        #expect(byPath.removed.map(\.key) == ["start -> helper -> folio_lock"])
        #expect(byPath.added.map(\.key) == ["start -> middle -> helper -> folio_lock"])
        let bySite = LockDiff.compare(function: "start", before: before, after: after, matching: .site)
        #expect(bySite.added.isEmpty && bySite.removed.isEmpty)
        #expect(bySite.changed.map(\.differences) == [["conditions: (none) → f (else return)"]])
        let quiet = LockDiff.compare(function: "start", before: before, after: after, matching: .site, ignoringGuards: true)
        #expect(quiet.isEmpty)
    }

    @Test("a tree compared with itself has no differences")
    func identity() {
        let same = LockDiff.compare(function: "migrate_pages", before: Fixture.tree("after"), after: Fixture.tree("after"))
        #expect(same.isEmpty)
        #expect(!same.after.operations.isEmpty)
    }
}
