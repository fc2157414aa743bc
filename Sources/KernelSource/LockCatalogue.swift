/// What kind of lock or wait a lock operation is about.
public enum LockKind: String, Sendable, Hashable, CaseIterable {
    /// The folio (page) lock, PG_locked: a sleeping bit lock.
    case folio
    /// The buffer_head lock, BH_Lock: a sleeping bit lock.
    case buffer
    /// PG_writeback: not a lock, but waiting for it is a wait on I/O that deadlocks like one.
    case writeback
    /// A generic sleep until a condition or a bit (wait_event, wait_on_bit, …).
    case wait
    /// A spinning lock: spinlock_t, rwlock_t, the xarray's and lruvec's locks.
    case spinlock
    /// A sleeping reader-writer semaphore: mmap_lock, i_mmap_rwsem, anon_vma's rwsem.
    case rwsem
    /// A sleeping mutex.
    case mutex
}

/// What a lock operation does.
public enum LockAction: String, Sendable, Hashable, CaseIterable {
    /// Takes the lock, sleeping (or spinning) until it can.
    case lock
    /// Tries to take it once and says whether it did; never sleeps.
    case trylock
    /// Releases it.
    case unlock
    /// Sleeps until something (the lock's release, the end of writeback, a condition).
    case wait
    /// Reads a state without waiting.
    case test
    /// Starts a state others may wait on (writeback).
    case start
    /// Ends that state, waking its waiters.
    case end
}

/// How a callee's name is matched.
public enum NameMatch: Sendable, Hashable {
    case exact(String)
    /// Every name with this prefix (`wait_event` matches `wait_event_interruptible`).
    case prefix(String)
}

/// One line of the catalogue: a callee that is a lock operation.
public struct LockOperationSpec: Sendable, Hashable {
    public let match: NameMatch
    public let kind: LockKind
    public let action: LockAction
    /// Index of the argument that is the lock's object (the folio, the buffer head, the lock);
    /// nil when there is none worth showing.
    public let objectArgument: Int?
    /// Secondary operations (spinlocks, rwsems, mutexes) are shown by reports but are not what
    /// the page-migration models are about.
    public let secondary: Bool
    /// Why the callee is in the catalogue, in a few words.
    public let why: String

    public init(_ match: NameMatch, _ kind: LockKind, _ action: LockAction, object: Int? = 0, secondary: Bool = false, why: String) {
        self.match = match
        self.kind = kind
        self.action = action
        self.objectArgument = object
        self.secondary = secondary
        self.why = why
    }

    /// Whether the operation may sleep or spin waiting for someone else.
    public var blocks: Bool { action == .lock || action == .wait }
}

/// A call recognised as a lock operation.
public struct LockOperation: Sendable, Hashable, CustomStringConvertible {
    public let spec: LockOperationSpec
    /// The call.
    public let call: CallSite
    /// The text of the object argument (`src`, `&folio->lru`), if the spec names one and the
    /// call has it.
    public let object: String?

    public var kind: LockKind { spec.kind }
    public var action: LockAction { spec.action }

    /// `folio_lock(src)` style: the callee and its object.
    public var description: String { "\(call.callee)(\(object ?? ""))" }
}

/// The callees that are lock operations, by name: a data table, easy to extend.
///
/// Lookups try exact names first, then prefixes, longest first; names not in the table are not
/// lock operations (so `folio_lock_lruvec` is matched only by its own entry, never as a kind of
/// `folio_lock`).
public struct LockCatalogue: Sendable {
    public let entries: [LockOperationSpec]
    private let exact: [String: Int]
    private let prefixes: [(String, Int)]

    public init(entries: [LockOperationSpec]) {
        self.entries = entries
        var exact: [String: Int] = [:]
        var prefixes: [(String, Int)] = []
        for (k, e) in entries.enumerated() {
            switch e.match {
            case .exact(let name): if exact[name] == nil { exact[name] = k }
            case .prefix(let p): prefixes.append((p, k))
            }
        }
        self.exact = exact
        self.prefixes = prefixes.sorted { $0.0.count > $1.0.count }
    }

    /// The kernel's catalogue, `LockCatalogue.kernelEntries`.
    public static let kernel = LockCatalogue(entries: kernelEntries)

    /// The spec for a callee, if it is a lock operation.
    public func spec(for callee: String) -> LockOperationSpec? {
        if let k = exact[callee] { return entries[k] }
        for (p, k) in prefixes where callee.hasPrefix(p) { return entries[k] }
        return nil
    }

    /// The lock operation a call is, if any. Indirect calls are never lock operations: their
    /// target is unknown.
    public func operation(for call: CallSite) -> LockOperation? {
        guard !call.isIndirect, let spec = spec(for: call.callee) else { return nil }
        let object = spec.objectArgument.flatMap { $0 < call.arguments.count ? call.arguments[$0] : nil }
        return LockOperation(spec: spec, call: call, object: object)
    }

    /// A catalogue with more entries (they win over this one's on the same exact name).
    public func adding(_ more: [LockOperationSpec]) -> LockCatalogue {
        LockCatalogue(entries: more + entries)
    }

    /// The table. Each entry: the callee, the kind, the action, then why it is here.
    public static let kernelEntries: [LockOperationSpec] = [
        // MARK: Folio (page) lock
        .init(.exact("folio_lock"), .folio, .lock, why: "sleeps until PG_locked is ours"),
        .init(.exact("__folio_lock"), .folio, .lock, why: "the slow path of folio_lock, sleeps on PG_locked"),
        .init(.exact("folio_lock_killable"), .folio, .lock, why: "folio_lock that a fatal signal can interrupt"),
        .init(.exact("__folio_lock_killable"), .folio, .lock, why: "slow path of folio_lock_killable"),
        .init(.exact("folio_lock_or_retry"), .folio, .lock, why: "fault path: locks, or drops mmap_lock and asks for a retry"),
        .init(.exact("__folio_lock_or_retry"), .folio, .lock, why: "slow path of folio_lock_or_retry; may sleep on PG_locked"),
        .init(.exact("folio_trylock"), .folio, .trylock, why: "takes PG_locked only if free, never sleeps"),
        .init(.exact("folio_unlock"), .folio, .unlock, why: "clears PG_locked and wakes its waiters"),
        .init(.exact("lock_page"), .folio, .lock, why: "page wrapper of folio_lock"),
        .init(.exact("__lock_page"), .folio, .lock, why: "older kernels' slow path of lock_page"),
        .init(.exact("lock_page_killable"), .folio, .lock, why: "page wrapper of folio_lock_killable"),
        .init(.exact("__lock_page_killable"), .folio, .lock, why: "older kernels' slow path of lock_page_killable"),
        .init(.exact("trylock_page"), .folio, .trylock, why: "page wrapper of folio_trylock"),
        .init(.exact("unlock_page"), .folio, .unlock, why: "page wrapper of folio_unlock"),
        .init(.exact("__folio_set_locked"), .folio, .lock, why: "sets PG_locked on a folio no one else can see yet (non-atomic)"),
        .init(.exact("__folio_clear_locked"), .folio, .unlock, why: "clears PG_locked of a folio no one else can see (non-atomic)"),
        .init(.exact("__SetPageLocked"), .folio, .lock, why: "page form of __folio_set_locked"),
        .init(.exact("__ClearPageLocked"), .folio, .unlock, why: "page form of __folio_clear_locked"),

        // MARK: Buffer head lock
        .init(.exact("lock_buffer"), .buffer, .lock, why: "sleeps until BH_Lock is ours"),
        .init(.exact("__lock_buffer"), .buffer, .lock, why: "slow path of lock_buffer, sleeps on BH_Lock"),
        .init(.exact("trylock_buffer"), .buffer, .trylock, why: "takes BH_Lock only if free, never sleeps"),
        .init(.exact("test_set_buffer_locked"), .buffer, .trylock, why: "older spelling of trylock_buffer"),
        .init(.exact("unlock_buffer"), .buffer, .unlock, why: "clears BH_Lock and wakes its waiters"),
        .init(.exact("clear_buffer_locked"), .buffer, .unlock, why: "clears BH_Lock without waking anyone"),
        .init(.exact("wait_on_buffer"), .buffer, .wait, why: "sleeps until BH_Lock is released (does not take it)"),
        .init(.exact("__wait_on_buffer"), .buffer, .wait, why: "slow path of wait_on_buffer"),

        // MARK: Writeback
        .init(.exact("folio_wait_writeback"), .writeback, .wait, why: "sleeps until PG_writeback clears: waits on I/O"),
        .init(.exact("folio_wait_writeback_killable"), .writeback, .wait, why: "folio_wait_writeback that a fatal signal can interrupt"),
        .init(.exact("folio_wait_stable"), .writeback, .wait, why: "waits for writeback when the backing device needs stable pages"),
        .init(.exact("wait_on_page_writeback"), .writeback, .wait, why: "page wrapper of folio_wait_writeback"),
        .init(.exact("wait_for_stable_page"), .writeback, .wait, why: "page wrapper of folio_wait_stable"),
        .init(.exact("folio_test_writeback"), .writeback, .test, why: "reads PG_writeback: decides whether a wait follows"),
        .init(.exact("PageWriteback"), .writeback, .test, why: "page form of folio_test_writeback"),
        .init(.exact("folio_start_writeback"), .writeback, .start, why: "sets PG_writeback: others will wait on it"),
        .init(.exact("__folio_start_writeback"), .writeback, .start, why: "slow path of folio_start_writeback"),
        .init(.exact("set_page_writeback"), .writeback, .start, why: "page wrapper of folio_start_writeback"),
        .init(.exact("folio_end_writeback"), .writeback, .end, why: "clears PG_writeback and wakes its waiters"),
        .init(.exact("end_page_writeback"), .writeback, .end, why: "page wrapper of folio_end_writeback"),

        // MARK: Generic waits
        .init(.prefix("wait_event"), .wait, .wait, why: "sleeps until a condition holds on a wait queue"),
        .init(.prefix("wait_var_event"), .wait, .wait, why: "sleeps until a condition holds, keyed by a variable"),
        .init(.prefix("wait_on_bit"), .wait, .wait, object: 0, why: "sleeps until a bit clears (or takes it: wait_on_bit_lock)"),
        .init(.prefix("__wait_on_bit"), .wait, .wait, why: "slow path of the wait_on_bit family"),
        .init(.prefix("out_of_line_wait_on_bit"), .wait, .wait, why: "out-of-line wait_on_bit, used by __wait_on_buffer"),
        .init(.exact("folio_wait_locked"), .wait, .wait, why: "sleeps until PG_locked clears (does not take it)"),
        .init(.exact("folio_wait_locked_killable"), .wait, .wait, why: "folio_wait_locked that a fatal signal can interrupt"),
        .init(.exact("wait_on_page_locked"), .wait, .wait, why: "page wrapper of folio_wait_locked"),
        .init(.exact("wait_on_page_locked_killable"), .wait, .wait, why: "page wrapper of folio_wait_locked_killable"),
        .init(.exact("folio_wait_bit"), .wait, .wait, why: "sleeps on a folio flag bit (PG_locked, PG_writeback)"),
        .init(.exact("folio_wait_bit_killable"), .wait, .wait, why: "folio_wait_bit that a fatal signal can interrupt"),
        .init(.exact("folio_put_wait_locked"), .wait, .wait, why: "drops a reference and waits for PG_locked to clear"),
        .init(.exact("migration_entry_wait"), .wait, .wait, object: nil, why: "a fault waits for a migration entry's folio lock"),
        .init(.exact("migration_entry_wait_on_locked"), .wait, .wait, why: "waits for the locked folio behind a migration entry"),

        // MARK: Secondary: spinlocks (shown, not modelled)
        .init(.exact("spin_lock"), .spinlock, .lock, secondary: true, why: "spinlock_t"),
        .init(.exact("spin_lock_irq"), .spinlock, .lock, secondary: true, why: "spinlock_t, interrupts off"),
        .init(.exact("spin_lock_irqsave"), .spinlock, .lock, secondary: true, why: "spinlock_t, interrupts saved and off"),
        .init(.exact("spin_lock_bh"), .spinlock, .lock, secondary: true, why: "spinlock_t, softirqs off"),
        .init(.exact("spin_lock_nested"), .spinlock, .lock, secondary: true, why: "spinlock_t with a lockdep subclass"),
        .init(.exact("spin_trylock"), .spinlock, .trylock, secondary: true, why: "spinlock_t, once"),
        .init(.exact("spin_trylock_irqsave"), .spinlock, .trylock, secondary: true, why: "spinlock_t, once, interrupts saved"),
        .init(.exact("spin_unlock"), .spinlock, .unlock, secondary: true, why: "spinlock_t"),
        .init(.exact("spin_unlock_irq"), .spinlock, .unlock, secondary: true, why: "spinlock_t, interrupts back on"),
        .init(.exact("spin_unlock_irqrestore"), .spinlock, .unlock, secondary: true, why: "spinlock_t, interrupts restored"),
        .init(.exact("spin_unlock_bh"), .spinlock, .unlock, secondary: true, why: "spinlock_t, softirqs back on"),
        .init(.exact("read_lock"), .spinlock, .lock, secondary: true, why: "rwlock_t, reader"),
        .init(.exact("read_unlock"), .spinlock, .unlock, secondary: true, why: "rwlock_t, reader"),
        .init(.exact("write_lock"), .spinlock, .lock, secondary: true, why: "rwlock_t, writer"),
        .init(.exact("write_unlock"), .spinlock, .unlock, secondary: true, why: "rwlock_t, writer"),
        .init(.exact("xa_lock"), .spinlock, .lock, why_secondary: "the xarray's (i_pages') spinlock"),
        .init(.exact("xa_lock_irq"), .spinlock, .lock, why_secondary: "the xarray's spinlock, interrupts off"),
        .init(.exact("xa_lock_irqsave"), .spinlock, .lock, why_secondary: "the xarray's spinlock, interrupts saved"),
        .init(.exact("xa_lock_bh"), .spinlock, .lock, why_secondary: "the xarray's spinlock, softirqs off"),
        .init(.exact("xa_unlock"), .spinlock, .unlock, why_secondary: "the xarray's spinlock"),
        .init(.exact("xa_unlock_irq"), .spinlock, .unlock, why_secondary: "the xarray's spinlock, interrupts on"),
        .init(.exact("xa_unlock_irqrestore"), .spinlock, .unlock, why_secondary: "the xarray's spinlock, interrupts restored"),
        .init(.exact("xa_unlock_bh"), .spinlock, .unlock, why_secondary: "the xarray's spinlock, softirqs on"),
        .init(.exact("xas_lock"), .spinlock, .lock, why_secondary: "the xarray's spinlock, through an xa_state"),
        .init(.exact("xas_lock_irq"), .spinlock, .lock, why_secondary: "the xarray's spinlock through an xa_state, interrupts off"),
        .init(.exact("xas_lock_irqsave"), .spinlock, .lock, why_secondary: "the xarray's spinlock through an xa_state, saved"),
        .init(.exact("xas_unlock"), .spinlock, .unlock, why_secondary: "the xarray's spinlock, through an xa_state"),
        .init(.exact("xas_unlock_irq"), .spinlock, .unlock, why_secondary: "the xarray's spinlock through an xa_state, interrupts on"),
        .init(.exact("xas_unlock_irqrestore"), .spinlock, .unlock, why_secondary: "the xarray's spinlock through an xa_state, restored"),
        .init(.exact("folio_lock_lruvec"), .spinlock, .lock, why_secondary: "the lruvec's lru_lock, not the folio lock"),
        .init(.exact("folio_lock_lruvec_irq"), .spinlock, .lock, why_secondary: "the lruvec's lru_lock, interrupts off"),
        .init(.exact("folio_lock_lruvec_irqsave"), .spinlock, .lock, why_secondary: "the lruvec's lru_lock, interrupts saved"),
        .init(.exact("unlock_page_lruvec"), .spinlock, .unlock, why_secondary: "the lruvec's lru_lock"),
        .init(.exact("unlock_page_lruvec_irq"), .spinlock, .unlock, why_secondary: "the lruvec's lru_lock, interrupts on"),
        .init(.exact("unlock_page_lruvec_irqrestore"), .spinlock, .unlock, why_secondary: "the lruvec's lru_lock, restored"),
        .init(.exact("lruvec_unlock"), .spinlock, .unlock, why_secondary: "the lruvec's lru_lock (newer name)"),
        .init(.exact("lruvec_unlock_irq"), .spinlock, .unlock, why_secondary: "the lruvec's lru_lock, interrupts on (newer name)"),
        .init(.exact("lruvec_unlock_irqrestore"), .spinlock, .unlock, why_secondary: "the lruvec's lru_lock, restored (newer name)"),
        .init(.exact("pte_offset_map_lock"), .spinlock, .lock, object: nil, why_secondary: "maps a PTE table and takes its page-table lock"),
        .init(.exact("pte_unmap_unlock"), .spinlock, .unlock, object: nil, why_secondary: "releases the page-table lock"),
        .init(.exact("pmd_lock"), .spinlock, .lock, object: nil, why_secondary: "the PMD's page-table lock"),

        // MARK: Secondary: sleeping reader-writer semaphores and mutexes
        .init(.exact("down_read"), .rwsem, .lock, secondary: true, why: "rw_semaphore, reader"),
        .init(.exact("down_write"), .rwsem, .lock, secondary: true, why: "rw_semaphore, writer"),
        .init(.exact("down_read_trylock"), .rwsem, .trylock, secondary: true, why: "rw_semaphore, reader, once"),
        .init(.exact("down_write_trylock"), .rwsem, .trylock, secondary: true, why: "rw_semaphore, writer, once"),
        .init(.exact("up_read"), .rwsem, .unlock, secondary: true, why: "rw_semaphore, reader"),
        .init(.exact("up_write"), .rwsem, .unlock, secondary: true, why: "rw_semaphore, writer"),
        .init(.exact("i_mmap_lock_read"), .rwsem, .lock, why_secondary: "the mapping's i_mmap_rwsem, reader"),
        .init(.exact("i_mmap_lock_write"), .rwsem, .lock, why_secondary: "the mapping's i_mmap_rwsem, writer"),
        .init(.exact("i_mmap_trylock_read"), .rwsem, .trylock, why_secondary: "the mapping's i_mmap_rwsem, reader, once"),
        .init(.exact("i_mmap_trylock_write"), .rwsem, .trylock, why_secondary: "the mapping's i_mmap_rwsem, writer, once"),
        .init(.exact("i_mmap_unlock_read"), .rwsem, .unlock, why_secondary: "the mapping's i_mmap_rwsem, reader"),
        .init(.exact("i_mmap_unlock_write"), .rwsem, .unlock, why_secondary: "the mapping's i_mmap_rwsem, writer"),
        .init(.exact("anon_vma_lock_read"), .rwsem, .lock, why_secondary: "the anon_vma root's rwsem, reader"),
        .init(.exact("anon_vma_lock_write"), .rwsem, .lock, why_secondary: "the anon_vma root's rwsem, writer"),
        .init(.exact("anon_vma_trylock_read"), .rwsem, .trylock, why_secondary: "the anon_vma root's rwsem, reader, once"),
        .init(.exact("anon_vma_unlock_read"), .rwsem, .unlock, why_secondary: "the anon_vma root's rwsem, reader"),
        .init(.exact("anon_vma_unlock_write"), .rwsem, .unlock, why_secondary: "the anon_vma root's rwsem, writer"),
        .init(.exact("folio_lock_anon_vma_read"), .rwsem, .lock, why_secondary: "returns the folio's anon_vma read-locked"),
        .init(.exact("mmap_read_lock"), .rwsem, .lock, why_secondary: "the mm's mmap_lock, reader"),
        .init(.exact("mmap_write_lock"), .rwsem, .lock, why_secondary: "the mm's mmap_lock, writer"),
        .init(.exact("mmap_read_trylock"), .rwsem, .trylock, why_secondary: "the mm's mmap_lock, reader, once"),
        .init(.exact("mmap_read_unlock"), .rwsem, .unlock, why_secondary: "the mm's mmap_lock, reader"),
        .init(.exact("mmap_write_unlock"), .rwsem, .unlock, why_secondary: "the mm's mmap_lock, writer"),
        .init(.exact("mutex_lock"), .mutex, .lock, secondary: true, why: "a sleeping mutex"),
        .init(.exact("mutex_lock_interruptible"), .mutex, .lock, secondary: true, why: "a sleeping mutex, signals interrupt"),
        .init(.exact("mutex_lock_killable"), .mutex, .lock, secondary: true, why: "a sleeping mutex, fatal signals interrupt"),
        .init(.exact("mutex_trylock"), .mutex, .trylock, secondary: true, why: "a sleeping mutex, once"),
        .init(.exact("mutex_unlock"), .mutex, .unlock, secondary: true, why: "a sleeping mutex"),
    ]
}

extension LockOperationSpec {
    /// A secondary entry (see `secondary`), written shorter in the table.
    init(_ match: NameMatch, _ kind: LockKind, _ action: LockAction, object: Int? = 0, why_secondary why: String) {
        self.init(match, kind, action, object: object, secondary: true, why: why)
    }
}

extension FunctionBody {
    /// The lock operations made directly in this body (not in the functions it calls), in
    /// source order: what an audit holds against a model function's own steps.
    public func lockOperations(using catalogue: LockCatalogue = .kernel, includeSecondary: Bool = true) -> [LockOperation] {
        calls.compactMap { call in
            guard let op = catalogue.operation(for: call), includeSecondary || !op.spec.secondary else { return nil }
            return op
        }
    }
}
