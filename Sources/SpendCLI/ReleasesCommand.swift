import ArgumentParser
import SpendCore

/// `spend releases`: Spend per release tag.
public struct ReleasesCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "releases", abstract: "Spend per release tag. (in progress)")

    public init() {}

    public func run() throws {
        throw SpendError.usage("spend releases is not implemented yet")
    }
}
