import ArgumentParser
import SpendCore

/// `spend audit`: Every rate-card change in history, with its impact.
public struct AuditCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "audit", abstract: "Every rate-card change in history, with its impact. (in progress)")

    public init() {}

    public func run() throws {
        throw SpendError.usage("spend audit is not implemented yet")
    }
}
