/// The errors spend's engines throw, by kind. A front end maps each kind to
/// its message and exit code in one place (the CLI: `ErrorMessages` in
/// SpendCLI); `description` words each one in terms of the library API.
public enum SpendError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A request that cannot be carried out, worded for the user (it names no CLI flag).
    case usage(String)
    /// A part of the request that is wrong: structured, so that a front end can
    /// name it in its own terms (the CLI names its flag).
    case request(RequestProblem)
    /// Rejected input: the diagnostics kept, and how many more were found but not kept.
    case input([Diagnostic], omitted: Int = 0)
    /// A failed system call on a file.
    case io(IOError)
    /// A libgit2 failure.
    case git(GitError)

    public var description: String {
        switch self {
        case .usage(let message): return message
        case .request(let problem): return problem.description
        case .input(let diagnostics, let omitted):
            var lines = diagnostics.map(\.description)
            if omitted > 0 { lines.append("\(omitted) more errors not shown") }
            return lines.joined(separator: "\n")
        case .io(let error): return error.description
        case .git(let error): return error.message
        }
    }
}

/// A part of a request that cannot be carried out. The library words it in its
/// own API's terms (`description`); the CLI words it with the flag that set it.
public enum RequestProblem: Sendable, Hashable, CustomStringConvertible {
    /// A grouping list (`ReportQuery.groupingNames(parsing:)`) with no name, or an empty one; `example` is a valid list.
    case emptyGroupingName(example: String)
    /// More grouping names than a query takes (`inDiff`: the smaller limit of a diff).
    case tooManyGroupingNames(max: Int, inDiff: Bool)
    /// Two period names (day, week, month, quarter, year) in one reprice grouping.
    case repeatedPeriod(String, String)
    /// A reprice grouping name that is neither a period, an event field nor a tag.
    case unknownGroupingName(String)
    /// A filter that is not `KEY=VALUE` or `KEY!=VALUE`.
    case badFilter(String)
    /// A default tag that is not `KEY=VALUE` (`DefaultTags`: one of the `pairs`).
    case badTag(String)
    /// An item of a default tag list that is not `KEY=VALUE` (`DefaultTags`: the `list`).
    case badTagList(String)
    /// A release diff given other than two releases.
    case releasePairNeeded
    /// A LiteLLM price file (`ReferencePrices.litellm(path:)`) that cannot be used.
    case referencePrices(path: String, ReferencePricesProblem)
    /// A lint mode that reads git, run where there is no git repository.
    case needsGitRepository(root: String, for: GitLintMode)
    /// A lint of the working tree or the index in a bare repository.
    case bareRepository(root: String)

    /// Why a LiteLLM price file cannot be used.
    public enum ReferencePricesProblem: Sendable, Hashable {
        case unreadable, notJSON, notObject
    }

    /// The lint modes that read git.
    public enum GitLintMode: Sendable, Hashable {
        case staged, revision, commits
    }

    public var description: String {
        switch self {
        case .emptyGroupingName(let example):
            return "a grouping list is a comma list of names, e.g. \(example)"
        case .tooManyGroupingNames(let max, let inDiff):
            return "a query takes at most \(max) grouping names\(inDiff ? " in a diff" : "")"
        case .repeatedPeriod(let first, let second):
            return "a grouping takes at most one of day, week, month, quarter, year (got '\(first)' and '\(second)')"
        case .unknownGroupingName(let name):
            return "unknown grouping name '\(name)': expected day, week, month, quarter, year, an event field (provider, model, priced_model, …) or a tag"
        case .badFilter(let text):
            return "a filter is KEY=VALUE or KEY!=VALUE, got '\(text)'"
        case .badTag(let text):
            return "a tag is KEY=VALUE, got '\(text)'"
        case .badTagList(let item):
            return "a tag list is KEY=VALUE pairs separated by commas, got '\(item)'"
        case .releasePairNeeded:
            return "a release diff needs two release tags: R1 R2 (or R1..R2)"
        case .referencePrices(let path, let problem):
            switch problem {
            case .unreadable: return "\(path): cannot read the file"
            case .notJSON: return "\(path): not valid JSON (expected LiteLLM's model_prices_and_context_window.json)"
            case .notObject: return "\(path): expected a JSON object of model names (LiteLLM's model_prices_and_context_window.json)"
            }
        case .needsGitRepository(let root, let mode):
            let what = switch mode {
            case .staged: "linting the index"
            case .revision: "linting a revision"
            case .commits: "linting a commit range"
            }
            return "\(root) is not inside a git repository (needed for \(what))"
        case .bareRepository(let root):
            return "\(root) is a bare repository: lint a revision or a commit range"
        }
    }
}
