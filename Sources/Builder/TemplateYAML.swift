import Yams

/// A template could not be read: where (1-based line, when known) and why.
struct TemplateSyntaxError: Error, Equatable, Sendable {
    var line: Int?
    var message: String
}

/// Reads and writes templates in YAML with Yams (libyaml).
///
/// Reading turns CloudFormation's short-form tags into the long form, as the AWS CLI's
/// reader does: `!Ref X` → `{Ref: X}`, `!Condition C` → `{Condition: C}`, any other
/// `!Name v` → `{"Fn::Name": v}`, and `!GetAtt A.B` → `{"Fn::GetAtt": [A, B]}`. Merge
/// keys (`<<`) are flattened and aliases copied, as PyYAML does. Writing emits that
/// long form (Yams drops tags on scalars, see PLATFORM.md), keeps each scalar's
/// original style, and quotes a new string that would otherwise read back as a number,
/// boolean, null or date.
enum TemplateYAML {
    static func read(_ text: String) throws(TemplateSyntaxError) -> TemplateNode {
        let root: Node?
        do {
            root = try YAMLTypes.compose(text)
        } catch let error as YamlError {
            throw syntaxError(error)
        } catch {
            throw TemplateSyntaxError(line: nil, message: "\(error)")
        }
        guard let root else { throw TemplateSyntaxError(line: 1, message: "the template is empty") }
        return try convert(root)
    }

    static func write(_ node: TemplateNode) throws(TemplateSyntaxError) -> String {
        do {
            let text = try Yams.serialize(node: yamsNode(node), indent: 2, width: -1, allowUnicode: true)
            return text.hasSuffix("\n") ? text : text + "\n"
        } catch {
            throw TemplateSyntaxError(line: nil, message: "cannot write YAML: \(error)")
        }
    }

    // MARK: Reading

    private static func convert(_ node: Node) throws(TemplateSyntaxError) -> TemplateNode {
        let tag = YAMLTypes.tag(of: node).rawValue
        if tag.count > 1, tag.hasPrefix("!"), !tag.hasPrefix("!!") {
            return try intrinsic(String(tag.dropFirst()), node)
        }
        switch node {
        case .scalar(let scalar):
            return .scalar(TemplateScalar(text: scalar.string, kind: kind(of: node), style: style(scalar.style)))
        case .sequence(let sequence):
            var items: [TemplateNode] = []
            for item in sequence { items.append(try convert(item)) }
            return .sequence(items)
        case .mapping(let mapping):
            return .mapping(try convertMapping(mapping))
        case .alias:
            throw TemplateSyntaxError(line: node.mark?.line, message: "an alias the reader could not resolve")
        }
    }

    /// `!Name value` as the AWS CLI reads it (`yamlhelper.intrinsics_multi_constructor`).
    private static func intrinsic(_ name: String, _ node: Node) throws(TemplateSyntaxError) -> TemplateNode {
        let key = (name == "Ref" || name == "Condition") ? name : "Fn::" + name
        let value: TemplateNode
        switch node {
        case .scalar(let scalar) where name == "GetAtt":
            let parts = scalar.string.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
            value = .sequence(parts.map { .string(String($0)) })
        case .scalar(let scalar):
            // The tag replaces the type: the value is the scalar's text, a string.
            var style = style(scalar.style)
            if style == .plain { style = .any }
            value = .scalar(TemplateScalar(text: scalar.string, kind: .string, style: style))
        case .sequence(let sequence):
            var items: [TemplateNode] = []
            for item in sequence { items.append(try convert(item)) }
            value = .sequence(items)
        case .mapping(let mapping):
            value = .mapping(try convertMapping(mapping))
        case .alias:
            throw TemplateSyntaxError(line: node.mark?.line, message: "an alias the reader could not resolve")
        }
        return .mapping(TemplateMapping([(key, value)]))
    }

    /// Pairs in order; `<<` merges first (later mappings of a merge list give way to
    /// earlier ones), the mapping's own keys after, as PyYAML's `flatten_mapping`.
    private static func convertMapping(_ mapping: Node.Mapping) throws(TemplateSyntaxError) -> TemplateMapping {
        var merged: [TemplateMapping.Entry] = []
        var own: [TemplateMapping.Entry] = []
        for (keyNode, valueNode) in mapping {
            if case .scalar = keyNode, YAMLTypes.tag(of: keyNode) == .merge {
                let sources: [Node]
                switch valueNode {
                case .mapping: sources = [valueNode]
                case .sequence(let sequence): sources = Array(sequence)
                default:
                    throw TemplateSyntaxError(line: keyNode.mark?.line, message: "a merge key '<<' needs a mapping or a list of mappings")
                }
                for source in sources.reversed() {
                    guard case .mapping(let sourceMapping) = source else {
                        throw TemplateSyntaxError(line: source.mark?.line, message: "a merge key '<<' needs a mapping or a list of mappings")
                    }
                    merged.append(contentsOf: try convertMapping(sourceMapping).entries)
                }
                continue
            }
            guard case .scalar(let keyScalar) = keyNode, !isIntrinsicTag(keyNode) else {
                throw TemplateSyntaxError(line: keyNode.mark?.line, message: "a mapping key must be a plain value, not \(describe(keyNode))")
            }
            let key = TemplateScalar(text: keyScalar.string, kind: kind(of: keyNode), style: style(keyScalar.style))
            own.append(.init(key: key, value: try convert(valueNode)))
        }
        return TemplateMapping(merged + own)
    }

    private static func isIntrinsicTag(_ node: Node) -> Bool {
        let tag = YAMLTypes.tag(of: node).rawValue
        return tag.count > 1 && tag.hasPrefix("!") && !tag.hasPrefix("!!")
    }

    private static func describe(_ node: Node) -> String {
        switch node {
        case .scalar: return "a tagged value"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        case .alias: return "an alias"
        }
    }

    private static func kind(of node: Node) -> TemplateScalar.Kind {
        switch YAMLTypes.tag(of: node) {
        case .str: return .string
        case .int, .float: return .number
        case .bool: return .bool
        case .null: return .null
        default: return .other
        }
    }

    private static func style(_ style: Node.Scalar.Style) -> TemplateScalar.Style {
        switch style {
        case .any: return .any
        case .plain: return .plain
        case .singleQuoted: return .singleQuoted
        case .doubleQuoted: return .doubleQuoted
        case .literal: return .literal
        case .folded: return .folded
        }
    }

    static func syntaxError(_ error: YamlError) -> TemplateSyntaxError {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let text = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
            return TemplateSyntaxError(line: mark.line, message: text)
        case let .duplicatedKeysInMapping(duplicates, context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return TemplateSyntaxError(line: context.mark.line, message: "duplicate key \(keys)")
        default:
            return TemplateSyntaxError(line: nil, message: "\(error)")
        }
    }

    // MARK: Writing

    private static func yamsNode(_ node: TemplateNode) -> Node {
        switch node {
        case .scalar(let scalar):
            return .scalar(.init(scalar.text, YAMLTypes.stringTag, yamsStyle(scalar)))
        case .sequence(let items):
            return .sequence(.init(items.map(yamsNode), YAMLTypes.sequenceTag))
        case .mapping(let mapping):
            return .mapping(.init(mapping.entries.map {
                (.scalar(.init($0.key.text, YAMLTypes.stringTag, yamsStyle($0.key))), yamsNode($0.value))
            }, YAMLTypes.mappingTag))
        }
    }

    /// The scalar's own style; a string that would read back as something else when
    /// written plain (`123`, `yes`, `~`, `2024-01-01`) is single-quoted instead.
    private static func yamsStyle(_ scalar: TemplateScalar) -> Node.Scalar.Style {
        switch scalar.style {
        case .plain, .any:
            if scalar.kind == .string, YAMLTypes.implicitTag(scalar.text) != .str {
                return .singleQuoted
            }
            return scalar.style == .plain ? .plain : .any
        case .singleQuoted: return .singleQuoted
        case .doubleQuoted: return .doubleQuoted
        case .literal: return .literal
        case .folded: return .folded
        }
    }
}
