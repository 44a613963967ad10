import Basics
import Foundation

/// The largest document of each kind Ferry reads, in bytes. A larger one is refused
/// before it is parsed (`ManifestError.Code.tooLarge`); downloads should stop there too.
public enum SizeCap {
    /// A signed pointer (`channels/<pipeline>/<channel>.json`, `pins/<pipeline>/<silo>.json`): 64 KiB.
    public static let pointer = 64 * 1024
    /// `manifest.json`: 8 MiB.
    public static let manifest = 8 * 1024 * 1024
    /// `manifest.sig`: 64 KiB.
    public static let signature = 64 * 1024
    /// A silo's status report (`status/<pipeline>/<silo>.json`): 256 KiB.
    public static let status = 256 * 1024
}

/// Limits of the strict parser that do not depend on the kind of document.
public enum JSONLimits {
    /// Arrays and objects may nest this deep (a manifest needs 4).
    public static let maxDepth = 32
    /// The largest integer magnitude, 2^53 − 1: every JSON reader (jq, JavaScript) holds it exactly.
    public static let maxInteger: Int64 = 9_007_199_254_740_991
}

/// A strict JSON parser (RFC 8259) for Ferry documents. It refuses, each with its own
/// code: duplicate keys, numbers with a fraction or exponent, integers beyond
/// ±(2^53 − 1), invalid UTF-8, unknown escapes and lone surrogates, raw control
/// characters in strings, nesting past `JSONLimits.maxDepth`, anything after the value,
/// and input longer than `cap`. A leading byte-order mark is a syntax error.
struct JSONParser {
    private let bytes: [UInt8]
    private let what: String
    private var index = 0

    /// Parses one document. `what` names it in error messages ("the channel pointer").
    static func parse(_ data: Data, cap: Int, what: String) throws(ManifestError) -> JSONValue {
        guard data.count <= cap else {
            throw ManifestError(.tooLarge, "\(what) is \(data.count) bytes, over the cap of \(cap) bytes; "
                + "it was not written by ferry, or was altered")
        }
        var parser = JSONParser(bytes: Array(data), what: what)
        parser.skipWhitespace()
        guard parser.index < parser.bytes.count else {
            throw ManifestError(.invalidJSON, "\(what) is empty; expected a JSON document")
        }
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.index == parser.bytes.count else {
            throw parser.failure(.trailingGarbage, "there is more after the JSON value")
        }
        return value
    }

    private init(bytes: [UInt8], what: String) {
        self.bytes = bytes
        self.what = what
    }

    private func failure(_ code: ManifestError.Code, _ detail: String) -> ManifestError {
        ManifestError(code, "\(what) is not valid Ferry JSON: \(detail) (at byte \(index))")
    }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
            index += 1
        }
    }

    private mutating func expect(_ char: Character) throws(ManifestError) {
        guard current == char.asciiValue else {
            throw failure(.invalidJSON, current == nil ? "it ends early, expected '\(char)'" : "expected '\(char)'")
        }
        index += 1
    }

    private mutating func value(depth: Int) throws(ManifestError) -> JSONValue {
        skipWhitespace()
        guard let byte = current else { throw failure(.invalidJSON, "it ends early, expected a value") }
        switch byte {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        default: throw failure(.invalidJSON, "unexpected character, expected a value")
        }
    }

    private mutating func literal(_ word: String, _ value: JSONValue) throws(ManifestError) -> JSONValue {
        let chars = Array(word.utf8)
        guard bytes.count - index >= chars.count, Array(bytes[index..<index + chars.count]) == chars else {
            throw failure(.invalidJSON, "unexpected character, expected a value")
        }
        index += chars.count
        return value
    }

    private mutating func object(depth: Int) throws(ManifestError) -> JSONValue {
        guard depth <= JSONLimits.maxDepth else {
            throw failure(.tooDeep, "objects and arrays nest deeper than \(JSONLimits.maxDepth) levels")
        }
        index += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw failure(.invalidJSON, "expected a key in quotes") }
            let keyStart = index
            let key = try string()
            guard members[key] == nil else {
                index = keyStart
                throw failure(.duplicateKey, "the key \"\(key)\" appears twice in one object")
            }
            skipWhitespace()
            try expect(":")
            members[key] = try value(depth: depth)
            skipWhitespace()
            if current == UInt8(ascii: ",") { index += 1; continue }
            try expect("}")
            return .object(members)
        }
    }

    private mutating func array(depth: Int) throws(ManifestError) -> JSONValue {
        guard depth <= JSONLimits.maxDepth else {
            throw failure(.tooDeep, "objects and arrays nest deeper than \(JSONLimits.maxDepth) levels")
        }
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            index += 1
            return .array(items)
        }
        while true {
            items.append(try value(depth: depth))
            skipWhitespace()
            if current == UInt8(ascii: ",") { index += 1; continue }
            try expect("]")
            return .array(items)
        }
    }

    private mutating func number() throws(ManifestError) -> JSONValue {
        let start = index
        if current == UInt8(ascii: "-") { index += 1 }
        guard let first = current, isDigit(first) else { throw failure(.invalidJSON, "a '-' without digits") }
        index += 1
        if first == UInt8(ascii: "0"), let next = current, isDigit(next) {
            throw failure(.invalidJSON, "a number with a leading zero")
        }
        while let byte = current, isDigit(byte) { index += 1 }
        if let byte = current, byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            throw failure(.nonIntegerNumber, "a number with a fraction or exponent; Ferry documents hold integers only")
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard let value = Int64(text), abs(value) <= JSONLimits.maxInteger else {
            index = start
            throw failure(.numberOutOfRange, "the integer \(text) is beyond ±\(JSONLimits.maxInteger)")
        }
        return .integer(value)
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private mutating func string() throws(ManifestError) -> String {
        let start = index
        index += 1
        var utf8: [UInt8] = []
        while true {
            // Copy the run of plain bytes up to the next quote, backslash or control character at once.
            let run = index
            while index < bytes.count, bytes[index] >= 0x20, bytes[index] != UInt8(ascii: "\""),
                  bytes[index] != UInt8(ascii: "\\") {
                index += 1
            }
            utf8.append(contentsOf: bytes[run..<index])
            guard let byte = current else { throw failure(.invalidJSON, "a string is not closed") }
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                guard let string = String(validating: utf8, as: UTF8.self) else {
                    index = start
                    throw failure(.invalidUTF8, "a string is not valid UTF-8")
                }
                return string
            case UInt8(ascii: "\\"):
                index += 1
                utf8.append(contentsOf: try escape())
            default:
                throw failure(.invalidJSON, "a raw control character (0x\(Hex.encode([byte]))) in a string; it must be escaped")
            }
        }
    }

    /// The UTF-8 of one escape; `index` is just past the backslash.
    private mutating func escape() throws(ManifestError) -> [UInt8] {
        guard let byte = current else { throw failure(.invalidJSON, "a string is not closed") }
        index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): return [byte]
        case UInt8(ascii: "b"): return [0x08]
        case UInt8(ascii: "f"): return [0x0C]
        case UInt8(ascii: "n"): return [0x0A]
        case UInt8(ascii: "r"): return [0x0D]
        case UInt8(ascii: "t"): return [0x09]
        case UInt8(ascii: "u"): break
        default: throw failure(.badEscape, "the escape '\\\(Character(Unicode.Scalar(byte)))' is not JSON")
        }
        var unit = UInt32(try hexQuad())
        if (0xDC00...0xDFFF).contains(unit) { throw failure(.badEscape, "a lone low surrogate \\u escape") }
        if (0xD800...0xDBFF).contains(unit) {
            guard current == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else {
                throw failure(.badEscape, "a high surrogate \\u escape without its low surrogate")
            }
            index += 2
            let low = UInt32(try hexQuad())
            guard (0xDC00...0xDFFF).contains(low) else {
                throw failure(.badEscape, "a high surrogate \\u escape without its low surrogate")
            }
            unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
        }
        return Array(String(Character(Unicode.Scalar(unit)!)).utf8)
    }

    private mutating func hexQuad() throws(ManifestError) -> UInt16 {
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard let byte = current, let digit = Character(Unicode.Scalar(byte)).hexDigitValue else {
                throw failure(.badEscape, "a \\u escape needs four hex digits")
            }
            value = value << 4 | UInt16(digit)
            index += 1
        }
        return value
    }
}
