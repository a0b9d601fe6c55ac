import Foundation

/// The tags an appended event gets for the keys it does not carry itself: a
/// comma list of `KEY=VALUE` pairs (as the CLI's `SPEND_TAGS` holds them),
/// then single pairs that win over the list (as the CLI's `--tag` gives them).
public enum DefaultTags {
    /// Splits `KEY=VALUE` at its first `=`; nil without one or with an empty key.
    public static func pair(_ text: String) -> (key: String, value: String)? {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else { return nil }
        return (String(text[..<eq]), String(text[text.index(after: eq)...]))
    }

    /// One `KEY=VALUE` pair, or ``RequestProblem/badTag(_:)``.
    public static func parsePair(_ text: String) throws(SpendError) -> (key: String, value: String) {
        guard let pair = pair(text) else { throw SpendError.request(.badTag(text)) }
        return pair
    }

    /// The tags of `list` (`"team=growth, env=prod"`: items trimmed, blank
    /// items skipped; a bad item is ``RequestProblem/badTagList(_:)``),
    /// overridden by `pairs` in order (a bad one is ``RequestProblem/badTag(_:)``).
    public static func parse(list: String?, pairs: [String] = []) throws(SpendError) -> [String: String] {
        var tags: [String: String] = [:]
        if let list {
            for item in list.split(separator: ",") {
                let text = item.trimmingCharacters(in: .whitespaces)
                if text.isEmpty { continue }
                guard let (key, value) = pair(text) else { throw SpendError.request(.badTagList(text)) }
                tags[key] = value
            }
        }
        for text in pairs {
            let (key, value) = try parsePair(text)
            tags[key] = value
        }
        return tags
    }
}
