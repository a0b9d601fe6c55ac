extension ExactDecimal {
    /// Appends `description` as UTF-8 bytes (the same text) without making
    /// a `String`: for writers that emit a cost per ledger line.
    public func appendDescription(to out: inout [UInt8]) {
        let n = normalized()
        var magnitude = n.significand.magnitude
        // Digits, least significant first (at most 39 for a 128-bit value).
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { buffer in
            var count = 0
            repeat {
                let (q, r) = magnitude.quotientAndRemainder(dividingBy: 10)
                buffer[count] = 48 + UInt8(r)
                count += 1
                magnitude = q
            } while magnitude > 0
            if n.significand < 0 { out.append(45) }
            let scale = n.scale
            if count <= scale {
                // 0.000ddd
                out.append(48)
                out.append(46)
                for _ in 0..<(scale - count) { out.append(48) }
                for i in stride(from: count - 1, through: 0, by: -1) { out.append(buffer[i]) }
                return
            }
            for i in stride(from: count - 1, through: scale, by: -1) { out.append(buffer[i]) }
            if scale > 0 {
                out.append(46)
                for i in stride(from: scale - 1, through: 0, by: -1) { out.append(buffer[i]) }
            }
        }
    }
}
