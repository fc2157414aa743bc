/// Limits and choices of a reachability walk.
public struct ReachabilityOptions: Sendable {
    /// The most calls followed from the start to the function holding an operation (the start
    /// itself is depth 0).
    public var maxDepth: Int = 10
    /// Whether secondary operations (spinlocks, rwsems, mutexes) are reported.
    public var includeSecondary: Bool = true
    /// Which callees are lock operations.
    public var catalogue: LockCatalogue = .kernel
    /// The walk stops (and says so) after this many function bodies were entered.
    public var maxExpansions: Int = 200_000
    /// The walk stops (and says so) after this many operations were found.
    public var maxResults: Int = 50_000

    public init() {}
}

/// One call edge of a path: from `function`, the calls to the next function of the path.
public struct PathStep: Sendable, Hashable, CustomStringConvertible {
    public let function: String
    public let file: String
    /// Every call in `function` to the next function (more than one when it calls it at several
    /// places), in source order.
    public let calls: [CallSite]

    /// Whether one of the calls is inside a loop.
    public var inLoop: Bool { calls.contains { $0.inLoop } }
    /// The calls' lines.
    public var lines: [Int] { calls.map(\.line) }
    /// `migrate_pages_batch @ mm/migrate.c:1671,1706`.
    public var description: String { "\(function) @ \(file):" + lines.map(String.init).joined(separator: ",") }
}

/// A lock operation reached from a starting function.
public struct ReachedLockOperation: Sendable, CustomStringConvertible {
    public let operation: LockOperation
    /// The function whose body holds the operation.
    public let function: String
    public let file: String
    /// The call edges from the start to `function`; empty when the operation is in the start.
    public let path: [PathStep]

    public var line: Int { operation.call.line }
    /// The conditions at the operation itself, nearest first.
    public var conditions: [Condition] { operation.call.conditions }
    /// Whether the operation, or one of the calls leading to it, is inside a loop.
    public var inLoopAnywhere: Bool { operation.call.inLoop || path.contains { $0.inLoop } }
    /// The functions from the start to `function`.
    public var functionPath: [String] { path.map(\.function) + [function] }
    /// `migrate_pages -> migrate_pages_batch -> migrate_folio_unmap -> folio_lock @ mm/migrate.c:1252`.
    public var description: String {
        (functionPath + [operation.call.callee]).joined(separator: " -> ") + " @ \(file):\(line)"
    }
    /// What a diff compares operations by: the function path and the callee, not lines.
    public var key: String { (functionPath + [operation.call.callee]).joined(separator: " -> ") }
}

/// A call through a function pointer met on the way: not followed, shown so that a report can
/// say what was not seen.
public struct ReachedIndirectCall: Sendable, CustomStringConvertible {
    public let call: CallSite
    public let function: String
    public let file: String
    public let path: [PathStep]

    public var description: String {
        let target = (call.receiver.map { $0 + "->" } ?? "*") + call.callee
        return (path.map(\.function) + [function, target]).joined(separator: " -> ") + " @ \(file):\(call.line)"
    }
}

/// What a walk found.
public struct ReachabilityResult: Sendable {
    public let start: String
    /// False when no function of that name is defined in the set (the result is then empty).
    public let startFound: Bool
    /// Each operation once per distinct path of functions, in the walk's order (depth first,
    /// calls in source order).
    public let operations: [ReachedLockOperation]
    /// Calls through function pointers met on the way, not followed.
    public let indirectCalls: [ReachedIndirectCall]
    /// Functions entered, including the start.
    public let functionsVisited: Set<String>
    /// Callees defined in the set that were not entered because `maxDepth` was reached.
    public let cutByDepth: Set<String>
    /// True when `maxExpansions` or `maxResults` stopped the walk: results are partial.
    public let truncated: Bool
}

/// Walks from a function through direct calls into functions defined in a source set, and
/// collects the lock operations reached.
///
/// The walk is depth-limited and cycle-safe: a function already on the current path is not
/// entered again (recursion is visited once), and calls to functions not defined in the set
/// (macros, other files) are leaves. Callees in the catalogue are operations and are not entered.
public enum Reachability {
    /// The lock operations reachable from `start` (every definition of it when there are
    /// several, or only the one in `startFile`).
    public static func lockOperations(
        from start: String, in set: KernelSourceSet, startFile: String? = nil, options: ReachabilityOptions = ReachabilityOptions()
    ) -> ReachabilityResult {
        var walker = Walker(set: set, options: options)
        let starts = set.bodies(named: start).filter { startFile == nil || $0.function.file == startFile }
        for body in starts {
            walker.visit(body, path: [], onPath: [start], depth: 0)
        }
        return ReachabilityResult(
            start: start, startFound: !starts.isEmpty, operations: walker.operations, indirectCalls: walker.indirect,
            functionsVisited: walker.visited, cutByDepth: walker.cutByDepth, truncated: walker.truncated)
    }
}

private struct Walker {
    let set: KernelSourceSet
    let options: ReachabilityOptions
    var operations: [ReachedLockOperation] = []
    var indirect: [ReachedIndirectCall] = []
    var visited: Set<String> = []
    var cutByDepth: Set<String> = []
    var truncated = false
    var expansions = 0

    init(set: KernelSourceSet, options: ReachabilityOptions) {
        self.set = set
        self.options = options
    }

    mutating func visit(_ body: FunctionBody, path: [PathStep], onPath: Set<String>, depth: Int) {
        guard !truncated else { return }
        expansions += 1
        if expansions > options.maxExpansions {
            truncated = true
            return
        }
        let function = body.function
        visited.insert(function.name)
        var callsTo: [String: [CallSite]] = [:]
        for call in body.calls where !call.isIndirect { callsTo[call.callee, default: []].append(call) }
        var entered: Set<String> = []
        for call in body.calls {
            if call.isIndirect {
                indirect.append(ReachedIndirectCall(call: call, function: function.name, file: function.file, path: path))
                continue
            }
            if let op = options.catalogue.operation(for: call) {
                guard options.includeSecondary || !op.spec.secondary else { continue }
                if operations.count >= options.maxResults {
                    truncated = true
                    return
                }
                operations.append(ReachedLockOperation(operation: op, function: function.name, file: function.file, path: path))
                continue
            }
            let callee = call.callee
            guard !entered.contains(callee), !onPath.contains(callee) else { continue }
            entered.insert(callee)
            let targets = set.callTargets(of: callee, from: function.file)
            guard !targets.isEmpty else { continue }
            guard depth < options.maxDepth else {
                cutByDepth.insert(callee)
                continue
            }
            let step = PathStep(function: function.name, file: function.file, calls: callsTo[callee] ?? [call])
            for target in targets {
                visit(target, path: path + [step], onPath: onPath.union([callee]), depth: depth + 1)
                if truncated { return }
            }
        }
    }
}
