import ArgumentParser
import Foundation
import SpendCore
import SpendRender

/// `spend demo`: builds a scripted repository and runs report, diff and the release diff on it.
public struct DemoCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Build a scripted demo repository and run report, diff and the release diff on it.",
        discussion: """
            The demo repository has releases v1.0-v1.3 of a small app, a retry loop introduced in the \
            summaries feature in v1.3, a gpt-4o-mini price cut, and prototype spend with no owner tags \
            (unattributed) and no release. It is kept, so you \
            can run more commands on it (spend report -C DIR ...).
            """,
        version: SpendVersion.string)

    @Option(help: ArgumentHelp("Build the repository here (must not exist; default: a new temporary directory).", valueName: "dir"))
    public var dir: String?

    public init() {}

    public func run() throws {
        let fm = FileManager.default
        let path: String
        if let dir {
            var info = stat()
            let absolute = Invocation.current.resolve(dir)
            guard lstat(absolute, &info) != 0 else { throw SpendError.usage("--dir \(dir) already exists; give a new directory") }
            path = URL(fileURLWithPath: absolute).standardizedFileURL.path
            let parent = (path as NSString).deletingLastPathComponent
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw SpendError.usage("--dir \(dir): \(parent) is not an existing directory; create it first (spend demo makes only the last directory)")
            }
        } else {
            path = fm.temporaryDirectory.appendingPathComponent("spend-demo-\(UUID().uuidString.prefix(8).lowercased())").path
        }
        do { try DemoRepository.build(at: path) } catch let e as SpendError { throw e } catch {
            throw SpendError.usage("cannot build the demo repository at \(path): \(Self.reason(error))")
        }
        let repo = try CostRepository(directory: path)
        var out = "Built a demo cost repository at \(path)\n"
        out += "(4 releases of a small app; v1.3 added a retry loop to summaries; gpt-4o-mini got cheaper on 2026-03-01)\n"
        func show(_ command: String, _ text: String) {
            out += "\n$ spend \(command)\n" + text
        }
        let environment = Invocation.current.environment
        let useCache = environment["SPEND_DIFF_CACHE"] != "0"
        let summaries = SummaryEngine.forRepository(repo, useCache: useCache)
        let frontend = DiffFrontend(repository: repo, useCache: useCache)
        show("report --by feature", try ReportFrontend(repository: repo, source: .workingTree).render(
            query: try ReportQuery(by: ["feature"]), format: .table, precision: 2))
        show("releases", ReleaseListRenderer(precision: 2).render(
            try ReleaseList.build(repository: repo, summaries: summaries, pattern: nil, query: try ReportQuery(by: ["team"]), threshold: 30),
            as: .table))
        show("diff v1.2 HEAD --by feature", DiffRenderer(precision: 2, explain: true).render(
            try frontend.stateDiff(from: .revision("v1.2"), to: .revision("HEAD"), query: try ReportQuery(by: ["feature"]), top: nil),
            as: .table))
        if environment["SPEND_DIFF_STATS"] == "1" { Console.err(frontend.statistics) }
        show("diff --releases v1.2 v1.3", ReleaseDiffRenderer(precision: 2).render(
            try frontend.releaseDiff("v1.2", "v1.3", query: try ReportQuery(by: ["feature"]), threshold: 30, top: nil), as: .table))
        if environment["SPEND_DIFF_STATS"] == "1" { Console.err(frontend.statistics) }
        out += "\nNext: spend diff -C \(path) --releases v1.2 v1.3 --format csv, or spend report -C \(path) --by team,model\n"
        Console.out(out)
    }

    /// What went wrong, as the system says it (`Read-only file system`), not a raw NSError dump.
    static func reason(_ error: Error) -> String {
        if let io = error as? IOError { return String(cString: strerror(io.code)) }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if let git = error as? GitError { return git.message }
        return ns.localizedDescription
    }
}
