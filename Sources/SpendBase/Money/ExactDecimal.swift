/// An exact base-10 number: `significand × 10^-scale`.
///
/// All money and every rate in spend is an `ExactDecimal`; binary floating point
/// never touches a price or a cost. Every value the user controls goes through
/// the checked operations (`adding`, `subtracting`, `multiplied(by:)`,
/// `times`, `shifted(right:)`), which throw `ExactDecimalOverflow` when the
/// result needs more than the 128-bit significand or 36 decimal places; the
/// callers turn that into an `error[overflow]` naming the input. The operators
/// `+`, `-` and `*` trap instead and are for values known to fit (constants,
/// display percentages of checked sums). Comparison, rounding, formatting and
/// `ratio` never trap.
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

    /// Largest number of decimal places (`10^36` still fits the significand).
    public static let maxScale = 36

    private static func powerOfTen(_ n: Int) -> Int128 {
        var result: Int128 = 1
        for _ in 0..<n { result *= 10 }
        return result
    }

    /// This value with `scale` raised to `newScale` (no digits lost), or overflow.
    private func rescaledChecked(to newScale: Int) throws(ExactDecimalOverflow) -> ExactDecimal {
        precondition(newScale >= scale)
        if newScale == scale { return self }
        guard newScale <= Self.maxScale else { throw ExactDecimalOverflow() }
        let (value, overflow) = significand.multipliedReportingOverflow(by: Self.powerOfTen(newScale - scale))
        if overflow { throw ExactDecimalOverflow() }
        return ExactDecimal(significand: value, scale: newScale)
    }

    /// `self + other`, exact, or `ExactDecimalOverflow`.
    public func adding(_ other: ExactDecimal) throws(ExactDecimalOverflow) -> ExactDecimal {
        let scale = max(self.scale, other.scale)
        let (value, overflow) = try rescaledChecked(to: scale).significand.addingReportingOverflow(
            other.rescaledChecked(to: scale).significand)
        if overflow { throw ExactDecimalOverflow() }
        return ExactDecimal(significand: value, scale: scale)
    }

    /// `self - other`, exact, or `ExactDecimalOverflow`.
    public func subtracting(_ other: ExactDecimal) throws(ExactDecimalOverflow) -> ExactDecimal {
        guard other.significand != .min else { throw ExactDecimalOverflow() }
        return try adding(-other)
    }

    /// `self × other`, exact, or `ExactDecimalOverflow`.
    public func multiplied(by other: ExactDecimal) throws(ExactDecimalOverflow) -> ExactDecimal {
        let (value, overflow) = significand.multipliedReportingOverflow(by: other.significand)
        if overflow { throw ExactDecimalOverflow() }
        let product = ExactDecimal(unchecked: value, scale: scale + other.scale).normalized()
        guard product.scale <= Self.maxScale else { throw ExactDecimalOverflow() }
        return product
    }

    /// `self × count`, exact, or `ExactDecimalOverflow`.
    public func times(_ count: Int64) throws(ExactDecimalOverflow) -> ExactDecimal {
        try multiplied(by: ExactDecimal(count))
    }

    /// `self / 10^places`, exact (only the scale moves), or `ExactDecimalOverflow`
    /// when that needs more than 36 decimal places.
    public func shifted(right places: Int) throws(ExactDecimalOverflow) -> ExactDecimal {
        let shifted = ExactDecimal(unchecked: significand, scale: scale + places).normalized()
        guard shifted.scale <= Self.maxScale else { throw ExactDecimalOverflow() }
        return shifted
    }

    /// A value whose scale may exceed `maxScale` until it is normalized.
    private init(unchecked significand: Int128, scale: Int) {
        self.significand = significand
        self.scale = scale
    }

    /// Traps on overflow: only for values known to fit (use `adding` for input).
    public static func + (lhs: ExactDecimal, rhs: ExactDecimal) -> ExactDecimal {
        do {
            return try lhs.adding(rhs)
        } catch {
            preconditionFailure("ExactDecimal overflow")
        }
    }

    /// Traps on overflow: only for values known to fit (use `subtracting` for input).
    public static func - (lhs: ExactDecimal, rhs: ExactDecimal) -> ExactDecimal {
        lhs + (-rhs)
    }

    public static prefix func - (value: ExactDecimal) -> ExactDecimal {
        ExactDecimal(significand: -value.significand, scale: value.scale)
    }

    public static func += (lhs: inout ExactDecimal, rhs: ExactDecimal) { lhs = lhs + rhs }
    public static func -= (lhs: inout ExactDecimal, rhs: ExactDecimal) { lhs = lhs - rhs }

    /// Traps on overflow: only for values known to fit (use `multiplied(by:)` for input).
    public static func * (lhs: ExactDecimal, rhs: ExactDecimal) -> ExactDecimal {
        do {
            return try lhs.multiplied(by: rhs)
        } catch {
            preconditionFailure("ExactDecimal overflow")
        }
    }

    /// The same value with trailing fractional zeros removed.
    public func normalized() -> ExactDecimal {
        var s = significand
        var sc = scale
        while sc > 0 && s % 10 == 0 {
            s /= 10
            sc -= 1
        }
        return ExactDecimal(unchecked: s, scale: sc)
    }

    /// Rounded to `places` fractional digits, half away from zero (display
    /// only). A value with fewer digits is returned as is when padding it
    /// with zeros would not fit (`formatted` pads the text instead).
    public func rounded(places: Int) -> ExactDecimal {
        guard scale > places else { return (try? rescaledChecked(to: places)) ?? self }
        let divisor = Self.powerOfTen(scale - places)
        let (truncated, remainder) = significand.quotientAndRemainder(dividingBy: divisor)
        var quotient = truncated
        if remainder.magnitude >= divisor.magnitude - remainder.magnitude {
            quotient += significand < 0 ? -1 : 1
        }
        return ExactDecimal(significand: quotient, scale: places)
    }

    public var isZero: Bool { significand == 0 }
    public var isNegative: Bool { significand < 0 }

    /// A ratio `self / other` rounded half away from zero to `places` digits
    /// (for percentages and shares, which are display values, never money).
    /// nil when `other` is zero or the ratio does not fit; never traps.
    public func ratio(to other: ExactDecimal, places: Int) -> ExactDecimal? {
        guard !other.isZero, places <= Self.maxScale else { return nil }
        let a = significand.magnitude
        let b = other.significand.magnitude
        // |self / other| = a / b × 10^(other.scale − scale); N = round(a / b × 10^fraction).
        let fraction = places + other.scale - scale
        var (quotient, remainder) = a.quotientAndRemainder(dividingBy: b)
        var roundUp: Bool
        if fraction >= 0 {
            for _ in 0..<fraction {
                let (times10, o) = quotient.multipliedReportingOverflow(by: 10)
                guard !o else { return nil }
                let (digit, rest) = b.dividingFullWidth(remainder.multipliedFullWidth(by: 10))
                let (sum, o2) = times10.addingReportingOverflow(digit)
                guard !o2 else { return nil }
                quotient = sum
                remainder = rest
            }
            roundUp = remainder >= b - remainder
        } else if -fraction > 38 {
            quotient = 0
            roundUp = false
        } else {
            let divisor = UInt128(Self.powerOfTen(-fraction - 1)) * 10
            let (q, r) = quotient.quotientAndRemainder(dividingBy: divisor)
            quotient = q
            roundUp = r >= divisor - r
        }
        if roundUp {
            let (sum, o) = quotient.addingReportingOverflow(1)
            guard !o else { return nil }
            quotient = sum
        }
        guard quotient <= UInt128(Int128.max) else { return nil }
        let negative = (significand < 0) != (other.significand < 0)
        return ExactDecimal(significand: negative ? -Int128(quotient) : Int128(quotient), scale: places)
    }

    /// `self / other` in percent, rounded half away from zero to `places`
    /// digits (display only); nil when `other` is zero. Never traps: the
    /// ratio is taken first, so no `× 100` can overflow.
    public func percent(of other: ExactDecimal, places: Int) -> ExactDecimal? {
        guard let fraction = ratio(to: other, places: places + 2) else { return nil }
        return ExactDecimal(significand: fraction.significand, scale: places)
    }

    // MARK: Comparison and hashing

    public static func == (lhs: ExactDecimal, rhs: ExactDecimal) -> Bool {
        compare(lhs, rhs) == 0
    }

    public static func < (lhs: ExactDecimal, rhs: ExactDecimal) -> Bool {
        compare(lhs, rhs) < 0
    }

    /// -1, 0 or 1, without overflow: when raising one side to the other's
    /// scale does not fit, that side is the larger in magnitude.
    private static func compare(_ lhs: ExactDecimal, _ rhs: ExactDecimal) -> Int {
        let scale = max(lhs.scale, rhs.scale)
        guard let l = try? lhs.rescaledChecked(to: scale) else { return lhs.isNegative ? -1 : 1 }
        guard let r = try? rhs.rescaledChecked(to: scale) else { return rhs.isNegative ? 1 : -1 }
        return l.significand < r.significand ? -1 : l.significand == r.significand ? 0 : 1
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
        let text = r.plainString(grouping: grouping)
        guard r.scale < places else { return text }
        return text + (r.scale == 0 ? "." : "") + String(repeating: "0", count: places - r.scale)
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

/// An exact result that does not fit: more than 38 significant digits or
/// more than 36 decimal places.
public struct ExactDecimalOverflow: Error, Sendable, Hashable {
    public init() {}
}

extension ExactDecimal: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int) { self.init(value) }
}
