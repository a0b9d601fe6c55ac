import Foundation
import SpendBase

/// Rules for one tag: allowed values and/or a regular expression.
public struct TagRule: Sendable, Hashable {
    public var allowed: [String]?
    public var pattern: String?
}

/// Extra rules for events whose `tags.env` has a given value.
public struct EnvironmentRule: Sendable, Hashable {
    public var requiredTags: [String] = []
    /// Globs over resolved (rate-card) model names.
    public var denyModels: [String] = []
    /// `missing_tags` for this env (nil: the `[policy]` setting).
    public var missingTags: MissingTags?
}

/// What a missing or empty required tag is (`missing_tags` in spend.toml).
public enum MissingTags: String, Sendable, Hashable {
    /// The event is refused (`tag-required`): the default.
    case error
    /// The event is accepted and reported as unattributed; lint warns (`tag-missing`).
    case warn
}

/// Code paths of a feature or team, for pinning spend changes on commits.
public struct PathMapping: Sendable, Hashable {
    public var name: String
    public var paths: [String]
}

/// The tagging policy and settings of a cost repository (`spend.toml`).
public struct Policy: Sendable {
    public var requiredTags: [String] = []
    /// `[policy] missing_tags`: refuse (default) or accept events without a required tag.
    public var missingTags = MissingTags.error
    public var tags: [String: TagRule] = [:]
    public var environments: [String: EnvironmentRule] = [:]
    /// Per request; above it is a warning.
    public var maxInputTokens: Int64?
    public var features: [PathMapping] = []
    public var teams: [PathMapping] = []
    /// The `[import.SOURCE]` tables (source name → its table), read and
    /// checked by the importer of that source (`spend import`).
    package var imports: [String: TOMLTable] = [:]
    /// Where the policy was read from and its lines, to locate a problem an
    /// importer finds in its `[import.SOURCE]` table.
    package var path = "spend.toml"
    package var lines: [String] = []

    public init() {}

    /// The policy when a repository has no `spend.toml`: no rules.
    public static let empty = Policy()

    /// Tags an event with `tags.env == env` must carry.
    public func requiredTags(env: String?) -> [String] {
        guard let env, let rule = environments[env] else { return requiredTags }
        return requiredTags + rule.requiredTags.filter { !requiredTags.contains($0) }
    }

    /// What a missing required tag is for an event with `tags.env == env`:
    /// the env's own `missing_tags` when it sets one, else `[policy]`'s.
    public func missingTags(env: String?) -> MissingTags {
        env.flatMap { environments[$0]?.missingTags } ?? missingTags
    }

    /// Parses `spend.toml`. Unknown keys, wrong types and invalid patterns are errors.
    public static func parse(_ text: String, path: String = "spend.toml") throws(DiagnosticsError) -> Policy {
        let table = try TOMLDocument.parse(text, path: path)
        var parser = PolicyParser(path: path, lines: text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
        var policy = parser.policy(table)
        if !parser.diagnostics.isEmpty { throw DiagnosticsError(parser.diagnostics) }
        policy.path = path
        policy.lines = parser.lines
        return policy
    }
}

private struct PolicyParser {
    let path: String
    let lines: [String]
    var diagnostics: [Diagnostic] = []

    /// The line of a `[section]` header or a `key =` inside it, for messages.
    func line(_ section: String, key: String? = nil) -> Int? {
        var inSection = section.isEmpty
        for (i, raw) in lines.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") {
                let name = line.trimmingCharacters(in: CharacterSet(charactersIn: "[] ")).split(separator: "#").first.map {
                    $0.trimmingCharacters(in: CharacterSet(charactersIn: "[] "))
                } ?? ""
                inSection = name == section
                if inSection && key == nil { return i + 1 }
                continue
            }
            if inSection, let key, line.hasPrefix(key + " ") || line.hasPrefix(key + "=") || line.hasPrefix("\"\(key)\"") {
                return i + 1
            }
        }
        return nil
    }

    mutating func error(_ section: String, _ key: String?, _ message: String) {
        let l = line(section, key: key) ?? line(section)
        diagnostics.append(
            Diagnostic(path: path, line: l, rule: .policy, message: message, sourceLine: l.map { lines[$0 - 1] }))
    }

    mutating func unknownKeys(_ t: TOMLTable, allowed: Set<String>, section: String) {
        for key in t.keys.sorted() where !allowed.contains(key) {
            let known = allowed.sorted().joined(separator: ", ")
            let hint = Suggestions.didYouMean(key, in: allowed).map { "; \($0)" } ?? ""
            error(section, key, "unknown key \"\(key)\" in \(section.isEmpty ? "spend.toml" : "[\(section)]") (expected: \(known))\(hint)")
        }
    }

    mutating func strings(_ value: TOMLValue?, _ section: String, _ key: String) -> [String]? {
        guard let value else { return nil }
        guard let array = value.array else {
            error(section, key, "\(key) in [\(section)] must be an array of strings")
            return nil
        }
        var out: [String] = []
        for element in array {
            guard let s = element.string else {
                error(section, key, "\(key) in [\(section)] must be an array of strings")
                return nil
            }
            out.append(s)
        }
        return out
    }

    /// `missing_tags = "error" | "warn"`.
    mutating func missingTags(_ value: TOMLValue?, _ section: String) -> MissingTags? {
        guard let value else { return nil }
        guard let text = value.string, let mode = MissingTags(rawValue: text) else {
            error(section, "missing_tags", "missing_tags in [\(section)] must be \"error\" or \"warn\"")
            return nil
        }
        return mode
    }

    mutating func table(_ value: TOMLValue?, _ section: String) -> TOMLTable? {
        guard let value else { return nil }
        guard let t = value.table else {
            error(section, nil, "[\(section)] must be a table")
            return nil
        }
        return t
    }

    mutating func policy(_ root: TOMLTable) -> Policy {
        var policy = Policy()
        unknownKeys(root, allowed: ["policy", "features", "teams", "import"], section: "")
        if let p = table(root["policy"], "policy") {
            unknownKeys(p, allowed: ["required_tags", "missing_tags", "tags", "env", "limits"], section: "policy")
            policy.requiredTags = strings(p["required_tags"], "policy", "required_tags") ?? []
            policy.missingTags = missingTags(p["missing_tags"], "policy") ?? .error
            if let tags = table(p["tags"], "policy.tags") {
                for name in tags.keys.sorted() {
                    let section = "policy.tags.\(name)"
                    guard let t = table(tags[name], section) else { continue }
                    unknownKeys(t, allowed: ["allowed", "pattern"], section: section)
                    var rule = TagRule()
                    rule.allowed = strings(t["allowed"], section, "allowed")
                    if let value = t["pattern"] {
                        if let pattern = value.string {
                            if (try? NSRegularExpression(pattern: pattern)) == nil {
                                error(section, "pattern", "pattern of tag \"\(name)\" is not a valid regular expression: \(pattern)")
                            }
                            rule.pattern = pattern
                        } else {
                            error(section, "pattern", "pattern in [\(section)] must be a string")
                        }
                    }
                    policy.tags[name] = rule
                }
            }
            if let envs = table(p["env"], "policy.env") {
                for name in envs.keys.sorted() {
                    let section = "policy.env.\(name)"
                    guard let t = table(envs[name], section) else { continue }
                    unknownKeys(t, allowed: ["required_tags", "deny_models", "missing_tags"], section: section)
                    policy.environments[name] = EnvironmentRule(
                        requiredTags: strings(t["required_tags"], section, "required_tags") ?? [],
                        denyModels: strings(t["deny_models"], section, "deny_models") ?? [],
                        missingTags: missingTags(t["missing_tags"], section))
                }
            }
            if let limits = table(p["limits"], "policy.limits") {
                unknownKeys(limits, allowed: ["max_input_tokens"], section: "policy.limits")
                if let value = limits["max_input_tokens"] {
                    if let n = value.int, n > 0 {
                        policy.maxInputTokens = Int64(n)
                    } else {
                        error("policy.limits", "max_input_tokens", "max_input_tokens must be a positive integer")
                    }
                }
            }
        }
        policy.features = mappings(root["features"], kind: "features")
        policy.teams = mappings(root["teams"], kind: "teams")
        if let imports = table(root["import"], "import") {
            for name in imports.keys.sorted() {
                if let t = table(imports[name], "import.\(name)") { policy.imports[name] = t }
            }
        }
        return policy
    }

    mutating func mappings(_ value: TOMLValue?, kind: String) -> [PathMapping] {
        guard let t = table(value, kind) else { return [] }
        var out: [PathMapping] = []
        for name in t.keys.sorted() {
            let section = "\(kind).\(name)"
            guard let m = table(t[name], section) else { continue }
            unknownKeys(m, allowed: ["paths"], section: section)
            let paths = strings(m["paths"], section, "paths") ?? []
            for path in paths {
                if let problem = Self.pathProblem(path) { pathError(section, path, problem) }
            }
            out.append(PathMapping(name: name, paths: paths))
        }
        return out
    }

    /// Why a `paths` glob can never name a file of the repository, or nil:
    /// globs are matched against repository-relative paths, which are never
    /// empty or absolute and never have a `..` component.
    static func pathProblem(_ path: String) -> String? {
        if path.isEmpty { return "is empty" }
        if path.hasPrefix("/") { return "is absolute" }
        if path.split(separator: "/", omittingEmptySubsequences: false).contains("..") { return "leaves the repository (\"..\")" }
        return nil
    }

    /// A `policy` error at the quoted `path` in the `paths` array of `section` (line and column when found).
    mutating func pathError(_ section: String, _ path: String, _ problem: String) {
        let message = "path \"\(path)\" in [\(section)] \(problem): paths are globs relative to the repository root, e.g. \"src/summarize/**\""
        var located: (line: Int, column: Int)?
        if let first = line(section, key: "paths") {
            for n in first...lines.count {
                let text = lines[n - 1]
                if n > first && text.trimmingCharacters(in: .whitespaces).hasPrefix("[") { break }
                if let r = text.range(of: "\"\(path)\"") ?? text.range(of: "'\(path)'") {
                    located = (n, text.utf8.distance(from: text.startIndex, to: r.lowerBound) + 1)
                    break
                }
            }
        }
        guard let located else { return error(section, "paths", message) }
        diagnostics.append(
            Diagnostic(
                path: self.path, line: located.line, column: located.column, rule: .policy, message: message,
                sourceLine: lines[located.line - 1]))
    }
}
