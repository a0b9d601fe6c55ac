import TOMLKit

/// The one entry point through which spend hands TOML to TOMLKit: rate cards
/// (working tree, `--rev` blobs, the staged index, audit's card history and
/// its incremental parser) and `spend.toml` all come through `parse`.
///
/// TOMLKit is toml++ (C++), which reads its input as a C string: a NUL byte
/// would silently end the file there (the rest of a card, or the whole
/// policy, gone). Readers decode file bytes as UTF-8 replacing what is not
/// UTF-8 with U+FFFD, so that character is refused as well: a card or policy
/// must be clean UTF-8. Both are `toml` errors with line and column.
enum TOMLDocument {
    /// Parses `text` (the file at `path`) into a table, or throws located `toml` diagnostics.
    static func parse(_ text: String, path: String) throws(DiagnosticsError) -> TOMLTable {
        if let problem = checkInput(text, path: path) { throw DiagnosticsError([problem]) }
        do {
            return try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw DiagnosticsError([
                Diagnostic(
                    path: path, line: error.source.begin.line, column: error.source.begin.column, rule: "toml",
                    message: "invalid TOML: \(error.description)", sourceLine: line(error.source.begin.line, of: text))
            ])
        } catch {
            throw DiagnosticsError([Diagnostic(path: path, rule: "toml", message: "invalid TOML: \(error)")])
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
            path: path, line: line, column: found.offset - lineStart + 1, rule: "toml", message: found.message,
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
