/// One format `spend import SOURCE FILE…` reads (OpenAI or Anthropic usage
/// exports, OTLP/JSON traces, LiteLLM spend logs, a mapped CSV). A source
/// only converts: it turns the records of a piece of a file into event
/// drafts with deterministic ids, and every record it cannot convert into a
/// rejection. Pricing, validation, duplicate ids, `--dry-run`,
/// `--reject-file` and the locked write are the import pipeline's, the same
/// for every source (and the same append path `spend append` uses).
public protocol ImportSource: Sendable {
    /// The name on the command line (`otel`, `litellm`, `openai-usage`, …).
    var name: String { get }

    /// Converts the records in `bytes`, a piece of the file at `path` made of
    /// whole records (the whole file for sources that cannot be split; one
    /// or more whole lines for line-oriented ones). `firstLine` is the
    /// 1-based line of the piece's first byte in the file, for origins.
    func convert(_ bytes: UnsafeRawBufferPointer, path: String, firstLine: Int) -> ImportedRecords
}

/// What a source made of a piece of a file.
public struct ImportedRecords: Sendable {
    /// One draft per converted record, in file order. Each has `hasId`
    /// (an id derived from the source record, so a re-import finds it
    /// already present) and `hasTimestamp` set; its origin names the file
    /// and line (or record index) and holds the record's text.
    public var drafts: [EventDraft] = []
    /// Records that could not be converted, in file order.
    public var rejected: [ImportRejection] = []
    /// Records read (converted + rejected + skipped by design, e.g. spans
    /// that are not GenAI calls).
    public var records = 0

    public init(drafts: [EventDraft] = [], rejected: [ImportRejection] = [], records: Int = 0) {
        self.drafts = drafts
        self.rejected = rejected
        self.records = records
    }
}

/// A source record that could not become an event: where it is, why, and
/// its original text (what `--reject-file` writes back).
public struct ImportRejection: Sendable {
    public var origin: EventOrigin
    public var rule: Rule
    public var message: String

    public init(origin: EventOrigin, rule: Rule, message: String) {
        self.origin = origin
        self.rule = rule
        self.message = message
    }
}
