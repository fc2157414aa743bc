import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExploration
import LockhuntFindings

/// Settles each cycle of the static lock-order graph with the explorer: a complete search that
/// collects every distinct deadlock. A cycle is confirmed when some deadlock has its tasks stuck
/// on exactly the cycle's locks (the trace shows how); it is ruled out when the search covered
/// every state and none does, with the reason when one can be named.
public struct CycleVerdicts {
    public struct Cycle: Sendable {
        /// Lock names in order: each is held (or owed) while the next is taken.
        public var locks: [String]
        /// Indices into `StaticLockOrder.edges`, one per step of the cycle.
        public var edges: [Int]
        public var verdict: Verdict
    }

    public enum Verdict: Sendable {
        /// A reachable deadlock on these locks: the shortened counterexample.
        case confirmed(Finding)
        /// No reachable state deadlocks on these locks; why, in words.
        case ruledOut(String)
        /// The search stopped at a limit.
        case undecided(SearchLimit)
    }

    public var graph: StaticLockOrder
    public var cycles: [Cycle]
    /// Deadlocks the explorer found that no cycle of the graph explains (a `wait_event` nobody
    /// will satisfy, a lock whose holder finished without releasing it, ...).
    public var otherFindings: [Finding]
    public var stats: SearchStats
    public var limit: SearchLimit?

    public init(program: Program, search: SearchOptions) {
        let graph = StaticLockOrder(program: program)
        self.graph = graph
        var options = search
        options.allFindings = true
        let result = Explorer(program: program, options: options).run()
        stats = result.stats
        limit = result.limit
        let limit = result.limit, states = result.stats.states
        let builder = FindingBuilder(program: program)
        let minimiser = TraceMinimiser(program: program)
        var findings: [(locks: Set<String>, raw: RawFinding)] = []
        for raw in result.findings {
            guard case .deadlock = raw.kind else { continue }
            let f = builder.build(raw)
            guard case .deadlock(let tasks) = f.kind else { continue }
            findings.append((Set(tasks.compactMap(\.lock)), raw))
        }
        var used = Set<Int>()
        var out: [Cycle] = []
        for edgeIndices in graph.cycles() {
            let locks = edgeIndices.map { graph.edges[$0].from }
            let verdict: Verdict
            if let i = findings.firstIndex(where: { $0.locks == Set(locks) }) {
                used.insert(i)
                let (raw, m) = minimiser.minimise(findings[i].raw)
                var f = builder.build(raw)
                f.minimisation = m
                verdict = .confirmed(f)
            } else if let l = limit {
                verdict = .undecided(l)
            } else {
                verdict = .ruledOut(CycleVerdicts.reason(edgeIndices, graph, program, states: states))
            }
            out.append(Cycle(locks: locks, edges: edgeIndices, verdict: verdict))
        }
        // Confirmed cycles first: they are what a reader came for.
        let confirmed = out.filter { if case .confirmed = $0.verdict { return true } else { return false } }
        cycles = confirmed + out.filter { c in !confirmed.contains { $0.edges == c.edges } }
        otherFindings = findings.indices.filter { !used.contains($0) }.map { builder.build(findings[$0].raw) }
    }

    /// Why a cycle cannot close, when the graph shows it; otherwise the search's word.
    static func reason(_ edges: [Int], _ g: StaticLockOrder, _ p: Program, states: Int) -> String {
        if let e = edges.map({ g.edges[$0] }).first(where: \.trylockOnly) {
            let how = Set(e.instances.map { p.sites[p.ir[$0.takePC].site].callee }).sorted().joined(separator: ", ")
            return "\(e.from) -> \(e.to) is only ever taken by \(how), which cannot wait: the cycle cannot close"
        }
        let threads = Set(edges.flatMap { g.edges[$0].threads })
        if threads.count == 1 {
            return "every edge is \(p.threads[threads.first!].name)'s own, and no run makes it wait for a lock it holds itself"
        }
        return "no reachable state has tasks stuck on these locks (complete search, \(Format.count(states)) states): the may-held analysis over-approximates, and the orders never meet in one run"
    }
}
