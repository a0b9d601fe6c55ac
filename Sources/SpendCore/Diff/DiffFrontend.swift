import Foundation

/// What `spend diff` runs: parses the revision arguments and computes (the CLI renders).
public struct DiffFrontend {
    public var repository: CostRepository
    public var summaries: SummaryEngine

    /// With `useCache` false, shard summaries are neither read from nor written to the cache;
    /// `invalidLines`: stop at invalid committed lines (the default) or leave them out.
    public init(repository: CostRepository, useCache: Bool = true, invalidLines: InvalidLinePolicy = .strict) {
        self.repository = repository
        summaries = SummaryEngine.forRepository(repository, useCache: useCache, invalidLines: invalidLines)
    }

    /// How many shard summaries were parsed and how many came from the cache
    /// (the line `SPEND_DIFF_STATS=1` prints).
    public var statistics: String {
        "spend diff: \(summaries.parsedShards) shards parsed, \(summaries.cachedShards) from the cache"
    }

    /// `A B`, `A..B` (`A..` = A..HEAD, `..B` = HEAD..B), or `A` (against the working tree).
    public static func sides(_ args: [String]) throws(SpendError) -> (SnapshotSource, SnapshotSource) {
        switch args.count {
        case 0:
            throw SpendError.usage("spend diff needs revisions: spend diff A B, spend diff A..B, or spend diff A (against the working tree)")
        case 1:
            let arg = args[0]
            if arg.contains("...") { throw SpendError.usage("symmetric ranges (A...B) are not supported; use A..B or A B") }
            if let dots = arg.range(of: "..") {
                let a = String(arg[..<dots.lowerBound])
                let b = String(arg[dots.upperBound...])
                if a.isEmpty && b.isEmpty { throw SpendError.usage("expected a range A..B, got \"..\"") }
                return (.revision(a.isEmpty ? "HEAD" : a), .revision(b.isEmpty ? "HEAD" : b))
            }
            return (.revision(arg), .workingTree)
        case 2:
            if args.contains(where: { $0.contains("..") }) {
                throw SpendError.usage("give either two revisions (A B) or one range (A..B), not \(args.joined(separator: " "))")
            }
            return (.revision(args[0]), .revision(args[1]))
        default:
            throw SpendError.usage("spend diff takes at most two revisions, got \(args.count): \(args.joined(separator: " "))")
        }
    }

    /// The two releases of `--releases R1 R2` (or `R1..R2`).
    public static func releasePair(_ args: [String]) throws(SpendError) -> (String, String) {
        if args.count == 1, let dots = args[0].range(of: ".."), !args[0].contains("...") {
            let a = String(args[0][..<dots.lowerBound])
            let b = String(args[0][dots.upperBound...])
            if !a.isEmpty && !b.isEmpty { return (a, b) }
        }
        guard args.count == 2, !args.contains(where: { $0.contains("..") }) else {
            throw SpendError.request(.releasePairNeeded)
        }
        return (args[0], args[1])
    }

    /// The state diff of `from` against `to` (render it with `DiffRenderer`).
    public func stateDiff(from: SnapshotSource, to: SnapshotSource, query: ReportQuery, top: Int?) throws -> SpendDiff {
        try DiffEngine(repository: repository, summaries: summaries).diff(from: from, to: to, query: query, top: top)
    }
}

extension DiffFrontend {
    /// The release diff of `r1` against `r2` (render it with `ReleaseDiffRenderer`).
    public func releaseDiff(_ r1: String, _ r2: String, query: ReportQuery, threshold: ExactDecimal, top: Int?) throws -> ReleaseDiff {
        try ReleaseDiffEngine(repository: repository, summaries: summaries).diff(r1, r2, query: query, threshold: threshold, top: top)
    }
}
