import Agent
import Basics
import Foundation
import Manifest
import SQLite
import TestSupport
import Testing

/// The journal refuses a row it cannot read, naming the table, the row and the value;
/// it never defaults it (issue 11: an unknown `state` read as `failed` blocked a serial).
@Suite struct JournalRefusalTests {
    /// A silo that applied one release, and a raw connection to its journal.
    private func appliedSilo() throws -> (Silo, Database) {
        let silo = try Silo()
        let plan = try silo.release("1.0.0", serial: 1, [StackDraft(name: "data", template: queueTemplate("data-v1"))])
        #expect(try silo.apply(plan) == .applied(changed: ["data"], unchanged: []))
        let raw = try Database(path: silo.stateDirectory + "/" + Journal.fileName)
        try raw.execute("PRAGMA ignore_check_constraints = ON")  // as a newer ferry or a damaged file could leave it
        return (silo, raw)
    }

    @Test func anUnknownReleaseStateIsRefusedNotReadAsFailed() throws {
        let (silo, raw) = try appliedSilo()
        try raw.execute("UPDATE releases SET state = 'paused'")
        let rowid = try #require(try raw.query("SELECT rowid FROM releases").first?[0].int64)
        let journal = try silo.journal()
        for read in [{ _ = try journal.latestRelease(pipeline: "webapp") },
                     { _ = try journal.releases(pipeline: "webapp") }] as [() throws -> Void] {
            #expect {
                try read()
            } throws: { error in
                guard let error = error as? AgentError else { return false }
                return error.code == .journal && error.next == .needsPerson
                    && error.message.contains("table releases, row \(rowid), column state 'paused' is not one of "
                        + "deploying, applied, failed, superseded")
                    && error.message.contains("move the state folder aside")
            }
        }
        // Nothing was rewritten: the row is as it was.
        #expect(try raw.query("SELECT state FROM releases").first?["state"].string == "paused")
    }

    @Test func anUnknownSourceIsRefusedEvenWhereOnlyKeysAreRead() throws {
        let (silo, raw) = try appliedSilo()
        try raw.execute("UPDATE releases SET source = 'mirror:eu', state = 'failed'")
        #expect {
            _ = try silo.journal().failedTargets(pipeline: "webapp")
        } throws: { error in
            (error as? AgentError)?.message.contains("table releases, row 1, column source 'mirror:eu' is not one of "
                + "pin, channel:<name>") == true
        }
    }

    @Test func aStackRecordOrDeploymentThatDoesNotDecodeIsRefused() throws {
        let (silo, raw) = try appliedSilo()
        try raw.execute("UPDATE stacks SET record = '{\"spec\": 3}'")
        let rowid = try #require(try raw.query("SELECT rowid FROM stacks").first?[0].int64)
        #expect {
            _ = try silo.journal().stackRecords(pipeline: "webapp")
        } throws: { error in
            guard let message = (error as? AgentError)?.message else { return false }
            return message.contains("table stacks, row \(rowid), column record does not decode as StackRecord (at spec:")
        }
        try raw.execute("INSERT INTO deployments (pipeline, state, updated_at) VALUES ('webapp', 'not json', 'now')")
        #expect {
            _ = try silo.journal().inFlight(pipeline: "webapp")
        } throws: { error in
            (error as? AgentError)?.message.contains("table deployments, row 1, column state does not decode as "
                + "DeploymentState") == true
        }
    }

    @Test func aStepWithAnUnknownPhaseIsRefused() throws {
        let (silo, raw) = try appliedSilo()
        try raw.execute("UPDATE steps SET phase = 'middle' WHERE id = 2")
        #expect {
            _ = try silo.journal().history(pipeline: "webapp")
        } throws: { error in
            (error as? AgentError)?.message.contains("table steps, row 2, column phase 'middle' is not one of begin, end")
                == true
        }
    }

    /// Schema 2 names a deployment's attempt; one begun under schema 1 keeps its names.
    @Test func schemaTwoGivesADeploymentInFlightTheEmptyAttempt() throws {
        let silo = try Silo()
        let plan = try silo.release("1.0.0", serial: 1, [StackDraft(name: "data", template: queueTemplate("data-v1"))])
        silo.cloud.crashAt = 4  // after the change set was created: the deployment stays in flight
        #expect(throws: ScriptedCloudFormation.SimulatedCrash.self) { _ = try silo.apply(plan) }
        let raw = try Database(path: silo.stateDirectory + "/" + Journal.fileName)
        #expect(try !(silo.journal().inFlight(pipeline: "webapp")?.attempt.isEmpty ?? true))
        try raw.execute("UPDATE deployments SET state = json_remove(state, '$.attempt')")
        try raw.execute("PRAGMA user_version = 1")

        let journal = try silo.journal()
        #expect(try journal.schemaVersion() == 4)
        #expect(try journal.inFlight(pipeline: "webapp")?.attempt == "")
    }

    /// Schema 3 keys accepted documents by channel and silo; the rows of schema 2 stay.
    @Test func schemaThreeKeepsTheAcceptedDocuments() throws {
        let silo = try Silo()
        let journal = try silo.journal()
        let pointer = AcceptedDocument(kind: .channel, name: "stable", serial: 4, sha256: sha256Hex(Data("p".utf8)),
                                       etag: nil, version: try SemVer("1.0.0"), manifestSha256: sha256Hex(Data("m".utf8)),
                                       bundleSha256: sha256Hex(Data("b".utf8)), expiresAt: nil,
                                       acceptedAt: "2024-05-01T12:00:00Z")
        try journal.record(Selection(verdict: .nothing, refusals: [], record: [pointer], pinned: false), pipeline: "webapp")
        let raw = try Database(path: silo.stateDirectory + "/" + Journal.fileName)
        try raw.execute("PRAGMA user_version = 2")
        let migrated = try silo.journal()
        #expect(try migrated.schemaVersion() == 4)
        #expect(try migrated.acceptedDocuments(pipeline: "webapp", channel: "stable", silo: "s").pointer == pointer)
    }
}
