import ArgumentParser
import SpendCore

/// `spend demo`: Build a scripted demo repository and run report and diff on it.
public struct DemoCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "demo", abstract: "Build a scripted demo repository and run report and diff on it. (in progress)")

    public init() {}

    public func run() throws {
        throw SpendError.usage("spend demo is not implemented yet")
    }
}
