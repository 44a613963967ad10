import Basics
import Foundation

/// A Ferry document: JSON with a `schema` of the form `ferry.<kind>/v<major>[.<minor>]`.
///
/// Compatibility: this Ferry reads every `v<major>` and `v<major>.<minor>` document of its
/// kind, `major` being the kind's `schemaMajor` (2 for the pointer, 1 for the others), and
/// ignores fields it does not know (a minor version only adds optional fields); it
/// refuses any other major version with "upgrade ferry". It writes `v<major>`.
public protocol FerryDocument: Codable, Sendable {
    /// The kind in the schema string: `manifest`, `pointer`, `status`.
    static var kind: String { get }
    /// The major schema version this Ferry reads and writes for the kind.
    static var schemaMajor: Int { get }
    /// The largest such document Ferry reads, in bytes.
    static var sizeCap: Int { get }
    /// How error messages name the document: "the manifest".
    static var what: String { get }
    /// Optional fields written as `null` when absent (others are left out).
    static var nullWhenAbsent: [String] { get }
    /// The document's schema string, e.g. `ferry.manifest/v1`.
    var schema: String { get }
    /// Refuses values Ferry would not write: bad names, digests, times. The schema is
    /// checked separately.
    func validate() throws(ManifestError)
}

extension FerryDocument {
    /// The schema this Ferry writes: `ferry.<kind>/v<schemaMajor>`.
    public static var currentSchema: String { "ferry.\(kind)/v\(schemaMajor)" }

    public static var schemaMajor: Int { 1 }

    public static var nullWhenAbsent: [String] { [] }

    /// The document's canonical bytes, after `validate()`: Ferry never writes what it
    /// would refuse to read.
    public func canonicalBytes() throws(ManifestError) -> Data {
        try canonicalTree().canonicalBytes
    }

    /// The parsed tree of the document, after the same checks as `canonicalBytes()`.
    func canonicalTree() throws(ManifestError) -> JSONValue {
        try Schema.check(schema, as: Self.self)
        try validate()
        guard case .object(var members) = try CanonicalJSON.tree(of: self) else {
            throw ManifestError(.wrongType, "\(Self.what) must encode as a JSON object")
        }
        for key in Self.nullWhenAbsent where members[key] == nil { members[key] = .null }
        return .object(members)
    }

    /// Parses and checks a document that is not signed, or whose signature the caller
    /// has checked (a silo's status report). For signed documents use `verifyManifest`,
    /// `openPointer`.
    public static func decode(_ bytes: Data) throws(ManifestError) -> Self {
        try decode(tree: JSONParser.parse(bytes, cap: sizeCap, what: what))
    }

    /// Schema first (so a v2 document says "upgrade ferry", not "missing field"), then
    /// the fields, then `validate()`.
    static func decode(tree: JSONValue) throws(ManifestError) -> Self {
        try Schema.check(tree, as: Self.self)
        let document = try CanonicalJSON.decode(Self.self, from: tree, what: what)
        try document.validate()
        return document
    }
}

/// Reading `ferry.<kind>/v<major>[.<minor>]`.
enum Schema {
    /// Checks the `schema` member of a parsed document before anything else is decoded.
    static func check<D: FerryDocument>(_ tree: JSONValue, as type: D.Type) throws(ManifestError) {
        guard case .object(let members) = tree else {
            throw ManifestError(.wrongType, "\(D.what) must be a JSON object")
        }
        guard let value = members["schema"] else {
            throw ManifestError(.missingField, "\(D.what) lacks the required field `schema`", field: "schema")
        }
        guard case .string(let schema) = value else {
            throw ManifestError(.wrongType, "in \(D.what), the field `schema` must be a string", field: "schema")
        }
        try check(schema, as: type)
    }

    static func check<D: FerryDocument>(_ schema: String, as type: D.Type) throws(ManifestError) {
        guard let (kind, major) = parse(schema) else {
            throw ManifestError(.unsupportedSchema, "\(D.what) has the schema \"\(schema)\", which is not a Ferry "
                + "schema (expected \(D.currentSchema))", field: "schema")
        }
        guard kind == D.kind else {
            throw ManifestError(.wrongDocument, "expected \(D.what) (\(D.currentSchema)) but found a \(schema) "
                + "document", field: "schema")
        }
        guard major == D.schemaMajor else {
            throw ManifestError(.unsupportedSchema, "\(D.what) is \(schema); this agent understands "
                + "v\(D.schemaMajor); upgrade ferry", field: "schema")
        }
    }

    /// `("manifest", 1)` from `ferry.manifest/v1` or `ferry.manifest/v1.3`.
    static func parse(_ schema: String) -> (kind: String, major: Int)? {
        guard schema.hasPrefix("ferry."), let slash = schema.firstIndex(of: "/") else { return nil }
        let kind = schema[schema.index(schema.startIndex, offsetBy: 6)..<slash]
        let version = schema[schema.index(after: slash)...]
        guard !kind.isEmpty, kind.allSatisfy({ $0.isASCII && $0.isLowercase }), version.first == "v" else { return nil }
        let numbers = version.dropFirst().split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(numbers.count), numbers.allSatisfy(isNumber), let major = Int(numbers[0]) else {
            return nil
        }
        return (String(kind), major)
    }

    private static func isNumber(_ text: Substring) -> Bool {
        !text.isEmpty && text.count <= 9 && text.allSatisfy { $0.isASCII && $0.isNumber }
            && (text == "0" || text.first != "0")
    }
}

/// Field checks shared by the documents' `validate()`.
enum Check {
    static func name(_ value: String, _ field: String, as kind: String) throws(ManifestError) {
        do {
            try Name.validate(value, as: kind)
        } catch {
            throw ManifestError(.invalidName, error.message, field: field)
        }
    }

    static func sha256(_ value: String, _ field: String) throws(ManifestError) {
        guard Hex.isSHA256(value) else {
            throw ManifestError(.invalidValue, "the field `\(field)` must be a SHA-256 digest: 64 lowercase hex digits",
                                field: field)
        }
    }

    static func timestamp(_ value: String, _ field: String) throws(ManifestError) {
        guard Timestamp.parse(value) != nil else {
            throw ManifestError(.invalidValue, "the field `\(field)` must be a UTC time such as "
                + "2024-05-01T12:00:00Z (RFC 3339), not \"\(value)\"", field: field)
        }
    }

    static func nonNegative(_ value: Int, _ field: String) throws(ManifestError) {
        guard value >= 0 else {
            throw ManifestError(.invalidValue, "the field `\(field)` must not be negative", field: field)
        }
    }
}
