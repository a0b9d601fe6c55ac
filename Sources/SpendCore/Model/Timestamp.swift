#if canImport(Glibc)
    import Glibc
#endif

/// UTC instants as milliseconds since the Unix epoch, and the calendar
/// arithmetic spend needs (days, ISO weeks, months) without Foundation.
public enum Timestamp {
    public static let millisPerDay: Int64 = 86_400_000

    /// The instants spend accepts: years 0001 to 9999 in UTC, so that every
    /// `ts` prints as four digits and lands in a `ledger/YYYY/` shard.
    public static let supported: ClosedRange<Int64> = -62_135_596_800_000...253_402_300_799_999

    /// Days since 1970-01-01 of a proleptic Gregorian civil date.
    public static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The civil date of a day number.
    public static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Days in `month` (1–12) of `year`, proleptic Gregorian.
    public static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// The day number containing the instant.
    @inline(__always)
    public static func day(ofMillis ms: Int64) -> Int64 {
        ms >= 0 ? ms / millisPerDay : (ms - millisPerDay + 1) / millisPerDay
    }

    /// `yyyy-mm-dd` of a day number.
    public static func dateString(days: Int64) -> String {
        let (y, m, d) = civil(fromDays: days)
        return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2)
    }

    /// `yyyy-mm` of an instant (the ledger shard month).
    public static func monthString(millis: Int64) -> String {
        let (y, m, _) = civil(fromDays: day(ofMillis: millis))
        return pad(y, 4) + "-" + pad(m, 2)
    }

    /// RFC 3339 UTC with milliseconds: `2026-11-03T14:22:05.123Z`.
    public static func format(millis: Int64) -> String {
        let days = day(ofMillis: millis)
        let msOfDay = millis - days * millisPerDay
        let h = msOfDay / 3_600_000
        let mi = msOfDay / 60_000 % 60
        let s = msOfDay / 1000 % 60
        let ms = msOfDay % 1000
        return dateString(days: days) + "T" + pad(h, 2) + ":" + pad(mi, 2) + ":" + pad(s, 2) + "." + pad(ms, 3) + "Z"
    }

    /// Appends `format(millis:)` as bytes.
    static func encode(millis: Int64, into out: inout [UInt8]) {
        let days = day(ofMillis: millis)
        let (y, m, d) = civil(fromDays: days)
        let msOfDay = millis - days * millisPerDay
        if y < 0 || y > 9999 {
            out.append(contentsOf: format(millis: millis).utf8)
            return
        }
        func put(_ value: Int64, _ width: Int) {
            var divisor: Int64 = 1
            for _ in 1..<width { divisor *= 10 }
            var v = value
            while divisor > 0 {
                out.append(48 + UInt8(v / divisor))
                v %= divisor
                divisor /= 10
            }
        }
        put(y, 4); out.append(45); put(m, 2); out.append(45); put(d, 2); out.append(84)
        put(msOfDay / 3_600_000, 2); out.append(58); put(msOfDay / 60_000 % 60, 2); out.append(58)
        put(msOfDay / 1000 % 60, 2); out.append(46); put(msOfDay % 1000, 3); out.append(90)
    }

    static func pad(_ value: Int64, _ width: Int) -> String {
        let s = String(value)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    /// Parses an RFC 3339 timestamp (`2026-11-03T14:22:05.123Z`, an offset such
    /// as `+02:00`, or a space instead of `T`) from raw bytes. Returns nil when
    /// the text is not one, or when the instant in UTC is outside years
    /// 0001–9999 (`supported`): `0000-…` and `9999-12-31T23:30:00-01:00` are refused.
    public static func parse(_ p: UnsafeRawBufferPointer) -> Int64? {
        let n = p.count
        guard n >= 20 else { return nil }
        @inline(__always) func digit(_ i: Int) -> Int64? {
            let b = p[i]
            return b >= 48 && b <= 57 ? Int64(b - 48) : nil
        }
        @inline(__always) func number(_ i: Int, _ count: Int) -> Int64? {
            var v: Int64 = 0
            for k in i..<(i + count) {
                guard let d = digit(k) else { return nil }
                v = v * 10 + d
            }
            return v
        }
        guard let year = number(0, 4), p[4] == 45, let month = number(5, 2), p[7] == 45,
            let day = number(8, 2), p[10] == 84 || p[10] == 116 || p[10] == 32,
            let hour = number(11, 2), p[13] == 58, let minute = number(14, 2), p[16] == 58,
            let second = number(17, 2)
        else { return nil }
        guard month >= 1 && month <= 12, day >= 1, day <= daysInMonth(year: year, month: month),
            hour < 24, minute < 60, second < 61
        else { return nil }
        var i = 19
        var millis: Int64 = 0
        if i < n && p[i] == 46 {
            i += 1
            var digits = 0
            while i < n, let d = digit(i) {
                if digits < 3 { millis = millis * 10 + d }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            while digits < 3 {
                millis *= 10
                digits += 1
            }
        }
        guard i < n else { return nil }
        var offsetMinutes: Int64 = 0
        switch p[i] {
        case 90, 122:  // Z z
            i += 1
        case 43, 45:  // + -
            guard i + 6 == n, let oh = number(i + 1, 2), p[i + 3] == 58, let om = number(i + 4, 2),
                oh < 24, om < 60
            else { return nil }
            offsetMinutes = (oh * 60 + om) * (p[i] == 45 ? -1 : 1)
            i += 6
        default:
            return nil
        }
        guard i == n else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let instant = ((days * 24 + hour) * 60 + minute - offsetMinutes) * 60_000 + min(second, 59) * 1000 + millis
        return instant >= -62_135_596_800_000 && instant <= 253_402_300_799_999 ? instant : nil  // `supported`
    }

    /// Parses an RFC 3339 timestamp string.
    public static func parse(_ text: String) -> Int64? {
        var copy = text
        return copy.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }

    /// A monotonic clock reading in seconds (for timing).
    public static func monotonicSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// The current time in milliseconds since the epoch (UTC).
    public static func now() -> Int64 {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        return Int64(t.tv_sec) * 1000 + Int64(t.tv_nsec) / 1_000_000
    }

    /// Parses `yyyy-mm-dd` (midnight UTC) or a full RFC 3339 timestamp.
    public static func parseDateOrTimestamp(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        let isDigit = { (i: Int) in bytes[i] >= 48 && bytes[i] <= 57 }
        if bytes.count == 10, bytes[4] == 45, bytes[7] == 45,
            [0, 1, 2, 3, 5, 6, 8, 9].allSatisfy(isDigit),
            let y = Int64(text.prefix(4)), let m = Int64(text.dropFirst(5).prefix(2)),
            let d = Int64(text.suffix(2)), y >= 1, m >= 1, m <= 12, d >= 1, d <= daysInMonth(year: y, month: m)
        {
            return daysFromCivil(year: y, month: m, day: d) * millisPerDay
        }
        return parse(text)
    }
}
