import Foundation

/// Settings of a source given on the command line (spend.toml's
/// `[import.SOURCE]` table is the other place a source reads settings from).
public struct ImportOptions: Sendable {
    /// `--map` for `csv`: `field=column,…` items, each flag's in order (they
    /// win over `[import.csv.map]` field by field).
    public var map: [String] = []

    public init() {}
}

/// The registry of `spend import` sources: one switch from the name on the
/// command line to a source, built from the policy's `[import.SOURCE]`
/// table and the command-line options. A new source is one line here.
public enum ImportSources {
    /// The source names, in the order help lists them.
    public static let names = ["openai-usage", "anthropic-usage", "otel", "litellm", "csv"]

    /// The source called `name`, configured from `policy` and `options`;
    /// `now` (ms since the epoch, the invocation's clock) is when a usage
    /// bucket still open ends. Throws a located `policy` error for a bad
    /// `[import.SOURCE]` table, a usage error for a bad `--map`.
    public static func make(_ name: String, policy: Policy, options: ImportOptions, now: Int64) throws(SpendError) -> any ImportSource {
        switch name {
        case "openai-usage":
            return try OpenAIUsageSource.make(settings: ImportSettings(policy: policy, source: OpenAIUsageSource.settingsName), now: now)
        case "anthropic-usage":
            return try AnthropicUsageSource.make(settings: ImportSettings(policy: policy, source: AnthropicUsageSource.settingsName), now: now)
        case "otel": return try OtelSource(policy: policy)
        case "litellm": return try LiteLLMSource(policy: policy)
        case "csv":
            return try CSVImportSource.make(
                settings: ImportSettings(policy: policy, source: CSVImportSource.settingsName), map: options.map)
        default:
            throw SpendError.usage("unknown import source \"\(name)\"; the sources are: \(names.joined(separator: ", "))")
        }
    }
}

/// The `[import.SOURCE]` table of the otel and litellm sources, read by
/// the one settings reader (`ImportSettingsReader`): unknown keys and
/// string maps, located errors.
struct ImportTable {
    private let table: TOMLTable?
    private var reader: ImportSettingsReader

    init(policy: Policy, source: String) {
        let settings = ImportSettings(policy: policy, source: source)
        table = settings.table
        reader = ImportSettingsReader(settings, source: source)
    }

    /// Reports keys of the table outside `allowed`.
    mutating func allowKeys(_ allowed: Set<String>) {
        if let table { reader.unknownKeys(table, allowed: Array(allowed), at: []) }
    }

    /// The sub-table `[import.SOURCE.KEY]` as name → string (nil when absent).
    mutating func stringMap(_ key: String) -> [String: String]? {
        table.flatMap { reader.stringMap($0, key, at: []) }
    }

    /// Throws the problems found, if any.
    func check() throws(SpendError) { try reader.finish() }
}

/// Provider names as sources write them → the rate card that prices them.
enum ImportProviders {
    static let defaults: [String: String] = [
        "openai": "openai", "azure": "azure", "azure.ai.openai": "azure", "azure_ai": "azure", "azure.ai.inference": "azure",
        "anthropic": "anthropic", "gcp.gemini": "google", "gcp.vertex_ai": "google", "gcp.gen_ai": "google",
        "gemini": "google", "vertex_ai": "google", "vertex_ai_beta": "google", "google": "google", "aws.bedrock": "bedrock",
        "bedrock": "bedrock", "bedrock_converse": "bedrock",
    ]

    /// The card for `name`: the configured mapping, then the defaults, else the name itself.
    static func card(_ name: String, configured: [String: String]) -> String {
        configured[name] ?? defaults[name] ?? defaults[name.lowercased()] ?? name
    }
}
