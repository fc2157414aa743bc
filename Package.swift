// swift-tools-version:6.0
// lockhunt: a deadlock-hunting model checker for the Linux kernel's page-migration lock ordering.
// No package dependencies, by requirement of the project's users: Foundation and the toolchain only.
import PackageDescription

let package = Package(
    name: "lockhunt",
    products: [
        .executable(name: "lockhunt", targets: ["lockhunt"]),
        .library(name: "LockhuntKit", targets: ["LockhuntKit"]),
    ],
    targets: [
        // The pipeline: Language -> Program -> Exploration -> Findings -> Traces/Reports.
        .target(name: "LockhuntKit", dependencies: ["CPrefetch"]),
        // One inline function: a cache prefetch hint for the visited set (Swift has none).
        .target(name: "CPrefetch"),
        // The command line stays thin: argument parsing and one file per subcommand.
        .executableTarget(name: "lockhunt", dependencies: ["LockhuntKit"]),
        .testTarget(
            name: "LockhuntKitTests",
            // The executable is a dependency so that end-to-end tests always run a fresh binary.
            dependencies: ["LockhuntKit", "lockhunt"],
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
