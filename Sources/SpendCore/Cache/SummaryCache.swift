import Foundation

/// Usage and exact cost of one group of events.
public struct UsageCell: Sendable, Hashable {
    public var events: Int64 = 0
    public var requests: Int64 = 0
    /// Input tokens of every kind: uncached, cached and cache writes.
    public var inputTokens: Int64 = 0
    public var outputTokens: Int64 = 0
    public var cost: ExactDecimal = .zero

    public init(events: Int64 = 0, requests: Int64 = 0, inputTokens: Int64 = 0, outputTokens: Int64 = 0, cost: ExactDecimal = .zero) {
        self.events = events
        self.requests = requests
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cost = cost
    }

    /// Input and output tokens (128 bits: each sum fits Int64, both together may not).
    public var tokens: Int128 { Int128(inputTokens) + Int128(outputTokens) }

    /// Adds `rhs`, checked: on overflow throws naming the sum and leaves `self` unchanged.
    public mutating func add(_ rhs: UsageCell) throws(SumOverflow) {
        var sum = self
        sum.events = try TokenCounts.add(events, rhs.events, field: "events")
        sum.requests = try TokenCounts.add(requests, rhs.requests, field: "requests")
        sum.inputTokens = try TokenCounts.add(inputTokens, rhs.inputTokens, field: "input tokens")
        sum.outputTokens = try TokenCounts.add(outputTokens, rhs.outputTokens, field: "output_tokens")
        do {
            sum.cost = try cost.adding(rhs.cost)
        } catch {
            throw SumOverflow.cost()
        }
        self = sum
    }
}

extension UsageCell {
    /// `add(rhs)` where a sum overflowing is bad input: `error[overflow]` naming `what`.
    mutating func add(_ rhs: UsageCell, for what: String) throws(SpendError) {
        do {
            try add(rhs)
        } catch {
            throw Aggregator.overflow(error, across: what)
        }
    }
}

/// `a - b` where overflow is bad input: `error[overflow]` naming `what` (costs
/// are non-negative, so a difference of two sums only overflows at a rescale).
func checkedDifference(_ a: ExactDecimal, _ b: ExactDecimal, for what: String) throws(SpendError) -> ExactDecimal {
    do {
        return try a.subtracting(b)
    } catch {
        throw Aggregator.overflow(SumOverflow.cost("cost difference"), across: what)
    }
}

/// The grouped, priced usage of one shard version under one price book and
/// one query: what the diff cache stores per shard blob.
public struct ShardSummary: Sendable, Hashable {
    /// Usage per group (the labels of the summary query's columns).
    public var cells: [[String]: UsageCell] = [:]
    /// Invalid lines left out (never cached: a summary with any is not stored).
    public var excluded = ExcludedLines()

    public init(cells: [[String]: UsageCell] = [:]) { self.cells = cells }
}

/// Shard summaries on disk under the git directory
/// (`<git common dir>/spend/diff-cache/`), keyed by the shard's blob id, the
/// rate-card blob ids and the query. A blob id names content, so an entry
/// never goes stale; an entry is only trusted when its magic, its full key
/// and its checksum all match (anything else is ignored and rebuilt).
/// Entries are written to a temporary file and renamed into place, so
/// concurrent runs never see a partial entry. The newest 256 entries are kept.
public struct SummaryCache: Sendable {
    public let directory: String
    /// Bumped when reading a shard changes meaning (2: strict input — summaries
    /// of shards with duplicate keys or invalid UTF-8 must not be served).
    static let magic = "SPEND-DIFF-CACHE 2"
    public static let maxEntries = 256

    public init(gitCommonDirectory: String) {
        directory = (gitCommonDirectory.hasSuffix("/") ? gitCommonDirectory : gitCommonDirectory + "/") + "spend/diff-cache"
    }

    /// The file of a key: the blob id, then a hash of the rest of the key.
    public func path(blob: String, key: String) -> String {
        let bytes = Array(key.utf8)
        let h = bytes.withUnsafeBytes { StringInterner.hash($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, $0.count) }
        return directory + "/" + blob + "-" + String(h, radix: 16)
    }

    static func checksum(_ bytes: ArraySlice<UInt8>) -> String {
        let h = bytes.withUnsafeBytes { StringInterner.hash($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, $0.count) }
        return String(h, radix: 16)
    }

    /// The cached summary, or nil when absent, corrupt or for another key.
    public func load(blob: String, key: String) -> ShardSummary? {
        let file = path(blob: blob, key: key)
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        let bytes = [UInt8](data)
        // The last line is "checksum HEX\n" over everything before it.
        guard bytes.last == 10 else { return nil }
        var cut = bytes.count - 1
        while cut > 0 && bytes[cut - 1] != 10 { cut -= 1 }
        let lastLine = String(decoding: bytes[cut..<(bytes.count - 1)], as: UTF8.self)
        guard lastLine == "checksum " + Self.checksum(bytes[0..<cut]) else { return nil }
        let text = String(decoding: bytes[0..<cut], as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        guard lines.count >= 3, lines[0] == Self.magic, lines[1] == "key " + Self.escape(blob + "|" + key),
            let count = Int(lines[2].dropFirst("cells ".count)), lines[2].hasPrefix("cells "), lines.count == 3 + count
        else { return nil }
        var summary = ShardSummary()
        for line in lines[3...] {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 5 else { return nil }
            let n = fields.count
            guard let events = Int64(fields[n - 5]), let requests = Int64(fields[n - 4]), let input = Int64(fields[n - 3]),
                let output = Int64(fields[n - 2]), let cost = ExactDecimal(fields[n - 1])
            else { return nil }
            let labels = fields[0..<(n - 5)].map(Self.unescape)
            summary.cells[labels] = UsageCell(events: events, requests: requests, inputTokens: input, outputTokens: output, cost: cost)
        }
        utimes(file, nil)
        return summary
    }

    /// Stores a summary (best effort: an unwritable cache is only slower).
    public func store(_ summary: ShardSummary, blob: String, key: String) {
        guard (try? FileSystem.makeDirectories(directory)) != nil else { return }
        var text = Self.magic + "\n" + "key " + Self.escape(blob + "|" + key) + "\n" + "cells \(summary.cells.count)\n"
        for (labels, c) in summary.cells.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            text += (labels.map(Self.escape) + [String(c.events), String(c.requests), String(c.inputTokens), String(c.outputTokens), c.cost.description])
                .joined(separator: "\t") + "\n"
        }
        var bytes = Array(text.utf8)
        bytes += Array(("checksum " + Self.checksum(bytes[...]) + "\n").utf8)
        let target = path(blob: blob, key: key)
        let temp = target + ".tmp.\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n <= 0 { break }
            done += n
        }
        close(fd)
        if done == bytes.count { rename(temp, target) } else { unlink(temp) }
    }

    /// Drops the least recently used entries beyond `maxEntries`, and stale temporary files.
    public func prune() {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: directory) else { return }
        var files: [(name: String, time: Int)] = []
        for name in names {
            var info = stat()
            guard stat(directory + "/" + name, &info) == 0 else { continue }
            let t = Int(info.st_mtim.tv_sec)
            if name.contains(".tmp.") {
                if t < Int(time(nil)) - 3600 { unlink(directory + "/" + name) }
                continue
            }
            files.append((name, t))
        }
        guard files.count > Self.maxEntries else { return }
        files.sort { $0.time > $1.time }
        for file in files[Self.maxEntries...] { unlink(directory + "/" + file.name) }
    }

    static func escape(_ s: String) -> String {
        guard s.contains(where: { $0 == "\\" || $0 == "\t" || $0 == "\n" || $0 == "\r" }) else { return s }
        var out = ""
        for c in s {
            switch c {
            case "\\": out += "\\\\"
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.append(c)
            }
        }
        return out
    }

    static func unescape(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var out = ""
        var escaped = false
        for c in s {
            if escaped {
                switch c {
                case "t": out.append("\t")
                case "n": out.append("\n")
                case "r": out.append("\r")
                default: out.append(c)
                }
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else {
                out.append(c)
            }
        }
        return out
    }
}
