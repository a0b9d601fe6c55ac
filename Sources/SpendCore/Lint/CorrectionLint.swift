/// `correction-target` and `correction-twice` for the corrections on new
/// lines: each must correct an event of the ledger (any shard, any line,
/// old or new; a line too broken to scan counts by the id written on it),
/// and no id may be corrected twice (the first correction in ledger order
/// stands; correcting a correction is fine). The whole target ledger is read
/// through `CorrectionSurvey`, and only when new lines hold corrections, so
/// a ledger without them costs nothing. (`correction-reason` is an event
/// check: `EventChecker`.)
enum CorrectionLint {
    static func findings(_ scanned: ScannedLedger, target: LintTree, workspace: LintWorkspace) throws(SpendError) -> [Diagnostic] {
        var news: [(chunk: Int, id: SeenId)] = []
        for (c, outcome) in scanned.outcomes.enumerated() { news += outcome.newCorrections.map { (c, $0) } }
        if news.isEmpty { return [] }
        let survey = CorrectionSurvey(LedgerReader.chunks(try workspace.buffers(target.shards)), wanted: Set(news.map(\.id.hash)))
        var out: [Diagnostic] = []
        for (c, seen) in news {
            let chunk = scanned.chunks[c]
            let bytes = chunk.buffer.bytes
            var scanner = LedgerScanner(buffer: bytes, range: seen.lineStart..<bytes.count)
            var e = EventRecord()
            guard (try? scanner.next(into: &e)) == true, let target = scanner.string(e.corrects) else { continue }
            let place = CorrectionSurvey.Place(path: chunk.path, line: scanned.linesBefore[c] + Int(seen.relLine) + 1)
            let problem: (rule: Rule, message: String)?
            if let first = survey.corrections[seen.hash]?.first, first.place != place {
                // Another correction came first: ask the rules about the ledger before this line.
                var before = survey
                before.corrections[seen.hash] = [first]
                problem = CorrectionRules.problem(correcting: target, in: before)
            } else {
                var before = survey
                before.corrections[seen.hash] = nil
                problem = CorrectionRules.problem(correcting: target, in: before)
            }
            guard let problem else { continue }
            out.append(
                Diagnostic(
                    path: chunk.path, line: place.line, column: e.corrects.start - 1 - seen.lineStart + 1, rule: problem.rule,
                    message: problem.message, sourceLine: LedgerLint.lineText(bytes, from: seen.lineStart)))
        }
        return out
    }
}
