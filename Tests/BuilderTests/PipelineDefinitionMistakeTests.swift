import Testing
@testable import Builder

/// Every kind of mistake in a pipeline definition, each with the exact message a person
/// reads, file and line included.
@Suite struct PipelineDefinitionMistakeTests {
    struct Mistake: CustomTestStringConvertible, Sendable {
        var label: String
        var yaml: String
        var code: PipelineDefinitionError.Code
        var message: String
        var testDescription: String { label }
    }

    /// A valid definition with the `stacks:` section replaced.
    static func with(stacks: String, tests: String = "") -> String {
        "pipeline: dropzone\nsource:\n  path: examples/dropzone\n" + tests + "stacks:\n" + stacks
    }

    static let twoStacks = """
          - name: storage
            template: templates/storage.yaml
          - name: api
            template: templates/api.yaml

        """

    static let file = "pipelines/dropzone.yaml"

    static let mistakes: [Mistake] = [
        // Unknown keys, at every level, with a suggestion when one is close.
        .init(label: "unknown key in a stack", yaml: with(stacks: twoStacks + "    dependOn: [storage]\n"),
              code: .unknownKey, message: "\(file):9: unknown key 'dependOn' in stack 'api' (did you mean 'dependsOn'?)"),
        .init(label: "unknown key without a suggestion", yaml: with(stacks: twoStacks + "    colour: red\n"),
              code: .unknownKey, message: "\(file):9: unknown key 'colour' in stack 'api'"),
        .init(label: "unknown top-level key", yaml: "pipeline: dropzone\nstack:\n  - name: a\n",
              code: .unknownKey, message: "\(file):2: unknown key 'stack' (did you mean 'stacks'?)"),
        .init(label: "unknown key in source", yaml: "pipeline: dropzone\nsource:\n  repo: x\nstacks: []\n",
              code: .unknownKey, message: "\(file):3: unknown key 'repo' in source"),
        .init(label: "unknown key in a test", yaml: with(stacks: twoStacks, tests: "tests:\n  - name: unit\n    cmd: make\n"),
              code: .unknownKey, message: "\(file):6: unknown key 'cmd' in test 'unit'"),
        .init(label: "unknown key differing in case", yaml: with(stacks: twoStacks + "    Region: eu-west-1\n"),
              code: .unknownKey, message: "\(file):9: unknown key 'Region' in stack 'api' (did you mean 'region'?)"),

        // Missing keys.
        .init(label: "missing stacks", yaml: "pipeline: dropzone\n",
              code: .missingKey, message: "\(file):1: missing key 'stacks'"),
        .init(label: "missing pipeline", yaml: "stacks:\n  - name: a\n",
              code: .missingKey, message: "\(file):1: missing key 'pipeline'"),
        .init(label: "missing template", yaml: with(stacks: "  - name: storage\n    region: eu-west-1\n"),
              code: .missingKey, message: "\(file):5: missing key 'template' in stack 'storage'"),
        .init(label: "missing stack name", yaml: with(stacks: twoStacks + "  - template: templates/api.yaml\n"),
              code: .missingKey, message: "\(file):9: missing key 'name' in stack 3"),
        .init(label: "missing test command", yaml: with(stacks: twoStacks, tests: "tests:\n  - name: unit\n    timeout: 5\n"),
              code: .missingKey, message: "\(file):5: missing key 'run' in test 'unit'"),

        // Wrong types.
        .init(label: "not a mapping", yaml: "- pipeline: dropzone\n",
              code: .wrongType, message: "\(file):1: a pipeline definition must be a mapping with 'pipeline' and 'stacks', not a list"),
        .init(label: "empty file", yaml: "# nothing yet\n",
              code: .wrongType, message: "\(file):1: a pipeline definition must be a mapping with 'pipeline' and 'stacks', not an empty file"),
        .init(label: "stacks not a list", yaml: "pipeline: dropzone\nstacks: storage\n",
              code: .wrongType, message: "\(file):2: 'stacks' must be a list of stacks, not a string"),
        .init(label: "a stack not a mapping", yaml: "pipeline: dropzone\nstacks:\n  - storage\n",
              code: .wrongType, message: "\(file):3: stack 1 must be a mapping, not a string"),
        .init(label: "source not a mapping", yaml: "pipeline: dropzone\nsource: examples\nstacks: []\n",
              code: .wrongType, message: "\(file):2: 'source' must be a mapping, not a string"),
        .init(label: "name not a string", yaml: with(stacks: "  - name: [storage]\n    template: templates/storage.yaml\n"),
              code: .wrongType, message: "\(file):5: 'name' in stack 1 must be a string, not a list"),
        .init(label: "pipeline null", yaml: "pipeline:\nstacks: []\n",
              code: .wrongType, message: "\(file):1: 'pipeline' must be a string, not null"),
        .init(label: "dependsOn a string", yaml: with(stacks: twoStacks + "    dependsOn: storage\n"),
              code: .wrongType, message: "\(file):9: 'dependsOn' in stack 'api' must be a list of stack names, like [storage], not a string"),
        .init(label: "parameters a list", yaml: with(stacks: twoStacks + "    parameters: [Stage]\n"),
              code: .wrongType, message: "\(file):9: 'parameters' in stack 'api' must be a mapping of names to values, not a list"),
        .init(label: "a parameter a mapping", yaml: with(stacks: twoStacks + "    parameters:\n      Stage: {name: prod}\n"),
              code: .wrongType, message: "\(file):10: parameter 'Stage' in stack 'api' must be a string, number, boolean or a list "
                  + "of them, not a mapping (write \"\" for an empty value)"),
        .init(label: "a parameter null", yaml: with(stacks: twoStacks + "    parameters:\n      Stage:\n"),
              code: .wrongType, message: "\(file):10: parameter 'Stage' in stack 'api' must be a string, number, boolean or a list "
                  + "of them, not null (write \"\" for an empty value)"),
        .init(label: "a list parameter holding a list", yaml: with(stacks: twoStacks + "    parameters:\n      Zones: [[a]]\n"),
              code: .wrongType, message: "\(file):10: parameter 'Zones' in stack 'api' must list strings, numbers or booleans, not a list"),
        .init(label: "a tag value a list", yaml: with(stacks: twoStacks + "    tags:\n      team: [a, b]\n"),
              code: .wrongType, message: "\(file):10: 'team' in stack 'api' must be a string, number or boolean, not a list"),
        .init(label: "an env value a mapping", yaml: with(stacks: twoStacks, tests: "tests:\n  - name: unit\n    run: make\n    env:\n      X: {a: 1}\n"),
              code: .wrongType, message: "\(file):8: 'X' in test 'unit' must be a string, number or boolean, not a mapping"),
        .init(label: "capabilities a string", yaml: with(stacks: twoStacks + "    capabilities: CAPABILITY_IAM\n"),
              code: .wrongType, message: "\(file):9: 'capabilities' in stack 'api' must be a list of capabilities, like [CAPABILITY_IAM], not a string"),

        // Templates that are not there, and paths that leave their folder.
        .init(label: "template file missing", yaml: with(stacks: twoStacks + "  - name: web\n    template: templates/web.yaml\n"),
              code: .missingTemplate, message: "\(file):10: template 'templates/web.yaml' of stack 'web' does not exist in the source "
                  + "(looked for examples/dropzone/templates/web.yaml); paths are relative to source.path"),
        .init(label: "template outside the source", yaml: with(stacks: "  - name: web\n    template: ../other/web.yaml\n"),
              code: .invalidPath, message: "\(file):6: 'template' in stack 'web' must be a relative path inside the source folder, "
                  + "without '..': '../other/web.yaml'"),
        .init(label: "template absolute", yaml: with(stacks: "  - name: web\n    template: /etc/web.yaml\n"),
              code: .invalidPath, message: "\(file):6: 'template' in stack 'web' must be a relative path inside the source folder, "
                  + "without '..': '/etc/web.yaml'"),
        .init(label: "source path leaving the repository", yaml: "pipeline: dropzone\nsource:\n  path: a/../../b\nstacks: []\n",
              code: .invalidPath, message: "\(file):3: 'path' in source must be a relative path inside the source folder, without '..': 'a/../../b'"),

        // Dependencies.
        .init(label: "dependsOn an unknown stack", yaml: with(stacks: twoStacks + "    dependsOn: [storag]\n"),
              code: .unknownDependency, message: "\(file):9: stack 'api' depends on 'storag', which is not a stack of this pipeline "
                  + "(did you mean 'storage'?)"),
        .init(label: "two stacks in a cycle", yaml: with(stacks: """
                  - name: storage
                    template: templates/storage.yaml
                    dependsOn: [api]
                  - name: api
                    template: templates/api.yaml
                    dependsOn: [storage]

                """),
              code: .dependencyCycle, message: "\(file):7: stacks depend on each other in a cycle: storage -> api -> storage; "
                  + "remove one of these dependsOn entries"),
        .init(label: "three stacks in a cycle", yaml: with(stacks: """
                  - name: monitoring
                    template: templates/monitoring.yaml
                  - name: storage
                    template: templates/storage.yaml
                    dependsOn:
                      - monitoring
                      - api
                  - name: api
                    template: templates/api.yaml
                    dependsOn: [web]
                  - name: web
                    template: templates/api.yaml
                    dependsOn: [storage]

                """),
              code: .dependencyCycle, message: "\(file):11: stacks depend on each other in a cycle: storage -> api -> web -> storage; "
                  + "remove one of these dependsOn entries"),
        .init(label: "a stack depending on itself", yaml: with(stacks: twoStacks + "    dependsOn: [api]\n"),
              code: .dependencyCycle, message: "\(file):9: stacks depend on each other in a cycle: api -> api; remove one of these dependsOn entries"),
        .init(label: "a dependency named twice", yaml: with(stacks: twoStacks + "    dependsOn: [storage, storage]\n"),
              code: .duplicateName, message: "\(file):9: 'dependsOn' in stack 'api' names 'storage' twice"),

        // Names.
        .init(label: "duplicate stack name", yaml: with(stacks: twoStacks + "  - name: storage\n    template: templates/api.yaml\n"),
              code: .duplicateName, message: "\(file):9: duplicate stack name 'storage' (also on line 5)"),
        .init(label: "duplicate test name", yaml: with(stacks: twoStacks, tests: "tests:\n  - {name: unit, run: a}\n  - {name: unit, run: b}\n"),
              code: .duplicateName, message: "\(file):6: duplicate test name 'unit' (also on line 5)"),
        .init(label: "bad pipeline name", yaml: "pipeline: drop zone\nstacks: []\n",
              code: .invalidName, message: "\(file):1: bad pipeline name 'drop zone': use 1 to 64 letters, digits, '.', '_' or '-'"),
        .init(label: "bad stack name", yaml: with(stacks: "  - name: api_v2\n    template: templates/api.yaml\n"),
              code: .invalidName, message: "\(file):5: bad stack name 'api_v2': start with a letter, then up to 127 letters, digits or '-' "
                  + "(CloudFormation's rule)"),
        .init(label: "stack name starting with a digit", yaml: with(stacks: "  - name: 2api\n    template: templates/api.yaml\n"),
              code: .invalidName, message: "\(file):5: bad stack name '2api': start with a letter, then up to 127 letters, digits or '-' "
                  + "(CloudFormation's rule)"),
        .init(label: "stack name too long", yaml: with(stacks: "  - name: a\(String(repeating: "b", count: 128))\n    template: templates/api.yaml\n"),
              code: .invalidName, message: "\(file):5: bad stack name 'a\(String(repeating: "b", count: 128))': start with a letter, then up "
                  + "to 127 letters, digits or '-' (CloudFormation's rule)"),
        .init(label: "bad parameter name", yaml: with(stacks: twoStacks + "    parameters:\n      stage-name: prod\n"),
              code: .invalidName, message: "\(file):10: bad parameter name 'stage-name' in stack 'api': CloudFormation parameter names are letters and digits"),
        .init(label: "reserved tag key", yaml: with(stacks: twoStacks + "    tags:\n      aws:owner: me\n"),
              code: .invalidName, message: "\(file):10: bad tag key 'aws:owner' in stack 'api': tag keys have 1 to 128 characters and do not start with 'aws:'"),
        .init(label: "bad environment variable name", yaml: with(stacks: twoStacks, tests: "tests:\n  - name: unit\n    run: make\n    env: {1X: a}\n"),
              code: .invalidName, message: "\(file):7: bad environment variable name '1X' in test 'unit': use letters, digits and '_', "
                  + "not starting with a digit"),
        .init(label: "bad channel name", yaml: with(stacks: twoStacks) + "channels: [canary, prod/eu]\n",
              code: .invalidName, message: "\(file):9: bad channel name 'prod/eu': use 1 to 64 letters, digits, '.', '_' or '-'"),
        .init(label: "channel listed twice", yaml: with(stacks: twoStacks) + "channels: [stable, stable]\n",
              code: .duplicateName, message: "\(file):9: channel 'stable' is listed twice"),

        // Capabilities, timeouts, other values.
        .init(label: "bad capability", yaml: with(stacks: twoStacks + "    capabilities: [CAPABILITY_IAMS]\n"),
              code: .invalidCapability, message: "\(file):9: unknown capability 'CAPABILITY_IAMS' in stack 'api' (did you mean "
                  + "'CAPABILITY_IAM'?): use CAPABILITY_IAM, CAPABILITY_NAMED_IAM or CAPABILITY_AUTO_EXPAND"),
        .init(label: "made-up capability", yaml: with(stacks: twoStacks + "    capabilities: [ADMIN]\n"),
              code: .invalidCapability, message: "\(file):9: unknown capability 'ADMIN' in stack 'api': use CAPABILITY_IAM, "
                  + "CAPABILITY_NAMED_IAM or CAPABILITY_AUTO_EXPAND"),
        .init(label: "timeout with a bad unit", yaml: with(stacks: twoStacks, tests: "tests:\n  - name: unit\n    run: make\n    timeout: 5x\n"),
              code: .invalidTimeout, message: "\(file):7: bad timeout '5x' in test 'unit': write whole seconds (90) or a number with a unit "
                  + "(\"90s\", \"2m\", \"1h\"), more than zero"),
        .init(label: "timeout zero", yaml: with(stacks: twoStacks, tests: "tests:\n  - name: unit\n    run: make\n    timeout: 0\n"),
              code: .invalidTimeout, message: "\(file):7: bad timeout '0' in test 'unit': write whole seconds (90) or a number with a unit "
                  + "(\"90s\", \"2m\", \"1h\"), more than zero"),
        .init(label: "timeout negative", yaml: with(stacks: twoStacks, tests: "tests:\n  - name: unit\n    run: make\n    timeout: -5\n"),
              code: .invalidTimeout, message: "\(file):7: bad timeout '-5' in test 'unit': write whole seconds (90) or a number with a unit "
                  + "(\"90s\", \"2m\", \"1h\"), more than zero"),
        .init(label: "timeout fractional", yaml: with(stacks: twoStacks, tests: "tests:\n  - name: unit\n    run: make\n    timeout: 1.5\n"),
              code: .invalidTimeout, message: "\(file):7: bad timeout '1.5' in test 'unit': write whole seconds (90) or a number with a unit "
                  + "(\"90s\", \"2m\", \"1h\"), more than zero"),
        .init(label: "timeout a list", yaml: with(stacks: twoStacks, tests: "tests:\n  - name: unit\n    run: make\n    timeout: [5]\n"),
              code: .invalidTimeout, message: "\(file):7: bad timeout a list in test 'unit': write whole seconds (90) or a number with a unit "
                  + "(\"90s\", \"2m\", \"1h\"), more than zero"),
        .init(label: "empty test command", yaml: with(stacks: twoStacks, tests: "tests:\n  - name: unit\n    run: '  '\n"),
              code: .invalidValue, message: "\(file):6: 'run' in test 'unit' is empty"),
        .init(label: "no stacks", yaml: "pipeline: dropzone\nstacks: []\n",
              code: .invalidValue, message: "\(file):2: 'stacks' must list at least one stack"),
        .init(label: "no channels", yaml: with(stacks: twoStacks) + "channels: []\n",
              code: .invalidValue, message: "\(file):9: 'channels' must list at least one channel"),
        .init(label: "bad region", yaml: with(stacks: twoStacks + "    region: Ireland\n"),
              code: .invalidValue, message: "\(file):9: bad region 'Ireland' in stack 'api': write a region name like eu-west-1"),
        .init(label: "tag value too long", yaml: with(stacks: twoStacks + "    tags:\n      note: \(String(repeating: "n", count: 257))\n"),
              code: .invalidValue, message: "\(file):10: tag 'note' in stack 'api' has a value longer than 256 characters"),
        .init(label: "empty repository", yaml: "pipeline: dropzone\nsource:\n  repository: ''\nstacks: []\n",
              code: .invalidValue, message: "\(file):3: 'repository' in source is empty; omit it to use this repository"),

        // YAML itself.
        .init(label: "a key twice", yaml: with(stacks: "  - name: storage\n    name: api\n    template: templates/api.yaml\n"),
              code: .invalidYAML, message: "\(file):5: not valid YAML: duplicate key 'name'"),
    ]

    @Test(arguments: mistakes)
    func eachMistakeHasItsMessage(_ mistake: Mistake) {
        let error = #expect(throws: PipelineDefinitionError.self) {
            try PipelineDefinitionTests.parse(mistake.yaml)
        }
        #expect(error?.code == mistake.code)
        #expect(error?.description == mistake.message)
        #expect(error?.file == Self.file)
    }

    @Test func brokenYAMLNamesTheLine() {
        let error = #expect(throws: PipelineDefinitionError.self) {
            try PipelineDefinitionTests.parse("pipeline: dropzone\nstacks:\n  - name: [storage\n    template: x\n")
        }
        #expect(error?.code == .invalidYAML)
        #expect(error?.line != nil)
        #expect(error?.description.hasPrefix("\(Self.file):\(error?.line ?? 0): not valid YAML: ") == true)
    }
}
