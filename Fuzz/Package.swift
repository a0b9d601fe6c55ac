// swift-tools-version:6.0
import PackageDescription

/// libFuzzer harnesses for spend's input parsers (see docs/fuzzing.md).
///
/// A separate package so the root package never carries sanitizer flags:
/// `scripts/fuzz` builds it with `-sanitize=fuzzer,address`. Each
/// `fuzz-TARGET` executable defines `LLVMFuzzerTestOneInput` and calls one
/// function of `FuzzHarness`, the same function the root package's
/// `FuzzRegressionTests` replays saved inputs through.
let targets = ["ledger", "ratecard", "policy", "openai-response", "anthropic-response", "glob", "revision"]

let package = Package(
    name: "spend-fuzz",
    dependencies: [.package(name: "spend", path: "..")],
    targets: [
        .target(name: "CFuzzerDriver"),
        .target(
            name: "FuzzHarness",
            dependencies: [.product(name: "SpendCore", package: "spend")]
        )
    ]
        + targets.map { name in
            .executableTarget(name: "fuzz-\(name)", dependencies: ["FuzzHarness", "CFuzzerDriver"], path: "Targets/\(name)")
        },
    swiftLanguageModes: [.v6]
)
