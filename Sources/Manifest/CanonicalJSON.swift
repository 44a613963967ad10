import Foundation

/// Ferry's canonical JSON: RFC 8785 restricted to integers. Keys sorted by UTF-16 code
/// units, no insignificant whitespace, only `"`, `\` and control characters escaped,
/// UTF-8. The same value always gives the same bytes, so digests and signatures are stable.
public enum CanonicalJSON {
    /// The canonical bytes of `value`. Fails if a number would fall outside
    /// ±(2^53 − 1) or the value nests deeper than `JSONLimits.maxDepth`.
    public static func encode<T: Encodable>(_ value: T) throws(ManifestError) -> Data {
        try tree(of: value).canonicalBytes
    }

    /// Strictly parses `bytes` (at most `cap` long) and decodes a `T` from them.
    /// Unknown fields are ignored. `what` names the document in error messages.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: Data, cap: Int, what: String)
        throws(ManifestError) -> T
    {
        try decode(type, from: JSONParser.parse(bytes, cap: cap, what: what), what: what)
    }

    /// Whether `bytes` are exactly the canonical form of the JSON they hold.
    /// (They must parse first; a parse failure is thrown.)
    public static func isCanonical(_ bytes: Data, cap: Int, what: String) throws(ManifestError) -> Bool {
        try JSONParser.parse(bytes, cap: cap, what: what).canonicalBytes == bytes
    }

    /// The parsed tree of an `Encodable`, through Foundation's encoder and the strict parser,
    /// so that what Ferry writes passes the same checks as what it reads.
    static func tree<T: Encodable>(of value: T) throws(ManifestError) -> JSONValue {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let json: Data
        do {
            json = try encoder.encode(value)
        } catch {
            throw ManifestError(.invalidValue, "cannot encode \(T.self) as JSON: \(error)")
        }
        return try JSONParser.parse(json, cap: .max, what: "the encoded \(T.self)")
    }

    /// Decodes a `T` from a parsed tree, turning Foundation's decoding errors into
    /// `ManifestError`s that name the field.
    static func decode<T: Decodable>(_ type: T.Type, from tree: JSONValue, what: String) throws(ManifestError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: tree.canonicalBytes)
        } catch let error as DecodingError {
            throw describe(error, what: what)
        } catch let error as ManifestError {
            throw error
        } catch {
            throw ManifestError(.invalidValue, "\(what) cannot be decoded: \(error)")
        }
    }

    private static func describe(_ error: DecodingError, what: String) -> ManifestError {
        switch error {
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath + [key])
            return ManifestError(.missingField, "\(what) lacks the required field `\(field)`", field: field)
        case .valueNotFound(let type, let context):
            let field = path(context.codingPath)
            return ManifestError(.wrongType, "in \(what), the field `\(field)` is null; it must be \(name(type))", field: field)
        case .typeMismatch(let type, let context):
            let field = path(context.codingPath)
            return ManifestError(.wrongType, "in \(what), the field `\(field)` must be \(name(type))", field: field)
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            return ManifestError(.invalidValue, "in \(what), the field `\(field)`: \(context.debugDescription)", field: field)
        @unknown default:
            return ManifestError(.invalidValue, "\(what) cannot be decoded: \(error)")
        }
    }

    /// `stacks[2].template` from coding keys.
    static func path(_ keys: [any CodingKey]) -> String {
        var out = ""
        for key in keys {
            if let index = key.intValue { out += "[\(index)]" } else { out += (out.isEmpty ? "" : ".") + key.stringValue }
        }
        return out.isEmpty ? "(top level)" : out
    }

    private static func name(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Bool.Type: "true or false"
        case is [Any].Type: "an array"
        case is [String: Any].Type: "an object"
        default: "a \(type)"
        }
    }
}
