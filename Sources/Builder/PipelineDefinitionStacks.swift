import Yams

/// The `stacks:` section: each stack's keys, then the checks across stacks
/// (unique names, known dependencies, no cycles).
extension PipelineDefinitionParser {
    func parseStacks(_ node: Node, source: PipelineDefinition.Source) throws(Failure) -> [PipelineDefinition.Stack] {
        let items = try list(node, what: "'stacks'", of: "stacks")
        guard !items.isEmpty else { throw fail(.invalidValue, node, "'stacks' must list at least one stack") }
        var stacks: [PipelineDefinition.Stack] = []
        var nameLines: [String: Int] = [:]
        var dependencyNodes: [String: [Node]] = [:]
        for (index, item) in items.enumerated() {
            let (stack, dependencies) = try parseStack(item, label: "stack \(index + 1)", source: source)
            if let earlier = nameLines[stack.name] {
                let nameNode = try entries(item, keys: [], context: "", checkUnknown: false)["name"]
                throw fail(.duplicateName, nameNode, "duplicate stack name '\(stack.name)' (also on line \(earlier))")
            }
            nameLines[stack.name] = item.mark?.line ?? 0
            dependencyNodes[stack.name] = dependencies
            stacks.append(stack)
        }
        let names = stacks.map(\.name)
        for stack in stacks {
            for (dependency, node) in zip(stack.dependsOn, dependencyNodes[stack.name] ?? []) where !names.contains(dependency) {
                let hint = PipelineDefinitionError.suggestion(for: dependency, among: names)
                throw fail(.unknownDependency, node, "stack '\(stack.name)' depends on '\(dependency)', "
                    + "which is not a stack of this pipeline\(hint)")
            }
        }
        if let cycle = Self.dependencyCycle(stacks) {
            let first = stacks.first { $0.name == cycle[0] }
            let node = first.flatMap { stack in zip(stack.dependsOn, dependencyNodes[stack.name] ?? []).first { $0.0 == cycle[1] }?.1 }
            throw fail(.dependencyCycle, node, "stacks depend on each other in a cycle: \(cycle.joined(separator: " -> ")); "
                + "remove one of these dependsOn entries")
        }
        return stacks
    }

    private func parseStack(_ node: Node, label: String,
                            source: PipelineDefinition.Source) throws(Failure) -> (PipelineDefinition.Stack, [Node]) {
        let named = try entries(node, keys: [], context: "", what: label, checkUnknown: false)
        let name = try named["name"].map { node throws(Failure) in try text(node, what: "'name' in \(label)") }
        let context = name.map { " in stack '\($0)'" } ?? " in \(label)"
        let keys = try entries(node, keys: Self.stackKeys, context: context, what: label)
        guard let name, let nameNode = keys["name"] else { throw missing("name", node, context) }
        guard name.wholeMatch(of: /[A-Za-z][A-Za-z0-9-]{0,127}/) != nil else {
            throw fail(.invalidName, nameNode, "bad stack name '\(name)': start with a letter, then up to 127 letters, "
                + "digits or '-' (CloudFormation's rule)")
        }
        let templateNode = try required("template", in: keys, of: node, context: context)
        let template = try relativePath(templateNode, what: "'template'\(context)", allowRoot: false)
        let inSource = source.repositoryPath(of: template)
        guard sourceExists(inSource) else {
            throw fail(.missingTemplate, templateNode, "template '\(template)' of stack '\(name)' does not exist in the source "
                + "(looked for \(inSource)); paths are relative to source.path")
        }
        var stack = PipelineDefinition.Stack(name: name, template: template)
        if let parameters = keys["parameters"] { stack.parameters = try parseParameters(parameters, context: context) }
        if let capabilities = keys["capabilities"] { stack.capabilities = try parseCapabilities(capabilities, context: context) }
        if let tags = keys["tags"] { stack.tags = try parseTags(tags, context: context) }
        var dependencyNodes: [Node] = []
        if let dependsOn = keys["dependsOn"] {
            dependencyNodes = try list(dependsOn, what: "'dependsOn'\(context)", of: "stack names, like [storage]")
            for item in dependencyNodes {
                let dependency = try text(item, what: "an entry of 'dependsOn'\(context)")
                guard !stack.dependsOn.contains(dependency) else {
                    throw fail(.duplicateName, item, "'dependsOn'\(context) names '\(dependency)' twice")
                }
                stack.dependsOn.append(dependency)
            }
        }
        if let regionNode = keys["region"] {
            let region = try text(regionNode, what: "'region'\(context)")
            guard region.wholeMatch(of: /[a-z]{2}(-[a-z]+)+-[0-9]+/) != nil else {
                throw fail(.invalidValue, regionNode, "bad region '\(region)'\(context): write a region name like eu-west-1")
            }
            stack.region = region
        }
        return (stack, dependencyNodes)
    }

    /// Strings, numbers and booleans as written; a list of them comma-joined (what
    /// CloudFormation takes for `List<…>` and `CommaDelimitedList` parameters).
    private func parseParameters(_ node: Node, context: String) throws(Failure) -> [String: String] {
        guard case .mapping(let mapping) = node else {
            throw fail(.wrongType, node, "'parameters'\(context) must be a mapping of names to values, not \(typeName(node))")
        }
        var result: [String: String] = [:]
        for (keyNode, valueNode) in mapping {
            let key = try text(keyNode, what: "a parameter name\(context)")
            guard key.wholeMatch(of: /[A-Za-z0-9]{1,255}/) != nil else {
                throw fail(.invalidName, keyNode, "bad parameter name '\(key)'\(context): CloudFormation parameter names "
                    + "are letters and digits")
            }
            if let value = scalarText(valueNode) {
                result[key] = value
            } else if case .sequence(let sequence) = valueNode {
                var values: [String] = []
                for item in sequence {
                    guard let value = scalarText(item) else {
                        throw fail(.wrongType, item, "parameter '\(key)'\(context) must list strings, numbers or booleans, "
                            + "not \(typeName(item))")
                    }
                    values.append(value)
                }
                result[key] = values.joined(separator: ",")
            } else {
                throw fail(.wrongType, valueNode, "parameter '\(key)'\(context) must be a string, number, boolean or a list "
                    + "of them, not \(typeName(valueNode)) (write \"\" for an empty value)")
            }
        }
        return result
    }

    private func parseCapabilities(_ node: Node, context: String) throws(Failure) -> [PipelineDefinition.Capability] {
        let items = try list(node, what: "'capabilities'\(context)", of: "capabilities, like [CAPABILITY_IAM]")
        var result: [PipelineDefinition.Capability] = []
        let known = PipelineDefinition.Capability.allCases.map(\.rawValue)
        for item in items {
            let raw = try text(item, what: "a capability\(context)")
            guard let capability = PipelineDefinition.Capability(rawValue: raw) else {
                let hint = PipelineDefinitionError.suggestion(for: raw, among: known)
                throw fail(.invalidCapability, item, "unknown capability '\(raw)'\(context)\(hint): use CAPABILITY_IAM, "
                    + "CAPABILITY_NAMED_IAM or CAPABILITY_AUTO_EXPAND")
            }
            guard !result.contains(capability) else { throw fail(.duplicateName, item, "'capabilities'\(context) lists '\(raw)' twice") }
            result.append(capability)
        }
        return result
    }

    private func parseTags(_ node: Node, context: String) throws(Failure) -> [String: String] {
        let tags = try stringMap(node, what: "'tags'\(context)", keyKind: "tag key", keyContext: context,
                                 keyRule: /(?!aws:).{1,128}/, keyHint: "tag keys have 1 to 128 characters and do not start with 'aws:'")
        if let (key, _) = tags.sorted(by: { $0.key < $1.key }).first(where: { $0.value.count > 256 }) {
            throw fail(.invalidValue, node, "tag '\(key)'\(context) has a value longer than 256 characters")
        }
        return tags
    }

    /// The first cycle of `dependsOn` edges, as names from a stack back to itself
    /// (`[a, b, a]`), searching from the stacks in written order; nil when there is none.
    static func dependencyCycle(_ stacks: [PipelineDefinition.Stack]) -> [String]? {
        let edges = Dictionary(stacks.map { ($0.name, $0.dependsOn) }, uniquingKeysWith: { first, _ in first })
        var done: Set<String> = []
        var path: [String] = []
        func visit(_ name: String) -> [String]? {
            if let start = path.firstIndex(of: name) { return Array(path[start...]) + [name] }
            guard !done.contains(name) else { return nil }
            path.append(name)
            for next in edges[name] ?? [] where edges[next] != nil {
                if let cycle = visit(next) { return cycle }
            }
            path.removeLast()
            done.insert(name)
            return nil
        }
        for stack in stacks {
            if let cycle = visit(stack.name) { return cycle }
        }
        return nil
    }
}
