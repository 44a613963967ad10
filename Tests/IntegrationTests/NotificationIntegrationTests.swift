import Archive
import Foundation
import Manifest
import TestSupport
import Testing

/// `ferry agent once --notify-topic-arn`: moto's SNS delivers to an SQS queue the test reads
/// (Tests/Support/sns_sqs.py, boto3), in the silo's own account.
struct NotificationIntegrationTests {
    /// One message from the queue: its text fields, and the change-set summary.
    struct Delivered: Decodable {
        var subject: String?
        var message: [String: String]
        var changes: Changes?

        struct Changes: Decodable, Equatable {
            var added: [String]
            var modified: [String]
            var removed: [String]
        }

        private enum Field: Decodable {
            case text(String), changes(Changes), other
            init(from decoder: Decoder) throws {
                let value = try decoder.singleValueContainer()
                if let text = try? value.decode(String.self) {
                    self = .text(text)
                } else if let changes = try? value.decode(Changes.self) {
                    self = .changes(changes)
                } else {
                    self = .other
                }
            }
        }

        private enum Keys: String, CodingKey { case subject, message }

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            subject = try container.decodeIfPresent(String.self, forKey: .subject)
            let fields = try container.decode([String: Field].self, forKey: .message)
            message = fields.compactMapValues { if case .text(let text) = $0 { text } else { nil } }
            changes = fields["changes"].flatMap { if case .changes(let changes) = $0 { changes } else { nil } }
        }
    }

    @Test func aRollbackAndARefusalAreNotifiedAnAppliedReleaseIsNot() throws {
        let silo = try SiloHarness()
        let script = TestEnvironment.packageRoot + "/Tests/Support/sns_sqs.py"
        let setup = try FerryProcess.runPython([script, "setup", silo.endpoint, silo.account]).check()
        let names = try #require(try JSONSerialization.jsonObject(with: Data(setup.stdout.utf8)) as? [String: String])
        let topic = try #require(names["topic"]), queue = try #require(names["queue"])
        func once() throws -> FerryRun {
            try silo.ferry(try silo.agentOnceArguments() + ["--notify-topic-arn", topic])
        }
        func delivered() throws -> [Delivered] {
            let run = try FerryProcess.runPython([script, "receive", silo.endpoint, silo.account, queue]).check()
            return try JSONDecoder().decode([Delivered].self, from: Data(run.stdout.utf8))
        }

        let first = try silo.publish("1.0.0", [.init(name: "app", template: queueTemplate("\(silo.stackPrefix)app-v1"))])
        #expect(try once().status == 0)
        try silo.publish("1.1.0", [.init(name: "app", template: queueTemplate("\(silo.stackPrefix)app-v2"))])
        #expect(try once().status == 0)
        #expect(try delivered().isEmpty)  // releases going forward are not news

        // On-call moves canary back to 1.0.0: the silo applies it and says so.
        try ReleaseFixture.move(silo.releases, pipeline: "webapp", channel: "canary", to: first, reason: "rollback: INC-1")
        let back = try once()
        #expect(back.status == 0, "\(back.stderr)")
        let rollback = try delivered()
        #expect(rollback.count == 1)
        let note = try #require(rollback.first)
        #expect(note.subject == "ferry: webapp rollback on \(silo.silo) (1.1.0 -> 1.0.0)")
        #expect(note.message["trigger"] == "rollback" && note.message["from"] == "1.1.0" && note.message["to"] == "1.0.0")
        #expect(note.message["account"] == silo.account && note.message["region"] == "us-east-1")
        #expect(note.message["silo"] == silo.silo && note.message["pipeline"] == "webapp"
            && note.message["channel"] == "canary")
        #expect(note.message["consoleLink"] == "https://us-east-1.console.aws.amazon.com/cloudformation/home"
            + "?region=us-east-1#/stacks?filteringText=\(silo.stackPrefix)")
        // The change-set summary: what the rollback's change set did to the silo's stacks.
        #expect(note.changes == .init(added: [], modified: ["\(silo.stackPrefix)app/Queue (AWS::SQS::Queue)"],
                                      removed: []))

        // A bundle the manifest does not describe is refused: the message says why.
        try silo.publish("1.2.0", [.init(name: "app", template: queueTemplate("\(silo.stackPrefix)app-v3"))]) { entries in
            entries.append(ZipEntry(name: "templates/extra.yaml", source: .bytes(Data("not signed".utf8))))
        }
        #expect(try once().status == 1)
        let refused = try delivered()
        #expect(refused.count == 1)
        let refusal = try #require(refused.first?.message)
        #expect(refusal["trigger"] == "refused" && refusal["from"] == "1.0.0" && refusal["to"] == "1.2.0")
        #expect(refusal["code"] == "refused")
        #expect(refusal["reason"]?.contains("holds templates/extra.yaml, which the signed manifest does not list") == true)

        // A topic that is not an ARN is a usage error before anything runs.
        let bad = try silo.ferry(try silo.agentOnceArguments() + ["--notify-topic-arn", "ferry-notify"])
        #expect(bad.status == 64 && bad.stderr.contains("is not an SNS topic ARN"))
    }

    /// A stack that fails (through `CloudFormationFailureStandIn`: moto never fails one): the
    /// message names the failing resource and CloudFormation's reason.
    @Test func aFailedDeployIsNotifiedWithTheResourceAndTheReason() throws {
        let proxy = try CloudFormationFailureStandIn()
        let silo = try SiloHarness(endpoint: proxy.endpoint)
        let moto = try TestEnvironment.motoEndpoint()
        let script = TestEnvironment.packageRoot + "/Tests/Support/sns_sqs.py"
        let setup = try FerryProcess.runPython([script, "setup", moto, silo.account]).check()
        let names = try #require(try JSONSerialization.jsonObject(with: Data(setup.stdout.utf8)) as? [String: String])
        let topic = try #require(names["topic"]), queue = try #require(names["queue"])
        let prefix = silo.stackPrefix
        try silo.publish("1.0.0", [.init(name: "app", template: queueTemplate("\(prefix)app-v1"))])
        #expect(try silo.ferry(try silo.agentOnceArguments() + ["--notify-topic-arn", topic]).status == 0)

        let reason = "Resource handler returned message: queue limit exceeded"
        let marker = CloudFormationFailureStandIn.marker(resource: "Queue", reason: reason)
        try silo.publish("1.1.0", [.init(name: "app", template: queueTemplate("\(prefix)app-v2", metadata: marker))])
        let failed = try silo.ferry(try silo.agentOnceArguments() + ["--notify-topic-arn", topic])
        #expect(failed.status == 1, "\(failed.stderr)")
        let run = try FerryProcess.runPython([script, "receive", moto, silo.account, queue]).check()
        let delivered = try JSONDecoder().decode([Delivered].self, from: Data(run.stdout.utf8))
        #expect(delivered.count == 1)
        let note = try #require(delivered.first)
        #expect(note.subject == "ferry: webapp deploy-failed on \(silo.silo) (1.0.0 -> 1.1.0)")
        #expect(note.message["trigger"] == "deploy-failed" && note.message["code"] == "stackFailed")
        #expect(note.message["resource"] == "\(prefix)app/Queue")
        #expect(note.message["reason"]?.contains(reason) == true)
        #expect(note.message["consoleLink"]?.hasSuffix("filteringText=\(prefix)app%2FQueue") == true)
        #expect(note.changes == .init(added: [], modified: ["\(prefix)app/Queue (AWS::SQS::Queue)"], removed: []))
    }
}
