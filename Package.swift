// swift-tools-version:6.0
import PackageDescription

/// spend: a git-native ledger for LLM API spend.
///
/// The library is five targets in layers; each may import only the ones
/// before it, so a back-edge does not compile (README, "Layout"):
/// - `SpendBase`: money, the event model, diagnostics, errors, the C library
///   (`Platform.swift`), file mapping. Imports nothing of spend.
/// - `SpendFormats`: the ledger scanner, TOML, string interning, the
///   working-tree file list, the `spend.toml` policy.
/// - `SpendPricing`: rate cards, the price book, the event pricer, the
///   bundled cards.
/// - `SpendGit`: libgit2 access (repository, index, history, writes, hooks).
/// - `SpendCore`: the engines (append, lint, report, diff, reprice, audit,
///   init, cache) over cost-repository snapshots; the `SpendCore` product,
///   which re-exports the layers below it.
/// - `SpendCLI`: the command types, shared by the umbrella `spend` and each `spend-VERB`.
/// - executables: thin `main.swift` files that call into `SpendCLI`.

/// The scanner's hot loop runs in one thread per chunk with no shared
/// mutable state; dynamic exclusivity checks cost ~7% of a report.
let hotLoopSettings: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "spend",
    products: [
        .executable(name: "spend", targets: ["spend"]),
        .executable(name: "spend-report", targets: ["spend-report"]),
        .executable(name: "spend-bench", targets: ["spend-bench"]),
        .executable(name: "spend-lint", targets: ["spend-lint"]),
        .executable(name: "spend-append", targets: ["spend-append"]),
        .executable(name: "spend-diff", targets: ["spend-diff"]),
        .executable(name: "spend-reprice", targets: ["spend-reprice"]),
        .executable(name: "spend-audit", targets: ["spend-audit"]),
        .library(name: "SpendCore", targets: ["SpendCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibGit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"])]
        ),
        .target(name: "SpendBase", swiftSettings: hotLoopSettings),
        .target(name: "SpendFormats", dependencies: ["SpendBase"], swiftSettings: hotLoopSettings),
        .target(name: "SpendPricing", dependencies: ["SpendBase", "SpendFormats"], swiftSettings: hotLoopSettings),
        .target(name: "SpendGit", dependencies: ["SpendBase", "SpendFormats", "CLibGit2"], swiftSettings: hotLoopSettings),
        .target(
            name: "SpendCore",
            dependencies: ["SpendBase", "SpendFormats", "SpendPricing", "SpendGit"],
            swiftSettings: hotLoopSettings
        ),
        .target(
            name: "SpendCLI",
            dependencies: [
                "SpendCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "spend", dependencies: ["SpendCLI"]),
        .executableTarget(name: "spend-report", dependencies: ["SpendCLI"]),
        .executableTarget(name: "spend-bench", dependencies: ["SpendCLI", "SpendCore"]),
        .executableTarget(name: "spend-lint", dependencies: ["SpendCLI"]),
        .executableTarget(name: "spend-append", dependencies: ["SpendCLI"]),
        .executableTarget(name: "spend-diff", dependencies: ["SpendCLI"]),
        .executableTarget(name: "spend-reprice", dependencies: ["SpendCLI"]),
        .executableTarget(name: "spend-audit", dependencies: ["SpendCLI"]),
        .testTarget(
            name: "SpendCoreTests", dependencies: ["SpendBase", "SpendFormats", "SpendPricing", "SpendGit", "SpendCore", "CLibGit2"]
        ),
        // End-to-end: runs the built executables against temporary git repositories.
        .testTarget(
            name: "SpendCLITests",
            dependencies: ["SpendCore", "spend", "spend-report", "spend-lint", "spend-append", "spend-diff", "spend-reprice", "spend-audit"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
