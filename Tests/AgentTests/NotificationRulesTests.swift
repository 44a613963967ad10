import Agent
import Foundation
import Manifest
import Testing

/// Which reconciles notify, and what the message carries. Pure (the SNS→SQS test is in
/// IntegrationTests: `NotificationIntegrationTests`).
struct NotificationRulesTests {
    static let silo = NotificationRules.Silo(name: "111122223333-eu-west-1", account: "111122223333",
                                             region: "eu-west-1", stackPrefix: "ferry-")
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    func before(applied: String) -> [String: StatusReport] {
        ["webapp": StatusReport(pipeline: "webapp", silo: Self.silo.name, channel: "stable", applied: try! SemVer(applied),
                                state: .inSync, reportedAt: "2027-01-15T07:00:00Z", intervalSeconds: 30)]
    }

    @Test func aFailedDeployCarriesTheResourceTheReasonAndTheConsole() throws {
        let failed = PipelineOutcome(pipeline: "webapp", kind: .failed, target: try SemVer("1.2.0"),
                                     error: AgentError(.stackFailed, "Bucket ingest: access denied <x>", next: .needsPerson,
                                                       resource: "ferry-app/DataBucket"))
        let notes = NotificationRules.notifications([failed], before: before(applied: "1.1.0"), silo: Self.silo, now: Self.now)
        let note = try #require(notes.first)
        #expect(notes.count == 1)
        #expect(note.trigger == .deployFailed && note.from?.description == "1.1.0" && note.to?.description == "1.2.0")
        #expect(note.resource == "ferry-app/DataBucket" && note.reason == "Bucket ingest: access denied <x>")
        #expect(note.code == "stackFailed" && note.account == "111122223333" && note.channel == "stable")
        #expect(note.consoleLink == "https://eu-west-1.console.aws.amazon.com/cloudformation/home?region=eu-west-1"
            + "#/stacks?filteringText=ferry-app%2FDataBucket")
        #expect(note.subject == "ferry: webapp deploy-failed on 111122223333-eu-west-1 (1.1.0 -> 1.2.0)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(note.json().utf8)) as? [String: String])
        #expect(object["trigger"] == "deploy-failed" && object["time"] == "2027-01-15T08:00:00Z")
    }

    @Test func onlyFailuresRefusalsAndRollbacksNotify() throws {
        let v = { (text: String) in try! SemVer(text) }
        let quiet: [PipelineOutcome] = [
            .init(pipeline: "webapp", kind: .idle), .init(pipeline: "webapp", kind: .unchanged, target: v("1.1.0")),
            .init(pipeline: "webapp", kind: .applied, target: v("1.2.0")),  // forward
            .init(pipeline: "webapp", kind: .nothing),  // nothing usable, no error: no refusal
        ]
        #expect(NotificationRules.notifications(quiet, before: before(applied: "1.1.0"), silo: Self.silo, now: Self.now)
            .isEmpty)
        let back = PipelineOutcome(pipeline: "webapp", kind: .applied, target: v("1.0.0"))
        #expect(NotificationRules.notifications([back], before: before(applied: "1.1.0"), silo: Self.silo, now: Self.now)
            .map(\.trigger) == [.rollback])
        #expect(NotificationRules.notifications([back], before: [:], silo: Self.silo, now: Self.now).isEmpty)
        let expired = PipelineOutcome(pipeline: "webapp", kind: .nothing,
                                      error: AgentError(.expired, "the pointer expired", next: .needsPerson))
        #expect(NotificationRules.notifications([expired], before: before(applied: "1.1.0"), silo: Self.silo,
                                                now: Self.now).map(\.code) == ["expired"])
    }

    @Test func theMessageCarriesTheChangeSetSummary() throws {
        var rollback = PipelineOutcome(pipeline: "webapp", kind: .applied, target: try SemVer("1.0.0"))
        rollback.changes = ChangeSummary([
            "ferry-app": [ResourceChange(action: "Modify", logicalResourceId: "Queue", resourceType: "AWS::SQS::Queue"),
                          ResourceChange(action: "Add", logicalResourceId: "Topic", resourceType: "AWS::SNS::Topic"),
                          ResourceChange(action: "Dynamic", logicalResourceId: "Nested", resourceType: "AWS::CloudFormation::Stack")],
            "ferry-data": [ResourceChange(action: "Remove", logicalResourceId: "Old", resourceType: "AWS::SQS::Queue"),
                           ResourceChange(action: "Add", logicalResourceId: "Bucket", resourceType: "AWS::S3::Bucket")],
        ])
        let note = try #require(NotificationRules.notifications([rollback], before: before(applied: "1.1.0"),
                                                                silo: Self.silo, now: Self.now).first)
        #expect(note.changes == ChangeSummary(added: ["ferry-app/Topic (AWS::SNS::Topic)", "ferry-data/Bucket (AWS::S3::Bucket)"],
                                              modified: ["ferry-app/Queue (AWS::SQS::Queue)"],
                                              removed: ["ferry-data/Old (AWS::SQS::Queue)"],
                                              other: ["ferry-app/Nested (AWS::CloudFormation::Stack) Dynamic"]))
        #expect(note.json().contains("\"changes\":{\"added\":[\"ferry-app/Topic (AWS::SNS::Topic)\""))
        // Without a summary (a deployment resumed after a restart) the field is left out.
        rollback.changes = nil
        let plain = try #require(NotificationRules.notifications([rollback], before: before(applied: "1.1.0"),
                                                                 silo: Self.silo, now: Self.now).first)
        #expect(!plain.json().contains("changes"))
    }
}
