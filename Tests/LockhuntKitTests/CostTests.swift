import Foundation
import Testing
import LockhuntKit

/// The cost analysis on tiny models whose numbers can be worked out by hand.
@Suite("Policy costs")
struct CostTests {
    static func costs(_ text: String) throws -> PolicyCosts {
        let path = TestSupport.writeModel(text)
        let sources = SourceManager()
        let diags = DiagnosticEngine()
        var options = CompileOptions()
        options.trackFolioOwners = true
        let model = try #require(ModelLoader.load(modelPath: path, policy: nil, params: [], sources: sources, diagnostics: diags))
        let program = try #require(Program.compile(model, diagnostics: diags, options: options), "\(DiagnosticPrinter(sources: sources).format(diags.diagnostics))")
        switch CostAnalysis.costs(program) {
        case .success(let c): return c
        case .failure(let f): throw UserError("costs failed: \(f)")
        }
    }

    @Test("folio locks held at once are counted for migrators only")
    func locksHeld() throws {
        let c = try CostTests.costs("""
        folio A, B, C, D;
        void migrate_pages(list from) {
            for (f in from) folio_lock(f);
            for (f in from) folio_unlock(f);
        }
        thread migrator { migrate_pages([A, B, C]); }
        thread other { folio_lock(D); folio_unlock(D); }
        """)
        #expect(c.migrators == ["migrator"])
        #expect(c.maxFolioLocksHeld == 3)
        // Three folio_lock calls by the migrator; the other thread's do not count.
        #expect(c.maxBlockingCalls == 3)
    }

    @Test("runs that give a folio up are counted among complete runs; stuck runs are not runs")
    func givingUp() throws {
        let c = try CostTests.costs("""
        folio A;
        void migrate_pages(list from) {
            either { count_vm_event(PGMIGRATE_SUCCESS); } or { count_vm_event(PGMIGRATE_FAIL); }
        }
        thread m { migrate_pages([A]); }
        """)
        #expect(c.completeRuns == 2)
        #expect(c.runsGivingUp == 1)
        #expect(c.maxMigrated == 1)
        let stuck = try CostTests.costs("""
        folio A;
        void migrate_pages(list from) {
            either { folio_lock(A); folio_lock(A); } or { count_vm_event(PGMIGRATE_FAIL); }
        }
        thread m { migrate_pages([A]); }
        """)
        // The self-deadlocking branch never completes: one complete run, and it gives up.
        #expect(stuck.completeRuns == 1)
        #expect(stuck.runsGivingUp == 1)
    }

    @Test("interleavings are runs: two independent two-step threads have six")
    func interleavings() throws {
        let c = try CostTests.costs("""
        shared int x, y;
        void migrate_pages(list from) { x = 1; x = 2; }
        folio A;
        thread m { migrate_pages([A]); }
        thread o { y = 1; y = 2; }
        """)
        #expect(c.completeRuns == 6)
    }

    @Test("TLB flushes against folios migrated: one flush for a batch, one per folio otherwise")
    func flushes() throws {
        let batched = try CostTests.costs("""
        folio A, B, C;
        void migrate_pages(list from) {
            count_vm_event(NR_TLB_REMOTE_FLUSH);
            for (f in from) count_vm_event(PGMIGRATE_SUCCESS);
        }
        thread m { migrate_pages([A, B, C]); }
        """)
        #expect(batched.countsFlushes)
        #expect(batched.flushes == 1...1)
        #expect(batched.maxMigrated == 3)
        let single = try CostTests.costs("""
        folio A, B, C;
        void migrate_pages(list from) {
            for (f in from) { count_vm_event(NR_TLB_REMOTE_FLUSH); count_vm_event(PGMIGRATE_SUCCESS); }
        }
        thread m { migrate_pages([A, B, C]); }
        """)
        #expect(single.flushes == 3...3)
    }

    @Test("owner tracking changes no verdict and no trace")
    func ownersDoNotChangeVerdicts() throws {
        for policy in ["v5", "upstream"] {
            let plain = try #require(TestSupport.compile(path: TraceTests.loopBH, policy: TestSupport.policy(policy)).program)
            let sources = SourceManager(), diags = DiagnosticEngine()
            var options = CompileOptions()
            options.trackFolioOwners = true
            let model = try #require(ModelLoader.load(modelPath: TraceTests.loopBH, policy: TestSupport.policy(policy), params: [], sources: sources, diagnostics: diags))
            let tracked = try #require(Program.compile(model, diagnostics: diags, options: options))
            let a = TestSupport.explore(plain), b = TestSupport.explore(tracked)
            #expect(TestSupport.verdict(a) == TestSupport.verdict(b))
            if let fa = a.findings.first, let fb = b.findings.first {
                #expect(FindingBuilder(program: plain).build(fa).steps == FindingBuilder(program: tracked).build(fb).steps)
            }
        }
    }

    @Test("count_vm_event takes a vm_event_item constant")
    func badEvent() {
        let compiled = TestSupport.compile("thread t { count_vm_event(3); }\n")
        #expect(compiled.diagnostics.contains { $0.message.contains("count_vm_event() takes a constant vm_event_item") })
    }
}
