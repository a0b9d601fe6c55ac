import Foundation

/// Why one source record cannot become an event (a rejection without its origin yet).
struct RecordProblem: Error {
    var rule: Rule
    var message: String

    init(_ rule: Rule, _ message: String) {
        self.rule = rule
        self.message = message
    }

    func rejection(at origin: EventOrigin) -> ImportRejection { ImportRejection(origin: origin, rule: rule, message: message) }
}

/// Field readers for the usage sources' parsed JSON records, with the
/// messages `spend append` gives for provider bodies (`ProviderResponse.count`).
enum UsageRecord {
    /// A non-negative integer at `key` of `object` (`at` names the object in
    /// messages); with `optional`, absent or null is 0.
    static func count(_ object: [String: Any], _ key: String, _ at: String, optional: Bool = false) throws(RecordProblem) -> Int64 {
        if optional && (object[key] == nil || object[key] is NSNull) { return 0 }
        do {
            return try ProviderResponse.count(object, key, at) { DiagnosticsError([Diagnostic(path: "", rule: .schema, message: $0)]) }
        } catch {
            throw RecordProblem(.schema, error.diagnostics.first?.message ?? "\(at).\(key) must be a non-negative integer")
        }
    }

    /// A non-empty string at `key`, or nil when absent, null or empty.
    static func string(_ object: [String: Any], _ key: String) -> String? {
        guard let s = object[key] as? String, !s.isEmpty else { return nil }
        return s
    }

    /// `a + b + …`, or an `overflow` problem naming `what`.
    static func sum(_ counts: [Int64], _ what: String) throws(RecordProblem) -> Int64 {
        var total: Int64 = 0
        for c in counts {
            let (s, o) = total.addingReportingOverflow(c)
            guard !o else { throw RecordProblem(.overflow, "\(what) do not fit in a 64-bit count") }
            total = s
        }
        return total
    }

    /// Converts every result of the pages in `bytes` with `convert`; each
    /// record that throws is a rejection at its origin, and a `nil` draft is a
    /// record skipped by design.
    static func convertPages(
        _ bytes: UnsafeRawBufferPointer, path: String, firstLine: Int,
        _ convert: (UsagePages.Result) throws(RecordProblem) -> EventDraft?
    ) -> ImportedRecords {
        var out = ImportedRecords()
        var rejected: [ImportRejection] = []
        let pageProblems = UsagePages.read(bytes, path: path, firstLine: firstLine) { result in
            out.records += 1
            do throws(RecordProblem) {
                if let draft = try convert(result) { out.drafts.append(draft) }
            } catch {
                rejected.append(error.rejection(at: result.origin))
            }
        }
        out.records += pageProblems.count
        // In file order (a stable sort by line keeps records of one line in order).
        out.rejected = (rejected + pageProblems).enumerated()
            .sorted { ($0.element.origin.line ?? 0, $0.offset) < ($1.element.origin.line ?? 0, $1.offset) }
            .map(\.element)
        return out
    }
}

/// A source of usage-report pages (`openai-usage`, `anthropic-usage`): it
/// only turns one bucket result into a draft; reading the pages is shared.
protocol UsageReportSource: ImportSource {
    /// The draft of one bucket result, nil for a result skipped by design
    /// (an empty group), or the problem that rejects it.
    func draft(_ record: UsagePages.Result) throws(RecordProblem) -> EventDraft?
}

extension UsageReportSource {
    public func convert(_ bytes: UnsafeRawBufferPointer, path: String, firstLine: Int) -> ImportedRecords {
        UsageRecord.convertPages(bytes, path: path, firstLine: firstLine) { (record) throws(RecordProblem) -> EventDraft? in
            try draft(record)
        }
    }
}
