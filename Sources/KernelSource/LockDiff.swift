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

/// Compares the lock operations a function reaches in two trees (before and after a patch).
///
/// Operations are matched by their key, the function path from the start and the callee
/// (`migrate_pages -> migrate_pages_batch -> try_split_folio -> folio_lock`), never by line, so
/// that code moving within a file is no change. When a key occurs several times (several
/// `folio_lock`s in one function), identical surroundings are paired first, the rest in source
/// order. Paired operations whose conditions (at the operation), loop nesting (anywhere on the
/// path) or object differ are `changed`.
public enum LockDiff {
    public static func compare(
        function: String, before: KernelSourceSet, after: KernelSourceSet, options: ReachabilityOptions = ReachabilityOptions()
    ) -> FunctionLockDiff {
        let b = Reachability.lockOperations(from: function, in: before, options: options)
        let a = Reachability.lockOperations(from: function, in: after, options: options)
        return compare(function: function, before: b, after: a)
    }

    /// Compares two walks' results.
    public static func compare(function: String, before: ReachabilityResult, after: ReachabilityResult) -> FunctionLockDiff {
        var beforeByKey: [String: [ReachedLockOperation]] = [:]
        var keys: [String] = []
        for op in before.operations {
            if beforeByKey[op.key] == nil { keys.append(op.key) }
            beforeByKey[op.key, default: []].append(op)
        }
        var afterByKey: [String: [ReachedLockOperation]] = [:]
        for op in after.operations {
            if afterByKey[op.key] == nil, beforeByKey[op.key] == nil { keys.append(op.key) }
            afterByKey[op.key, default: []].append(op)
        }
        var added: [ReachedLockOperation] = []
        var removed: [ReachedLockOperation] = []
        var changed: [ChangedLockOperation] = []
        for key in keys {
            var olds = (beforeByKey[key] ?? []).sorted { ($0.file, $0.line) < ($1.file, $1.line) }
            var news = (afterByKey[key] ?? []).sorted { ($0.file, $0.line) < ($1.file, $1.line) }
            // Identical surroundings first.
            var k = 0
            while k < olds.count {
                if let m = news.firstIndex(where: { differences(olds[k], $0).isEmpty }) {
                    news.remove(at: m)
                    olds.remove(at: k)
                } else {
                    k += 1
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

    static func differences(_ a: ReachedLockOperation, _ b: ReachedLockOperation) -> [String] {
        var result: [String] = []
        let ca = a.conditions.map(\.description), cb = b.conditions.map(\.description)
        if ca != cb {
            result.append("conditions: \(list(ca)) → \(list(cb))")
        }
        if a.inLoopAnywhere != b.inLoopAnywhere {
            result.append(b.inLoopAnywhere ? "now in a loop" : "no longer in a loop")
        }
        if a.operation.object != b.operation.object {
            result.append("object: \(a.operation.object ?? "(none)") → \(b.operation.object ?? "(none)")")
        }
        return result
    }

    private static func list(_ items: [String]) -> String { items.isEmpty ? "(none)" : items.joined(separator: ", ") }
}
