/// Why a Ferry document, name, key or signature was refused.
///
/// One struct for the whole module: a `code` to switch on, a `message` a person can act
/// on, and the `field` (a path such as `stacks[2].template`) when one field is at fault.
/// Messages never contain key material.
public struct ManifestError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What kind of refusal this is. Compare with the static members: `error.code == .expired`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Storage: String, Hashable, Sendable {
            case tooLarge, invalidJSON, trailingGarbage, duplicateKey, nonIntegerNumber
            case numberOutOfRange, invalidUTF8, badEscape, tooDeep, notCanonical
            case missingField, wrongType, invalidValue, unsupportedSchema, wrongDocument
            case invalidName, invalidVersion, badKeyFile
            case noSignature, unknownKey, keyNotInRole, badSignature, issuerMismatch, expired
        }
        private let storage: Storage
        private init(_ storage: Storage) { self.storage = storage }
        public var description: String { storage.rawValue }

        // Parsing (strict JSON).
        /// The document is larger than its size cap (see `SizeCap`).
        public static let tooLarge = Code(.tooLarge)
        /// Not JSON at all: a syntax error.
        public static let invalidJSON = Code(.invalidJSON)
        /// Something follows the one JSON value.
        public static let trailingGarbage = Code(.trailingGarbage)
        /// An object repeats a key.
        public static let duplicateKey = Code(.duplicateKey)
        /// A number with a fraction or an exponent: Ferry documents hold integers only.
        public static let nonIntegerNumber = Code(.nonIntegerNumber)
        /// An integer outside ±(2^53 − 1), which not every JSON reader can hold exactly.
        public static let numberOutOfRange = Code(.numberOutOfRange)
        /// A string is not valid UTF-8 (or contains raw control characters).
        public static let invalidUTF8 = Code(.invalidUTF8)
        /// A backslash escape that JSON does not define, or a lone UTF-16 surrogate.
        public static let badEscape = Code(.badEscape)
        /// Arrays and objects nested deeper than `JSONLimits.maxDepth`.
        public static let tooDeep = Code(.tooDeep)
        /// A signed manifest whose bytes are not in canonical form.
        public static let notCanonical = Code(.notCanonical)

        // Decoding (the document's fields).
        /// A required field is absent.
        public static let missingField = Code(.missingField)
        /// A field holds the wrong JSON type (a string where an integer belongs, `null`...).
        public static let wrongType = Code(.wrongType)
        /// A field has the right type but a value Ferry refuses (bad digest, bad time...).
        public static let invalidValue = Code(.invalidValue)
        /// The `schema` names a major version this Ferry does not understand.
        public static let unsupportedSchema = Code(.unsupportedSchema)
        /// The `schema` names another kind of document (a pointer where a pin belongs).
        public static let wrongDocument = Code(.wrongDocument)

        // Names and keys.
        /// A pipeline, channel or silo name outside `[A-Za-z0-9._-]{1,128}`.
        public static let invalidName = Code(.invalidName)
        /// A version that is not semantic versioning 2.0.
        public static let invalidVersion = Code(.invalidVersion)
        /// A key file that cannot be read as a Ferry key file.
        public static let badKeyFile = Code(.badKeyFile)

        // Signatures.
        /// The signature list is empty.
        public static let noSignature = Code(.noSignature)
        /// No signature comes from a key in the trust store.
        public static let unknownKey = Code(.unknownKey)
        /// Trusted keys signed, but none of them holds the role this document needs.
        public static let keyNotInRole = Code(.keyNotInRole)
        /// A signature by a trusted key does not match the signed bytes (or is malformed).
        public static let badSignature = Code(.badSignature)
        /// `issuedBy` names a key that did not validly sign the document.
        public static let issuerMismatch = Code(.issuerMismatch)
        /// A pointer or pin whose `expiresAt` is not after now.
        public static let expired = Code(.expired)
    }

    /// What kind of refusal this is.
    public let code: Code
    /// What went wrong and what to do next, for a person.
    public let message: String
    /// The field at fault, as a path (`stacks[2].template`), when there is one.
    public let field: String?

    public init(_ code: Code, _ message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    public var description: String { message }
}
