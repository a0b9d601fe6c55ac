import ArgumentParser
import SpendCore

/// `spend reprice`: Recompute historical costs with the price in effect.
public struct RepriceCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "reprice", abstract: "Recompute historical costs with the price in effect. (in progress)")

    public init() {}

    public func run() throws {
        throw SpendError.usage("spend reprice is not implemented yet")
    }
}
