import Foundation
import Testing
import KernelSource

/// Validation on a real kernel tree, skipped unless `LOCKHUNT_KERNEL_TREE` names one (a
/// directory holding at least mm/migrate.c; missing files are reported, not fatal). With
/// `LOCKHUNT_KERNEL_TREE_AFTER` naming a second tree, the lock operations reachable from
/// migrate_pages are compared. Kernel code is never part of the repository: extract the files
/// from a kernel checkout into a scratch directory.
@Suite("A real kernel tree (LOCKHUNT_KERNEL_TREE)")
struct KernelTreeTests {
    static let environment = ProcessInfo.processInfo.environment
    static let tree = environment["LOCKHUNT_KERNEL_TREE"]
    static let after = environment["LOCKHUNT_KERNEL_TREE_AFTER"]
    static let paths = [
        "mm/migrate.c", "fs/buffer.c", "mm/filemap.c", "mm/huge_memory.c", "mm/util.c", "mm/rmap.c", "mm/swap.c",
        "mm/page-writeback.c", "mm/truncate.c", "include/linux/pagemap.h", "include/linux/buffer_head.h",
        "include/linux/mm.h", "include/linux/page-flags.h", "include/linux/migrate.h", "include/linux/huge_mm.h",
        "include/linux/fs.h",
    ]

    @Test("every definition spans from its header to a closing brace; the migration functions are there",
          .enabled(if: tree != nil))
    func definitions() throws {
        let root = try #require(Self.tree)
        let set = KernelSourceSet(root: root, paths: Self.paths)
        print("[kernel] \(root): problems \(set.problems.map(\.description))")
        for file in set.files {
            let source = (try? String(contentsOfFile: root + "/" + file.path, encoding: .utf8))
                ?? String(decoding: FileManager.default.contents(atPath: root + "/" + file.path) ?? Data(), as: UTF8.self)
            let lines = source.components(separatedBy: "\n")
            var bad: [String] = []
            for f in file.functions {
                let last = f.lastLine - 1 < lines.count ? lines[f.lastLine - 1] : ""
                let nameLine = f.nameLine - 1 < lines.count ? lines[f.nameLine - 1] : ""
                if !f.bodyComplete || !last.contains("}") || !(nameLine.contains(f.name) || f.name.hasPrefix("sys_") || f.name.hasPrefix("compat_sys_")) {
                    bad.append("\(f.name) \(f.firstLine)-\(f.lastLine)")
                }
            }
            print("[kernel] \(file.path): \(file.functions.count) definitions, \(file.lexed.notes.count) notes, suspicious: \(bad)")
            #expect(bad.isEmpty, "\(file.path)")
        }
        let migrate = try #require(set.file("mm/migrate.c"))
        let names = Set(migrate.functions.map(\.name))
        for name in ["migrate_pages", "migrate_pages_batch", "migrate_folio_unmap", "migrate_folio_move", "try_split_folio",
                     "__buffer_migrate_folio", "buffer_migrate_lock_buffers"] {
            #expect(names.contains(name), "\(name)")
            for f in migrate.functions where f.name == name { print("[kernel] \(name) mm/migrate.c:\(f.firstLine)-\(f.lastLine)") }
        }
        let reach = Reachability.lockOperations(from: "migrate_pages", in: set)
        print("[kernel] from migrate_pages: \(reach.operations.count) lock operations (\(reach.operations.filter { !$0.operation.spec.secondary }.count) primary), \(reach.indirectCalls.count) indirect calls, \(reach.functionsVisited.count) functions, truncated \(reach.truncated)")
        for op in reach.operations where !op.operation.spec.secondary {
            print("[kernel]   \(op)\(op.inLoopAnywhere ? " [loop]" : "") \(op.conditions.map(\.description))")
        }
        #expect(reach.startFound && !reach.operations.isEmpty)
    }

    @Test("lock operations reachable from migrate_pages, before and after", .enabled(if: tree != nil && after != nil))
    func diff() throws {
        let before = KernelSourceSet(root: try #require(Self.tree), paths: Self.paths)
        let after = KernelSourceSet(root: try #require(Self.after), paths: Self.paths)
        var options = ReachabilityOptions()
        options.includeSecondary = false
        let diff = LockDiff.compare(function: "migrate_pages", before: before, after: after, options: options)
        print("[kernel] diff of migrate_pages by path, \(diff.before.operations.count) → \(diff.after.operations.count) primary operations:")
        for line in diff.lines { print("[kernel]   \(line)") }
        #expect(!diff.after.operations.isEmpty)
        let bySite = LockDiff.compare(
            function: "migrate_pages", before: before, after: after, options: options, matching: .site, ignoringGuards: true)
        print("[kernel] diff of migrate_pages by site, guards left out:")
        for line in bySite.lines { print("[kernel]   \(line)") }
    }
}
