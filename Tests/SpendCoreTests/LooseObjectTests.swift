import CLibGit2
import Foundation
import XCTest

@testable import SpendCore
@testable import SpendGit

/// `LooseObjectInflater`: git's loose object files, read to the end or
/// rejected with a reason — never a wait for input that does not come.
final class LooseObjectTests: XCTestCase {
    func compressed(_ bytes: [UInt8]) -> [UInt8] {
        var length = compressBound(UInt(bytes.count))
        var out = [UInt8](repeating: 0, count: Int(length))
        XCTAssertEqual(compress2(&out, &length, bytes, UInt(bytes.count), 6), Z_OK)
        return Array(out.prefix(Int(length)))
    }

    /// Reads `file` bytes as a loose object: its type and content, or the reason it is rejected.
    func read(_ file: [UInt8]) throws -> Result<(git_object_t, [UInt8]), LooseObjectError> {
        let url = try makeDirectory().appendingPathComponent("object")
        try Data(file).write(to: url)
        let mapped = try MappedFile(path: url.path)
        do throws(LooseObjectError) {
            let reader = try LooseObjectInflater(file: mapped)
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: reader.size + 1, alignment: 1)
            defer { buffer.deallocate() }
            try reader.readAll(into: buffer)
            return .success((reader.type, Array(UnsafeRawBufferPointer(start: buffer, count: reader.size))))
        } catch {
            return .failure(error)
        }
    }

    func makeDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spend-loose-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    func reason(_ r: Result<(git_object_t, [UInt8]), LooseObjectError>) -> String? {
        if case .failure(let e) = r { return e.reason }
        return nil
    }

    func testWholeObjectReads() throws {
        let body = Array("tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor a <a@b> 0 +0000\ncommitter a <a@b> 0 +0000\n\nmessage\n".utf8)
        guard case .success(let (type, content)) = try read(compressed(Array("commit \(body.count)\0".utf8) + body)) else {
            return XCTFail()
        }
        XCTAssertEqual(type, GIT_OBJECT_COMMIT)
        XCTAssertEqual(content, body)
        guard case .success(let (_, empty)) = try read(compressed(Array("blob 0\0".utf8))) else { return XCTFail() }
        XCTAssertEqual(empty, [])
    }

    /// Every truncation of a loose object is an error (libgit2 1.5 spins forever on these).
    func testEveryTruncationIsRejected() throws {
        let body = Array(String(repeating: "{\"ts\":\"2026-01-01T00:00:00Z\"}\n", count: 40).utf8)
        let file = compressed(Array("blob \(body.count)\0".utf8) + body)
        for length in 2..<file.count {
            let r = try read(Array(file.prefix(length)))
            XCTAssertNotNil(reason(r), "a file cut to \(length) of \(file.count) bytes was read")
        }
        XCTAssertEqual(
            reason(try read(Array(file.prefix(file.count / 2)))), "the file ends inside the compressed data (truncated)")
    }

    func testSizeMismatchAndTrailingBytesAreRejected() throws {
        XCTAssertEqual(reason(try read(compressed(Array("blob 6\0hello".utf8)))), "the content is shorter than the 6 bytes its header gives")
        XCTAssertEqual(reason(try read(compressed(Array("blob 4\0hello".utf8)))), "the content is longer than the 4 bytes its header gives")
        XCTAssertEqual(reason(try read(compressed(Array("blob 1\0hello world, a longer body".utf8)))), "the content is longer than the 1 bytes its header gives")
        XCTAssertEqual(reason(try read(compressed(Array("blob 5\0hello".utf8)) + [0])), "bytes follow the end of the compressed data")
        XCTAssertEqual(reason(try read(compressed(Array("blob five\0hello".utf8)))), "the object header is not \"<type> <size>\"")
        var damaged = compressed(Array("blob 5\0hello".utf8))
        damaged[damaged.count - 1] ^= 0xFF  // the Adler-32 checksum
        XCTAssertEqual(reason(try read(damaged)), "the compressed data is damaged (zlib: incorrect data check)")
    }
}
