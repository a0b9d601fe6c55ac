import Foundation

/// Paths of the source checkout that both test targets read.
public enum TestPaths {
    /// The package root, found from this file's path
    /// (`…/Sources/SpendTestSupport/TestPaths.swift` → three levels up).
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The bundled rate cards (`ratecards/`).
    public static var rateCards: URL { packageRoot.appendingPathComponent("ratecards") }
}
