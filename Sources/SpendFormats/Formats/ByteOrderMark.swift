/// The UTF-8 byte-order mark (`EF BB BF`, U+FEFF) that some editors and
/// Windows tools put at the start of a text file.
///
/// Input given to a command (standard input, a response or batch file) may
/// start with one: it is skipped there. A ledger shard may not: the tool
/// never edits a ledger line, so a committed BOM is reported as
/// `error[json]: byte order mark (U+FEFF) before the event` instead of
/// being silently read past or removed (docs/FORMAT.md).
public enum ByteOrderMark {
    /// `EF BB BF`.
    public static let bytes: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// True when `data` starts with the mark.
    public static func starts(_ data: some Collection<UInt8>) -> Bool {
        data.starts(with: bytes)
    }

    /// `data` without a leading mark (unchanged when it has none).
    public static func removingLeading(_ data: [UInt8]) -> [UInt8] {
        starts(data) ? Array(data.dropFirst(bytes.count)) : data
    }
}
