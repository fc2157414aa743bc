/// Explores every interleaving of a program, breadth-first (the first finding then has a
/// shortest trace) or depth-first, and reports deadlocks and violations.
/// Reductions of the state space that keep verdicts exact, each switchable.
public struct Reductions: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Persistent sets (Exploration/PartialOrder.swift).
    public static let partialOrder = Reductions(rawValue: 1)
    /// Interchangeable threads (Exploration/Symmetry.swift).
    public static let symmetry = Reductions(rawValue: 2)

    public static let none: Reductions = []
    public static let all: Reductions = [.partialOrder, .symmetry]

    /// `none`, `por`, `sym`, `all`, or a comma-separated list.
    public init?(name: String) {
        var r = Reductions.none
        for part in name.split(separator: ",") {
            switch part {
            case "none": break
            case "por": r.insert(.partialOrder)
            case "sym": r.insert(.symmetry)
            case "all": r.formUnion(.all)
            default: return nil
            }
        }
        self = r
    }

    public var name: String {
        switch self {
        case .none: return "none"
        case .all: return "all"
        case .partialOrder: return "por"
        case .symmetry: return "sym"
        default: return "\(rawValue)"
        }
    }
}

public struct SearchOptions: Sendable {
    public enum Order: String, Sendable { case breadthFirst = "bfs", depthFirst = "dfs" }

    public var order: Order = .breadthFirst
    public var reductions: Reductions = .all
    /// States deeper than this are not expanded (used to recover a shortest trace).
    var maxDepth: Int? = nil
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
    /// The first finding's trace is a shortest one (always so without reductions; with them,
    /// when the unreduced search up to its depth stayed within its budget).
    public var shortest = true
}

public struct Explorer {
    public let program: Program
    public let options: SearchOptions

    public init(program: Program, options: SearchOptions = SearchOptions()) {
        self.program = program
        self.options = options
    }

    public func run() -> SearchResult {
        var result = explore()
        // Reductions keep verdicts exact but not trace lengths: look for a shorter trace in the
        // unreduced graph, up to the depth of the one found, within a budget.
        if options.reductions != .none, options.order == .breadthFirst, !options.allFindings,
           let first = result.findings.first {
            var exact = options
            exact.reductions = .none
            // Deep enough for every finding as short as this one: a violation's trace has one
            // step more than the state it starts from.
            if case .violation = first.kind { exact.maxDepth = first.path.count } else { exact.maxDepth = first.path.count - 1 }
            exact.maxStates = max(200_000, 20 * result.stats.states)
            exact.progress = nil
            let shorter = Explorer(program: program, options: exact).explore()
            if let f = shorter.findings.first {
                result.findings = [f]
            } else {
                result.shortest = false
            }
        }
        return result
    }

    func explore() -> SearchResult {
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
        let por = Machine.PORScratch(threads: machine.threadCount, resourceWords: machine.resourceWords)
        defer { cur.deallocate(); succ.deallocate(); por.release() }
        let reducePO = options.reductions.contains(.partialOrder)

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

        // Breadth-first, the store is the queue and levels are ranges of it; only depth-first
        // needs a depth per state.
        var depthOf: [Int32] = options.order == .depthFirst ? [0] : []
        var level = 0
        var levelEnd = 1
        var stack: [Int] = [0]
        var head = 0
        var expanded = 0
        var lastReport = 0.0
        // A violation found while expanding level k has k + 1 steps, but a deadlock state still
        // waiting in level k has only k: finish the level's deadlock checks before reporting.
        var pendingViolation: (finding: RawFinding, depth: Int)? = nil

        while true {
            // Next state: the queue is the store itself for BFS, an explicit stack for DFS.
            var index: Int
            let depth: Int
            if options.order == .breadthFirst {
                if head >= store.count { break }
                index = head
                head += 1
                if index == levelEnd {
                    level += 1
                    levelEnd = store.count
                }
                depth = level
            } else {
                guard let top = stack.popLast() else { break }
                index = top
                depth = Int(depthOf[index])
            }
            cur.update(from: store.state(index), count: words)
            stats.depth = max(stats.depth, depth)
            if let p = pendingViolation, depth > p.depth {
                findings.append(p.finding)
                return finish(nil)
            }

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
            let masks = machine.statusMasks(cur)
            let dead = machine.deadlockedThreads(cur, blocked: masks.blocked, unfinished: masks.unfinished, scratch: por)
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
            if pendingViolation != nil { continue }

            if let limit = options.maxDepth, depth >= limit { continue }
            var expand = masks.enabled
            if reducePO {
                expand = machine.persistentSet(cur, enabled: masks.enabled, blocked: masks.blocked, unfinished: masks.unfinished,
                                               resources: resources, scratch: por)
            }
            var moved = false
            var threadsLeft = expand
            while threadsLeft != 0 {
                let t = threadsLeft.trailingZeroBitCount
                threadsLeft &= threadsLeft - 1
                let n = machine.step(cur, t, succ)
                if n < 0 {
                    let fault = machine.fault
                    let sig = [1, Int(fault.kind.rawValue), Int(fault.pc)]
                    if !signatures.contains(sig) {
                        signatures.insert(sig)
                        var f = RawFinding(kind: .violation(fault), path: path(index))
                        f.faultingThread = t
                        f.faultingChoice = 0
                        if options.allFindings {
                            findings.append(f)
                        } else if options.order == .depthFirst {
                            findings.append(f)
                            return finish(nil)
                        } else {
                            pendingViolation = (f, depth)
                            break
                        }
                    }
                    moved = true
                    continue
                }
                if n > 0 { moved = true }
                for k in 0..<n {
                    stats.transitions += 1
                    let (i, isNew) = store.insert(succ + k * words, parent: index)
                    if isNew {
                        if options.order == .depthFirst {
                            depthOf.append(Int32(depth + 1))
                            stack.append(i)
                        }
                        if let m = options.maxStates, store.count >= m, store.count > index + 1 || head < store.count {
                            if store.count > m { return finish(.maxStates) }
                        }
                        if store.count >= StateStore.maxStates { return finish(.maxStates) }
                    }
                }
            }
            if !moved && masks.unfinished == 0 {
                // Every thread finished: a complete run. (A state where nothing can move but some
                // thread has not finished is a deadlock, reported above.)
                stats.completedRuns += 1
            }
        }
        if let p = pendingViolation { findings.append(p.finding) }
        return finish(nil)
    }
}
