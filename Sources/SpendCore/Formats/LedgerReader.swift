#if canImport(Glibc)
    import Glibc
#endif

/// The bytes of one shard, kept alive while workers read them.
///
/// `@unchecked Sendable`, safe because nothing in it ever changes after
/// `init`: every stored property is a `let`, and the bytes behind `bytes`
/// are never written (a `PROT_READ` map held by `mapped`, or a copy made in
/// `init` and freed only in `deinit`, when no worker holds the buffer any
/// more). `bytes` is valid while the `ShardBuffer` is alive: readers hold the
/// buffer (a `LedgerChunk` does) for as long as they read.
public final class ShardBuffer: @unchecked Sendable {
    public let shard: LedgerShard
    public let bytes: UnsafeRawBufferPointer
    private let mapped: MappedFile?
    private let owned: UnsafeMutableRawBufferPointer?

    init(shard: LedgerShard, mapped: MappedFile) {
        self.shard = shard
        self.mapped = mapped
        self.owned = nil
        self.bytes = mapped.unsafeBytes
    }

    init(shard: LedgerShard, copying source: UnsafeRawBufferPointer) {
        self.shard = shard
        self.mapped = nil
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(source.count, 1), alignment: 16)
        if source.count > 0 { buffer.copyMemory(from: source) }
        self.owned = buffer
        self.bytes = UnsafeRawBufferPointer(start: buffer.baseAddress, count: source.count)
    }

    deinit { owned?.deallocate() }
}

/// A slice of a shard that one worker scans: whole lines only.
public struct LedgerChunk: Sendable {
    public let buffer: ShardBuffer
    /// Byte range in `buffer.bytes`, starting at a line start and ending after a newline (or at the end).
    public let range: Range<Int>

    /// The repository-relative path of the shard.
    public var path: String { buffer.shard.path }

    /// A diagnostic at a byte offset of the shard, with line, column and source line.
    public func diagnostic(at offset: Int, rule: Rule, message: String, severity: Diagnostic.Severity? = nil) -> Diagnostic {
        let (line, column, text) = SourcePosition.locate(offset: offset, in: buffer.bytes)
        return Diagnostic(path: path, line: line, column: column, severity: severity, rule: rule, message: message, sourceLine: text)
    }
}

/// Locates the diagnostics of one chunk, whose offsets come in increasing
/// order: the line count at the chunk's start is taken once (memchr), then
/// each diagnostic only counts the lines since the previous one. Many errors
/// in a large shard cost one pass over it, not one pass per error.
public struct ChunkLocator {
    public let chunk: LedgerChunk
    private var line = 0
    private var position = -1
    private var lineStart = 0

    public init(_ chunk: LedgerChunk) { self.chunk = chunk }

    /// A diagnostic at `offset` (not before the previous one's), with line, column and source line.
    public mutating func diagnostic(at offset: Int, rule: Rule, message: String, severity: Diagnostic.Severity? = nil) -> Diagnostic {
        let bytes = chunk.buffer.bytes
        guard let base = bytes.baseAddress, offset <= bytes.count else {
            return chunk.diagnostic(at: offset, rule: rule, message: message, severity: severity)
        }
        if position < 0 || offset < position {
            (line, position, lineStart) = (1, 0, 0)
            // Fall through to count from the start of the shard.
        }
        var p = base + position
        let stop = base + offset
        while p < stop, let nl = memchr(p, 10, stop - p) {
            line += 1
            p = UnsafeRawPointer(nl) + 1
            lineStart = base.distance(to: p)
        }
        position = offset
        var lineEnd = lineStart
        if let nl = memchr(base + lineStart, 10, bytes.count - lineStart) {
            lineEnd = base.distance(to: UnsafeRawPointer(nl))
        } else {
            lineEnd = bytes.count
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[lineStart..<lineEnd]), as: UTF8.self)
        return Diagnostic(
            path: chunk.path, line: line, column: offset - lineStart + 1, severity: severity, rule: rule, message: message, sourceLine: text)
    }
}

/// Loads a snapshot's shards and runs work over them in parallel, one chunk
/// of whole lines per task, on all cores.
public enum LedgerReader {
    /// Chunks of about this many bytes keep both cores busy on few shards.
    public static let chunkSize = 8 << 20

    /// At most about this many bytes of git blob content are held in memory
    /// at once by `mapChunks` (mapped files do not count: the kernel pages them).
    public static let blobBudget = 1 << 30

    /// Maps (or, for git blobs, reads) every shard. A blob that a clean
    /// working-tree file holds (git's stat check against the index) is
    /// mapped from that file instead of inflated from the object database.
    public static func load(_ snapshot: Snapshot, shards: [LedgerShard]? = nil) throws(SpendError) -> [ShardBuffer] {
        let list = shards ?? snapshot.shards
        return try load(snapshot, Array(zip(list, cleanFiles(snapshot, list))))
    }

    /// Runs `work` on every chunk of `shards` (default: the snapshot's) in
    /// parallel on all cores; returns each chunk's result with the index of
    /// its shard, in chunk order. Blob content is read in batches of about
    /// `budget` bytes, each released before the next is read, so a large
    /// revision is never in memory whole.
    public static func mapChunks<T>(
        _ snapshot: Snapshot, shards: [LedgerShard]? = nil, budget: Int = blobBudget, _ work: @Sendable (LedgerChunk) -> T
    ) throws(SpendError) -> [(shard: Int, result: T)] {
        let list = shards ?? snapshot.shards
        let clean = cleanFiles(snapshot, list)
        let repo = list.contains(where: \.isBlob) ? (try? snapshot.repository.git())?.0 : nil
        var out: [(shard: Int, result: T)] = []
        var start = 0
        while start < list.count {
            // The next batch: shards up to the budget (at least one).
            var end = start
            var bytes = 0
            while end < list.count {
                var size = 0
                if case .blob(let id) = list[end].content, clean[end] == nil { size = repo?.objectSize(id) ?? budget }
                if end > start && bytes + size > budget { break }
                bytes += size
                end += 1
            }
            let buffers = try load(snapshot, Array(zip(list[start..<end], clean[start..<end])))
            var shardOf: [ObjectIdentifier: Int] = [:]
            for (k, buffer) in buffers.enumerated() { shardOf[ObjectIdentifier(buffer)] = start + k }
            let chunks = Self.chunks(buffers)
            for (chunk, result) in zip(chunks, map(chunks, work)) { out.append((shardOf[ObjectIdentifier(chunk.buffer)]!, result)) }
            start = end
        }
        return out
    }

    /// Per shard, the clean working-tree file that holds its blob, if any.
    static func cleanFiles(_ snapshot: Snapshot, _ list: [LedgerShard]) -> [MappedFile?] {
        var clean = [MappedFile?](repeating: nil, count: list.count)
        if list.contains(where: \.isBlob), let files = CleanLedgerFiles(snapshot.repository) {
            for (i, shard) in list.enumerated() {
                if case .blob(let id) = shard.content { clean[i] = files.mapped(blob: id) }
            }
        }
        return clean
    }

    private static func load(_ snapshot: Snapshot, _ list: [(LedgerShard, MappedFile?)]) throws(SpendError) -> [ShardBuffer] {
        let source = snapshot.source
        // MappedFile is a read-only mapping: workers only read the list.
        let shards = UncheckedSendable(list)
        let results = parallelMap(list.count) { i -> Result<ShardBuffer, SpendError> in
            let (shard, clean) = shards.value[i]
            do {
                switch shard.content {
                case .file(let path):
                    return .success(ShardBuffer(shard: shard, mapped: try MappedFile(path: path)))
                case .blob:
                    if let clean { return .success(ShardBuffer(shard: shard, mapped: clean)) }
                    return .success(try snapshot.withShardBytes(shard) { ShardBuffer(shard: shard, copying: $0) })
                }
            } catch {
                return .failure(
                    SpendError.input([Diagnostic(path: shard.path, rule: .io, message: "cannot read shard (\(source)): \(error)")]))
            }
        }
        var buffers: [ShardBuffer] = []
        for result in results {
            switch result {
            case .success(let b): buffers.append(b)
            case .failure(let e): throw e
            }
        }
        return buffers
    }

    /// Splits shards into line-aligned chunks of about `chunkSize` bytes.
    public static func chunks(_ buffers: [ShardBuffer], chunkSize: Int = chunkSize) -> [LedgerChunk] {
        var out: [LedgerChunk] = []
        for buffer in buffers {
            let bytes = buffer.bytes
            var start = 0
            while start < bytes.count {
                var end = min(start + chunkSize, bytes.count)
                while end < bytes.count && bytes[end - 1] != 10 { end += 1 }
                out.append(LedgerChunk(buffer: buffer, range: start..<end))
                start = end
            }
        }
        return out
    }

    /// Runs `work` on every chunk in parallel and returns the results in chunk order.
    public static func map<T>(_ chunks: [LedgerChunk], _ work: @Sendable (LedgerChunk) -> T) -> [T] {
        parallelMap(chunks.count) { i in work(chunks[i]) }
    }
}
