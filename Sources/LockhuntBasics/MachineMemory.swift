import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How much memory this process may have: the machine's physical memory, or less when a control
/// group limits it (a container, a CI job, a systemd slice).
///
/// A search without `--max-memory` stops at three quarters of it and says "incomplete": left
/// unbounded, an unreduced search fills the machine and the kernel's OOM killer ends it with
/// nothing printed (loop-chain upstream N = 8 unreduced did so at 23 GiB).
public struct MachineMemory: Equatable, Sendable {
    /// The bytes available, and what said so.
    public var bytes: Int
    public var source: String

    public init(bytes: Int, source: String) {
        self.bytes = bytes
        self.source = source
    }

    /// The limit of a search that was given none: room is left for what the visited set's
    /// count does not include (a breadth-first level's buffers, the runtime) and for the machine.
    public var defaultSearchLimit: Int { bytes / 4 * 3 }

    /// The default limit of each of `n` searches running at once (the gate's checks).
    public func defaultSearchLimit(sharedBy n: Int) -> Int { defaultSearchLimit / max(1, n) }

    /// What a report says when the default limit stopped a search (one of `n` at once), and how
    /// to choose another.
    public func defaultLimitNote(sharedBy n: Int = 1) -> String {
        let each = n > 1 ? ", shared by \(n) checks at once" : ""
        return "the memory limit was the default, \(Format.bytes(defaultSearchLimit(sharedBy: n))): 3/4 of this machine's " +
            "\(source) (\(Format.bytes(bytes)))\(each); set another with --max-memory SIZE"
    }

    /// This machine's, read from `/proc/self/cgroup`, the control group files under `root` and
    /// the physical memory `physical` (nil: sysconf's).
    public static func current(root: String = "", physical: Int? = nil) -> MachineMemory? {
        var best: MachineMemory? = nil
        func consider(_ bytes: Int, _ source: String) {
            if bytes > 0, bytes < best?.bytes ?? Int.max { best = MachineMemory(bytes: bytes, source: source) }
        }
        if let p = physical ?? physicalBytes() { consider(p, "physical memory") }
        for file in cgroupLimitFiles(root: root) {
            // "max" (cgroup v2) and v1's huge page-rounded Int.max mean no limit.
            guard let text = try? String(contentsOfFile: file, encoding: .utf8),
                  let n = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { continue }
            consider(n, "control group limit")
        }
        return best
    }

    static func physicalBytes() -> Int? {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, size > 0, pages <= Int.max / size else { return nil }
        return pages * size
    }

    /// The files that may hold this process's memory limit: for each hierarchy in
    /// `/proc/self/cgroup`, at the group's path and at the mount's root (inside a container the
    /// group is usually mounted as the root).
    static func cgroupLimitFiles(root: String) -> [String] {
        guard let text = try? String(contentsOfFile: root + "/proc/self/cgroup", encoding: .utf8) else { return [] }
        var files: [String] = []
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let path = parts[2] == "/" ? "" : String(parts[2])
            if parts[0] == "0" && parts[1].isEmpty {
                files += [root + "/sys/fs/cgroup" + path + "/memory.max", root + "/sys/fs/cgroup/memory.max"]
            } else if parts[1].split(separator: ",").contains("memory") {
                files += [root + "/sys/fs/cgroup/memory" + path + "/memory.limit_in_bytes",
                          root + "/sys/fs/cgroup/memory/memory.limit_in_bytes"]
            }
        }
        var seen = Set<String>()
        return files.filter { seen.insert($0).inserted }
    }
}
