/// The one entry point through which spend reads TOML: rate cards (working
/// tree, `--rev` blobs, the staged index, audit's card history and its
/// incremental parser) and `spend.toml` all come through `parse`.
///
/// The parser is spend's own strict TOML 1.0 reader (`TOMLParser`): it
/// rejects rather than guesses, and malformed input is a located error,
/// never a crash. Readers decode file bytes as UTF-8 replacing what is not
/// UTF-8 with U+FFFD, so that character is refused, and so is a NUL byte: a
/// card or policy must be clean UTF-8. All are `toml` errors with line and column.
enum TOMLDocument {
    /// Parses `text` (the file at `path`) into a table, or throws located `toml` diagnostics.
    static func parse(_ text: String, path: String) throws(DiagnosticsError) -> TOMLTable {
        if let problem = checkInput(text, path: path) { throw DiagnosticsError([problem]) }
        do {
            return try TOMLParser.parse(text)
        } catch {
            throw DiagnosticsError([
                Diagnostic(
                    path: path, line: error.line, column: error.column, rule: .toml,
                    message: "invalid TOML: \(error.message)", sourceLine: line(error.line, of: text))
            ])
        }
    }

    /// The first NUL byte or U+FFFD of `text`, as a `toml` diagnostic (byte column).
    static func checkInput(_ text: String, path: String) -> Diagnostic? {
        var line = 1
        var lineStart = 0
        var found: (offset: Int, message: String)?
        var copy = text
        copy.withUTF8 { bytes in
            var i = 0
            while i < bytes.count {
                switch bytes[i] {
                case 10:
                    line += 1
                    lineStart = i + 1
                case 0:
                    found = (i, "NUL byte (U+0000): TOML files must not contain NUL")
                    return
                case 0xEF where i + 2 < bytes.count && bytes[i + 1] == 0xBF && bytes[i + 2] == 0xBD:
                    found = (i, "invalid UTF-8 (or U+FFFD, which is what bytes that are not UTF-8 read as): TOML files must be UTF-8")
                    return
                default:
                    break
                }
                i += 1
            }
        }
        guard let found else { return nil }
        return Diagnostic(
            path: path, line: line, column: found.offset - lineStart + 1, rule: .toml, message: found.message,
            sourceLine: Self.line(line, of: text))
    }

    /// Line `n` (1-based) of `text`, for a caret under an error.
    static func line(_ n: Int, of text: String) -> String? {
        guard n >= 1 else { return nil }
        var index = 1
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if index == n { return String(line) }
            index += 1
        }
        return nil
    }
}
