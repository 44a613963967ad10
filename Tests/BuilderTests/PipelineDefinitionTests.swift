import Foundation
import Testing
@testable import Builder

/// Parsing pipeline definitions: a full example, the defaults, and the order stacks
/// are deployed in. The mistakes are in PipelineDefinitionMistakeTests.
@Suite struct PipelineDefinitionTests {
    static let existing: Set<String> = [
        "examples/dropzone/templates/storage.yaml",
        "examples/dropzone/templates/api.yaml",
        "examples/dropzone/templates/monitoring.yaml",
        "templates/only.yaml",
    ]

    static func parse(_ yaml: String) throws -> PipelineDefinition {
        try PipelineDefinition.parse(yaml: yaml, file: "pipelines/dropzone.yaml") { existing.contains($0) }
    }

    @Test func aFullDefinition() throws {
        var asked: [String] = []
        let definition = try PipelineDefinition.parse(yaml: """
            pipeline: dropzone
            source:
              repository: ../data-lake
              path: ./examples/dropzone/
            tests:
              - name: unit
                run: python3 -m unittest discover -s tests
                timeout: 120
                env: {STAGE: test, RETRIES: 3, VERBOSE: true}
              - name: lint
                run: cfn-lint templates/*.yaml
                timeout: "90s"
              - name: slow
                run: ./slow.sh
                timeout: 2m
              - name: default
                run: "true"
            stacks:
              - name: dropzone-storage
                template: templates/storage.yaml
                parameters: {Stage: prod, Retention: 30, Versioned: true, Zones: [eu-west-1a, eu-west-1b], Empty: ""}
                capabilities: [CAPABILITY_IAM, CAPABILITY_AUTO_EXPAND]
                tags: {team: data, cost-centre: 42}
                region: eu-west-1
              - name: dropzone-api
                template: templates/api.yaml
                dependsOn: [dropzone-storage]
            channels: [canary, beta, stable]
            """, file: "pipelines/dropzone.yaml") { path in
            asked.append(path)
            return Self.existing.contains(path)
        }
        #expect(definition == PipelineDefinition(
            name: "dropzone",
            source: .init(repository: "../data-lake", path: "examples/dropzone"),
            tests: [
                .init(name: "unit", run: "python3 -m unittest discover -s tests", timeout: 120,
                      environment: ["STAGE": "test", "RETRIES": "3", "VERBOSE": "true"]),
                .init(name: "lint", run: "cfn-lint templates/*.yaml", timeout: 90),
                .init(name: "slow", run: "./slow.sh", timeout: 120),
                .init(name: "default", run: "true", timeout: 600),
            ],
            stacks: [
                .init(name: "dropzone-storage", template: "templates/storage.yaml",
                      parameters: ["Stage": "prod", "Retention": "30", "Versioned": "true",
                                   "Zones": "eu-west-1a,eu-west-1b", "Empty": ""],
                      capabilities: [.iam, .autoExpand], tags: ["team": "data", "cost-centre": "42"],
                      region: "eu-west-1"),
                .init(name: "dropzone-api", template: "templates/api.yaml", dependsOn: ["dropzone-storage"]),
            ],
            channels: ["canary", "beta", "stable"]))
        #expect(asked == ["examples/dropzone/templates/storage.yaml", "examples/dropzone/templates/api.yaml"])
    }

    @Test func theDefaults() throws {
        let definition = try Self.parse("""
            pipeline: dropzone
            stacks:
              - name: only
                template: templates/only.yaml
            """)
        #expect(definition.source == .init(repository: nil, path: ""))
        #expect(definition.tests.isEmpty)
        #expect(definition.channels == ["canary", "stable"])
        #expect(definition.stacks == [.init(name: "only", template: "templates/only.yaml")])
        let dot = try Self.parse("pipeline: dropzone\nsource: {repository: ., path: .}\nstacks: [{name: only, template: ./templates/only.yaml}]\n")
        #expect(dot.source == .init(repository: nil, path: ""))
        #expect(dot.stacks.first?.template == "templates/only.yaml")
    }

    @Test func deploymentOrderKeepsTheWrittenOrderWhereDependenciesAllow() {
        func order(_ stacks: [(String, [String])]) -> [String] {
            PipelineDefinition(name: "p", stacks: stacks.map { .init(name: $0.0, template: "t.yaml", dependsOn: $0.1) })
                .deploymentOrder().map(\.name)
        }
        #expect(order([("a", []), ("b", []), ("c", [])]) == ["a", "b", "c"])
        #expect(order([("api", ["db"]), ("db", [])]) == ["db", "api"])
        #expect(order([("a", ["c"]), ("b", []), ("c", [])]) == ["b", "c", "a"])
        #expect(order([("web", ["api", "cdn"]), ("api", ["db"]), ("cdn", []), ("db", [])]) == ["cdn", "db", "api", "web"])
        #expect(order([("x", []), ("y", ["x"]), ("z", ["x"]), ("w", ["z", "y"])]) == ["x", "y", "z", "w"])
        // Only a hand-built definition can have a cycle; its stacks come last, as written.
        #expect(order([("a", ["b"]), ("b", ["a"]), ("c", [])]) == ["c", "a", "b"])
    }

    @Test func aParsedDefinitionsOrderPutsDependenciesFirst() throws {
        let definition = try Self.parse("""
            pipeline: dropzone
            source: {path: examples/dropzone}
            stacks:
              - {name: monitoring, template: templates/monitoring.yaml, dependsOn: [api, storage]}
              - {name: api, template: templates/api.yaml, dependsOn: [storage]}
              - {name: storage, template: templates/storage.yaml}
            """)
        #expect(definition.deploymentOrder().map(\.name) == ["storage", "api", "monitoring"])
    }
}
