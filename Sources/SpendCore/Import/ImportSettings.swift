/// The `[import.SOURCE]` table of `spend.toml` as an importer reads it: the
/// table (`Policy.imports[SOURCE]`) and, when the caller has it, the file's
/// text, so that a mistake in the table is a `policy` error at its line.
package struct ImportSettings: Sendable {
    /// The source's table, or nil when `spend.toml` has none.
    package var table: TOMLTable?
    /// The file the table came from, for messages.
    package var path: String
    /// The file's text (to locate keys), or nil: errors then name no line.
    package var text: String?

    package init(table: TOMLTable?, path: String = "spend.toml", text: String? = nil) {
        self.table = table
        self.path = path
        self.text = text
    }

    /// The `[import.SOURCE]` table of `policy` (`source` is `openai`,
    /// `anthropic`, `csv`, `otel`, `litellm`); `path` and `text` (the policy
    /// file's, for lines in messages) default to the ones the policy was read from.
    package init(policy: Policy, source: String, path: String? = nil, text: String? = nil) {
        self.init(
            table: policy.imports[source], path: path ?? policy.path,
            text: text ?? (policy.lines.isEmpty ? nil : policy.lines.joined(separator: "\n")))
    }
}

/// Reads one `[import.SOURCE]` table, collecting every problem as a located
/// `policy` diagnostic (like `Policy.parse` does for the rest of the file).
struct ImportSettingsReader {
    let settings: ImportSettings
    /// `import.SOURCE`, the section the table is.
    let section: [String]
    private(set) var diagnostics: [Diagnostic] = []
    private let lines: [Substring]

    init(_ settings: ImportSettings, source: String) {
        self.settings = settings
        self.section = ["import", source]
        self.lines = settings.text.map { $0.split(separator: "\n", omittingEmptySubsequences: false) } ?? []
    }

    /// `[import.openai.projects]` for `["projects"]`.
    func name(_ path: [String]) -> String { "[" + (section + path).joined(separator: ".") + "]" }

    /// A `policy` error at the line of `path` (a key or table under the section).
    mutating func error(_ path: [String], _ message: String) {
        let line = TOMLKeyLocator.line(of: section + path, in: lines)
        diagnostics.append(
            Diagnostic(path: settings.path, line: line, rule: .policy, message: message, sourceLine: line.map { String(lines[$0 - 1]) }))
    }

    /// Reports keys of `table` (at `path`) not in `allowed`.
    mutating func unknownKeys(_ table: TOMLTable, allowed: [String], at path: [String]) {
        for key in table.keys where !allowed.contains(key) {
            error(path + [key], "unknown key \"\(key)\" in \(name(path)) (expected: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    /// The table at `key` of `table`, or nil (absent, or an error when it is not a table).
    mutating func table(_ table: TOMLTable, _ key: String, at path: [String]) -> TOMLTable? {
        guard let value = table[key] else { return nil }
        guard let t = value.table else {
            error(path + [key], "\(key) in \(name(path)) must be a table")
            return nil
        }
        return t
    }

    /// The non-empty string at `key`, or nil (absent, or an error).
    mutating func string(_ table: TOMLTable, _ key: String, at path: [String]) -> String? {
        guard let value = table[key] else { return nil }
        guard let s = value.string, !s.isEmpty else {
            error(path + [key], "\(key) in \(name(path)) must be a non-empty string")
            return nil
        }
        return s
    }

    /// The boolean at `key`, or nil (absent, or an error).
    mutating func bool(_ table: TOMLTable, _ key: String, at path: [String]) -> Bool? {
        guard let value = table[key] else { return nil }
        guard let b = value.bool else {
            error(path + [key], "\(key) in \(name(path)) must be true or false")
            return nil
        }
        return b
    }

    /// `[…KEY.ID]` tables of tag name → value (`[import.openai.projects.proj_abc] team = "search"`):
    /// the tags each id stands for.
    mutating func tagTables(_ table: TOMLTable, _ key: String, at path: [String]) -> [String: [String: String]] {
        guard let ids = self.table(table, key, at: path) else { return [:] }
        var out: [String: [String: String]] = [:]
        for id in ids.keys {
            guard let tags = self.table(ids, id, at: path + [key]) else { continue }
            var mapped: [String: String] = [:]
            for tag in tags.keys {
                if let value = string(tags, tag, at: path + [key, id]) { mapped[tag] = value }
            }
            out[id] = mapped
        }
        return out
    }

    /// The sub-table `[…KEY]` as name → non-empty string (`[import.otel.tags]`),
    /// or nil when absent (or an error when it is not a table of strings).
    mutating func stringMap(_ table: TOMLTable, _ key: String, at path: [String]) -> [String: String]? {
        guard let value = table[key] else { return nil }
        guard let sub = value.table else {
            error(path + [key], "\(key) in \(name(path)) must be a table of strings, e.g. \(name(path + [key]))")
            return nil
        }
        var out: [String: String] = [:]
        for entry in sub.keys {
            guard let text = sub[entry]?.string, !text.isEmpty else {
                error(path + [key, entry], "\"\(entry)\" in \(name(path + [key])) must be a non-empty string")
                continue
            }
            out[entry] = text
        }
        return out
    }

    /// Throws the problems found, as `input` errors (exit 2, nothing imported).
    func finish() throws(SpendError) {
        if !diagnostics.isEmpty { throw SpendError.input(diagnostics) }
    }
}

/// Finds the line of a dotted key path in a TOML text (`import.openai.projects.proj_abc.team`):
/// the line of the deepest `[table]` header that is a prefix of the path, then the
/// line in that table whose key starts with the next component. Good enough for
/// messages; nil when no header matches.
enum TOMLKeyLocator {
    static func line(of path: [String], in lines: [Substring]) -> Int? {
        var best: (depth: Int, line: Int)?
        var section: [String] = []
        var sectionLine = 0
        for (i, raw) in lines.enumerated() {
            let text = raw.drop { $0 == " " || $0 == "\t" }
            if text.hasPrefix("[") {
                let inner = text.drop { $0 == "[" }.prefix { $0 != "]" }
                section = keys(inner)
                sectionLine = i + 1
                if section == path { return i + 1 }
                continue
            }
            guard section.count < path.count, Array(path.prefix(section.count)) == section else { continue }
            let keyText = text.prefix { $0 != "=" }
            guard keyText.count < text.count else { continue }
            let dotted = keys(keyText)
            let rest = Array(path.dropFirst(section.count))
            var depth = 0
            while depth < min(dotted.count, rest.count) && dotted[depth] == rest[depth] { depth += 1 }
            if depth > 0, section.count + depth > (best?.depth ?? 0) { best = (section.count + depth, i + 1) }
            if depth == 0, section.count > (best?.depth ?? 0) { best = (section.count, sectionLine) }
        }
        return best?.line
    }

    /// The components of a dotted key (`a."b.c".d`), quotes removed.
    static func keys(_ text: Substring) -> [String] {
        var out: [String] = []
        var current = ""
        var quote: Character?
        for c in text {
            if let q = quote {
                if c == q { quote = nil } else { current.append(c) }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == "." {
                out.append(current)
                current = ""
            } else if c == "#" {
                break
            } else if c != " " && c != "\t" {
                current.append(c)
            }
        }
        out.append(current)
        return out
    }
}

/// The tags a usage record's grouping ids stand for: the id itself under a
/// fixed tag name (`openai_project`), then the tags `spend.toml` maps it to.
struct GroupingTags: Sendable {
    /// Result field (`project_id`) → the tag that keeps its value (`openai_project`).
    let idTags: [(field: String, tag: String)]
    /// Result field → its value → the tags it maps to.
    let mapped: [String: [String: [String: String]]]

    /// The grouping tags of a usage source whose `[import.SOURCE]` table holds
    /// only id tables (`tables`: `projects` → the result field `project_id`),
    /// each `[import.SOURCE.KEY.ID]` a table of tags; problems are located
    /// `policy` errors.
    static func read(
        _ settings: ImportSettings, source: String, idTags: [(field: String, tag: String)], tables: [(key: String, field: String)]
    ) throws(SpendError) -> GroupingTags {
        var reader = ImportSettingsReader(settings, source: source)
        var mapped: [String: [String: [String: String]]] = [:]
        if let table = settings.table {
            reader.unknownKeys(table, allowed: tables.map(\.key), at: [])
            for (key, field) in tables { mapped[field] = reader.tagTables(table, key, at: []) }
        }
        try reader.finish()
        return GroupingTags(idTags: idTags, mapped: mapped)
    }

    /// The tags of a result whose string fields are `value(field)`; ids are
    /// applied in `idTags` order, so a later field's mapping (the API key)
    /// overrides an earlier one's (the project).
    func tags(_ value: (String) -> String?) -> [String: String] {
        var tags: [String: String] = [:]
        for (field, tag) in idTags {
            guard let id = value(field) else { continue }
            tags[tag] = id
        }
        for (field, _) in idTags {
            guard let id = value(field), let more = mapped[field]?[id] else { continue }
            for (k, v) in more { tags[k] = v }
        }
        return tags
    }
}
