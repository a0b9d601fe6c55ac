import SpendBase

/// Maps byte strings to dense `Int32` ids without allocating per lookup:
/// an open-addressing table over one byte arena. One per worker thread.
public struct StringInterner {
    // `@usableFromInline`: `intern(_:_:)` is inlined into the scan loops of
    // other targets (a cross-module call per event costs ~5% of a report).
    @usableFromInline var arena: [UInt8] = []
    @usableFromInline var offsets: [Int] = []
    @usableFromInline var lengths: [Int] = []
    @usableFromInline var hashes: [UInt64] = []
    @usableFromInline var slots: [Int32]
    @usableFromInline var mask: Int

    public init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        arena.reserveCapacity(capacity * 16)
    }

    /// Number of distinct strings.
    public var count: Int { offsets.count }

    @inlinable @inline(__always)
    package static func hash(_ p: UnsafeRawPointer, _ n: Int) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(n)
        var i = 0
        while i + 8 <= n {
            let w = p.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h = (h ^ w) &* 0x1000_0000_01b3
            h ^= h >> 29
            i += 8
        }
        while i < n {
            h = (h ^ UInt64(p.load(fromByteOffset: i, as: UInt8.self))) &* 0x1000_0000_01b3
            i += 1
        }
        h ^= h >> 32
        h = h &* 0x9E37_79B9_7F4A_7C15
        return h ^ (h >> 31)
    }

    /// The id of the bytes, adding them if new.
    @inlinable @inline(__always)
    public mutating func intern(_ p: UnsafeRawPointer, _ n: Int) -> Int32 {
        let h = Self.hash(p, n)
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let id = slots[slot]
            if id < 0 { break }
            let k = Int(id)
            if hashes[k] == h && lengths[k] == n
                && arena.withUnsafeBytes({ bytesEqual($0.baseAddress! + offsets[k], p, n) })
            {
                return id
            }
            slot = (slot + 1) & mask
        }
        let id = Int32(offsets.count)
        offsets.append(arena.count)
        lengths.append(n)
        hashes.append(h)
        arena.append(contentsOf: UnsafeRawBufferPointer(start: p, count: n))
        slots[slot] = id
        if offsets.count * 2 > slots.count { grow() }
        return id
    }

    /// The id of a Swift string, adding it if new.
    public mutating func intern(_ s: String) -> Int32 {
        var copy = s
        return copy.withUTF8 { buffer in
            intern(UnsafeRawPointer(buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!.assumingMemoryBound(to: UInt8.self)), buffer.count)
        }
    }

    /// The string of an id.
    public func string(_ id: Int32) -> String {
        let k = Int(id)
        return String(decoding: arena[offsets[k]..<(offsets[k] + lengths[k])], as: UTF8.self)
    }

    @usableFromInline mutating func grow() {
        let size = slots.count * 2
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        for (k, h) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: h) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(k)
        }
    }
}
