import AWS
import Agent
import Basics
import Foundation
import Manifest
import MemoryStore
import Testing
import TestSupport

/// The silo's artifact bucket, in memory: what it holds, and how many objects were written.
struct MemorySilo {
    let store = MemoryStore()
    let bucket = "silo-bucket"

    init() { store.createBucket(bucket) }

    /// Every object's bytes, by key.
    var objects: [String: Data] {
        let keys = (try? store.listObjects(bucket: bucket, prefix: nil, delimiter: nil, pageSize: nil).objects.map(\.key)) ?? []
        var found: [String: Data] = [:]
        for key in keys {
            if case .object(_, let body)? = try? store.getObject(bucket: bucket, key: key, options: S3.GetOptions(),
                                                                  limit: .max) { found[key] = body }
        }
        return found
    }

    var puts: Int { store.requestCounts()[.put] ?? 0 }
}

/// A release whose stack template references a code zip and a nested template (which
/// references the code too), in a shared bucket held in memory that an attacker may write.
final class ArtifactWorld {
    let directory: TemporaryDirectory
    var shared: [String: Data] = [:]
    var fetches: [String] = []
    let silo = MemorySilo()
    let layout = BucketLayout(prefix: "ferry/")
    var manifest: Manifest!
    var plan: DeployPlan!
    let code = Data("PK code of the lambda".utf8)
    var codeKey = "", nestedKey = ""
    var nestedText = ""

    init(bigTemplate: Bool = false, nestedReferences: Bool = true) throws {
        directory = try TemporaryDirectory("ferry-silo-artifacts")
        codeKey = try layout.artifact(sha256: sha256Hex(code))
        nestedText = "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Code:\n"
            + "        S3Bucket: shared\n        S3Key: \(codeKey)\n"
        let nestedBytes = Data(nestedText.utf8)
        nestedKey = try layout.artifact(sha256: sha256Hex(nestedBytes))
        shared = [codeKey: code, nestedKey: nestedBytes]
        var template = "Resources:\n  Nested:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n"
            + "      TemplateURL: https://s3.us-east-1.amazonaws.com/shared/\(nestedKey)\n"
        if !nestedReferences { template = "Resources: {}\n" }
        if bigTemplate { template += "# " + String(repeating: "x", count: ChangeSetRequest.bodyLimit) + "\n" }
        let path = "templates/app.yaml"
        _ = try directory.write("release/" + path, template)
        let bytes = Data(template.utf8)
        manifest = Manifest(
            pipeline: "webapp", version: try SemVer("1.0.0"), createdAt: "2024-05-01T12:00:00Z",
            source: .init(repository: "webapp", commit: String(repeating: "a", count: 40),
                          author: "Dev <dev@example.com>", subject: "release"),
            stacks: [Manifest.Stack(name: "app", template: path)],
            files: [Manifest.File(path: path, size: bytes.count, sha256: sha256Hex(bytes))],
            artifacts: nestedReferences ? [
                Manifest.Artifact(key: codeKey, size: code.count, sha256: sha256Hex(code)),
                Manifest.Artifact(key: nestedKey, size: nestedBytes.count, sha256: sha256Hex(nestedBytes)),
            ] : [])
        let target = Target(source: .channel("stable"), serial: 1, version: try SemVer("1.0.0"),
                            manifestSha256: String(repeating: "1", count: 64), bundleSha256: String(repeating: "2", count: 64))
        plan = try DeployPlan.make(manifest: manifest, target: target, folder: directory.url("release"))
    }

    func artifacts(configured: Bool = true) -> SiloArtifacts {
        SiloArtifacts(
            sharedBucket: "shared", scratch: directory.url("scratch"),
            fetch: { [self] key, sha256, size, path throws(AgentError) in
                fetches.append(key)
                guard let data = shared[key], data.count <= size, sha256Hex(data) == sha256 else {
                    throw AgentError(.refused, "\(key) is not the signed bytes", next: .needsPerson)
                }
                try? data.write(to: URL(fileURLWithPath: path))
            },
            destination: { [silo, layout] _ in
                configured ? SiloBucket(name: silo.bucket, urlBase: "https://s3.eu-west-1.amazonaws.com",
                                        layout: layout, store: silo.store) : nil
            })
    }
}

@Suite struct SiloArtifactsTests {
    @Test func copiesVerifiedArtifactsAndRelocatesTheTemplates() throws {
        let world = try ArtifactWorld()
        let plan = try world.artifacts().relocate(world.plan, manifest: world.manifest)
        let spec = try #require(plan.stacks.first?.spec)
        let text = try String(contentsOfFile: spec.templatePath, encoding: .utf8)
        #expect(spec.templateSha256 == sha256Hex(Data(text.utf8)))
        #expect(!text.contains("/shared/") && text.contains("https://s3.eu-west-1.amazonaws.com/silo-bucket/"))
        // The code is copied under its key; the nested template is stored relocated, under its new SHA-256.
        #expect(world.silo.objects[world.codeKey] == world.code)
        let relocatedNested = world.nestedText.replacingOccurrences(of: "S3Bucket: shared", with: "S3Bucket: silo-bucket")
        let nestedKey = try world.layout.artifact(sha256: sha256Hex(Data(relocatedNested.utf8)))
        #expect(world.silo.objects[nestedKey] == Data(relocatedNested.utf8))
        #expect(text.contains("silo-bucket/" + nestedKey))
        #expect(world.silo.objects.count == 2)
    }

    @Test func anUnchangedArtifactIsNeverFetchedTwice() throws {
        let world = try ArtifactWorld()
        _ = try world.artifacts().relocate(world.plan, manifest: world.manifest)
        let fetched = world.fetches.count, puts = world.silo.puts
        _ = try world.artifacts().relocate(world.plan, manifest: world.manifest)
        // The code is in the silo bucket already; the nested template is kept, verified, on disk.
        #expect(world.fetches.count == fetched && fetched == 2)
        #expect(world.silo.puts == puts)
    }

    @Test func aSwappedArtifactIsRefusedAndNothingPointsAtTheSharedBucket() throws {
        for swapped in [\ArtifactWorld.codeKey, \ArtifactWorld.nestedKey] {
            let world = try ArtifactWorld()
            world.shared[world[keyPath: swapped]] = Data("Resources: {Evil: {Type: AWS::SSM::Parameter}}".utf8)
            #expect(throws: AgentError.self) { try world.artifacts().relocate(world.plan, manifest: world.manifest) }
            do {
                _ = try world.artifacts().relocate(world.plan, manifest: world.manifest)
            } catch {
                #expect(error.code == .refused)
            }
            #expect(!world.silo.objects.values.contains(world.shared[world[keyPath: swapped]]!))
        }
    }

    @Test func aCachedArtifactSurvivesASwapInTheSharedBucket() throws {
        let world = try ArtifactWorld()
        _ = try world.artifacts().relocate(world.plan, manifest: world.manifest)
        world.shared[world.codeKey] = Data("evil code".utf8)
        world.shared[world.nestedKey] = Data("Resources: {Evil: {Type: AWS::SSM::Parameter}}".utf8)
        let plan = try world.artifacts().relocate(world.plan, manifest: world.manifest)
        #expect(world.silo.objects[world.codeKey] == world.code)
        #expect(plan.stacks.first?.spec.templatePath.hasSuffix(".template") == true)
    }

    @Test func aLargeTemplateIsStoredInTheSiloBucket() throws {
        let world = try ArtifactWorld(bigTemplate: true, nestedReferences: false)
        let plan = try world.artifacts().relocate(world.plan, manifest: world.manifest)
        let spec = try #require(plan.stacks.first?.spec)
        let key = try world.layout.artifact(sha256: spec.templateSha256)
        #expect(world.silo.objects[key].map { sha256Hex($0) } == spec.templateSha256)
    }

    @Test func withoutASiloBucketAReleaseWithArtifactsIsRefusedWithWhatToSet() throws {
        for big in [false, true] {
            let world = try ArtifactWorld(bigTemplate: big, nestedReferences: !big)
            do {
                _ = try world.artifacts(configured: false).relocate(world.plan, manifest: world.manifest)
                Issue.record("relocated without a silo bucket")
            } catch {
                #expect(error.code == .configuration && error.message.contains("--artifact-bucket"))
            }
            #expect(world.fetches.isEmpty && world.silo.objects.isEmpty)
        }
    }

    @Test func aPlainReleaseNeedsNoSiloBucket() throws {
        let world = try ArtifactWorld(nestedReferences: false)
        let plan = try world.artifacts(configured: false).relocate(world.plan, manifest: world.manifest)
        #expect(plan == world.plan)
    }

    @Test func aVirtualHostedReferenceToTheSharedBucketIsRefused() throws {
        let world = try ArtifactWorld()
        let text = "Resources: {}\n# https://shared.s3.amazonaws.com/\(world.codeKey)\n"
        let path = try world.directory.write("release/templates/app.yaml", text)
        var plan = world.plan!
        let spec = plan.stacks[0].spec
        plan.stacks[0].spec = StackSpec(name: spec.name, templatePath: path, templateSha256: sha256Hex(Data(text.utf8)),
                                        parameters: [:], tags: [:], capabilities: [], region: nil)
        do {
            _ = try world.artifacts().relocate(plan, manifest: world.manifest)
            Issue.record("a virtual-hosted reference was accepted")
        } catch {
            #expect(error.code == .refused && error.message.contains("virtual-hosted"))
        }
    }
}
