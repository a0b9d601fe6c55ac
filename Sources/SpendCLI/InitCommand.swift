import ArgumentParser
import SpendCore

/// `spend init`: turn a git repository into a cost repository.
public struct InitCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Turn a git repository (or a new one) into a cost repository.")

    @OptionGroup public var repository: RepositoryOptions

    public init() {}

    public func run() throws {
        throw SpendError.usage("spend init is not implemented yet")
    }
}
