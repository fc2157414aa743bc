/// Explores every interleaving of a program, breadth-first (the first finding then has a
/// shortest trace) or depth-first, and reports deadlocks and violations.
public struct SearchOptions: Sendable {
    public enum Order: String, Sendable { case breadthFirst = "bfs", depthFirst = "dfs" }

    public var order: Order = .breadthFirst
    public var maxStates: Int? = nil
    public var timeLimit: Double? = nil
    public var maxMemory: Int? = nil
    /// Keep going after the first finding and report every distinct one.
    public var allFindings = false
    /// Called about twice a second during long searches.
    public var progress: (@Sendable (SearchProgress) -> Void)? = nil
    /// Polled during the search; true stops it (SIGINT).
    public var shouldStop: (@Sendable () -> Bool)? = nil

    public init() {}
}

public struct SearchProgress: Sendable {
    public var states: Int
    public var transitions: Int
    public var depth: Int
    public var queued: Int
    public var seconds: Double
}

public struct SearchStats: Sendable, Equatable {
    public var states = 0
    public var transitions = 0
    /// Depth of the deepest state reached (BFS level).
    public var depth = 0
    public var seconds = 0.0
    public var bytes = 0
    /// States with no successors in which every thread finished.
    public var completedRuns = 0

    public var statesPerSecond: Double { seconds > 0 ? Double(states) / seconds : Double(states) }
}

/// Why a search stopped before covering everything.
public enum SearchLimit: String, Sendable, Codable {
    case maxStates = "max-states"
    case timeLimit = "time-limit"
    case maxMemory = "max-memory"
    case interrupted
}

/// A finding as the explorer sees it: a kind and the states leading to it.
public struct RawFinding: Sendable {
    public enum Kind: Sendable, Equatable {
        /// These threads can never wake.
        case deadlock([Int])
        /// A step faulted (assertion, kernel rule).
        case violation(Fault)
    }

    public var kind: Kind
    /// States from the initial state to the deadlocked state, or to the state the faulting step
    /// starts from. Empty when the initial state itself faulted.
    public var path: [[UInt64]]
    /// The faulting step of a violation: its thread and, for a choice, the branch.
    public var faultingThread: Int?
    public var faultingChoice: Int = 0
}

public struct SearchResult: Sendable {
    public var stats: SearchStats
    public var findings: [RawFinding]
    /// nil when the search covered every reachable state (or stopped at a finding).
    public var limit: SearchLimit?
}

public struct Explorer {
    public let program: Program
    public let options: SearchOptions

    public init(program: Program, options: SearchOptions = SearchOptions()) {
        self.program = program
        self.options = options
    }

    public func run() -> SearchResult {
        var machine = Machine(program)
        defer { machine.release() }
        let words = program.wordsPerState
        let store = StateStore(words: words)
        let clock = Stopwatch()
        var stats = SearchStats()
        var findings: [RawFinding] = []
        var signatures = Set<[Int]>()
        let resources = program.analysis.resources

        let cur = UnsafeMutablePointer<UInt64>.allocate(capacity: words)
        let succ = UnsafeMutablePointer<UInt64>.allocate(capacity: words * max(1, machine.maxChoices))
        defer { cur.deallocate(); succ.deallocate() }

        func path(_ i: Int) -> [[UInt64]] {
            store.path(to: i).map { Array(UnsafeBufferPointer(start: store.state($0), count: words)) }
        }
        func finish(_ limit: SearchLimit?) -> SearchResult {
            stats.states = store.count
            stats.seconds = clock.elapsed
            stats.bytes = store.bytes
            return SearchResult(stats: stats, findings: findings, limit: limit)
        }

        // The initial state; folding the threads' first local code may already fault.
        if !machine.initialState(program.rawInitialState, into: cur) {
            var f = RawFinding(kind: .violation(machine.fault), path: [])
            f.faultingThread = program.threads.firstIndex { $0.codeStart <= Int(machine.fault.pc) && Int(machine.fault.pc) < $0.codeStart + $0.codeCount }
            findings.append(f)
            return finish(nil)
        }
        _ = store.insert(cur, parent: -1)

        var depthOf: [Int32] = [0]
        var stack: [Int] = [0]
        var head = 0
        var expanded = 0
        var lastReport = 0.0

        while true {
            // Next state: the queue is the store itself for BFS, an explicit stack for DFS.
            var index: Int
            if options.order == .breadthFirst {
                if head >= store.count { break }
                index = head
                head += 1
            } else {
                guard let top = stack.popLast() else { break }
                index = top
            }
            cur.update(from: store.state(index), count: words)
            let depth = Int(depthOf[index])
            stats.depth = max(stats.depth, depth)

            expanded += 1
            if expanded & 255 == 0 {
                let elapsed = clock.elapsed
                if let t = options.timeLimit, elapsed >= t { return finish(.timeLimit) }
                if let m = options.maxMemory, store.bytes + depthOf.count * 4 > m { return finish(.maxMemory) }
                if let stop = options.shouldStop, stop() { return finish(.interrupted) }
                if let report = options.progress, elapsed - lastReport >= 0.5 {
                    lastReport = elapsed
                    report(SearchProgress(states: store.count, transitions: stats.transitions, depth: depth,
                                          queued: options.order == .breadthFirst ? store.count - head : stack.count, seconds: elapsed))
                }
            }

            // Deadlock: blocked tasks nobody can wake.
            let dead = machine.deadlockedThreads(cur, resources)
            if dead != 0 {
                var threads: [Int] = []
                var sig: [Int] = [0]
                var rest = dead
                while rest != 0 {
                    let t = rest.trailingZeroBitCount
                    rest &= rest - 1
                    threads.append(t)
                    sig.append(t)
                    sig.append(machine.globalPC(cur, t))
                }
                if !signatures.contains(sig) {
                    signatures.insert(sig)
                    findings.append(RawFinding(kind: .deadlock(threads), path: path(index)))
                    if !options.allFindings { return finish(nil) }
                }
            }

            var moved = false
            for t in 0..<machine.threadCount {
                let n = machine.step(cur, t, succ)
                if n < 0 || machine.faultedBranches > 0 {
                    // A fault; for a choice, some branches may still have successors below.
                    let fault = machine.fault
                    let sig = [1, Int(fault.kind.rawValue), Int(fault.pc)]
                    if !signatures.contains(sig) {
                        signatures.insert(sig)
                        var f = RawFinding(kind: .violation(fault), path: path(index))
                        f.faultingThread = t
                        f.faultingChoice = machine.faultedBranches > 0 ? machine.faultedChoice : 0
                        findings.append(f)
                        if !options.allFindings { return finish(nil) }
                    }
                    moved = true
                    if n < 0 { continue }
                }
                if n > 0 { moved = true }
                for k in 0..<n where machine.isSuccessor(k) {
                    stats.transitions += 1
                    let (i, isNew) = store.insert(succ + k * words, parent: index)
                    if isNew {
                        depthOf.append(Int32(depth + 1))
                        if options.order == .depthFirst { stack.append(i) }
                        if let m = options.maxStates, store.count >= m, store.count > index + 1 || head < store.count {
                            if store.count > m { return finish(.maxStates) }
                        }
                        if store.count >= StateStore.maxStates { return finish(.maxStates) }
                    }
                }
            }
            if !moved {
                // No thread can move: a run ended. With every thread finished that is a
                // complete run; otherwise the deadlock check above has reported it.
                var allFinished = true
                for t in 0..<machine.threadCount where machine.status(cur, t) != .finished { allFinished = false; break }
                if allFinished { stats.completedRuns += 1 }
            }
        }
        return finish(nil)
    }
}
