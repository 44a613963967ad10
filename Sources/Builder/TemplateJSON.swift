import Manifest

/// Reads and writes templates in JSON, keeping key order and number text.
///
/// Foundation's `JSONSerialization` loses key order on Linux, and the packager must
/// leave what it does not rewrite as it was, so this is a small RFC 8259 reader and a
/// writer laid out like the AWS CLI's `json.dumps(indent=4, ensure_ascii=False)`.
enum TemplateJSON {
    static func read(_ text: String) throws(TemplateSyntaxError) -> TemplateNode {
        var reader = Reader(bytes: Array(text.utf8))
        reader.skipBOM()
        reader.skipSpace()
        let node = try reader.value(depth: 0)
        reader.skipSpace()
        guard reader.atEnd else { throw reader.error("unexpected text after the JSON value") }
        return node
    }

    static func write(_ node: TemplateNode) -> String {
        var out = ""
        write(node, indent: 0, to: &out)
        return out + "\n"
    }

    // MARK: Writing

    private static func write(_ node: TemplateNode, indent: Int, to out: inout String) {
        switch node {
        case .scalar(let scalar):
            switch scalar.kind {
            case .number, .bool: out += scalar.text
            case .null: out += "null"
            case .string, .other: out += JSONString.quoted(scalar.text)
            }
        case .sequence(let items):
            guard !items.isEmpty else { out += "[]"; return }
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += String(repeating: " ", count: indent + 4)
                write(item, indent: indent + 4, to: &out)
                out += i == items.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: " ", count: indent) + "]"
        case .mapping(let mapping):
            guard !mapping.entries.isEmpty else { out += "{}"; return }
            out += "{\n"
            for (i, entry) in mapping.entries.enumerated() {
                out += String(repeating: " ", count: indent + 4)
                out += JSONString.quoted(entry.key.text)
                out += ": "
                write(entry.value, indent: indent + 4, to: &out)
                out += i == mapping.entries.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: " ", count: indent) + "}"
        }
    }

    // MARK: Reading

    private struct Reader {
        let bytes: [UInt8]
        var index = 0
        var line = 1

        var atEnd: Bool { index >= bytes.count }

        func error(_ message: String) -> TemplateSyntaxError { TemplateSyntaxError(line: line, message: message) }

        mutating func skipBOM() {
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        }

        mutating func skipSpace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x0A: line += 1; index += 1
                case 0x20, 0x09, 0x0D: index += 1
                default: return
                }
            }
        }

        mutating func value(depth: Int) throws(TemplateSyntaxError) -> TemplateNode {
            guard depth < 512 else { throw error("JSON nested too deeply") }
            guard index < bytes.count else { throw error("unexpected end of JSON") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .scalar(.init(text: try string(), kind: .string, style: .any))
            case UInt8(ascii: "t"): try literal("true"); return .scalar(.init(text: "true", kind: .bool, style: .plain))
            case UInt8(ascii: "f"): try literal("false"); return .scalar(.init(text: "false", kind: .bool, style: .plain))
            case UInt8(ascii: "n"): try literal("null"); return .scalar(.init(text: "null", kind: .null, style: .plain))
            default: return .scalar(.init(text: try number(), kind: .number, style: .plain))
            }
        }

        mutating func object(depth: Int) throws(TemplateSyntaxError) -> TemplateNode {
            index += 1
            var entries: [TemplateMapping.Entry] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .mapping(TemplateMapping()) }
            while true {
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a string key") }
                let key = try string()
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':' after a key") }
                index += 1
                skipSpace()
                entries.append(.init(key: .string(key), value: try value(depth: depth + 1)))
                skipSpace()
                guard index < bytes.count else { throw error("unexpected end of JSON in an object") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return .mapping(TemplateMapping(entries)) }
                throw error("expected ',' or '}' in an object")
            }
        }

        mutating func array(depth: Int) throws(TemplateSyntaxError) -> TemplateNode {
            index += 1
            var items: [TemplateNode] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .sequence([]) }
            while true {
                skipSpace()
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard index < bytes.count else { throw error("unexpected end of JSON in an array") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return .sequence(items) }
                throw error("expected ',' or ']' in an array")
            }
        }

        mutating func literal(_ word: String) throws(TemplateSyntaxError) {
            let expected = Array(word.utf8)
            guard bytes.count - index >= expected.count, Array(bytes[index..<index + expected.count]) == expected else {
                throw error("unexpected character")
            }
            index += expected.count
        }

        mutating func number() throws(TemplateSyntaxError) -> String {
            let start = index
            func digits(_ reader: inout Reader) -> Int {
                let from = reader.index
                while reader.index < reader.bytes.count, (0x30...0x39).contains(reader.bytes[reader.index]) { reader.index += 1 }
                return reader.index - from
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
            let integer = digits(&self)
            guard integer > 0 else { throw error("unexpected character") }
            if integer > 1, bytes[index - integer] == UInt8(ascii: "0") { throw error("a number has a leading zero") }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard digits(&self) > 0 else { throw error("a number needs digits after '.'") }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard digits(&self) > 0 else { throw error("a number needs digits in its exponent") }
            }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        mutating func string() throws(TemplateSyntaxError) -> String {
            index += 1
            var out: [UInt8] = []
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""): return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard index < bytes.count else { break }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"): out.append(contentsOf: try unicodeEscape())
                    default: throw error("unknown escape '\\\(Character(Unicode.Scalar(escape)))' in a string")
                    }
                case 0x00..<0x20: throw error("a control character in a string (escape it)")
                default: out.append(byte)
                }
            }
            throw error("a string is not closed")
        }

        /// `\uXXXX`, joining a UTF-16 surrogate pair; a lone surrogate becomes U+FFFD.
        mutating func unicodeEscape() throws(TemplateSyntaxError) -> [UInt8] {
            var unit = try hex4()
            var scalar: Unicode.Scalar?
            if (0xD800...0xDBFF).contains(unit), bytes.count - index >= 6,
               bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                let save = index
                index += 2
                let low = try hex4()
                if (0xDC00...0xDFFF).contains(low) {
                    unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                } else {
                    index = save
                }
            }
            scalar = Unicode.Scalar(unit)
            return Array(String(scalar ?? "\u{FFFD}").utf8)
        }

        mutating func hex4() throws(TemplateSyntaxError) -> UInt32 {
            guard bytes.count - index >= 4,
                  let value = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16) else {
                throw error("a \\u escape needs four hex digits")
            }
            index += 4
            return value
        }
    }
}
