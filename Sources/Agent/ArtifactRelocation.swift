import Foundation

/// Points a verified template at this silo's own copies of its artifacts, so that
/// CloudFormation (and the services it drives) read only bytes the agent checked against
/// the signed manifest (docs/security.md, "Artifacts").
///
/// The packager writes three forms into templates (Builder/PackagerRules.swift):
/// `s3://SHARED/KEY`, `{S3Bucket: SHARED, S3Key: KEY}` (or `Bucket`/`Key`), and, for
/// nested templates, the path-style URL `BASE/SHARED/KEY`. Relocation is a pure, textual
/// and deterministic rewrite of the signed bytes:
///
/// 1. every URL `http(s)://HOST/SHARED/KEY` whose KEY is an artifact of the manifest is a
///    nested template: it becomes `SILOBASE/SILO/KEY'`, where `KEY'` is the key the caller
///    stored the relocated nested template under (`nested(KEY)`);
/// 2. every other occurrence of the shared bucket's name, as a whole name (not inside a
///    longer bucket name), becomes the silo bucket's name. Code artifacts keep their
///    content-addressed key: the agent copies each one, verified, under the same key.
///
/// After it, the text names the shared bucket nowhere (but as a virtual-hosted host,
/// `SHARED.s3.…`, which `virtualHostedReference` finds and the agent refuses): a reference the manifest does not
/// list points into the silo bucket, where nothing unverified exists, and fails there.
public struct ArtifactRelocation: Sendable {
    public let sharedBucket: String
    public let siloBucket: String
    /// The path-style endpoint of the silo bucket (`https://s3.eu-west-1.amazonaws.com`).
    public let siloURLBase: String
    /// The keys of `manifest.artifacts`.
    public let artifactKeys: Set<String>

    public init(sharedBucket: String, siloBucket: String, siloURLBase: String, artifactKeys: Set<String>) {
        self.sharedBucket = sharedBucket
        self.siloBucket = siloBucket
        self.siloURLBase = siloURLBase.hasSuffix("/") ? String(siloURLBase.dropLast()) : siloURLBase
        self.artifactKeys = artifactKeys
    }

    /// The artifact keys `text` references as nested templates (URL form), in order of
    /// first appearance: what the caller must relocate and store before `relocate`.
    public func nestedTemplateKeys(in text: String) -> [String] {
        var seen: Set<String> = []
        return urlReferences(in: text).compactMap { seen.insert($0.key).inserted ? $0.key : nil }
    }

    /// The relocated text. `nested` maps a nested template's shared key to the silo key
    /// of its relocated copy; it is called once per URL reference.
    public func relocate(_ text: String, nested: (String) throws -> String) rethrows -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        var rest = text[...]
        for reference in urlReferences(in: text) {
            out += renameBucket(in: rest[..<reference.range.lowerBound])
            out += "\(siloURLBase)/\(siloBucket)/\(try nested(reference.key))"
            rest = text[reference.range.upperBound...]
        }
        out += renameBucket(in: rest)
        return out
    }

    /// Whether `text` names `bucket` as a virtual-hosted host (`bucket.s3.…`): a form the
    /// packager never writes and relocation cannot bind, refused by `SiloArtifacts`.
    public static func virtualHostedReference(to bucket: String, in text: String) -> Bool {
        var rest = text[...]
        while let hit = rest.range(of: bucket + ".s3") {
            let before = hit.lowerBound > rest.startIndex ? rest[rest.index(before: hit.lowerBound)] : nil
            if !isNameCharacter(before) { return true }
            rest = rest[hit.upperBound...]
        }
        return false
    }

    // MARK: Scanning

    struct URLReference {
        var range: Range<String.Index>
        var key: String
    }

    /// Every `http(s)://HOST/SHARED/KEY` with KEY an artifact key, in order.
    func urlReferences(in text: String) -> [URLReference] {
        var found: [URLReference] = []
        let marker = "/" + sharedBucket + "/"
        var searchStart = text.startIndex
        while let hit = text.range(of: marker, range: searchStart..<text.endIndex) {
            searchStart = hit.upperBound
            guard let start = urlStart(before: hit.lowerBound, in: text) else { continue }
            let keyEnd = text[hit.upperBound...].firstIndex(where: Self.endsURL) ?? text.endIndex
            let key = String(text[hit.upperBound..<keyEnd])
            guard artifactKeys.contains(key) else { continue }
            found.append(URLReference(range: start..<keyEnd, key: key))
            searchStart = keyEnd
        }
        return found
    }

    /// The start of `http://HOST` or `https://HOST` that ends at `end`, if there is one.
    private func urlStart(before end: String.Index, in text: String) -> String.Index? {
        var index = end
        while index > text.startIndex {
            let previous = text.index(before: index)
            let char = text[previous]
            if char == "/" { break }
            if Self.endsURL(char) { return nil }
            index = previous
        }
        // `index` is the start of HOST; before it must stand `http://` or `https://`.
        for scheme in ["https://", "http://"] {
            let head = text[..<index]
            if head.hasSuffix(scheme) { return text.index(index, offsetBy: -scheme.count) }
        }
        return nil
    }

    private static func endsURL(_ char: Character) -> Bool {
        char.isWhitespace || char == "\"" || char == "'" || char == "," || char == "}" || char == "]"
    }

    /// Replaces every whole-name occurrence of the shared bucket with the silo bucket.
    func renameBucket(in text: Substring) -> String {
        var out = ""
        var rest = text
        while let hit = rest.range(of: sharedBucket) {
            let before = hit.lowerBound > rest.startIndex ? rest[rest.index(before: hit.lowerBound)] : nil
            let after = hit.upperBound < rest.endIndex ? rest[hit.upperBound] : nil
            out += rest[..<hit.lowerBound]
            out += Self.isNameCharacter(before) || Self.isNameCharacter(after) ? sharedBucket : siloBucket
            rest = rest[hit.upperBound...]
        }
        out += rest
        return out
    }

    /// Characters a bucket name is made of: an occurrence next to one is part of a longer name.
    private static func isNameCharacter(_ char: Character?) -> Bool {
        guard let char, char.isASCII else { return false }
        return char.isLetter || char.isNumber || char == "-" || char == "." || char == "_"
    }
}
