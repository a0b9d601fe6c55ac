import ArgumentParser
import SpendCore
import SpendRender

/// `spend reprice`: recompute every event's cost with the price in effect at
/// its `ts` and compare with the stored cost; never writes the ledger.
public struct RepriceCommand: ParsableCommand {
    public static var configuration: CommandConfiguration { Console.named(baseConfiguration) }
    static let baseConfiguration = CommandConfiguration(
        commandName: "reprice",
        abstract: "Recompute historical costs with the price in effect; compare with the stored costs.",
        discussion: """
            Prices every event of the working-tree ledger with the price in effect at its ts — with the rate \
            cards of the working tree (or --cards-at REV), or with --as-recorded the cards as they were \
            committed at the event's time (or the exact card blob its priced_with names) — and compares the \
            result with the event's stored cost; events without one are compared with the other basis. \
            The ledger is never written.

            Examples:
              spend reprice
              spend reprice --as-recorded --by month,provider
              spend reprice --cards-at v1.2.0 --list
              spend reprice --check          # exit 1 when any event drifts (CI)
            """,
        version: SpendVersion.string)

    @OptionGroup public var repository: RepositoryOptions

    @Option(help: ArgumentHelp("Price with the rate cards as of this git revision (default: the working tree).", valueName: "rev"))
    public var cardsAt: String?

    @Flag(help: "Price each event with the cards as committed at its ts (or the card blob its priced_with names).")
    public var asRecorded = false

    @Option(help: ArgumentHelp("Group by day, week or month and event fields and tags (comma list).", valueName: "names"))
    public var by: String = "month,model"

    @OptionGroup public var range: DateRangeOptions

    @Option(name: .customLong("where"), help: ArgumentHelp("Keep events where KEY=VALUE (or KEY!=VALUE); repeatable.", valueName: "key=value"))
    public var filters: [String] = []

    @Flag(help: "List the events whose stored cost is not reproduced, with file:line.")
    public var list = false

    @Flag(help: "Exit 1 when any event drifts (for CI).")
    public var check = false

    @Option(
        help: ArgumentHelp(
            "list: recompute list costs and compare with stored costs; effective: recompute costs after the [[discount]]s of both bases and compare them.",
            valueName: "basis"))
    public var cost: CostBasisArgument = .list

    @OptionGroup public var output: OutputOptions

    public init() {}

    public func validate() throws {
        if asRecorded && cardsAt != nil {
            throw ValidationError("--as-recorded and --cards-at choose different rate cards; give one")
        }
    }

    public func run() throws {
        var query = try RepriceQuery(
            parsing: by, since: range.sinceMillis, until: range.untilMillis,
            filters: filters, basis: asRecorded ? .asRecorded : .cards(cardsAt.map { .revision($0) } ?? .workingTree), list: list)
        query.cost = cost.basis
        let costRepository = try repository.repository()
        let result = try Repricer(repository: costRepository, query: query).run()
        var renderer = RepriceRenderer(precision: output.precision)
        renderer.csvWriter = output.csvWriter
        Console.show(renderer.render(result, as: output.format.format, list: list), as: output.format)
        // A --by tag or --where that matched nothing: "did you mean" (the period column left out).
        let groups = result.rows.filter { $0.events > 0 }.map { row in
            query.periodColumn.map { p in row.keys.enumerated().filter { $0.offset != p }.map(\.element) } ?? row.keys
        }
        try QueryWarnings.show(query.query, groups: groups, matched: result.total.events, in: try costRepository.snapshot(.workingTree))
        if check && result.hasDrift { throw ExitCode(1) }
    }
}

import Foundation
