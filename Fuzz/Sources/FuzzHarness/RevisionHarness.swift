import Foundation
import SpendCore

/// Revision arguments: `spend diff`'s argument forms, and libgit2's revision
/// parser through `GitRepository` on a small fixture repository (made once per
/// process with the git CLI, like the tests do).
enum RevisionHarness {
    struct Fixture: @unchecked Sendable {
        var repository: GitRepository
        var commits: Set<String>
    }

    static let fixture: Fixture? = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spend-fuzz-revision-\(getpid())").path
        try? FileManager.default.removeItem(atPath: dir)
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        func git(_ args: String...) -> String? {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["git", "-C", dir, "-c", "user.name=Fuzz", "-c", "user.email=fuzz@example.com"] + args
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return nil }
            let out = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return process.terminationStatus == 0 ? String(decoding: out, as: UTF8.self) : nil
        }
        guard git("init", "-q", "-b", "main") != nil else { return nil }
        for (i, name) in ["v1.0", "v1.1", "v2.0"].enumerated() {
            _ = FileManager.default.createFile(atPath: dir + "/file\(i).txt", contents: Data("\(i)\n".utf8))
            _ = git("add", "-A")
            _ = git("commit", "-q", "-m", "commit \(i)")
            _ = git("tag", name)
            if i == 1 { _ = git("branch", "feature") }
        }
        _ = git("checkout", "-q", "feature")
        _ = git("commit", "-q", "--allow-empty", "-m", "on feature")
        _ = git("checkout", "-q", "main")
        guard let all = git("rev-list", "--all"), let repository = try? GitRepository(at: dir) else { return nil }
        atexit {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spend-fuzz-revision-\(getpid())").path
            try? FileManager.default.removeItem(atPath: dir)
        }
        return Fixture(repository: repository, commits: Set(all.split(separator: "\n").map(String.init)))
    }()

    static func check(_ data: UnsafeRawBufferPointer) -> String? {
        let text = String(decoding: data, as: UTF8.self)
        let args = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        _ = try? DiffFrontend.sides(args)
        _ = try? DiffFrontend.releasePair(args)
        guard let fixture = fixture else { return "cannot create the fixture repository (is git installed?)" }
        for rev in args.prefix(4) {
            if let id = try? fixture.repository.commitID(rev), !fixture.commits.contains(id.hex) {
                return "commitID(\(show(Array(rev.utf8)))) = \(id.hex), not a commit of the repository"
            }
            if let range = try? fixture.repository.commits(inRange: rev), let odd = range.first(where: { !fixture.commits.contains($0.hex) }) {
                return "commits(inRange: \(show(Array(rev.utf8)))) yields \(odd.hex), not a commit of the repository"
            }
        }
        return nil
    }
}
