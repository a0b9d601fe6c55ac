/// The ids that correction events of a ledger correct (docs/FORMAT.md,
/// "Corrections"), as 64-bit id hashes (`IdSet.hash`, the hash lint and the
/// id index use). The scan engine excludes every event whose id is in the
/// set, whichever shard the correction sits in, and never hands a void to a
/// consumer: a void records no usage, and a replace counts as itself.
///
/// Nothing is ever restored by correcting a correction: a corrected event
/// stays excluded, and the correction of a correction takes its place.
public struct CorrectionSet: Sendable, Hashable {
    /// The corrected ids' hashes.
    public private(set) var targets: Set<UInt64>

    public static let none = CorrectionSet()

    public init<S: Sequence>(_ hashes: S) where S.Element == UInt64 { targets = Set(hashes) }
    public init() { targets = [] }

    @inline(__always) public var isEmpty: Bool { targets.isEmpty }
    @inline(__always) public func contains(_ hash: UInt64) -> Bool { targets.contains(hash) }

    /// A stable digest of the set, for cache keys ("" when empty).
    public var digest: String {
        if targets.isEmpty { return "" }
        var text = ""
        for h in targets.sorted() { text += String(h, radix: 16) + "," }
        let bytes = Array(text.utf8)
        let h = bytes.withUnsafeBytes { StringInterner.hash($0.baseAddress!, $0.count) }
        return "\(targets.count)-" + String(h, radix: 16)
    }

    /// This set plus `more`.
    public func union<S: Sequence>(_ more: S) -> CorrectionSet where S.Element == UInt64 {
        var copy = self
        copy.targets.formUnion(more)
        return copy
    }
}

extension LedgerScanner {
    /// The id of a line the scanner rejected, read leniently: the first
    /// `"id":"…"` on the line (a plain string without escapes), or nil. So a
    /// line that is not valid JSON (committed with `--no-verify`) can still be
    /// voided by its id.
    public func idOfRejectedLine(at start: Int) -> ByteSpan? {
        guard start < count else { return nil }
        let end = memchr(base + start, 10, count - start).map { base.distance(to: UnsafeRawPointer($0)) } ?? count
        let bytes = UnsafeRawBufferPointer(start: base, count: end)
        func skipBlanks(_ i: Int) -> Int {
            var i = i
            while i < end && (bytes[i] == 32 || bytes[i] == 9) { i += 1 }
            return i
        }
        var p = start
        while p + 4 <= end {
            guard let hit = memchr(base + p, 34, end - p) else { return nil }
            let q = base.distance(to: UnsafeRawPointer(hit))
            p = q + 1
            guard q + 4 <= end, bytes[q + 1] == 105, bytes[q + 2] == 100, bytes[q + 3] == 34 else { continue }  // "id"
            var v = skipBlanks(q + 4)
            guard v < end, bytes[v] == 58 else { continue }
            v = skipBlanks(v + 1)
            guard v < end, bytes[v] == 34 else { continue }
            var r = v + 1
            while r < end && bytes[r] != 34 && bytes[r] != 92 && bytes[r] >= 0x20 { r += 1 }
            guard r < end, bytes[r] == 34, r > v + 1 else { return nil }
            return ByteSpan(start: v + 1, count: r - v - 1, escaped: false)
        }
        return nil
    }
}
