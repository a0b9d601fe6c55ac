import Foundation

/// Settings of a source given on the command line (spend.toml's
/// `[import.SOURCE]` table is the other place a source reads settings from).
public struct ImportOptions: Sendable {
    /// `--map` for `csv`: `field=column,…`.
    public var map: String?

    public init() {}
}

/// The registry of `spend import` sources: one switch from the name on the
/// command line to a source, built from the policy's `[import.SOURCE]`
/// table and the command-line options. A new source is one line here.
public enum ImportSources {
    /// The source names, in the order help lists them.
    public static let names = ["otel", "litellm"]

    /// The source called `name`, configured from `policy` and `options`.
    /// Throws a located `policy` error for a bad `[import.SOURCE]` table.
    public static func make(_ name: String, policy: Policy, options: ImportOptions) throws(SpendError) -> any ImportSource {
        switch name {
        case "otel": return try OtelSource(policy: policy)
        case "litellm": return try LiteLLMSource(policy: policy)
        default:
            throw SpendError.usage("unknown import source \"\(name)\"; the sources are: \(names.joined(separator: ", "))")
        }
    }
}

/// Reads one source's `[import.SOURCE]` table of spend.toml, collecting
/// located `policy` errors (unknown keys, wrong types).
struct ImportTable {
    let policy: Policy
    let source: String
    let table: TOMLTable?
    var problems: [Diagnostic] = []

    init(policy: Policy, source: String) {
        self.policy = policy
        self.source = source
        self.table = policy.imports[source]
    }

    var section: String { "import.\(source)" }

    mutating func error(_ section: String, _ key: String?, _ message: String) {
        problems.append(policy.diagnostic(section: section, key: key, message: message))
    }

    /// Reports keys of the table outside `allowed`.
    mutating func allowKeys(_ allowed: Set<String>) {
        guard let table else { return }
        for key in table.keys where !allowed.contains(key) {
            error(section, key, "unknown key \"\(key)\" in [\(section)] (expected: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    /// The sub-table `[import.SOURCE.KEY]` as name → string (nil when absent).
    mutating func stringMap(_ key: String) -> [String: String]? {
        guard let value = table?[key] else { return nil }
        let section = "\(self.section).\(key)"
        guard let sub = value.table else {
            error(self.section, key, "\(key) in [\(self.section)] must be a table of strings, e.g. [\(section)]")
            return nil
        }
        var out: [String: String] = [:]
        for name in sub.keys {
            guard let text = sub[name]?.string, !text.isEmpty else {
                error(section, name, "\"\(name)\" in [\(section)] must be a non-empty string")
                continue
            }
            out[name] = text
        }
        return out
    }

    /// Throws the problems found, if any.
    func check() throws(SpendError) {
        if !problems.isEmpty { throw SpendError.input(problems) }
    }
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
