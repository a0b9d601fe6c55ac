import ArgumentParser
import SpendCore

/// `spend append`: validate, price, stamp and append events to the ledger.
public struct AppendCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "append",
        abstract: "Append cost events to the ledger: validated, priced, stamped, written atomically.")

    @OptionGroup public var repository: RepositoryOptions

    public init() {}

    public func run() throws {
        throw SpendError.usage("spend append is not implemented yet")
    }
}
