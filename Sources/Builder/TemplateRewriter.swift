/// Rewrites one template's local paths, in the AWS CLI's order (`Template.export`):
/// the `Metadata` section, then (only when there are `Resources`) every
/// `Fn::Transform` of `AWS::Include` anywhere, then each resource.
///
/// Where the AWS CLI and the SAM CLI differ, this follows the SAM CLI: a resource
/// with `InlineCode` or `PackageType: Image` is not packaged, and a SAM function
/// without `CodeUri` takes `Globals.Function.CodeUri` before packaging.
struct TemplateRewriter<Sink: ArtifactSink> {
    let run: PackagingRun<Sink>
    let file: TemplateFile

    func rewrite(_ root: inout TemplateMapping) throws(PackagerError) {
        if case .mapping(var metadata)? = root["Metadata"] {
            for index in metadata.entries.indices {
                let name = metadata.entries[index].key.text
                let rules = PackagerRule.metadata.filter { $0.resourceType == name }
                guard !rules.isEmpty, case .mapping(var properties) = metadata.entries[index].value else { continue }
                for rule in rules { try apply(rule, to: &properties, resource: name) }
                metadata.setValue(.mapping(properties), at: index)
            }
            root["Metadata"] = .mapping(metadata)
        }
        guard let resourcesNode = root["Resources"] else { return }
        guard case .mapping = resourcesNode else {
            throw PackagerError(code: .invalidTemplate, template: file.display,
                                message: "Resources must be a mapping of logical ids to resources, not \(resourcesNode.kindName)")
        }
        try exportIncludes(&root, at: [])
        guard case .mapping(var resources)? = root["Resources"] else { return }
        if let codeUri = root["Globals"]?.mapping?["Function"]?.mapping?["CodeUri"] {
            applyGlobalCodeUri(codeUri, to: &resources)
        }
        try exportResources(&resources)
        root["Resources"] = .mapping(resources)
    }

    // MARK: Resources

    private func exportResources(_ resources: inout TemplateMapping) throws(PackagerError) {
        for index in resources.entries.indices {
            let id = resources.entries[index].key.text
            let value = resources.entries[index].value
            if id.hasPrefix("Fn::ForEach::") {
                guard case .sequence(var items) = value, items.count == 3, case .mapping(var fragment) = items[2] else {
                    throw PackagerError(code: .invalidForEach, template: file.display, resource: id,
                                        message: "Fn::ForEach needs a list of three: a loop name, a collection and a mapping of resources")
                }
                try exportResources(&fragment)
                items[2] = .mapping(fragment)
                resources.setValue(.sequence(items), at: index)
                continue
            }
            guard case .mapping(var resource) = value, let type = resource["Type"]?.string,
                  case .mapping(var properties)? = resource["Properties"] else { continue }
            let rules = PackagerRule.resources.filter { $0.resourceType == type }
            guard !rules.isEmpty, properties["PackageType"]?.string != "Image" else { continue }
            for rule in rules { try apply(rule, to: &properties, resource: id) }
            resource["Properties"] = .mapping(properties)
            resources.setValue(.mapping(resource), at: index)
        }
    }

    private func applyGlobalCodeUri(_ codeUri: TemplateNode, to resources: inout TemplateMapping) {
        for index in resources.entries.indices {
            guard case .mapping(var resource) = resources.entries[index].value,
                  resource["Type"]?.string == "AWS::Serverless::Function",
                  case .mapping(var properties)? = resource["Properties"],
                  properties["CodeUri"] == nil, !hasInlineCode(properties),
                  properties["PackageType"]?.string != "Image" else { continue }
            properties["CodeUri"] = codeUri
            resource["Properties"] = .mapping(properties)
            resources.setValue(.mapping(resource), at: index)
        }
    }

    private func hasInlineCode(_ properties: TemplateMapping) -> Bool {
        guard let inline = properties["InlineCode"] else { return false }
        if case .scalar(let scalar) = inline, scalar.kind == .null { return false }
        return true
    }

    private func apply(_ rule: PackagerRule, to properties: inout TemplateMapping, resource: String) throws(PackagerError) {
        guard !hasInlineCode(properties) else { return }
        switch rule.property {
        case .path(let path):
            let value = TemplatePath.lookup(path, in: properties)
            guard let rewritten = try rewrite(value, rule: rule, resource: resource, property: rule.propertyName) else { return }
            do {
                try TemplatePath.set(rewritten, at: path, in: &properties)
            } catch {
                throw PackagerError(code: .invalidPath, template: file.display, resource: resource, property: rule.propertyName,
                                    message: "'\(error.blocker)' must be a mapping to hold '\(path.last ?? "")'")
            }
        case .graphQLCodeUris:
            for top in ["Resolvers", "Functions"] {
                guard case .mapping(var subtree)? = properties[top] else { continue }
                try rewriteCodeUris(&subtree, rule: rule, resource: resource, at: top)
                properties[top] = .mapping(subtree)
            }
        }
    }

    /// Every `CodeUri` in nested mappings, as the SAM CLI finds them in a GraphQLApi.
    private func rewriteCodeUris(_ mapping: inout TemplateMapping, rule: PackagerRule, resource: String,
                                 at path: String) throws(PackagerError) {
        for index in mapping.entries.indices {
            let key = mapping.entries[index].key.text
            let value = mapping.entries[index].value
            if key == "CodeUri" {
                if let rewritten = try rewrite(value, rule: rule, resource: resource, property: path + ".CodeUri") {
                    mapping.setValue(rewritten, at: index)
                }
            } else if case .mapping(var inner) = value {
                try rewriteCodeUris(&inner, rule: rule, resource: resource, at: path + "." + key)
                mapping.setValue(.mapping(inner), at: index)
            }
        }
    }

    /// The new value of an artifact property, or nil to leave it as it is.
    private func rewrite(_ value: TemplateNode?, rule: PackagerRule, resource: String,
                         property: String) throws(PackagerError) -> TemplateNode? {
        if value == nil || value!.isEmptyLike, !rule.packageWhenMissing { return nil }
        if case .mapping? = value { return nil }  // an intrinsic function or an S3 location already
        let local: String
        switch value {
        case nil: local = ""
        case .scalar(let scalar)? where scalar.kind == .null: local = ""
        case let node? where node.string != nil: local = node.string!
        case let node?:
            throw PackagerError(code: .invalidPath, template: file.display, resource: resource, property: property,
                                message: "must be a local path or an S3 location, not \(node.kindName)")
        }
        if PackagerPaths.isRemote(local) { return nil }
        let target = file.resolve(local.isEmpty ? "." : local)
        let shown = local.isEmpty ? "." : local
        switch rule.shape {
        case .nestedTemplate:
            return .string(try run.storeNested(target, value: shown, in: file, resource: resource, property: property))
        case .s3URI:
            let location = try run.store(target, value: shown, forceZip: rule.forceZip, in: file,
                                         resource: resource, property: property)
            return .string(location.s3URI)
        case .s3Dict(let bucketKey, let keyKey):
            let location = try run.store(target, value: shown, forceZip: rule.forceZip, in: file,
                                         resource: resource, property: property)
            return .mapping(TemplateMapping([(bucketKey, .string(location.bucket)), (keyKey, .string(location.key))]))
        }
    }

    // MARK: Fn::Transform AWS::Include

    /// Visits mappings, and the mappings directly inside lists, as the AWS CLI's
    /// `export_global_artifacts` does.
    private func exportIncludes(_ mapping: inout TemplateMapping, at path: [String]) throws(PackagerError) {
        for index in mapping.entries.indices {
            let key = mapping.entries[index].key.text
            switch mapping.entries[index].value {
            case let value where key == "Fn::Transform":
                if let rewritten = try include(value, at: path) { mapping.setValue(rewritten, at: index) }
            case .mapping(var inner):
                try exportIncludes(&inner, at: path + [key])
                mapping.setValue(.mapping(inner), at: index)
            case .sequence(var items):
                for item in items.indices {
                    guard case .mapping(var inner) = items[item] else { continue }
                    try exportIncludes(&inner, at: path + [key, String(item)])
                    items[item] = .mapping(inner)
                }
                mapping.setValue(.sequence(items), at: index)
            case .scalar:
                continue
            }
        }
    }

    private func include(_ value: TemplateNode, at path: [String]) throws(PackagerError) -> TemplateNode? {
        guard case .mapping(var transform) = value, transform["Name"]?.string == "AWS::Include",
              case .mapping(var parameters)? = transform["Parameters"],
              let location = parameters["Location"]?.string, !location.isEmpty,
              !PackagerPaths.isRemote(location) else { return nil }
        let resource = path.isEmpty ? "AWS::Include" : "AWS::Include at \(path.joined(separator: "."))"
        let target = file.resolve(location)
        if run.files.kind(of: target.absolute) == .folder {
            throw PackagerError(code: .invalidPath, template: file.display, resource: resource, property: "Location",
                                message: "'\(location)' is a folder; AWS::Include needs a template snippet file")
        }
        let stored = try run.store(target, value: location, forceZip: false, in: file, resource: resource, property: "Location")
        parameters["Location"] = .string(stored.s3URI)
        transform["Parameters"] = .mapping(parameters)
        return .mapping(transform)
    }
}

/// Reading and writing a dotted property path inside a resource's `Properties`.
enum TemplatePath {
    struct NotAMapping: Error { var blocker: String }

    static func lookup(_ path: [String], in mapping: TemplateMapping) -> TemplateNode? {
        guard let first = path.first, let value = mapping[first] else { return nil }
        if path.count == 1 { return value }
        guard case .mapping(let inner) = value else { return nil }
        return lookup(Array(path.dropFirst()), in: inner)
    }

    /// Sets the value, creating missing mappings on the way (botocore's
    /// `set_value_from_jmespath`); a non-mapping in the way is an error.
    static func set(_ value: TemplateNode, at path: [String], in mapping: inout TemplateMapping) throws(NotAMapping) {
        guard let first = path.first else { return }
        if path.count == 1 { mapping[first] = value; return }
        var inner: TemplateMapping
        switch mapping[first] {
        case nil: inner = TemplateMapping()
        case .mapping(let existing)?: inner = existing
        default: throw NotAMapping(blocker: first)
        }
        try set(value, at: Array(path.dropFirst()), in: &inner)
        mapping[first] = .mapping(inner)
    }
}
