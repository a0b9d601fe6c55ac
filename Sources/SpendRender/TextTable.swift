import SpendCore

/// Aligned plain-text tables.
public enum TextTable {
    /// Renders `header` and `rows` in columns two spaces apart. Every cell shows
    /// escaped (``TerminalText``: control characters as `\n`, `\u001b`, bidi
    /// overrides as `\u202e`) and at most ``TerminalText/maxCellWidth`` characters
    /// wide, cut with `…`; CSV and JSON carry the full values.
    public static func render(header: [String], rows: [[String]], rightAligned: Set<Int>, ruleBeforeLast: Bool = false) -> String {
        let header = header.map { TerminalText.cell($0) }
        let rows = rows.map { $0.map { TerminalText.cell($0) } }
        var widths = header.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for (i, cell) in cells.enumerated() {
                let pad = String(repeating: " ", count: max(0, widths[i] - cell.count))
                parts.append(rightAligned.contains(i) ? pad + cell : cell + pad)
            }
            var s = parts.joined(separator: "  ")
            while s.hasSuffix(" ") { s.removeLast() }
            return s
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        var out = [line(header), rule]
        for (i, row) in rows.enumerated() {
            if ruleBeforeLast && i == rows.count - 1 { out.append(rule) }
            out.append(line(row))
        }
        return out.joined(separator: "\n")
    }
}
