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

    /// The effects of two rows together, checked.
    public func adding(_ rhs: Effects) throws(ExactDecimalOverflow) -> Effects {
        Effects(
            volume: try volume.adding(rhs.volume), intensity: try intensity.adding(rhs.intensity), price: try price.adding(rhs.price),
            mix: try mix.adding(rhs.mix))
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

    /// Splits `Σ costB − Σ costA` over `models` into volume, mix, intensity
    /// and price; `ExactDecimalOverflow` when a step does not fit 38 digits.
    public static func effects(_ models: [String: ModelUsage]) throws(ExactDecimalOverflow) -> Effects {
        var ra: Int64 = 0
        var rb: Int64 = 0
        var c0 = ExactDecimal.zero
        var c3 = ExactDecimal.zero
        var c4 = ExactDecimal.zero
        for m in models.values {
            (ra, rb) = try (count(ra, m.requestsA), count(rb, m.requestsB))
            c0 = try c0.adding(m.costA)
            c3 = try c3.adding(m.costBAtA)
            c4 = try c4.adding(m.costB)
        }
        var e = Effects()
        e.price = try c4.subtracting(c3)
        if ra == 0 || rb == 0 {
            // A row that appears or disappears: all of its usage change is volume.
            e.volume = try c3.subtracting(c0)
            return e
        }
        let c1 = try divide(c0, times: rb, over: ra)
        var c2 = ExactDecimal.zero
        for key in models.keys.sorted() {
            let m = models[key]!
            if m.requestsA > 0 {
                c2 = try c2.adding(divide(m.costA, times: m.requestsB, over: m.requestsA))
            } else {
                c2 = try c2.adding(m.costBAtA)
            }
        }
        e.volume = try c1.subtracting(c0)
        e.mix = try c2.subtracting(c1)
        e.intensity = try c3.subtracting(c2)
        return e
    }

    private static func count(_ a: Int64, _ b: Int64) throws(ExactDecimalOverflow) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        if overflow { throw ExactDecimalOverflow() }
        return sum
    }

    /// `value × k / d` rounded half away from zero to `places` decimals (exact
    /// when it divides); with fewer places when the product needs them, and
    /// `ExactDecimalOverflow` when even the integer result does not fit.
    public static func divide(_ value: ExactDecimal, times k: Int64, over d: Int64, places: Int = places) throws(ExactDecimalOverflow)
        -> ExactDecimal
    {
        precondition(d != 0)
        var p = max(value.scale, places)
        while p >= 0 {
            // `value` at p places: exact when p ≥ its scale, else rounded (the remainder stays in intensity).
            let start = p >= value.scale ? value : value.rounded(places: p)
            var num = start.significand
            var ok = true
            for _ in 0..<max(0, p - start.scale) {
                let (v, o) = num.multipliedReportingOverflow(by: 10)
                if o { ok = false; break }
                num = v
            }
            if ok {
                let (v, o) = num.multipliedReportingOverflow(by: Int128(k))
                if !o {
                    let den = Int128(d)
                    var (q, r) = v.quotientAndRemainder(dividingBy: den)
                    if r.magnitude >= den.magnitude - r.magnitude { q += ((v < 0) != (den < 0)) ? -1 : 1 }
                    return ExactDecimal(significand: q, scale: p).normalized()
                }
            }
            p -= 1
        }
        throw ExactDecimalOverflow()
    }
}
