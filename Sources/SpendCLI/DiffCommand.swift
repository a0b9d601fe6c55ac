import ArgumentParser
import SpendCore

/// `spend diff`: Spend between two revisions, explained.
public struct DiffCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "diff", abstract: "Spend between two revisions, explained. (in progress)")

    public init() {}

    public func run() throws {
        throw SpendError.usage("spend diff is not implemented yet")
    }
}
