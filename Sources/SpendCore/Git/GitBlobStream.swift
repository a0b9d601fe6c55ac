import CLibGit2

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension GitRepository {
    /// Whether blob `id` holds a prefix of `bytes`, read as a stream (no copy
    /// of the blob in memory), and the blob's size. nil when the object
    /// database cannot stream the object (packed objects): read it whole instead.
    public func blobIsPrefix(_ id: ObjectID, of bytes: UnsafeRawBufferPointer) -> (isPrefix: Bool, size: Int)? {
        var oid = git_oid()
        guard git_oid_fromstr(&oid, id.hex) == 0 else { return nil }
        var odb: OpaquePointer?
        guard git_repository_odb(&odb, pointer) == 0, let odb else { return nil }
        defer { git_odb_free(odb) }
        var stream: UnsafeMutablePointer<git_odb_stream>?
        var length = 0
        var type = GIT_OBJECT_ANY
        guard git_odb_open_rstream(&stream, &length, &type, odb, &oid) == 0, let stream else { return nil }
        defer { git_odb_stream_free(stream) }
        guard type == GIT_OBJECT_BLOB else { return nil }
        if length > bytes.count { return (false, length) }
        let size = 1 << 20
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
        defer { buffer.deallocate() }
        var offset = 0
        while offset < length {
            let n = Int(git_odb_stream_read(stream, buffer, min(size, length - offset)))
            if n < 0 { return nil }
            if n == 0 { break }
            if offset + n > bytes.count || memcmp(bytes.baseAddress! + offset, buffer, n) != 0 { return (false, length) }
            offset += n
        }
        return offset == length ? (true, length) : nil
    }

    /// The size of an object without reading its content (cheap for packed objects too).
    public func objectSize(_ id: ObjectID) -> Int? {
        var oid = git_oid()
        guard git_oid_fromstr(&oid, id.hex) == 0 else { return nil }
        var odb: OpaquePointer?
        guard git_repository_odb(&odb, pointer) == 0, let odb else { return nil }
        defer { git_odb_free(odb) }
        var length = 0
        var type = GIT_OBJECT_ANY
        guard git_odb_read_header(&length, &type, odb, &oid) == 0, type == GIT_OBJECT_BLOB else { return nil }
        return length
    }

    /// Whether blob `id` holds a prefix of `bytes`, decided without reading
    /// the blob: its size from the object header, then the blob id of that
    /// many bytes of `bytes` (git's own content hash). nil when unsure.
    public func blobIsPrefixByHash(_ id: ObjectID, of bytes: UnsafeRawBufferPointer) -> (isPrefix: Bool, size: Int)? {
        guard let size = objectSize(id) else { return nil }
        if size > bytes.count { return (false, size) }
        let prefix = UnsafeRawBufferPointer(rebasing: bytes[0..<size])
        return (ObjectID.blob(of: prefix) == id, size)
    }
}
