import Foundation
import Testing
@testable import Builder

/// What the packager does beyond `aws cloudformation package`, as `sam package` does
/// (Fixtures/sam-extras): more resource properties, InlineCode and images left alone,
/// and Globals.Function.CodeUri for functions without one.
@Suite struct TemplatePackagerSAMTests {
    static let folder = Fixtures.path("sam-extras")

    @Test func packagesWhatTheSAMCLIPackages() throws {
        let sink = InMemoryArtifactSink()
        let template = Self.folder + "/template.yaml"
        let packaged = try TemplatePackager.package(templateAt: template, sink: sink)
        let original = try Meaning.parse(String(contentsOfFile: template, encoding: .utf8))
        let ours = try Meaning.parse(data: packaged.bytes)

        let uri = "s3://\(sink.bucket)/"
        let file = { (relative: String) in InMemoryArtifactSink.Stored.file(path: Self.folder + "/" + relative) }
        let expected: [(String, InMemoryArtifactSink.Stored)] = [
            ("Resources/HttpApi/Properties/DefinitionUri", file("api/openapi.yaml")),
            ("Resources/Resolver/Properties/CodeS3Location", file("resolvers/item.js")),
            ("Resources/AppSyncFunction/Properties/CodeS3Location", file("resolvers/lookup.js")),
            ("Resources/Module/Properties/ModulePackage", .folder(names: ["fragments.json"])),
            ("Resources/ResourceType/Properties/SchemaHandlerPackage", file("handler.zip")),
            ("Resources/GraphQL/Properties/SchemaUri", file("resolvers/schema.graphql")),
            ("Resources/GraphQL/Properties/Resolvers/Query/getItem/CodeUri", file("resolvers/item.js")),
            ("Resources/GraphQL/Properties/Functions/lookup/CodeUri", file("resolvers/lookup.js")),
            ("Resources/GlobalFunction/Properties/CodeUri", .folder(names: ["app.py"])),
        ]
        let changed = Set(Meaning.differences(original, ours).map { $0.joined(separator: "/") })
        #expect(changed == Set(expected.map(\.0) + ["Resources/ApiV2/Properties/BodyS3Location"]))
        for (path, stored) in expected {
            let value = try #require(ours[path.split(separator: "/").map(String.init)]?.string, "\(path)")
            #expect(value.hasPrefix(uri), "\(path)")
            #expect(sink.how[String(value.dropFirst(uri.count))] == stored, "\(path)")
        }
        let bodyKey = try #require(ours[["Resources", "ApiV2", "Properties", "BodyS3Location", "Key"]]?.string)
        #expect(ours[["Resources", "ApiV2", "Properties", "BodyS3Location", "Bucket"]] == .string(sink.bucket))
        #expect(sink.how[bodyKey] == file("api/openapi.yaml"))
    }
}
