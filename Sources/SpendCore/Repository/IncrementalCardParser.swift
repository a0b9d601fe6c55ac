/// Parses many versions of rate cards that share most of their `[[price]]`
/// blocks (a card's history): the header (provider, currency, aliases) is
/// parsed per version, each block once per distinct text. The result equals
/// `RateCardParser.parse` (locations included); anything unusual — a table
/// after the first `[[price]]`, a block that does not parse, two points with
/// the same model and effective — falls back to the full parse, so errors
/// are the parser's own.
final class IncrementalCardParser {
    private var blocks: [String: PricePoint] = [:]

    func parse(_ text: String, path: String, blobId: String?) throws(DiagnosticsError) -> RateCard {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var starts: [Int] = []
        for (i, line) in lines.enumerated() {
            let t = line.drop { $0 == " " || $0 == "\t" }
            if t.hasPrefix("[[price]]") {
                starts.append(i)
            } else if t.hasPrefix("["), !starts.isEmpty {
                return try RateCardParser.parse(text, path: path, blobId: blobId)
            }
        }
        guard !starts.isEmpty else { return try RateCardParser.parse(text, path: path, blobId: blobId) }
        let header: RateCard
        do {
            header = try RateCardParser.parse(lines[..<starts[0]].joined(separator: "\n"), path: path, blobId: blobId)
        } catch {
            return try RateCardParser.parse(text, path: path, blobId: blobId)
        }
        let prefix = "provider = \(JSONString.quoted(header.provider))\ncurrency = \(JSONString.quoted(header.currency))\n"
        var points: [PricePoint] = []
        var seen = Set<String>()
        for (k, start) in starts.enumerated() {
            let end = k + 1 < starts.count ? starts[k + 1] : lines.count
            let mini = prefix + lines[start..<end].joined(separator: "\n")
            var point: PricePoint
            if let known = blocks[mini] {
                point = known
            } else {
                guard let card = try? RateCardParser.parse(mini, path: path), card.points.count == 1 else {
                    return try RateCardParser.parse(text, path: path, blobId: blobId)
                }
                point = card.points[0]
                blocks[mini] = point
            }
            // The block's first line is line 3 of `mini` and line `start + 1` of the card.
            point.location = SourceLocation(path: path, line: point.location.line - 2 + start)
            guard seen.insert(point.model + "\u{0}" + String(point.effective)).inserted else {
                return try RateCardParser.parse(text, path: path, blobId: blobId)
            }
            points.append(point)
        }
        return RateCard(
            provider: header.provider, currency: header.currency, path: path, blobId: blobId, aliases: header.aliases, points: points)
    }
}
