import Foundation
import XCTest

/// `spend lint --litellm FILE`: `ratecard-alias-shadow` warnings.
final class LintAliasShadowTests: XCTestCase {
    /// `gpt-5-2025-*` (→ gpt-5, 1.25 / 10) also claims this audio model, priced 2.5 / 20 per 1M.
    static let map = #"{"gpt-5-2025-audio-preview": {"input_cost_per_token": 2.5e-06, "output_cost_per_token": 2e-05}, "gpt-5-2025-08-07": {"input_cost_per_token": 3e-06, "output_cost_per_token": 1e-05}}"#

    static let warning = #"ratecards/openai.toml:48: warning[ratecard-alias-shadow]: alias glob "gpt-5-2025-*" (→ gpt-5) also matches "gpt-5-2025-audio-preview", which LiteLLM (gpt-5-2025-audio-preview) prices at 2.5 / 20 per 1M input / output tokens, not 1.25 / 10 as openai/gpt-5@2025-08-07: narrow the glob, or alias or price "gpt-5-2025-audio-preview" on its own"#

    func testWarnsWithTheMapAndFailsUnderStrict() throws {
        let repo = try makeRepo()
        try repo.write("prices/litellm.json", Self.map)
        let plain = try repo.spend("lint", "--all")
        assertOK(plain)
        XCTAssertFalse(plain.stdout.contains("ratecard-alias-shadow"), plain.stdout)

        let r = try repo.spend("lint", "--all", "--litellm", "prices/litellm.json")
        assertOK(r)
        XCTAssertTrue(r.stdout.contains(Self.warning + "\n   |\n48 | \"gpt-5-2025-*\" = \"gpt-5\"\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("spend lint: 0 errors, 1 warning"), r.stdout)
        // gpt-5-2025-08-07 is an exact alias: the glob does not claim it.
        XCTAssertFalse(r.stdout.contains("gpt-5-2025-08-07"), r.stdout)

        let strict = try repo.spend("lint", "--all", "--strict", "--litellm", "prices/litellm.json")
        XCTAssertEqual(strict.status, 1, strict.stdout + strict.stderr)

        // With -C, a relative FILE is taken from DIR.
        let elsewhere = try runSpend("spend", ["lint", "-C", repo.root.path, "--litellm", "prices/litellm.json"],
            in: repo.root.appendingPathComponent("prices"))
        assertOK(elsewhere)
        XCTAssertTrue(elsewhere.stdout.contains("warning[ratecard-alias-shadow]"), elsewhere.stdout)
    }

    func testAnUnreadableMapIsAUsageError() throws {
        let repo = try makeRepo()
        let r = try repo.spend("lint", "--litellm", "nowhere.json")
        assertRejected(r)
        XCTAssertEqual(r.stderr, "spend: error: --litellm nowhere.json: cannot read the file\n")
    }
}
