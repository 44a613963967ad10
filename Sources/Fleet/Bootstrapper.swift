import AWS
import Foundation

/// What `ferry bootstrap` sets up: a SERVICE_MANAGED StackSet of the silo template with
/// automatic deployment, and its stack instances in the OUs.
public struct BootstrapRequest: Sendable {
    public var stackSetName: String
    public var templateBody: String
    public var parameters: [(key: String, value: String)]
    public var organizationalUnits: [String]
    public var regions: [String]
    public var capabilities: [String]

    public init(stackSetName: String, templateBody: String, parameters: [(key: String, value: String)],
                organizationalUnits: [String], regions: [String], capabilities: [String] = ["CAPABILITY_IAM"]) {
        self.stackSetName = stackSetName
        self.templateBody = templateBody
        self.parameters = parameters
        self.organizationalUnits = organizationalUnits
        self.regions = regions
        self.capabilities = capabilities
    }
}

/// What `ferry bootstrap` did.
public struct BootstrapResult: Sendable, Equatable, Codable {
    public struct Operation: Sendable, Equatable, Codable {
        public var id: String
        public var action: String
        public var status: String
        public var reason: String?

        public init(id: String, action: String, status: String, reason: String?) {
            self.id = id
            self.action = action
            self.status = status
            self.reason = reason
        }
    }

    public struct Instance: Sendable, Equatable, Codable {
        public var account: String
        public var region: String
        public var organizationalUnit: String?
        public var status: String
        public var detailedStatus: String?

        public init(account: String, region: String, organizationalUnit: String?, status: String,
                    detailedStatus: String?) {
            self.account = account
            self.region = region
            self.organizationalUnit = organizationalUnit
            self.status = status
            self.detailedStatus = detailedStatus
        }
    }

    public var stackSet: String
    public var stackSetId: String
    /// `created` or `updated`.
    public var action: String
    public var parameters: [String: String]
    public var operations: [Operation]
    public var instances: [Instance]
}

/// Creates or updates the silo StackSet and deploys it to OUs, following each
/// StackSet operation to its end (`DescribeStackSetOperation`, one line per status change).
public struct Bootstrapper {
    public let cloudFormation: CloudFormation
    public var progress: (String) -> Void
    public var pause: (Double) -> Void
    public var now: () -> Date

    /// Whether an OU (`ou-...`) or root (`r-...`) exists in the organization; asked for
    /// every `--ou` before anything is created, so a mistyped id changes nothing.
    public var targetExists: (String) throws(FleetError) -> Bool

    public init(cloudFormation: CloudFormation, progress: @escaping (String) -> Void,
                targetExists: @escaping (String) throws(FleetError) -> Bool = { _ in true },
                pause: @escaping (Double) -> Void = { Thread.sleep(forTimeInterval: $0) },
                now: @escaping () -> Date = Date.init) {
        self.cloudFormation = cloudFormation
        self.progress = progress
        self.targetExists = targetExists
        self.pause = pause
        self.now = now
    }

    /// Refuses the OUs the organization does not have, before anything is created.
    func checkTargets(_ ous: [String]) throws(FleetError) {
        var unknown: [String] = []
        for ou in ous where try !targetExists(ou) { unknown.append(ou) }
        guard unknown.isEmpty else {
            throw FleetError(.invalidInput, "no OU or root \(unknown.joined(separator: ", ")) in this organization; "
                + "nothing was created. List them with `aws organizations list-roots` and "
                + "`aws organizations list-organizational-units-for-parent --parent-id ROOT`")
        }
    }

    /// Runs `request`: create the stack set (or update it), then create the stack
    /// instances each OU and region lacks. Each operation is followed for at most `timeout` seconds.
    public func run(_ request: BootstrapRequest, pollEvery: Double = 5, timeout: Int = 1800) throws(FleetError) -> BootstrapResult {
        guard request.templateBody.utf8.count <= Self.templateBodyLimit else {
            throw FleetError(.invalidInput, "the template is \(request.templateBody.utf8.count) bytes; CloudFormation "
                + "takes at most \(Self.templateBodyLimit) in a request: shorten it (comments count)")
        }
        let setRequest = CloudFormation.StackSetRequest(
            name: request.stackSetName, template: .body(request.templateBody),
            parameters: request.parameters.map { CloudFormation.Parameter(key: $0.key, value: $0.value) },
            capabilities: request.capabilities, tags: [.init(key: "ferry", value: "silo")],
            description: "Ferry silo agent (ferry bootstrap)", permissionModel: .serviceManaged,
            autoDeployment: (enabled: true, retainStacksOnAccountRemoval: false))
        try checkTargets(request.organizationalUnits)
        var operations: [BootstrapResult.Operation] = []
        let existing = try call("reading stack set \(request.stackSetName)") { () throws(AWSError) in
            try cloudFormation.describeStackSet(request.stackSetName)
        }
        let action: String
        var stackSetId: String
        if let existing {
            guard existing.permissionModel == nil || existing.permissionModel == .serviceManaged else {
                throw FleetError(.invalidInput, "stack set \(request.stackSetName) exists with the permission model "
                    + "\(existing.permissionModel!.rawValue); ferry bootstrap manages a SERVICE_MANAGED one: "
                    + "choose another --stack-set-name or delete that stack set")
            }
            action = "updated"
            stackSetId = existing.stackSetId
            let id = try call("updating stack set \(request.stackSetName)") { () throws(AWSError) in
                try cloudFormation.updateStackSet(setRequest)
            }
            progress("updating stack set \(request.stackSetName) (operation \(id))")
            operations.append(try follow(request.stackSetName, operation: id, every: pollEvery, timeout: timeout))
        } else {
            action = "created"
            stackSetId = try call("creating stack set \(request.stackSetName)") { () throws(AWSError) in
                try cloudFormation.createStackSet(setRequest)
            }
            progress("created stack set \(request.stackSetName) (\(stackSetId)), SERVICE_MANAGED, auto-deployment on")
        }
        let before = try instances(request.stackSetName)
        let missing = Self.missingTargets(ous: request.organizationalUnits, regions: request.regions, instances: before)
        for (regions, ous) in missing {
            let id = try call("creating stack instances in \(ous.joined(separator: ", "))") { () throws(AWSError) in
                try cloudFormation.createStackInstances(
                    stackSetName: request.stackSetName,
                    deployment: .init(organizationalUnitIds: ous, regions: regions))
            }
            progress("deploying to \(ous.joined(separator: ", ")) in \(regions.joined(separator: ", ")) (operation \(id))")
            operations.append(try follow(request.stackSetName, operation: id, every: pollEvery, timeout: timeout))
        }
        if missing.isEmpty { progress("every OU already has its stack instances; auto-deployment adds new accounts") }
        if stackSetId.isEmpty { stackSetId = request.stackSetName }
        return BootstrapResult(
            stackSet: request.stackSetName, stackSetId: stackSetId, action: action,
            parameters: Dictionary(request.parameters.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 }),
            operations: operations, instances: try instances(request.stackSetName))
    }

    /// CloudFormation's limit for a template passed in the request (`TemplateBody`).
    public static let templateBodyLimit = 51_200

    /// The (regions, OUs) to create instances for: every requested OU and region without
    /// one. When the service does not say which OU an instance belongs to (moto), any
    /// instance in a region counts as covering that region.
    public static func missingTargets(ous: [String], regions: [String],
                                      instances: [BootstrapResult.Instance]) -> [(regions: [String], ous: [String])] {
        var byRegion: [(String, [String])] = []
        for region in regions {
            let here = instances.filter { $0.region == region }
            let unnamed = here.contains { $0.organizationalUnit == nil }
            let lacking = ous.filter { ou in !unnamed && !here.contains { $0.organizationalUnit == ou } }
            if !lacking.isEmpty { byRegion.append((region, lacking)) }
        }
        // One operation per distinct OU set, covering all its regions.
        var groups: [(regions: [String], ous: [String])] = []
        for (region, lacking) in byRegion {
            if let index = groups.firstIndex(where: { $0.ous == lacking }) {
                groups[index].regions.append(region)
            } else {
                groups.append(([region], lacking))
            }
        }
        return groups
    }

    /// Polls one operation until it ends, telling `progress` each status change.
    func follow(_ stackSet: String, operation id: String, every: Double, timeout: Int) throws(FleetError) -> BootstrapResult.Operation {
        let start = now()
        var last = ""
        while true {
            let operation = try call("reading operation \(id)") { () throws(AWSError) in
                try cloudFormation.describeStackSetOperation(stackSetName: stackSet, operationId: id)
            }
            if operation.status != last {
                progress("operation \(id) (\(operation.action ?? "?")): \(operation.status)"
                    + (operation.statusReason.map { ": \($0)" } ?? ""))
                last = operation.status
            }
            let record = BootstrapResult.Operation(id: id, action: operation.action ?? "", status: operation.status,
                                                   reason: operation.statusReason)
            switch operation.status {
            case "SUCCEEDED":
                return record
            case "FAILED", "STOPPED":
                throw FleetError(.operationFailed, "stack set operation \(id) on \(stackSet) ended \(operation.status)"
                    + (operation.statusReason.map { ": \($0)" } ?? "")
                    + "; see the stack instances' status reasons in the CloudFormation console, fix, and run again")
            default:
                let elapsed = now().timeIntervalSince(start)
                if elapsed >= Double(timeout) {
                    throw FleetError(.timedOut, "stack set operation \(id) still \(operation.status) after "
                        + "\(Age.format(seconds: timeout)); it goes on without us: follow it in the console")
                }
                pause(min(every, Double(timeout) - elapsed))
            }
        }
    }

    func instances(_ stackSet: String) throws(FleetError) -> [BootstrapResult.Instance] {
        try call("listing the instances of \(stackSet)") { () throws(AWSError) in
            try cloudFormation.listStackInstances(stackSetName: stackSet)
        }.map {
            BootstrapResult.Instance(account: $0.account, region: $0.region, organizationalUnit: $0.organizationalUnitId,
                                     status: $0.status, detailedStatus: $0.detailedStatus)
        }
    }

    func call<T>(_ doing: String, _ body: () throws(AWSError) -> T) throws(FleetError) -> T {
        do {
            return try body()
        } catch {
            throw FleetError(error, doing: doing)
        }
    }
}
