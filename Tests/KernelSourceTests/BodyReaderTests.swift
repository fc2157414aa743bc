import Testing
import KernelSource

@Suite("BodyReader: calls, loops and conditions")
struct BodyReaderTests {
    static let file = "bodies.c"

    func line(_ marker: String) -> Int { Fixture.line(marker, in: Self.file) }

    @Test("kernel iteration macros, for, while and do-while are loops; do { } while (0) is not")
    func loops() throws {
        let body = try #require(Fixture.body("loops", in: Self.file))
        let safe = try #require(body.call("folio_lock", at: line("safe-loop")))
        #expect(safe.loops.map(\.kind) == [.macro])
        #expect(safe.loops.first?.text == "list_for_each_entry_safe(folio, next, list, lru)")
        #expect(body.call("folio_wait_writeback", at: line("loop-stmt"))?.loops.first?.text == "list_for_each_entry(folio, list, lru)")
        let xas = try #require(body.call("folio_wait_locked", at: line("xas-loop")))
        #expect(xas.loops.first?.text == "xas_for_each(&xas, folio, ULONG_MAX)")
        #expect(xas.conditions.map(\.description) == ["!xas_retry(&xas, folio) (else continue)"])
        let forLoop = try #require(body.call("folio_unlock", at: line("for-loop")))
        #expect(forLoop.loops.map(\.text) == ["for (i = 0; i < folio_batch_count(fbatch); i++)"])
        #expect(forLoop.arguments == ["fbatch->folios[i]"])
        #expect(body.call("cond_resched", at: line("while-loop"))?.loops.map(\.kind) == [.whileLoop])
        #expect(body.call("folio_lock", at: line("do-once"))?.inLoop == false)
        #expect(body.call("next_folio", at: line("do-loop"))?.loops.map(\.text) == ["do … while (folio)"])
        // A *for_each* name followed by `;` is a call, not a loop over the next statement.
        #expect(body.call("folio_batch_for_each_folio", at: line("for-each-call"))?.inLoop == false)
        #expect(body.call("wait_on_buffer", at: line("after-loops"))?.inLoop == false)
        // The loop head's own calls are in the loop, in its controlling expression.
        let head = try #require(body.calls.first { $0.callee == "folio_batch_count" })
        #expect(head.inLoop && head.inControllingExpression)
    }

    @Test("conditions: if, else if, else, guards after early exits, switch cases, cleared at labels")
    func conditions() throws {
        let body = try #require(Fixture.body("conditions", in: Self.file))
        let trylock = try #require(body.call("folio_trylock", at: line("cond-trylock")))
        #expect(trylock.inControllingExpression)
        #expect(trylock.conditions.map(\.description) == ["if (mode == MIGRATE_ASYNC)"])
        #expect(body.call("folio_lock_killable", at: line("cond-elseif"))?.conditions.map(\.description)
            == ["if (mode == MIGRATE_SYNC_LIGHT)", "else of if (mode == MIGRATE_ASYNC)"])
        #expect(body.call("folio_lock", at: line("cond-else"))?.conditions.map(\.description)
            == ["else of if (mode == MIGRATE_SYNC_LIGHT)", "else of if (mode == MIGRATE_ASYNC)"])
        #expect(body.call("folio_wait_writeback", at: line("cond-guarded"))?.conditions.map(\.description)
            == ["rc >= 0 (else return rc)", "folio_test_uptodate(folio) (else goto out)"])
        let stable = try #require(body.call("folio_wait_stable", at: line("cond-case")))
        #expect(stable.conditions.first?.description == "case MIGRATE_SYNC, MIGRATE_SYNC_NO_COPY in switch (mode)")
        #expect(stable.conditions.count == 3)  // the case, then the two guards before the switch
        #expect(body.call("unlock_page", at: line("cond-default"))?.conditions.first?.description == "default in switch (mode)")
        // `out:` can be reached by the gotos: nothing is known there.
        #expect(body.call("folio_unlock", at: line("cond-out"))?.conditions == [])
        // Compiler hints are not calls.
        #expect(!body.calls.contains { $0.callee == "unlikely" })
    }

    @Test("a label reached by a goto from before drops the guards around it and after it; a retry label keeps them")
    func labelsAndOuterGuards() {
        let calls = BodyReader.calls(in: CLexer.lex("""
            if (a)
                goto inner;
            if (!b)
                return;
            while (c) {
                folio_lock(f);
            inner:
                folio_unlock(f);
            }
            lock_buffer(bh);
            """).tokens)
        #expect(calls.map(\.callee) == ["folio_lock", "folio_unlock", "lock_buffer"])
        #expect(calls[0].conditions.map(\.description) == ["b (else return)", "!a (else goto inner)"])
        #expect(calls[1].conditions.isEmpty)
        #expect(calls[2].conditions.isEmpty)  // the goto may have come in through the loop
        let retry = BodyReader.calls(in: CLexer.lex("""
            if (!b)
                return;
            for (;;) {
                if (!e)
                    break;
            retry:
                lock_buffer(bh);
                if (d)
                    goto retry;
            }
            """).tokens)
        #expect(retry.first?.conditions.map(\.description) == ["e (else break)", "b (else return)"])
        #expect(retry.first?.loops.map(\.kind) == [.forLoop, .backwardGoto])  // structured loops first
    }

    @Test("after a switch whose default jumps, only the cases that break out hold; a switch of jumps always jumps")
    func switchGuards() throws {
        let body = try #require(Fixture.body("switch_guards", in: Self.file))
        #expect(body.call("folio_wait_writeback", at: line("after-switch"))?.conditions.map(\.description) == [
            "case MIGRATE_SYNC, MIGRATE_SYNC_NO_COPY in switch (mode) (else goto out)", "if (folio_test_writeback(folio))",
        ])
        #expect(body.call("folio_lock", at: line("after-leaving-switch"))?.conditions.map(\.description) == [
            "mode != MIGRATE_ASYNC (else return -EBUSY)",
        ])
        #expect(body.call("folio_unlock", at: line("after-open-switch"))?.conditions.map(\.description) == [
            "mode != MIGRATE_ASYNC (else return -EBUSY)",
        ])
    }

    @Test("the kernel's own shape: folio_lock under a trylock, past early exits in the function and the block")
    func migrateFolioUnmap() throws {
        let file = "before/mm/migrate.c"
        let body = try #require(Fixture.body("migrate_folio_unmap", in: file))
        let lock = try #require(body.call("folio_lock", at: Fixture.line("unmap-lock", in: file)))
        #expect(lock.conditions.map(\.description) == [
            "!(current->flags & PF_MEMALLOC) (else goto out)",
            "mode != MIGRATE_ASYNC (else goto out)",
            "if (!folio_trylock(src))",
            "dst (else return -ENOMEM)",
        ])
        #expect(lock.conditions[1].jump == "goto out" && lock.conditions[1].text == "mode == MIGRATE_ASYNC")
        #expect(lock.arguments == ["src"])
        // `get_new_folio` is a parameter: a call through a pointer.
        let param = try #require(body.call("get_new_folio", at: Fixture.line("param-call", in: file)))
        #expect(param.isIndirect && param.receiver == nil)
        #expect(body.labels == ["out"])
    }

    @Test("backward gotos are loops; indirect calls through members and (*fn); block macros run once")
    func gotoAndIndirect() throws {
        let body = try #require(Fixture.body("retry_loop", in: Self.file))
        let retry = try #require(body.call("lock_buffer", at: line("goto-loop")))
        #expect(retry.loops.map(\.kind) == [.backwardGoto])
        #expect(retry.loops.first?.text == "retry: … goto retry")
        // Two gotos back to one label make one loop.
        let twice = BodyReader.calls(in: CLexer.lex("again: lock_buffer(b); if (x) goto again; if (y) goto again;").tokens)
        #expect(twice.first?.loops.count == 1)
        let member = try #require(body.call("dirty_folio", at: line("member-call")))
        #expect(member.isIndirect && member.receiver == "ops")
        #expect(!member.inLoop)
        let chained = try #require(body.call("writepages", at: line("call-receiver")))
        #expect(chained.isIndirect && chained.receiver == "folio_mapping(folio)->a_ops")
        // The call that computes the receiver is an ordinary call.
        #expect(body.call("folio_mapping", at: line("call-receiver"))?.isIndirect == false)
        let star = try #require(body.call("fn", at: line("star-call")))
        #expect(star.isIndirect)
        let scoped = try #require(body.call("trylock_buffer", at: line("scoped")))
        #expect(!scoped.inLoop)
        #expect(body.calls.contains { $0.callee == "scoped_guard" })
    }

    @Test("nesting deeper than the limit is read flat, calls still recorded, no stack overflow")
    func deepNesting() {
        let depth = 5000
        let source = String(repeating: "if (a) { ", count: depth) + "folio_lock(f);" + String(repeating: " }", count: depth)
            + " while (x) wait_on_buffer(b);"
        let calls = BodyReader.calls(in: CLexer.lex(source).tokens)
        #expect(calls.map(\.callee) == ["folio_lock", "wait_on_buffer"])
        #expect(calls[0].conditions.count <= BodyReader.maximumNesting)
        #expect(calls[1].inLoop)
    }

    @Test("negations read as C")
    func negations() {
        func negate(_ s: String) -> String { TokenText.negate(CLexer.lex(s).tokens) }
        #expect(negate("mode == MIGRATE_ASYNC") == "mode != MIGRATE_ASYNC")
        #expect(negate("!folio_trylock(src)") == "folio_trylock(src)")
        #expect(negate("!(a && b)") == "a && b")
        #expect(negate("a < b") == "a >= b")
        #expect(negate("a && b") == "!(a && b)")
        #expect(negate("folio_test_uptodate(folio)") == "!folio_test_uptodate(folio)")
        #expect(negate("x & FLAG") == "!(x & FLAG)")
    }
}
