import Foundation
import Testing
@testable import Manifest

@Suite struct CanonicalJSONTests {
    private func canonical(_ value: JSONValue) -> String { String(decoding: value.canonicalBytes, as: UTF8.self) }

    /// RFC 8785 §3.2.2.2: the example string and its expected canonical form.
    @Test func rfc8785StringExample() throws {
        let input = #""\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/""#
        let parsed = try JSONParser.parse(Fixture.data(input), cap: 1024, what: "test")
        #expect(canonical(parsed) == #""€$\u000f\nA'B\"\\\\\"/""#)
    }

    @Test(arguments: [
        ("\u{0}", #""\u0000""#), ("\u{1}", #""\u0001""#), ("\u{1F}", #""\u001f""#),
        ("\u{8}", #""\b""#), ("\t", #""\t""#), ("\n", #""\n""#), ("\u{C}", #""\f""#), ("\r", #""\r""#),
        ("\"", #""\"""#), ("\\", #""\\""#), ("/", #""/""#),
        ("\u{7F}", "\"\u{7F}\""), ("\u{2028}", "\"\u{2028}\""), ("\u{2029}", "\"\u{2029}\""),
        ("é", "\"é\""), ("😀", "\"😀\""), ("a<b>&'", #""a<b>&'""#),
    ])
    func stringEscaping(input: String, expected: String) throws {
        #expect(canonical(.string(input)) == expected)
        // And through the Codable encoder, as a value and as a key.
        let encoded = try CanonicalJSON.encode([input: input])
        #expect(String(decoding: encoded, as: UTF8.self) == "{\(expected):\(expected)}")
    }

    /// The one escaping templates and log lines use too: what a parser reads back.
    @Test func jsonStringQuotesLikeTheCanonicalForm() throws {
        let text = "a\"b\\c\u{08}\u{0C}\n\r\t\u{01}\u{1F}€ ü"
        #expect(JSONString.quoted(text) == #""a\"b\\c\b\f\n\r\t\u0001\u001f€ ü""#)
        #expect(JSONString.quoted(text) == canonical(.string(text)))
        let back = try JSONSerialization.jsonObject(with: Data(JSONString.quoted(text).utf8), options: .fragmentsAllowed)
        #expect(back as? String == text)
    }

    @Test func nonASCIIIsWrittenAsUTF8Bytes() {
        #expect(Array(JSONValue.string("é\u{2028}").canonicalBytes) == [0x22, 0xC3, 0xA9, 0xE2, 0x80, 0xA8, 0x22])
    }

    /// RFC 8785 §3.2.3: keys sorted by UTF-16 code units, so U+1F600 (surrogates D83D DE00)
    /// sorts before U+FB33 although its code point is larger.
    @Test func keysSortByUTF16CodeUnits() throws {
        let input = #"{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","#
            + #""1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","#
            + #""\u00f6":"Latin Small Letter O With Diaeresis"}"#
        let expected = #"{"\r":"Carriage Return","1":"One","\#u{80}":"Control","ö":"Latin Small Letter O With Diaeresis","#
            + #""€":"Euro Sign","😀":"Emoji: Grinning Face","\#u{FB33}":"Hebrew Letter Dalet With Dagesh"}"#
        #expect(canonical(try JSONParser.parse(Fixture.data(input), cap: 1024, what: "test")) == expected)
    }

    @Test func noWhitespaceAndIntegersAsWritten() throws {
        let input = " { \"b\" : [ 1 , -2 , 0 , 9007199254740991 , -0 ] ,\n\t\"a\" : { } , \"c\" : [ true , false , null ] } "
        let parsed = try JSONParser.parse(Fixture.data(input), cap: 1024, what: "test")
        #expect(canonical(parsed) == #"{"a":{},"b":[1,-2,0,9007199254740991,0],"c":[true,false,null]}"#)
    }

    @Test func escapesDecodeToTheirCharacters() throws {
        let parsed = try JSONParser.parse(Fixture.data(#"["\u00e9","\ud83d\ude00","\/","\u00E9"]"#), cap: 1024, what: "t")
        #expect(parsed == .array([.string("é"), .string("😀"), .string("/"), .string("é")]))
    }

    @Test func canonicalFormParsesBackToTheSameValue() throws {
        let value = JSONValue.object(["x": .array([.integer(-5), .string("\u{0}\u{1F}\"\\/é😀"), .null]),
                                      "€": .object(["": .bool(true)])])
        #expect(try JSONParser.parse(value.canonicalBytes, cap: 1024, what: "t") == value)
    }

    @Test func onlyTheCanonicalFormIsItsOwnCanonicalForm() throws {
        func isCanonical(_ text: String) throws -> Bool {
            try JSONParser.parse(Fixture.data(text), cap: 100, what: "t").canonicalBytes == Fixture.data(text)
        }
        #expect(try isCanonical(#"{"a":1,"b":2}"#))
        #expect(try !isCanonical(#"{"b":2,"a":1}"#))
        #expect(try !isCanonical(#"{"a": 1}"#))
        #expect(try !isCanonical(#"["\u00e9"]"#))
        #expect(try !isCanonical(#"["\/"]"#))
    }
}
