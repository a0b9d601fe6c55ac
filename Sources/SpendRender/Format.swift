import SpendCore

/// Numbers, money and percentages as tables show them. CSV and JSON never use
/// these: they write the exact `description` of every amount.
///
/// The signed forms differ on purpose only where noted; each is the one its
/// verb has always printed (the tests hold the output byte for byte).
public enum Format {
    /// `1234567` → `1,234,567`.
    public static func integer(_ n: Int64) -> String {
        ExactDecimal(n).formatted(places: 0, grouping: true)
    }

    /// `$1,234.50`: a cost rounded to `places` (a negative one reads `$-3.00`).
    public static func dollars(_ v: ExactDecimal, places: Int, grouping: Bool = true) -> String {
        "$" + v.formatted(places: places, grouping: grouping)
    }

    /// `$3.00`, `-$3.00`: the sign before the dollar sign (reprice's costs).
    public static func money(_ v: ExactDecimal, places: Int) -> String {
        let text = v.formatted(places: places, grouping: true)
        return text.hasPrefix("-") ? "-$" + text.dropFirst() : "$" + text
    }

    /// `+$0.40`, `-$0.40`; `$0.00` when exactly zero, and for a negative amount that
    /// rounds to zero (reprice's drift).
    public static func signedMoney(_ v: ExactDecimal, places: Int) -> String {
        v.isZero || v.isNegative ? money(v, places: places) : "+" + money(v, places: places)
    }

    /// `+$0.40`, `-$0.40`; `$0.00` only when exactly zero, `+$0.00` for any other
    /// amount that rounds to zero (audit's impacts).
    public static func impact(_ v: ExactDecimal, places: Int) -> String {
        let text = v.formatted(places: places, grouping: true)
        return text.hasPrefix("-") ? "-$" + text.dropFirst() : (v.isZero ? "$" : "+$") + text
    }

    /// `+$0.40`, `-$0.40`; `$0.00` for anything that rounds to zero (diff's deltas and effects).
    public static func delta(_ v: ExactDecimal, places: Int) -> String {
        if v.rounded(places: places).isZero { return "$" + ExactDecimal.zero.formatted(places: places) }
        return (v.isNegative ? "-$" : "+$") + (v.isNegative ? -v : v).formatted(places: places, grouping: true)
    }

    /// A change in percent with one decimal: `+12.5%`, `-3.0%`, `0.0%` (`+0.0%` with
    /// `plusOnZero`, as audit writes it), or `none` when there is no base to compare to.
    public static func percentChange(_ v: ExactDecimal?, none: String, plusOnZero: Bool = false) -> String {
        guard let v else { return none }
        return (v.isNegative || (v.isZero && !plusOnZero) ? "" : "+") + v.formatted(places: 1) + "%"
    }

    /// A share in percent with one decimal: `12.5%`.
    public static func percent(_ v: ExactDecimal) -> String {
        v.formatted(places: 1) + "%"
    }
}
