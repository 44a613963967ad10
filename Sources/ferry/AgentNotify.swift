import AWS
import Agent
import ArgumentParser
import Foundation
import Logging
import Manifest

/// `ferry agent run|once --notify-topic-arn ARN` (or FERRY_NOTIFY_TOPIC_ARN): after each
/// reconcile, what `NotificationRules` calls for is published to the SNS topic, once per
/// pipeline, trigger, version and code in this process. A publish that fails is a warning:
/// notifications never stop the agent.
struct AgentNotifyOptions: ParsableArguments {
    @Option(name: .customLong("notify-topic-arn"), help: ArgumentHelp(
        "An SNS topic told of failed deploys, refusals and rollbacks (FERRY_NOTIFY_TOPIC_ARN).", valueName: "arn"))
    var topicArn: String?

    func validate() throws {
        if let topicArn, !topicArn.hasPrefix("arn:") || topicArn.split(separator: ":").count < 6 {
            throw ValidationError("--notify-topic-arn \(topicArn) is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)")
        }
    }

    func attach(to agent: Agent, config: AWSConfig, environment: [String: String], logger: Logger) {
        guard let topic = topicArn ?? environment["FERRY_NOTIFY_TOPIC_ARN"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            return
        }
        let sns = SNS(config: config)
        let silo = NotificationRules.Silo(name: agent.silo, account: try? STS(config: config).getCallerIdentity().account,
                                          region: config.region, stackPrefix: agent.settings.stackPrefix)
        let state = NotifyState(Dictionary(agent.lastReports().map { ($0.pipeline, $0) }) { a, _ in a })
        let earlier = agent.onReconcile
        agent.onReconcile = { [unowned agent] outcomes, seconds, end in
            earlier(outcomes, seconds, end)
            let notes = NotificationRules.notifications(outcomes, before: state.before, silo: silo, now: end)
            state.before = Dictionary(agent.lastReports().map { ($0.pipeline, $0) }) { a, _ in a }
            for note in notes {
                let key = [note.pipeline, note.trigger.rawValue, note.to?.description ?? "", note.code ?? ""]
                    .joined(separator: "|")
                guard state.sent.insert(key).inserted else { continue }
                do throws(AWSError) {
                    try sns.publish(topicArn: topic, message: note.json(), subject: note.subject)
                    logger.info("notified \(topic): \(note.subject)", metadata: ["pipeline": "\(note.pipeline)"])
                } catch {
                    state.sent.remove(key)
                    logger.warning("cannot publish to \(topic): \(error.message); the next reconcile tries again",
                                   metadata: ["pipeline": "\(note.pipeline)"])
                }
            }
        }
    }

    /// Reports from before the reconcile and what was sent (one thread: the agent's).
    final class NotifyState {
        var before: [String: StatusReport]
        var sent: Set<String> = []
        init(_ before: [String: StatusReport]) { self.before = before }
    }
}
