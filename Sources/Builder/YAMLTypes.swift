import Yams

/// The types of YAML scalars (YAML 1.1's implicit types, as Yams' `Resolver.default` and
/// PyYAML read them), without regular expressions.
///
/// Yams resolves an untagged plain scalar by trying seven `NSRegularExpression`s on it:
/// compiling them is a millisecond of every `ferry build` and `ferry release`, and
/// matching them most of the rest of reading a template. Ferry parses with `resolver`
/// instead, whose one rule marks every such scalar `unresolved`, and types it here, on
/// its bytes; `YAMLTypesTests` checks the two agree on every input they are given.
/// Nodes Ferry writes carry `Tag`s made here too: `Tag.implicit` would compile Yams'
/// default rules.
enum YAMLTypes {
    /// The tag name `resolver` gives an untagged plain scalar: "type it with `tag(of:)`".
    static let unresolved = Tag.Name(rawValue: "ferry:unresolved")

    /// Marks every untagged plain scalar `unresolved` (`^` matches any text).
    static let resolver: Resolver = {
        do {
            return Resolver.basic.appending(try Resolver.Rule(unresolved, "^"))
        } catch {
            fatalError("'^' is a valid regular expression")
        }
    }()

    /// Parses `yaml` (see `Yams.compose`), types resolved by `tag(of:)`.
    static func compose(_ yaml: String) throws -> Node? {
        try Yams.compose(yaml: yaml, resolver, constructor)
    }

    /// One for every tag Ferry makes (`Constructor.default` builds a new one each time).
    /// Shared across threads safely: its maps are constants, and Ferry never constructs
    /// values with it.
    nonisolated(unsafe) private static let constructor = Constructor.default

    /// Tags for nodes Ferry writes (the emitter writes no tag of a scalar: these only
    /// say a mapping and a sequence are plain ones).
    static var stringTag: Tag { Tag(.str, resolver, constructor) }
    static var mappingTag: Tag { Tag(.map, resolver, constructor) }
    static var sequenceTag: Tag { Tag(.seq, resolver, constructor) }

    /// The tag of `node`: an untagged plain scalar's from its text (`implicitTag`), an
    /// untagged quoted one `.str`, a tagged one its tag. (An untagged key Yams already
    /// typed as `.str`, when it checked for duplicate keys, is typed again from its text
    /// when plain: a key explicitly tagged `!!str` reads as its text's type.)
    static func tag(of node: Node) -> Tag.Name {
        guard case .scalar(let scalar) = node else { return Tag.Name(rawValue: node.tag.rawValue) }
        let name = Tag.Name(rawValue: scalar.tag.rawValue)
        switch name {
        case unresolved, .implicit: return scalar.style == .plain ? implicitTag(scalar.string) : .str
        case .nonSpecific: return .str
        default: return name
        }
    }

    /// The type YAML 1.1 gives `text` written plain and untagged: bool, int, float,
    /// merge, null, timestamp or value (in that order, as Yams' rules), else `.str`.
    /// As ICU's `$`, a line terminator at the very end is not part of the match.
    static func implicitTag(_ text: String) -> Tag.Name {
        var bytes = Array(text.utf8)
        dropFinalLineTerminator(&bytes)
        return bytes.withUnsafeBufferPointer { buffer in
            let text = Scanner(buffer)
            if isBool(text) { return .bool }
            if isInt(text) { return .int }
            if isFloat(text) { return .float }
            if text.equals("<<") { return .merge }
            if isNull(text) { return .null }
            if isTimestamp(text) { return .timestamp }
            if text.equals("=") { return .value }
            return .str
        }
    }

    private static func dropFinalLineTerminator(_ bytes: inout [UInt8]) {
        guard let last = bytes.last else { return }
        switch last {
        case 0x0A:  // \n, or \r\n
            bytes.removeLast()
            if bytes.last == 0x0D { bytes.removeLast() }
        case 0x0B, 0x0C, 0x0D: bytes.removeLast()
        case 0x85:  // U+0085
            if bytes.count >= 2, bytes[bytes.count - 2] == 0xC2 { bytes.removeLast(2) }
        case 0xA8, 0xA9:  // U+2028, U+2029
            if bytes.count >= 3, bytes[bytes.count - 3] == 0xE2, bytes[bytes.count - 2] == 0x80 { bytes.removeLast(3) }
        default: break
        }
    }

    private static let bools: Set<String> = ["yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false",
                                             "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF"]
    private static let nulls: Set<String> = ["~", "null", "Null", "NULL", ""]

    private static func isBool(_ text: Scanner) -> Bool { text.count <= 5 && bools.contains(text.string) }
    private static func isNull(_ text: Scanner) -> Bool { text.count <= 4 && nulls.contains(text.string) }

    /// `[-+]?0b[0-1_]+ | [-+]?0o?[0-7_]+ | [-+]?(?:0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+
    /// | [-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+`
    private static func isInt(_ text: Scanner) -> Bool {
        let start = text.sign(at: 0)
        let binary = { var at = start; return text.literal("0b", &at) && text.run(&at, isBinaryDigit) && at == text.count }
        let octal = { () -> Bool in
            var at = start
            guard text.literal("0", &at) else { return false }
            _ = text.literal("o", &at)
            return text.run(&at, isOctalDigit) && at == text.count
        }
        let decimal = { () -> Bool in
            var at = start
            if text.literal("0", &at) { return at == text.count }
            return text.one(&at, isNonZeroDigit) && text.maybeRun(&at, isDigitOrUnderscore) && at == text.count
        }
        let hex = { var at = start; return text.literal("0x", &at) && text.run(&at, isHexDigitOrUnderscore) && at == text.count }
        let sexagesimal = { () -> Bool in
            var at = start
            guard text.one(&at, isNonZeroDigit), text.maybeRun(&at, isDigitOrUnderscore) else { return false }
            return sexagesimalParts(text, &at) && at == text.count
        }
        return binary() || octal() || decimal() || hex() || sexagesimal()
    }

    /// `[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)? | \.[0-9_]+(?:[eE][-+][0-9]+)?
    /// | [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]* | [-+]?\.(?:inf|Inf|INF) | \.(?:nan|NaN|NAN)`
    private static func isFloat(_ text: Scanner) -> Bool {
        let start = text.sign(at: 0)
        let plain = { () -> Bool in
            var at = start
            guard text.one(&at, isDigit), text.maybeRun(&at, isDigitOrUnderscore) else { return false }
            if text.literal(".", &at) { _ = text.maybeRun(&at, isDigitOrUnderscore) }
            if at < text.count, text[at] == UInt8(ascii: "e") || text[at] == UInt8(ascii: "E") {
                at += 1
                _ = text.sign(&at)
                guard text.run(&at, isDigit) else { return false }
            }
            return at == text.count
        }
        let fraction = { () -> Bool in
            var at = 0
            guard text.literal(".", &at), text.run(&at, isDigitOrUnderscore) else { return false }
            if at < text.count, text[at] == UInt8(ascii: "e") || text[at] == UInt8(ascii: "E") {
                at += 1
                guard at < text.count, text[at] == UInt8(ascii: "-") || text[at] == UInt8(ascii: "+") else { return false }
                at += 1
                guard text.run(&at, isDigit) else { return false }
            }
            return at == text.count
        }
        let sexagesimal = { () -> Bool in
            var at = start
            guard text.one(&at, isDigit), text.maybeRun(&at, isDigitOrUnderscore), sexagesimalParts(text, &at),
                  text.literal(".", &at) else { return false }
            _ = text.maybeRun(&at, isDigitOrUnderscore)
            return at == text.count
        }
        let infinity = { () -> Bool in
            var at = start
            return text.literal(".", &at) && ["inf", "Inf", "INF"].contains { var end = at; return text.literal($0, &end) && end == text.count }
        }
        let notANumber = { ["nan", "NaN", "NAN"].contains { var end = 0; return text.literal(".", &end) && text.literal($0, &end) && end == text.count } }
        return plain() || fraction() || sexagesimal() || infinity() || notANumber()
    }

    /// `(?::[0-5]?[0-9])+`, greedy as the regex is: each part takes two digits when the
    /// first is 0-5 and a second follows, else one. (A regex could backtrack to one digit
    /// where two were taken, but what follows a part here is `:`, `.` or the end, never
    /// a digit, so backtracking never finds another match.)
    private static func sexagesimalParts(_ text: Scanner, _ at: inout Int) -> Bool {
        var parts = 0
        while text.literal(":", &at) {
            if at + 1 < text.count, isSexagesimalTens(text[at]), isDigit(text[at + 1]) {
                at += 2
            } else if text.one(&at, isDigit) {
            } else {
                return false
            }
            parts += 1
        }
        return parts > 0
    }

    /// `[0-9]{4}-[0-9]{2}-[0-9]{2} | [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}
    /// (?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?`
    private static func isTimestamp(_ text: Scanner) -> Bool {
        var at = 0
        guard text.digits(&at, 4, 4), text.literal("-", &at) else { return false }
        let dayStart = at
        if text.digits(&at, 2, 2), text.literal("-", &at), text.digits(&at, 2, 2), at == text.count { return true }
        at = dayStart
        guard text.digits(&at, 1, 2), text.literal("-", &at), text.digits(&at, 1, 2) else { return false }
        if at < text.count, text[at] == UInt8(ascii: "T") || text[at] == UInt8(ascii: "t") {
            at += 1
        } else {
            guard text.run(&at, isBlank) else { return false }
        }
        guard text.digits(&at, 1, 2), text.literal(":", &at), text.digits(&at, 2, 2), text.literal(":", &at),
              text.digits(&at, 2, 2) else { return false }
        if text.literal(".", &at) { _ = text.maybeRun(&at, isDigit) }
        if at == text.count { return true }
        _ = text.maybeRun(&at, isBlank)
        if text.literal("Z", &at) { return at == text.count }
        guard at < text.count, text[at] == UInt8(ascii: "-") || text[at] == UInt8(ascii: "+") else { return false }
        at += 1
        guard text.digits(&at, 1, 2) else { return false }
        if text.literal(":", &at) { guard text.digits(&at, 2, 2) else { return false } }
        return at == text.count
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
    private static func isNonZeroDigit(_ byte: UInt8) -> Bool { byte >= 0x31 && byte <= 0x39 }
    private static func isSexagesimalTens(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x35 }
    private static func isDigitOrUnderscore(_ byte: UInt8) -> Bool { isDigit(byte) || byte == 0x5F }
    private static func isBinaryDigit(_ byte: UInt8) -> Bool { byte == 0x30 || byte == 0x31 || byte == 0x5F }
    private static func isOctalDigit(_ byte: UInt8) -> Bool { (byte >= 0x30 && byte <= 0x37) || byte == 0x5F }
    private static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
    private static func isHexDigitOrUnderscore(_ byte: UInt8) -> Bool {
        isDigitOrUnderscore(byte) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66)
    }

    /// A cursor-less view of the bytes with the matching steps the rules are made of;
    /// each step moves `at` only when it matches.
    private struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>

        init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        var count: Int { bytes.count }
        var string: String { String(decoding: bytes, as: UTF8.self) }
        subscript(index: Int) -> UInt8 { bytes[index] }

        func equals(_ literal: String) -> Bool { var at = 0; return self.literal(literal, &at) && at == count }

        /// The index after an optional `[-+]` at `index`.
        func sign(at index: Int) -> Int { var at = index; _ = sign(&at); return at }

        func sign(_ at: inout Int) -> Bool {
            guard at < count, bytes[at] == UInt8(ascii: "-") || bytes[at] == UInt8(ascii: "+") else { return false }
            at += 1
            return true
        }

        func literal(_ literal: String, _ at: inout Int) -> Bool {
            var index = at
            for byte in literal.utf8 {
                guard index < count, bytes[index] == byte else { return false }
                index += 1
            }
            at = index
            return true
        }

        func one(_ at: inout Int, _ matches: (UInt8) -> Bool) -> Bool {
            guard at < count, matches(bytes[at]) else { return false }
            at += 1
            return true
        }

        /// One or more.
        func run(_ at: inout Int, _ matches: (UInt8) -> Bool) -> Bool {
            let start = at
            _ = maybeRun(&at, matches)
            return at > start
        }

        /// Zero or more: always true.
        func maybeRun(_ at: inout Int, _ matches: (UInt8) -> Bool) -> Bool {
            while at < count, matches(bytes[at]) { at += 1 }
            return true
        }

        /// `min` to `max` digits.
        func digits(_ at: inout Int, _ min: Int, _ max: Int) -> Bool {
            var index = at, taken = 0
            while taken < max, index < count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                index += 1
                taken += 1
            }
            guard taken >= min else { return false }
            at = index
            return true
        }
    }
}
