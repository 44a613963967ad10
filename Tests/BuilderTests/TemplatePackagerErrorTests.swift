import Foundation
import Testing
import TestSupport
@testable import Builder

/// Bad templates and paths: each gives a clear error naming template, resource,
/// property and path, and nothing is stored (paths are all checked before storing).
@Suite struct TemplatePackagerErrorTests {
    /// A temporary folder with `src/app.py` and the given `template.yaml` (and other files).
    private func folder(_ template: String, files: [String: String] = [:]) throws -> (TemporaryDirectory, String) {
        let dir = try TemporaryDirectory("ferry-package-errors")
        try dir.write("src/app.py", "print(1)\n")
        for (name, contents) in files { try dir.write(name, contents) }
        try dir.write("template.yaml", template)
        return (dir, PackagerPaths.normalize(dir.path))
    }

    private func package(_ template: String, files: [String: String] = [:],
                         sink: some ArtifactSink = InMemoryArtifactSink()) throws -> (PackagerError?, String) {
        let (dir, root) = try folder(template, files: files)
        defer { withExtendedLifetime(dir) {} }
        let error = #expect(throws: PackagerError.self) {
            try TemplatePackager.package(templateAt: root + "/template.yaml", sink: sink)
        }
        return (error, root)
    }

    @Test func aMissingLocalPathIsNamedAndNothingIsStored() throws {
        let sink = InMemoryArtifactSink()
        let (error, root) = try package("""
            Resources:
              Good:
                Type: AWS::Serverless::Function
                Properties:
                  CodeUri: src
              Fn:
                Type: AWS::Serverless::Function
                Properties:
                  CodeUri: src/missing
            """, sink: sink)
        #expect(error?.code == .missingPath)
        #expect(error?.resource == "Fn")
        #expect(error?.property == "CodeUri")
        #expect(error?.description == "\(root)/template.yaml: resource 'Fn' property 'CodeUri': local path 'src/missing' "
            + "does not exist (looked for \(root)/src/missing); write a path relative to the template's folder, or an s3:// URL")
        #expect(sink.objects.isEmpty, "the good resource before it was not stored either")
    }

    @Test func aMissingPathInANestedTemplateNamesThatTemplate() throws {
        let sink = InMemoryArtifactSink()
        let (error, root) = try package("""
            Resources:
              Child:
                Type: AWS::CloudFormation::Stack
                Properties:
                  TemplateURL: stacks/child.yaml
            """, files: ["stacks/child.yaml": """
            Resources:
              Worker:
                Type: AWS::Lambda::Function
                Properties:
                  Code: code
            """], sink: sink)
        #expect(error?.description == "\(root)/stacks/child.yaml: resource 'Worker' property 'Code': local path 'code' "
            + "does not exist (looked for \(root)/stacks/code); write a path relative to the template's folder, or an s3:// URL")
        #expect(sink.objects.isEmpty)
    }

    @Test func aMissingNestedTemplate() throws {
        let (error, root) = try package("""
            Resources:
              Child:
                Type: AWS::CloudFormation::Stack
                Properties:
                  TemplateURL: stacks/none.yaml
            """)
        #expect(error?.code == .missingPath)
        #expect(error?.description == "\(root)/template.yaml: resource 'Child' property 'TemplateURL': nested template "
            + "'stacks/none.yaml' does not exist (looked for \(root)/stacks/none.yaml); write a path relative to the "
            + "template's folder, or an S3 URL")
    }

    @Test func aNestedTemplateThatIsAFolder() throws {
        let (error, root) = try package("""
            Resources:
              Child:
                Type: AWS::Serverless::Application
                Properties:
                  Location: src
            """)
        #expect(error?.code == .nestedTemplateNotAFile)
        #expect(error?.description == "\(root)/template.yaml: resource 'Child' property 'Location': 'src' is a folder; "
            + "a nested stack needs a template file")
    }

    @Test func templatesThatContainEachOther() throws {
        let (error, root) = try package("""
            Resources:
              B:
                Type: AWS::CloudFormation::Stack
                Properties:
                  TemplateURL: b.yaml
            """, files: ["b.yaml": """
            Resources:
              A:
                Type: AWS::CloudFormation::Stack
                Properties:
                  TemplateURL: ./template.yaml
            """])
        #expect(error?.code == .nestedTemplateCycle)
        #expect(error?.description == "\(root)/template.yaml: nested templates contain each other: \(root)/template.yaml "
            + "-> \(root)/b.yaml -> \(root)/template.yaml; a template cannot contain itself")
    }

    @Test func aPropertyThatIsNotAPath() throws {
        let (error, root) = try package("""
            Resources:
              Fn:
                Type: AWS::Serverless::Function
                Properties:
                  CodeUri: [src, other]
            """)
        #expect(error?.code == .invalidPath)
        #expect(error?.description == "\(root)/template.yaml: resource 'Fn' property 'CodeUri': must be a local path or an "
            + "S3 location, not a list")
    }

    @Test func aNestedPropertyWhoseParentIsNotAMapping() throws {
        let (error, root) = try package("""
            Resources:
              Job:
                Type: AWS::Glue::Job
                Properties:
                  Command: glueetl
            """)
        #expect(error?.code == .invalidPath)
        #expect(error?.description == "\(root)/template.yaml: resource 'Job' property 'Command.ScriptLocation': 'Command' "
            + "must be a mapping to hold 'ScriptLocation'")
    }

    @Test func aMissingIncludeSnippet() throws {
        let (error, root) = try package("""
            Resources:
              Api:
                Type: AWS::Serverless::Api
                Properties:
                  DefinitionBody:
                    Fn::Transform:
                      Name: AWS::Include
                      Parameters:
                        Location: snippets/none.yaml
            """)
        #expect(error?.code == .missingPath)
        #expect(error?.description == "\(root)/template.yaml: resource 'AWS::Include at Resources.Api.Properties.DefinitionBody' "
            + "property 'Location': local path 'snippets/none.yaml' does not exist (looked for \(root)/snippets/none.yaml); "
            + "write a path relative to the template's folder, or an s3:// URL")
    }

    @Test func anIncludeOfAFolder() throws {
        let (error, _) = try package("""
            Resources:
              Topic:
                Type: AWS::SNS::Topic
                Properties:
                  Fn::Transform: {Name: AWS::Include, Parameters: {Location: src}}
            """)
        #expect(error?.code == .invalidPath)
        #expect(error?.message == "'src' is a folder; AWS::Include needs a template snippet file")
    }

    @Test func aBrokenForEach() throws {
        let (error, root) = try package("""
            Resources:
              Fn::ForEach::Things:
                - Name
                - [A, B]
            """)
        #expect(error?.code == .invalidForEach)
        #expect(error?.description == "\(root)/template.yaml: resource 'Fn::ForEach::Things': Fn::ForEach needs a list of "
            + "three: a loop name, a collection and a mapping of resources")
    }

    @Test func invalidYAMLNamesTheLine() throws {
        let (error, root) = try package("Resources:\n  A:\n    Type: [x\n  B: 1\n")
        #expect(error?.code == .invalidTemplate)
        #expect(error?.template == "\(root)/template.yaml")
        #expect(error?.message.hasPrefix("line 4: ") == true, "\(String(describing: error))")
        #expect(error?.message.hasSuffix("; fix the template's syntax") == true)
    }

    @Test func invalidJSONNamesTheLine() throws {
        let (error, _) = try package("{\n  \"Resources\": {\n    \"A\": tru\n  }\n}\n")
        #expect(error?.code == .invalidTemplate)
        #expect(error?.message == "line 3: unexpected character; fix the template's syntax")
    }

    @Test func aTemplateThatIsNotAMapping() throws {
        let (error, root) = try package("- Resources\n- Outputs\n")
        #expect(error?.description == "\(root)/template.yaml: a template must be a mapping (Resources, Parameters, …), not a list")
    }

    @Test func anUnreadableTemplate() throws {
        let dir = try TemporaryDirectory()
        let path = PackagerPaths.normalize(dir.url("none.yaml"))
        let error = #expect(throws: PackagerError.self) {
            try TemplatePackager.package(templateAt: path, sink: InMemoryArtifactSink())
        }
        #expect(error?.code == .unreadableTemplate)
        #expect(error?.message == "cannot read the template; check that it exists and is UTF-8 text")
        #expect(error?.cause != nil)
    }

    @Test func aFailingSinkIsReportedWithItsCause() throws {
        let (error, root) = try package("""
            Resources:
              Fn:
                Type: AWS::Serverless::Function
                Properties:
                  CodeUri: src
            """, sink: FailingArtifactSink())
        #expect(error?.code == .storeFailed)
        #expect(error?.description == "\(root)/template.yaml: resource 'Fn' property 'CodeUri': could not store 'src'; "
            + "check the artifact store and try again (the store is read-only)")
    }
}
