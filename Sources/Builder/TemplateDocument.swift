/// The text format of a template. A packaged template keeps the format of its source.
public enum TemplateFormat: String, Sendable, Hashable, Codable {
    case yaml
    case json
}

/// A parsed template and the format it came in.
struct TemplateDocument: Hashable, Sendable {
    var root: TemplateNode
    var format: TemplateFormat

    /// JSON when the text starts with `{`, else YAML. (The AWS CLI tries JSON and falls
    /// back to YAML, so a JSON template with a typo would quietly become a YAML flow
    /// mapping there; here its author gets the JSON error and line.)
    static func parse(_ text: String) throws(TemplateSyntaxError) -> TemplateDocument {
        if text.drop(while: { $0.isWhitespace || $0 == "\u{FEFF}" }).first == "{" {
            return TemplateDocument(root: try TemplateJSON.read(text), format: .json)
        }
        return TemplateDocument(root: try TemplateYAML.read(text), format: .yaml)
    }

    /// The template's text in its format; the same tree always gives the same bytes.
    func serialized() throws(TemplateSyntaxError) -> String {
        switch format {
        case .json: return TemplateJSON.write(root)
        case .yaml: return try TemplateYAML.write(root)
        }
    }
}
