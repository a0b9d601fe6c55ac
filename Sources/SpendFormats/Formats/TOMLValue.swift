import SpendBase

/// A local date (`2024-10-01`), as TOML writes it.
package struct TOMLDate: Sendable, Hashable {
    package var year: Int
    package var month: Int
    package var day: Int
}

/// A local time of day (`07:32:00.999`); `nanoSecond` keeps at most 9 fraction digits.
package struct TOMLTime: Sendable, Hashable {
    package var hour: Int
    package var minute: Int
    package var second: Int
    package var nanoSecond: Int
}

/// A date-time: with `offsetMinutes` an RFC 3339 offset date-time (`Z` is 0), without it a local date-time.
package struct TOMLDateTime: Sendable, Hashable {
    package var date: TOMLDate
    package var time: TOMLTime
    /// Minutes east of UTC, or nil for a local date-time.
    package var offsetMinutes: Int?
}

/// The kind of a TOML value.
package enum TOMLType: Sendable, Hashable {
    case string, int, float, bool, dateTime, date, time, array, table
}

/// One TOML value, as spend's own parser (`TOMLParser`) reads it.
package enum TOMLValue: Sendable, Equatable {
    case string(String)
    case integer(Int64)
    /// The value and the literal as written (underscores kept), so a price written as a float stays exact.
    case float(Double, literal: String)
    case boolean(Bool)
    /// An offset or local date-time.
    case dateTime(TOMLDateTime)
    case date(TOMLDate)
    case time(TOMLTime)
    case array([TOMLValue])
    case table(TOMLTable)

    /// The kind of this value.
    package var type: TOMLType {
        switch self {
        case .string: .string
        case .integer: .int
        case .float: .float
        case .boolean: .bool
        case .dateTime: .dateTime
        case .date: .date
        case .time: .time
        case .array: .array
        case .table: .table
        }
    }

    package var string: String? { if case .string(let s) = self { s } else { nil } }
    package var int: Int64? { if case .integer(let n) = self { n } else { nil } }
    package var double: Double? { if case .float(let d, _) = self { d } else { nil } }
    /// A float's text as written in the file (e.g. `1_000.50`, `3e-6`).
    package var floatLiteral: String? { if case .float(_, let literal) = self { literal } else { nil } }
    package var bool: Bool? { if case .boolean(let b) = self { b } else { nil } }
    package var dateTime: TOMLDateTime? { if case .dateTime(let d) = self { d } else { nil } }
    package var date: TOMLDate? { if case .date(let d) = self { d } else { nil } }
    package var time: TOMLTime? { if case .time(let t) = self { t } else { nil } }
    package var array: [TOMLValue]? { if case .array(let a) = self { a } else { nil } }
    package var table: TOMLTable? { if case .table(let t) = self { t } else { nil } }
}

/// A TOML table: its keys in the order the file defines them.
package struct TOMLTable: Sendable, Equatable {
    /// Keys in definition order.
    package private(set) var keys: [String] = []
    private var values: [String: TOMLValue] = [:]

    package init() {}

    /// The value of `key`, or nil.
    package subscript(key: String) -> TOMLValue? { values[key] }

    /// Adds `key` (the parser guarantees it is new); an existing key keeps its place.
    package mutating func set(_ key: String, _ value: TOMLValue) {
        if values.updateValue(value, forKey: key) == nil { keys.append(key) }
    }

    package static func == (a: TOMLTable, b: TOMLTable) -> Bool { a.keys == b.keys && a.values == b.values }
}
