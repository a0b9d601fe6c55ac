/// The four effects a change of cost splits into (see docs/diff.md).
///
/// Sequential substitution, at exact decimals, per row:
///
///     C0 = cost of A's usage at A's prices                      (cost_a)
///     C1 = C0 × R_B / R_A            B's request count, A's model shares and A's cost per request of each model
///     C2 = Σ_m r_Bm × C_Am / r_Am    B's model shares, A's cost per request of each model (a model A never used: its B usage at A prices)
///     C3 = cost of B's usage at A's prices
///     C4 = cost of B's usage at B's prices                      (cost_b)
///
///     volume = C1 − C0, mix = C2 − C1, intensity = C3 − C2, price = C4 − C3
///
/// The effects telescope to C4 − C0 = Δ exactly. C1 and C2 are the only
/// divisions; they are rounded half away from zero to 12 decimal places
/// (exact when the division is), and the rounding remainder stays in
/// `intensity`, so the four effects always sum to Δ exactly.
public struct Effects: Sendable, Hashable {
    public var volume: ExactDecimal = .zero
    public var intensity: ExactDecimal = .zero
    public var price: ExactDecimal = .zero
    public var mix: ExactDecimal = .zero

    public init(volume: ExactDecimal = .zero, intensity: ExactDecimal = .zero, price: ExactDecimal = .zero, mix: ExactDecimal = .zero) {
        self.volume = volume
        self.intensity = intensity
        self.price = price
        self.mix = mix
    }

    public var sum: ExactDecimal { volume + intensity + price + mix }

    public static func += (lhs: inout Effects, rhs: Effects) {
        lhs.volume += rhs.volume
        lhs.intensity += rhs.intensity
        lhs.price += rhs.price
        lhs.mix += rhs.mix
    }
}

/// One model's usage on both sides of a row.
public struct ModelUsage: Sendable, Hashable {
    public var requestsA: Int64 = 0
    /// Cost of A's usage at A's prices.
    public var costA: ExactDecimal = .zero
    public var requestsB: Int64 = 0
    /// Cost of B's usage at B's prices.
    public var costB: ExactDecimal = .zero
    /// Cost of B's usage at A's prices.
    public var costBAtA: ExactDecimal = .zero

    public init() {}
}

public enum Decomposition {
    /// Decimal places of the two divisions (C1, C2).
    public static let places = 12

    /// Splits `Σ costB − Σ costA` over `models` into volume, mix, intensity and price.
    public static func effects(_ models: [String: ModelUsage]) -> Effects {
        var ra: Int64 = 0
        var rb: Int64 = 0
        var c0 = ExactDecimal.zero
        var c3 = ExactDecimal.zero
        var c4 = ExactDecimal.zero
        for m in models.values {
            ra += m.requestsA
            rb += m.requestsB
            c0 += m.costA
            c3 += m.costBAtA
            c4 += m.costB
        }
        var e = Effects()
        e.price = c4 - c3
        if ra == 0 || rb == 0 {
            // A row that appears or disappears: all of its usage change is volume.
            e.volume = c3 - c0
            return e
        }
        let c1 = divide(c0, times: rb, over: ra)
        var c2 = ExactDecimal.zero
        for key in models.keys.sorted() {
            let m = models[key]!
            if m.requestsA > 0 {
                c2 += divide(m.costA, times: m.requestsB, over: m.requestsA)
            } else {
                c2 += m.costBAtA
            }
        }
        e.volume = c1 - c0
        e.mix = c2 - c1
        e.intensity = c3 - c2
        return e
    }

    /// `value × k / d` rounded half away from zero to `places` decimals (exact when it divides).
    public static func divide(_ value: ExactDecimal, times k: Int64, over d: Int64, places: Int = places) -> ExactDecimal {
        precondition(d != 0)
        let scale = max(value.scale, places)
        var p = scale
        while p >= value.scale {
            var num = value.significand
            var ok = true
            for _ in 0..<(p - value.scale) {
                let (v, o) = num.multipliedReportingOverflow(by: 10)
                if o { ok = false; break }
                num = v
            }
            if ok {
                let (v, o) = num.multipliedReportingOverflow(by: Int128(k))
                if !o {
                    let den = Int128(d)
                    var (q, r) = v.quotientAndRemainder(dividingBy: den)
                    if r.magnitude * 2 >= den.magnitude { q += ((v < 0) != (den < 0)) ? -1 : 1 }
                    return ExactDecimal(significand: q, scale: p).normalized()
                }
            }
            p -= 1
        }
        // Astronomically large values: divide first (still deterministic; intensity keeps the remainder).
        return (value.ratio(to: ExactDecimal(d), places: value.scale) ?? .zero) * ExactDecimal(k)
    }
}
