import Foundation

/// AWS CloudFormation (Query API, version 2010-05-15): change sets, stacks, events,
/// templates and stack sets.
public struct CloudFormation: Sendable {
    let query: QueryProtocol

    public init(config: AWSConfig) {
        query = QueryProtocol(config: config, service: .cloudFormation, version: "2010-05-15", serviceName: "CloudFormation")
    }

    /// What `CreateChangeSet` needs.
    public struct ChangeSetRequest: Sendable {
        public var stackName: String
        public var changeSetName: String
        public var template: Template
        public var type: ChangeSetType
        public var parameters: [Parameter]
        /// `CAPABILITY_IAM`, `CAPABILITY_NAMED_IAM`, `CAPABILITY_AUTO_EXPAND`.
        public var capabilities: [String]
        public var tags: [Tag]
        public var description: String?
        /// A service role for CloudFormation to act as.
        public var roleARN: String?
        /// `RollbackConfiguration`: CloudWatch alarm ARNs (at most 5) whose `ALARM` during
        /// the operation, or for `monitoringTimeInMinutes` (0–180) after it, rolls the stack back.
        public var rollbackAlarmArns: [String]
        public var monitoringTimeInMinutes: Int?
        /// `REVERT_DRIFT`: a drift-aware change set, which compares the template with the
        /// resources' actual state and brings drifted resources back to the template.
        public var deploymentMode: String?

        public init(stackName: String, changeSetName: String, template: Template, type: ChangeSetType,
                    parameters: [Parameter] = [], capabilities: [String] = [], tags: [Tag] = [],
                    description: String? = nil, roleARN: String? = nil, deploymentMode: String? = nil,
                    rollbackAlarmArns: [String] = [], monitoringTimeInMinutes: Int? = nil) {
            self.rollbackAlarmArns = rollbackAlarmArns
            self.monitoringTimeInMinutes = monitoringTimeInMinutes
            self.stackName = stackName
            self.changeSetName = changeSetName
            self.template = template
            self.type = type
            self.parameters = parameters
            self.capabilities = capabilities
            self.tags = tags
            self.description = description
            self.roleARN = roleARN
            self.deploymentMode = deploymentMode
        }
    }

    /// `CreateChangeSet`: returns the change set's id and the stack's id. A change set
    /// that changes nothing may fail here with `ValidationError` (`isNoChanges`) or later
    /// as a FAILED change set (`ChangeSet.hasNoChanges`).
    public func createChangeSet(_ request: ChangeSetRequest) throws(AWSError) -> (changeSetId: String, stackId: String) {
        let result = try query.call("CreateChangeSet", Self.parameters(of: request))
        return (result.value("Id") ?? "", result.value("StackId") ?? "")
    }

    /// `CreateChangeSet`'s Query parameters for `request`.
    static func parameters(of request: ChangeSetRequest) -> [(name: String, value: String)] {
        var parameters = QueryParameters()
        parameters.add("StackName", request.stackName)
        parameters.add("ChangeSetName", request.changeSetName)
        parameters.add("ChangeSetType", request.type.rawValue)
        Self.add(request.template, to: &parameters)
        Self.add(request.parameters, to: &parameters)
        parameters.list("Capabilities", request.capabilities)
        parameters.structures("Tags", request.tags.map { [("Key", $0.key), ("Value", $0.value)] })
        parameters.add("Description", request.description)
        parameters.add("RoleARN", request.roleARN)
        parameters.add("DeploymentMode", request.deploymentMode)
        parameters.structures("RollbackConfiguration.RollbackTriggers", request.rollbackAlarmArns.map {
            [("Arn", $0), ("Type", "AWS::CloudWatch::Alarm")]
        })
        parameters.add("RollbackConfiguration.MonitoringTimeInMinutes", request.monitoringTimeInMinutes.map(String.init))
        return parameters.items
    }

    /// `DescribeChangeSet`, with every page of changes.
    public func describeChangeSet(stackName: String, changeSetName: String) throws(AWSError) -> ChangeSet {
        var changes: [ResourceChange] = []
        var first: XMLElement?
        try query.pages("DescribeChangeSet", [("StackName", stackName), ("ChangeSetName", changeSetName)]) { page in
            if first == nil { first = page }
            changes += page.members("Changes").compactMap(Self.change)
            return true
        }
        let result = first!
        return ChangeSet(
            changeSetId: result.value("ChangeSetId") ?? "", changeSetName: result.value("ChangeSetName") ?? changeSetName,
            stackId: result.value("StackId") ?? "", stackName: result.value("StackName") ?? stackName,
            status: result.value("Status") ?? "", statusReason: result.value("StatusReason"),
            executionStatus: result.value("ExecutionStatus"), changes: changes,
            parameters: Self.parameters(result), creationTime: result.value("CreationTime").flatMap(ISO8601.parse))
    }

    /// `ExecuteChangeSet`.
    public func executeChangeSet(stackName: String, changeSetName: String) throws(AWSError) {
        try query.call("ExecuteChangeSet", [("StackName", stackName), ("ChangeSetName", changeSetName)])
    }

    /// `DeleteChangeSet`.
    public func deleteChangeSet(stackName: String, changeSetName: String) throws(AWSError) {
        try query.call("DeleteChangeSet", [("StackName", stackName), ("ChangeSetName", changeSetName)])
    }

    /// `ListChangeSets`, every page.
    public func listChangeSets(stackName: String) throws(AWSError) -> [ChangeSetSummary] {
        var summaries: [ChangeSetSummary] = []
        try query.pages("ListChangeSets", [("StackName", stackName)]) { page in
            summaries += page.members("Summaries").map {
                ChangeSetSummary(changeSetId: $0.value("ChangeSetId") ?? "", changeSetName: $0.value("ChangeSetName") ?? "",
                                 stackName: $0.value("StackName") ?? "",
                                 status: $0.value("Status") ?? "", executionStatus: $0.value("ExecutionStatus"),
                                 statusReason: $0.value("StatusReason"),
                                 creationTime: $0.value("CreationTime").flatMap(ISO8601.parse))
            }
            return true
        }
        return summaries
    }

    /// `DescribeStacks` for one stack, or nil when it does not exist (CloudFormation
    /// answers `400 ValidationError: Stack with id X does not exist`).
    public func describeStack(_ name: String) throws(AWSError) -> Stack? {
        do {
            let result = try query.call("DescribeStacks", [("StackName", name)])
            return result.members("Stacks").first.map(Self.stack)
        } catch where error.code == .validationError && error.message.contains("does not exist") {
            return nil
        }
    }

    /// `DescribeStackEvents`, newest first, every page — or only those newer than
    /// `after` (an event id already seen), stopping there.
    public func describeStackEvents(stackName: String, after lastSeen: String? = nil) throws(AWSError) -> [StackEvent] {
        var events: [StackEvent] = []
        try query.pages("DescribeStackEvents", [("StackName", stackName)]) { page in
            for event in page.members("StackEvents").map(Self.event) {
                if event.eventId == lastSeen { return false }
                events.append(event)
            }
            return true
        }
        return events
    }

    /// `GetTemplate`: the template body as stored (`Original`) or after transforms (`Processed`).
    public func getTemplate(stackName: String, stage: String = "Original") throws(AWSError) -> String {
        try query.call("GetTemplate", [("StackName", stackName), ("TemplateStage", stage)]).value("TemplateBody") ?? ""
    }

    /// `ValidateTemplate`.
    public func validateTemplate(_ template: Template) throws(AWSError) -> TemplateSummary {
        var parameters = QueryParameters()
        Self.add(template, to: &parameters)
        let result = try query.call("ValidateTemplate", parameters.items)
        return TemplateSummary(
            parameters: result.members("Parameters").map {
                TemplateSummary.Parameter(key: $0.value("ParameterKey") ?? "", defaultValue: $0.value("DefaultValue"),
                                          noEcho: $0.value("NoEcho") == "true", description: $0.value("Description"))
            },
            capabilities: result.members("Capabilities").map(\.text),
            capabilitiesReason: result.value("CapabilitiesReason"), description: result.value("Description"))
    }

    /// `DeleteStack`.
    public func deleteStack(_ name: String, roleARN: String? = nil) throws(AWSError) {
        var parameters = QueryParameters()
        parameters.add("StackName", name)
        parameters.add("RoleARN", roleARN)
        try query.call("DeleteStack", parameters.items)
    }

    static func add(_ template: Template, to parameters: inout QueryParameters) {
        switch template {
        case .body(let body): parameters.add("TemplateBody", body)
        case .url(let url): parameters.add("TemplateURL", url)
        }
    }

    static func add(_ values: [Parameter], to parameters: inout QueryParameters) {
        parameters.structures("Parameters", values.map {
            [("ParameterKey", $0.key), ("ParameterValue", $0.value),
             ("UsePreviousValue", $0.usePreviousValue ? "true" : nil)]
        })
    }
}
