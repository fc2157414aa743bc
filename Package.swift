// swift-tools-version:6.0
// lockhunt: a deadlock-hunting model checker for the Linux kernel's page-migration lock ordering.
// No package dependencies, by requirement of the project's users: Foundation and the toolchain only.
import PackageDescription

/// The library is a pipeline of targets, each depending only on those before it, so that the
/// compiler forbids an upward import (docs/DESIGN.md, "The layers"):
///
///   Basics -> Language -> Program -> Exploration -> Findings -> Traces | LockOrder | Export
///          -> Driver -> Bench -> Reports -> lockhunt (the command line)
///
/// Names used across targets are `package`: visible in this package, not to users.
let package = Package(
    name: "lockhunt",
    products: [
        .executable(name: "lockhunt", targets: ["lockhunt"]),
        // What users import: every layer, re-exported.
        .library(name: "LockhuntKit", targets: ["LockhuntKit"]),
    ],
    targets: [
        // Small shared pieces: files, terminal, digests, subprocesses, number formats, verdicts.
        .target(name: "LockhuntBasics"),
        // Model text -> syntax tree: lexer, parser, loader (includes, policies), diagnostics.
        .target(name: "LockhuntLanguage", dependencies: ["LockhuntBasics"]),
        // Syntax tree -> compiled threads: the kernel primitives, names, types, inlining, bit
        // layout, analyses, encoding.
        .target(name: "LockhuntProgram", dependencies: ["LockhuntBasics", "LockhuntLanguage"]),
        // The machine that runs steps on packed states, the visited sets, the searches, the
        // reductions, deadlocks.
        .target(name: "LockhuntExploration", dependencies: ["LockhuntBasics", "LockhuntProgram", "CPrefetch"]),
        // One inline function: a cache prefetch hint for the visited set (Swift has none).
        .target(name: "CPrefetch"),
        // Raw findings -> steps, a lockdep-style explanation, shortened traces, timelines.
        .target(name: "LockhuntFindings", dependencies: ["LockhuntBasics", "LockhuntLanguage", "LockhuntProgram", "LockhuntExploration"]),
        // Side by side on the findings: trace files and replay; the static lock order and wait
        // graph; the Promela export.
        .target(name: "LockhuntTraces", dependencies: ["LockhuntBasics", "LockhuntLanguage", "LockhuntProgram", "LockhuntExploration", "LockhuntFindings"]),
        .target(name: "LockhuntLockOrder", dependencies: ["LockhuntBasics", "LockhuntLanguage", "LockhuntProgram", "LockhuntExploration", "LockhuntFindings"]),
        .target(name: "LockhuntExport", dependencies: ["LockhuntBasics", "LockhuntLanguage", "LockhuntProgram", "LockhuntExploration"]),
        // check, gate, matrix, scale and export as library calls.
        .target(name: "LockhuntDriver", dependencies: ["LockhuntBasics", "LockhuntLanguage", "LockhuntProgram", "LockhuntExploration",
                                                        "LockhuntFindings", "LockhuntTraces", "LockhuntLockOrder", "LockhuntExport"]),
        // make bench: lockhunt and SPIN side by side.
        .target(name: "LockhuntBench", dependencies: ["LockhuntBasics", "LockhuntLanguage", "LockhuntProgram", "LockhuntExport", "LockhuntDriver"]),
        // Text, JSON, JUnit, SVG, DOT, the step walker, explain and bench reports.
        .target(name: "LockhuntReports", dependencies: ["LockhuntBasics", "LockhuntLanguage", "LockhuntProgram", "LockhuntExploration",
                                                         "LockhuntFindings", "LockhuntTraces", "LockhuntLockOrder", "LockhuntDriver", "LockhuntBench"]),
        // Every layer under one name, for users of the library.
        .target(name: "LockhuntKit", dependencies: ["LockhuntBasics", "LockhuntLanguage", "LockhuntProgram", "LockhuntExploration",
                                                     "LockhuntFindings", "LockhuntTraces", "LockhuntLockOrder", "LockhuntExport",
                                                     "LockhuntDriver", "LockhuntBench", "LockhuntReports"]),
        // The command line stays thin: argument parsing and one file per subcommand.
        .executableTarget(name: "lockhunt", dependencies: ["LockhuntKit"]),
        // Checks that only the tests use: every step's footprint, symmetry, the wait graph
        // against the explorer.
        .target(name: "LockhuntTestSupport", dependencies: ["LockhuntBasics", "LockhuntProgram", "LockhuntExploration", "LockhuntLockOrder"]),
        .testTarget(
            name: "LockhuntKitTests",
            // The executable is a dependency so that end-to-end tests always run a fresh binary.
            dependencies: ["LockhuntKit", "LockhuntTestSupport", "lockhunt"],
            // Golden outputs are read and re-recorded in place (GoldenTests), not bundled.
            exclude: ["Golden"],
            resources: [.copy("Fixtures")]
        ),
        // A tolerant reader of kernel C (issue 17): functions, calls, lock operations, reachability.
        // Self-contained: Foundation only, nothing from LockhuntKit.
        .target(name: "KernelSource"),
        .testTarget(
            name: "KernelSourceTests",
            dependencies: ["KernelSource"],
            // Kernel-style C written for the tests, read from the source tree by path.
            exclude: ["Fixtures"]
        ),
    ]
)
