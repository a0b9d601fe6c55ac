/// The group of an event as fixed-size lanes of interned ids (no
/// allocation per event): one lane per `--by` dimension from lane 0, the
/// period bucket in `GroupKey.periodLane`, and lanes from
/// `GroupKey.firstConsumerLane` on free for the consumer (report keeps its
/// rate selection there). Ids are the chunk's interner's; decode with
/// `GroupKey.labels` before merging chunks.
public typealias GroupKey = SIMD16<Int32>

extension GroupKey {
    /// Lanes 0..<this hold the dimensions.
    public static let dimensionLanes = ReportQuery.maxDimensions
    /// The period bucket (`Period.bucket`), 0 without a period.
    public static let periodLane = 11
    /// Lanes from here on are the consumer's.
    public static let firstConsumerLane = 12
    /// Value id of a missing tag (or an empty one): `(unattributed)`.
    public static let unattributed: Int32 = -2
    /// Value id of a missing optional field: `(none)`.
    public static let none: Int32 = -3

    /// The label of a dimension value id.
    public static func label(_ id: Int32, _ interner: StringInterner) -> String {
        switch id {
        case unattributed: Dimension.unattributedLabel
        case none: Dimension.noneLabel
        default: interner.string(id)
        }
    }

    /// The value id a `--where` value stands for: the sentinels for
    /// `(unattributed)` (or an empty value) and `(none)`, else the interned value.
    static func id(ofFilterValue value: String, _ interner: inout StringInterner) -> Int32 {
        if value == Dimension.unattributedLabel || value.isEmpty { return unattributed }
        if value == Dimension.noneLabel { return none }
        return interner.intern(value)
    }

    /// The labels of a key: one per dimension (`dimensions` of them), with
    /// the period's label inserted at `periodAt` when there is a period.
    public func labels(dimensions: Int, period: Period?, _ interner: StringInterner, periodAt: Int = 0) -> [String] {
        var labels: [String] = []
        labels.reserveCapacity(dimensions + 1)
        for i in 0..<dimensions { labels.append(Self.label(self[i], interner)) }
        if let period { labels.insert(period.label(self[Self.periodLane]), at: periodAt) }
        return labels
    }
}

/// Groups by their keys: an open-addressing table with a cheap mixing hash
/// (the per-event lookup of an aggregation).
struct BucketTable {
    private(set) var keys: [GroupKey] = []
    private var hashes: [UInt64] = []
    private var slots = [Int32](repeating: -1, count: 64)
    private var mask = 63

    @inline(__always) static func hash(_ lanes: GroupKey) -> UInt64 {
        let wide = unsafeBitCast(lanes, to: SIMD8<UInt64>.self)
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in 0..<8 { h = (h ^ wide[i]) &* 0xff51_afd7_ed55_8ccd }
        return h ^ (h >> 29)
    }

    /// The bucket of `lanes`, or nil.
    @inline(__always) func find(_ lanes: GroupKey, hash h: UInt64) -> Int32? {
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let b = slots[slot]
            if b < 0 { return nil }
            if hashes[Int(b)] == h && keys[Int(b)] == lanes { return b }
            slot = (slot + 1) & mask
        }
    }

    /// Adds a bucket (not present) and returns its index.
    mutating func insert(_ lanes: GroupKey, hash h: UInt64) -> Int32 {
        let b = Int32(keys.count)
        keys.append(lanes)
        hashes.append(h)
        if keys.count * 2 > slots.count {
            slots = [Int32](repeating: -1, count: slots.count * 2)
            mask = slots.count - 1
            for (k, kh) in hashes.enumerated() { place(Int32(k), kh) }
        } else {
            place(b, h)
        }
        return b
    }

    /// The bucket of `lanes`, added when new (`added` says so).
    @inline(__always) mutating func index(_ lanes: GroupKey, added: inout Bool) -> Int {
        let h = Self.hash(lanes)
        if let b = find(lanes, hash: h) { return Int(b) }
        added = true
        return Int(insert(lanes, hash: h))
    }

    private mutating func place(_ b: Int32, _ h: UInt64) {
        var slot = Int(truncatingIfNeeded: h) & mask
        while slots[slot] >= 0 { slot = (slot + 1) & mask }
        slots[slot] = b
    }
}
