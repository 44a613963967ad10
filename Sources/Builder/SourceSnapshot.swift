import Foundation
import Git
import Manifest

/// A tag `ferry release` will create once the tests passed and the bundle is built. The
/// build records it as if it existed, so that building the tag later gives the same bundle.
public struct PlannedTag: Sendable, Equatable {
    /// `v<version>`.
    public var name: String
    public var version: SemVer
    public var tagger: Signature
    /// The annotated tag's message; its first line is the manifest's `source.subject`.
    public var message: String

    public init(version: SemVer, tagger: Signature, message: String) {
        name = "v" + version.description
        self.version = version
        self.tagger = tagger
        self.message = message
    }
}

/// The commit a build is made from and what the manifest says about it.
public struct SourceSnapshot: Sendable, Equatable {
    public let commit: Commit
    /// The release tag: the tag built, the commit's release tag, or a planned one.
    public let tagName: String?
    public let version: SemVer
    /// `Name <email>` of the annotated tag's tagger, else of the commit's author.
    public let author: String
    /// The first line of the annotated tag's message, else of the commit's.
    public let subject: String

    /// The manifest's `source`.
    public func manifestSource(repositoryName: String) -> Manifest.Source {
        Manifest.Source(repository: repositoryName, commit: commit.id, tag: tagName, author: author, subject: subject)
    }

    /// `0.0.0-g<first 12 digits of the commit id>`: the version of an untagged build.
    public static func untaggedVersion(_ commit: Commit) -> SemVer {
        // A hex prefix is always a valid pre-release identifier.
        try! SemVer("0.0.0-g" + commit.id.prefix(12))
    }

    /// `v1.4.2` or `1.4.2` → 1.4.2; nil for a tag that is not a version.
    public static func version(ofTag name: String) -> SemVer? {
        try? SemVer(versionOrTag: name)
    }

    /// Resolves `ref` (a tag, branch, commit id or `HEAD`) and decides the version:
    ///
    /// - with `planned` (a release), its version and tag; a tag of that name already on
    ///   this commit is used as it is, one on another commit is refused;
    /// - else, when `ref` is a version tag (`v1.4.2`), that tag;
    /// - else the commit's version tags, the highest when there are several;
    /// - else the untagged version `0.0.0-g<commit12>`.
    ///
    /// So a commit builds the same whether it is named by its tag, a branch or its id.
    public static func resolve(_ ref: String, in repository: Repository,
                               planned: PlannedTag? = nil) throws(BuildError) -> SourceSnapshot {
        let commit: Commit
        do {
            commit = try repository.resolve(ref)
        } catch {
            throw BuildError(error, doing: "resolving '\(ref)'")
        }
        let tag: TagInfo?
        do {
            if let planned {
                if let existing = try repository.tag(named: planned.name) {
                    guard existing.targetCommit == commit.id else {
                        throw BuildError(.tag, "tag \(planned.name) already exists on commit \(existing.targetCommit), not on "
                            + "\(commit.id) (\(ref)): a released version never moves; choose a new version")
                    }
                    tag = existing
                } else {
                    let subject = String(planned.message.prefix { $0 != "\n" })
                    return SourceSnapshot(commit: commit, tagName: planned.name, version: planned.version,
                                          author: person(planned.tagger), subject: subject)
                }
            } else if let named = try repository.tag(named: ref), version(ofTag: named.name) != nil,
                      named.targetCommit == commit.id {
                tag = named
            } else {
                tag = try repository.tags(pointingAt: commit)
                    .compactMap { tag in version(ofTag: tag.name).map { (tag, $0) } }
                    .max { $0.1 < $1.1 }?.0
            }
        } catch let error as BuildError {
            throw error
        } catch let error as GitError {
            throw BuildError(error, doing: "reading the tags of \(commit.id)")
        } catch {
            throw BuildError(.source, "reading the tags of \(commit.id)", cause: "\(error)")
        }
        guard let tag, let version = planned?.version ?? version(ofTag: tag.name) else {
            return SourceSnapshot(commit: commit, tagName: nil, version: untaggedVersion(commit),
                                  author: person(commit.author), subject: commit.subject)
        }
        if tag.annotated, let tagger = tag.tagger {
            let subject = String((tag.message ?? "").prefix { $0 != "\n" })
            return SourceSnapshot(commit: commit, tagName: tag.name, version: version, author: person(tagger),
                                  subject: subject.isEmpty ? commit.subject : subject)
        }
        return SourceSnapshot(commit: commit, tagName: tag.name, version: version, author: person(commit.author),
                              subject: commit.subject)
    }

    static func person(_ signature: Signature) -> String { "\(signature.name) <\(signature.email)>" }
}
