/// Deadlock: a set of blocked tasks that no task outside the set can ever wake.
///
/// Start from every blocked task; drop a task when some unfinished task outside the set may
/// still (statically, from where it stands) write what the blocked task waits for; repeat until
/// nothing changes. What is left can never wake: its members wait for each other or for tasks
/// that will never act on their resources. The static "may still write" is an over-
/// approximation of what a task can do, so a reported set is always a real deadlock; a set it
/// misses while others run is found at the latest when those others block or finish (every
/// thread terminates, so the state graph has no infinite runs that could hide one).
extension Machine {
    /// Bit mask of deadlocked threads in `s` (0 when none).
    mutating func deadlockedThreads(_ s: UnsafePointer<UInt64>, _ resources: ResourceMap) -> UInt64 {
        var blocked: UInt64 = 0
        var unfinished: UInt64 = 0
        for t in 0..<threadCount {
            switch status(s, t) {
            case .blocked: blocked |= 1 << UInt64(t); unfinished |= 1 << UInt64(t)
            case .runnable: unfinished |= 1 << UInt64(t)
            case .finished: break
            }
        }
        if blocked == 0 { return 0 }
        var candidates = blocked
        var changed = true
        while changed {
            changed = false
            var rest = candidates
            while rest != 0 {
                let t = rest.trailingZeroBitCount
                rest &= rest - 1
                let awaited = awaitedResource(s, t, resources)
                let readerPC = globalPC(s, t)
                var others = unfinished & ~candidates
                while others != 0 {
                    let u = others.trailingZeroBitCount
                    others &= others - 1
                    let wakes = awaited >= 0 ? mayStillWrite(s, u, awaited) : mayStillWriteAnyRead(s, u, readerPC: readerPC)
                    if wakes {
                        candidates &= ~(UInt64(1) << UInt64(t))
                        changed = true
                        break
                    }
                }
            }
        }
        return candidates
    }
}
