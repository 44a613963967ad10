import Foundation

/// AWS Security Token Service (Query API, version 2011-06-15).
public struct STS: Sendable {
    private let query: QueryProtocol

    public init(config: AWSConfig) {
        query = QueryProtocol(config: config, service: .sts, version: "2011-06-15", serviceName: "STS")
    }

    /// Who the credentials belong to.
    public struct CallerIdentity: Sendable, Equatable, Codable {
        public let account: String
        public let arn: String
        public let userId: String
    }

    /// Temporary credentials for a role.
    public struct AssumedRole: Sendable {
        public let credentials: AWSCredentials
        public let assumedRoleArn: String
        public let assumedRoleId: String
    }

    /// `GetCallerIdentity`: the account, ARN and user id of the caller.
    public func getCallerIdentity() throws(AWSError) -> CallerIdentity {
        let result = try query.call("GetCallerIdentity", [])
        guard let account = result.value("Account"), let arn = result.value("Arn") else {
            throw AWSError(code: .invalidResponse, message: "GetCallerIdentity answered without Account or Arn",
                           operation: "STS.GetCallerIdentity")
        }
        return CallerIdentity(account: account, arn: arn, userId: result.value("UserId") ?? "")
    }

    /// `AssumeRole`: temporary credentials that act as `roleArn`.
    public func assumeRole(roleArn: String, sessionName: String, externalId: String? = nil,
                           durationSeconds: Int? = nil) throws(AWSError) -> AssumedRole {
        var parameters = QueryParameters()
        parameters.add("RoleArn", roleArn)
        parameters.add("RoleSessionName", sessionName)
        parameters.add("ExternalId", externalId)
        parameters.add("DurationSeconds", durationSeconds.map(String.init))
        let result = try query.call("AssumeRole", parameters.items)
        guard let credentials = result.child("Credentials"),
              let id = credentials.value("AccessKeyId"), let secret = credentials.value("SecretAccessKey") else {
            throw AWSError(code: .invalidResponse, message: "AssumeRole answered without credentials", operation: "STS.AssumeRole")
        }
        return AssumedRole(
            credentials: AWSCredentials(accessKeyId: id, secretAccessKey: secret,
                                        sessionToken: credentials.value("SessionToken"),
                                        expiration: credentials.value("Expiration").flatMap(ISO8601.parse)),
            assumedRoleArn: result.value("AssumedRoleUser", "Arn") ?? roleArn,
            assumedRoleId: result.value("AssumedRoleUser", "AssumedRoleId") ?? "")
    }
}
