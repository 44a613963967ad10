import Basics
import Testing
import Yams
@testable import Builder

/// `YAMLTypes` types scalars without regular expressions: it must agree with Yams'
/// `Resolver.default` (the rules PyYAML and the AWS CLI use) on every text.
@Suite struct YAMLTypesTests {
    static func yams(_ text: String) -> Yams.Tag.Name { Resolver.default.resolveTag(of: Node(text, .implicit, .plain)) }

    static let cases = [
        "", "~", "null", "Null", "NULL", "nULL", "yes", "Yes", "YES", "yES", "no", "on", "OFF", "true", "True", "TRUE",
        "tRUE", "y", "n", "0", "00", "-0", "+0", "012", "0o17", "0o", "0o8", "09", "0b", "0b101", "0b_", "0x", "0x1F",
        "0xg", "-0x1_f", "1_000", "_1", "1_", "190:20:30", "1:60", "1:59", "1:5", "1:", ":1", "1::2", "0:30", "1:30.5",
        "1:30.", "1.", ".5", "._", ".5e3", ".5e+3", ".5E-3", "1e3", "1e", "1e+", "1.5e-3", "+1.5E3", "-.inf", ".Inf",
        "+.INF", ".nan", ".NaN", "-.nan", ".NAN", "<<", "<", "=", "==", "2001-12-14", "2001-1-14", "2001-12-14t21:59:43.10-05:00",
        "2001-12-14 21:59:43.10 -5", "2001-12-15T02:59:43.1Z", "2001-12-15 2:59:43.10", "2001-12-15 2:59:43.10  Z",
        "2001-12-15T2:59:43", "2001-12-15T2:59:4", "2001-12-15T02:59:43+05:3", "2001-12-15T02:59:43 ", "2001-12-15T02:59:43+530",
        "20011-12-15", "2001-123-15", "true\n", "true\r\n", "true\n\n", "1\r", "\n", "\r\n", "null\u{85}", "5\u{2028}",
        "5\u{2029}", "5\u{0B}", "5\u{0C}", "ǅ", "1 ", " 1", "Ref", "arn:aws:s3:::bucket", "1.2.3", "v1", "1-2", "१२",
        "１２", "t", "12:30:45", "-1:30", "+0b1", "-0o7", "1__", "0_", "0._", "1e_3",
    ]

    @Test(arguments: cases)
    func agreesWithYamsOnEdgeCases(text: String) {
        #expect(YAMLTypes.implicitTag(text) == Self.yams(text), "\(text.debugDescription)")
    }

    /// Random texts from the characters the rules care about: many of them numbers,
    /// dates and near misses.
    @Test func agreesWithYamsOnRandomTexts() {
        let alphabet = Array("0123456789012345_-+.:eExobTtZ \t0aAfFinIN~<=l\n\r")
        var generator = SplitMix64(seed: 20_261_205)
        var mismatches: [String] = []
        for _ in 0..<40_000 {
            let length = Int(generator.next() % 14)
            let text = String((0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
            if YAMLTypes.implicitTag(text) != Self.yams(text) { mismatches.append(text) }
        }
        // Timestamps, and numbers with each kind of part, which random texts seldom reach.
        for _ in 0..<10_000 {
            let digits = { (count: Int) in String((0..<count).map { _ in Character(String(generator.next() % 10)) }) }
            let pick = { (options: [String]) in options[Int(generator.next() % UInt64(options.count))] }
            let text = [
                digits(4) + "-" + digits(Int(generator.next() % 3) + 1) + "-" + digits(Int(generator.next() % 3) + 1)
                    + pick(["", "T", "t", " ", "\t ", "X"]) + digits(Int(generator.next() % 3)) + pick([":", ""])
                    + digits(2) + ":" + digits(Int(generator.next() % 3) + 1) + pick(["", ".", ".5"])
                    + pick(["", "Z", " Z", "+5", "-05:00", "+05:3", " +1", "z"]),
                pick(["", "-", "+"]) + digits(Int(generator.next() % 3)) + pick(["", ":", ":5", ":59", ":6"])
                    + pick(["", ".", ".1_"]) + pick(["", "e5", "E-2", "e", "e+"]),
            ]
            for candidate in text where YAMLTypes.implicitTag(candidate) != Self.yams(candidate) {
                mismatches.append(candidate)
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(20).map(\.debugDescription))")
    }

    /// Parsed with `YAMLTypes.resolver`, every node gets the tag Yams' own reading gives
    /// it: plain and quoted, keys (which Yams types early, checking for duplicates) and
    /// values, explicit tags and merge keys.
    @Test func aParsedDocumentHasYamsTypes() throws {
        let yaml = """
        plain: 12
        quoted: '12'
        double: "true"
        1: one
        '2': two
        <<: {merged: yes}
        list: [~, 1.5, .inf, 2001-12-14, <<, =, text, !!str 5, !Ref Bucket, 0x1F]
        nested: {a: null, b: 'null', c: !GetAtt A.B}
        block: |
          123
        """
        let ours = try #require(try YAMLTypes.compose(yaml))
        let theirs = try #require(try Yams.compose(yaml: yaml))
        func collect(_ node: Node, _ tag: (Node) -> String, _ out: inout [String]) {
            switch node {
            case .scalar(let scalar): out.append("\(scalar.string)=\(tag(node))")
            case .sequence(let items): for item in items { collect(item, tag, &out) }
            case .mapping(let pairs):
                for (key, value) in pairs {
                    collect(key, tag, &out)
                    collect(value, tag, &out)
                }
            case .alias: out.append("alias")
            }
        }
        var mine: [String] = [], expected: [String] = []
        collect(ours, { YAMLTypes.tag(of: $0).rawValue }, &mine)
        collect(theirs, { $0.tag.rawValue }, &expected)
        #expect(mine == expected)
        #expect(expected.contains("1=tag:yaml.org,2002:int") && expected.contains("2=tag:yaml.org,2002:str"))
        #expect(expected.contains("<<=tag:yaml.org,2002:merge") && expected.contains("5=tag:yaml.org,2002:str"))
    }
}
