@testable import SpendCore

/// Tests name rules by their printed id (`XCTAssertEqual(d.rule, "overflow")`),
/// the text users and tools see. An id the registry does not know fails the
/// test that names it.
extension Rule: ExpressibleByStringLiteral {
    public init(stringLiteral id: String) {
        guard let rule = Rule(rawValue: id) else { preconditionFailure("no rule \"\(id)\" in the registry (Rule)") }
        self = rule
    }
}
