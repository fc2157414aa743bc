import Testing
import KernelSource

@Suite("LockCatalogue: which callees are lock operations")
struct CatalogueTests {
    let catalogue = LockCatalogue.kernel

    @Test("folio, buffer and writeback operations with their kind and action")
    func primary() throws {
        let lock = try #require(catalogue.spec(for: "folio_lock"))
        #expect(lock.kind == .folio && lock.action == .lock && lock.blocks && !lock.secondary)
        let trylock = try #require(catalogue.spec(for: "folio_trylock"))
        #expect(trylock.action == .trylock && !trylock.blocks)
        #expect(catalogue.spec(for: "trylock_page")?.kind == .folio)
        #expect(catalogue.spec(for: "folio_lock_or_retry")?.action == .lock)
        #expect(catalogue.spec(for: "lock_buffer")?.kind == .buffer)
        #expect(catalogue.spec(for: "test_set_buffer_locked")?.action == .trylock)
        let wait = try #require(catalogue.spec(for: "wait_on_buffer"))
        #expect(wait.kind == .buffer && wait.action == .wait && wait.blocks)
        #expect(catalogue.spec(for: "folio_wait_writeback")?.kind == .writeback)
        #expect(catalogue.spec(for: "folio_test_writeback")?.action == .test)
        #expect(catalogue.spec(for: "folio_start_writeback")?.action == .start)
        #expect(catalogue.spec(for: "folio_end_writeback")?.action == .end)
        #expect(catalogue.spec(for: "folio_wait_locked")?.kind == .wait)
    }

    @Test("prefixes cover families; exact names are never mistaken for a shorter one's family")
    func prefixes() {
        #expect(catalogue.spec(for: "wait_event_interruptible_timeout")?.kind == .wait)
        #expect(catalogue.spec(for: "wait_on_bit_lock_io")?.kind == .wait)
        let lruvec = catalogue.spec(for: "folio_lock_lruvec_irqsave")
        #expect(lruvec?.kind == .spinlock && lruvec?.secondary == true)
        #expect(catalogue.spec(for: "folio_locked_by_someone") == nil)
        #expect(catalogue.spec(for: "spin_lock_init") == nil)
        #expect(catalogue.spec(for: "split_folio_to_list") == nil)
    }

    @Test("spinlocks, rwsems and mutexes are there, marked secondary")
    func secondary() {
        for name in ["spin_lock", "spin_unlock_irqrestore", "xa_lock_irq", "xas_unlock_irq", "i_mmap_lock_read", "down_write",
                     "up_write", "anon_vma_lock_write", "mutex_lock"] {
            let spec = catalogue.spec(for: name)
            #expect(spec?.secondary == true, "\(name)")
        }
        #expect(catalogue.spec(for: "spin_lock")?.kind == .spinlock)
        #expect(catalogue.spec(for: "xa_lock")?.kind == .spinlock)
        #expect(catalogue.spec(for: "down_write")?.kind == .rwsem)
        #expect(catalogue.spec(for: "i_mmap_unlock_write")?.action == .unlock)
    }

    @Test("the table: every entry says why, no name twice")
    func table() {
        #expect(LockCatalogue.kernelEntries.allSatisfy { !$0.why.isEmpty })
        let names = LockCatalogue.kernelEntries.map { entry -> String in
            switch entry.match {
            case .exact(let n): return "=" + n
            case .prefix(let p): return "^" + p
            }
        }
        #expect(Set(names).count == names.count)
        for kind in LockKind.allCases {
            #expect(LockCatalogue.kernelEntries.contains { $0.kind == kind }, "\(kind)")
        }
    }

    @Test("a body's own lock operations, in source order, secondary ones optional")
    func bodyOperations() throws {
        let body = try #require(Fixture.body("__buffer_migrate_folio", in: "before/fs/buffer.c"))
        #expect(body.lockOperations().map(\.description) == ["spin_lock(&mapping->i_private_lock)",
                                                             "spin_unlock(&mapping->i_private_lock)", "unlock_buffer(bh)"])
        #expect(body.lockOperations(includeSecondary: false).map(\.call.line) == [Fixture.line("buf-unlock-all", in: "before/fs/buffer.c")])
    }

    @Test("an operation names its object; indirect calls are never operations; the table extends")
    func operations() throws {
        let calls = BodyReader.calls(in: CLexer.lex("folio_lock(src); ops->folio_lock(x); my_lock(&m->lock);").tokens)
        let op = try #require(catalogue.operation(for: calls[0]))
        #expect(op.object == "src" && op.description == "folio_lock(src)")
        #expect(catalogue.operation(for: calls[1]) == nil)
        #expect(catalogue.operation(for: calls[2]) == nil)
        let extended = catalogue.adding([LockOperationSpec(.exact("my_lock"), .mutex, .lock, why: "a test's own lock")])
        #expect(extended.operation(for: calls[2])?.object == "&m->lock")
        #expect(extended.spec(for: "folio_lock")?.kind == .folio)
    }
}
