import Foundation
import Testing
@testable import Manifest

/// Every refusal of the strict parser, by its code, with input bytes written out.
@Suite struct ParserRefusalTests {
    private func code(_ bytes: [UInt8], cap: Int = 1024) -> ManifestError.Code? {
        refusal { () throws(ManifestError) in try JSONParser.parse(Data(bytes), cap: cap, what: "the test document") }?.code
    }
    private func code(_ text: String, cap: Int = 1024) -> ManifestError.Code? { code(Array(text.utf8), cap: cap) }

    @Test(arguments: [#"{"a":1,"a":2}"#, #"{"x":{"b":true,"c":0,"b":false}}"#, #"[{"k":"v","k":"v"}]"#,
                      "{\"é\":1,\"e\u{301}\":2}"])
    func duplicateKeys(_ input: String) {
        #expect(code(input) == .duplicateKey)
    }

    @Test func duplicateKeyMessageNamesTheKey() {
        let error = refusal { () throws(ManifestError) in
            try JSONParser.parse(Fixture.data(#"{"serial":1,"serial":2}"#), cap: 100, what: "the channel pointer")
        }
        #expect(error?.message.contains("the channel pointer") == true)
        #expect(error?.message.contains("\"serial\" appears twice") == true)
    }

    @Test(arguments: ["1.0", "1e3", "1E2", "-0.5", #"{"size":12.5}"#, "[0e0]", "2.", "1e"])
    func nonIntegerNumbers(_ input: String) {
        #expect(code(input) == .nonIntegerNumber)
    }

    @Test(arguments: ["9007199254740992", "-9007199254740992", "99999999999999999999999"])
    func integersBeyondTwoToThe53(_ input: String) {
        #expect(code(input) == .numberOutOfRange)
    }

    @Test func largestIntegersAreAccepted() throws {
        let parsed = try JSONParser.parse(Fixture.data("[9007199254740991,-9007199254740991]"), cap: 100, what: "t")
        #expect(parsed == .array([.integer(9_007_199_254_740_991), .integer(-9_007_199_254_740_991)]))
    }

    @Test(arguments: ["{} x", "{}{}", "1 2", "[]]", #"{"a":1}}"#, "null\u{0}"])
    func trailingGarbage(_ input: String) {
        #expect(code(input) == .trailingGarbage)
    }

    @Test func trailingWhitespaceIsFine() {
        #expect(code("{}\n \t\r\n") == nil)
    }

    @Test(arguments: [
        [0x22, 0xC3, 0x28, 0x22],  // a lead byte followed by ASCII
        [0x22, 0xC0, 0xAF, 0x22],  // overlong '/'
        [0x22, 0xED, 0xA0, 0x80, 0x22],  // a surrogate (U+D800) encoded in UTF-8
        [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // beyond U+10FFFF
        [0x22, 0xFF, 0x22],
        [0x22, 0xE2, 0x82, 0x22],  // truncated sequence
    ] as [[UInt8]])
    func invalidUTF8(_ input: [UInt8]) {
        #expect(code(input) == .invalidUTF8)
    }

    @Test(arguments: [#""\x""#, #""\u12""#, #""\u12G4""#, #""\uD800""#, #""\uDC00""#, #""\uD800\u0041""#,
                      #""\uD83Dx""#, #""\'""#, #""\U0041""#])
    func badEscapes(_ input: String) {
        #expect(code(input) == .badEscape)
    }

    @Test func nestingDeeperThanTheLimit() {
        let limit = JSONLimits.maxDepth
        #expect(code(String(repeating: "[", count: limit) + String(repeating: "]", count: limit)) == nil)
        #expect(code(String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)) == .tooDeep)
        #expect(code(String(repeating: "{\"a\":", count: limit + 1) + "1" + String(repeating: "}", count: limit + 1))
            == .tooDeep)
    }

    @Test func overTheSizeCap() {
        let document = #"{"reason":""# + String(repeating: "x", count: 100) + #""}"#
        #expect(code(document, cap: document.utf8.count) == nil)
        #expect(code(document, cap: document.utf8.count - 1) == .tooLarge)
    }

    @Test(arguments: ["", " ", "01", "-", "-a", "[1,]", #"{"a":1,}"#, "{a:1}", "[", #"{"a""#, #"{"a":}"#, "tru",
                      "nul", "'x'", "\u{FEFF}{}", "\"raw\ttab\"", "\"line\nbreak\"", #""unterminated"#, "+1"])
    func syntaxErrors(_ input: String) {
        #expect(code(input) == .invalidJSON)
    }

    @Test func messageSaysWhereAndWhat() {
        let error = refusal { () throws(ManifestError) in
            try JSONParser.parse(Fixture.data(#"{"a":1.5}"#), cap: 100, what: "the manifest")
        }
        #expect(error?.message == "the manifest is not valid Ferry JSON: a number with a fraction or exponent; "
            + "Ferry documents hold integers only (at byte 6)")
    }
}
