import Foundation
import SpendBase
import SpendFormats

/// A git directory located and read with plain file reads: where a
/// repository's `.git` is, and what HEAD points at. For hot paths such as
/// `spend append`, where starting libgit2 (which loads the TLS certificate
/// store on init) would cost more than the whole append; anything unusual
/// returns nil and callers fall back to libgit2.
public struct GitDirectory: Sendable {
    /// The repository's git directory (a worktree's own one for linked worktrees).
    public let path: String
    /// The directory shared by all worktrees (objects, refs, config), with a trailing slash.
    public let commonDirectory: String

    /// Finds the git directory of the work tree containing `start` (like `git rev-parse --git-dir`).
    public static func discover(from start: String) -> GitDirectory? {
        var dir = URL(fileURLWithPath: start).standardizedFileURL.path
        let fm = FileManager.default
        while true {
            let candidate = dir == "/" ? "/.git" : dir + "/.git"
            var isDirectory: ObjCBool = false
            if fm.fileExists(atPath: candidate, isDirectory: &isDirectory) {
                if isDirectory.boolValue { return GitDirectory(gitDirectory: candidate) }
                // A worktree or submodule: `.git` is a file "gitdir: PATH".
                guard let text = read(candidate), text.hasPrefix("gitdir:") else { return nil }
                var target = text.dropFirst(7).trimmingCharacters(in: .whitespacesAndNewlines)
                if !target.hasPrefix("/") { target = dir + "/" + target }
                return GitDirectory(gitDirectory: URL(fileURLWithPath: target).standardizedFileURL.path)
            }
            if dir == "/" || dir.isEmpty { return nil }
            dir = (dir as NSString).deletingLastPathComponent
        }
    }

    init(gitDirectory: String) {
        path = gitDirectory
        var common = gitDirectory
        if let text = Self.read(gitDirectory + "/commondir") {
            let relative = text.trimmingCharacters(in: .whitespacesAndNewlines)
            common = relative.hasPrefix("/") ? relative : gitDirectory + "/" + relative
            common = URL(fileURLWithPath: common).standardizedFileURL.path
        }
        commonDirectory = common.hasSuffix("/") ? common : common + "/"
    }

    /// The commit HEAD points at (40 or 64 hex digits), or nil when unborn or unreadable.
    public func headCommit() -> String? {
        guard let head = Self.read(path + "/HEAD")?.trimmingCharacters(in: .whitespacesAndNewlines) else { return nil }
        if Self.isObjectID(head) { return head }
        guard head.hasPrefix("ref: ") else { return nil }
        return resolve(String(head.dropFirst(5)))
    }

    /// True when HEAD names a branch that has no commit yet (a new repository).
    public var headIsUnborn: Bool {
        guard let head = Self.read(path + "/HEAD")?.trimmingCharacters(in: .whitespacesAndNewlines), head.hasPrefix("ref: ") else {
            return false
        }
        return resolve(String(head.dropFirst(5))) == nil
    }

    /// The object id a full ref name points at (loose, then packed), or nil.
    public func resolve(_ ref: String) -> String? {
        for base in [path + "/", commonDirectory] {
            if let text = Self.read(base + ref)?.trimmingCharacters(in: .whitespacesAndNewlines) {
                if Self.isObjectID(text) { return text }
                if text.hasPrefix("ref: ") { return resolve(String(text.dropFirst(5))) }
                return nil
            }
        }
        guard let packed = Self.read(commonDirectory + "packed-refs") else { return nil }
        for line in packed.split(separator: "\n") where line.hasSuffix(" " + ref) {
            let id = String(line.prefix { $0 != " " })
            return Self.isObjectID(id) ? id : nil
        }
        return nil
    }

    /// A fingerprint of every tag (loose and packed): it changes when a tag
    /// is added, moved or deleted.
    public func tagsFingerprint() -> UInt64 {
        var text = Self.read(commonDirectory + "packed-refs").map { packed in
            packed.split(separator: "\n").filter { $0.contains(" refs/tags/") || $0.hasPrefix("^") }.joined(separator: "\n")
        } ?? ""
        let tags = commonDirectory + "refs/tags"
        if let names = FileManager.default.enumerator(atPath: tags) {
            var loose: [String] = []
            while let name = names.nextObject() as? String {
                if let content = Self.read(tags + "/" + name) { loose.append(name + " " + content) }
            }
            text += "\n" + loose.sorted().joined(separator: "\n")
        }
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBytes { StringInterner.hash(UnsafeRawPointer($0.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 1)!), $0.count) }
    }

    static func isObjectID(_ text: String) -> Bool {
        (text.utf8.count == 40 || text.utf8.count == 64) && text.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    static func read(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }
}
