import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// ^C (SIGINT), SIGTERM and SIGHUP stop a search cleanly: the search polls this flag, gives the
/// verdict "incomplete", the command prints the statistics so far and exits 3. The process is
/// never killed in the middle of writing a trace (and traces are written atomically anyway).
///
/// This is lockhunt's only process-wide mutable state, and it has to be: a signal handler is a
/// C function pointer that can reach nothing but globals. It is an atomic, so the handler and
/// the search may touch it at the same time, and the library never sees it: commands pass
/// `Interrupt.requested` as `SearchOptions.shouldStop`.
enum Interrupt {
    private static let flag = Atomic<Bool>(false)

    /// Installs the handlers (idempotent). Further signals only set the flag again.
    static func install() {
        var set = sigset_t()
        sigemptyset(&set)
        // SIGHUP too: a closed terminal or an ssh session that dropped ends the search the
        // same way, with its statistics, instead of killing the process without a word.
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig) { _ in Interrupt.flag.store(true, ordering: .relaxed) }
            sigaddset(&set, sig)
        }
        // A parent may have started us with these signals blocked (a spawning thread's mask
        // is inherited), which would leave ^C pending forever.
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    static var requested: Bool { flag.load(ordering: .relaxed) }

    /// For `SearchOptions.shouldStop`.
    static let poll: @Sendable () -> Bool = { Interrupt.requested }
}
