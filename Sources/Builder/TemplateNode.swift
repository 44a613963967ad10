/// A CloudFormation template as data: what the packager reads, rewrites and writes back.
///
/// Mappings keep their keys in order and scalars keep the text and style they were
/// written with, so what the packager does not rewrite comes out as it went in.
/// Short-form intrinsics (`!Ref X`) are already in long form here (`{Ref: X}`), as
/// `aws cloudformation package` reads them.
indirect enum TemplateNode: Hashable, Sendable {
    case scalar(TemplateScalar)
    case sequence([TemplateNode])
    case mapping(TemplateMapping)

    /// A new string scalar; the writer picks a style that keeps it a string.
    static func string(_ text: String) -> TemplateNode { .scalar(.string(text)) }

    /// The text of a string scalar; nil for anything else.
    var string: String? {
        if case .scalar(let scalar) = self, scalar.kind == .string { return scalar.text }
        return nil
    }

    var mapping: TemplateMapping? {
        if case .mapping(let mapping) = self { return mapping }
        return nil
    }

    /// What Python calls false: null, "", 0, false, an empty list or mapping. The AWS
    /// CLI skips an optional artifact property holding any of these.
    var isEmptyLike: Bool {
        switch self {
        case .scalar(let scalar):
            switch scalar.kind {
            case .null: return true
            case .string: return scalar.text.isEmpty
            case .bool: return TemplateScalar.falseWords.contains(scalar.text)
            case .number: return Double(scalar.text.replacingOccurrences(of: "_", with: "")) == 0
            case .other: return false
            }
        case .sequence(let items): return items.isEmpty
        case .mapping(let mapping): return mapping.entries.isEmpty
        }
    }

    /// A short name of the node's kind, for error messages.
    var kindName: String {
        switch self {
        case .scalar(let scalar):
            switch scalar.kind {
            case .string: return "a string"
            case .number: return "a number"
            case .bool: return "a boolean"
            case .null: return "null"
            case .other: return "a scalar"
            }
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }
}

/// A scalar as written: its text, what it means (string, number, ...) and its style.
struct TemplateScalar: Hashable, Sendable {
    enum Kind: Hashable, Sendable { case string, number, bool, null, other }
    /// How the scalar was written in YAML; `any` lets the writer choose.
    enum Style: Hashable, Sendable { case any, plain, singleQuoted, doubleQuoted, literal, folded }

    var text: String
    var kind: Kind
    var style: Style

    static func string(_ text: String) -> TemplateScalar { .init(text: text, kind: .string, style: .any) }

    static let falseWords: Set<String> = ["false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"]
}

/// An ordered mapping. As in the AWS CLI (Python dicts), a repeated key keeps the
/// position of its first occurrence and the value of its last.
struct TemplateMapping: Hashable, Sendable {
    struct Entry: Hashable, Sendable {
        var key: TemplateScalar
        var value: TemplateNode
    }

    private(set) var entries: [Entry] = []

    init() {}

    init(_ entries: [Entry]) {
        for entry in entries { self[entry.key] = entry.value }
    }

    init(_ pairs: [(String, TemplateNode)]) {
        for (key, value) in pairs { self[key] = value }
    }

    var keys: [String] { entries.map(\.key.text) }

    subscript(key: String) -> TemplateNode? {
        get { entries.first(where: { $0.key.text == key })?.value }
        set { self[TemplateScalar.string(key)] = newValue }
    }

    /// Sets by key text; a new key goes at the end, an existing one keeps its place.
    subscript(key: TemplateScalar) -> TemplateNode? {
        get { self[key.text] }
        set {
            let index = entries.firstIndex(where: { $0.key.text == key.text })
            switch (index, newValue) {
            case (let i?, let value?): entries[i].value = value
            case (nil, let value?): entries.append(Entry(key: key, value: value))
            case (let i?, nil): entries.remove(at: i)
            case (nil, nil): break
            }
        }
    }

    /// Replaces the value at `index` in place.
    mutating func setValue(_ value: TemplateNode, at index: Int) {
        entries[index].value = value
    }
}
