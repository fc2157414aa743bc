import LockhuntBasics

/// Definitions every model sees, written in the model language itself: the migration modes,
/// kernel error codes, migrate_pages() return codes and per-task flags.
/// Values follow include/linux/migrate_mode.h and include/uapi/asm-generic/errno*.h; the PF_*
/// flags are renumbered into a small field (the model only needs them to be distinct bits).
enum Prelude {
    static let path = "<prelude>"
    static let text = """
    enum migrate_mode { MIGRATE_ASYNC, MIGRATE_SYNC_LIGHT, MIGRATE_SYNC, MIGRATE_SYNC_NO_COPY };
    enum writeback_sync_modes { WB_SYNC_NONE, WB_SYNC_ALL };
    enum vm_event_item { PGMIGRATE_SUCCESS, PGMIGRATE_FAIL, NR_TLB_REMOTE_FLUSH };
    const EPERM = 1;
    const ENOENT = 2;
    const EIO = 5;
    const EAGAIN = 11;
    const ENOMEM = 12;
    const EBUSY = 16;
    const EINVAL = 22;
    const EDEADLK = 35;
    const EDEADLOCK = 35;
    const ENOSYS = 38;
    const EOPNOTSUPP = 95;
    const MIGRATEPAGE_SUCCESS = 0;
    const MIGRATEPAGE_UNMAP = 1;
    const AOP_WRITEPAGE_ACTIVATE = 0x80000;
    const PF_MEMALLOC = 1;
    const PF_MEMALLOC_NOFS = 2;
    const PF_MEMALLOC_NOIO = 4;
    const PF_KSWAPD = 8;
    const PF_KTHREAD = 16;
    const PF_MEMALLOC_PIN = 32;

    """
}
