import Foundation

/// A moment as git records it: seconds since the Unix epoch and the author's UTC offset.
public struct GitTime: Sendable, Hashable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00:00Z.
    public let secondsSinceEpoch: Int64
    /// The UTC offset of the person's clock, in minutes (e.g. +120 for CEST).
    public let offsetMinutes: Int

    public init(secondsSinceEpoch: Int64, offsetMinutes: Int = 0) {
        self.secondsSinceEpoch = secondsSinceEpoch
        self.offsetMinutes = offsetMinutes
    }

    /// The time of `date`, truncated to whole seconds, at UTC offset `offsetMinutes`.
    public init(_ date: Date, offsetMinutes: Int = 0) {
        self.init(secondsSinceEpoch: Int64(date.timeIntervalSince1970.rounded(.down)), offsetMinutes: offsetMinutes)
    }

    /// The same instant as a `Date` (the offset does not change the instant).
    public var date: Date { Date(timeIntervalSince1970: TimeInterval(secondsSinceEpoch)) }

    /// Git's own form: `1700000000 +0100`.
    public var description: String {
        let sign = offsetMinutes < 0 ? "-" : "+"
        let minutes = abs(offsetMinutes)
        let hhmm = String(format: "%02d%02d", minutes / 60, minutes % 60)
        return "\(secondsSinceEpoch) \(sign)\(hhmm)"
    }
}

/// Who did something in git, and when: an author, a committer or a tagger.
public struct Signature: Sendable, Hashable {
    public let name: String
    public let email: String
    public let time: GitTime

    public init(name: String, email: String, time: GitTime) {
        self.name = name
        self.email = email
        self.time = time
    }
}

/// A commit, copied out of libgit2 into plain values.
public struct Commit: Sendable, Hashable {
    /// The commit id, 40 lowercase hex digits.
    public let id: String
    /// The id of the commit's root tree, 40 lowercase hex digits.
    public let treeId: String
    public let author: Signature
    public let committer: Signature
    /// The full commit message, as stored (usually ending in a newline).
    public let message: String

    public init(id: String, treeId: String, author: Signature, committer: Signature, message: String) {
        self.id = id
        self.treeId = treeId
        self.author = author
        self.committer = committer
        self.message = message
    }

    /// The message's first line, without its newline.
    public var subject: String {
        String(message.prefix { $0 != "\n" && $0 != "\r\n" })
    }

    /// When the commit was made: the committer's time. Builds use it as their
    /// `createdAt` and zip mtime so that a rebuild is byte-identical.
    public var time: GitTime { committer.time }
}

/// A tag and the commit it names.
public struct TagInfo: Sendable, Hashable {
    /// The short name, without `refs/tags/`.
    public let name: String
    /// The commit the tag peels to, 40 hex digits.
    public let targetCommit: String
    /// True for an annotated tag (a tag object), false for a lightweight tag.
    public let annotated: Bool
    /// The tagger of an annotated tag.
    public let tagger: Signature?
    /// The message of an annotated tag, as stored.
    public let message: String?

    public init(name: String, targetCommit: String, annotated: Bool, tagger: Signature?, message: String?) {
        self.name = name
        self.targetCommit = targetCommit
        self.annotated = annotated
        self.tagger = tagger
        self.message = message
    }
}
