import Foundation

/// AWS Organizations (JSON 1.1 protocol: a POST with `X-Amz-Target`), for bootstrap
/// and the demo: the organization, OUs and accounts.
public struct Organizations: Sendable {
    private let transport: AWSTransport

    public init(config: AWSConfig) {
        transport = AWSTransport(config: config, service: .organizations)
    }

    public struct Organization: Sendable, Equatable, Decodable {
        public let id: String
        public let arn: String
        public let masterAccountId: String?
        enum CodingKeys: String, CodingKey { case id = "Id", arn = "Arn", masterAccountId = "MasterAccountId" }
    }

    public struct Root: Sendable, Equatable, Decodable {
        public let id: String
        public let arn: String
        public let name: String
        enum CodingKeys: String, CodingKey { case id = "Id", arn = "Arn", name = "Name" }
    }

    public struct OrganizationalUnit: Sendable, Equatable, Decodable {
        public let id: String
        public let arn: String
        public let name: String
        enum CodingKeys: String, CodingKey { case id = "Id", arn = "Arn", name = "Name" }
    }

    /// The progress of `CreateAccount`.
    public struct CreateAccountStatus: Sendable, Equatable, Decodable {
        public let id: String
        /// `IN_PROGRESS`, `SUCCEEDED`, `FAILED`.
        public let state: String
        public let accountId: String?
        public let accountName: String?
        public let failureReason: String?
        enum CodingKeys: String, CodingKey {
            case id = "Id", state = "State", accountId = "AccountId", accountName = "AccountName", failureReason = "FailureReason"
        }
    }

    /// `CreateOrganization` with all features.
    public func createOrganization() throws(AWSError) -> Organization {
        struct Out: Decodable { let Organization: Organization }
        return try call("CreateOrganization", ["FeatureSet": "ALL"], as: Out.self).Organization
    }

    /// `ListRoots` (every page).
    public func listRoots() throws(AWSError) -> [Root] {
        struct Out: Decodable { let Roots: [Root]; let NextToken: String? }
        var roots: [Root] = []
        var token: String?
        repeat {
            let page = try call("ListRoots", token.map { ["NextToken": $0] } ?? [:], as: Out.self)
            roots += page.Roots
            token = page.NextToken
        } while token != nil
        return roots
    }

    /// `DescribeOrganizationalUnit`: the OU, or nil when the organization has no OU of
    /// that id (`OrganizationalUnitNotFoundException`).
    public func describeOrganizationalUnit(id: String) throws(AWSError) -> OrganizationalUnit? {
        struct Out: Decodable { let OrganizationalUnit: OrganizationalUnit }
        do {
            return try call("DescribeOrganizationalUnit", ["OrganizationalUnitId": id], as: Out.self).OrganizationalUnit
        } catch where error.code.rawValue == "OrganizationalUnitNotFoundException" {
            return nil
        }
    }

    /// `CreateOrganizationalUnit` under a root or another OU.
    public func createOrganizationalUnit(parentId: String, name: String) throws(AWSError) -> OrganizationalUnit {
        struct Out: Decodable { let OrganizationalUnit: OrganizationalUnit }
        return try call("CreateOrganizationalUnit", ["ParentId": parentId, "Name": name], as: Out.self).OrganizationalUnit
    }

    /// `CreateAccount`: starts creating an account; poll `describeCreateAccountStatus`.
    public func createAccount(email: String, name: String) throws(AWSError) -> CreateAccountStatus {
        struct Out: Decodable { let CreateAccountStatus: CreateAccountStatus }
        return try call("CreateAccount", ["Email": email, "AccountName": name], as: Out.self).CreateAccountStatus
    }

    /// `DescribeCreateAccountStatus`.
    public func describeCreateAccountStatus(id: String) throws(AWSError) -> CreateAccountStatus {
        struct Out: Decodable { let CreateAccountStatus: CreateAccountStatus }
        return try call("DescribeCreateAccountStatus", ["CreateAccountRequestId": id], as: Out.self).CreateAccountStatus
    }

    /// `MoveAccount` from one parent (root or OU) to another.
    public func moveAccount(accountId: String, from sourceParentId: String, to destinationParentId: String) throws(AWSError) {
        struct Out: Decodable {}
        _ = try call("MoveAccount", ["AccountId": accountId, "SourceParentId": sourceParentId,
                                     "DestinationParentId": destinationParentId], as: Out.self)
    }

    private func call<Output: Decodable>(_ action: String, _ input: [String: String], as: Output.Type) throws(AWSError) -> Output {
        var request = AWSRequest(operation: "Organizations.\(action)", method: .post)
        request.headers = ["Content-Type": "application/x-amz-json-1.1",
                           "X-Amz-Target": "AWSOrganizationsV20161128.\(action)"]
        let body = (try? JSONSerialization.data(withJSONObject: input, options: [.sortedKeys])) ?? Data("{}".utf8)
        request.body = .bytes(body)
        let response = try transport.send(request)
        let data = response.body.isEmpty ? Data("{}".utf8) : response.body
        guard let output = try? JSONDecoder().decode(Output.self, from: data) else {
            throw AWSError(code: .invalidResponse, message: "\(action) answered JSON of an unexpected shape",
                           status: response.status, operation: request.operation)
        }
        return output
    }
}
