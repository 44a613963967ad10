import Foundation

/// One element of an XML document: its local name (any `prefix:` dropped), attributes,
/// child elements and text (direct text and CDATA, entities decoded).
public struct XMLElement: Sendable, Equatable {
    public let name: String
    public let attributes: [String: String]
    public internal(set) var children: [XMLElement]
    public internal(set) var text: String

    /// The first child named `name`.
    public func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }

    /// Every child named `name`.
    public func children(_ name: String) -> [XMLElement] { children.filter { $0.name == name } }

    /// The element at a path of child names: `element["Error", "Code"]`.
    public subscript(_ path: String...) -> XMLElement? {
        var current: XMLElement? = self
        for step in path { current = current?.child(step) }
        return current
    }

    /// The text of the child at `path`, or nil when it is absent.
    public func value(_ path: String...) -> String? {
        var current: XMLElement? = self
        for step in path { current = current?.child(step) }
        return current?.text
    }

    /// Every `member` child of the child `list` (the Query APIs' list shape).
    public func members(_ list: String) -> [XMLElement] { child(list)?.children("member") ?? [] }
}

/// A malformed XML document.
public struct XMLError: Error, Sendable, CustomStringConvertible {
    public let message: String
    /// Byte offset where reading stopped.
    public let offset: Int
    public var description: String { "malformed XML at byte \(offset): \(message)" }
}

/// A small, strict reader for the XML that AWS services answer with: elements,
/// attributes, text, the five named entities and numeric ones, CDATA, comments and
/// processing instructions (skipped). No DTDs, no namespaces beyond dropping prefixes.
public enum XMLReader {
    /// Parses a whole document and returns its root element.
    public static func parse(_ data: Data) throws(XMLError) -> XMLElement {
        var parser = Parser(bytes: Array(data))
        return try parser.document()
    }

    public static func parse(_ text: String) throws(XMLError) -> XMLElement {
        try parse(Data(text.utf8))
    }
}

private struct Parser {
    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }  // UTF-8 byte order mark
    }

    mutating func document() throws(XMLError) -> XMLElement {
        var stack: [XMLElement] = []
        var root: XMLElement?
        while index < bytes.count {
            if bytes[index] != UInt8(ascii: "<") {
                let text = try readText()
                if var top = stack.popLast() {
                    top.text += text
                    stack.append(top)
                } else if !text.allSatisfy(\.isWhitespace) {
                    throw fail("text outside the root element")
                }
                continue
            }
            if starts("<?") { try skip(past: "?>"); continue }
            if starts("<!--") { try skip(past: "-->"); continue }
            if starts("<![CDATA[") {
                index += 9
                let start = index
                try skip(past: "]]>")
                guard var top = stack.popLast() else { throw fail("CDATA outside the root element") }
                top.text += String(decoding: bytes[start..<(index - 3)], as: UTF8.self)
                stack.append(top)
                continue
            }
            if starts("<!") { try skip(past: ">"); continue }  // DOCTYPE: ignored
            if starts("</") {
                index += 2
                let name = readName()
                skipSpace()
                try expect(">")
                guard let element = stack.popLast(), element.name == localName(name) else {
                    throw fail("unexpected closing tag </\(name)>")
                }
                if var parent = stack.popLast() {
                    parent.children.append(element)
                    stack.append(parent)
                } else {
                    guard root == nil else { throw fail("a second root element") }
                    root = element
                }
                continue
            }
            index += 1
            let name = readName()
            guard !name.isEmpty else { throw fail("an element without a name") }
            var attributes: [String: String] = [:]
            while true {
                skipSpace()
                guard index < bytes.count else { throw fail("unterminated tag <\(name)") }
                if starts("/>") || bytes[index] == UInt8(ascii: ">") { break }
                let attribute = readName()
                guard !attribute.isEmpty else { throw fail("bad attribute in <\(name)>") }
                skipSpace()
                try expect("=")
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "'") else {
                    throw fail("unquoted attribute value in <\(name)>")
                }
                let quote = bytes[index]
                index += 1
                let start = index
                while index < bytes.count, bytes[index] != quote { index += 1 }
                guard index < bytes.count else { throw fail("unterminated attribute value") }
                attributes[localName(attribute)] = try decodeEntities(bytes[start..<index])
                index += 1
            }
            let element = XMLElement(name: localName(name), attributes: attributes, children: [], text: "")
            if starts("/>") {
                index += 2
                if var parent = stack.popLast() {
                    parent.children.append(element)
                    stack.append(parent)
                } else {
                    guard root == nil else { throw fail("a second root element") }
                    root = element
                }
            } else {
                index += 1
                stack.append(element)
            }
        }
        guard stack.isEmpty else { throw fail("unclosed element <\(stack.last!.name)>") }
        guard let root else { throw fail("no root element") }
        return root
    }

    private func starts(_ prefix: String) -> Bool {
        let utf8 = Array(prefix.utf8)
        return index + utf8.count <= bytes.count && bytes[index..<(index + utf8.count)].elementsEqual(utf8)
    }

    private mutating func skip(past terminator: String) throws(XMLError) {
        while index < bytes.count {
            if starts(terminator) {
                index += terminator.utf8.count
                return
            }
            index += 1
        }
        throw fail("missing \(terminator)")
    }

    private mutating func expect(_ character: Character) throws(XMLError) {
        guard index < bytes.count, bytes[index] == character.asciiValue! else { throw fail("expected '\(character)'") }
        index += 1
    }

    private mutating func skipSpace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    private mutating func readName() -> String {
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if [0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: ">"), UInt8(ascii: "/"), UInt8(ascii: "=")].contains(byte) { break }
            index += 1
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private func localName(_ name: String) -> String {
        name.split(separator: ":").last.map(String.init) ?? name
    }

    private mutating func readText() throws(XMLError) -> String {
        let start = index
        while index < bytes.count, bytes[index] != UInt8(ascii: "<") { index += 1 }
        return try decodeEntities(bytes[start..<index])
    }

    private func decodeEntities(_ slice: ArraySlice<UInt8>) throws(XMLError) -> String {
        guard slice.contains(UInt8(ascii: "&")) else { return String(decoding: slice, as: UTF8.self) }
        var out = [UInt8]()
        var i = slice.startIndex
        while i < slice.endIndex {
            guard slice[i] == UInt8(ascii: "&") else {
                out.append(slice[i])
                i += 1
                continue
            }
            guard let semicolon = slice[i...].firstIndex(of: UInt8(ascii: ";")), semicolon - i <= 10 else {
                throw XMLError(message: "unterminated entity", offset: i)
            }
            let entity = String(decoding: slice[(i + 1)..<semicolon], as: UTF8.self)
            switch entity {
            case "lt": out.append(UInt8(ascii: "<"))
            case "gt": out.append(UInt8(ascii: ">"))
            case "amp": out.append(UInt8(ascii: "&"))
            case "quot": out.append(UInt8(ascii: "\""))
            case "apos": out.append(UInt8(ascii: "'"))
            default:
                let scalar: UInt32? = entity.hasPrefix("#x") || entity.hasPrefix("#X")
                    ? UInt32(entity.dropFirst(2), radix: 16)
                    : entity.hasPrefix("#") ? UInt32(entity.dropFirst()) : nil
                guard let scalar, let character = Unicode.Scalar(scalar) else {
                    throw XMLError(message: "unknown entity &\(entity);", offset: i)
                }
                out += Array(String(Character(character)).utf8)
            }
            i = semicolon + 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private func fail(_ message: String) -> XMLError { XMLError(message: message, offset: index) }
}
