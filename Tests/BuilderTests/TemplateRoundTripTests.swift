import Foundation
import Testing
import TestSupport
@testable import Builder

/// Reading and writing templates: short tags become the long form `aws cloudformation
/// package` writes, and everything survives a write and a read.
@Suite struct TemplateRoundTripTests {
    let shortForm = Fixtures.path("intrinsics/short-form.yaml")
    let longForm = Fixtures.path("intrinsics/long-form.yaml")

    @Test func everyShortTagReadsAsTheHandWrittenLongForm() throws {
        let read = try Meaning.parse(String(contentsOfFile: shortForm, encoding: .utf8))
        let expected = try Meaning.parse(String(contentsOfFile: longForm, encoding: .utf8))
        #expect(Meaning.differences(read, expected).isEmpty, "\(Meaning.differences(read, expected))")
    }

    @Test func everyIntrinsicSurvivesWritingAndReadingBack() throws {
        let document = try TemplateDocument.parse(String(contentsOfFile: shortForm, encoding: .utf8))
        let written = try document.serialized()
        let reread = try Meaning.parse(written)
        let expected = try Meaning.parse(String(contentsOfFile: longForm, encoding: .utf8))
        #expect(Meaning.differences(reread, expected).isEmpty, "\(Meaning.differences(reread, expected))")
        // Long form only: no tag is left for a reader that does not know CloudFormation's.
        #expect(!written.contains("!"), "\(written)")
        #expect(written.contains("Fn::GetAtt:"))
    }

    @Test func writingIsDeterministic() throws {
        let text = try String(contentsOfFile: shortForm, encoding: .utf8)
        let first = try TemplateDocument.parse(text).serialized()
        let second = try TemplateDocument.parse(text).serialized()
        #expect(first == second)
        #expect(try TemplateDocument.parse(first).serialized() == first)
    }

    @Test func newStringsThatLookLikeOtherTypesStayStrings() throws {
        var mapping = TemplateMapping()
        for text in ["123", "yes", "null", "~", "2024-01-01", "1.5", "0x1F", "true", "plain"] {
            mapping[text] = .string(text)
        }
        let written = try TemplateDocument(root: .mapping(mapping), format: .yaml).serialized()
        let reread = try TemplateDocument.parse(written).root
        #expect(reread == .mapping(mapping) || Meaning(reread) == Meaning(.mapping(mapping)))
        for entry in mapping.entries {
            #expect(reread.mapping?[entry.key.text]?.string == entry.key.text, "\(entry.key.text) in\n\(written)")
        }
    }

    @Test func jsonKeepsKeyOrderNumbersAndEscapes() throws {
        let text = """
            {
                "Zeta": 1,
                "Alpha": [
                    1.50,
                    -2e3,
                    true,
                    null,
                    "tab\\tquote\\"slash\\\\ caf\\u00e9 \\ud83d\\ude00"
                ],
                "Empty": {},
                "List": [],
                "Intrinsic": {
                    "Fn::GetAtt": [
                        "Table",
                        "Arn"
                    ]
                }
            }

            """
        let document = try TemplateDocument.parse(text)
        #expect(document.format == .json)
        #expect(document.root.mapping?.keys == ["Zeta", "Alpha", "Empty", "List", "Intrinsic"])
        let written = try document.serialized()
        #expect(written == text.replacingOccurrences(of: "\\u00e9", with: "é")
            .replacingOccurrences(of: "\\ud83d\\ude00", with: "😀"))
    }

    @Test func badJSONNamesItsLine() throws {
        let error = #expect(throws: TemplateSyntaxError.self) {
            try TemplateDocument.parse("{\n  \"a\": 1,\n  \"b\": tru\n}\n")
        }
        #expect(error?.line == 3)
    }

    @Test func badYAMLNamesItsLine() throws {
        let error = #expect(throws: TemplateSyntaxError.self) {
            try TemplateDocument.parse("Resources:\n  A:\n    Type: x\n   B: [\n")
        }
        #expect(error?.line != nil)
    }

    @Test func mergeKeysAreFlattenedAsPyYAMLDoes() throws {
        let yaml = """
            Base: &base {A: 1, B: 2}
            Other: &other {B: 3, C: 4}
            Merged:
              <<: [*base, *other]
              C: 5
              D: 6
            """
        let merged = try TemplateDocument.parse(yaml).root.mapping?["Merged"]
        // PyYAML (yaml_parse) gives {"B": 2, "C": 5, "A": 1, "D": 6}: first position, last value.
        let expected = try Meaning.parse("B: 2\nC: 5\nA: 1\nD: 6\n")
        #expect(merged.map(Meaning.init) == expected)
    }
}
