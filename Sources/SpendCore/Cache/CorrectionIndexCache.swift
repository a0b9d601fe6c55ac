import Foundation

/// The corrections each shard blob declares: the hashes of the ids its
/// correction events correct (`CorrectionSet`), kept under the git directory
/// (`<git common dir>/spend/corrections/<blob id>`). A blob id names
/// content, so an entry never goes stale. The diff reads these for every
/// shard of a snapshot before it picks summaries: a correction in one shard
/// changes what another shard contributes, so the summary cache is keyed by
/// the snapshot's corrections too. Almost every entry is empty. The newest
/// 1,024 entries are kept.
public struct CorrectionIndexCache: Sendable {
    public let directory: String
    static let magic = "SPEND-CORRECTIONS 1"
    public static let maxEntries = 1024

    public init(gitCommonDirectory: String) {
        directory = (gitCommonDirectory.hasSuffix("/") ? gitCommonDirectory : gitCommonDirectory + "/") + "spend/corrections"
    }

    /// The declared corrections of a blob, or nil when not cached (or corrupt).
    public func load(_ blob: String) -> [UInt64]? {
        guard let data = FileManager.default.contents(atPath: directory + "/" + blob) else { return nil }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        // magic, the hashes, "end", and the empty string after the last newline.
        guard lines.count >= 3, lines[0] == Self.magic, lines[lines.count - 2] == "end", lines.last == "" else { return nil }
        var out: [UInt64] = []
        for line in lines[1..<(lines.count - 2)] {
            guard let h = UInt64(line, radix: 16) else { return nil }
            out.append(h)
        }
        return out
    }

    /// Stores a blob's declared corrections (best effort: an unwritable cache is only slower).
    public func store(_ hashes: [UInt64], for blob: String) {
        guard (try? FileSystem.makeDirectories(directory)) != nil else { return }
        var text = Self.magic + "\n"
        for h in hashes.sorted() { text += String(h, radix: 16) + "\n" }
        text += "end\n"
        let target = directory + "/" + blob
        let temp = target + ".tmp.\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        guard FileManager.default.createFile(atPath: temp, contents: Data(text.utf8)) else { return }
        if rename(temp, target) != 0 { unlink(temp) }
    }

    /// Drops the least recently written entries beyond `maxEntries`.
    public func prune() {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: directory), names.count > Self.maxEntries else { return }
        var files: [(name: String, time: Int)] = []
        for name in names {
            var info = stat()
            guard stat(directory + "/" + name, &info) == 0 else { continue }
            files.append((name, Int(info.st_mtim.tv_sec)))
        }
        files.sort { $0.time > $1.time }
        for file in files.dropFirst(Self.maxEntries) { unlink(directory + "/" + file.name) }
    }
}
