import Foundation
import LockhuntBasics
import LockhuntProgram
import CPrefetch

/// Explores every interleaving of a program, breadth-first (the first finding then has a
/// shortest trace) or depth-first, and reports deadlocks and violations.
/// Reductions of the state space that keep verdicts exact, each switchable.
public struct Reductions: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Persistent sets (Exploration/PartialOrder.swift): fewer states.
    public static let persistentSets = Reductions(rawValue: 1)
    /// Interchangeable threads (Exploration/Symmetry.swift).
    public static let symmetry = Reductions(rawValue: 2)
    /// Sleep sets (Exploration/SleepSets.swift): fewer transitions into states already covered.
    public static let sleepSets = Reductions(rawValue: 4)
    /// Folding of invisible local steps (`Machine.fold`): a thread's local code runs inside the
    /// visible step before it instead of as steps of its own. Off, every local instruction is
    /// a step (`IROp.rests`), and findings are mapped back to folded runs (FoldProjection.swift).
    public static let folding = Reductions(rawValue: 8)

    /// The partial-order reduction, `--reduce por`: persistent sets with sleep sets.
    public static let partialOrder: Reductions = [.persistentSets, .sleepSets]
    public static let none: Reductions = []
    public static let all: Reductions = [.folding, .persistentSets, .sleepSets, .symmetry]

    /// `none`, `fold`, `por`, `sym`, `all`, the parts of `por` alone (`persistent`, `sleep`),
    /// or a comma-separated list.
    public init?(name: String) {
        var r = Reductions.none
        for part in name.split(separator: ",", omittingEmptySubsequences: false) {
            switch part {
            case "none": break
            case "fold": r.insert(.folding)
            case "por": r.formUnion(.partialOrder)
            case "persistent": r.insert(.persistentSets)
            case "sleep": r.insert(.sleepSets)
            case "sym": r.insert(.symmetry)
            case "all": r.formUnion(.all)
            default: return nil
            }
        }
        self = r
    }

    /// What `init(name:)` accepts, for usage errors.
    public static let accepted = "none, fold, por (persistent and sleep), sym, all, persistent, sleep, or a comma-separated list"

    public var name: String {
        if self == .none { return "none" }
        if self == .all { return "all" }
        var parts: [String] = []
        if contains(.folding) { parts.append("fold") }
        if isSuperset(of: .partialOrder) {
            parts.append("por")
        } else {
            if contains(.persistentSets) { parts.append("persistent") }
            if contains(.sleepSets) { parts.append("sleep") }
        }
        if contains(.symmetry) { parts.append("sym") }
        return parts.joined(separator: ",")
    }

    /// The reductions that choose which states of the step graph to visit; folding is left
    /// out, since it decides what a step is.
    public var ofTheSearch: Reductions { subtracting(.folding) }
}

public struct SearchOptions: Sendable {
    public enum Order: String, Sendable { case breadthFirst = "bfs", depthFirst = "dfs" }

    public var order: Order = .breadthFirst
    public var reductions: Reductions = .all
    /// States deeper than this are not expanded (used to recover a shortest trace).
    var maxDepth: Int? = nil
    /// Keep only a hash of each visited state (breadth-first only): much less memory, at the
    /// price of a small, reported probability of missing a state.
    public var hashCompaction = false
    /// Threads for a breadth-first search (one per core by default). The result does not
    /// depend on it.
    public var jobs = min(SearchOptions.maxJobs, max(1, ProcessInfo.processInfo.activeProcessorCount))
    /// The most search threads lockhunt starts: more than the cores only adds switching (the
    /// result is the same for any number), and a runaway `--jobs 100000` once started 18,000.
    public static let maxJobs = 64
    /// Stack of each search worker. A size the system refuses leaves the search to the workers
    /// that did start (the result is the same); the tests use that to reach the path.
    public var workerStackSize = 1 << 22
    public var maxStates: Int? = nil
    public var timeLimit: Double? = nil
    public var maxMemory: Int? = nil
    /// Keep going after the first finding and report every distinct one.
    public var allFindings = false
    /// Reuse the results of folding local code (Exploration/FoldCache.swift). Turned off only
    /// by the test that checks the cache changes nothing.
    public var cacheFolds = true
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
    /// Sleep sets: how often a state already expanded was met again with threads awake that
    /// had slept there, and expanded those threads.
    public var wokenExpansions = 0

    public var statesPerSecond: Double { seconds > 0 ? Double(states) / seconds : Double(states) }

    public init() {}
}

/// Why a search stopped before covering everything.
public enum SearchLimit: String, Sendable, Codable {
    case maxStates = "max-states"
    case timeLimit = "time-limit"
    case maxMemory = "max-memory"
    case interrupted
    /// A thread's local code ran past `Machine.localInstructionLimit` within one step
    /// (`SearchResult.tooLong` says where): the model cannot be explored as written.
    case localComputation = "local-computation"
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

    /// The memberwise initializer, for the other layers of the package.
    package init(kind: RawFinding.Kind, path: [[UInt64]], faultingThread: Int? = nil, faultingChoice: Int = 0) {
        self.kind = kind
        self.path = path
        self.faultingThread = faultingThread
        self.faultingChoice = faultingChoice
    }
}

public struct SearchResult: Sendable {
    public var stats: SearchStats
    public var findings: [RawFinding]
    /// nil when the search covered every reachable state (or stopped at a finding).
    public var limit: SearchLimit?
    /// The first finding's trace is a shortest one (always so without reductions; with them,
    /// when the unreduced search up to its depth stayed within its budget).
    public var shortest = true
    /// With hash compaction: the probability that a state was missed.
    public var omissionProbability: Double? = nil
    /// For `limit == .localComputation`: the thread and the global pc where its local code was
    /// stopped.
    public var tooLong: (thread: Int, pc: Int)? = nil
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
        // Paths found under symmetry are sequences of canonical states: map them to real runs.
        // (Without folding the search's FindingLog has done so already, and mapped them to the
        // folded runs that traces, reports and replay speak of.)
        if options.reductions.contains(.symmetry), options.reductions.contains(.folding), !program.symmetry.isEmpty {
            result.findings = result.findings.map(realize)
        }
        // Reductions keep verdicts exact but not trace lengths: look for a shorter trace in the
        // folded unreduced graph, up to the depth of the one found, within a budget.
        if options.reductions != .folding, options.order == .breadthFirst, !options.allFindings,
           let first = result.findings.first {
            var exact = options
            exact.reductions = .folding
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

    /// A run of real states whose canonical forms are the finding's path, with the finding's
    /// threads found again in the real last state.
    func realize(_ raw: RawFinding) -> RawFinding {
        guard raw.path.count > 0, let canon = Canonicalizer(program) else { return raw }
        var machine = Machine(program, folding: options.reductions.contains(.folding))
        let words = program.wordsPerState
        let succ = UnsafeMutablePointer<UInt64>.allocate(capacity: words * max(1, machine.maxChoices))
        let probe = UnsafeMutablePointer<UInt64>.allocate(capacity: words)
        defer { machine.release(); canon.release(); succ.deallocate(); probe.deallocate() }
        var actual = [UInt64](repeating: 0, count: words)
        _ = actual.withUnsafeMutableBufferPointer { machine.initialState(program.rawInitialState, into: $0.baseAddress!) }
        var path = [actual]
        for target in raw.path.dropFirst() {
            var next: [UInt64]? = nil
            actual.withUnsafeBufferPointer { s in
                for t in 0..<machine.threadCount where next == nil {
                    let n = machine.step(s.baseAddress!, t, succ)
                    for k in 0..<max(0, n) where machine.isSuccessor(k) {
                        probe.update(from: succ + k * words, count: words)
                        canon.canonicalize(probe)
                        if UnsafeBufferPointer(start: probe, count: words).elementsEqual(target) {
                            next = Array(UnsafeBufferPointer(start: succ + k * words, count: words))
                            break
                        }
                    }
                }
            }
            guard let n = next else { preconditionFailure("a canonical path has no real counterpart") }
            actual = n
            path.append(n)
        }
        var real = raw
        real.path = path
        switch raw.kind {
        case .deadlock:
            let dead = actual.withUnsafeBufferPointer { machine.deadlockedThreads($0.baseAddress!, program.analysis.resources) }
            real.kind = .deadlock((0..<machine.threadCount).filter { dead & (UInt64(1) << UInt64($0)) != 0 })
        case .violation(let fault):
            // The faulting thread is the canonical one's counterpart: the same kind of fault at
            // the same place in its own code (interchangeable threads' code sits at different pcs).
            let codeStart = { (t: Int) in self.program.threads[t].codeStart }
            let place = program.thread(ofPC: Int(fault.pc)).map { Int(fault.pc) - codeStart($0) }
            actual.withUnsafeBufferPointer { s in
                for t in 0..<machine.threadCount {
                    let n = machine.step(s.baseAddress!, t, succ)
                    guard n < 0 || machine.faultedBranches > 0 else { continue }
                    if machine.fault.kind == fault.kind && Int(machine.fault.pc) - codeStart(t) == place {
                        real.kind = .violation(machine.fault)
                        real.faultingThread = t
                        real.faultingChoice = machine.faultedBranches > 0 ? machine.faultedChoice : 0
                        break
                    }
                }
            }
        }
        return real
    }

    /// The states a sequence of step labels (thread, choice) leads to from the initial state,
    /// canonical when symmetry is on (as the search stored them).
    func replay(_ labels: [UInt16]) -> [[UInt64]] {
        var machine = Machine(program, folding: options.reductions.contains(.folding))
        let canon = options.reductions.contains(.symmetry) ? Canonicalizer(program) : nil
        let words = program.wordsPerState
        let succ = UnsafeMutablePointer<UInt64>.allocate(capacity: words * max(1, machine.maxChoices))
        defer { machine.release(); canon?.release(); succ.deallocate() }
        var cur = [UInt64](repeating: 0, count: words)
        _ = cur.withUnsafeMutableBufferPointer { machine.initialState(program.rawInitialState, into: $0.baseAddress!) }
        if let c = canon { cur.withUnsafeMutableBufferPointer { c.canonicalize($0.baseAddress!) } }
        var out = [cur]
        for label in labels {
            let t = Int(label & 63), k = Int(label >> 6)
            let n = cur.withUnsafeBufferPointer { machine.step($0.baseAddress!, t, succ) }
            precondition(k < n, "a recorded step does not replay")
            if let c = canon { c.canonicalize(succ + k * words) }
            cur = Array(UnsafeBufferPointer(start: succ + k * words, count: words))
            out.append(cur)
        }
        return out
    }

    func explore() -> SearchResult {
        var machine = Machine(program, folding: options.reductions.contains(.folding))
        defer { machine.release() }
        let words = program.wordsPerState
        let cur = UnsafeMutablePointer<UInt64>.allocate(capacity: words)
        defer { cur.deallocate() }
        // The initial state; folding the threads' first local code may already fault.
        if !machine.initialState(program.rawInitialState, into: cur) {
            let thread = program.thread(ofPC: Int(machine.fault.pc))
            if machine.fault.kind == .localComputationTooLong {
                var r = SearchResult(stats: SearchStats(), findings: [], limit: .localComputation)
                r.tooLong = (thread ?? 0, Int(machine.fault.pc))
                return r
            }
            var f = RawFinding(kind: .violation(machine.fault), path: [])
            f.faultingThread = thread
            return SearchResult(stats: SearchStats(), findings: [f], limit: nil)
        }
        let canonical = options.reductions.contains(.symmetry) ? Canonicalizer(program) : nil
        if let c = canonical {
            c.canonicalize(cur)
            c.release()
        }
        if options.order == .breadthFirst && options.hashCompaction {
            let store = CompactStore(words: words, replay: { [program, options] labels in
                Explorer(program: program, options: options).replay(labels)
            })
            let bfs = BreadthFirstSearch(program: program, options: options, store: store, jobs: options.jobs)
            let (stats, findings, limit) = bfs.run(initialState: cur)
            var r = SearchResult(stats: stats, findings: findings, limit: limit)
            r.omissionProbability = store.omissionProbability
            r.tooLong = bfs.tooLong
            return r
        }
        let store = StateStore(program)
        if options.order == .breadthFirst {
            let bfs = BreadthFirstSearch(program: program, options: options, store: store, jobs: options.jobs)
            let (stats, findings, limit) = bfs.run(initialState: cur)
            var r = SearchResult(stats: stats, findings: findings, limit: limit)
            r.tooLong = bfs.tooLong
            return r
        }
        return depthFirst(store, initial: cur)
    }

    /// Depth-first: one state at a time, its new successors pushed on a stack. With sleep sets, a
    /// state expanded already and met again with a smaller sleep set is pushed again to expand
    /// the threads that woke (a negative stack entry, into `wakes`).
    func depthFirst(_ store: StateStore, initial: UnsafeMutablePointer<UInt64>) -> SearchResult {
        let words = program.wordsPerState
        let clock = Stopwatch()
        var stats = SearchStats()
        var log = FindingLog(program: program, options: options)
        let sleepSets = options.reductions.contains(.sleepSets)
        var expander = Expander(program: program, options: options, sleepSets: sleepSets)
        let out = ChunkOutput(words: words)
        let cur = UnsafeMutablePointer<UInt64>.allocate(capacity: words)
        defer { expander.release(); cur.deallocate() }
        func path(_ i: Int) -> [[UInt64]] {
            store.path(to: i).map(store.state)
        }
        func finish(_ limit: SearchLimit?) -> SearchResult {
            stats.states = store.count
            stats.seconds = clock.elapsed
            stats.bytes = store.bytes + sleep.bytes
            var r = SearchResult(stats: stats, findings: log.findings, limit: limit)
            r.tooLong = out.tooLong
            return r
        }
        _ = store.insert(initial, parent: -1)
        var sleep = SleepSets()
        if sleepSets { _ = sleep.meet(0, isNew: true, incoming: 0) }
        var wakes: [(state: Int, wake: SleepSets.Wake)] = []
        var done: [Bool] = [false]
        var depthOf: [Int32] = [0]
        var stack: [Int] = [0]
        var expanded = 0
        var lastReport = 0.0
        while let entry = stack.popLast() {
            let index = entry >= 0 ? entry : wakes[-1 - entry].state
            store.load(index, into: cur)
            let depth = Int(depthOf[index])
            stats.depth = max(stats.depth, depth)
            expanded += 1
            if expanded & 255 == 0 {
                let elapsed = clock.elapsed
                if let t = options.timeLimit, elapsed >= t { return finish(.timeLimit) }
                if let m = options.maxMemory, store.bytes + sleep.bytes + depthOf.count * 5 > m { return finish(.maxMemory) }
                if let stop = options.shouldStop, stop() { return finish(.interrupted) }
                if let report = options.progress, elapsed - lastReport >= 0.5 {
                    lastReport = elapsed
                    report(SearchProgress(states: store.count, transitions: stats.transitions, depth: depth,
                                          queued: stack.count, seconds: elapsed))
                }
            }
            out.reset()
            let deepEnough = options.maxDepth.map { depth >= $0 } ?? false
            if entry < 0 {
                if deepEnough { continue }
                let w = wakes[-1 - entry].wake
                expander.expandWoken(index, cur, threads: w.threads, sleep: w.sleep, into: out)
            } else {
                done[index] = true
                expander.expand(index, cur, expand: !deepEnough, sleep: sleepSets ? sleep[index] : 0, into: out)
            }
            if let limit = out.stoppedBy ?? expander.pollIfBusy() { return finish(limit) }
            for dl in out.hasDeadlocks ? out.deadlocks : [] where log.wants(dl.signature) {
                log.add(RawFinding(kind: .deadlock(dl.threads), path: path(index)), signature: dl.signature)
                if !options.allFindings { return finish(nil) }
            }
            // Every successor's slot first, so that the probes' cache misses overlap (CPrefetch.h).
            for k in 0..<out.count { store.prefetch(hash: out.hashes[k]) }
            for k in 0..<out.count {
                let (i, isNew) = store.insert(out.state(k), hash: out.hashes[k], parent: index)
                if sleepSets, let wake = sleep.meet(i, isNew: isNew, incoming: out.sleeps[k]), done[i] {
                    wakes.append((i, wake))
                    stack.append(-wakes.count)
                    stats.wokenExpansions += 1
                }
                if isNew {
                    done.append(false)
                    depthOf.append(Int32(depth + 1))
                    stack.append(i)
                    if let m = options.maxStates, store.count > m { return finish(.maxStates) }
                    if store.count >= StateStore.maxStates { return finish(.maxStates) }
                }
            }
            for ft in out.hasFaults ? out.faults : [] {
                let sig = FindingLog.faultSignature(ft.fault)
                if !log.wants(sig) { continue }
                var f = RawFinding(kind: .violation(ft.fault), path: path(index))
                f.faultingThread = ft.thread
                f.faultingChoice = ft.choice
                log.add(f, signature: sig)
                if !options.allFindings { return finish(nil) }
            }
            stats.transitions += out.transitions
            stats.completedRuns += out.completedRuns
        }
        return finish(nil)
    }
}
