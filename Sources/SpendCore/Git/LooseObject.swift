import CLibGit2

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why a loose object file cannot be read.
struct LooseObjectError: Error, Sendable {
    var reason: String
}

/// Reads one loose object file (`<type> <size>\0<content>`, zlib-compressed),
/// in steps, and fails on damage instead of waiting for input that never
/// comes: libgit2 1.5's own loose reader spins forever on a truncated file
/// (libgit2 issue #7342). Every inflate step either consumes input or
/// produces output, or the read ends with an error, so it cannot loop
/// without progress.
final class LooseObjectInflater {
    /// The object type from the header (`commit`, `tree`, `blob` or `tag`).
    let type: git_object_t
    /// The content size from the header.
    let size: Int

    /// Held for as long as the inflater reads it: zlib's `next_in` points into `file.unsafeBytes` across calls.
    private let file: MappedFile
    private let stream: UnsafeMutablePointer<z_stream>
    private var inputOffset = 0
    /// Content bytes inflated with the header, not yet handed out.
    private var head: [UInt8] = []
    private var headOffset = 0
    /// Content bytes handed out so far.
    private var delivered = 0
    private var ended = false

    /// The path of the loose file holding `id` under `objectsDirectory`
    /// (which ends with a slash).
    static func path(of id: ObjectID, in objectsDirectory: String) -> String {
        objectsDirectory + id.hex.prefix(2) + "/" + id.hex.dropFirst(2)
    }

    /// Whether `bytes` start like a zlib stream (as git writes loose objects).
    /// Other loose files (the old "pack-like" format) are left to libgit2.
    static func isZlibStream(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 2 else { return false }
        let word = Int(bytes[0]) << 8 | Int(bytes[1])
        return bytes[0] & 0x8F == 0x08 && word % 31 == 0
    }

    /// Reads the object header from `file`, a loose object file.
    init(file: MappedFile) throws(LooseObjectError) {
        self.file = file
        stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        guard spend_inflate_init(stream) == Z_OK else {
            stream.deallocate()
            throw LooseObjectError(reason: "zlib could not start")
        }
        let raw = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 1)
        defer { raw.deallocate() }
        var buffer: ArraySlice<UInt8> = []
        var header: (type: git_object_t, size: Int)?
        var offset = 0
        var end = false
        do throws(LooseObjectError) {
            let produced = try Self.inflateSome(stream, file: file, inputOffset: &offset, into: raw, count: 64, ended: &end)
            buffer = ArraySlice(UnsafeRawBufferPointer(start: raw, count: produced))
            header = try Self.header(buffer)
        } catch {
            inflateEnd(stream)
            stream.deallocate()
            throw error
        }
        type = header!.type
        size = header!.size
        inputOffset = offset
        ended = end
        let nul = buffer.firstIndex(of: 0)!
        head = Array(buffer[(nul + 1)...])
        if head.count > size { throw LooseObjectError(reason: "the content is longer than the \(size) bytes its header gives") }
    }

    /// The type and size in `<type> <size>\0` at the start of `bytes`.
    private static func header(_ bytes: ArraySlice<UInt8>) throws(LooseObjectError) -> (type: git_object_t, size: Int) {
        guard let nul = bytes.firstIndex(of: 0) else {
            throw LooseObjectError(
                reason: bytes.count < 64 ? "the file ends inside the object header (truncated)" : "no object header")
        }
        let header = bytes[..<nul]
        guard let space = header.firstIndex(of: UInt8(ascii: " ")),
            let type = objectType(String(decoding: header[..<space], as: UTF8.self)),
            header[(space + 1)...].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let size = Int(String(decoding: header[(space + 1)...], as: UTF8.self))
        else { throw LooseObjectError(reason: "the object header is not \"<type> <size>\"") }
        return (type, size)
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    /// Content bytes still to read.
    var remaining: Int { size - delivered }

    /// Reads up to `count` content bytes into `buffer`; 0 only at the end of
    /// the content. At the end, checks that the compressed data ends there too.
    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(LooseObjectError) -> Int {
        var written = 0
        if headOffset < head.count {
            let chunk = min(count, head.count - headOffset)
            head.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress! + headOffset, byteCount: chunk) }
            headOffset += chunk
            written = chunk
        }
        let wanted = min(count - written, remaining - written)
        if wanted > 0 {
            if ended { throw LooseObjectError(reason: "the content is shorter than the \(size) bytes its header gives") }
            written += try Self.inflateSome(
                stream, file: file, inputOffset: &inputOffset, into: buffer + written, count: wanted, ended: &ended)
        }
        delivered += written
        if remaining == 0 { try finish() }
        return written
    }

    /// Reads the whole content into `buffer` (at least `size` bytes).
    func readAll(into buffer: UnsafeMutableRawPointer) throws(LooseObjectError) {
        while remaining > 0 {
            let n = try read(into: buffer + delivered, count: remaining)
            if n == 0 { throw LooseObjectError(reason: "the content is shorter than the \(size) bytes its header gives") }
        }
        try finish()
    }

    /// Checks that the compressed data ends exactly after the content.
    private func finish() throws(LooseObjectError) {
        var extra: UInt8 = 0
        while !ended {
            let n = try Self.inflateSome(stream, file: file, inputOffset: &inputOffset, into: &extra, count: 1, ended: &ended)
            if n > 0 { throw LooseObjectError(reason: "the content is longer than the \(size) bytes its header gives") }
        }
        if inputOffset < file.unsafeBytes.count || stream.pointee.avail_in > 0 {
            throw LooseObjectError(reason: "bytes follow the end of the compressed data")
        }
    }

    /// Inflates into `out` until it holds `count` bytes, the stream ends, or
    /// an error: returns the bytes produced (fewer than `count` only when the
    /// stream ended). Throws when zlib reports damage or when no progress is
    /// possible (all input used before the stream's end: a truncated file).
    private static func inflateSome(
        _ stream: UnsafeMutablePointer<z_stream>, file: MappedFile, inputOffset: inout Int, into out: UnsafeMutableRawPointer, count: Int,
        ended: inout Bool
    ) throws(LooseObjectError) -> Int {
        var produced = 0
        while produced < count && !ended {
            if stream.pointee.avail_in == 0 && inputOffset < file.unsafeBytes.count {
                let chunk = min(file.unsafeBytes.count - inputOffset, Int(UInt32.max))
                let input = file.unsafeBytes.baseAddress!.advanced(by: inputOffset).assumingMemoryBound(to: UInt8.self)
                stream.pointee.next_in = UnsafeMutablePointer(mutating: input)
                stream.pointee.avail_in = UInt32(chunk)
                inputOffset += chunk
            }
            let outChunk = min(count - produced, Int(UInt32.max))
            stream.pointee.next_out = out.advanced(by: produced).assumingMemoryBound(to: UInt8.self)
            stream.pointee.avail_out = UInt32(outChunk)
            let inBefore = stream.pointee.avail_in
            let code = inflate(stream, Z_NO_FLUSH)
            let made = outChunk - Int(stream.pointee.avail_out)
            produced += made
            switch code {
            case Z_STREAM_END:
                ended = true
            case Z_OK, Z_BUF_ERROR:
                if made == 0 && stream.pointee.avail_in == inBefore {
                    if stream.pointee.avail_in == 0 && inputOffset >= file.unsafeBytes.count {
                        throw LooseObjectError(reason: "the file ends inside the compressed data (truncated)")
                    }
                    throw LooseObjectError(reason: "the compressed data cannot be inflated")
                }
            default:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "error \(code)"
                throw LooseObjectError(reason: "the compressed data is damaged (zlib: \(message))")
            }
        }
        return produced
    }

    private static func objectType(_ name: String) -> git_object_t? {
        switch name {
        case "commit": return GIT_OBJECT_COMMIT
        case "tree": return GIT_OBJECT_TREE
        case "blob": return GIT_OBJECT_BLOB
        case "tag": return GIT_OBJECT_TAG
        default: return nil
        }
    }
}
