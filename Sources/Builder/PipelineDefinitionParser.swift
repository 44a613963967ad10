import Foundation
import Yams

extension PipelineDefinition {
    /// Parses and validates a pipeline definition. Pure: template paths are checked with
    /// `sourceExists`, which gets a path relative to the source repository's root
    /// (`source.path` joined with the stack's `template`).
    ///
    /// - Parameter file: how to name the file in errors (`pipelines/webapp.yaml`).
    /// - Throws: the first mistake found, with its line.
    public static func parse(yaml: String, file: String,
                             sourceExists: (String) -> Bool) throws(PipelineDefinitionError) -> PipelineDefinition {
        try withoutActuallyEscaping(sourceExists) { exists throws(PipelineDefinitionError) in
            try PipelineDefinitionParser(file: file, sourceExists: exists, expectedName: nil).parse(yaml)
        }
    }
}

/// Walks the YAML nodes of a definition (lines from `Node.mark`), checking as it goes.
struct PipelineDefinitionParser {
    typealias Failure = PipelineDefinitionError
    let file: String
    let sourceExists: (String) -> Bool
    /// When set (by the loader), the `pipeline:` name must equal it.
    let expectedName: String?

    static let topKeys = ["pipeline", "source", "tests", "stacks", "channels", "rollout"]
    static let sourceKeys = ["repository", "path"]
    static let testKeys = ["name", "run", "timeout", "env"]
    static let stackKeys = ["name", "template", "parameters", "capabilities", "tags", "dependsOn", "region"]

    func parse(_ yaml: String) throws(Failure) -> PipelineDefinition {
        let root: Node?
        do {
            root = try YAMLTypes.compose(yaml)
        } catch let error as YamlError {
            let syntax = TemplateYAML.syntaxError(error)
            throw Failure(code: .invalidYAML, file: file, line: syntax.line, message: "not valid YAML: \(syntax.message)")
        } catch {
            throw Failure(code: .invalidYAML, file: file, line: nil, message: "not valid YAML: \(error)")
        }
        guard let root, case .mapping = root else {
            throw Failure(code: .wrongType, file: file, line: root?.mark?.line ?? 1,
                          message: "a pipeline definition must be a mapping with 'pipeline' and 'stacks', not "
                              + (root.map(typeName) ?? "an empty file"))
        }
        let top = try entries(root, keys: Self.topKeys, context: "")
        let nameNode = try required("pipeline", in: top, of: root, context: "")
        let stacksNode = try required("stacks", in: top, of: root, context: "")

        let name = try text(nameNode, what: "'pipeline'")
        guard name.wholeMatch(of: /[A-Za-z0-9._-]{1,64}/) != nil else {
            throw fail(.invalidName, nameNode, "bad pipeline name '\(name)': use 1 to 64 letters, digits, '.', '_' or '-'")
        }
        if let expectedName, name != expectedName {
            throw fail(.nameMismatch, nameNode, "pipeline name '\(name)' differs from the file's name '\(expectedName)'; "
                + "rename one so they match")
        }
        let source = try top["source"].map(parseSource) ?? PipelineDefinition.Source()
        let tests = try top["tests"].map(parseTests) ?? []
        let stacks = try parseStacks(stacksNode, source: source)
        let channels = try top["channels"].map(parseChannels) ?? PipelineDefinition.defaultChannels
        let rollouts = try top["rollout"].map { node throws(Failure) in try parseRollouts(node, channels: channels) } ?? [:]
        return PipelineDefinition(name: name, source: source, tests: tests, stacks: stacks, channels: channels,
                                  rollouts: rollouts)
    }

    // MARK: Sections

    private func parseSource(_ node: Node) throws(Failure) -> PipelineDefinition.Source {
        let keys = try entries(node, keys: Self.sourceKeys, context: " in source", what: "'source'")
        var source = PipelineDefinition.Source()
        if let repository = keys["repository"] {
            let value = try text(repository, what: "'repository' in source")
            guard !value.isEmpty else { throw fail(.invalidValue, repository, "'repository' in source is empty; omit it to use this repository") }
            source.repository = value == "." ? nil : value
        }
        if let path = keys["path"] {
            source.path = try relativePath(path, what: "'path' in source", allowRoot: true)
        }
        return source
    }

    private func parseTests(_ node: Node) throws(Failure) -> [PipelineDefinition.TestStep] {
        let items = try list(node, what: "'tests'", of: "tests")
        var tests: [PipelineDefinition.TestStep] = []
        var lines: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            let label = "test \(index + 1)"
            let named = try entries(item, keys: [], context: "", what: label, checkUnknown: false)
            let name = try named["name"].map { node throws(Failure) in try text(node, what: "'name' in \(label)") }
            let context = name.map { " in test '\($0)'" } ?? " in \(label)"
            let keys = try entries(item, keys: Self.testKeys, context: context, what: label)
            guard let name, let nameNode = keys["name"] else { throw missing("name", item, context) }
            guard !name.isEmpty else { throw fail(.invalidValue, nameNode, "'name'\(context) is empty") }
            if let earlier = lines[name] {
                throw fail(.duplicateName, nameNode, "duplicate test name '\(name)' (also on line \(earlier))")
            }
            lines[name] = nameNode.mark?.line ?? 0
            let runNode = try required("run", in: keys, of: item, context: context)
            let run = try text(runNode, what: "'run'\(context)")
            guard !run.trimmingCharacters(in: .whitespaces).isEmpty else { throw fail(.invalidValue, runNode, "'run'\(context) is empty") }
            let timeout = try keys["timeout"].map { node throws(Failure) in try parseTimeout(node, context: context) }
            let environment = try keys["env"].map { node throws(Failure) in
                try stringMap(node, what: "'env'\(context)", keyKind: "environment variable name", keyContext: context,
                              keyRule: /[A-Za-z_][A-Za-z0-9_]*/, keyHint: "use letters, digits and '_', not starting with a digit")
            }
            tests.append(.init(name: name, run: run, timeout: timeout ?? PipelineDefinition.TestStep.defaultTimeout,
                               environment: environment ?? [:]))
        }
        return tests
    }

    private func parseTimeout(_ node: Node, context: String) throws(Failure) -> Int {
        let raw = scalarText(node)
        var seconds: Int?
        if let raw {
            if let whole = raw.wholeMatch(of: /([0-9]{1,9})([smh]?)/) {
                let unit = whole.2 == "h" ? 3600 : whole.2 == "m" ? 60 : 1
                seconds = Int(whole.1).map { $0 * unit }
            }
        }
        guard let seconds, seconds > 0 else {
            let shown = raw.map { "'\($0)'" } ?? typeName(node)
            throw fail(.invalidTimeout, node, "bad timeout \(shown)\(context): write whole seconds (90) or a number with a unit "
                + "(\"90s\", \"2m\", \"1h\"), more than zero")
        }
        return seconds
    }

    private func parseChannels(_ node: Node) throws(Failure) -> [String] {
        let items = try list(node, what: "'channels'", of: "channel names")
        guard !items.isEmpty else { throw fail(.invalidValue, node, "'channels' must list at least one channel") }
        var channels: [String] = []
        for item in items {
            let channel = try text(item, what: "a channel")
            guard channel.wholeMatch(of: /[A-Za-z0-9._-]{1,64}/) != nil else {
                throw fail(.invalidName, item, "bad channel name '\(channel)': use 1 to 64 letters, digits, '.', '_' or '-'")
            }
            guard !channels.contains(channel) else { throw fail(.duplicateName, item, "channel '\(channel)' is listed twice") }
            channels.append(channel)
        }
        return channels
    }

    // MARK: Helpers

    func fail(_ code: Failure.Code, _ node: Node?, _ message: String) -> Failure {
        Failure(code: code, file: file, line: node?.mark?.line, message: message)
    }

    func missing(_ key: String, _ node: Node, _ context: String) -> Failure {
        fail(.missingKey, node, "missing key '\(key)'\(context)")
    }

    func required(_ key: String, in keys: [String: Node], of node: Node, context: String) throws(Failure) -> Node {
        guard let value = keys[key] else { throw missing(key, node, context) }
        return value
    }

    /// The mapping's values by key; with `checkUnknown`, a key not in `keys` is an error.
    func entries(_ node: Node, keys: [String], context: String, what: String? = nil,
                 checkUnknown: Bool = true) throws(Failure) -> [String: Node] {
        guard case .mapping(let mapping) = node else {
            throw fail(.wrongType, node, "\(what ?? "this") must be a mapping, not \(typeName(node))")
        }
        var result: [String: Node] = [:]
        for (keyNode, value) in mapping {
            guard let key = scalarText(keyNode) else {
                throw fail(.wrongType, keyNode, "a key\(context) must be a plain name, not \(typeName(keyNode))")
            }
            if checkUnknown, !keys.contains(key) {
                let hint = PipelineDefinitionError.suggestion(for: key, among: keys)
                throw fail(.unknownKey, keyNode, "unknown key '\(key)'\(context)\(hint)")
            }
            result[key] = value
        }
        return result
    }

    func list(_ node: Node, what: String, of items: String) throws(Failure) -> [Node] {
        guard case .sequence(let sequence) = node else {
            throw fail(.wrongType, node, "\(what) must be a list of \(items), not \(typeName(node))")
        }
        return Array(sequence)
    }

    /// The text of a string, number, boolean or date scalar; nil for null, tagged
    /// values and collections.
    func scalarText(_ node: Node) -> String? {
        guard case .scalar(let scalar) = node else { return nil }
        let tag = YAMLTypes.tag(of: node)
        guard tag.rawValue.hasPrefix("tag:yaml.org,2002:"), tag != .null else { return nil }
        return scalar.string
    }

    func text(_ node: Node, what: String) throws(Failure) -> String {
        guard let value = scalarText(node) else {
            throw fail(.wrongType, node, "\(what) must be a string, not \(typeName(node))")
        }
        return value
    }

    func typeName(_ node: Node) -> String {
        switch node {
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        case .alias: return "an alias"
        case .scalar:
            switch YAMLTypes.tag(of: node) {
            case .str: return "a string"
            case .int, .float: return "a number"
            case .bool: return "a boolean"
            case .null: return "null"
            case .timestamp: return "a date"
            default: return "a value tagged \(YAMLTypes.tag(of: node).rawValue)"
            }
        }
    }

    /// A relative path inside its folder: no leading `/`, no `..`; `./` and `//` folded.
    func relativePath(_ node: Node, what: String, allowRoot: Bool) throws(Failure) -> String {
        let raw = try text(node, what: what)
        let parts = raw.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        guard !raw.hasPrefix("/"), !parts.contains(".."), allowRoot || !parts.isEmpty else {
            throw fail(.invalidPath, node, "\(what) must be a relative path inside the source folder, without '..': '\(raw)'")
        }
        return parts.joined(separator: "/")
    }

    /// A mapping of names to scalar values (numbers and booleans as written).
    func stringMap(_ node: Node, what: String, keyKind: String, keyContext: String, keyRule: Regex<Substring>,
                   keyHint: String) throws(Failure) -> [String: String] {
        guard case .mapping(let mapping) = node else {
            throw fail(.wrongType, node, "\(what) must be a mapping of names to values, not \(typeName(node))")
        }
        var result: [String: String] = [:]
        for (keyNode, valueNode) in mapping {
            let key = try text(keyNode, what: "a \(keyKind)\(keyContext)")
            guard key.wholeMatch(of: keyRule) != nil else {
                throw fail(.invalidName, keyNode, "bad \(keyKind) '\(key)'\(keyContext): \(keyHint)")
            }
            guard let value = scalarText(valueNode) else {
                throw fail(.wrongType, valueNode, "'\(key)'\(keyContext) must be a string, number or boolean, not \(typeName(valueNode))")
            }
            result[key] = value
        }
        return result
    }
}
