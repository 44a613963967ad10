import Basics
/// Names of pipelines, channels and silos: what may appear in a bucket key.
public enum Name {
    /// The longest name, in characters.
    public static let maxLength = 128

    /// Refuses a name outside `[A-Za-z0-9._-]{1,128}`, and `.` and `..` (HTTP clients
    /// would fold them out of a URL path). `kind` names it in the message ("pipeline").
    public static func validate(_ name: String, as kind: String) throws(ManifestError) {
        let allowed = name.utf8.allSatisfy {
            $0.isASCIIAlphanumeric || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
        }
        guard allowed, (1...maxLength).contains(name.utf8.count), name != ".", name != ".." else {
            throw ManifestError(.invalidName, "the \(kind) name \"\(name)\" is not allowed; use 1 to \(maxLength) "
                + "letters, digits, '.', '_' or '-' (not \".\" or \"..\")")
        }
    }
}

/// Every key of the shared bucket (DESIGN.md, "Bucket layout"), under a prefix:
///
/// ```
/// PREFIX/artifacts/sha256/<hex>
/// PREFIX/releases/<pipeline>/<version>/bundle.zip | manifest.json | manifest.sig
/// PREFIX/channels/<pipeline>/<channel>.json
/// PREFIX/pins/<pipeline>/<silo>.json
/// PREFIX/status/<pipeline>/<silo>.json
/// PREFIX/codepipeline/<pipeline>.zip
/// ```
///
/// Names are checked (`Name.validate`); a version is a `SemVer`, written whole, build
/// metadata included (`releases/webapp/1.2.0+build.7/`): percent-encoding `+` in a URL
/// is the HTTP client's job.
public struct BucketLayout: Sendable, Equatable {
    /// The prefix every key starts with: empty, or ending in `/`.
    public let prefix: String

    /// A layout under `prefix`; a `/` is added when it does not end with one.
    public init(prefix: String = "ferry/") {
        self.prefix = prefix.isEmpty || prefix.hasSuffix("/") ? prefix : prefix + "/"
    }

    /// `PREFIX/artifacts/sha256/<hex>`: a content-addressed artifact.
    public func artifact(sha256: String) throws(ManifestError) -> String {
        guard Hex.isSHA256(sha256) else {
            throw ManifestError(.invalidValue, "\"\(sha256)\" is not a SHA-256 digest: 64 lowercase hex digits")
        }
        return prefix + "artifacts/sha256/" + sha256
    }

    /// `PREFIX/releases/<pipeline>/<version>/bundle.zip`.
    public func bundle(pipeline: String, version: SemVer) throws(ManifestError) -> String {
        try release(pipeline: pipeline, version: version) + "bundle.zip"
    }

    /// `PREFIX/releases/<pipeline>/<version>/manifest.json`.
    public func manifest(pipeline: String, version: SemVer) throws(ManifestError) -> String {
        try release(pipeline: pipeline, version: version) + "manifest.json"
    }

    /// `PREFIX/releases/<pipeline>/<version>/manifest.sig`.
    public func signature(pipeline: String, version: SemVer) throws(ManifestError) -> String {
        try release(pipeline: pipeline, version: version) + "manifest.sig"
    }

    /// `PREFIX/releases/<pipeline>/<version>/`: the folder of one release.
    public func release(pipeline: String, version: SemVer) throws(ManifestError) -> String {
        try releasesPrefix(pipeline: pipeline) + version.description + "/"
    }

    /// `PREFIX/releases/<pipeline>/`: list it to find every release of a pipeline.
    public func releasesPrefix(pipeline: String) throws(ManifestError) -> String {
        try Name.validate(pipeline, as: "pipeline")
        return prefix + "releases/" + pipeline + "/"
    }

    /// `PREFIX/channels/<pipeline>/<channel>.json`: the signed channel pointer.
    public func channel(pipeline: String, channel: String) throws(ManifestError) -> String {
        try Name.validate(pipeline, as: "pipeline")
        try Name.validate(channel, as: "channel")
        return prefix + "channels/" + pipeline + "/" + channel + ".json"
    }

    /// `PREFIX/pins/<pipeline>/<silo>.json`: the signed pin of one silo.
    public func pin(pipeline: String, silo: String) throws(ManifestError) -> String {
        try pinsPrefix(pipeline: pipeline) + siloFile(silo)
    }

    /// `PREFIX/pins/<pipeline>/`: list it to find every pinned silo.
    public func pinsPrefix(pipeline: String) throws(ManifestError) -> String {
        try Name.validate(pipeline, as: "pipeline")
        return prefix + "pins/" + pipeline + "/"
    }

    /// `PREFIX/status/<pipeline>/<silo>.json`: what the silo's agent last did.
    public func status(pipeline: String, silo: String) throws(ManifestError) -> String {
        try statusPrefix(pipeline: pipeline) + siloFile(silo)
    }

    /// `PREFIX/status/<pipeline>/`: list it to find every silo's report.
    public func statusPrefix(pipeline: String) throws(ManifestError) -> String {
        try Name.validate(pipeline, as: "pipeline")
        return prefix + "status/" + pipeline + "/"
    }

    /// `PREFIX/codepipeline/<pipeline>.zip`: a fixed key whose S3 versions are the releases.
    public func codepipeline(pipeline: String) throws(ManifestError) -> String {
        try Name.validate(pipeline, as: "pipeline")
        return prefix + "codepipeline/" + pipeline + ".zip"
    }

    private func siloFile(_ silo: String) throws(ManifestError) -> String {
        try Name.validate(silo, as: "silo")
        return silo + ".json"
    }
}
