import Foundation

/// An input record refused while the rest of its batch went on
/// (`--reject-file`): where it was, why, and its original text.
public struct RejectedRecord: Sendable {
    /// The file (or `<stdin>`) and line of the record.
    public var origin: EventOrigin
    /// Every problem found with it, the first one first.
    public var diagnostics: [Diagnostic]
    /// The record as it was read (one line of JSON Lines, a span, a CSV row).
    public var input: String

    public init(origin: EventOrigin, diagnostics: [Diagnostic], input: String) {
        self.origin = origin
        self.diagnostics = diagnostics
        self.input = input
    }

    /// The first problem's rule.
    public var rule: Rule { diagnostics.first?.rule ?? .schema }

    /// Every problem's message, joined with `; `.
    public var message: String { diagnostics.map(\.message).joined(separator: "; ") }
}

/// The reject file: one JSON line per refused record,
/// `{"path":"<stdin>","line":3,"error":"…","rule":"…","input":…}`, where
/// `input` is the record itself when it is JSON (on one line) and a JSON
/// string of its text otherwise. Written whole, after the ledger write.
public enum RejectFile {
    /// The file's bytes for `records`, in input order.
    public static func encode(_ records: [RejectedRecord]) -> [UInt8] {
        var w = JSONWriter(out: [])
        for record in records {
            w.raw("{\"path\":")
            w.string(record.origin.path)
            w.raw(",\"line\":")
            if let line = record.origin.line { w.integer(Int64(line)) } else { w.raw("null") }
            w.raw(",\"error\":")
            w.string(record.message)
            w.raw(",\"rule\":")
            w.string(record.rule.id)
            w.raw(",\"input\":")
            appendInput(record.input, to: &w.out)
            w.raw("}\n")
        }
        return w.out
    }

    /// `text` as it is when it is one valid JSON value (newlines, which a
    /// valid value has only as whitespace, become spaces), else as a string.
    static func appendInput(_ text: String, to out: inout [UInt8]) {
        var bytes = Array(text.utf8)
        while let last = bytes.last, last == 32 || last == 9 || last == 10 || last == 13 { bytes.removeLast() }
        let valid = !bytes.isEmpty && bytes.withUnsafeBytes { LedgerScanner.validateDocument($0) } == nil
        if valid {
            var start = 0
            while start < bytes.count && (bytes[start] == 32 || bytes[start] == 9 || bytes[start] == 10 || bytes[start] == 13) { start += 1 }
            for b in bytes[start...] { out.append(b == 10 || b == 13 ? 32 : b) }
        } else {
            var w = JSONWriter(out: out)
            out = []
            w.string(text)
            out = w.out
        }
    }

    /// Replaces the file at `path` with `records` (an empty file when there
    /// are none), through a temporary file renamed over it, so that a reader
    /// never sees half of it.
    public static func write(_ records: [RejectedRecord], to path: String) throws(SpendError) {
        let bytes = encode(records)
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SpendError.usage("cannot write \(path): \(String(cString: strerror(errno)))") }
        let failure = ShardWriter.writeAll(fd, bytes)
        close(fd)
        if let failure {
            unlink(temporary)
            throw SpendError.usage("cannot write \(path): \(failure)")
        }
        if rename(temporary, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw SpendError.usage("cannot write \(path): \(reason)")
        }
    }
}
