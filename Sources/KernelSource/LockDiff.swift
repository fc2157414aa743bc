/// A lock operation found both before and after a patch, at the same place in the call graph,
/// whose surroundings changed.
public struct ChangedLockOperation: Sendable, CustomStringConvertible {
    public let before: ReachedLockOperation
    public let after: ReachedLockOperation
    /// What changed, in words: `conditions: (none) → else of if (mode == MIGRATE_ASYNC)`.
    public let differences: [String]

    public var description: String {
        "\(after.key) (\(before.file):\(before.line) → \(after.file):\(after.line)): " + differences.joined(separator: "; ")
    }
}

/// The lock operations reachable from one function before and after a patch, compared.
public struct FunctionLockDiff: Sendable {
    public let function: String
    public let before: ReachabilityResult
    public let after: ReachabilityResult
    /// Reached after, with no counterpart before.
    public let added: [ReachedLockOperation]
    /// Reached before, with no counterpart after.
    public let removed: [ReachedLockOperation]
    /// Reached in both, with different conditions, loops or object.
    public let changed: [ChangedLockOperation]

    /// Whether the patch changed nothing the comparison sees.
    public var isEmpty: Bool { added.isEmpty && removed.isEmpty && changed.isEmpty }

    /// One line per difference: `+ …`, `- …`, `~ …`.
    public var lines: [String] {
        removed.map { "- \($0)" } + added.map { "+ \($0)" } + changed.map { "~ \($0)" }
    }
}

/// How operations of the two trees are paired.
public enum LockDiffMatching: Sendable, Hashable {
    /// By the function path from the start and the callee: a refactoring that changes the
    /// path (a new helper in between) shows as removed and added.
    case path
    /// By the function holding the operation and the callee, whatever the path: each call site
    /// counts once (the first path the walk found is kept for reports). Loops are then those at
    /// the operation itself.
    case site
}

/// Compares the lock operations a function reaches in two trees (before and after a patch).
///
/// Operations are matched by their key, never by line, so that code moving within a file is no
/// change: with `.path` matching (the default), the function path from the start and the callee
/// (`migrate_pages -> migrate_pages_batch -> try_split_folio -> folio_lock`); with `.site`, the
/// function holding the operation and the callee. When a key occurs several times (several
/// `folio_lock`s in one function), identical surroundings are paired first, the rest in source
/// order. Paired operations whose conditions (at the operation), loop nesting or object differ
/// are `changed`; `ignoringGuards` leaves out the conditions that come from early exits
/// (`if (!dst) return -ENOMEM;`), which change with unrelated code above an operation.
public enum LockDiff {
    public static func compare(
        function: String, before: KernelSourceSet, after: KernelSourceSet, options: ReachabilityOptions = ReachabilityOptions(),
        matching: LockDiffMatching = .path, ignoringGuards: Bool = false
    ) -> FunctionLockDiff {
        let b = Reachability.lockOperations(from: function, in: before, options: options)
        let a = Reachability.lockOperations(from: function, in: after, options: options)
        return compare(function: function, before: b, after: a, matching: matching, ignoringGuards: ignoringGuards)
    }

    /// Compares two walks' results.
    public static func compare(
        function: String, before: ReachabilityResult, after: ReachabilityResult, matching: LockDiffMatching = .path,
        ignoringGuards: Bool = false
    ) -> FunctionLockDiff {
        func key(_ op: ReachedLockOperation) -> String {
            matching == .path ? op.key : "\(op.function) : \(op.operation.call.callee)"
        }
        func operations(_ result: ReachabilityResult) -> [ReachedLockOperation] {
            guard matching == .site else { return result.operations }
            var seen: Set<String> = []
            return result.operations.filter { seen.insert("\($0.file):\($0.line):\($0.operation.call.callee)").inserted }
        }
        func differences(_ a: ReachedLockOperation, _ b: ReachedLockOperation) -> [String] {
            LockDiff.differences(a, b, loopsAlongPath: matching == .path, ignoringGuards: ignoringGuards)
        }
        var beforeByKey: [String: [ReachedLockOperation]] = [:]
        var keys: [String] = []
        for op in operations(before) {
            let k = key(op)
            if beforeByKey[k] == nil { keys.append(k) }
            beforeByKey[k, default: []].append(op)
        }
        var afterByKey: [String: [ReachedLockOperation]] = [:]
        for op in operations(after) {
            let k = key(op)
            if afterByKey[k] == nil, beforeByKey[k] == nil { keys.append(k) }
            afterByKey[k, default: []].append(op)
        }
        var added: [ReachedLockOperation] = []
        var removed: [ReachedLockOperation] = []
        var changed: [ChangedLockOperation] = []
        for k in keys {
            var olds = (beforeByKey[k] ?? []).sorted { ($0.file, $0.line) < ($1.file, $1.line) }
            var news = (afterByKey[k] ?? []).sorted { ($0.file, $0.line) < ($1.file, $1.line) }
            // Identical surroundings first.
            var i = 0
            while i < olds.count {
                if let m = news.firstIndex(where: { differences(olds[i], $0).isEmpty }) {
                    news.remove(at: m)
                    olds.remove(at: i)
                } else {
                    i += 1
                }
            }
            // Then in source order.
            let paired = min(olds.count, news.count)
            for j in 0..<paired {
                changed.append(ChangedLockOperation(before: olds[j], after: news[j], differences: differences(olds[j], news[j])))
            }
            removed += olds.dropFirst(paired)
            added += news.dropFirst(paired)
        }
        return FunctionLockDiff(function: function, before: before, after: after, added: added, removed: removed, changed: changed)
    }

    static func differences(
        _ a: ReachedLockOperation, _ b: ReachedLockOperation, loopsAlongPath: Bool, ignoringGuards: Bool
    ) -> [String] {
        var result: [String] = []
        func shown(_ op: ReachedLockOperation) -> [String] {
            op.conditions.filter { !ignoringGuards || $0.kind != .guardFalse }.map(\.description)
        }
        let ca = shown(a), cb = shown(b)
        if ca != cb {
            result.append("conditions: \(list(ca)) → \(list(cb))")
        }
        let la = loopsAlongPath ? a.inLoopAnywhere : a.operation.call.inLoop
        let lb = loopsAlongPath ? b.inLoopAnywhere : b.operation.call.inLoop
        if la != lb {
            result.append(lb ? "now in a loop" : "no longer in a loop")
        }
        if a.operation.object != b.operation.object {
            result.append("object: \(a.operation.object ?? "(none)") → \(b.operation.object ?? "(none)")")
        }
        return result
    }

    private static func list(_ items: [String]) -> String { items.isEmpty ? "(none)" : items.joined(separator: ", ") }
}
