import Foundation
@testable import Builder

/// A template reduced to what it means, so two writers' outputs can be compared:
/// strings, numbers by value, booleans, null, lists, and mappings with their key order.
/// Long-form intrinsics (ours, the AWS CLI's) are plain mappings here. IntegrationTests
/// links this file too (a symlink), for the tests with the AWS CLI and cfn-lint.
indirect enum Meaning: Equatable, CustomStringConvertible {
    case string(String)
    case number(Double)
    case bool(Bool)
    case null
    case list([Meaning])
    case map([Pair])

    struct Pair: Equatable {
        var key: String
        var value: Meaning
    }

    init(_ node: TemplateNode) {
        switch node {
        case .scalar(let scalar):
            switch scalar.kind {
            case .string, .other: self = .string(scalar.text)
            case .number: self = Double(scalar.text.replacingOccurrences(of: "_", with: "")).map(Meaning.number) ?? .string(scalar.text)
            case .bool: self = .bool(!TemplateScalar.falseWords.contains(scalar.text))
            case .null: self = .null
            }
        case .sequence(let items): self = .list(items.map(Meaning.init))
        case .mapping(let mapping): self = .map(mapping.entries.map { Pair(key: $0.key.text, value: Meaning($0.value)) })
        }
    }

    /// Parses YAML or JSON text (our reader).
    static func parse(_ text: String) throws -> Meaning { Meaning(try TemplateDocument.parse(text).root) }

    static func parse(data: Data) throws -> Meaning { try parse(String(decoding: data, as: UTF8.self)) }

    subscript(key: String) -> Meaning? {
        if case .map(let pairs) = self { return pairs.first { $0.key == key }?.value }
        return nil
    }

    subscript(path: [String]) -> Meaning? {
        path.reduce(Optional(self)) { node, key in
            if case .list(let items)? = node, let index = Int(key), items.indices.contains(index) { return items[index] }
            return node?[key]
        }
    }

    var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    var description: String {
        switch self {
        case .string(let text): return "\"\(text)\""
        case .number(let value): return "\(value)"
        case .bool(let value): return "\(value)"
        case .null: return "null"
        case .list(let items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .map(let pairs): return "{" + pairs.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
        }
    }

    /// Paths (keys and list indexes) where two trees differ. Mappings whose keys agree
    /// in order (one may have more keys at the end: a property the packager added) and
    /// lists of the same length are compared inside; anything else that differs is one path.
    static func differences(_ a: Meaning?, _ b: Meaning?, at path: [String] = []) -> [[String]] {
        switch (a, b) {
        case (.map(let left)?, .map(let right)?)
            where left.map(\.key).starts(with: right.map(\.key)) || right.map(\.key).starts(with: left.map(\.key)):
            let common = zip(left, right).flatMap { differences($0.value, $1.value, at: path + [$0.key]) }
            let extra = (left.count > right.count ? left[right.count...] : right[left.count...]).map { path + [$0.key] }
            return common + extra
        case (.list(let left)?, .list(let right)?) where left.count == right.count:
            return zip(left, right).enumerated().flatMap { differences($1.0, $1.1, at: path + [String($0)]) }
        default:
            return a == b ? [] : [path]
        }
    }
}
