import Foundation
import Synchronization

/// Every id of one shard, for the exact duplicate check of an append whose
/// ids the shard's `IdIndex` (hashes only) cannot rule out — typically a
/// re-import, where every id is present.
///
/// The shard is mapped and read in parallel, one piece of whole lines per
/// worker (`LedgerScanner`, so an id is found wherever its key stands on
/// the line); the table keeps each id's hash and its decoded bytes in one
/// arena (the mapping is let go: the table holds the ids, not the shard),
/// and an open-addressing table over the hashes. A lookup compares the
/// bytes of the ids whose hash matches (a 64-bit collision is not a
/// duplicate), without a `String` per id of the shard.
///
/// A table is kept for reuse while its shard is unchanged (same file, size
/// and modification time), and a writer that appends to the shard extends
/// it with the ids it wrote: an import larger than its memory budget writes
/// in several appends, and each would otherwise read the shard again.
final class ShardIdTable: @unchecked Sendable {
    // Safety contract: every stored property is written in `init` only;
    // afterwards the table is read-only, so threads may share it.

    /// The ids' decoded bytes, one after another.
    private let arena: [UInt8]
    /// One entry per id line: the id's hash, and where its bytes start in
    /// `arena` (entry `i` ends where entry `i + 1` starts).
    private let hashes: [UInt64]
    private let starts: [Int]
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
    convenience init(absolute: String, size: Int, identity: Identity) throws(IOError) {
        let file = try MappedFile(path: absolute)
        let found: [Found] = file.withBytes { mapped in
            let bytes = UnsafeRawBufferPointer(rebasing: mapped[0..<min(size, mapped.count)])
            // Pieces of about 8 MiB (at least four per core), each let go once read:
            // the shard's pages are not all held at once.
            let pieces = Self.pieces(of: bytes, count: max(ProcessInfo.processInfo.activeProcessorCount * 4, bytes.count >> 23))
            let shared = UncheckedSendable(bytes)  // read-only: every worker scans its own range of the mapping
            return parallelMap(pieces.count) { k in
                let found = Self.scan(shared.value, pieces[k])
                Self.release(shared.value, pieces[k])
                return found
            }
        }
        var arena: [UInt8] = []
        var hashes: [UInt64] = []
        var starts: [Int] = []
        let total = found.reduce(0) { $0 + $1.hashes.count }
        arena.reserveCapacity(found.reduce(0) { $0 + $1.arena.count })
        hashes.reserveCapacity(total)
        starts.reserveCapacity(total + 1)
        for piece in found {
            let base = arena.count
            arena += piece.arena
            hashes += piece.hashes
            starts += piece.starts.map { $0 + base }
        }
        starts.append(arena.count)
        self.init(arena: arena, hashes: hashes, starts: starts, identity: identity)
        Self.reads.add(1, ordering: .relaxed)
    }

    /// A table of the ids in `arena` (id `i` is `arena[starts[i]..<starts[i + 1]]`, its hash `hashes[i]`).
    private init(arena: [UInt8], hashes: [UInt64], starts: [Int], identity: Identity) {
        self.identity = identity
        let total = hashes.count
        var capacity = 16
        while capacity < total * 2 { capacity <<= 1 }
        var slots = [Int32](repeating: -1, count: capacity)
        let mask = capacity - 1
        for i in 0..<total {
            var slot = Int(truncatingIfNeeded: hashes[i]) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(i)
        }
        (self.arena, self.hashes, self.starts, self.slots) = (arena, hashes, starts, slots)
    }

    /// This table with the ids a writer just appended to its shard (now
    /// `identity`): the next part of an import finds them without reading the shard again.
    func adding(_ ids: [(id: String, hash: UInt64)], identity: Identity) -> ShardIdTable {
        var arena = self.arena
        var hashes = self.hashes
        var starts = self.starts
        starts.removeLast()
        for (id, hash) in ids {
            starts.append(arena.count)
            arena += id.utf8
            hashes.append(hash)
        }
        starts.append(arena.count)
        return ShardIdTable(arena: arena, hashes: hashes, starts: starts, identity: identity)
    }

    /// True when the shard has a line whose id is `id` (`hash` is `IdIndex.hash(id)`).
    func contains(_ id: String, hash: UInt64) -> Bool {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        var text = id
        return text.withUTF8 { wanted in
            arena.withUnsafeBytes { arena in
                while slots[slot] >= 0 {
                    let i = Int(slots[slot])
                    if hashes[i] == hash && starts[i + 1] - starts[i] == wanted.count
                        && (wanted.isEmpty || memcmp(arena.baseAddress! + starts[i], wanted.baseAddress!, wanted.count) == 0)
                    {
                        return true
                    }
                    slot = (slot + 1) & mask
                }
                return false
            }
        }
    }

    /// The ids found in one piece of the shard.
    private struct Found {
        var arena: [UInt8] = []
        var hashes: [UInt64] = []
        /// Where each id starts in `arena`.
        var starts: [Int] = []
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

    /// Drops the mapped pages of `range` from memory (they are read from the
    /// page cache again if touched: a neighbour's piece sharing a page stays correct).
    private static func release(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) {
        guard let base = bytes.baseAddress else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = UInt(bitPattern: base + range.lowerBound) & ~UInt(page - 1)
        let end = UInt(bitPattern: base + range.upperBound)
        guard end > start else { return }
        _ = madvise(UnsafeMutableRawPointer(bitPattern: start), Int(end - start), MADV_DONTNEED)
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
                found.starts.append(found.arena.count)
                if span.escaped {
                    guard let text = scanner.string(span) else {
                        found.starts.removeLast()
                        continue
                    }
                    found.arena += text.utf8
                    found.hashes.append(IdIndex.hash(text))
                } else {
                    found.arena.append(contentsOf: scanner.bytes(span))
                    found.hashes.append(IdIndex.hash(scanner.base + span.start, span.count))
                }
            } catch {
                scanner.skipLine()
            }
        }
        return found
    }

    // MARK: Reuse

    /// How many tables were read from a shard (not kept or extended): for tests.
    static let reads = Atomic<Int>(0)

    /// The table an earlier append read (or extended) of the shard at
    /// `absolute`, if the shard is `identity` still; nil otherwise.
    static func kept(absolute: String, identity: Identity) -> ShardIdTable? {
        recent.withLock { $0[absolute] }.flatMap { $0.identity == identity ? $0 : nil }
    }

    /// Keeps `table` as the one of the shard at `absolute`.
    static func keep(_ table: ShardIdTable, absolute: String) {
        recent.withLock { recent in
            if recent.count >= 4 && recent[absolute] == nil { recent.removeAll() }
            recent[absolute] = table
        }
    }

    /// The identity of the shard open as `fd`, of `size` bytes.
    static func identity(fd: Int32, size: Int) -> Identity {
        var info = stat()
        fstat(fd, &info)
        return identity(info, size: size)
    }

    /// The identity of a shard of `size` bytes whose `stat` is `info`.
    static func identity(_ info: stat, size: Int) -> Identity {
        Identity(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: size,
            modified: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec))
    }

    /// The tables read most recently, by shard path (a few: an import spans few months).
    private static let recent = Mutex<[String: ShardIdTable]>([:])

    /// The table of the shard at `absolute` (now `identity`): the one kept
    /// from an earlier append when the shard is unchanged, else read now.
    static func table(absolute: String, identity: Identity) throws(IOError) -> ShardIdTable {
        if let kept = kept(absolute: absolute, identity: identity) { return kept }
        let table = try ShardIdTable(absolute: absolute, size: identity.size, identity: identity)
        keep(table, absolute: absolute)
        return table
    }
}
