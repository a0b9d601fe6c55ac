import Foundation
import Synchronization

/// Every id of one shard, for the exact duplicate check of an append whose
/// ids the shard's `IdIndex` (hashes only) cannot rule out — typically a
/// re-import, where every id is present.
///
/// The shard is mapped and read in parallel, one piece of whole lines per
/// worker (`LedgerScanner`, so an id is found wherever its key stands on
/// the line); the table keeps each id's hash and where its bytes lie in the
/// mapping, and an open-addressing table over the hashes. A lookup compares
/// the bytes of the ids whose hash matches (a 64-bit collision is not a
/// duplicate), without a `String` per id of the shard.
///
/// A table is kept for reuse while its shard is unchanged (same file, size
/// and modification time): an import larger than its memory budget writes
/// in several appends, and each would otherwise read the shard again.
final class ShardIdTable: @unchecked Sendable {
    // Safety contract: every stored property is written in `init` only;
    // afterwards the table is read-only, so threads may share it.

    /// The mapping the id bytes point into (kept alive with the table).
    private let file: MappedFile
    /// One entry per id line: the id's hash and its raw bytes' offset and
    /// length in the mapping; an id written with escapes has offset -1 and
    /// its decoded text in `escaped`.
    private let hashes: [UInt64]
    private let offsets: [Int]
    private let lengths: [Int32]
    private let escaped: [Int: String]
    /// Open addressing over the entries (entry index, or -1 when free).
    private let slots: [Int32]

    /// The identity of the shard the table was read from.
    struct Identity: Equatable {
        var device: UInt64
        var inode: UInt64
        var size: Int
        var modified: Int64
    }

    let identity: Identity

    /// The number of ids in the table.
    var count: Int { hashes.count }

    /// Reads the ids in the first `size` bytes of the shard at `absolute`.
    init(absolute: String, size: Int, identity: Identity) throws(IOError) {
        self.identity = identity
        file = try MappedFile(path: absolute)
        let bytes = UnsafeRawBufferPointer(rebasing: file.unsafeBytes[0..<min(size, file.count)])
        let pieces = Self.pieces(of: bytes, count: max(1, ProcessInfo.processInfo.activeProcessorCount * 4))
        let shared = UncheckedSendable(bytes)  // read-only: every worker scans its own range of the mapping
        let found = parallelMap(pieces.count) { k in Self.scan(shared.value, pieces[k]) }
        var hashes: [UInt64] = []
        var offsets: [Int] = []
        var lengths: [Int32] = []
        var escaped: [Int: String] = [:]
        let total = found.reduce(0) { $0 + $1.hashes.count }
        hashes.reserveCapacity(total)
        offsets.reserveCapacity(total)
        lengths.reserveCapacity(total)
        for piece in found {
            for (k, text) in piece.escaped { escaped[hashes.count + k] = text }
            hashes += piece.hashes
            offsets += piece.offsets
            lengths += piece.lengths
        }
        var capacity = 16
        while capacity < total * 2 { capacity <<= 1 }
        var slots = [Int32](repeating: -1, count: capacity)
        let mask = capacity - 1
        for i in 0..<total {
            var slot = Int(truncatingIfNeeded: hashes[i]) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(i)
        }
        (self.hashes, self.offsets, self.lengths, self.escaped, self.slots) = (hashes, offsets, lengths, escaped, slots)
    }

    /// True when the shard has a line whose id is `id` (`hash` is `IdIndex.hash(id)`).
    func contains(_ id: String, hash: UInt64) -> Bool {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        var text = id
        return text.withUTF8 { wanted in
            while slots[slot] >= 0 {
                let i = Int(slots[slot])
                if hashes[i] == hash {
                    if offsets[i] < 0 {
                        if escaped[i] == id { return true }
                    } else if Int(lengths[i]) == wanted.count
                        && (wanted.isEmpty || memcmp(file.unsafeBytes.baseAddress! + offsets[i], wanted.baseAddress!, wanted.count) == 0)
                    {
                        return true
                    }
                }
                slot = (slot + 1) & mask
            }
            return false
        }
    }

    /// The ids found in one piece of the shard.
    private struct Found {
        var hashes: [UInt64] = []
        var offsets: [Int] = []
        var lengths: [Int32] = []
        /// Decoded ids written with escapes, by their index in this piece.
        var escaped: [Int: String] = [:]
    }

    /// Cuts `bytes` into about `count` ranges of whole lines.
    static func pieces(of bytes: UnsafeRawBufferPointer, count: Int) -> [Range<Int>] {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return [] }
        var ranges: [Range<Int>] = []
        var start = 0
        let step = max(1 << 16, bytes.count / count)
        while start < bytes.count {
            var end = min(bytes.count, start + step)
            if end < bytes.count {
                end = memchr(base + end, 10, bytes.count - end).map { UnsafeRawPointer($0) - UnsafeRawPointer(base) + 1 } ?? bytes.count
            }
            ranges.append(start..<end)
            start = end
        }
        return ranges
    }

    /// Reads the ids of the lines in `range` (a line that does not scan is skipped, as the full scan did).
    private static func scan(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Found {
        var found = Found()
        var scanner = LedgerScanner(buffer: bytes, range: range)
        var record = EventRecord()
        while true {
            do throws(LedgerScanError) {
                guard try scanner.next(into: &record) else { break }
                let span = record.id
                guard span.start >= 0 else { continue }
                if span.escaped {
                    guard let text = scanner.string(span) else { continue }
                    found.escaped[found.hashes.count] = text
                    found.hashes.append(IdIndex.hash(text))
                    found.offsets.append(-1)
                    found.lengths.append(0)
                } else {
                    found.hashes.append(IdIndex.hash(scanner.base + span.start, span.count))
                    found.offsets.append(span.start)
                    found.lengths.append(Int32(clamping: span.count))
                }
            } catch {
                scanner.skipLine()
            }
        }
        return found
    }

    // MARK: Reuse

    /// The tables read most recently, by shard path (a few: an import spans few months).
    private static let recent = Mutex<[String: ShardIdTable]>([:])

    /// The table of the shard at `absolute`, open as `fd` with `size` bytes:
    /// the one kept from an earlier append when the shard is unchanged, else read now.
    static func table(absolute: String, fd: Int32, size: Int) throws(IOError) -> ShardIdTable {
        var info = stat()
        fstat(fd, &info)
        let identity = Identity(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: size,
            modified: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec))
        if let kept = recent.withLock({ $0[absolute] }), kept.identity == identity { return kept }
        let table = try ShardIdTable(absolute: absolute, size: size, identity: identity)
        recent.withLock { recent in
            if recent.count >= 4 { recent.removeAll() }
            recent[absolute] = table
        }
        return table
    }
}
