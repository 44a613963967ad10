import Agent
import Basics
import Foundation
import Manifest
import SQLite
import TestSupport
import Testing

@Suite struct JournalTests {
    @Test func migratesAnEmptyFileAndReopens() throws {
        let folder = try TemporaryDirectory("ferry-journal")
        let path = folder.url(Journal.fileName)
        let raw = try Database(path: path)  // an empty database file: user_version 0
        #expect(try raw.query("PRAGMA user_version").first?[0].int64 == 0)

        let journal = try Journal(path: path)
        #expect(try journal.schemaVersion() == 4)
        let tables = try raw.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .compactMap { $0["name"].string }
        #expect(tables.filter { !$0.hasPrefix("sqlite_") } == ["deployments", "documents", "releases", "reports", "stacks", "steps"])

        // Reopening neither fails nor migrates twice.
        let again = try Journal(path: path)
        #expect(try again.schemaVersion() == 4)
        #expect(try again.inFlight(pipeline: "webapp") == nil)
    }

    @Test func refusesAJournalFromANewerFerry() throws {
        let folder = try TemporaryDirectory("ferry-journal")
        let path = folder.url(Journal.fileName)
        try Database(path: path).execute("PRAGMA user_version = 99")
        #expect {
            _ = try Journal(path: path)
        } throws: { error in
            guard let error = error as? AgentError else { return false }
            return error.code == .journal && error.message.contains("upgrade ferry") && error.next == .needsPerson
        }
    }

    @Test func secondHolderOfTheStateFolderIsRefusedWithThePid() throws {
        let folder = try TemporaryDirectory("ferry-state")
        let state = folder.url("state")
        do {
            let first = try StateLock(stateDirectory: state)
            #expect(try String(contentsOfFile: state + "/lock", encoding: .utf8) == "\(getpid())\n")
            #expect {
                _ = try StateLock(stateDirectory: state)
            } throws: { error in
                guard let error = error as? AgentError else { return false }
                return error.code == .locked && error.message.contains("pid \(getpid())") && error.message.contains(state)
            }
            withExtendedLifetime(first) {}
        }  // the first lock is released: the agent exits
        // A process another test spawns at this moment holds a copy of the lock's
        // descriptor from its fork until its exec (which closes it): the lock is free
        // once that copy is gone, so the new holder tries for a moment.
        let deadline = Date().addingTimeInterval(10)
        var second = Result { () throws(AgentError) in try StateLock(stateDirectory: state) }
        while case .failure(let error) = second, error.code == .locked, Date() < deadline {
            usleep(10_000)
            second = Result { () throws(AgentError) in try StateLock(stateDirectory: state) }
        }
        #expect(try second.get().path == state + "/lock")
    }

    @Test func stepLogKeepsTheOrderOfADeployment() throws {
        let silo = try Silo()
        let plan = try silo.release("1.0.0", serial: 1, [
            StackDraft(name: "data", template: queueTemplate("data-v1")),
            StackDraft(name: "app", template: queueTemplate("app-v1"), dependsOn: ["data"]),
        ])
        _ = try silo.apply(plan)
        let steps = try silo.journal().history(pipeline: "webapp")

        #expect(steps.map(\.id) == steps.map(\.id).sorted())
        #expect(steps.allSatisfy { $0.serial == 1 && $0.version == "1.0.0" && $0.source == "channel:stable" })
        let lines = steps.map { "\($0.stack ?? "-") \($0.step) \($0.phase.rawValue)" }
        let expected = [
            "- deploy begin",
            "data create-change-set begin", "data create-change-set end",
            "data execute-change-set begin", "data execute-change-set end", "data stack end",
            "app create-change-set begin", "app create-change-set end",
            "app execute-change-set begin", "app execute-change-set end", "app stack end",
            "- deploy end",
        ]
        #expect(lines == expected)
        let detail = try #require(steps.first { $0.step == "create-change-set" }?.detail)
        #expect(detail.hasPrefix(plan.changeSetName(for: plan.stacks[0].spec, attempt: "") + "-") && detail.hasSuffix(" (CREATE)"))
        #expect(try silo.journal().history(pipeline: "webapp", limit: 2).map(\.step) == ["stack", "deploy"])
    }

    @Test func acceptedDocumentsRoundTrip() throws {
        let silo = try Silo()
        let journal = try silo.journal()
        let pointer = AcceptedDocument(kind: .channel, name: "stable", serial: 7, sha256: sha256Hex(Data("p".utf8)),
                                       etag: "\"abc\"", version: try SemVer("1.2.0"),
                                       manifestSha256: sha256Hex(Data("m".utf8)), bundleSha256: sha256Hex(Data("b".utf8)),
                                       expiresAt: "2030-01-01T00:00:00Z", acceptedAt: "2024-05-01T12:00:00Z",
                                       rollout: Rollout(waves: [WaveSelector(name: "eu", regions: ["eu-west-1"], percent: 30),
                                                                WaveSelector(name: "rest")],
                                                        open: 1, halted: true, quarantined: [try SemVer("1.1.9")]))
        var pin = pointer
        pin.rollout = nil
        pin.kind = .pin
        pin.name = "silo-1"
        pin.removed = true
        pin.etag = nil
        try journal.record(Selection(verdict: .nothing, refusals: [], record: [pointer, pin], pinned: false),
                           pipeline: "webapp")
        let read = try silo.journal().acceptedDocuments(pipeline: "webapp", channel: "stable", silo: "silo-1")
        #expect(read.pointer == pointer)
        #expect(read.pin == pin)
        #expect(try journal.acceptedDocuments(pipeline: "other", channel: "stable", silo: "silo-1").pointer == nil)
        #expect(try journal.history(pipeline: "webapp").map(\.step) == ["accept-channel", "accept-pin"])
    }

    /// Issue 12: each channel keeps its own high-water mark. A silo moved to canary and
    /// back to stable still knows stable's serial (one row per pipeline forgot it), and
    /// another silo's pin is not this silo's.
    @Test func eachChannelAndSiloKeepsItsOwnHighWaterMark() throws {
        let silo = try Silo()
        let journal = try silo.journal()
        let stable = AcceptedDocument(kind: .channel, name: "stable", serial: 9, sha256: sha256Hex(Data("s".utf8)),
                                      etag: "\"s\"", version: try SemVer("1.2.0"),
                                      manifestSha256: sha256Hex(Data("m".utf8)), bundleSha256: sha256Hex(Data("b".utf8)),
                                      expiresAt: nil, acceptedAt: "2024-05-01T12:00:00Z")
        var canary = stable
        canary.name = "canary"
        canary.serial = 2
        try journal.record(Selection(verdict: .nothing, refusals: [], record: [stable], pinned: false), pipeline: "webapp")
        try journal.record(Selection(verdict: .nothing, refusals: [], record: [canary], pinned: false), pipeline: "webapp")
        let reopened = try silo.journal()
        #expect(try reopened.acceptedDocuments(pipeline: "webapp", channel: "stable", silo: "s1").pointer?.serial == 9)
        #expect(try reopened.acceptedDocuments(pipeline: "webapp", channel: "canary", silo: "s1").pointer?.serial == 2)
        var pin = stable
        pin.kind = .pin
        pin.name = "s2"
        try journal.record(Selection(verdict: .nothing, refusals: [], record: [pin], pinned: false), pipeline: "webapp")
        #expect(try reopened.acceptedDocuments(pipeline: "webapp", channel: "stable", silo: "s1").pin == nil)
        #expect(try reopened.acceptedDocuments(pipeline: "webapp", channel: "stable", silo: "s2").pin == pin)
    }

    @Test func remembersTheLastReportWritten() throws {
        let silo = try Silo()
        let journal = try silo.journal()
        #expect(try journal.lastReport(pipeline: "webapp") == nil)
        let report = StatusReport(pipeline: "webapp", silo: "silo-1", channel: "stable", state: .inSync,
                                  reportedAt: "2024-05-01T12:00:00Z", intervalSeconds: 30)
        try journal.reportWritten(report)
        #expect(try silo.journal().lastReport(pipeline: "webapp") == report)
    }
}
