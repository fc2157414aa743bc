import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration

/// What a policy costs besides its verdict, over every complete run (a run that ends with every
/// thread finished): the most folio locks a migrator holds at once, the most blocking calls
/// migrators make in one run, how many runs give a folio up, and TLB flushes against folios
/// migrated. Runs are counted as paths in the state graph, which is acyclic because every loop
/// in a model is bounded.
public struct PolicyCosts: Sendable, Equatable {
    /// Threads that call migrate_pages().
    public var migrators: [String]
    public var states: Int
    /// The most folio locks one migrator holds at the same moment.
    public var maxFolioLocksHeld: Int
    /// The most calls of blocking primitives (folio_lock, lock_buffer, folio_wait_writeback,
    /// wait_event) migrators make in one complete run; nil when no run completes.
    public var maxBlockingCalls: Int?
    public var completeRuns: Double
    /// Complete runs in which migration gives a folio up (PGMIGRATE_FAIL counted).
    public var runsGivingUp: Double
    /// The most folios migrated in one complete run (PGMIGRATE_SUCCESS), and the fewest and
    /// most TLB flushes (NR_TLB_REMOTE_FLUSH) on such runs.
    public var maxMigrated: Int?
    public var flushes: ClosedRange<Int>?
    /// Whether the model counts TLB flushes at all.
    public var countsFlushes: Bool
}

public enum CostAnalysis {
    public enum Failure: Error, Equatable {
        case tooLarge(Int)
        case cyclic
    }

    /// Threads whose code inlines migrate_pages().
    public static func migrators(_ program: Program) -> [Int] {
        program.threads.indices.filter { t in
            let th = program.threads[t]
            return (th.codeStart..<(th.codeStart + th.codeCount)).contains { pc in
                program.callChain(site: program.ir[pc].site).contains { $0.function == "migrate_pages" }
            }
        }
    }

    /// Explores `program` (compiled with folio owner tracking) fully and computes its costs.
    public static func costs(_ program: Program, maxStates: Int = 5_000_000) -> Result<PolicyCosts, Failure> {
        switch StateGraph.explore(program, maxStates: maxStates) {
        case .failure(.tooLarge(let n)): return .failure(.tooLarge(n))
        case .success(let g): return costs(program, g)
        }
    }

    static func costs(_ program: Program, _ g: StateGraph) -> Result<PolicyCosts, Failure> {
        let migrating = Set(migrators(program))
        let n = g.states
        // Topological order (Kahn) from in-degrees.
        var indegree = [Int32](repeating: 0, count: n)
        for t in g.edgeTarget { indegree[Int(t)] += 1 }
        var order: [Int] = []
        order.reserveCapacity(n)
        var queue = (0..<n).filter { indegree[$0] == 0 }
        var head = 0
        while head < queue.count {
            let s = queue[head]
            head += 1
            order.append(s)
            for e in Int(g.edgeStart[s])..<Int(g.edgeStart[s + 1]) {
                let t = Int(g.edgeTarget[e])
                indegree[t] -= 1
                if indegree[t] == 0 { queue.append(t) }
            }
        }
        if order.count != n { return .failure(.cyclic) }

        // Values of the paths from each state to the end of a complete run.
        var paths = [Double](repeating: 0, count: n)
        var givingUp = [Double](repeating: 0, count: n)
        var blocking = [Int](repeating: -1, count: n)
        var migrated = [Int](repeating: -1, count: n)
        var flushMin = [Int](repeating: 0, count: n)
        var flushMax = [Int](repeating: 0, count: n)
        var countsFlushes = false
        let kinds = Machine.eventKinds
        for s in order.reversed() {
            if g.terminal[s] == 1 {
                paths[s] = 1
                blocking[s] = 0
                migrated[s] = 0
                continue
            }
            for e in Int(g.edgeStart[s])..<Int(g.edgeStart[s + 1]) {
                let t = Int(g.edgeTarget[e])
                guard paths[t] > 0 else { continue }
                let success = Int(g.edgeEvents[e * kinds]), fail = Int(g.edgeEvents[e * kinds + 1])
                let flush = Int(g.edgeEvents[e * kinds + 2])
                if flush > 0 { countsFlushes = true }
                paths[s] += paths[t]
                givingUp[s] += fail > 0 ? paths[t] : givingUp[t]
                let b = blocking[t] + (g.edgeBlocking[e] && migrating.contains(Int(g.edgeThread[e])) ? 1 : 0)
                blocking[s] = max(blocking[s], b)
                let m = migrated[t] + success
                let lo = flushMin[t] + flush, hi = flushMax[t] + flush
                if m > migrated[s] {
                    migrated[s] = m
                    flushMin[s] = lo
                    flushMax[s] = hi
                } else if m == migrated[s] {
                    flushMin[s] = min(flushMin[s], lo)
                    flushMax[s] = max(flushMax[s], hi)
                }
            }
        }
        let root = 0
        let complete = paths[root] > 0
        // Events of the initial fold belong to every run.
        let initialSuccess = g.initialEvents[0], initialFail = g.initialEvents[1], initialFlush = g.initialEvents[2]
        if initialFlush > 0 { countsFlushes = true }
        if initialFail > 0 { givingUp[root] = paths[root] }
        migrated[root] += initialSuccess
        flushMin[root] += initialFlush
        flushMax[root] += initialFlush
        return .success(PolicyCosts(
            migrators: migrating.sorted().map { program.threads[$0].name },
            states: n,
            maxFolioLocksHeld: migrating.map { g.maxFolioLocksHeld[$0] }.max() ?? 0,
            maxBlockingCalls: complete ? blocking[root] : nil,
            completeRuns: paths[root],
            runsGivingUp: givingUp[root],
            maxMigrated: complete ? migrated[root] : nil,
            flushes: complete ? flushMin[root]...flushMax[root] : nil,
            countsFlushes: countsFlushes))
    }
}
