public enum Lockhunt {
    public static let version = "0.1.0"
}

/// Exit codes of every command (documented in the README).
public enum ExitCode: Int32, Sendable {
    /// Complete search, nothing found; replay reached its finding.
    case ok = 0
    /// A finding (trace written); replay diverged; gate mismatch.
    case finding = 1
    /// Usage, model or trace error.
    case error = 2
    /// A limit stopped the search: no verdict.
    case incomplete = 3
}
