import LockhuntBasics

/// A problem found in a model or trace, as a value. Printed in one place (`DiagnosticPrinter`).
public struct Diagnostic: Sendable, Equatable {
    public enum Severity: String, Sendable { case error, warning, note }

    public var severity: Severity
    public var location: SourceLocation
    /// Lower case, no final period, like compiler messages.
    public var message: String
    /// Attached notes ("previous definition is here").
    public var notes: [Diagnostic]

    public init(_ severity: Severity, _ location: SourceLocation, _ message: String, notes: [Diagnostic] = []) {
        self.severity = severity
        self.location = location
        self.message = message
        self.notes = notes
    }

    public static func error(_ location: SourceLocation, _ message: String, notes: [Diagnostic] = []) -> Diagnostic {
        Diagnostic(.error, location, message, notes: notes)
    }

    public static func note(_ location: SourceLocation, _ message: String) -> Diagnostic {
        Diagnostic(.note, location, message)
    }
}

/// Collects diagnostics across the stages of loading a model; stages keep going after an error
/// where they can, so one run reports several problems.
public final class DiagnosticEngine {
    public private(set) var diagnostics: [Diagnostic] = []
    /// After this many errors the remaining ones are dropped (a garbage file would print thousands).
    public let limit: Int

    public init(limit: Int = 50) { self.limit = limit }

    public var errorCount: Int { diagnostics.filter { $0.severity == .error }.count }
    public var hasErrors: Bool { errorCount > 0 }
    public var isFull: Bool { errorCount >= limit }

    public func emit(_ d: Diagnostic) {
        if d.severity == .error && isFull { return }
        // The same message at the same place once is enough (recovery can revisit a spot).
        if diagnostics.contains(where: { $0.location == d.location && $0.message == d.message }) { return }
        diagnostics.append(d)
    }

    public func error(_ location: SourceLocation, _ message: String, notes: [Diagnostic] = []) {
        emit(.error(location, message, notes: notes))
    }
}

/// Formats diagnostics as `file:line:col: error: message`, the source line, and a caret.
public struct DiagnosticPrinter {
    public let sources: SourceManager
    public let color: Bool

    public init(sources: SourceManager, color: Bool = false) {
        self.sources = sources
        self.color = color
    }

    public func format(_ diagnostics: [Diagnostic]) -> String {
        var out = ""
        for d in diagnostics { out += format(d) }
        return out
    }

    public func format(_ d: Diagnostic) -> String {
        var out = ""
        let label: String
        switch d.severity {
        case .error: label = color ? "\u{1B}[1;31merror:\u{1B}[0m" : "error:"
        case .warning: label = color ? "\u{1B}[1;35mwarning:\u{1B}[0m" : "warning:"
        case .note: label = color ? "\u{1B}[1;36mnote:\u{1B}[0m" : "note:"
        }
        if let file = sources.file(d.location) {
            out += "\(file.path):\(d.location.line):\(d.location.column): \(label) \(d.message)\n"
            let text = file.lineText(Int(d.location.line))
            out += text + "\n"
            // The caret lines up under the column; tabs are kept so that it lines up in a terminal.
            var pad = ""
            for (i, ch) in text.utf8.enumerated() where i < Int(d.location.column) - 1 {
                pad += ch == 0x09 ? "\t" : " "
            }
            out += pad + (color ? "\u{1B}[1;32m^\u{1B}[0m" : "^") + "\n"
        } else {
            out += "lockhunt: \(label) \(d.message)\n"
        }
        for n in d.notes { out += format(n) }
        return out
    }
}
