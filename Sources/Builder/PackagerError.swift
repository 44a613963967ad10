/// Packaging a template failed: what kind of failure, where, and what to do about it.
public struct PackagerError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// The template file cannot be read.
        case unreadableTemplate
        /// The template is not valid YAML or JSON.
        case invalidTemplate
        /// A property names a local file or folder that does not exist.
        case missingPath
        /// A property holds something that is neither a path nor an S3 location.
        case invalidPath
        /// A nested template's path is a folder, not a file.
        case nestedTemplateNotAFile
        /// A nested template includes itself, directly or through others.
        case nestedTemplateCycle
        /// An `Fn::ForEach::` entry of `Resources` is not a list of three.
        case invalidForEach
        /// The artifact sink failed to store something.
        case storeFailed
        /// A path leaves the folder the packaging is confined to (`within:`).
        case outsideSource
    }

    public var code: Code
    /// The template being packaged (its path as the packager resolved it).
    public var template: String
    /// The resource (logical id), metadata entry or `Fn::Transform` location, when one applies.
    public var resource: String?
    /// The property, when one applies (`CodeUri`, `Command.ScriptLocation`).
    public var property: String?
    /// The message: what is wrong and what to do.
    public var message: String
    /// The underlying error, as text (a sink's error, a YAML parser's message).
    public var cause: String?

    public init(code: Code, template: String, resource: String? = nil, property: String? = nil,
                message: String, cause: String? = nil) {
        self.code = code
        self.template = template
        self.resource = resource
        self.property = property
        self.message = message
        self.cause = cause
    }

    public var description: String {
        var location = template
        if let resource { location += ": resource '\(resource)'" }
        if let property { location += " property '\(property)'" }
        return "\(location): \(message)" + (cause.map { " (\($0))" } ?? "")
    }
}
