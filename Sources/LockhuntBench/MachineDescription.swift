import Foundation
import LockhuntBasics
import LockhuntLanguage
import LockhuntProgram
import LockhuntExport
import LockhuntDriver

/// One line about the machine a benchmark ran on: processor, cores, memory, tool versions.
public enum MachineDescription {
    public static func current() -> String {
        let cpu = field("/proc/cpuinfo", "model name") ?? "unknown processor"
        let memory = field("/proc/meminfo", "MemTotal").flatMap { Int($0.split(separator: " ").first ?? "") }
            .map { String(format: "%.0f GiB", Double($0) / 1_048_576) } ?? "? GiB"
        var spin = "SPIN not installed"
        if let path = Subprocess.which("spin") {
            let v = Subprocess.run(path, ["-V"], timeout: 10).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            if !v.isEmpty { spin = v }
        }
        return "\(cpu), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(memory); lockhunt \(Lockhunt.version); \(spin)"
    }

    static func field(_ path: String, _ name: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            return line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }
}
