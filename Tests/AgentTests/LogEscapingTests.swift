import Agent
import Foundation
import Logging
import TestSupport
import Testing

/// A newline (or another control character) in a name never forges a text log line.
@Suite struct LogEscapingTests {
    func textLines(_ message: Logger.Message, _ metadata: Logger.Metadata) -> [String] {
        let lines = LogCapture()
        let logger = Logger(label: "t") { _ in
            LogLineHandler(format: .text, now: { Date(timeIntervalSince1970: 0) }, output: { lines.append($0) })
        }
        logger.error(message, metadata: metadata)
        return lines.lines
    }

    @Test func controlCharactersInTheMessageAreEscaped() {
        let forged = "app\n1970-01-01T00:00:00.000Z notice applied webapp 9.9.9"
        let lines = textLines("refused \(forged)\r\t\u{1b}[31m\u{85}\u{2028}", [:])
        #expect(lines.count == 1)
        #expect(lines.first == #"1970-01-01T00:00:00.000Z error refused app\n1970-01-01T00:00:00.000Z notice applied "#
            + #"webapp 9.9.9\r\t\u{1b}[31m\u{85}\u{2028}"#)
    }

    @Test func controlCharactersInMetadataAreEscapedAndQuoted() {
        let lines = textLines("refused", ["stack": "app\nforged=1", "key\nx": "v", "note": #"say "hi"\"#])
        #expect(lines == [#"1970-01-01T00:00:00.000Z error refused key\nx=v note="say \"hi\"\\" stack="app\nforged=1""#])
    }

    @Test func ordinaryTextIsUnchanged() {
        #expect(textLines("applied webapp 1.0.0 (ünïcode)", ["stack": "app"])
            == ["1970-01-01T00:00:00.000Z error applied webapp 1.0.0 (ünïcode) stack=app"])
    }
}
