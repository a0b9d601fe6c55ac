import Foundation

/// A cell of a CSV record: the byte range of its content (inside the quotes
/// for a quoted cell) and whether it holds doubled quotes to undo.
struct CSVCell: Sendable {
    var start: Int
    var end: Int
    var escaped: Bool
}

/// A record the reader found: its cells, where it is, and its text.
struct CSVRecordPlace {
    /// Offsets of the record's first byte and of its end (before the line break).
    var start: Int
    var end: Int
    /// The 1-based line the record starts on.
    var line: Int
}

/// A record that is not RFC 4180: where and why.
struct CSVSyntaxError: Error {
    var line: Int
    var column: Int
    var message: String
    /// Where reading goes on (the next line), or nil when the rest of the file is lost.
    var resume: Int?
    var start: Int
}

extension CSVSyntaxError {
    /// The rejection of the record that is not CSV, at its line, with its text.
    func rejection(path: String, reader: CSVReader) -> ImportRejection {
        let end = min(resume.map { max(start, $0 - 1) } ?? reader.bytes.count, reader.bytes.count)
        let origin = EventOrigin(path: path, line: line, sourceLine: reader.text(start, end))
        return ImportRejection(origin: origin, rule: .importRecord, message: "not CSV: \(message) (column \(column))")
    }
}

/// Reads RFC 4180 CSV byte by byte: cells separated by commas, records by
/// CRLF or LF, a cell in double quotes may hold commas, line breaks and
/// doubled quotes (`""`). A quote inside an unquoted cell is taken as it is.
/// Nothing is decoded: cells are byte ranges (`text` decodes one).
struct CSVReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int
    private(set) var line: Int

    init(_ bytes: UnsafeRawBufferPointer, firstLine: Int) {
        self.bytes = bytes
        self.line = firstLine
        // A UTF-8 byte order mark (spreadsheets write one) is not part of the
        // first cell (nor of a header that `.csvRows` framing repeats with it).
        let bom = bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF
        self.offset = bom ? 3 : 0
    }

    /// Reads the next record's cells into `cells`; nil at the end of the bytes.
    mutating func next(into cells: inout [CSVCell]) throws(CSVSyntaxError) -> CSVRecordPlace? {
        cells.removeAll(keepingCapacity: true)
        let n = bytes.count
        guard offset < n else { return nil }
        let start = offset
        let startLine = line
        var lineStart = start
        var p = offset
        while true {
            if p < n && bytes[p] == 34 {
                let openLine = line
                let openColumn = p - lineStart + 1
                p += 1
                let contentStart = p
                var escaped = false
                while true {
                    guard let base = bytes.baseAddress, p < n, let q = memchr(base + p, 34, n - p) else {
                        offset = n
                        throw CSVSyntaxError(
                            line: openLine, column: openColumn, message: "the quoted cell opened here never closes (a missing \")",
                            resume: nil, start: start)
                    }
                    let quote = base.distance(to: UnsafeRawPointer(q))
                    // Line breaks inside the quotes.
                    var s = p
                    while s < quote, let nl = memchr(base + s, 10, quote - s) {
                        line += 1
                        s = base.distance(to: UnsafeRawPointer(nl)) + 1
                        lineStart = s
                    }
                    if quote + 1 < n && bytes[quote + 1] == 34 {
                        escaped = true
                        p = quote + 2
                        continue
                    }
                    cells.append(CSVCell(start: contentStart, end: quote, escaped: escaped))
                    p = quote + 1
                    break
                }
            } else {
                let cellStart = p
                while p < n {
                    let b = bytes[p]
                    if b == 44 || b == 10 || b == 13 { break }
                    p += 1
                }
                cells.append(CSVCell(start: cellStart, end: p, escaped: false))
            }
            if p >= n {
                offset = n
                return CSVRecordPlace(start: start, end: n, line: startLine)
            }
            switch bytes[p] {
            case 44:
                p += 1
            case 13 where p + 1 < n && bytes[p + 1] == 10:
                offset = p + 2
                line += 1
                return CSVRecordPlace(start: start, end: p, line: startLine)
            case 10:
                offset = p + 1
                line += 1
                return CSVRecordPlace(start: start, end: p, line: startLine)
            case 13:
                offset = p + 1
                return CSVRecordPlace(start: start, end: p, line: startLine)
            default:
                // Text after a closing quote: skip to the next line and go on.
                let column = p - lineStart + 1
                let errorLine = line
                var e = p
                while e < n && bytes[e] != 10 { e += 1 }
                offset = min(n, e + 1)
                if e < n { line += 1 }
                throw CSVSyntaxError(
                    line: errorLine, column: column,
                    message: "text after the closing quote of a cell (a quote inside a quoted cell is written \"\")",
                    resume: offset, start: start)
            }
        }
    }

    /// The text of a cell (doubled quotes undone).
    func text(_ cell: CSVCell) -> String {
        let raw = UnsafeRawBufferPointer(rebasing: bytes[cell.start..<cell.end])
        guard cell.escaped else { return String(decoding: raw, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = 0
        while i < raw.count {
            out.append(raw[i])
            i += raw[i] == 34 && i + 1 < raw.count && raw[i + 1] == 34 ? 2 : 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The text of bytes `start..<end` (a record, for messages and `--reject-file`).
    func text(_ start: Int, _ end: Int) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }
}
