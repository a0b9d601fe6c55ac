import Foundation

/// What `spend lint` checks: the working tree, the index, one revision, or a range of commits.
public enum LintMode: Sendable, Hashable {
    /// What the working tree adds to HEAD (the default): new ledger lines get
    /// every check, history only the checks that look at the whole ledger.
    /// Without git or a first commit, everything is new.
    case workingTree
    /// Every file and every event of the working tree (`--all`), judged
    /// against today's policy and cards; compared to HEAD when there is one.
    case all
    /// What the next commit will hold (`--staged`), compared to HEAD.
    case staged
    /// One revision, compared to its first parent (`--rev`).
    case revision(String)
    /// Every commit of `A..B`, each compared to its first parent (`--commits`).
    case commits(String)
}

/// The findings about one snapshot (one commit in `--commits`).
public struct LintSection: Sendable {
    /// The commit checked (revision modes).
    public var commit: ObjectID?
    /// Its summary line.
    public var title: String?
    /// Findings in file and line order.
    public var diagnostics: [Diagnostic]
    /// Errors and warnings found, including any not kept in `diagnostics`.
    public var errors: Int
    public var warnings: Int
    /// Findings found but not kept (over the limit).
    public var omitted: Int
    /// What was read, for the summary.
    public var stats: LintStats
    /// Remarks about what could not be checked.
    public var notes: [String]
}

/// What a lint run read.
public struct LintStats: Sendable {
    /// Events fully checked (policy, prices, ids, shard).
    public var eventsChecked = 0
    /// Shards read (fully or in part).
    public var shardsChecked = 0
    public var shards = 0
    public var cards = 0
    public var policy = false
    /// "against HEAD", "against abc1234", "" (no base).
    public var base = ""
    /// The rate cards differ from the base's.
    public var cardsChanged = false
    /// `spend.toml` differs from the base's (and parses).
    public var policyChanged = false
    /// When the policy changed: events of the base that it rejects. They are
    /// not re-judged (no finding); `LintMode.all` reports them.
    public var policyPredating = 0

    public init() {}
}

/// The result of `spend lint`.
public struct LintResult: Sendable {
    public var mode: LintMode
    public var sections: [LintSection]

    public var errors: Int { sections.reduce(0) { $0 + $1.errors } }
    public var warnings: Int { sections.reduce(0) { $0 + $1.warnings } }

    /// 0 clean (or only warnings without `strict`), 1 findings.
    public func exitCode(strict: Bool) -> Int32 {
        errors > 0 || (strict && warnings > 0) ? 1 : 0
    }
}

