/// What a ledger holds for correcting it (docs/FORMAT.md, "Corrections"):
/// where each wanted id is (with its event, when the line can be read), and
/// every correction already made (its target, kind and place). Lint's
/// correction rules and the correcting verbs (`spend void`, `spend retag`,
/// `spend replace`) read the ledger through it, so both judge the same way.
public struct CorrectionSurvey: Sendable {
    /// A place in the ledger: `path:line`.
    public struct Place: Sendable, Hashable, CustomStringConvertible {
        public var path: String
        public var line: Int
        public var description: String { "\(path):\(line)" }
    }

    /// A wanted id found in the ledger.
    public struct Found: Sendable {
        public var place: Place
        /// The event, or nil for a line the scanner rejects (it can be voided, not replaced).
        public var event: LedgerEvent?
    }

    /// A correction already in the ledger.
    public struct Existing: Sendable {
        public var place: Place
        public var kind: CorrectionKind
        public var id: String
    }

    /// Wanted ids by hash (`IdSet.hash`); the first line with the id wins.
    public var found: [UInt64: Found] = [:]
    /// Corrections by the hash of the id they correct, in ledger order.
    public var corrections: [UInt64: [Existing]] = [:]

    /// Reads `chunks` (whole shards, in ledger order) for the `wanted` id hashes.
    public init(_ chunks: [LedgerChunk], wanted: Set<UInt64>) {
        var scope = ScanScope()
        scope.countsLines = true
        scope.appliesCorrections = false
        let parts = ScanEngine.run(chunks, Reader(wanted: wanted, scope: scope))
        var linesBefore: [ObjectIdentifier: (end: Int, lines: Int)] = [:]
        for (chunk, part) in zip(chunks, parts) {
            let key = ObjectIdentifier(chunk.buffer)
            var before = 0
            if let r = linesBefore[key], r.end == chunk.range.lowerBound { before = r.lines }
            linesBefore[key] = (chunk.range.upperBound, before + part.lines)
            func place(_ relLine: Int) -> Place { Place(path: chunk.path, line: before + relLine + 1) }
            for f in part.partial.found where found[f.hash] == nil {
                found[f.hash] = Found(place: place(f.relLine), event: f.event)
            }
            for c in part.partial.corrections {
                corrections[c.target, default: []].append(Existing(place: place(c.relLine), kind: c.kind, id: c.id))
            }
        }
    }

    /// Reads a snapshot's whole ledger.
    public init(_ snapshot: Snapshot, wanted: Set<UInt64>) throws(SpendError) {
        self.init(LedgerReader.chunks(try LedgerReader.load(snapshot)), wanted: wanted)
    }

    /// Reads the working tree's whole ledger for the `wanted` ids.
    public init<S: Sequence>(workingTreeOf repository: CostRepository, wanted: S) throws(SpendError) where S.Element == String {
        try self.init(try repository.snapshot(.workingTree), wanted: Set(wanted.map(Self.hash)))
    }

    /// The hash the survey keys ids by.
    public static func hash(_ id: String) -> UInt64 {
        let bytes = Array(id.utf8)
        return bytes.withUnsafeBytes { IdSet.hash($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, bytes.count) }
    }

    /// The survey as a scan consumer: every line as written, voids included.
    struct Reader: ScanConsumer {
        let wanted: Set<UInt64>
        let scope: ScanScope

        struct Partial {
            var found: [(hash: UInt64, relLine: Int, event: LedgerEvent?)] = []
            var corrections: [(target: UInt64, relLine: Int, kind: CorrectionKind, id: String)] = []
        }

        func begin(_ scan: inout ChunkScan) -> Partial { Partial() }

        /// A rejected line still has the id written on it (read leniently).
        func reject(_ error: LedgerScanError, _ scan: inout ChunkScan, _ partial: inout Partial) {
            guard !wanted.isEmpty, let id = scan.scanner.idOfRejectedLine(at: scan.event.lineStart) else { return }
            let hash = IdSet.hash(id, scan.scanner)
            if wanted.contains(hash) { partial.found.append((hash, scan.line(at: scan.event.lineStart), nil)) }
        }

        func consume(_ scan: inout ChunkScan, _ partial: inout Partial) {
            let e = scan.event
            if e.correction != .none {
                partial.corrections.append((IdSet.hash(e.corrects, scan.scanner), scan.line(at: e.lineStart), e.correction, scan.string(e.id)))
            }
            guard !wanted.isEmpty else { return }
            let hash = IdSet.hash(e.id, scan.scanner)
            if wanted.contains(hash) { partial.found.append((hash, scan.line(at: e.lineStart), LedgerEvent(e, scanner: scan.scanner))) }
        }
    }
}
