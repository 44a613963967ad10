import AWS
import Foundation
import HTTP
import TestSupport
import Testing

/// CloudFormation, STS and Organizations against the shared moto server. Each test that
/// needs an account of its own assumes a role into a fresh account id (moto makes every
/// account id real).
@Suite struct CloudFormationIntegrationTests {
    let base: AWSConfig

    init() throws { base = try AWSTestConfig.make() }

    static let template = """
        AWSTemplateFormatVersion: "2010-09-09"
        Description: ferry test stack
        Parameters:
          Stage:
            Type: String
            Default: dev
        Resources:
          Setting:
            Type: AWS::SSM::Parameter
            Properties:
              Name: !Sub "/ferry/${AWS::StackName}/stage"
              Type: String
              Value: !Ref Stage
        Outputs:
          ParameterName:
            Value: !Ref Setting
        """

    /// Polls until `done` says so (moto is quick; a bound keeps a broken test finite).
    func waitFor<T>(_ what: String, _ fetch: () throws -> T, until done: (T) -> Bool) throws -> T {
        for _ in 0..<100 {
            let value = try fetch()
            if done(value) { return value }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw AWSError(code: .invalidResponse, message: "gave up waiting for \(what)")
    }

    @Test func aChangeSetIsCreatedDescribedAndExecuted() throws {
        let account = base.assumingRole(arn: "arn:aws:iam::\(AWSTestConfig.uniqueAccountId()):role/deployer", sessionName: "cfn")
        let cfn = CloudFormation(config: account)
        let stack = uniqueName("ferry-cfn")
        #expect(try cfn.describeStack(stack) == nil)

        // moto answers ValidateTemplate with the description only (no parameters).
        #expect(try cfn.validateTemplate(.body(Self.template)).description == "ferry test stack")
        let invalid = #expect(throws: AWSError.self) { try cfn.validateTemplate(.body("Resources: 3")) }
        #expect(invalid?.code == .validationError && invalid?.status == 400)

        let created = try cfn.createChangeSet(.init(
            stackName: stack, changeSetName: "ferry-1", template: .body(Self.template), type: .create,
            parameters: [.init(key: "Stage", value: "prod")], capabilities: ["CAPABILITY_IAM"],
            tags: [.init(key: "ferry:pipeline", value: "webapp")]))
        #expect(created.changeSetId.contains("changeSet/ferry-1") && created.stackId.contains(stack))

        let changeSet = try waitFor("the change set", { try cfn.describeChangeSet(stackName: stack, changeSetName: "ferry-1") }) {
            $0.status == "CREATE_COMPLETE"
        }
        #expect(changeSet.executionStatus == "AVAILABLE")
        #expect(changeSet.changes.map(\.action) == ["Add"])
        #expect(changeSet.changes.first?.resourceType == "AWS::SSM::Parameter")
        #expect(changeSet.parameters == [.init(key: "Stage", value: "prod")])
        #expect(try cfn.listChangeSets(stackName: stack).map(\.changeSetName) == ["ferry-1"])
        #expect(try cfn.describeStack(stack)?.status == .reviewInProgress)

        try cfn.executeChangeSet(stackName: stack, changeSetName: "ferry-1")
        let done = try waitFor("the stack", { try cfn.describeStack(stack) }) { $0?.status.isInProgress == false }
        #expect(done?.status == .createComplete)
        #expect(done?.tags == [.init(key: "ferry:pipeline", value: "webapp")])
        // Outputs are not refreshed by moto after ExecuteChangeSet (MOTO.md); not checked here.
        let events = try cfn.describeStackEvents(stackName: stack)
        #expect(events.first?.resourceStatus == "CREATE_COMPLETE")
        #expect(try cfn.describeStackEvents(stackName: stack, after: events.first?.eventId).isEmpty)
        #expect(try cfn.getTemplate(stackName: stack).contains("ferry test stack"))

        // The stack lives in the assumed account only.
        #expect(try CloudFormation(config: base).describeStack(stack) == nil)

        // An update that changes nothing is recognised as such, in either of its forms.
        do {
            _ = try cfn.createChangeSet(.init(stackName: stack, changeSetName: "ferry-2", template: .body(Self.template),
                                              type: .update, parameters: [.init(key: "Stage", value: "prod")]))
            let same = try waitFor("the second change set", { try cfn.describeChangeSet(stackName: stack, changeSetName: "ferry-2") }) {
                $0.status != "CREATE_PENDING" && $0.status != "CREATE_IN_PROGRESS"
            }
            #expect(same.hasNoChanges || same.changes.isEmpty)
        } catch let error as AWSError {
            #expect(CloudFormation.isNoChanges(error))
        }

        try cfn.deleteStack(stack)
        let gone = try waitFor("the deletion", { try cfn.describeStack(stack) }) { $0 == nil || $0?.status == .deleteComplete }
        #expect(gone == nil || gone?.status == .deleteComplete)
    }

    @Test func aChangeSetCanTakeItsTemplateFromS3() throws {
        let account = base.assumingRole(arn: "arn:aws:iam::\(AWSTestConfig.uniqueAccountId()):role/deployer", sessionName: "url")
        let bucket = uniqueName("ferry-templates")
        let s3 = S3(config: account)
        try s3.createBucket(bucket)
        _ = try s3.putObject(bucket: bucket, key: "templates/app.yaml", data: Data(Self.template.utf8))
        // moto reads a TemplateURL with the host "localhost" (MOTO.md).
        let url = try TestEnvironment.motoEndpoint() + "/\(bucket)/templates/app.yaml"
        #expect(try CloudFormation(config: account).validateTemplate(.url(url)).description == "ferry test stack")
        let stack = uniqueName("ferry-url")
        let cfn = CloudFormation(config: account)
        _ = try cfn.createChangeSet(.init(stackName: stack, changeSetName: "from-url", template: .url(url), type: .create))
        let changeSet = try waitFor("the change set", { try cfn.describeChangeSet(stackName: stack, changeSetName: "from-url") }) {
            $0.status == "CREATE_COMPLETE"
        }
        #expect(changeSet.changes.map(\.logicalResourceId) == ["Setting"])
        try cfn.deleteChangeSet(stackName: stack, changeSetName: "from-url")
        #expect(try cfn.listChangeSets(stackName: stack).isEmpty)
    }

    @Test func assumeRoleActsInTheOtherAccount() throws {
        let accountId = AWSTestConfig.uniqueAccountId()
        let roleArn = "arn:aws:iam::\(accountId):role/ferry-silo"
        let assumed = try STS(config: base).assumeRole(roleArn: roleArn, sessionName: "ferry-test", externalId: "ext-1",
                                                       durationSeconds: 900)
        #expect(assumed.assumedRoleArn == "arn:aws:sts::\(accountId):assumed-role/ferry-silo/ferry-test")
        #expect(assumed.credentials.sessionToken != nil)
        #expect(assumed.credentials.expiration.map { $0 > Date() } == true)

        let silo = base.assumingRole(arn: roleArn, sessionName: "ferry-test")
        let identity = try STS(config: silo).getCallerIdentity()
        #expect(identity.account == accountId)
        #expect(try STS(config: base).getCallerIdentity().account != accountId)
        #expect(silo.credentials.source == "assumed role \(roleArn) via test")
        // Cached: a second call does not assume the role again.
        #expect(try silo.credentials.credentials() == (try silo.credentials.credentials()))
    }

    @Test func aRoleProfileFromTheSharedFilesActsInItsAccount() throws {
        let dir = try TemporaryDirectory()
        let accountId = AWSTestConfig.uniqueAccountId()
        let env = [
            "HOME": dir.path, "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": try dir.write("config", """
                [profile base]
                region = us-east-1
                [profile silo]
                region = us-east-1
                role_arn = arn:aws:iam::\(accountId):role/ferry-agent
                source_profile = base
                role_session_name = agent
                """),
            "AWS_SHARED_CREDENTIALS_FILE": try dir.write("credentials", "[base]\naws_access_key_id = testing\naws_secret_access_key = testing\n"),
            "AWS_ENDPOINT_URL": try TestEnvironment.motoEndpoint(),
        ]
        let config = try AWSConfig.resolve(profile: "silo", environment: env, http: HTTPClient())
        let identity = try STS(config: config).getCallerIdentity()
        #expect(identity.account == accountId)
        #expect(identity.arn == "arn:aws:sts::\(accountId):assumed-role/ferry-agent/agent")
    }

    @Test func stackSetsReachTheirInstances() throws {
        let admin = base.assumingRole(arn: "arn:aws:iam::\(AWSTestConfig.uniqueAccountId()):role/admin", sessionName: "sets")
        let cfn = CloudFormation(config: admin)
        let name = uniqueName("ferry-set")
        let target = AWSTestConfig.uniqueAccountId()
        let id = try cfn.createStackSet(.init(name: name, template: .body(Self.template),
                                              parameters: [.init(key: "Stage", value: "silo")]))
        #expect(id.contains(name))
        let operation = try cfn.createStackInstances(stackSetName: name, deployment: .init(accounts: [target], regions: ["us-east-1"]))
        let finished = try waitFor("the stack set operation", {
            try cfn.describeStackSetOperation(stackSetName: name, operationId: operation)
        }) { $0.status != "RUNNING" && $0.status != "QUEUED" }
        #expect(finished.status == "SUCCEEDED")
        let instances = try cfn.listStackInstances(stackSetName: name)
        #expect(instances.map(\.account) == [target] && instances.map(\.region) == ["us-east-1"])
        let update = try cfn.updateStackSet(.init(name: name, template: .body(Self.template),
                                                  parameters: [.init(key: "Stage", value: "silo2")]))
        #expect(try cfn.describeStackSetOperation(stackSetName: name, operationId: update).operationId == update)
    }

    @Test func organizationsBuildsOUsAndMovesAccounts() throws {
        let management = base.assumingRole(arn: "arn:aws:iam::\(AWSTestConfig.uniqueAccountId()):role/org", sessionName: "org")
        let organizations = Organizations(config: management)
        let organization = try organizations.createOrganization()
        #expect(organization.arn.contains(organization.id))
        let root = try #require(try organizations.listRoots().first)
        let ou = try organizations.createOrganizationalUnit(parentId: root.id, name: "silos")
        #expect(ou.name == "silos")
        let started = try organizations.createAccount(email: "\(uniqueName("silo"))@example.com", name: "silo-a")
        let status = try waitFor("the account", { try organizations.describeCreateAccountStatus(id: started.id) }) {
            $0.state != "IN_PROGRESS"
        }
        let accountId = try #require(status.accountId)
        #expect(status.state == "SUCCEEDED")
        try organizations.moveAccount(accountId: accountId, from: root.id, to: ou.id)
        let again = #expect(throws: AWSError.self) { try organizations.createOrganization() }
        #expect(again?.code.rawValue == "AlreadyInOrganizationException")
    }
}
