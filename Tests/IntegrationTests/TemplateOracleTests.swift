import Foundation
import Testing
import TestSupport
@testable import Builder

/// The template writer checked against Python oracles: the AWS CLI's own YAML reader and
/// cfn-lint (so these need scripts/setup's Python tools: integration, not unit, tests).
@Suite struct TemplateOracleTests {
    let shortForm = Fixtures.path("intrinsics/short-form.yaml")

    /// The AWS CLI's own reader (`yamlhelper.yaml_parse`, PyYAML) is the oracle.
    @Test func theAWSCLIReaderReadsTheShortFormAsWeDo() throws {
        let script = """
            import json, sys
            from awscli.customizations.cloudformation.yamlhelper import yaml_parse
            print(json.dumps(yaml_parse(open(sys.argv[1]).read()), default=str))
            """
        let cli = try FerryProcess.runPython(["-c", script, shortForm]).check()
        let theirs = try Meaning.parse(cli.stdout)
        let ours = try Meaning.parse(String(contentsOfFile: shortForm, encoding: .utf8))
        #expect(Meaning.differences(ours, theirs).isEmpty, "\(Meaning.differences(ours, theirs))")
    }

    /// cfn-lint finds the same things (rule and message; lines move) in the short form
    /// and in what we write, so the long form means the same to CloudFormation's linter.
    @Test func cfnLintSeesTheSameTemplate() throws {
        let scratch = try TemporaryDirectory("ferry-lint")
        let written = try TemplateDocument.parse(String(contentsOfFile: shortForm, encoding: .utf8)).serialized()
        let copy = try scratch.write("written.yaml", written)
        func findings(_ path: String) throws -> [String] {
            let lint = "import sys; from cfnlint.runner import main; sys.argv[0] = 'cfn-lint'; sys.exit(main())"
            let run = try FerryProcess.runPython(["-c", lint, "--format", "parseable", path])
            #expect(run.status != 0 || run.stdout.isEmpty, "\(run.stderr)")
            // file:line:column:endLine:endColumn:rule:message
            return run.stdout.split(separator: "\n").map { $0.split(separator: ":", maxSplits: 5).last.map(String.init) ?? "" }.sorted()
        }
        let original = try findings(shortForm)
        #expect(!original.isEmpty, "the fixture has findings to compare")
        #expect(try findings(copy) == original)
    }
}

