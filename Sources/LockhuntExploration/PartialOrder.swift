import LockhuntBasics
import LockhuntProgram

/// Partial-order reduction: in each state, expand a *persistent set* of threads instead of
/// all of them (Godefroid, "Partial-Order Methods for the Verification of Concurrent Systems",
/// the conflicting-transitions construction, at the granularity of threads).
///
/// Start from one enabled thread. For an enabled thread in the set, add every other thread that
/// may, now or later (by its static "may still read / may still write" rows), touch what the
/// thread's next step writes, or write what it reads. For a blocked thread in the set, add every
/// thread that may still write what it waits for. What is reached is persistent: no run of
/// threads outside the set can interfere with a step inside it before that step is taken. Try
/// every enabled thread as the start and keep the set with the fewest enabled threads.
///
/// Every loop in a model is bounded, so the state graph is acyclic and persistent sets alone
/// preserve every state where nothing can move (deadlocks) and every faulting step (a fault is
/// a step into an error state): verdicts are exact. A step that faults has no successor, so its
/// thread counts as disabled there; a set whose every step faulted is then no persistent set,
/// and the expander falls back to every thread (Expander.swift). Steps on different folios commute even
/// though all folio flags live in one array, which SPIN's static reduction cannot see.
extension Machine {
    /// Scratch space for `persistentSet`, allocated once per search.
    package struct PORScratch {
        let reads: UnsafeMutablePointer<UInt64>
        let writes: UnsafeMutablePointer<UInt64>
        let deps: UnsafeMutablePointer<UInt64>
        let words: Int

        init(threads: Int, resourceWords: Int) {
            words = resourceWords
            reads = .allocate(capacity: max(1, threads) * resourceWords)
            writes = .allocate(capacity: max(1, threads) * resourceWords)
            deps = .allocate(capacity: max(1, threads))
        }

        func release() {
            reads.deallocate()
            writes.deallocate()
            deps.deallocate()
        }
    }

    @inline(__always)
    private func setResource(_ row: UnsafeMutablePointer<UInt64>, _ r: Int) {
        row[r &>> 6] |= UInt64(1) &<< UInt64(r & 63)
    }

    /// The resources the next step of enabled thread `t` reads and writes, exactly where the
    /// operand can be evaluated (which folio a folio_lock(src) locks), else the static rows.
    package mutating func nextAccess(_ s: UnsafePointer<UInt64>, _ t: Int, _ r: UnsafeMutablePointer<UInt64>, _ w: UnsafeMutablePointer<UInt64>) {
        for k in 0..<resourceWords { r[k] = 0; w[k] = 0 }
        let g = globalPC(s, t)
        let i = ins[g]
        let folioFlags = FolioFlag.allCases.count, bufferFlags = BufferFlag.allCases.count
        func folioResource(_ x: Int64, _ flag: Int) -> Int { Int(x - 1) * folioFlags + flag }
        func bufferResource(_ x: Int64, _ flag: Int) -> Int { Int(folioCount) * folioFlags + Int(x - 1) * bufferFlags + flag }
        switch i.op {
        case .folioLock, .folioTrylock, .folioUnlock:
            if let x = eval(i.expr, s, g), x >= 1, x <= folioCount {
                let res = folioResource(x, FolioFlag.locked.rawValue)
                setResource(r, res); setResource(w, res)
                return
            }
        case .lockBuffer, .trylockBuffer, .unlockBuffer:
            if let x = eval(i.expr, s, g), x >= 1, x <= bufferCount {
                let res = bufferResource(x, BufferFlag.locked.rawValue)
                setResource(r, res); setResource(w, res)
                return
            }
        case .setFolioFlag, .testClearFolioFlag, .waitFolioFlagClear:
            if let x = eval(i.expr, s, g), x >= 1, x <= folioCount {
                let res = folioResource(x, Int(i.flag))
                setResource(r, res)
                if i.op != .waitFolioFlagClear { setResource(w, res) }
                if i.op == .setFolioFlag && i.flag == UInt8(FolioFlag.writeback.rawValue) {
                    setResource(r, folioResource(x, FolioFlag.locked.rawValue))
                }
                return
            }
        case .setBufferFlag:
            if let x = eval(i.expr, s, g), x >= 1, x <= bufferCount {
                let res = bufferResource(x, Int(i.flag))
                setResource(r, res); setResource(w, res)
                return
            }
        case .load, .waitEvent, .assertShared:
            // Exactly what evaluating the expression reads.
            if eval(i.expr, s, g, collect: r) != nil { return }
            for k in 0..<resourceWords { r[k] = 0 }
        case .store:
            if eval(i.expr, s, g, collect: r) != nil {
                var element: Int64 = 0
                if i.expr2 >= 0 {
                    guard let x = eval(i.expr2, s, g, collect: r) else { break }
                    element = i.flag != 0 ? x - 1 : x
                }
                if element >= 0 && element < Int64(i.count) {
                    note(w, Int(fieldResource(i.field + Int32(element))))
                    return
                }
            }
            for k in 0..<resourceWords { r[k] = 0 }
        case .choose, .finish:
            return
        default:
            break
        }
        let row = g * resourceWords
        for k in 0..<resourceWords {
            r[k] = reads[row + k]
            w[k] = writes[row + k]
        }
    }

    /// The threads to expand in `s`: a persistent set. `enabled`, `blocked` and `unfinished`
    /// are thread masks of this state.
    mutating func persistentSet(_ s: UnsafePointer<UInt64>, enabled: UInt64, blocked: UInt64, unfinished: UInt64,
                                scratch: PORScratch) -> UInt64 {
        if enabled.nonzeroBitCount <= 1 { return enabled }
        let wds = resourceWords
        // Who each thread's next step (or wait) depends on.
        var rest = unfinished
        while rest != 0 {
            let t = rest.trailingZeroBitCount
            rest &= rest - 1
            var dep: UInt64 = 0
            let r = scratch.reads + t * wds, w = scratch.writes + t * wds
            if enabled & (UInt64(1) << UInt64(t)) != 0 {
                nextAccess(s, t, r, w)
                var others = unfinished & ~(UInt64(1) << UInt64(t))
                while others != 0 {
                    let u = others.trailingZeroBitCount
                    others &= others - 1
                    let row = globalPC(s, u) * wds
                    for k in 0..<wds where (mayWrite[row + k] & (r[k] | w[k])) | (mayRead[row + k] & w[k]) != 0 {
                        dep |= UInt64(1) << UInt64(u)
                        break
                    }
                }
            } else {
                // Blocked: whoever may still write what it waits for.
                awaitedResources(s, t, into: r)
                var others = unfinished & ~(UInt64(1) << UInt64(t))
                while others != 0 {
                    let u = others.trailingZeroBitCount
                    others &= others - 1
                    if mayStillWrite(s, u, any: r) { dep |= UInt64(1) << UInt64(u) }
                }
            }
            scratch.deps[t] = dep
        }
        // The closure from each enabled start; keep the one with the fewest enabled threads.
        var best = enabled
        var bestCount = enabled.nonzeroBitCount
        var seeds = enabled
        while seeds != 0 {
            let seed = seeds.trailingZeroBitCount
            seeds &= seeds - 1
            var set = UInt64(1) << UInt64(seed)
            var frontier = set
            while frontier != 0 {
                let t = frontier.trailingZeroBitCount
                frontier &= frontier - 1
                let new = scratch.deps[t] & ~set
                set |= new
                frontier |= new
                if (set & enabled).nonzeroBitCount >= bestCount { break }
            }
            let count = (set & enabled).nonzeroBitCount
            if count < bestCount {
                best = set & enabled
                bestCount = count
                if count == 1 { break }
            }
        }
        return best
    }
}
