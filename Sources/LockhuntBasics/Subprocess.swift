import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs an external program with a time limit and measures it: wall time and peak resident
/// memory (from `wait4`, which Foundation's `Process` does not give). Output goes to files
/// rather than pipes, so a child that writes a lot never stalls on a full pipe. The working
/// directory is set by a `/bin/sh` that then `exec`s the program, so the measured process is the
/// program itself.
public enum Subprocess {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        public var timedOut: Bool
        /// Killed by a signal (a crash, or the time limit), rather than exiting.
        public var signaled: Bool
        public var seconds: Double
        /// Peak resident set size, in bytes.
        public var peakBytes: Int

        public init(status: Int32, stdout: String, stderr: String, timedOut: Bool, signaled: Bool, seconds: Double, peakBytes: Int) {
            self.status = status
            self.stdout = stdout
            self.stderr = stderr
            self.timedOut = timedOut
            self.signaled = signaled
            self.seconds = seconds
            self.peakBytes = peakBytes
        }
    }

    public static func run(_ executable: String, _ args: [String], cwd: String? = nil, timeout: Double? = nil) -> Result {
        let dir = NSTemporaryDirectory() + "lockhunt-sub-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let outPath = dir + "/out", errPath = dir + "/err"

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var words = [executable] + args
        var path = executable
        if let cwd {
            words = ["/bin/sh", "-c", "cd \"$1\" || exit 127; shift; exec \"$@\"", "sh", cwd] + words
            path = "/bin/sh"
        }
        var argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let start = Date()
        let spawned = posix_spawn(&pid, path, &actions, nil, &argv, environ)
        guard spawned == 0 else {
            return Result(status: -1, stdout: "", stderr: "cannot run \(executable): \(String(cString: strerror(spawned)))",
                          timedOut: false, signaled: false, seconds: 0, peakBytes: 0)
        }
        var status: Int32 = 0
        var usage = rusage()
        var timedOut = false
        while true {
            let w = wait4(pid, &status, WNOHANG, &usage)
            if w == pid { break }
            if w < 0 && errno != EINTR { break }
            if let timeout, !timedOut, Date().timeIntervalSince(start) > timeout {
                timedOut = true
                kill(pid, SIGKILL)
            }
            usleep(1000)
        }
        let seconds = Date().timeIntervalSince(start)
        let out = String(decoding: FileManager.default.contents(atPath: outPath) ?? Data(), as: UTF8.self)
        let err = String(decoding: FileManager.default.contents(atPath: errPath) ?? Data(), as: UTF8.self)
        // The wait status, decoded as <sys/wait.h>'s macros do (they are not visible to Swift).
        let signal = status & 0x7f
        let exited = signal == 0
        return Result(status: exited ? (status >> 8) & 0xff : -1, stdout: out, stderr: err, timedOut: timedOut,
                      signaled: !exited, seconds: seconds, peakBytes: Int(usage.ru_maxrss) * 1024)
    }

    /// The path of a program on PATH, or nil.
    public static func which(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }
}
