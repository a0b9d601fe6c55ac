/// The files `spend init` writes besides the rate cards.
public enum DefaultFiles {
    /// The `.gitattributes` line that makes git merge ledger shards with the
    /// built-in union driver: two branches that each appended lines to the
    /// same shard merge without a conflict, keeping the lines of both.
    public static let mergeAttribute = "ledger/**/*.jsonl merge=union"

    /// A new `.gitattributes` (and what is appended to an existing one).
    public static let gitattributes = """
        # spend: ledger shards only ever grow at the end, so a merge keeps the lines of both sides
        \(mergeAttribute)

        """

    /// A new `spend.toml`: the default tagging policy, with commented examples
    /// of every other rule. Uncommenting an example (`# [` or `# key =`
    /// lines) keeps it valid.
    public static let policy = """
        # spend.toml: the tagging policy of this cost repository.
        #
        # `spend append` refuses events that break these rules, and `spend lint`
        # (the pre-commit hook, CI) reports them. Unknown keys are errors, so a typo
        # cannot silently switch a rule off. A tightened rule applies to events
        # appended from then on; committed history is not re-judged.

        [policy]
        # Every event must carry these tags, non-empty: who owns the spend (team),
        # what it pays for (feature) and where it ran (env).
        required_tags = ["team", "feature", "env"]

        [policy.tags.env]
        allowed = ["prod", "staging", "dev"]

        [policy.tags.team]
        # Lower-case slugs such as "growth" or "search-infra".
        pattern = "^[a-z][a-z0-9-]*$"

        # Rules for another tag: a list of allowed values and/or a regular expression.
        # [policy.tags.customer]
        # pattern = "^cus_[A-Za-z0-9]+$"

        # Extra rules for events whose tags.env has a given value.
        # [policy.env.prod]
        # required_tags = ["customer"]                  # chargeback needs the customer in prod
        #
        # [policy.env.staging]
        # deny_models = ["gpt-4o", "claude-opus-*"]     # globs over resolved (rate-card) model names

        # [policy.limits]
        # max_input_tokens = 500000                     # per request; above it is a warning

        # Code paths of a feature or a team, for pinning a cost change on the
        # commits that touched them.
        # [features.summaries]
        # paths = ["src/summarize/**"]
        #
        # [teams.search]
        # paths = ["services/search/**"]

        """
}
