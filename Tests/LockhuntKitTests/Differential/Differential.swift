import Foundation
import LockhuntKit

/// Compares lockhunt with SPIN on one compiled program: lockhunt explores everything (every
/// finding), SPIN explores the exported Promela model with pan -c0, and the two must agree on
/// the number of reachable states and on the verdicts.
///
/// Verdicts, precisely: a violation (lockhunt) is an assertion violation (pan), both ways. A
/// state where no thread can move while one has not finished is an invalid end state (pan)
/// and a deadlock (lockhunt), so pan's invalid end state implies lockhunt's deadlock. The
/// converse holds when no step faults: lockhunt reports a deadlock among some threads while
/// others still run, and those others, which always terminate, end in a state where nothing
/// moves. A thread that can only fault keeps pan from ever seeing that state (its faulting
/// step is a self-loop), so with violations around only the first direction is checked.
///
/// The state counts need lockhunt's full state space, as pan explores it without
/// partial-order reduction (-DNOREDUCE): lockhunt's reductions are switched off for the count,
/// and the reduced search must then find the same kinds of finding. Folding is compared as
/// the export has it: with `folding`, lockhunt `--reduce fold` against the default export;
/// without, `--reduce none` against `export --reduce none`, every local instruction a step.
enum Differential {
    struct Report {
        var lockhuntStates: Int
        var lockhuntDeadlock: Bool
        var lockhuntViolation: Bool
        /// Whether some violation is an integer overflow or a bad shift count.
        var lockhuntOverflow: Bool
        var spin: SpinRunner.Result
        /// Empty when both agree.
        var mismatches: [String]
    }

    /// `mutate` changes the exported Promela first (to check that a broken export is caught).
    /// Thrown when lockhunt's search exceeds `maxStates`: too large to hand to SPIN.
    struct TooLarge: Error {}

    static func compare(_ program: Program, folding: Bool = true, maxStates: Int = 2_000_000,
                        mutate: (String) -> String = { $0 }) throws -> Report {
        var options = SearchOptions()
        options.allFindings = true
        options.maxStates = maxStates
        options.reductions = folding ? .folding : .none
        options.jobs = 1
        let search = Explorer(program: program, options: options).run()
        if search.limit == .maxStates { throw TooLarge() }
        guard search.limit == nil else { throw SpinRunner.Failure(description: "lockhunt did not finish (\(search.limit!.rawValue))") }
        let deadlock = search.findings.contains { if case .deadlock = $0.kind { return true } else { return false } }
        let violation = search.findings.contains { if case .violation = $0.kind { return true } else { return false } }
        let overflow = search.findings.contains {
            if case .violation(let f) = $0.kind { return f.kind == .arithmeticOverflow || f.kind == .shiftCountOutOfRange }
            return false
        }
        let spin = try SpinRunner.run(promela: mutate(PromelaExport(program: program, folding: folding).render()), depth: search.stats.states)

        var mismatches: [String] = []
        // A fault in the threads' first local code leaves lockhunt with no state at all.
        if search.stats.states > 0 && spin.states != search.stats.states {
            mismatches.append("states: lockhunt \(search.stats.states), SPIN \(spin.states)")
        }
        if violation != (spin.assertionViolations > 0) {
            mismatches.append("violation: lockhunt \(violation ? "finds one" : "finds none"), SPIN \(spin.assertionViolations) assertion violation(s)")
        }
        if spin.invalidEndStates > 0 && !deadlock {
            mismatches.append("deadlock: SPIN finds \(spin.invalidEndStates) invalid end state(s), lockhunt no deadlock")
        }
        if deadlock && !violation && spin.invalidEndStates == 0 {
            mismatches.append("deadlock: lockhunt finds one, SPIN no invalid end state")
        }
        // The other reductions on top, at the same granularity (FoldProjection.swift says how
        // folding itself relates to no folding; ReductionTests checks it).
        var reducedOptions = options
        reducedOptions.reductions = folding ? .all : Reductions.all.ofTheSearch
        let reduced = Explorer(program: program, options: reducedOptions).run()
        let reducedDeadlock = reduced.findings.contains { if case .deadlock = $0.kind { return true } else { return false } }
        let reducedViolation = reduced.findings.contains { if case .violation = $0.kind { return true } else { return false } }
        if reducedDeadlock != deadlock || reducedViolation != violation {
            mismatches.append("reductions: lockhunt with --reduce \(reducedOptions.reductions.name) finds deadlock \(reducedDeadlock), violation \(reducedViolation); with \(options.reductions.name), \(deadlock), \(violation)")
        }
        return Report(lockhuntStates: search.stats.states, lockhuntDeadlock: deadlock, lockhuntViolation: violation,
                      lockhuntOverflow: overflow, spin: spin, mismatches: mismatches)
    }

    /// Runs `body` for indices 0..<count on both cores; the results in index order.
    static func parallel<T: Sendable>(_ count: Int, _ body: @Sendable (Int) -> T) -> [T] {
        let results = Results<T>(count)
        DispatchQueue.concurrentPerform(iterations: count) { i in results.set(i, body(i)) }
        return results.all
    }

    final class Results<T: Sendable>: @unchecked Sendable {
        private var items: [T?]
        private let lock = NSLock()
        init(_ n: Int) { items = Array(repeating: nil, count: n) }
        func set(_ i: Int, _ v: T) { lock.lock(); items[i] = v; lock.unlock() }
        var all: [T] { items.map { $0! } }
    }

    /// An environment variable as a number, for the longer local runs.
    static func setting(_ name: String, default value: Int) -> Int {
        ProcessInfo.processInfo.environment[name].flatMap { Int($0) } ?? value
    }
}
