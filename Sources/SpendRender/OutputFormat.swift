import SpendCore

/// Output formats of reporting verbs.
public enum OutputFormat: String, Sendable, CaseIterable {
    case table, csv, json
}
