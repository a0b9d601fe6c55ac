import Foundation

/// What `spend lint` checks: the working tree, the index, one revision, or a range of commits.
public enum LintMode: Sendable, Hashable {
    /// Every file of the working tree (`--all`); compared to HEAD when there is one.
    case workingTree
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

    /// Compiler-style text: every finding with its source line and caret, then a one-line summary.
    public func renderText(color: Bool = false) -> String {
        var out = ""
        let multi = { if case .commits = mode { return true } else { return false } }()
        for section in sections {
            if multi, let commit = section.commit, !section.diagnostics.isEmpty || !section.notes.isEmpty {
                out += "commit \(commit.short) \(TerminalText.escaped(section.title ?? ""))\n"
            }
            for d in section.diagnostics { out += d.renderedWithSource + "\n" }
            if section.omitted > 0 { out += "… \(section.omitted) more finding\(section.omitted == 1 ? "" : "s") not shown (--limit 0 shows all)\n" }
            for note in section.notes { out += "note: \(TerminalText.escaped(note))\n" }
        }
        out += summaryLine
        return out
    }

    /// `spend lint: 2 errors, 1 warning (staged against HEAD: 1,000 events in 1 shard, 3 rate cards, spend.toml)`.
    public var summaryLine: String {
        let e = errors
        let w = warnings
        var counts: String
        if e == 0 && w == 0 {
            counts = "ok"
        } else {
            counts = "\(e) error\(e == 1 ? "" : "s")"
            if w > 0 { counts += ", \(w) warning\(w == 1 ? "" : "s")" }
        }
        let what: String
        switch mode {
        case .workingTree: what = "working tree"
        case .staged: what = "staged"
        case .revision(let rev): what = TerminalText.escaped(rev)
        case .commits(let range): what = TerminalText.escaped(range)
        }
        var parts: [String] = []
        if case .commits = mode {
            parts.append("\(sections.count) commit\(sections.count == 1 ? "" : "s")")
        }
        let events = sections.reduce(0) { $0 + $1.stats.eventsChecked }
        let shards = sections.reduce(0) { $0 + $1.stats.shardsChecked }
        parts.append("\(Self.grouped(events)) new event\(events == 1 ? "" : "s") checked in \(shards) shard\(shards == 1 ? "" : "s")")
        if case .workingTree = mode { parts[parts.count - 1] = "\(Self.grouped(events)) event\(events == 1 ? "" : "s") in \(shards) shard\(shards == 1 ? "" : "s")" }
        if let last = sections.last {
            parts.append("\(last.stats.cards) rate card\(last.stats.cards == 1 ? "" : "s")")
            if last.stats.policy { parts.append("spend.toml") }
        }
        let base = sections.count == 1 ? sections[0].stats.base : (sections.isEmpty ? "" : "each against its parent")
        return "spend lint: \(counts) (\(what)\(base.isEmpty ? "" : " " + base): \(parts.joined(separator: ", ")))"
    }

    static func grouped(_ n: Int) -> String {
        let s = String(n)
        var out = ""
        for (i, c) in s.enumerated() {
            if i > 0 && (s.count - i) % 3 == 0 { out += "," }
            out.append(c)
        }
        return out
    }

    /// One JSON object: `{"errors":…,"warnings":…,"findings":[{path,line,column,severity,rule,message,commit}],…}`.
    public func renderJSON() -> String {
        var findings: [[String: Any]] = []
        var commits: [[String: Any]] = []
        var notes: [String] = []
        var omitted = 0
        for section in sections {
            for d in section.diagnostics {
                var f: [String: Any] = ["path": d.path, "severity": d.severity.rawValue, "rule": d.rule.id, "message": d.message]
                if let line = d.line { f["line"] = line }
                if let column = d.column { f["column"] = column }
                if let commit = section.commit { f["commit"] = commit.hex }
                findings.append(f)
            }
            omitted += section.omitted
            notes += section.notes
            if let commit = section.commit {
                commits.append([
                    "commit": commit.hex, "title": section.title ?? "", "errors": section.errors, "warnings": section.warnings,
                ])
            }
        }
        let modeName: String
        switch mode {
        case .workingTree: modeName = "all"
        case .staged: modeName = "staged"
        case .revision: modeName = "rev"
        case .commits: modeName = "commits"
        }
        var object: [String: Any] = [
            "mode": modeName, "errors": errors, "warnings": warnings, "findings": findings, "omitted": omitted,
            "events_checked": sections.reduce(0) { $0 + $1.stats.eventsChecked }, "notes": notes,
            "summary": summaryLine,
        ]
        if case .commits = mode { object["commits"] = commits }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        // The serializer escapes U+0000–U+001F only; DEL, C1 and bidi overrides become
        // `\uXXXX` too (the same value, inert on a terminal), like every other JSON output.
        return TerminalText.escaped(String(decoding: data, as: UTF8.self))
    }
}
