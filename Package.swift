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
/// - `spend-bench` (built, not a product) and `SpendTestSupport`: the benchmark and test helpers.
let package = Package(
    name: "spend",
    products: [
        .executable(name: "spend", targets: ["spend"]),
        .executable(name: "spend-report", targets: ["spend-report"]),
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
        .target(name: "SpendBase"),
        .target(name: "SpendFormats", dependencies: ["SpendBase"]),
        .target(name: "SpendPricing", dependencies: ["SpendBase", "SpendFormats"]),
        .target(name: "SpendGit", dependencies: ["SpendBase", "SpendFormats", "CLibGit2"]),
        .target(
            name: "SpendCore",
            dependencies: ["SpendBase", "SpendFormats", "SpendPricing", "SpendGit"]
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
        .executableTarget(name: "spend-lint", dependencies: ["SpendCLI"]),
        .executableTarget(name: "spend-append", dependencies: ["SpendCLI"]),
        .executableTarget(name: "spend-diff", dependencies: ["SpendCLI"]),
        .executableTarget(name: "spend-reprice", dependencies: ["SpendCLI"]),
        .executableTarget(name: "spend-audit", dependencies: ["SpendCLI"]),
        // Not products: the benchmark and what tests share (model: swift-argument-parser's
        // ArgumentParserTestHelpers). The shipped executables never link SpendTestSupport.
        .target(name: "SpendTestSupport", dependencies: ["SpendCore"]),
        .executableTarget(name: "spend-bench", dependencies: ["SpendCLI", "SpendCore", "SpendTestSupport"]),
        .testTarget(
            name: "SpendCoreTests",
            dependencies: ["SpendBase", "SpendFormats", "SpendPricing", "SpendGit", "SpendCore", "CLibGit2", "SpendTestSupport"]
        ),
        // End-to-end against temporary git repositories: most tests run the
        // commands in process (SpendCLI); the rest start the built executables.
        .testTarget(
            name: "SpendCLITests",
            dependencies: ["SpendCore", "SpendCLI", "SpendTestSupport", "spend", "spend-report", "spend-lint", "spend-append", "spend-diff", "spend-reprice", "spend-audit"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
