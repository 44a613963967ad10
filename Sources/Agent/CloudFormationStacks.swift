import AWS
import Foundation
import Manifest

/// `StackService` over AWS CloudFormation (the AWS module's client), in one region.
///
/// Errors become `AgentError`s as the deploy state machine sorts them
/// (`CloudFormationStacks.sorting`): "No updates are to be performed" is a `nil` change
/// set id, other `ValidationError`s are `.rejected`, network failures, HTTP 5xx and
/// throttling are transient, anything else needs a person.
///
/// One thread at a time: it remembers the newest event it returned per stack
/// (`recentEvents`).
public final class CloudFormationStacks: StackService {
    private let client: CloudFormation
    /// The service role CloudFormation acts as for CreateChangeSet and DeleteStack.
    private let roleARN: String?
    /// Per stack, the id of the newest event `recentEvents` returned.
    private var lastSeen: [String: String] = [:]

    /// - Parameters:
    ///   - config: credentials and region of the account the stacks live in.
    ///   - roleARN: a service role passed to CloudFormation (`RoleARN`), or nil.
    public init(config: AWSConfig, roleARN: String? = nil) {
        client = CloudFormation(config: config)
        self.roleARN = roleARN
    }

    public func describeStack(name: String) throws -> ObservedStack? {
        try sorted("DescribeStacks of \(name)") { () throws(AWSError) in
            try client.describeStack(name).map {
                ObservedStack(name: $0.name, status: $0.status, statusReason: $0.statusReason,
                              parameters: Dictionary($0.parameters.map { ($0.key, $0.value ?? "") }) { first, _ in first },
                              tags: Dictionary($0.tags.map { ($0.key, $0.value) }) { first, _ in first })
            }
        }
    }

    public func deployedTemplate(stack: String) throws -> String? {
        try sorted("GetTemplate of \(stack)") { () throws(AWSError) in
            try client.getTemplate(stackName: stack)
        }
    }

    public func createChangeSet(_ request: ChangeSetRequest) throws -> String? {
        let template: CloudFormation.Template = switch request.template {
        case .body(let body): .body(body)
        case .url(let url): .url(url)
        }
        let call = CloudFormation.ChangeSetRequest(
            stackName: request.stackName, changeSetName: request.changeSetName, template: template,
            type: request.type == .create ? .create : .update,
            parameters: request.parameters.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: $0.value) },
            capabilities: request.capabilities,
            tags: request.tags.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: $0.value) },
            description: request.description, roleARN: roleARN,
            deploymentMode: request.revertDrift ? "REVERT_DRIFT" : nil,
            rollbackAlarmArns: request.rollbackTriggers?.alarmArns ?? [],
            monitoringTimeInMinutes: request.rollbackTriggers?.monitoringMinutes)
        return try sorted("CreateChangeSet \(request.changeSetName) of \(request.stackName)") { () throws(AWSError) in
            do throws(AWSError) {
                return try client.createChangeSet(call).changeSetId
            } catch where CloudFormation.isNoChanges(error) {
                return nil
            }
        }
    }

    public func describeChangeSet(stack: String, name: String) throws -> ObservedChangeSet? {
        try sorted("DescribeChangeSet \(name) of \(stack)") { () throws(AWSError) in
            do throws(AWSError) {
                let set = try client.describeChangeSet(stackName: stack, changeSetName: name)
                var observed = ObservedChangeSet(name: set.changeSetName, status: ChangeSetStatus(set.status),
                                                 executionStatus: ExecutionStatus(set.executionStatus ?? ""),
                                                 statusReason: set.statusReason)
                observed.changes = set.changes.map {
                    ResourceChange(action: $0.action, logicalResourceId: $0.logicalResourceId, resourceType: $0.resourceType)
                }
                return observed
            } catch where Self.isMissing(error) {
                return nil
            }
        }
    }

    public func executeChangeSet(stack: String, name: String) throws {
        try sorted("ExecuteChangeSet \(name) of \(stack)") { () throws(AWSError) in
            try client.executeChangeSet(stackName: stack, changeSetName: name)
        }
    }

    public func deleteChangeSet(stack: String, name: String) throws {
        try sorted("DeleteChangeSet \(name) of \(stack)") { () throws(AWSError) in
            do throws(AWSError) {
                try client.deleteChangeSet(stackName: stack, changeSetName: name)
            } catch where Self.isMissing(error) {
                return  // already gone: what was asked for
            }
        }
    }

    public func listChangeSets(stack: String) throws -> [ObservedChangeSet] {
        try sorted("ListChangeSets of \(stack)") { () throws(AWSError) in
            // Filtered by stack: moto lists the change sets of every stack of the account.
            try client.listChangeSets(stackName: stack).filter { $0.stackName == stack }.map {
                ObservedChangeSet(name: $0.changeSetName, status: ChangeSetStatus($0.status),
                                  executionStatus: ExecutionStatus($0.executionStatus ?? ""), statusReason: $0.statusReason)
            }
        }
    }

    public func deleteStack(name: String) throws {
        try sorted("DeleteStack \(name)") { () throws(AWSError) in try client.deleteStack(name, roleARN: roleARN) }
    }

    public func events(stack: String, since: String?) throws -> [StackEvent] {
        let after = since.flatMap(Timestamp.parse).map { $0.addingTimeInterval(-1) }
        return try sorted("DescribeStackEvents of \(stack)") { () throws(AWSError) in
            try client.describeStackEvents(stackName: stack).map(Self.event).filter { event in
                guard let after else { return true }
                return (Timestamp.parse(event.time) ?? .distantFuture) >= after
            }
        }
    }

    public func recentEvents(stack: String) throws -> [StackEvent] {
        let last = lastSeen[stack]
        let fetched = try sorted("DescribeStackEvents of \(stack)") { () throws(AWSError) in
            try client.describeStackEvents(stackName: stack, after: last).map(Self.event)
        }
        guard let newest = fetched.first else { return [] }
        lastSeen[stack] = newest.id
        if last != nil { return fetched.reversed() }
        // The first look: only the operation running now, not the stack's whole history.
        let operation = operationEvents(in: fetched, stack: stack)
        guard let start = operation.last, isOperationStart(start) else { return [] }
        return operation.reversed()
    }

    public func detectDrift(stack: String) throws -> String {
        try sorted("DetectStackDrift of \(stack)") { () throws(AWSError) in try client.detectStackDrift(stackName: stack) }
    }

    public func driftDetection(id: String) throws -> DriftDetection {
        try sorted("DescribeStackDriftDetectionStatus \(id)") { () throws(AWSError) in
            let status = try client.describeStackDriftDetectionStatus(detectionId: id)
            return DriftDetection(status: DriftDetection.Status(rawValue: status.detectionStatus) ?? .inProgress,
                                  stackDriftStatus: status.stackDriftStatus, reason: status.detectionStatusReason)
        }
    }

    public func resourceDrifts(stack: String) throws -> [ResourceDrift] {
        try sorted("DescribeStackResourceDrifts of \(stack)") { () throws(AWSError) in
            try client.describeStackResourceDrifts(stackName: stack, statuses: ["MODIFIED", "DELETED"]).map {
                ResourceDrift(stack: stack, logicalResourceId: $0.logicalResourceId, resourceType: $0.resourceType,
                              status: $0.driftStatus,
                              properties: $0.propertyDifferences.map { "\($0.propertyPath) \($0.differenceType)" })
            }
        }
    }

    // MARK: Errors

    /// How the deploy state machine sees an AWS failure of `what`.
    public static func sorting(_ error: AWSError, doing what: String) -> AgentError {
        if error.isRetryable {
            return AgentError(.service, "\(what) failed: \(error); the agent retries", next: .transient, cause: error)
        }
        if error.code == .validationError || error.code.rawValue == "InsufficientCapabilitiesException" {
            return AgentError(.rejected, "CloudFormation refused \(what): \(error.message)", next: .needsPerson,
                              cause: error)
        }
        if error.code == .accessDenied || error.status == 403 {
            return AgentError(.service, "\(what) was denied: \(error.message); give the agent's role (or the deploy "
                + "role) this permission", next: .needsPerson, cause: error)
        }
        return AgentError(.service, "\(what) failed: \(error)", next: .needsPerson, cause: error)
    }

    private func sorted<T>(_ what: String, _ body: () throws(AWSError) -> T) throws(AgentError) -> T {
        do {
            return try body()
        } catch {
            throw Self.sorting(error, doing: what)
        }
    }

    /// A change set that does not exist (AWS: `ChangeSetNotFound`, 404; moto: a ValidationError).
    private static func isMissing(_ error: AWSError) -> Bool {
        error.code.rawValue.hasPrefix("ChangeSetNotFound") || error.status == 404
            || (error.code == .validationError && error.message.contains("does not exist"))
    }

    static func event(_ event: CloudFormation.StackEvent) -> StackEvent {
        StackEvent(id: event.eventId, stack: event.stackName, logicalResourceId: event.logicalResourceId,
                   resourceType: event.resourceType, status: event.resourceStatus, reason: event.resourceStatusReason,
                   time: Timestamp.format(event.timestamp ?? Date(timeIntervalSince1970: 0)))
    }
}
