import AWS
import Fleet
import Foundation
import Manifest
import TestSupport
import Testing

/// `ferry bootstrap` against moto's Organizations and StackSets, run as a process with
/// the management account's credentials (a role profile, as an administrator would).
///
/// What moto shows: a SERVICE_MANAGED stack set, its parameters, and stack instances in
/// the accounts of the OU and of its direct child OUs (not deeper, not the root's).
/// What moto cannot show: automatic deployment to an account created in or moved into
/// the OU later (moto never does it, and DescribeStackSet returns no AutoDeployment), and
/// a failed stack instance (moto never fails one).
struct FleetBootstrapIntegrationTests {
    let management = AWSTestConfig.uniqueAccountId()
    let base: AWSConfig

    init() throws { base = try AWSTestConfig.make() }

    var managementConfig: AWSConfig {
        base.assumingRole(arn: "arn:aws:iam::\(management):role/org-admin", sessionName: "bootstrap")
    }

    /// An organization with OU silos (one account), its child OU silos/eu (one account),
    /// and one account left at the root.
    func organization() throws -> (ou: String, inOU: String, inChild: String, atRoot: String) {
        let organizations = Organizations(config: managementConfig)
        _ = try organizations.createOrganization()
        let root = try #require(try organizations.listRoots().first)
        let ou = try organizations.createOrganizationalUnit(parentId: root.id, name: "silos")
        let child = try organizations.createOrganizationalUnit(parentId: ou.id, name: "eu")
        func account(_ name: String) throws -> String {
            let started = try organizations.createAccount(email: "\(uniqueName(name))@example.com", name: name)
            for _ in 0..<50 {
                let status = try organizations.describeCreateAccountStatus(id: started.id)
                if status.state == "SUCCEEDED", let id = status.accountId { return id }
                Thread.sleep(forTimeInterval: 0.1)
            }
            throw AWSError(code: .invalidResponse, message: "account \(name) was never created")
        }
        let inOU = try account("silo-a"), inChild = try account("silo-b"), atRoot = try account("builder")
        try organizations.moveAccount(accountId: inOU, from: root.id, to: ou.id)
        try organizations.moveAccount(accountId: inChild, from: root.id, to: child.id)
        return (ou.id, inOU, inChild, atRoot)
    }

    func bootstrap(_ arguments: [String], in dir: TemporaryDirectory, folder: String? = nil,
                   adding extra: [String: String] = [:]) throws -> FerryRun {
        let environment = [
            "HOME": dir.path, "PATH": "/usr/bin:/bin",
            "AWS_CONFIG_FILE": try dir.write("config", """
                [profile org]
                region = us-east-1
                role_arn = arn:aws:iam::\(management):role/org-admin
                source_profile = base
                [profile base]
                region = us-east-1
                """),
            "AWS_SHARED_CREDENTIALS_FILE": try dir.write("credentials",
                                                         "[base]\naws_access_key_id = testing\naws_secret_access_key = testing\n"),
        ].merging(extra) { $1 }
        return try FerryProcess.run(["bootstrap", "--profile", "org", "--endpoint-url", try TestEnvironment.motoEndpoint()]
            + arguments, environment: environment, folder: folder)
    }

    @Test func bootstrapCreatesTheStackSetWithItsParametersAndReachesTheOUsAccounts() throws {
        let (ou, inOU, inChild, atRoot) = try organization()
        let dir = try TemporaryDirectory("ferry-bootstrap")
        let builder = try dir.write("builder.pub", ReleaseFixture.builderKey.publicKey.fileContents)
        let oncall = try dir.write("oncall.pub", ReleaseFixture.oncallKey.publicKey.fileContents)
        let name = uniqueName("ferry-silo")
        let arguments = [
            "--ou", ou, "--stack-set-name", name, "--template", TestEnvironment.packageRoot + "/stacksets/ferry-silo.yaml",
            "--bucket", "ferry-releases-test", "--prefix", "ferry/", "--pipeline", "dropzone", "--pipeline", "ingest",
            "--channel", "canary", "--trust", "\(builder)=builder", "--trust", "\(oncall)=oncall,release",
            "--parameter", "LocalEmulator=true", "--poll-interval", "1s",
        ]
        let run = try bootstrap(arguments + ["--json"], in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        let result = try JSONDecoder().decode(BootstrapResult.self, from: Data(run.stdout.utf8))
        #expect(result.action == "created" && result.stackSet == name)
        #expect(result.operations.map(\.status) == ["SUCCEEDED"])
        #expect(run.stderr.contains("created stack set \(name)"))
        #expect(run.stderr.contains("deploying to \(ou) in us-east-1"))
        #expect(run.stderr.contains("(CREATE): SUCCEEDED"))

        let cfn = CloudFormation(config: managementConfig)
        let set = try #require(try cfn.describeStackSet(name))
        #expect(set.permissionModel == .serviceManaged && set.status == "ACTIVE")
        let builderLine = ReleaseFixture.builderKey.publicKey.fileContents.trimmingCharacters(in: .newlines)
        let oncallLine = ReleaseFixture.oncallKey.publicKey.fileContents.trimmingCharacters(in: .newlines)
        #expect(set.parameters == [
            "ReleaseBucket": "ferry-releases-test", "Prefix": "ferry", "Pipelines": "dropzone,ingest",
            "Channel": "canary", "BuilderPublicKey": builderLine, "ReleasePublicKey": oncallLine,
            "OncallPublicKey": oncallLine, "LocalEmulator": "true",
        ])
        let instances = try cfn.listStackInstances(stackSetName: name)
        #expect(Set(instances.map(\.account)) == [inOU, inChild])  // the OU and its child OU, not the root
        #expect(!instances.map(\.account).contains(atRoot))
        #expect(instances.allSatisfy { $0.region == "us-east-1" && $0.status == "CURRENT" })

        // Again: the stack set is updated, and the OU, which has its instances, gets no duplicates.
        let again = try bootstrap(arguments, in: dir)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.hasPrefix("stack set \(name) updated: 2 stack instances\n"))
        #expect(again.stderr.contains("(UPDATE): SUCCEEDED"))
        #expect(again.stderr.contains("every OU already has its stack instances"))
        #expect(try cfn.listStackInstances(stackSetName: name).count == 2)
    }

    @Test func badBootstrapInputIsRefusedBeforeAnythingIsCreated() throws {
        let dir = try TemporaryDirectory("ferry-bootstrap")
        let builder = try dir.write("builder.pub", ReleaseFixture.builderKey.publicKey.fileContents)
        let name = uniqueName("ferry-silo")
        let template = TestEnvironment.packageRoot + "/stacksets/ferry-silo.yaml"
        let common = ["--stack-set-name", name, "--template", template, "--bucket", "ferry-releases-test",
                      "--pipeline", "webapp"]
        let cases: [([String], Int32, String)] = [
            (common + ["--trust", "\(builder)=builder"], 64, "give at least one --ou OU_ID"),
            (common + ["--ou", "silos", "--trust", "\(builder)=builder"], 64, "an OU id starts with ou-"),
            (common + ["--ou", "ou-abcd-12345678"], 1, "needs a value for BuilderPublicKey: pass --trust FILE.pub=builder"),
            (common + ["--ou", "ou-abcd-12345678", "--trust", "\(builder)=builder", "--parameter", "Colour=blue"], 1,
             "declares no parameter Colour"),
            (common + ["--ou", "ou-abcd-12345678", "--trust", "\(builder)=builder", "--parameter", "LocalEmulator=maybe"], 1,
             "LocalEmulator must be one of true, false"),
            (["--ou", "ou-abcd-12345678", "--stack-set-name", name, "--template", dir.url("missing.yaml"),
              "--bucket", "b-b-b", "--pipeline", "webapp", "--trust", "\(builder)=builder"], 64, "cannot read the template"),
        ]
        for (arguments, status, message) in cases {
            let run = try bootstrap(arguments, in: dir)
            #expect(run.status == status, "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
        #expect(try CloudFormation(config: managementConfig).describeStackSet(name) == nil)
    }

    /// A well-formed OU id the organization does not have is refused before the stack set
    /// exists (it used to create the stack set first, then fail on the instances).
    @Test func anUnknownOUIsRefusedBeforeTheStackSetIsCreated() throws {
        let (ou, _, _, _) = try organization()
        let dir = try TemporaryDirectory("ferry-bootstrap")
        let builder = try dir.write("builder.pub", ReleaseFixture.builderKey.publicKey.fileContents)
        let name = uniqueName("ferry-silo")
        let run = try bootstrap([
            "--ou", ou, "--ou", "ou-zzzz-99999999", "--stack-set-name", name, "--bucket", "ferry-releases-test",
            "--pipeline", "webapp", "--trust", "\(builder)=builder", "--parameter", "LocalEmulator=true",
        ], in: dir)
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stderr.contains("no OU or root ou-zzzz-99999999 in this organization; nothing was created"),
                "\(run.stderr)")
        #expect(!run.stderr.contains(ou + ","), "only the unknown OU is named: \(run.stderr)")
        #expect(try CloudFormation(config: managementConfig).describeStackSet(name) == nil)
    }

    /// Without --template, bootstrap finds the silo template of the checkout the binary was
    /// built in, from any folder (it used to need stacksets/ under the current folder).
    @Test func theSiloTemplateIsFoundFromAnyFolder() throws {
        let (ou, inOU, inChild, _) = try organization()
        let dir = try TemporaryDirectory("ferry-bootstrap")
        let builder = try dir.write("builder.pub", ReleaseFixture.builderKey.publicKey.fileContents)
        let name = uniqueName("ferry-silo")
        let run = try bootstrap([
            "--ou", ou, "--stack-set-name", name, "--bucket", "ferry-releases-test", "--pipeline", "webapp",
            "--trust", "\(builder)=builder", "--parameter", "LocalEmulator=true", "--poll-interval", "1s",
        ], in: dir, folder: dir.path)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(Set(try CloudFormation(config: managementConfig).listStackInstances(stackSetName: name).map(\.account))
                == [inOU, inChild])

        // FERRY_SILO_TEMPLATE, like --template, is used as given: a wrong one is an error, not a fallback.
        let wrong = try bootstrap([
            "--ou", ou, "--stack-set-name", uniqueName("ferry-silo"), "--bucket", "ferry-releases-test",
            "--pipeline", "webapp", "--trust", "\(builder)=builder",
        ], in: dir, folder: dir.path, adding: ["FERRY_SILO_TEMPLATE": dir.url("missing.yaml")])
        #expect(wrong.status == 64, "\(wrong.stderr)")
        #expect(wrong.stderr.contains("cannot read the template \(dir.url("missing.yaml"))"), "\(wrong.stderr)")
    }
}
