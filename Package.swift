// swift-tools-version:6.0
import PackageDescription

/// spend: a git-native ledger for LLM API spend.
///
/// - `SpendCore`: every piece of logic (money, formats, pricing, git, reports).
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
        .target(
            name: "SpendCore",
            dependencies: ["CLibGit2"]
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
        .testTarget(name: "SpendCoreTests", dependencies: ["SpendCore", "SpendTestSupport"]),
        // End-to-end against temporary git repositories: most tests run the
        // commands in process (SpendCLI); the rest start the built executables.
        .testTarget(
            name: "SpendCLITests",
            dependencies: ["SpendCore", "SpendCLI", "SpendTestSupport", "spend", "spend-report", "spend-lint", "spend-append", "spend-diff", "spend-reprice", "spend-audit"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
