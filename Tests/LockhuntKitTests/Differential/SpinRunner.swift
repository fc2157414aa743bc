import Foundation
import LockhuntKit

/// Runs SPIN on an exported model: `spin -a`, `gcc -DSAFETY -DNOREDUCE`, `./pan -c0`. With
/// -c0 pan counts every error and keeps going, so one run gives both the full state count and
/// every kind of error (an assertion violation, an invalid end state).
enum SpinRunner {
    struct Result {
        var states: Int
        var assertionViolations: Int
        var invalidEndStates: Int
        var panOutput: String
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static var available: Bool { ProcessRunner.which("spin") != nil && ProcessRunner.which("gcc") != nil }

    static let missing = "spin or gcc is not installed; run .ci/deps (apt-get install -y spin gcc) to run the differential tests"

    /// `depth`: an upper bound on pan's search depth (lockhunt's state count is one: a path
    /// never visits a state twice).
    static func run(promela: String, depth: Int) throws -> Result {
        guard let spin = ProcessRunner.which("spin"), let gcc = ProcessRunner.which("gcc") else { throw Failure(description: missing) }
        let dir = NSTemporaryDirectory() + "lockhunt-spin-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try promela.write(toFile: dir + "/model.pml", atomically: true, encoding: .utf8)

        let a = ProcessRunner.run(spin, ["-a", "model.pml"], cwd: dir, timeout: 120)
        guard a.status == 0, !a.stdout.contains("Error"), FileManager.default.fileExists(atPath: dir + "/pan.c") else {
            throw Failure(description: "spin -a failed:\n\(a.stdout)\(a.stderr)")
        }
        var vectorSize = 1024
        var maxDepth = max(10_000, depth + 10)
        for _ in 0..<4 {
            let flags = ["-O0", "-w", "-o", "pan", "pan.c", "-DVECTORSZ=\(vectorSize)"] + PromelaExport.panCompileFlags
            let cc = ProcessRunner.run(gcc, flags, cwd: dir, timeout: 300)
            guard cc.status == 0 else { throw Failure(description: "gcc pan.c failed:\n\(cc.stderr.prefix(4000))") }
            var hashBits = 16
            while (1 << hashBits) < depth * 2 && hashBits < 26 { hashBits += 1 }
            let pan = ProcessRunner.run(dir + "/pan", ["-c0", "-n", "-m\(maxDepth)", "-w\(hashBits)"], cwd: dir, timeout: 600)
            let out = pan.stdout + pan.stderr
            if let range = out.range(of: #"-DVECTORSZ=N with N>[0-9]+"#, options: .regularExpression) {
                let n = Int(out[range].split(separator: ">").last ?? "") ?? vectorSize * 2
                vectorSize = (n / 1024 + 1) * 1024
                continue
            }
            if out.contains("max search depth too small") {
                maxDepth *= 4
                continue
            }
            guard pan.status == 0, !pan.timedOut, let states = count(out, #"([0-9]+) states, stored"#) else {
                throw Failure(description: "pan failed (status \(pan.status)):\n\(out.prefix(4000))")
            }
            if out.contains("Search not completed") { throw Failure(description: "pan did not complete its search:\n\(out.prefix(4000))") }
            return Result(states: states, assertionViolations: occurrences(out, #"pan:[0-9]+: assertion violated"#),
                          invalidEndStates: occurrences(out, #"pan:[0-9]+: invalid end state"#), panOutput: out)
        }
        throw Failure(description: "pan could not be configured for this model")
    }

    static func count(_ text: String, _ pattern: String) -> Int? {
        guard let r = text.range(of: pattern, options: .regularExpression) else { return nil }
        return Int(text[r].split(separator: " ").first ?? "")
    }

    static func occurrences(_ text: String, _ pattern: String) -> Int {
        guard let re = try? NSRegularExpression(pattern: pattern) else { return 0 }
        return re.numberOfMatches(in: text, range: NSRange(text.startIndex..., in: text))
    }
}
