import Foundation
import LockhuntKit

/// Runs an external program with a time limit, for the tests (the library's `Subprocess`).
enum ProcessRunner {
    typealias Result = Subprocess.Result

    static func run(_ executable: String, _ args: [String], cwd: String, timeout: Double) -> Result {
        Subprocess.run(executable, args, cwd: cwd, timeout: timeout)
    }

    /// The path of a program on PATH, or nil.
    static func which(_ name: String) -> String? { Subprocess.which(name) }
}
