import Foundation
import Manifest
import SQLite

/// The agent's memory, `<state-dir>/journal.sqlite`: accepted pointers and pins, releases
/// applied and failed, what each stack last ran, the deployment in flight, and an
/// append-only step log (`ferry agent history`). Every write is one transaction.
///
/// One thread at a time (it owns one SQLite connection). Hold a `StateLock` on the state
/// folder while using it: two agents must never share a journal.
public final class Journal {
    /// The journal's file name inside the state folder.
    public static let fileName = "journal.sqlite"

    let database: Database
    let clock: @Sendable () -> Date
    /// Called with each step-log line once its transaction committed, in order: for the
    /// agent's log, and for the test hook that kills the agent at a step.
    public var onStep: ((StepEntry) -> Void)?
    /// Step-log lines of the transaction running now (handed to `onStep` on commit).
    private var uncommitted: [StepEntry] = []

    /// Opens (creating and migrating) the journal in `stateDirectory`.
    public convenience init(stateDirectory: String, clock: @escaping @Sendable () -> Date = { SystemClock().now() }) throws(AgentError) {
        try self.init(path: stateDirectory + "/" + Self.fileName, clock: clock)
    }

    /// Opens (creating and migrating) the journal at `path`.
    public init(path: String, clock: @escaping @Sendable () -> Date = { SystemClock().now() }) throws(AgentError) {
        self.clock = clock
        do {
            database = try Database(path: path)
            try JournalSchema.migrate(database)
        } catch {
            throw Self.failure(error, doing: "opening the journal \(path)")
        }
    }

    /// The schema version of the open journal (`PRAGMA user_version`).
    public func schemaVersion() throws(AgentError) -> Int64 {
        try guarded("reading the schema version") { try JournalSchema.version(of: database) }
    }

    // MARK: Documents

    /// The last accepted pointer of `channel` and pin of `silo` in `pipeline` (an ended pin
    /// included). Each channel and each silo keeps its own: their serials are the
    /// high-water marks replays are judged against, across channel switches and restarts.
    public func acceptedDocuments(pipeline: String, channel: String,
                                  silo: String) throws(AgentError) -> (pointer: AcceptedDocument?, pin: AcceptedDocument?) {
        try guarded("reading accepted documents") {
            let rows = try database.query("""
                SELECT rowid AS row_id, * FROM documents
                WHERE pipeline = ? AND ((kind = 'channel' AND name = ?) OR (kind = 'pin' AND name = ?))
                """, [.text(pipeline), .text(channel), .text(silo)])
            let documents = try rows.map { try Self.document(JournalRow("documents", $0, path: database.path)) }
            return (documents.first { $0.kind == .channel }, documents.first { $0.kind == .pin })
        }
    }

    /// Records what target selection accepted (new documents, refreshed ETags, a removed
    /// pin), with a step-log line for each, in one transaction.
    public func record(_ selection: Selection, pipeline: String) throws(AgentError) {
        guard !selection.record.isEmpty else { return }
        try guarded("recording accepted documents") {
            try committing {
                for document in selection.record {
                    try database.run("""
                        INSERT OR REPLACE INTO documents (pipeline, kind, name, serial, sha256, etag, version,
                            manifest_sha256, bundle_sha256, expires_at, removed, accepted_at, rollout)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, [.text(pipeline), .text(document.kind.rawValue), .text(document.name),
                              .integer(Int64(document.serial)), .text(document.sha256), Self.optional(document.etag),
                              .text(document.version.description), .text(document.manifestSha256),
                              .text(document.bundleSha256), Self.optional(document.expiresAt),
                              .integer(document.removed ? 1 : 0), .text(document.acceptedAt),
                              Self.optional(try document.rollout.map { try Self.encode($0) })])
                    let what = document.removed ? "removed" : "serial \(document.serial): \(document.version)"
                    try insertStep(pipeline: pipeline, target: document.target, stack: nil,
                                   step: "accept-\(document.kind.rawValue)", phase: .end, detail: what)
                }
            }
        }
    }

    // MARK: Releases and stacks

    /// The release applied last (the one running when nothing is in flight).
    public func lastApplied(pipeline: String) throws(AgentError) -> ReleaseRecord? {
        try releases(where: "state = 'applied'", pipeline: pipeline, order: "finished_seq DESC", limit: 1).first
    }

    /// The release the agent worked on last, whatever became of it.
    public func latestRelease(pipeline: String) throws(AgentError) -> ReleaseRecord? {
        try releases(where: "1", pipeline: pipeline, order: "COALESCE(finished_seq, 1e18) DESC, rowid DESC",
                     limit: 1).first
    }

    /// Every release tried here, newest first.
    public func releases(pipeline: String, limit: Int = 50) throws(AgentError) -> [ReleaseRecord] {
        try releases(where: "1", pipeline: pipeline, order: "COALESCE(finished_seq, 1e18) DESC, rowid DESC",
                     limit: limit)
    }

    /// Targets that failed in this silo: never retried under the same serial. (Keys
    /// only: every tick asks, so no failure or events are decoded.)
    public func failedTargets(pipeline: String) throws(AgentError) -> Set<TargetKey> {
        try guarded("reading failed releases") {
            let rows = try database.query("""
                SELECT rowid AS row_id, source, serial FROM releases WHERE pipeline = ? AND state = 'failed'
                """, [.text(pipeline)])
            return Set(try rows.map { row in
                let row = JournalRow("releases", row, path: database.path)
                return TargetKey(source: try Self.source(row), serial: Int(try row.integer("serial")))
            })
        }
    }

    /// The target of `lastApplied`, without its failure and events (every tick asks).
    public func lastAppliedTarget(pipeline: String) throws(AgentError) -> Target? {
        try guarded("reading the release applied") {
            guard let row = try database.query("""
                SELECT rowid AS row_id, source, serial, version, manifest_sha256, bundle_sha256 FROM releases
                WHERE pipeline = ? AND state = 'applied' ORDER BY finished_seq DESC LIMIT 1
                """, [.text(pipeline)]).first else { return nil }
            return try Self.target(JournalRow("releases", row, path: database.path))
        }
    }

    /// What each stack last ran, as this silo applied it.
    public func stackRecords(pipeline: String) throws(AgentError) -> [String: StackRecord] {
        try guarded("reading stack records") {
            let rows = try database.query("SELECT rowid AS row_id, stack, record FROM stacks WHERE pipeline = ?",
                                          [.text(pipeline)])
            var records: [String: StackRecord] = [:]
            for row in rows {
                let row = JournalRow("stacks", row, path: database.path)
                records[try row.text("stack")] = try row.json(StackRecord.self, "record")
            }
            return records
        }
    }

    // MARK: History

    /// The step log of `pipeline`, oldest first; the last `limit` lines.
    public func history(pipeline: String, limit: Int = 200) throws(AgentError) -> [StepEntry] {
        try guarded("reading the step log") {
            let rows = try database.query("""
                SELECT * FROM (SELECT id AS row_id, * FROM steps WHERE pipeline = ? ORDER BY id DESC LIMIT ?) ORDER BY id
                """, [.text(pipeline), .integer(Int64(limit))])
            return try rows.map { row in
                let row = JournalRow("steps", row, path: database.path)
                return StepEntry(id: try row.integer("id"), pipeline: pipeline, source: try row.optionalText("source"),
                                 serial: try row.optionalInteger("serial").map(Int.init),
                                 version: try row.optionalText("version"), stack: try row.optionalText("stack"),
                                 step: try row.text("step"),
                                 phase: try row.choice("phase", known: ["begin", "end"], StepPhase.init(rawValue:)),
                                 detail: try row.text("detail"), time: try row.text("time"))
            }
        }
    }

    // MARK: Reports

    /// The status report last written to the bucket.
    public func lastReport(pipeline: String) throws(AgentError) -> StatusReport? {
        try guarded("reading the last report") {
            guard let body = try database.query("SELECT body FROM reports WHERE pipeline = ?", [.text(pipeline)])
                .first?["body"].data else { return nil }
            return try StatusReport.decode(body)
        }
    }

    /// Remembers that `report` was written to the bucket.
    public func reportWritten(_ report: StatusReport) throws(AgentError) {
        try guarded("remembering the report") {
            let body = try report.canonicalBytes()
            try database.run("INSERT OR REPLACE INTO reports (pipeline, body, written_at) VALUES (?, ?, ?)",
                             [.text(report.pipeline), .blob(body), .text(now())])
        }
    }

    // MARK: Helpers

    func now() -> String { Timestamp.format(clock()) }

    func insertStep(pipeline: String, target: Target?, stack: String?, step: String, phase: StepPhase,
                    detail: String) throws {
        let time = now()
        try database.run("""
            INSERT INTO steps (pipeline, source, serial, version, stack, step, phase, detail, time)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [.text(pipeline), Self.optional(target?.source.storageName),
                  target.map { .integer(Int64($0.serial)) } ?? .null, Self.optional(target?.version.description),
                  Self.optional(stack), .text(step), .text(phase.rawValue), .text(detail), .text(time)])
        uncommitted.append(StepEntry(id: database.lastInsertRowID, pipeline: pipeline, source: target?.source.storageName,
                                     serial: target?.serial, version: target?.version.description, stack: stack,
                                     step: step, phase: phase, detail: detail, time: time))
    }

    /// One transaction; its step-log lines go to `onStep` once it committed.
    func committing<T>(_ body: () throws -> T) throws -> T {
        uncommitted = []
        defer { uncommitted = [] }
        let value = try database.transaction(body)
        let steps = uncommitted
        uncommitted = []
        if let onStep { steps.forEach(onStep) }
        return value
    }

    private func releases(where condition: String, pipeline: String, order: String, limit: Int)
        throws(AgentError) -> [ReleaseRecord] {
        try guarded("reading releases") {
            let rows = try database.query("""
                SELECT rowid AS row_id, * FROM releases WHERE pipeline = ? AND \(condition) ORDER BY \(order) LIMIT ?
                """, [.text(pipeline), .integer(Int64(limit))])
            return try rows.map { try Self.release(JournalRow("releases", $0, path: database.path)) }
        }
    }

    /// Runs `body`, turning SQLite and decoding failures into `AgentError`s.
    func guarded<T>(_ what: String, _ body: () throws -> T) throws(AgentError) -> T {
        do {
            return try body()
        } catch {
            throw Self.failure(error, doing: what + " in \(database.path)")
        }
    }

    static func failure(_ error: any Error, doing what: String) -> AgentError {
        if let error = error as? AgentError { return error }
        if let error = error as? SQLiteError {
            let next: AgentError.NextStep = error.isBusy ? .transient : .needsPerson
            return AgentError(.journal, "\(what) failed: \(error.message); check the disk and the state folder",
                              next: next, cause: error)
        }
        return AgentError(.journal, "\(what) failed: \(error); the journal may be damaged: move the state folder "
            + "aside to start afresh", next: .needsPerson, cause: error)
    }

    static func optional(_ text: String?) -> SQLiteValue { text.map(SQLiteValue.text) ?? .null }

    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    private static func document(_ row: JournalRow) throws(AgentError) -> AcceptedDocument {
        AcceptedDocument(
            kind: try row.choice("kind", known: ["channel", "pin"], AcceptedDocument.Kind.init(rawValue:)),
            name: try row.text("name"), serial: Int(try row.integer("serial")), sha256: try row.text("sha256"),
            etag: try row.optionalText("etag"), version: try row.semver("version"),
            manifestSha256: try row.text("manifest_sha256"), bundleSha256: try row.text("bundle_sha256"),
            expiresAt: try row.optionalText("expires_at"),
            removed: try row.flag("removed"),
            acceptedAt: try row.text("accepted_at"),
            rollout: try row.optionalText("rollout").map { text throws(AgentError) in
                do {
                    return try JSONDecoder().decode(Rollout.self, from: Data(text.utf8))
                } catch {
                    throw AgentError(.journal, "the journal's rollout of a \(try row.text("kind")) document is not readable "
                        + "(\(error)); move the state folder aside", next: .needsPerson)
                }
            })
    }

    static func source(_ row: JournalRow) throws(AgentError) -> TargetSource {
        try row.choice("source", known: ["pin", "channel:<name>"], TargetSource.init(storageName:))
    }

    /// The target a `releases` row names.
    private static func target(_ row: JournalRow) throws(AgentError) -> Target {
        Target(source: try source(row), serial: Int(try row.integer("serial")), version: try row.semver("version"),
               manifestSha256: try row.text("manifest_sha256"), bundleSha256: try row.text("bundle_sha256"))
    }

    private static func release(_ row: JournalRow) throws(AgentError) -> ReleaseRecord {
        ReleaseRecord(target: try target(row),
                      state: try row.choice("state", known: ["deploying", "applied", "failed", "superseded"],
                                            ReleaseRecord.State.init(rawValue:)),
                      folder: try row.text("folder"), startedAt: try row.text("started_at"),
                      finishedAt: try row.optionalText("finished_at"),
                      failure: try row.optionalJSON(FailureRecord.self, "failure"),
                      events: try row.json([StackEvent].self, "events"))
    }
}

/// A release this silo tried, as the journal keeps it.
public struct ReleaseRecord: Equatable, Sendable {
    public enum State: String, Sendable {
        case deploying, applied, failed, superseded
    }

    public var target: Target
    public var state: State
    /// Where its bundle was unpacked.
    public var folder: String
    public var startedAt: String
    public var finishedAt: String?
    public var failure: FailureRecord?
    /// The events kept for its report, oldest first.
    public var events: [StackEvent]
}

/// One line of the step log.
public struct StepEntry: Equatable, Sendable {
    public var id: Int64
    public var pipeline: String
    /// `channel:stable` or `pin`.
    public var source: String?
    public var serial: Int?
    public var version: String?
    public var stack: String?
    public var step: String
    public var phase: StepPhase
    public var detail: String
    public var time: String
}
