import LockhuntKit

/// A subcommand: its name, a one-line summary, usage, options, and what it does.
protocol Command: SendableMetatype {
    static var name: String { get }
    static var summary: String { get }
    static var usage: String { get }
    static var details: String { get }
    static var options: [OptionSpec] { get }
    static func run(_ args: Arguments) throws -> ExitCode
}

extension Command {
    static var help: String {
        var out = "usage: \(usage)\n\n\(summary)\n"
        if !details.isEmpty { out += "\n\(details)\n" }
        if !options.isEmpty {
            out += "\noptions:\n"
            for o in options {
                let left = "  \(o.name)\(o.value.map { " \($0)" } ?? "")"
                out += Format.pad(left, 28) + " " + o.help + "\n"
            }
        }
        return out
    }
}

/// Output streams, so that commands never print from deep inside the library. Everything goes
/// through `Terminal.printable`: reports quote model and trace text, which may hold escape
/// sequences. Only `status` writes the progress line's own cursor controls.
enum Output {
    static func out(_ text: String) {
        print(Terminal.printable(text), terminator: "")
    }

    static func err(_ text: String) {
        Terminal.writeStderr(Terminal.printable(text))
    }

    /// A progress line on a terminal: `text` is printed over the previous one.
    static func status(_ text: String) {
        Terminal.writeStderr("\r\u{1B}[K" + Terminal.printable(text))
    }
}
