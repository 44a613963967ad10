import Foundation
import Testing
import TestSupport
@testable import Builder

/// Loading `pipelines/<name>.yaml` from a repository folder, templates checked on disk.
@Suite struct PipelineDefinitionLoaderTests {
    private func repository(_ definition: String, name: String = "dropzone") throws -> TemporaryDirectory {
        let repo = try TemporaryDirectory("ferry-pipelines")
        try repo.write("pipelines/\(name).yaml", definition)
        try repo.write("examples/dropzone/templates/storage.yaml", "Resources: {}\n")
        try repo.write("other/templates/app.yaml", "Resources: {}\n")
        return repo
    }

    @Test func loadsAndChecksTemplatesInTheSameRepository() throws {
        let repo = try repository("""
            pipeline: dropzone
            source: {path: examples/dropzone}
            stacks:
              - {name: storage, template: templates/storage.yaml}
            """)
        let definition = try PipelineDefinition.load(file: "pipelines/dropzone.yaml", repositoryRoot: repo.path)
        #expect(definition.name == "dropzone")
        #expect(definition.stacks.map(\.template) == ["templates/storage.yaml"])
    }

    @Test func aMissingTemplateOnDisk() throws {
        let repo = try repository("""
            pipeline: dropzone
            source: {path: examples/dropzone}
            stacks:
              - {name: storage, template: templates/storage.yaml}
              - {name: api, template: templates/api.yaml}
            """)
        let error = #expect(throws: PipelineDefinitionError.self) {
            try PipelineDefinition.load(file: "pipelines/dropzone.yaml", repositoryRoot: repo.path)
        }
        #expect(error?.description == "pipelines/dropzone.yaml:5: template 'templates/api.yaml' of stack 'api' does not exist "
            + "in the source (looked for examples/dropzone/templates/api.yaml); paths are relative to source.path")
    }

    @Test func aFolderIsNotATemplate() throws {
        let repo = try repository("""
            pipeline: dropzone
            stacks:
              - {name: storage, template: examples/dropzone/templates}
            """)
        let error = #expect(throws: PipelineDefinitionError.self) {
            try PipelineDefinition.load(file: "pipelines/dropzone.yaml", repositoryRoot: repo.path)
        }
        #expect(error?.code == .missingTemplate)
    }

    @Test func aLocalSourceRepositoryIsWhereTemplatesAreLooked() throws {
        let repo = try repository("""
            pipeline: dropzone
            source: {repository: other, path: templates}
            stacks:
              - {name: app, template: app.yaml}
            """)
        let definition = try PipelineDefinition.load(file: "pipelines/dropzone.yaml", repositoryRoot: repo.path)
        #expect(definition.source == .init(repository: "other", path: "templates"))
    }

    @Test func aRemoteSourceIsCheckedOnlyWhenTheCallerCanLook() throws {
        let repo = try repository("""
            pipeline: dropzone
            source: {repository: "https://git.example.com/data-lake.git", path: lake}
            stacks:
              - {name: app, template: app.yaml}
            """)
        let unchecked = try PipelineDefinition.load(file: "pipelines/dropzone.yaml", repositoryRoot: repo.path)
        #expect(unchecked.source.repository == "https://git.example.com/data-lake.git")
        var asked: [String] = []
        let error = #expect(throws: PipelineDefinitionError.self) {
            try PipelineDefinition.load(file: "pipelines/dropzone.yaml", repositoryRoot: repo.path) { path in
                asked.append(path)
                return false
            }
        }
        #expect(error?.code == .missingTemplate)
        #expect(asked == ["lake/app.yaml"])
    }

    @Test func theNameMustMatchTheFile() throws {
        let repo = try repository("""
            pipeline: dropzone
            stacks:
              - {name: storage, template: examples/dropzone/templates/storage.yaml}
            """, name: "webapp")
        let error = #expect(throws: PipelineDefinitionError.self) {
            try PipelineDefinition.load(file: "pipelines/webapp.yaml", repositoryRoot: repo.path)
        }
        #expect(error?.description == "pipelines/webapp.yaml:1: pipeline name 'dropzone' differs from the file's name 'webapp'; "
            + "rename one so they match")
    }

    @Test func anUnreadableFile() throws {
        let repo = try TemporaryDirectory()
        let error = #expect(throws: PipelineDefinitionError.self) {
            try PipelineDefinition.load(file: "pipelines/none.yaml", repositoryRoot: repo.path)
        }
        #expect(error?.code == .unreadable)
        #expect(error?.line == nil)
        #expect(error?.description.hasPrefix("pipelines/none.yaml: cannot read the file (") == true)
    }
}
