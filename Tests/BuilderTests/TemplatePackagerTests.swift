import Foundation
import Testing
import TestSupport
@testable import Builder

/// The packager against the in-memory sink: which properties it rewrites, to what, from
/// which files; and that nothing else in the template changes.
@Suite struct TemplatePackagerTests {
    /// How a rewritten property should look, and what should have been stored for it.
    enum Expected {
        case s3URI(Stored)
        case dict(bucketKey: String, keyKey: String, Stored)
        case templateURL
    }

    /// What the sink should have received: a folder's files, a single file zipped, a
    /// file as it is (path relative to the fixture).
    enum Stored: Equatable {
        case folder([String])
        case zipped(String)
        case file(String)
    }

    static let packagingFixture = Fixtures.path("packaging")
    static let allFixtureFiles: [String] = (try? InMemoryArtifactSink.files(under: packagingFixture)) ?? []

    /// Every property of Fixtures/packaging/template.yaml that must be rewritten, written
    /// out by hand from the AWS CLI's exporter list; nothing else may change.
    static let expected: [([String], Expected)] = [
        (["Metadata", "AWS::ServerlessRepo::Application", "ReadmeUrl"], .s3URI(.file("README.md"))),
        (["Metadata", "AWS::ServerlessRepo::Application", "LicenseUrl"], .s3URI(.file("LICENSE.txt"))),
        (["Resources", "FolderFunction", "Properties", "CodeUri"], .s3URI(.folder(["app.py", "lib/util.py"]))),
        (["Resources", "FileFunction", "Properties", "CodeUri"], .s3URI(.zipped("handler.py"))),
        (["Resources", "ZipFunction", "Properties", "CodeUri"], .s3URI(.file("prebuilt.zip"))),
        (["Resources", "DefaultFunction", "Properties", "CodeUri"], .s3URI(.folder(allFixtureFiles))),
        (["Resources", "Layer", "Properties", "ContentUri"], .s3URI(.folder(["python/shared.py"]))),
        (["Resources", "Api", "Properties", "DefinitionUri"], .s3URI(.file("api/openapi.yaml"))),
        (["Resources", "BodyApi", "Properties", "DefinitionBody", "Fn::Transform", "Parameters", "Location"],
         .s3URI(.file("snippets/openapi.yaml"))),
        (["Resources", "SamStateMachine", "Properties", "DefinitionUri"],
         .dict(bucketKey: "Bucket", keyKey: "Key", .file("statemachine/flow.asl.json"))),
        (["Resources", "App", "Properties", "Location"], .templateURL),
        (["Resources", "Schema", "Properties", "DefinitionS3Location"], .s3URI(.file("appsync/schema.graphql"))),
        (["Resources", "Resolver", "Properties", "RequestMappingTemplateS3Location"], .s3URI(.file("appsync/request.vtl"))),
        (["Resources", "Resolver", "Properties", "ResponseMappingTemplateS3Location"], .s3URI(.file("appsync/response.vtl"))),
        (["Resources", "AppSyncFunction", "Properties", "RequestMappingTemplateS3Location"], .s3URI(.file("appsync/request.vtl"))),
        (["Resources", "RestApi", "Properties", "BodyS3Location"], .dict(bucketKey: "Bucket", keyKey: "Key", .file("api/openapi.yaml"))),
        (["Resources", "LambdaFunction", "Properties", "Code"],
         .dict(bucketKey: "S3Bucket", keyKey: "S3Key", .folder(["app.py", "lib/util.py"]))),
        (["Resources", "LambdaFileFunction", "Properties", "Code"], .dict(bucketKey: "S3Bucket", keyKey: "S3Key", .zipped("handler.py"))),
        (["Resources", "BeanstalkVersion", "Properties", "SourceBundle"],
         .dict(bucketKey: "S3Bucket", keyKey: "S3Key", .folder(["Procfile", "app.py"]))),
        (["Resources", "Nested", "Properties", "TemplateURL"], .templateURL),
        (["Resources", "LambdaLayer", "Properties", "Content"],
         .dict(bucketKey: "S3Bucket", keyKey: "S3Key", .folder(["python/shared.py"]))),
        (["Resources", "GlueJob", "Properties", "Command", "ScriptLocation"], .s3URI(.file("glue/job.py"))),
        (["Resources", "StepFunctions", "Properties", "DefinitionS3Location"],
         .dict(bucketKey: "Bucket", keyKey: "Key", .file("statemachine/flow.asl.json"))),
        (["Resources", "Repository", "Properties", "Code", "S3"], .dict(bucketKey: "Bucket", keyKey: "Key", .folder(["README.md"]))),
        (["Resources", "Fn::ForEach::Topics", "2", "Function${TopicName}", "Properties", "CodeUri"],
         .s3URI(.folder(["app.py", "lib/util.py"]))),
    ]

    @Test func rewritesEveryPropertyTheAWSCLIDoesAndNothingElse() throws {
        let sink = InMemoryArtifactSink()
        let template = Self.packagingFixture + "/template.yaml"
        let packaged = try TemplatePackager.package(templateAt: template, sink: sink)
        #expect(packaged.format == .yaml)
        let original = try Meaning.parse(String(contentsOfFile: template, encoding: .utf8))
        let ours = try Meaning.parse(data: packaged.bytes)

        let changed = Meaning.differences(original, ours).map { $0.joined(separator: "/") }.sorted()
        #expect(changed == Self.expected.map { $0.0.joined(separator: "/") }.sorted())
        for (path, expectation) in Self.expected {
            try check(ours[path], expectation, sink: sink, at: path)
        }
    }

    @Test func nestedTemplatesArePackagedThemselvesAndStored() throws {
        let sink = InMemoryArtifactSink()
        let packaged = try TemplatePackager.package(templateAt: Self.packagingFixture + "/template.yaml", sink: sink)
        let ours = try Meaning.parse(data: packaged.bytes)
        let cases: [(String, String, [String], Expected)] = [
            ("Nested", "nested/child.yaml", ["Resources", "ChildFunction", "Properties", "Code"],
             .dict(bucketKey: "S3Bucket", keyKey: "S3Key", .folder(["index.py"]))),
            ("App", "nested/app.yaml", ["Resources", "AppFunction", "Properties", "CodeUri"], .s3URI(.folder(["main.py"]))),
        ]
        for (resource, file, path, expectation) in cases {
            let property = resource == "App" ? "Location" : "TemplateURL"
            let url = try #require(ours[["Resources", resource, "Properties", property]]?.string)
            let key = try #require(objectKey(ofURL: url, sink: sink))
            #expect(sink.how[key] == .bytes(suggestedName: (file as NSString).lastPathComponent))
            let child = try Meaning.parse(data: try #require(sink.objects[key]))
            let original = try Meaning.parse(String(contentsOfFile: Self.packagingFixture + "/" + file, encoding: .utf8))
            #expect(Meaning.differences(original, child) == [path])
            try check(child[path], expectation, sink: sink, at: path, folder: PackagerPaths.parent(Self.packagingFixture + "/" + file))
            #expect(packaged.artifacts.contains { $0.key == key })
        }
    }

    @Test func artifactsListEveryStoredObjectOnce() throws {
        let sink = InMemoryArtifactSink()
        let packaged = try TemplatePackager.package(templateAt: Self.packagingFixture + "/template.yaml", sink: sink)
        #expect(Set(packaged.artifacts.map(\.key)) == Set(sink.objects.keys))
        #expect(packaged.artifacts.count == Set(packaged.artifacts.map(\.key)).count)
        for artifact in packaged.artifacts {
            let bytes = try #require(sink.objects[artifact.key])
            #expect(artifact.size == bytes.count)
            #expect(artifact.key == "ferry/artifacts/sha256/" + artifact.sha256)
            #expect(artifact.bucket == sink.bucket)
        }
        // src/function is stored by four resources, but once.
        #expect(sink.calls.count > packaged.artifacts.count)
    }

    @Test func jsonStaysJSONAndNestedJSONToo() throws {
        let sink = InMemoryArtifactSink()
        let template = Fixtures.path("packaging-json/template.json")
        let packaged = try TemplatePackager.package(templateAt: template, sink: sink)
        #expect(packaged.format == .json)
        let text = String(decoding: packaged.bytes, as: UTF8.self)
        #expect(text.hasPrefix("{\n    \"AWSTemplateFormatVersion\": \"2010-09-09\",\n"))
        #expect(text.contains("\"DisplayName\": \"café ☕ \\\"quoted\\\"\""))
        #expect(text.contains("\"Timeout\": 3.5"))
        let ours = try Meaning.parse(text)
        let original = try Meaning.parse(String(contentsOfFile: template, encoding: .utf8))
        let changed = Set(Meaning.differences(original, ours).map { $0.joined(separator: "/") })
        #expect(changed == [
            "Resources/Function/Properties/Code", "Resources/SamFunction/Properties/CodeUri",
            "Resources/Api/Properties/BodyS3Location", "Resources/Worker/Properties/TemplateURL",
            "Resources/Job/Properties/Command/ScriptLocation",
            "Resources/Topic/Properties/Fn::Transform/Parameters/Location",
        ])
        let url = try #require(ours[["Resources", "Worker", "Properties", "TemplateURL"]]?.string)
        let childKey = try #require(objectKey(ofURL: url, sink: sink))
        let child = try #require(sink.objects[childKey])
        #expect(String(decoding: child, as: UTF8.self).hasPrefix("{\n"))
        #expect(try Meaning.parse(data: child)[["Resources", "WorkerFunction", "Properties", "Code", "S3Bucket"]] == .string(sink.bucket))
    }

    @Test func packagingTwiceGivesTheSameBytes() throws {
        let first = try TemplatePackager.package(templateAt: Self.packagingFixture + "/template.yaml", sink: InMemoryArtifactSink())
        let second = try TemplatePackager.package(templateAt: Self.packagingFixture + "/template.yaml", sink: InMemoryArtifactSink())
        #expect(first.bytes == second.bytes)
        #expect(first.artifacts == second.artifacts)
    }

    /// The same files in another place, created in the opposite order, with other
    /// file times: the packaged template and every artifact are the same. (The real zip
    /// writer's own independence from times and order is the Archive module's test.)
    @Test func placeOrderAndFileTimesDoNotChangeTheResult() throws {
        let one = try TemporaryDirectory("ferry-package-a"), two = try TemporaryDirectory("ferry-package-b")
        try Fixtures.copy("packaging", to: one.url("copy"))
        try Fixtures.copy("packaging", to: two.url("other/place"), reversed: true)
        let old = Date(timeIntervalSince1970: 1_000_000)
        for name in try InMemoryArtifactSink.files(under: two.url("other/place")) {
            try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: two.url("other/place/" + name))
        }
        let sinkOne = InMemoryArtifactSink(), sinkTwo = InMemoryArtifactSink()
        let first = try TemplatePackager.package(templateAt: one.url("copy/template.yaml"), sink: sinkOne)
        let second = try TemplatePackager.package(templateAt: two.url("other/place/template.yaml"), sink: sinkTwo)
        #expect(first.bytes == second.bytes)
        #expect(first.artifacts == second.artifacts)
        #expect(sinkOne.objects == sinkTwo.objects)
    }

    @Test func objectURLsFollowTheSinksBase() throws {
        let location = ArtifactLocation(bucket: "my-bucket", key: "ferry/artifacts/sha256/ab12", sha256: "ab12", size: 3)
        #expect(location.s3URI == "s3://my-bucket/ferry/artifacts/sha256/ab12")
        #expect(location.url(base: ArtifactLocation.awsURLBase(region: "eu-west-1"))
            == "https://s3.eu-west-1.amazonaws.com/my-bucket/ferry/artifacts/sha256/ab12")
        #expect(location.url(base: "http://localhost:4566/") == "http://localhost:4566/my-bucket/ferry/artifacts/sha256/ab12")
        let odd = ArtifactLocation(bucket: "b", key: "a b/c+d", sha256: "", size: 0)
        #expect(odd.url(base: "http://localhost:1") == "http://localhost:1/b/a%20b/c%2Bd")

        let sink = InMemoryArtifactSink(objectURLBase: "http://localhost:9999")
        let packaged = try TemplatePackager.package(templateAt: Self.packagingFixture + "/template.yaml", sink: sink)
        let url = try #require(try Meaning.parse(data: packaged.bytes)[["Resources", "Nested", "Properties", "TemplateURL"]]?.string)
        #expect(url.hasPrefix("http://localhost:9999/ferry-test-bucket/ferry/artifacts/sha256/"))
    }

    @Test func aTemplateOverTheInlineLimitNeedsAURL() throws {
        let dir = try TemporaryDirectory()
        let small = try TemplatePackager.package(templateAt: dir.write("small.yaml", "Resources: {}\n"), sink: InMemoryArtifactSink())
        #expect(!small.needsURL)
        let description = String(repeating: "x", count: PackagedTemplate.inlineLimit)
        let large = try TemplatePackager.package(templateAt: dir.write("large.yaml", "Description: \(description)\nResources: {}\n"),
                                                 sink: InMemoryArtifactSink())
        #expect(large.bytes.count > PackagedTemplate.inlineLimit)
        #expect(large.needsURL)
    }

    // MARK: Helpers

    private func check(_ value: Meaning?, _ expectation: Expected, sink: InMemoryArtifactSink, at path: [String],
                       folder: String = TemplatePackagerTests.packagingFixture,
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        let label = path.joined(separator: "/")
        switch expectation {
        case .s3URI(let stored):
            let uri = try #require(value?.string, "\(label) is \(String(describing: value))", sourceLocation: sourceLocation)
            let prefix = "s3://\(sink.bucket)/"
            #expect(uri.hasPrefix(prefix), "\(label): \(uri)", sourceLocation: sourceLocation)
            checkStored(String(uri.dropFirst(prefix.count)), stored, sink: sink, folder: folder, label: label, sourceLocation: sourceLocation)
        case .dict(let bucketKey, let keyKey, let stored):
            guard case .map(let pairs)? = value else {
                Issue.record("\(label) is \(String(describing: value)), not a mapping", sourceLocation: sourceLocation)
                return
            }
            #expect(pairs.map(\.key) == [bucketKey, keyKey], "\(label)", sourceLocation: sourceLocation)
            #expect(value?[bucketKey] == .string(sink.bucket), "\(label)", sourceLocation: sourceLocation)
            let key = try #require(value?[keyKey]?.string, sourceLocation: sourceLocation)
            checkStored(key, stored, sink: sink, folder: folder, label: label, sourceLocation: sourceLocation)
        case .templateURL:
            let url = try #require(value?.string, sourceLocation: sourceLocation)
            #expect(objectKey(ofURL: url, sink: sink) != nil, "\(label): \(url)", sourceLocation: sourceLocation)
        }
    }

    private func checkStored(_ key: String, _ stored: Stored, sink: InMemoryArtifactSink, folder: String, label: String,
                             sourceLocation: SourceLocation) {
        switch stored {
        case .folder(let names):
            #expect(sink.how[key] == .folder(names: names), "\(label)", sourceLocation: sourceLocation)
        case .zipped(let name):
            #expect(sink.how[key] == .zippedFile(name: name), "\(label)", sourceLocation: sourceLocation)
        case .file(let relative):
            #expect(sink.how[key] == .file(path: PackagerPaths.normalize(folder + "/" + relative)), "\(label)", sourceLocation: sourceLocation)
            #expect(sink.objects[key] == FileManager.default.contents(atPath: folder + "/" + relative), "\(label)",
                    sourceLocation: sourceLocation)
        }
    }

    /// The sink's key behind a path-style object URL of its bucket.
    private func objectKey(ofURL url: String, sink: InMemoryArtifactSink) -> String? {
        let prefix = sink.objectURLBase + "/" + sink.bucket + "/"
        guard url.hasPrefix(prefix) else { return nil }
        let key = String(url.dropFirst(prefix.count))
        return sink.objects[key] == nil ? nil : key
    }
}
