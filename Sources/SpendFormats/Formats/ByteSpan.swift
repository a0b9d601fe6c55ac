import SpendBase

/// A JSON string value inside a ledger buffer, by position: the bytes between
/// the quotes, and whether they contain escapes that must be decoded.
public struct ByteSpan: Sendable, Equatable {
    /// Offset of the first byte after the opening quote; -1 when absent.
    public var start: Int
    /// Number of raw bytes before the closing quote.
    public var count: Int
    /// True when the raw bytes contain a backslash escape.
    public var escaped: Bool

    public static let absent = ByteSpan(start: -1, count: 0, escaped: false)

    public init(start: Int, count: Int, escaped: Bool) {
        self.start = start
        self.count = count
        self.escaped = escaped
    }

    @inline(__always) public var isAbsent: Bool { start < 0 }
}

/// Decodes JSON string escapes (`\n`, `\"`, `\u00e9`, surrogate pairs) to UTF-8.
public enum JSONStringDecoder {
    /// The decoded UTF-8 bytes of raw string content, or the offset (relative
    /// to `raw`) and message of the first invalid escape.
    public static func decode(_ raw: UnsafeRawBufferPointer) -> Result<[UInt8], JSONEscapeError> {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = 0
        let n = raw.count
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= n else { return nil }
            var v: UInt32 = 0
            for k in at..<(at + 4) {
                let b = raw[k]
                let d: UInt32
                switch b {
                case 48...57: d = UInt32(b - 48)
                case 65...70: d = UInt32(b - 55)
                case 97...102: d = UInt32(b - 87)
                default: return nil
                }
                v = v << 4 | d
            }
            return v
        }
        while i < n {
            let b = raw[i]
            if b != 92 {
                out.append(b)
                i += 1
                continue
            }
            guard i + 1 < n else { return .failure(JSONEscapeError(offset: i, message: "unterminated escape")) }
            let e = raw[i + 1]
            switch e {
            case 34: out.append(34)
            case 92: out.append(92)
            case 47: out.append(47)
            case 98: out.append(8)
            case 102: out.append(12)
            case 110: out.append(10)
            case 114: out.append(13)
            case 116: out.append(9)
            case 117:
                guard let first = hex4(i + 2) else {
                    return .failure(JSONEscapeError(offset: i, message: "invalid \\u escape: expected 4 hex digits"))
                }
                var scalar = first
                var consumed = 6
                if first >= 0xD800 && first <= 0xDBFF {
                    guard i + 7 < n, raw[i + 6] == 92, raw[i + 7] == 117, let second = hex4(i + 8),
                        second >= 0xDC00 && second <= 0xDFFF
                    else {
                        return .failure(JSONEscapeError(offset: i, message: "invalid \\u escape: unpaired high surrogate"))
                    }
                    scalar = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                    consumed = 12
                } else if first >= 0xDC00 && first <= 0xDFFF {
                    return .failure(JSONEscapeError(offset: i, message: "invalid \\u escape: unpaired low surrogate"))
                }
                appendUTF8(scalar, to: &out)
                i += consumed
                continue
            default:
                return .failure(JSONEscapeError(offset: i, message: "invalid escape '\\\(Character(UnicodeScalar(e)))'"))
            }
            i += 2
        }
        return .success(out)
    }

    static func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | (scalar >> 6)))
            out.append(UInt8(0x80 | (scalar & 0x3F)))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | (scalar >> 12)))
            out.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (scalar & 0x3F)))
        default:
            out.append(UInt8(0xF0 | (scalar >> 18)))
            out.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (scalar & 0x3F)))
        }
    }
}

/// An invalid escape inside a JSON string.
public struct JSONEscapeError: Error, Sendable {
    public var offset: Int
    public var message: String
}

/// Byte equality of two short runs, 8 bytes at a time, without a libc call.
@inline(__always)
@inlinable public func bytesEqual(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Bool {
    var i = 0
    while i + 8 <= n {
        if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
            return false
        }
        i += 8
    }
    while i < n {
        if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
        i += 1
    }
    return true
}
