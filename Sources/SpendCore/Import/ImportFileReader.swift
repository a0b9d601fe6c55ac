import Foundation

/// A piece of an import file made of whole records.
struct ImportPiece: Sendable {
    var bytes: [UInt8]
    /// The 1-based line of the piece's first byte (see `ImportFraming.csvRows`).
    var firstLine: Int
}

/// Reads an import file in pieces of whole records (`ImportFraming`), about
/// `pieceSize` bytes each, so that memory stays bounded whatever the size
/// of the file. Structural problems a piece cannot carry (an unterminated
/// JSON array or quoted CSV field) are located `import` errors.
struct ImportFileReader {
    let path: String
    let fd: Int32
    let size: Int
    private(set) var framing: ImportFraming = .wholeFile
    private(set) var consumed = 0
    private let pieceSize: Int
    private var buffer: [UInt8] = []
    private var eof = false
    private var nextLine = 1
    // Incremental scan state (jsonArray, csvRows): how far `buffer` was
    // scanned, and the last cut found in it.
    private var scanned = 0
    /// Record boundaries found in `buffer` (offsets just after a top-level comma or a row end).
    private var boundaries: [Int] = []
    private var depth = 0
    private var inString = false
    private var escape = false
    private var opened = false
    private var closed = false
    private var header: [UInt8]?
    private var headerLines = 0
    private var rowStartLine = 1

    /// Opens `absolute` (named `path` in messages).
    init(absolute: String, path: String, pieceSize: Int = 4 << 20) throws(SpendError) {
        self.path = path
        self.pieceSize = pieceSize
        let fd = open(absolute, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SpendError.usage("cannot read \(path): \(String(cString: strerror(errno)))") }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            _ = Glibc.close(fd)
            throw SpendError.usage("cannot read \(path): not a regular file")
        }
        self.fd = fd
        self.size = Int(info.st_size)
    }

    /// Closes the file.
    func close() { _ = Glibc.close(fd) }

    /// Reads the first bytes and asks `choose` how to cut the file.
    mutating func start(_ choose: (UnsafeRawBufferPointer) -> ImportFraming) throws(SpendError) {
        try fill(upTo: 64 << 10)
        framing = buffer.withUnsafeBytes { choose($0) }
    }

    /// Reads until the buffer holds `count` bytes or the file ends.
    private mutating func fill(upTo count: Int) throws(SpendError) {
        // Reads of at most a piece, so that a piece overshoots its size by less than one read.
        var chunk = [UInt8](repeating: 0, count: min(1 << 20, pieceSize))
        while !eof && buffer.count < count {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SpendError.usage("cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { eof = true } else { buffer += chunk[0..<n] }
        }
    }

    private func failure(_ offset: Int, _ message: String) -> SpendError {
        // The line of `offset` in the buffer.
        var line = nextLine
        for b in buffer[0..<min(offset, buffer.count)] where b == 10 { line += 1 }
        return SpendError.input([Diagnostic(path: path, line: line, rule: .importRecord, message: message)])
    }

    /// The next piece, or nil at the end of the file.
    mutating func next() throws(SpendError) -> ImportPiece? {
        while true {
            try fill(upTo: framing == .wholeFile ? Int.max : max(pieceSize, buffer.count + 1))
            if buffer.isEmpty && eof { return nil }
            var cut: Int?
            if eof && buffer.count <= pieceSize {
                if framing == .jsonArray { try scanJSONArray() }
                if framing == .csvRows { try scanCSV() }
                return take(buffer.count)
            }
            switch framing {
            case .wholeFile:
                cut = buffer.count
            case .lines:
                // The last line end within a piece's size, else the first after it.
                let limit = min(pieceSize, buffer.count)
                cut = buffer[0..<limit].lastIndex(of: 10).map { $0 + 1 } ?? buffer[limit...].firstIndex(of: 10).map { $0 + 1 }
            case .jsonArray:
                try scanJSONArray()
                cut = boundary()
            case .csvRows:
                try scanCSV()
                cut = boundary()
            }
            if let cut { return take(cut) }
            if eof { return take(buffer.count) }
        }
    }

    /// The last record boundary within a piece's size, else the first after it.
    private func boundary() -> Int? {
        var chosen: Int?
        for b in boundaries {
            if b <= pieceSize || chosen == nil { chosen = b }
            if b > pieceSize { break }
        }
        return chosen
    }

    /// Takes the first `cut` bytes of the buffer as a piece.
    private mutating func take(_ cut: Int) -> ImportPiece {
        var bytes = Array(buffer[0..<cut])
        var firstLine = nextLine
        var lines = 0
        bytes.withUnsafeBytes { raw in
            var p = raw.baseAddress!
            let end = raw.baseAddress! + raw.count
            while p < end, let nl = memchr(p, 10, end - p) {
                lines += 1
                p = UnsafeRawPointer(nl) + 1
            }
        }
        if framing == .csvRows, let header, consumed > 0 {
            bytes = header + bytes
            firstLine -= headerLines
        }
        nextLine += lines
        consumed += cut
        buffer.removeFirst(cut)
        scanned -= cut
        boundaries = boundaries.compactMap { $0 > cut ? $0 - cut : nil }
        return ImportPiece(bytes: bytes, firstLine: firstLine)
    }

    /// Scans new bytes of a JSON array, noting the last top-level comma.
    private mutating func scanJSONArray() throws(SpendError) {
        var i = scanned
        let n = buffer.count
        while i < n {
            let b = buffer[i]
            if inString {
                if escape {
                    escape = false
                } else if b == 92 {
                    escape = true
                } else if b == 34 {
                    inString = false
                }
                i += 1
                continue
            }
            switch b {
            case 32, 9, 10, 13:
                break
            case 34:
                inString = true
            case 91, 123:
                if !opened {
                    guard b == 91 else { throw failure(i, "not a JSON array of rows: the file starts with '{' (expected '[')") }
                    opened = true
                } else if closed {
                    throw failure(i, "unexpected text after the JSON array")
                }
                depth += 1
            case 93, 125:
                guard opened, !closed, depth > 0 else { throw failure(i, "unexpected '\(Character(UnicodeScalar(b)))'") }
                depth -= 1
                if depth == 0 { closed = true }
            case 44:
                if depth == 1 { boundaries.append(i) }  // the next piece starts with the comma
            default:
                if !opened { throw failure(i, "not a JSON array of rows (expected '[')") }
                if closed { throw failure(i, "unexpected text after the JSON array") }
            }
            i += 1
        }
        scanned = n
        if eof && opened && !closed {
            throw failure(n, "the JSON array is not closed: the file ends inside it (a truncated download?)")
        }
    }

    /// Scans new bytes of CSV, noting the last row end outside quotes.
    private mutating func scanCSV() throws(SpendError) {
        var i = scanned
        let n = buffer.count
        while i < n {
            let b = buffer[i]
            if b == 34 {
                inString.toggle()
            } else if b == 10 && !inString {
                if header == nil && consumed == 0 {
                    header = Array(buffer[0...i])
                    headerLines = header!.reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
                }
                boundaries.append(i + 1)
            }
            i += 1
        }
        scanned = n
        if eof && inString { throw failure(n, "a quoted CSV field is not closed: the file ends inside it") }
        if eof && header == nil && consumed == 0 && !buffer.isEmpty {
            header = buffer
            headerLines = 1
        }
    }
}
