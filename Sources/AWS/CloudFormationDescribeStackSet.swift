import Foundation

extension CloudFormation {
    /// What `DescribeStackSet` reports.
    public struct StackSet: Sendable, Equatable {
        public let name: String
        public let stackSetId: String
        /// `ACTIVE` or `DELETED`.
        public let status: String
        public let permissionModel: PermissionModel?
        public let parameters: [String: String]
        public let capabilities: [String]
        public let templateBody: String?
        public let description: String?
        /// Nil when the service does not say (moto never does).
        public let autoDeploymentEnabled: Bool?
    }

    /// `DescribeStackSet`, or nil when there is no such stack set
    /// (`StackSetNotFoundException`).
    public func describeStackSet(_ name: String) throws(AWSError) -> StackSet? {
        let result: XMLElement
        do {
            result = try query.call("DescribeStackSet", [("StackSetName", name)])
        } catch where error.code.rawValue == "StackSetNotFoundException" {
            return nil
        }
        guard let set = result.child("StackSet") else { return nil }
        var parameters: [String: String] = [:]
        for member in set.members("Parameters") {
            if let key = member.value("ParameterKey") { parameters[key] = member.value("ParameterValue") ?? "" }
        }
        return StackSet(
            name: set.value("StackSetName") ?? name, stackSetId: set.value("StackSetId") ?? "",
            status: set.value("Status") ?? "", permissionModel: set.value("PermissionModel").flatMap(PermissionModel.init),
            parameters: parameters, capabilities: set.members("Capabilities").map(\.text),
            templateBody: set.value("TemplateBody"), description: set.value("Description"),
            autoDeploymentEnabled: set.value("AutoDeployment", "Enabled").map { $0 == "true" })
    }
}
