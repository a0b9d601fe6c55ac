/// Generates event ids that are unique and sort by time: ULIDs (48-bit
/// millisecond time, 80 random bits, Crockford base32, 26 characters).
/// Within one millisecond the random part is incremented, so ids from one
/// process are strictly increasing.
public struct EventIdentifier {
    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)
    private var lastMillis: Int64 = -1
    private var high: UInt16 = 0
    private var low: UInt64 = 0
    private var generator = SystemRandomNumberGenerator()

    public init() {}

    /// A new id for an event made at `millis`.
    public mutating func next(millis: Int64) -> String {
        if millis == lastMillis {
            low &+= 1
            if low == 0 { high &+= 1 }
        } else {
            lastMillis = millis
            high = UInt16.random(in: 0...UInt16.max, using: &generator)
            low = UInt64.random(in: 0...UInt64.max, using: &generator) >> 1  // room to increment
        }
        // 128 bits: time (48) | random high (16) | random low (64).
        let hi = (UInt64(truncatingIfNeeded: max(0, millis)) << 16) | UInt64(high)
        let lo = low
        var out = [UInt8](repeating: 0, count: 26)
        // Base32 from the least significant end: 26 × 5 = 130 bits (2 leading zero bits).
        var h = hi
        var l = lo
        for i in stride(from: 25, through: 0, by: -1) {
            out[i] = Self.alphabet[Int(l & 31)]
            l = (l >> 5) | (h << 59)
            h >>= 5
        }
        return String(decoding: out, as: UTF8.self)
    }
}
