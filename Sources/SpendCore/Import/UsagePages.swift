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
    /// rejections of pages that could not be read. A page that is not JSON
    /// runs to the next line that starts with `{` or `[` (the next page of
    /// JSON Lines or of pretty-printed pages), where reading goes on.
    static func read(
        _ bytes: UnsafeRawBufferPointer, path: String, firstLine: Int, result body: (Result) -> Void
    ) -> [ImportRejection] {
        var reader = Reader(bytes: bytes, path: path, lines: LineCounter(bytes: bytes, firstLine: firstLine))
        var p = reader.tape.skipSpaceIn(bytes, 0)
        while p < bytes.count {
            let end: Int
            do throws(JSONTapeError) {
                end = try reader.tape.parse(bytes, from: p)
            } catch {
                let resume = nextPage(after: p, in: bytes)
                if reader.validate(p..<resume) { reader.reject(at: error.offset, "not a valid usage page: \(error.message)") }
                p = reader.tape.skipSpaceIn(bytes, resume)
                continue
            }
            if reader.validate(p..<end) {
                if bytes[p] == 91 {
                    // An array of pages (`jq -s`): each element is a page.
                    let pages = reader.tape.elements(0).map { reader.tape.nodes[$0].start..<reader.tape.nodes[$0].end }
                    for page in pages { reader.page(page, body) }
                } else {
                    reader.page(p..<end, body)
                }
            }
            p = reader.tape.skipSpaceIn(bytes, end)
        }
        return reader.rejections
    }

    /// The offset of the first line after `start`'s that starts with `{` or `[`, or the end.
    private static func nextPage(after start: Int, in bytes: UnsafeRawBufferPointer) -> Int {
        var p = start
        while p < bytes.count {
            if bytes[p] == 10, p + 1 < bytes.count, bytes[p + 1] == 123 || bytes[p + 1] == 91 { return p + 1 }
            p += 1
        }
        return bytes.count
    }

    /// The pages of one file read on one tape, and the rejections so far.
    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        let path: String
        var lines: LineCounter
        var tape = JSONTape()
        var rejections: [ImportRejection] = []

        init(bytes: UnsafeRawBufferPointer, path: String, lines: LineCounter) {
            self.bytes = bytes
            self.path = path
            self.lines = lines
        }

        /// A `json` rejection at `offset`: its line, with the column in the message.
        mutating func reject(at offset: Int, rule: Rule = .json, _ message: String) {
            let at = SourcePosition.locate(offset: offset, in: bytes)
            let origin = EventOrigin(path: path, line: lines.line(at: offset), sourceLine: at.lineText)
            rejections.append(ImportRejection(origin: origin, rule: rule, message: "\(message) (column \(at.column))"))
        }

        /// Checks `range` against the ledger's JSON rules; a problem is a rejection at its place.
        mutating func validate(_ range: Range<Int>) -> Bool {
            guard let problem = LedgerScanner.validateDocument(UnsafeRawBufferPointer(rebasing: bytes[range])) else { return true }
            reject(at: range.lowerBound + problem.offset, rule: problem.rule, "not a valid usage page: \(problem.message)")
            return false
        }

        /// The results of the page at `range` (already valid JSON).
        mutating func page(_ range: Range<Int>, _ body: (Result) -> Void) {
            let line = lines.line(at: range.lowerBound)
            let pageText = compact(range)
            func reject(_ message: String, rule: Rule = .importRecord) {
                rejections.append(ImportRejection(origin: EventOrigin(path: path, line: line, sourceLine: pageText), rule: rule, message: message))
            }
            guard let page = (try? JSONSerialization.jsonObject(with: Data(bytes[range]))) as? [String: Any] else {
                return reject("not a usage page: a page is a JSON object with a \"data\" array of buckets")
            }
            if let error = page["error"] as? [String: Any] {
                return reject("the page is an API error, not usage (\(error["message"] as? String ?? "no message")): it has no usage to record")
            }
            guard let buckets = page["data"] as? [[String: Any]] else {
                return reject("not a usage page: it has no \"data\" array of buckets")
            }
            // The original bytes of each bucket and of its results, in the same order.
            _ = try? tape.parse(bytes, from: range.lowerBound)
            func span(_ node: Int) -> Range<Int> { tape.nodes[node].start..<tape.nodes[node].end }
            let bucketNodes = tape.value(0, "data").map { tape.elements($0) } ?? []
            for (b, bucket) in buckets.enumerated() {
                guard let results = bucket["results"] as? [[String: Any]] else {
                    reject("bucket \(b + 1) of the page has no \"results\" array", rule: .schema)
                    continue
                }
                let bucketNode = b < bucketNodes.count ? bucketNodes[b] : nil
                let resultsNode = bucketNode.flatMap { tape.value($0, "results") }
                let resultNodes = resultsNode.map { tape.elements($0) } ?? []
                for (r, result) in results.enumerated() {
                    var origin = EventOrigin(path: path, line: line)
                    if let bucketNode, let resultsNode, resultNodes.count == results.count {
                        let bucketRange = span(bucketNode)
                        let resultsRange = span(resultsNode)
                        let resultRange = span(resultNodes[r])
                        origin.line = lines.line(at: resultRange.lowerBound)
                        // The bucket with this one result: `{"data":[{…,"results":[RESULT]…}]}`.
                        var text = "{\"data\":["
                        text += compact(bucketRange.lowerBound..<(resultsRange.lowerBound + 1))
                        text += compact(resultRange)
                        text += compact((resultsRange.upperBound - 1)..<bucketRange.upperBound)
                        text += "]}"
                        origin.sourceLine = text
                    } else {
                        origin.sourceLine = pageText
                    }
                    body(Result(bucket: bucket, result: result, origin: origin))
                }
            }
        }

        /// The text of `range` without the white space outside its strings (one line).
        func compact(_ range: Range<Int>) -> String {
            var out: [UInt8] = []
            out.reserveCapacity(range.count)
            var inString = false
            var p = range.lowerBound
            while p < range.upperBound {
                let b = bytes[p]
                if inString {
                    out.append(b)
                    if b == 92, p + 1 < range.upperBound {
                        out.append(bytes[p + 1])
                        p += 1
                    } else if b == 34 {
                        inString = false
                    }
                } else if b == 34 {
                    inString = true
                    out.append(b)
                } else if b != 32 && b != 9 && b != 10 && b != 13 {
                    out.append(b)
                }
                p += 1
            }
            return String(decoding: out, as: UTF8.self)
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
