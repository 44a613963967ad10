import AWS
import Agent
import Bucket
import Builder
import Foundation
import Manifest
import TestSupport
import Testing

/// The attack of issue 12 on moto: with write access to the shared bucket and no key,
/// overwrite a release's artifacts (a template above CloudFormation's body limit, a
/// nested template, Lambda code zips) after publishing. A silo must deploy exactly the
/// signed bytes, or refuse and report; `ferry verify` must say the release is not ok.
@Suite(.serialized) struct ArtifactSwapTests {
    /// A storage template padded past 51,200 bytes; `evil` adds an SSM parameter.
    static func storage(evil: Bool = false) -> String {
        var text = PipelineFixture.storageTemplate.replacingOccurrences(
            of: "Resources:\n", with: "Metadata:\n  Padding: '\(String(repeating: "p", count: 60_000))'\nResources:\n")
        if evil { text += "  Evil:\n    Type: AWS::SSM::Parameter\n    Properties: {Name: /ferry-evil/big, Type: String, Value: x}\n" }
        return text
    }

    static let evilChild = PipelineFixture.childTemplate
        + "  Evil:\n    Type: AWS::SSM::Parameter\n    Properties: {Name: /ferry-evil/nested, Type: String, Value: x}\n"

    struct LookFailed: Error { var run: String }

    struct World {
        let harness: SiloHarness
        let fixture: PipelineFixture
        let scratch: TemporaryDirectory
        var siloBucket: String { harness.artifactBucket }

        init() throws {
            harness = try SiloHarness()
            fixture = try PipelineFixture()
            try fixture.commit("app/storage.yaml", ArtifactSwapTests.storage())
            scratch = try TemporaryDirectory("ferry-swap")
        }

        func release(_ version: String) throws -> ReleaseResult {
            let config = try AWSTestConfig.make()
            let request = BuildRequest(
                repository: fixture.path, pipeline: fixture.name, ref: "HEAD", output: scratch.url("out-\(version)"),
                bucket: harness.releases.name, layout: harness.releases.layout,
                objectURLBase: try ArtifactLocation.urlBase(for: config),
                cache: try ArtifactCache(folder: scratch.url("cache")), key: ReleaseFixture.builderKey)
            return try Releaser.release(request, version: try SemVer(version), bucket: harness.releases,
                                        channel: "canary",
                                        writer: PointerSigner(key: ReleaseFixture.releaseKey, trust: ReleaseFixture.trust))
        }

        /// Overwrites every artifact of `manifest` with other bytes (a plain PUT, with the
        /// `ferry-sha256` metadata a careless check would trust set to the signed digest).
        func swapArtifacts(of manifest: Manifest) throws {
            let s3 = S3(config: try AWSTestConfig.make())
            for artifact in manifest.artifacts {
                let original = try #require(try s3.getObject(bucket: harness.releases.name, key: artifact.key).body)
                let text = String(decoding: original, as: UTF8.self)
                let evil: Data = if text.contains("WorkerRole") {
                    Data(ArtifactSwapTests.evilChild.utf8)
                } else if text.contains("Padding") {
                    Data(ArtifactSwapTests.storage(evil: true).utf8)
                } else {
                    Data("PK\u{3}\u{4} not the signed code".utf8)
                }
                _ = try s3.putObject(bucket: harness.releases.name, key: artifact.key, data: evil,
                                     options: S3.PutOptions(metadata: ["ferry-sha256": artifact.sha256]))
            }
        }

        func agentOnce() throws -> FerryRun {
            try harness.ferry(try harness.agentOnceArguments())
        }

        /// What the silo account runs: each stack's template (nested ones too) and the
        /// SSM parameters under /ferry-evil.
        func silo() throws -> (templates: [String: String], parents: [String: String], evil: [String]) {
            let script = """
                import boto3, json, sys
                sts = boto3.client('sts')
                c = sts.assume_role(RoleArn=sys.argv[1], RoleSessionName='look')['Credentials']
                kw = dict(aws_access_key_id=c['AccessKeyId'], aws_secret_access_key=c['SecretAccessKey'],
                          aws_session_token=c['SessionToken'], region_name='us-east-1')
                cfn = boto3.client('cloudformation', **kw)
                ssm = boto3.client('ssm', **kw)
                out = {'templates': {}, 'parents': {}, 'evil': []}
                for s in cfn.describe_stacks()['Stacks']:
                    if not s['StackName'].startswith(sys.argv[2]) and not s.get('ParentId'): continue
                    body = cfn.get_template(StackName=s['StackName'])['TemplateBody']
                    out['templates'][s['StackName']] = body if isinstance(body, str) else json.dumps(body)
                    if s.get('ParentId'): out['parents'][s['StackName']] = s['ParentId']
                try:
                    out['evil'] = [p['Name'] for p in ssm.get_parameters_by_path(Path='/ferry-evil', Recursive=True)['Parameters']]
                except Exception as e:
                    out['evil'] = ['error: ' + str(e)]
                print(json.dumps(out))
                """
            let path = try scratch.write("look.py", script)
            let run = try FerryProcess.runPython([path, harness.roleArn, harness.stackPrefix],
                                                 adding: ["AWS_ENDPOINT_URL": harness.endpoint])
            guard run.status == 0, let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
            else { throw LookFailed(run: "\(run)") }
            return (object["templates"] as? [String: String] ?? [:], object["parents"] as? [String: String] ?? [:],
                    object["evil"] as? [String] ?? ["unreadable"])
        }
    }

    @Test func swappedArtifactsBeforeTheFirstDeployAreRefusedAndVerifySaysNotOk() throws {
        let world = try World()
        let released = try world.release("1.0.0")
        let manifest = released.build.bundle.manifest
        #expect(manifest.artifacts.count == 4, "two code zips, the nested template and the large template")
        try world.swapArtifacts(of: manifest)

        let scratch = try TemporaryDirectory()
        let error = try #require(throws: BuildError.self) {
            try ReleaseVerifier.verify(bucket: world.harness.releases, pipeline: "webapp", version: try SemVer("1.0.0"),
                                       trust: ReleaseFixture.trust, scratch: scratch.path)
        }
        #expect(error.code == .verification && error.message.contains("not the one the manifest signed"))

        let run = try world.agentOnce()
        #expect(run.status != 0, "the agent accepted swapped artifacts: \(run)")
        let report = try #require(try world.harness.report())
        #expect(report.state == .refused || report.error != nil, "\(report)")
        let silo = try world.silo()
        #expect(silo.templates.isEmpty, "stacks were created from a release whose artifacts were swapped")
        #expect(silo.evil.isEmpty)
    }

    @Test func withoutASiloBucketTheAgentRefusesToDeployFromTheSharedBucketThenDeploysOnceItIsSet() throws {
        let world = try World()
        _ = try world.release("1.0.0")
        var arguments = try world.harness.agentOnceArguments()
        let flag = try #require(arguments.firstIndex(of: "--artifact-bucket"))
        arguments.removeSubrange(flag...(flag + 1))
        let refused = try world.harness.ferry(arguments)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("--artifact-bucket"), "\(refused)")
        #expect(try world.silo().templates.isEmpty, "a stack was deployed from the shared bucket")
        // Not a refusal of the release: once the bucket is set, the same target deploys.
        let run = try world.agentOnce()
        #expect(run.status == 0, "\(run)")
        #expect(try world.harness.report()?.applied == (try SemVer("1.0.0")))
    }

    @Test func afterADeploySwappedArtifactsChangeNothingTheSiloDeploys() throws {
        let world = try World()
        let first = try world.release("1.0.0")
        let run = try world.agentOnce()
        #expect(run.status == 0, "\(run)")
        try world.swapArtifacts(of: first.build.bundle.manifest)
        // A new release that changes a template but reuses the swapped artifacts' keys.
        try world.fixture.commit("app/api.yaml", PipelineFixture.apiTemplate + "Outputs:\n  V: {Value: two}\n")
        let second = try world.release("1.1.0")
        let reused = Set(first.build.bundle.manifest.artifacts.map(\.key))
            .intersection(second.build.bundle.manifest.artifacts.map(\.key))
        #expect(reused.count >= 3, "the code zips and the nested template are the swapped objects")
        let again = try world.agentOnce()
        #expect(again.status == 0, "\(again)")
        #expect(try world.harness.report()?.applied == (try SemVer("1.1.0")))

        let silo = try world.silo()
        #expect(silo.evil.isEmpty, "a swapped template created its SSM parameter")
        // The nested stack (moto names it <parent>-Child-<id>, without a ParentId) runs the
        // signed child relocated: its code from the silo bucket.
        let nested = silo.templates.filter { $0.key.contains("-Child-") }
        #expect(nested.count == 1, "no nested stack was deployed: \(silo.templates.keys.sorted())")
        #expect(nested.values.allSatisfy { $0.contains("WorkerRole") && $0.contains(world.siloBucket) })
        // Every template CloudFormation runs is a relocated signed one: none names the shared bucket.
        for (name, body) in silo.templates {
            #expect(!body.contains("/\(world.harness.releases.name)/") && !body.contains("S3Bucket: \(world.harness.releases.name)"),
                    "\(name) still reads from the shared bucket")
            #expect(!body.contains("ferry-evil"), "\(name) runs a swapped template")
        }
        // The top-level stacks run exactly the relocated files the agent planned.
        let journal = try world.harness.journal()
        let records = try journal.stackRecords(pipeline: "webapp")
        for record in records.values {
            let planned = try String(contentsOfFile: record.spec.templatePath, encoding: .utf8)
            #expect(silo.templates[record.spec.name] == planned, "\(record.spec.name) runs other bytes than planned")
        }
    }
}
