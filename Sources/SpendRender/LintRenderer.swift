import SpendCore

import Foundation

/// Renders a lint run (``LintResult``, from ``Linter``): compiler-style text
/// (`text`, for `--format table`) or one JSON object (`json`, for `--format json`).
public struct LintRenderer {
    public init() {}

    /// Compiler-style text: every finding with its source line and caret, then a one-line summary.
    public func text(_ result: LintResult) -> String {
        var out = ""
        let multi = { if case .commits = result.mode { return true } else { return false } }()
        for section in result.sections {
            if multi, let commit = section.commit, !section.diagnostics.isEmpty || !notes(section, mode: result.mode).isEmpty {
                out += "commit \(commit.short) \(TerminalText.escaped(section.title ?? ""))\n"
            }
            for d in section.diagnostics { out += d.renderedWithSource + "\n" }
            if section.omitted > 0 { out += "… \(section.omitted) more finding\(section.omitted == 1 ? "" : "s") not shown (--limit 0 shows all)\n" }
            for note in notes(section, mode: result.mode) { out += "note: \(TerminalText.escaped(note))\n" }
        }
        out += summaryLine(result)
        return out
    }

    /// The section's notes, then what the renderer adds: how many committed
    /// events a changed policy rejects (not re-judged), and, when the working
    /// tree has nothing new, what checks committed history instead.
    public func notes(_ section: LintSection, mode: LintMode) -> [String] {
        var out = section.notes
        let n = section.stats.policyPredating
        if n > 0 && mode != .all {
            out.append(
                "spend.toml changed: \(Format.integer(Int64(n))) committed event\(n == 1 ? " predates it and does" : "s predate it and do") not satisfy it; committed history is not re-judged (spend lint --all shows them)"
            )
        }
        let stats = section.stats
        if mode == .workingTree && stats.base == "against HEAD" && stats.eventsChecked == 0 && !stats.cardsChanged && !stats.policyChanged
            && section.errors == 0 && section.warnings == 0
        {
            out.append(
                "nothing new against HEAD: committed history is not re-judged (spend lint --all re-judges it; CI checks each commit with spend lint --commits BASE..HEAD)"
            )
        }
        return out
    }

    /// `spend lint: 2 errors, 1 warning (staged against HEAD: 1,000 events in 1 shard, 3 rate cards, spend.toml)`.
    public func summaryLine(_ result: LintResult) -> String {
        let e = result.errors
        let w = result.warnings
        var counts: String
        if e == 0 && w == 0 {
            counts = "ok"
        } else {
            counts = "\(e) error\(e == 1 ? "" : "s")"
            if w > 0 { counts += ", \(w) warning\(w == 1 ? "" : "s")" }
        }
        let what: String
        switch result.mode {
        case .workingTree, .all: what = "working tree"
        case .staged: what = "staged"
        case .revision(let rev): what = TerminalText.escaped(rev)
        case .commits(let range): what = TerminalText.escaped(range)
        }
        var parts: [String] = []
        if case .commits = result.mode {
            parts.append("\(result.sections.count) commit\(result.sections.count == 1 ? "" : "s")")
        }
        let events = result.sections.reduce(0) { $0 + $1.stats.eventsChecked }
        let shards = result.sections.reduce(0) { $0 + $1.stats.shardsChecked }
        parts.append("\(Format.integer(Int64(events))) new event\(events == 1 ? "" : "s") checked in \(shards) shard\(shards == 1 ? "" : "s")")
        if case .all = result.mode { parts[parts.count - 1] = "\(Format.integer(Int64(events))) event\(events == 1 ? "" : "s") in \(shards) shard\(shards == 1 ? "" : "s")" }
        if let last = result.sections.last {
            parts.append("\(last.stats.cards) rate card\(last.stats.cards == 1 ? "" : "s")")
            if last.stats.policy { parts.append("spend.toml") }
        }
        let base = result.sections.count == 1 ? result.sections[0].stats.base : (result.sections.isEmpty ? "" : "each against its parent")
        return "spend lint: \(counts) (\(what)\(base.isEmpty ? "" : " " + base): \(parts.joined(separator: ", ")))"
    }

    /// One JSON object: `{"errors":…,"warnings":…,"findings":[{path,line,column,severity,rule,message,commit}],…}`.
    public func json(_ result: LintResult) -> String {
        var findings: [[String: Any]] = []
        var commits: [[String: Any]] = []
        var notes: [String] = []
        var omitted = 0
        for section in result.sections {
            for d in section.diagnostics {
                var f: [String: Any] = ["path": d.path, "severity": d.severity.rawValue, "rule": d.rule.id, "message": d.message]
                if let line = d.line { f["line"] = line }
                if let column = d.column { f["column"] = column }
                if let commit = section.commit { f["commit"] = commit.hex }
                findings.append(f)
            }
            omitted += section.omitted
            notes += self.notes(section, mode: result.mode)
            if let commit = section.commit {
                commits.append([
                    "commit": commit.hex, "title": section.title ?? "", "errors": section.errors, "warnings": section.warnings,
                ])
            }
        }
        let modeName: String
        switch result.mode {
        case .workingTree: modeName = "working-tree"
        case .all: modeName = "all"
        case .staged: modeName = "staged"
        case .revision: modeName = "rev"
        case .commits: modeName = "commits"
        }
        var object: [String: Any] = [
            "mode": modeName, "errors": result.errors, "warnings": result.warnings, "findings": findings, "omitted": omitted,
            "events_checked": result.sections.reduce(0) { $0 + $1.stats.eventsChecked }, "notes": notes,
            "summary": summaryLine(result), "policy_predating": result.sections.reduce(0) { $0 + $1.stats.policyPredating },
        ]
        if case .commits = result.mode { object["commits"] = commits }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        // The serializer escapes U+0000–U+001F only; DEL, C1 and bidi overrides become
        // `\uXXXX` too (the same value, inert on a terminal), like every other JSON output.
        return TerminalText.escaped(String(decoding: data, as: UTF8.self))
    }
}
