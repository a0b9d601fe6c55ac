import Foundation

/// Reads files of usage-report pages, the shape both OpenAI's Usage API and
/// Anthropic's usage report return: `{"data":[{BUCKET…,"results":[RESULT…]}…], …}`.
/// A file holds one page, pages one after another (JSON Lines, or
/// pretty-printed pages back to back), or one JSON array of pages.
///
/// Each page is held to the ledger's JSON rules (`LedgerScanner.validateDocument`:
/// UTF-8, no key twice) and parsed whole; a page that is not valid is one
/// rejection at the offending line and column, and none of its results is
/// converted. Each result is handed over with its line and its text: the
/// result as a page of one bucket holding only that result, on one line (so a
/// rejected result written back by `--reject-file` can be fixed and imported
/// on its own).
enum UsagePages {
    /// One bucket result, as the sources convert it.
    struct Result {
        var bucket: [String: Any]
        var result: [String: Any]
        var origin: EventOrigin
    }

    /// Calls `result` for every result of every page in `bytes` (the file at
    /// `path`, starting at line `firstLine`), in file order; returns the
    /// rejections of pages that could not be read.
    static func read(
        _ bytes: UnsafeRawBufferPointer, path: String, firstLine: Int, result body: (Result) -> Void
    ) -> [ImportRejection] {
        var walker = JSONWalker(bytes: bytes, firstLine: firstLine)
        var rejections: [ImportRejection] = []
        var p = walker.skipSpace(0)
        while p < bytes.count {
            let end = walker.valueEnd(p)
            if bytes[p] == 91, validate(p..<end, walker: &walker, path: path, into: &rejections) {
                // An array of pages (`jq -s`): each element is a page.
                for element in walker.elements(of: p..<end) { page(element, walker: &walker, path: path, into: &rejections, body) }
            } else if bytes[p] != 91 {
                page(p..<end, walker: &walker, path: path, into: &rejections, body)
            }
            p = walker.skipSpace(end)
        }
        return rejections
    }

    /// Checks `range` against the ledger's JSON rules; a problem is a rejection at its place.
    private static func validate(
        _ range: Range<Int>, walker: inout JSONWalker, path: String, into rejections: inout [ImportRejection]
    ) -> Bool {
        guard let problem = LedgerScanner.validateDocument(UnsafeRawBufferPointer(rebasing: walker.bytes[range])) else { return true }
        let offset = range.lowerBound + problem.offset
        let (line, lineStart, text) = walker.position(of: offset)
        let origin = EventOrigin(path: path, line: line, sourceLine: text)
        rejections.append(
            ImportRejection(
                origin: origin, rule: problem.rule,
                message: "not a valid usage page: \(problem.message) (column \(offset - lineStart + 1))"))
        return false
    }

    private static func page(
        _ range: Range<Int>, walker: inout JSONWalker, path: String, into rejections: inout [ImportRejection],
        _ body: (Result) -> Void
    ) {
        guard validate(range, walker: &walker, path: path, into: &rejections) else { return }
        let line = walker.line(of: range.lowerBound)
        var pageText: String { walker.compact(range) }
        func reject(_ message: String) {
            rejections.append(ImportRejection(origin: EventOrigin(path: path, line: line, sourceLine: pageText), rule: .importRecord, message: message))
        }
        guard let page = (try? JSONSerialization.jsonObject(with: Data(walker.bytes[range]))) as? [String: Any] else {
            return reject("not a usage page: a page is a JSON object with a \"data\" array of buckets")
        }
        if let error = page["error"] as? [String: Any] {
            return reject("the page is an API error, not usage (\(error["message"] as? String ?? "no message")): it has no usage to record")
        }
        guard let buckets = page["data"] as? [[String: Any]] else {
            return reject("not a usage page: it has no \"data\" array of buckets")
        }
        // The original bytes of each bucket and of its results, in the same order.
        let bucketRanges = walker.member("data", of: range).map { walker.elements(of: $0) } ?? []
        for (b, bucket) in buckets.enumerated() {
            guard let results = bucket["results"] as? [[String: Any]] else {
                rejections.append(
                    ImportRejection(
                        origin: EventOrigin(path: path, line: line, sourceLine: pageText), rule: .schema,
                        message: "bucket \(b + 1) of the page has no \"results\" array"))
                continue
            }
            let bucketRange = b < bucketRanges.count ? bucketRanges[b] : nil
            let resultsRange = bucketRange.flatMap { walker.member("results", of: $0) }
            let resultRanges = resultsRange.map { walker.elements(of: $0) } ?? []
            for (r, result) in results.enumerated() {
                var origin = EventOrigin(path: path, line: line)
                if let bucketRange, let resultsRange, resultRanges.count == results.count {
                    let resultRange = resultRanges[r]
                    origin.line = walker.line(of: resultRange.lowerBound)
                    // The bucket with this one result: `{"data":[{…,"results":[RESULT]…}]}`.
                    var text = "{\"data\":["
                    text += walker.compact(bucketRange.lowerBound..<(resultsRange.lowerBound + 1))
                    text += walker.compact(resultRange)
                    text += walker.compact((resultsRange.upperBound - 1)..<bucketRange.upperBound)
                    text += "]}"
                    origin.sourceLine = text
                } else {
                    origin.sourceLine = pageText  // a key spelt with escapes: the page is the record
                }
                body(Result(bucket: bucket, result: result, origin: origin))
            }
        }
    }

    /// The id parts of a result: the bucket's `start`/`end` and every grouping
    /// value the result carries (its string and boolean fields other than
    /// `object`, sorted by name; null and absent are the same), so one bucket
    /// result gets one id however the pages around it were cut.
    static func idParts(start: String, end: String, result: [String: Any]) -> [String] {
        var parts = ["start=" + start, "end=" + end]
        for key in result.keys.sorted() where key != "object" {
            if let s = result[key] as? String {
                parts.append(key + "=" + s)
            } else if let n = result[key] as? NSNumber, String(cString: n.objCType) == "c" {
                parts.append(key + "=" + (n.boolValue ? "true" : "false"))
            }
        }
        return parts
    }
}

/// Byte-level navigation of JSON already held to `validateDocument`: value
/// ends, members and elements by offset, line numbers. No values are decoded.
struct JSONWalker {
    let bytes: UnsafeRawBufferPointer
    private let firstLine: Int
    private var line: Int
    private var counted = 0

    init(bytes: UnsafeRawBufferPointer, firstLine: Int) {
        self.bytes = bytes
        self.firstLine = firstLine
        self.line = firstLine
    }

    func skipSpace(_ start: Int) -> Int {
        var p = start
        while p < bytes.count, bytes[p] == 32 || bytes[p] == 9 || bytes[p] == 10 || bytes[p] == 13 { p += 1 }
        return p
    }

    /// The end of the string whose opening quote is at `start` (just past the closing quote).
    private func stringEnd(_ start: Int) -> Int {
        var p = start + 1
        while p < bytes.count {
            switch bytes[p] {
            case 92: p += 2
            case 34: return p + 1
            default: p += 1
            }
        }
        return bytes.count
    }

    /// The end of the value at `start`: its matching bracket, or the end of a
    /// string or scalar. Unbalanced brackets run to the end of the buffer
    /// (where `validateDocument` then reports them).
    func valueEnd(_ start: Int) -> Int {
        guard start < bytes.count else { return start }
        switch bytes[start] {
        case 34: return stringEnd(start)
        case 123, 91:
            var depth = 0
            var p = start
            while p < bytes.count {
                switch bytes[p] {
                case 34:
                    p = stringEnd(p)
                    continue
                case 123, 91: depth += 1
                case 125, 93:
                    depth -= 1
                    if depth == 0 { return p + 1 }
                default: break
                }
                p += 1
            }
            return bytes.count
        default:
            var p = start
            while p < bytes.count {
                switch bytes[p] {
                case 32, 9, 10, 13, 44, 93, 125: return p
                default: p += 1
                }
            }
            return p
        }
    }

    /// The value of member `key` (unescaped) of the object at `object`, or nil.
    func member(_ key: StaticString, of object: Range<Int>) -> Range<Int>? {
        var p = skipSpace(object.lowerBound + 1)
        while p < object.upperBound, bytes[p] == 34 {
            let keyEnd = stringEnd(p)
            let isKey = matches(key, (p + 1)..<(keyEnd - 1))
            let valueStart = skipSpace(skipSpace(keyEnd) + 1)  // past ':'
            let end = valueEnd(valueStart)
            if isKey { return valueStart..<end }
            p = skipSpace(end)
            if p < object.upperBound && bytes[p] == 44 { p = skipSpace(p + 1) }
        }
        return nil
    }

    private func matches(_ key: StaticString, _ range: Range<Int>) -> Bool {
        guard range.lowerBound >= 0, range.count == key.utf8CodeUnitCount else { return false }
        let k = UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)
        return range.indices.allSatisfy { bytes[$0] == k[$0 - range.lowerBound] }
    }

    /// The element ranges of the array at `array`.
    func elements(of array: Range<Int>) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var p = skipSpace(array.lowerBound + 1)
        while p < array.upperBound - 1 {
            let end = valueEnd(p)
            out.append(p..<end)
            p = skipSpace(end)
            if p < array.upperBound && bytes[p] == 44 { p = skipSpace(p + 1) }
        }
        return out
    }

    /// The text of `range` without the white space outside its strings (one line).
    func compact(_ range: Range<Int>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(range.count)
        var p = range.lowerBound
        while p < range.upperBound {
            let b = bytes[p]
            if b == 34 {
                let end = min(stringEnd(p), range.upperBound)
                out.append(contentsOf: bytes[p..<end])
                p = end
                continue
            }
            if b != 32 && b != 9 && b != 10 && b != 13 { out.append(b) }
            p += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The 1-based line of `offset`, counting newlines once when offsets are
    /// asked for in increasing order.
    mutating func line(of offset: Int) -> Int {
        if offset < counted { return firstLine - 1 + SourcePosition.locate(offset: offset, in: bytes).line }
        if let base = bytes.baseAddress {
            var p = base + counted
            let stop = base + offset
            while p < stop, let nl = memchr(p, 10, stop - p) {
                line += 1
                p = UnsafeRawPointer(nl) + 1
            }
        }
        counted = offset
        return line
    }

    /// The line of `offset`, the offset its line starts at, and the line's text (for an error).
    mutating func position(of offset: Int) -> (line: Int, lineStart: Int, text: String) {
        let at = SourcePosition.locate(offset: offset, in: bytes)
        return (line(of: offset), offset - at.column + 1, at.lineText)
    }
}
