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

    /// How the pipeline cuts a file into pieces for `convert`, given the
    /// file's first bytes (up to 64 KiB). Default: `.wholeFile`.
    func framing(start: UnsafeRawBufferPointer) -> ImportFraming
}

extension ImportSource {
    public func framing(start: UnsafeRawBufferPointer) -> ImportFraming { .wholeFile }
}

/// How a file is cut into pieces of whole records, so that a large file is
/// streamed (and converted in parallel) instead of held.
public enum ImportFraming: Sendable, Equatable {
    /// One piece: the whole file (small exports, sources that cannot be split).
    case wholeFile
    /// Pieces of whole lines (JSON Lines).
    case lines
    /// A JSON array cut just before the commas between its top-level
    /// elements: the first piece starts with the opening `[`, every later
    /// piece with a comma, and the last one holds the closing `]`.
    case jsonArray
    /// CSV cut after whole rows (a newline inside quotes is not a row end);
    /// every piece starts with the header row, and `firstLine` is the
    /// header's line as if it stood just before the piece's rows.
    case csvRows
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

/// Deterministic event ids for imported records: the same source record
/// always gets the same id, so importing a file twice (or two overlapping
/// exports) adds nothing the second time.
public enum ImportID {
    /// `SOURCE:KEY` for a record with a natural id (a request id, a
    /// trace/span pair), e.g. `litellm:chatcmpl-123`.
    public static func natural(_ source: String, _ key: String) -> String { "\(source):\(key)" }

    /// `SOURCE:` + 32 hex digits of a stable 128-bit hash (two FNV-1a
    /// 64-bit lanes) of the parts, for aggregated records that have no id
    /// of their own (a usage bucket: its start, end and grouping values).
    /// Stable across runs, machines and Swift versions (no `Hasher`).
    public static func hashed(_ source: String, _ parts: [String]) -> String {
        var a: UInt64 = 0xcbf2_9ce4_8422_2325
        var b: UInt64 = 0x6c62_272e_07bb_0142
        for part in parts {
            for byte in part.utf8 {
                a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
                b = (b ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
                b = b &+ (b << 7)
            }
            // A separator no text contains, so ["ab","c"] and ["a","bc"] differ.
            a = (a ^ 0xff) &* 0x0000_0100_0000_01b3
            b = (b ^ 0xfe) &* 0x0000_0100_0000_01b3
        }
        func hex(_ v: UInt64) -> String {
            let s = String(v, radix: 16)
            return String(repeating: "0", count: 16 - s.count) + s
        }
        return "\(source):\(hex(a))\(hex(b))"
    }
}

/// Token arithmetic the sources share.
public enum ImportCounts {
    /// The uncached part of an input count that includes its cache reads and
    /// cache writes (OTel's `gen_ai.usage.input_tokens`, LiteLLM's
    /// `prompt_tokens`, a CSV with `input_includes_cached`): the total less
    /// the parts, or nil when the parts exceed it (or their sum overflows).
    public static func uncachedInput(_ total: Int64, including parts: [Int64]) -> Int64? {
        var included: Int64 = 0
        for part in parts {
            let (sum, overflow) = included.addingReportingOverflow(part)
            guard !overflow, part >= 0 else { return nil }
            included = sum
        }
        return included <= total ? total - included : nil
    }
}
