import Foundation

extension AWSService {
    /// Simple Notification Service (`AWS_ENDPOINT_URL_SNS`).
    public static let sns = AWSService(signingName: "sns", endpointName: "SNS")
}

/// Amazon SNS, only `Publish` (Query API, version 2010-03-31): the agent's notifications.
public struct SNS: Sendable {
    private let query: QueryProtocol

    public init(config: AWSConfig) {
        query = QueryProtocol(config: config, service: .sns, version: "2010-03-31", serviceName: "SNS")
    }

    /// `Publish`: sends `message` (at most 256 KiB) to `topicArn`, with `subject` (at most
    /// 100 characters: longer ones are cut) for e-mail subscribers. Returns the message id.
    @discardableResult
    public func publish(topicArn: String, message: String, subject: String? = nil) throws(AWSError) -> String {
        var parameters = QueryParameters()
        parameters.add("TopicArn", topicArn)
        parameters.add("Message", message)
        parameters.add("Subject", subject.map { String($0.prefix(100)) })
        let result = try query.call("Publish", parameters.items)
        guard let id = result.value("MessageId") else {
            throw AWSError(code: .invalidResponse, message: "Publish answered without a MessageId", operation: "SNS.Publish")
        }
        return id
    }
}
