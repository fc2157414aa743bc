import LockhuntBasics
import LockhuntProgram

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
    /// Thread masks of `s`: runnable, blocked, not finished.
    mutating func statusMasks(_ s: UnsafePointer<UInt64>) -> (enabled: UInt64, blocked: UInt64, unfinished: UInt64) {
        var enabled: UInt64 = 0, blocked: UInt64 = 0
        for t in 0..<threadCount {
            switch status(s, t) {
            case .blocked: blocked |= 1 << UInt64(t)
            case .runnable: enabled |= 1 << UInt64(t)
            case .finished: break
            }
        }
        return (enabled, blocked, enabled | blocked)
    }

    /// Bit mask of deadlocked threads in `s` (0 when none).
    package mutating func deadlockedThreads(_ s: UnsafePointer<UInt64>, _ resources: ResourceMap) -> UInt64 {
        let m = statusMasks(s)
        let scratch = PORScratch(threads: threadCount, resourceWords: resourceWords)
        defer { scratch.release() }
        return deadlockedThreads(s, blocked: m.blocked, unfinished: m.unfinished, scratch: scratch)
    }

    /// The same, with the state's thread masks already known and scratch rows to work in.
    package mutating func deadlockedThreads(_ s: UnsafePointer<UInt64>, blocked: UInt64, unfinished: UInt64, scratch: PORScratch) -> UInt64 {
        if blocked == 0 { return 0 }
        // What each blocked thread waits for.
        var b = blocked
        while b != 0 {
            let t = b.trailingZeroBitCount
            b &= b - 1
            awaitedResources(s, t, into: scratch.reads + t * resourceWords)
        }
        var candidates = blocked
        var changed = true
        while changed {
            changed = false
            var rest = candidates
            while rest != 0 {
                let t = rest.trailingZeroBitCount
                rest &= rest - 1
                let awaited = scratch.reads + t * resourceWords
                var others = unfinished & ~candidates
                while others != 0 {
                    let u = others.trailingZeroBitCount
                    others &= others - 1
                    if mayStillWrite(s, u, any: awaited) {
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
