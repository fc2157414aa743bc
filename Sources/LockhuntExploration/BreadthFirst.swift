import Foundation
import LockhuntBasics
import LockhuntProgram
import CPrefetch

/// Breadth-first search on every core, with the same result as on one: the states of a level
/// are cut into chunks that workers expand in parallel (deadlock check, reduction, successors
/// and their hashes), while one thread merges the chunks into the store strictly in chunk
/// order. So state numbering, parents, statistics and the first finding are those of the
/// sequential search, byte for byte, whatever the number of workers and however they are
/// scheduled. The calling thread merges and, while the chunk it needs is not ready, expands
/// chunks itself.
///
/// With sleep sets, a level's work is its new states followed by the states met again with a
/// smaller sleep set while the previous level merged (`Wake`): those expand the threads that
/// woke. Workers read the level's sleep sets from a copy made before the level starts, so what
/// they see does not depend on how far the merger has got.
final class BreadthFirstSearch<Store: VisitedStore>: @unchecked Sendable {
    let program: Program
    let options: SearchOptions
    let store: Store
    let jobs: Int

    // Shared with the workers, under `lock`.
    private let lock = NSCondition()
    private var generation = 0
    private var levelStart = 0
    private var levelEnd = 0
    private var chunkSize = 1
    private var chunkCount = 0
    private var nextChunk = 0
    private var outputs: [ChunkOutput?] = []
    private var expandLevel = true
    /// The sleep sets of the level's new states, and the woken states to expand after them.
    private var levelSleep: UnsafeMutablePointer<UInt64>
    private var levelSleepCapacity = 0
    private var levelWoken: [(state: Int, wake: SleepSets.Wake)] = []
    private let sleepSets: Bool
    private var stopping = false
    private var liveWorkers = 0
    private var spare: [ChunkOutput] = []
    /// Where a thread's local code ran too long, when that stopped the search.
    private(set) var tooLong: (thread: Int, pc: Int)? = nil

    package init(program: Program, options: SearchOptions, store: Store, jobs: Int) {
        self.program = program
        self.options = options
        self.store = store
        self.jobs = min(max(1, jobs), SearchOptions.maxJobs)
        sleepSets = options.reductions.contains(.sleepSets) && store.keepsEveryState
        levelSleep = .allocate(capacity: 1)
    }

    deinit { levelSleep.deallocate() }

    // MARK: - Workers

    private func takeChunk() -> (Int, ChunkOutput)? {
        lock.lock()
        defer { lock.unlock() }
        guard !stopping, nextChunk < chunkCount else { return nil }
        let j = nextChunk
        nextChunk += 1
        return (j, spare.popLast() ?? ChunkOutput(words: store.words))
    }

    private func expandChunk(_ j: Int, _ out: ChunkOutput, _ expander: inout Expander, _ buffer: UnsafeMutablePointer<UInt64>) {
        out.reset()
        let fresh = levelEnd - levelStart
        let start = j * chunkSize
        let end = min(fresh + levelWoken.count, start + chunkSize)
        for x in start..<end {
            // Copy first: the merger may be appending to the store meanwhile (blocks do not
            // move, but a copy keeps the worker's reads in its own cache line).
            if x < fresh {
                store.load(levelStart + x, into: buffer)
                expander.expand(levelStart + x, buffer, expand: expandLevel, sleep: sleepSets ? levelSleep[x] : 0, into: out)
            } else if expandLevel {
                let w = levelWoken[x - fresh]
                store.load(w.state, into: buffer)
                expander.expandWoken(w.state, buffer, threads: w.wake.threads, sleep: w.wake.sleep, into: out)
            }
            if out.stoppedBy != nil { break }
            if let limit = expander.pollIfBusy() { out.stop(limit); break }
        }
        lock.lock()
        outputs[j] = out
        lock.broadcast()
        lock.unlock()
    }

    private func worker() {
        var expander = Expander(program: program, options: options, sleepSets: sleepSets)
        let buffer = UnsafeMutablePointer<UInt64>.allocate(capacity: store.words)
        defer {
            expander.release()
            buffer.deallocate()
            lock.lock()
            liveWorkers -= 1
            lock.broadcast()
            lock.unlock()
        }
        var seen = 0
        while true {
            lock.lock()
            while generation == seen && !stopping { lock.wait() }
            if stopping { lock.unlock(); return }
            seen = generation
            lock.unlock()
            while let (j, out) = takeChunk() { expandChunk(j, out, &expander, buffer) }
        }
    }

    private func stopWorkers() {
        lock.lock()
        stopping = true
        lock.broadcast()
        while liveWorkers > 0 { lock.wait() }
        lock.unlock()
    }

    // MARK: - The search

    func run(initialState: UnsafePointer<UInt64>) -> (SearchStats, [RawFinding], SearchLimit?) {
        let clock = Stopwatch()
        var stats = SearchStats()
        var log = FindingLog(program: program, options: options)
        let words = store.words
        _ = store.insert(initialState, hash: StateStore.hash(initialState, words), parent: -1, label: 0)
        var sleep = SleepSets()
        if sleepSets { _ = sleep.meet(0, isNew: true, incoming: 0) }
        var woken: [(state: Int, wake: SleepSets.Wake)] = []

        // A worker the system cannot start is simply not there: the merger expands whatever
        // chunks nobody takes, so the result is the same with fewer workers.
        for _ in 1..<jobs {
            lock.lock(); liveWorkers += 1; lock.unlock()
            if !WorkerThread.start(stackSize: options.workerStackSize, { [self] in self.worker() }) {
                lock.lock(); liveWorkers -= 1; lock.unlock()
                break
            }
        }
        var expander = Expander(program: program, options: options, sleepSets: sleepSets)
        let buffer = UnsafeMutablePointer<UInt64>.allocate(capacity: words)
        defer {
            stopWorkers()
            expander.release()
            buffer.deallocate()
        }
        func path(_ i: Int) -> [[UInt64]] { store.pathStates(to: i) }
        // The merge loop's mutable state is passed, not captured: a variable a nested function
        // captures lives in a box whose every access is checked for exclusivity at run time.
        func finish(_ limit: SearchLimit?, _ stats: SearchStats, _ log: FindingLog, _ sleep: SleepSets) -> (SearchStats, [RawFinding], SearchLimit?) {
            var stats = stats
            stats.states = store.count
            stats.seconds = clock.elapsed
            stats.bytes = store.bytes + sleep.bytes
            return (stats, log.findings, limit)
        }

        var level = 0
        var start = 0
        var lastReport = 0.0
        var pendingViolation: (finding: RawFinding, signature: [Int])? = nil
        while start < store.count || !woken.isEmpty {
            let end = store.count
            store.beginLevel(start: start, end: end)
            stats.depth = level
            let items = end - start + woken.count
            // A level: chunks sized so that every worker has several to take.
            lock.lock()
            levelStart = start
            levelEnd = end
            if sleepSets {
                if levelSleepCapacity < end - start {
                    levelSleep.deallocate()
                    levelSleepCapacity = max(end - start, 2 * levelSleepCapacity)
                    levelSleep = .allocate(capacity: levelSleepCapacity)
                }
                for i in start..<end { levelSleep[i - start] = sleep[i] }
                levelWoken = woken
                woken.removeAll(keepingCapacity: true)
            }
            chunkSize = max(16, min(4096, items / (jobs * 8)))
            chunkCount = (items + chunkSize - 1) / chunkSize
            nextChunk = 0
            outputs = [ChunkOutput?](repeating: nil, count: chunkCount)
            expandLevel = options.maxDepth.map { level < $0 } ?? true
            generation += 1
            lock.broadcast()
            lock.unlock()

            for j in 0..<chunkCount {
                // Wait for chunk j; meanwhile expand other chunks of the level.
                var out: ChunkOutput? = nil
                while out == nil {
                    lock.lock()
                    out = outputs[j]
                    lock.unlock()
                    if out != nil { break }
                    if let (k, o) = takeChunk() {
                        expandChunk(k, o, &expander, buffer)
                    } else {
                        lock.lock()
                        while outputs[j] == nil { lock.wait() }
                        lock.unlock()
                    }
                }
                let o = out!
                // Merge in order, as the sequential search would have gone.
                var k = 0
                var d = 0, f = 0
                // Read once per chunk: each read of a class's stored array is checked at run time.
                let deadlocks = o.deadlocks, faults = o.faults
                for (state, successorEnd, complete) in o.expanded {
                    while d < deadlocks.count && deadlocks[d].state == state {
                        let dl = deadlocks[d]
                        d += 1
                        if !log.wants(dl.signature) { continue }
                        log.add(RawFinding(kind: .deadlock(dl.threads), path: path(state)), signature: dl.signature)
                        if !options.allFindings { return finish(nil, stats, log, sleep) }
                    }
                    if pendingViolation != nil { k = successorEnd; continue }
                    // Counted state by state, so that stopping in the middle of a chunk counts
                    // exactly what the sequential search would have.
                    stats.transitions += successorEnd - k
                    if complete { stats.completedRuns += 1 }
                    while k < successorEnd {
                        // The slot of a successor a few inserts on, so that the probes' cache
                        // misses overlap (CPrefetch.h).
                        if k + StateStore.prefetchDistance < o.count { store.prefetch(hash: o.hashes[k + StateStore.prefetchDistance]) }
                        let (i, isNew) = store.insert(o.state(k), hash: o.hashes[k], parent: o.parents[k], label: o.labels[k])
                        // A state expanded already (before `end`) expands its woken threads in
                        // the next level; a later one just starts with the smaller sleep set.
                        if sleepSets, let wake = sleep.meet(i, isNew: isNew, incoming: o.sleeps[k]), i < end {
                            woken.append((i, wake))
                            stats.wokenExpansions += 1
                        }
                        k += 1
                        if isNew {
                            if let m = options.maxStates, store.count > m { return finish(.maxStates, stats, log, sleep) }
                            if store.count >= StateStore.maxStates { return finish(.maxStates, stats, log, sleep) }
                        }
                    }
                    while f < faults.count && faults[f].state == state {
                        let ft = faults[f]
                        f += 1
                        let sig = FindingLog.faultSignature(ft.fault)
                        if !log.wants(sig) || (!options.allFindings && pendingViolation != nil) { continue }
                        var finding = RawFinding(kind: .violation(ft.fault), path: path(state))
                        finding.faultingThread = ft.thread
                        finding.faultingChoice = ft.choice
                        if options.allFindings { log.add(finding, signature: sig) } else { pendingViolation = (finding, sig) }
                    }
                }
                if let limit = o.stoppedBy {
                    tooLong = o.tooLong
                    return finish(limit, stats, log, sleep)
                }
                lock.lock()
                spare.append(o)
                lock.unlock()

                let elapsed = clock.elapsed
                if let t = options.timeLimit, elapsed >= t { return finish(.timeLimit, stats, log, sleep) }
                if let m = options.maxMemory, store.bytes + sleep.bytes > m { return finish(.maxMemory, stats, log, sleep) }
                if let stop = options.shouldStop, stop() { return finish(.interrupted, stats, log, sleep) }
                if let report = options.progress, elapsed - lastReport >= 0.5 {
                    lastReport = elapsed
                    report(SearchProgress(states: store.count, transitions: stats.transitions, depth: level,
                                          queued: max(0, store.count - (start + (j + 1) * chunkSize)), seconds: elapsed))
                }
            }
            // A violation found while expanding this level has one step more than a deadlock
            // state of this level; the level's deadlock checks are done, so report it now.
            if let v = pendingViolation {
                log.add(v.finding, signature: v.signature)
                return finish(nil, stats, log, sleep)
            }
            start = end
            level += 1
        }
        return finish(nil, stats, log, sleep)
    }
}
