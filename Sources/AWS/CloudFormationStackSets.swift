import Foundation

extension CloudFormation {
    /// Who manages a stack set's permissions.
    public enum PermissionModel: String, Sendable { case selfManaged = "SELF_MANAGED", serviceManaged = "SERVICE_MANAGED" }

    /// What `CreateStackSet` and `UpdateStackSet` take.
    public struct StackSetRequest: Sendable {
        public var name: String
        public var template: Template
        public var parameters: [Parameter]
        public var capabilities: [String]
        public var tags: [Tag]
        public var description: String?
        public var permissionModel: PermissionModel
        /// SERVICE_MANAGED: deploy to accounts added to a target OU later (and whether to
        /// keep their stacks when they leave).
        public var autoDeployment: (enabled: Bool, retainStacksOnAccountRemoval: Bool)?
        public var administrationRoleARN: String?
        public var executionRoleName: String?

        public init(name: String, template: Template, parameters: [Parameter] = [], capabilities: [String] = [],
                    tags: [Tag] = [], description: String? = nil, permissionModel: PermissionModel = .selfManaged,
                    autoDeployment: (enabled: Bool, retainStacksOnAccountRemoval: Bool)? = nil,
                    administrationRoleARN: String? = nil, executionRoleName: String? = nil) {
            self.name = name
            self.template = template
            self.parameters = parameters
            self.capabilities = capabilities
            self.tags = tags
            self.description = description
            self.permissionModel = permissionModel
            self.autoDeployment = autoDeployment
            self.administrationRoleARN = administrationRoleARN
            self.executionRoleName = executionRoleName
        }
    }

    /// Where stack instances go: accounts (self-managed) or organizational units
    /// (service-managed), in these regions.
    public struct Deployment: Sendable {
        public var accounts: [String]
        public var organizationalUnitIds: [String]
        public var regions: [String]

        public init(accounts: [String] = [], organizationalUnitIds: [String] = [], regions: [String]) {
            self.accounts = accounts
            self.organizationalUnitIds = organizationalUnitIds
            self.regions = regions
        }
    }

    /// `CreateStackSet`: returns the stack set id.
    public func createStackSet(_ request: StackSetRequest) throws(AWSError) -> String {
        try query.call("CreateStackSet", stackSetParameters(request, clientToken: true).items).value("StackSetId") ?? ""
    }

    /// `UpdateStackSet` (all its instances): returns the operation id.
    public func updateStackSet(_ request: StackSetRequest) throws(AWSError) -> String {
        var parameters = stackSetParameters(request, clientToken: false)
        parameters.add("OperationId", UUID().uuidString)
        return try query.call("UpdateStackSet", parameters.items).value("OperationId") ?? ""
    }

    /// `CreateStackInstances`: returns the operation id.
    public func createStackInstances(stackSetName: String, deployment: Deployment,
                                     parameterOverrides: [Parameter] = []) throws(AWSError) -> String {
        var parameters = QueryParameters()
        parameters.add("StackSetName", stackSetName)
        parameters.list("Accounts", deployment.accounts)
        parameters.list("Regions", deployment.regions)
        if !deployment.organizationalUnitIds.isEmpty {
            for (index, ou) in deployment.organizationalUnitIds.enumerated() {
                parameters.add("DeploymentTargets.OrganizationalUnitIds.member.\(index + 1)", ou)
            }
        }
        parameters.structures("ParameterOverrides", parameterOverrides.map {
            [("ParameterKey", $0.key), ("ParameterValue", $0.value)]
        })
        parameters.add("OperationId", UUID().uuidString)
        return try query.call("CreateStackInstances", parameters.items).value("OperationId") ?? ""
    }

    /// `ListStackInstances`, every page.
    public func listStackInstances(stackSetName: String) throws(AWSError) -> [StackInstance] {
        var instances: [StackInstance] = []
        try query.pages("ListStackInstances", [("StackSetName", stackSetName)]) { page in
            instances += page.members("Summaries").map {
                StackInstance(stackSetId: $0.value("StackSetId") ?? "", account: $0.value("Account") ?? "",
                              region: $0.value("Region") ?? "", stackId: $0.value("StackId"),
                              status: $0.value("Status") ?? "", statusReason: $0.value("StatusReason"),
                              organizationalUnitId: $0.value("OrganizationalUnitId"),
                              detailedStatus: $0.value("StackInstanceStatus", "DetailedStatus"))
            }
            return true
        }
        return instances
    }

    /// `DescribeStackSetOperation`.
    public func describeStackSetOperation(stackSetName: String, operationId: String) throws(AWSError) -> StackSetOperation {
        let result = try query.call("DescribeStackSetOperation", [("StackSetName", stackSetName), ("OperationId", operationId)])
        let operation = result.child("StackSetOperation") ?? result
        return StackSetOperation(
            operationId: operation.value("OperationId") ?? operationId, action: operation.value("Action"),
            status: operation.value("Status") ?? "", statusReason: operation.value("StatusReason"),
            creationTime: operation.value("CreationTimestamp").flatMap(ISO8601.parse),
            endTime: operation.value("EndTimestamp").flatMap(ISO8601.parse))
    }

    private func stackSetParameters(_ request: StackSetRequest, clientToken: Bool) -> QueryParameters {
        var parameters = QueryParameters()
        parameters.add("StackSetName", request.name)
        Self.add(request.template, to: &parameters)
        Self.add(request.parameters, to: &parameters)
        parameters.list("Capabilities", request.capabilities)
        parameters.structures("Tags", request.tags.map { [("Key", $0.key), ("Value", $0.value)] })
        parameters.add("Description", request.description)
        parameters.add("PermissionModel", request.permissionModel.rawValue)
        if let auto = request.autoDeployment {
            parameters.add("AutoDeployment.Enabled", auto.enabled ? "true" : "false")
            parameters.add("AutoDeployment.RetainStacksOnAccountRemoval", auto.retainStacksOnAccountRemoval ? "true" : "false")
        }
        parameters.add("AdministrationRoleARN", request.administrationRoleARN)
        parameters.add("ExecutionRoleName", request.executionRoleName)
        if clientToken { parameters.add("ClientRequestToken", UUID().uuidString) }
        return parameters
    }
}
