#if canImport(Glibc)
    import Glibc
#endif

/// A finding about an input file, printed like a compiler message:
/// `ledger/2026/2026-11.jsonl:1042:31: error[tag-required]: missing tag "team"`.
public struct Diagnostic: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable {
        case error, warning
    }

    /// Repository-relative path of the file (or a pseudo-path such as `<stdin>`).
    public var path: String
    /// 1-based line, when the finding has one.
    public var line: Int?
    /// 1-based byte column within the line, when it helps.
    public var column: Int?
    public var severity: Severity
    /// The rule found broken; its stable id (`json`, `schema`, `unknown-model`) is printed.
    public var rule: Rule
    public var message: String
    /// The offending source line, for a caret display.
    public var sourceLine: String?

    /// A finding of `rule`, with the rule's severity unless `severity` is given.
    public init(
        path: String, line: Int? = nil, column: Int? = nil, severity: Severity? = nil, rule: Rule,
        message: String, sourceLine: String? = nil
    ) {
        self.path = path
        self.line = line
        self.column = column
        self.severity = severity ?? rule.severity
        self.rule = rule
        self.message = message
        self.sourceLine = sourceLine
    }

    /// `path:line:col: severity[rule]: message`, on one line: control characters
    /// and bidi overrides in the path or message show escaped (`\n`, `\u001b`;
    /// see ``TerminalText``), so a value cannot forge a finding or drive the terminal.
    public var description: String {
        var location = path
        if let line {
            location += ":\(line)"
            if let column { location += ":\(column)" }
        }
        return TerminalText.escaped("\(location): \(severity.rawValue)[\(rule.id)]: \(message)")
    }

    /// The message followed by the offending line and a caret under the column.
    /// The line shows escaped like the message (its first 200 characters), and
    /// the caret is placed under the escaped text: `\u001b` is six columns wide.
    public var renderedWithSource: String {
        guard let sourceLine, let line else { return description }
        let gutter = String(line)
        var text = description + "\n" + String(repeating: " ", count: gutter.count) + " |\n"
        let shown = TerminalText.cell(sourceLine, maxWidth: 201)
        text += gutter + " | " + shown
        if let column {
            let prefix = sourceLine.utf8.prefix(max(0, column - 1))
            let width = TerminalText.escaped(String(decoding: prefix, as: UTF8.self)).count
            if width <= 200 {
                text += "\n" + String(repeating: " ", count: gutter.count) + " | " + String(repeating: " ", count: width) + "^"
            }
        }
        return text
    }
}

extension Diagnostic: Comparable {
    public static func < (a: Diagnostic, b: Diagnostic) -> Bool {
        if a.path != b.path { return a.path < b.path }
        if (a.line ?? 0) != (b.line ?? 0) { return (a.line ?? 0) < (b.line ?? 0) }
        if (a.column ?? 0) != (b.column ?? 0) { return (a.column ?? 0) < (b.column ?? 0) }
        return a.message < b.message
    }
}

/// A batch of diagnostics thrown as one error (input rejected).
public struct DiagnosticsError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]
    /// How many more were found but not kept.
    public var omitted: Int

    public init(_ diagnostics: [Diagnostic], omitted: Int = 0) {
        self.diagnostics = diagnostics
        self.omitted = omitted
    }

    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
    }
}

/// Maps a byte offset in a buffer to its 1-based line and column.
public enum SourcePosition {
    public static func locate(offset: Int, in buffer: UnsafeRawBufferPointer) -> (line: Int, column: Int, lineText: String) {
        var line = 1
        var lineStart = 0
        let end = min(offset, buffer.count)
        // memchr from newline to newline: gigabytes per second, not a byte loop.
        if end > 0, let base = buffer.baseAddress {
            var p = base
            let stop = base + end
            while p < stop, let nl = memchr(p, 10, stop - p) {
                line += 1
                p = UnsafeRawPointer(nl) + 1
                lineStart = base.distance(to: p)
            }
        }
        var lineEnd = lineStart
        while lineEnd < buffer.count && buffer[lineEnd] != 10 { lineEnd += 1 }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: buffer[lineStart..<lineEnd]), as: UTF8.self)
        return (line, offset - lineStart + 1, text)
    }
}
