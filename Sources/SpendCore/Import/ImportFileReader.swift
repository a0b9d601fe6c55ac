import Foundation

/// A piece of an import file made of whole records.
struct ImportPiece: Sendable {
    var bytes: [UInt8]
    /// The 1-based line of the piece's first byte (see `ImportFraming.csvRows`).
    var firstLine: Int
    /// Bytes of the file read up to the end of this piece (for progress).
    var end = 0
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

    /// Reads until the buffer holds `count` bytes or the file ends, straight
    /// into the buffer's tail (no staging copy).
    private mutating func fill(upTo count: Int) throws(SpendError) {
        // Reads of at most a piece, so that a piece overshoots its size by less than one read.
        let step = min(1 << 20, pieceSize)
        while !eof && buffer.count < count {
            let old = buffer.count
            if buffer.capacity < old + step { buffer.reserveCapacity(max(old + step, pieceSize + 2 * step)) }
            buffer.append(contentsOf: repeatElement(0, count: step))
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + old, step) }
            buffer.removeLast(step - max(n, 0))
            if n < 0 {
                if errno == EINTR { continue }
                throw SpendError.usage("cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { eof = true }
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

    /// Takes the first `cut` bytes of the buffer as a piece: the piece keeps
    /// the buffer's storage, and only the bytes after the cut (less than one
    /// read) move to a new buffer.
    private mutating func take(_ cut: Int) -> ImportPiece {
        let rest = Array(buffer[cut...])
        buffer.removeLast(buffer.count - cut)
        var bytes = buffer
        buffer = rest
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
        scanned -= cut
        boundaries = boundaries.compactMap { $0 > cut ? $0 - cut : nil }
        return ImportPiece(bytes: bytes, firstLine: firstLine, end: consumed)
    }

    /// Scans new bytes of a JSON array, noting its top-level commas. Inside
    /// a string, `memchr` jumps to the next quote (a quote after an odd run
    /// of backslashes is escaped), so the bytes of strings, most of a spend
    /// log, are not looked at one by one.
    private mutating func scanJSONArray() throws(SpendError) {
        let n = buffer.count
        var (i, depth, inString, opened, closed) = (scanned, self.depth, self.inString, self.opened, self.closed)
        var problem: (offset: Int, message: String)?
        var found: [Int] = []
        buffer.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            scan: while i < n {
                if inString {
                    guard let hit = memchr(base + i, 34, n - i) else {
                        // The string goes on past the buffer: rescan its trailing backslashes next time.
                        var k = n
                        while k > i && base[k - 1] == 92 { k -= 1 }
                        i = k
                        break scan
                    }
                    let quote = UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - base
                    var k = quote
                    while k > 0 && base[k - 1] == 92 { k -= 1 }
                    if (quote - k) & 1 == 0 { inString = false }
                    i = quote + 1
                    continue
                }
                let b = base[i]
                switch b {
                case 32, 9, 10, 13:
                    break
                case 34:
                    inString = true
                case 91, 123:
                    if !opened {
                        guard b == 91 else {
                            problem = (i, "not a JSON array of rows: the file starts with '{' (expected '[')")
                            break scan
                        }
                        opened = true
                    } else if closed {
                        problem = (i, "unexpected text after the JSON array")
                        break scan
                    }
                    depth += 1
                case 93, 125:
                    guard opened, !closed, depth > 0 else {
                        problem = (i, "unexpected '\(Character(UnicodeScalar(b)))'")
                        break scan
                    }
                    depth -= 1
                    if depth == 0 { closed = true }
                case 44:
                    if depth == 1 { found.append(i) }  // the next piece starts with the comma
                default:
                    if !opened {
                        problem = (i, "not a JSON array of rows (expected '[')")
                        break scan
                    }
                    if closed {
                        problem = (i, "unexpected text after the JSON array")
                        break scan
                    }
                }
                i += 1
            }
        }
        if let problem { throw failure(problem.offset, problem.message) }
        boundaries += found
        (scanned, self.depth, self.inString, self.opened, self.closed) = (i, depth, inString, opened, closed)
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
