/// An exact base-10 number: `significand × 10^-scale`.
///
/// All money and every rate in spend is an `ExactDecimal`; binary floating point
/// never touches a price or a cost. Arithmetic traps on overflow of the 128-bit
/// significand rather than silently losing a cent (at the scales spend uses the
/// range is beyond 10^20 USD).
public struct ExactDecimal: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The integer digits of the number.
    public private(set) var significand: Int128
    /// How many of those digits are after the decimal point.
    public private(set) var scale: Int

    /// The number `significand × 10^-scale`.
    public init(significand: Int128, scale: Int = 0) {
        precondition(scale >= 0 && scale <= 36, "ExactDecimal scale out of range")
        self.significand = significand
        self.scale = scale
    }

    /// An integer value.
    public init(_ integer: Int) {
        self.init(significand: Int128(integer))
    }

    /// An integer value.
    public init(_ integer: Int64) {
        self.init(significand: Int128(integer))
    }

    public static let zero = ExactDecimal(significand: 0)

    /// Parses a plain decimal (`"12"`, `"-0.0375"`, `".5"`) or one in exponent
    /// notation (`"1e-05"`, `"2.5E3"`). Returns nil for anything else.
    public init?(_ text: some StringProtocol) {
        var bytes = Array(text.utf8)[...]
        guard !bytes.isEmpty else { return nil }
        var negative = false
        if bytes.first == UInt8(ascii: "-") || bytes.first == UInt8(ascii: "+") {
            negative = bytes.first == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        var significand: Int128 = 0
        var scale = 0
        var digits = 0
        var seenPoint = false
        var exponent = 0
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte >= 48 && byte <= 57 {
                let (times10, o1) = significand.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(Int128(byte - 48))
                if o1 || o2 { return nil }
                significand = sum
                digits += 1
                if seenPoint { scale += 1 }
            } else if byte == UInt8(ascii: ".") && !seenPoint {
                seenPoint = true
            } else if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                guard digits > 0, let e = Int(String(decoding: bytes[(index + 1)...], as: UTF8.self)),
                    abs(e) <= 36
                else { return nil }
                exponent = e
                index = bytes.endIndex
                break
            } else if byte == UInt8(ascii: "_") && digits > 0 {
                // TOML-style digit separator.
            } else {
                return nil
            }
            index += 1
        }
        guard digits > 0 else { return nil }
        scale -= exponent
        while scale < 0 {
            let (times10, overflow) = significand.multipliedReportingOverflow(by: 10)
            if overflow { return nil }
            significand = times10
            scale += 1
        }
        guard scale <= 36 else { return nil }
        self.init(significand: negative ? -significand : significand, scale: scale)
    }

    // MARK: Arithmetic

    private static func powerOfTen(_ n: Int) -> Int128 {
        var result: Int128 = 1
        for _ in 0..<n { result *= 10 }
        return result
    }

    /// This value with `scale` raised to `newScale` (no digits lost).
    public func rescaled(to newScale: Int) -> ExactDecimal {
        precondition(newScale >= scale)
        if newScale == scale { return self }
        let (value, overflow) = significand.multipliedReportingOverflow(by: Self.powerOfTen(newScale - scale))
        precondition(!overflow, "ExactDecimal overflow")
        return ExactDecimal(significand: value, scale: newScale)
    }

    public static func + (lhs: ExactDecimal, rhs: ExactDecimal) -> ExactDecimal {
        let scale = max(lhs.scale, rhs.scale)
        let (value, overflow) = lhs.rescaled(to: scale).significand.addingReportingOverflow(
            rhs.rescaled(to: scale).significand)
        precondition(!overflow, "ExactDecimal overflow")
        return ExactDecimal(significand: value, scale: scale)
    }

    public static func - (lhs: ExactDecimal, rhs: ExactDecimal) -> ExactDecimal {
        lhs + (-rhs)
    }

    public static prefix func - (value: ExactDecimal) -> ExactDecimal {
        ExactDecimal(significand: -value.significand, scale: value.scale)
    }

    public static func += (lhs: inout ExactDecimal, rhs: ExactDecimal) { lhs = lhs + rhs }
    public static func -= (lhs: inout ExactDecimal, rhs: ExactDecimal) { lhs = lhs - rhs }

    public static func * (lhs: ExactDecimal, rhs: ExactDecimal) -> ExactDecimal {
        let (value, overflow) = lhs.significand.multipliedReportingOverflow(by: rhs.significand)
        precondition(!overflow, "ExactDecimal overflow")
        return ExactDecimal(significand: value, scale: lhs.scale + rhs.scale).normalized()
    }

    /// `self × count`, exact.
    public func times(_ count: Int64) -> ExactDecimal {
        self * ExactDecimal(count)
    }

    /// `self / 10^places`, exact (only the scale moves).
    public func shifted(right places: Int) -> ExactDecimal {
        ExactDecimal(significand: significand, scale: scale + places).normalized()
    }

    /// The same value with trailing fractional zeros removed.
    public func normalized() -> ExactDecimal {
        var s = significand
        var sc = scale
        while sc > 0 && s % 10 == 0 {
            s /= 10
            sc -= 1
        }
        return ExactDecimal(significand: s, scale: sc)
    }

    /// Rounded to `places` fractional digits, half away from zero (display only).
    public func rounded(places: Int) -> ExactDecimal {
        guard scale > places else { return rescaled(to: places) }
        let divisor = Self.powerOfTen(scale - places)
        let (truncated, remainder) = significand.quotientAndRemainder(dividingBy: divisor)
        var quotient = truncated
        if remainder.magnitude * 2 >= divisor.magnitude {
            quotient += significand < 0 ? -1 : 1
        }
        return ExactDecimal(significand: quotient, scale: places)
    }

    public var isZero: Bool { significand == 0 }
    public var isNegative: Bool { significand < 0 }

    /// A ratio `self / other` as a rounded decimal with `places` digits (for
    /// percentages and shares, which are display values, never money).
    public func ratio(to other: ExactDecimal, places: Int) -> ExactDecimal? {
        guard !other.isZero else { return nil }
        let scale = max(self.scale, other.scale)
        let numerator = self.rescaled(to: scale).significand * Self.powerOfTen(places + 1)
        let denominator = other.rescaled(to: scale).significand
        let raw = ExactDecimal(significand: numerator / denominator, scale: places + 1)
        return raw.rounded(places: places)
    }

    // MARK: Comparison and hashing

    public static func == (lhs: ExactDecimal, rhs: ExactDecimal) -> Bool {
        let scale = max(lhs.scale, rhs.scale)
        return lhs.rescaled(to: scale).significand == rhs.rescaled(to: scale).significand
    }

    public static func < (lhs: ExactDecimal, rhs: ExactDecimal) -> Bool {
        let scale = max(lhs.scale, rhs.scale)
        return lhs.rescaled(to: scale).significand < rhs.rescaled(to: scale).significand
    }

    public func hash(into hasher: inout Hasher) {
        let n = normalized()
        hasher.combine(n.significand)
        hasher.combine(n.scale)
    }

    // MARK: Text

    /// The exact value in plain notation with no trailing zeros: `"0.01155"`, `"12"`, `"-3.5"`.
    public var description: String {
        normalized().plainString
    }

    /// The value with exactly `places` fractional digits (rounded half away from zero).
    public func formatted(places: Int, grouping: Bool = false) -> String {
        let r = rounded(places: places)
        return r.plainString(grouping: grouping)
    }

    private var plainString: String { plainString(grouping: false) }

    private func plainString(grouping: Bool) -> String {
        let negative = significand < 0
        var digits = String(significand.magnitude)
        if digits.count <= scale {
            digits = String(repeating: "0", count: scale - digits.count + 1) + digits
        }
        var integerPart = String(digits.dropLast(scale))
        let fraction = String(digits.suffix(scale))
        if grouping && integerPart.count > 3 {
            var grouped = ""
            for (i, ch) in integerPart.enumerated() {
                if i > 0 && (integerPart.count - i) % 3 == 0 { grouped.append(",") }
                grouped.append(ch)
            }
            integerPart = grouped
        }
        let body = scale > 0 ? integerPart + "." + fraction : integerPart
        return negative && significand != 0 ? "-" + body : body
    }
}

extension ExactDecimal: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int) { self.init(value) }
}
