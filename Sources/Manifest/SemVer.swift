/// A release version: Semantic Versioning 2.0.0 (`1.4.2`, `2.0.0-rc.1`, `1.2.0+build.7`).
///
/// `<` sorts by semver precedence (build metadata ignored, a pre-release before its
/// release, numeric identifiers numerically and before alphanumeric ones); two versions
/// that differ only in build metadata are then ordered by that metadata's text, so the
/// order stays total and consistent with `==`, which compares the whole version. Use
/// `hasSamePrecedence(as:)` to ask what semver itself asks. Encoded as a JSON string.
public struct SemVer: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    public let major: Int
    public let minor: Int
    public let patch: Int
    /// The dot-separated pre-release identifiers (`["rc", "1"]`); empty for a release.
    public let prerelease: [String]
    /// The dot-separated build metadata identifiers (`["build", "7"]`).
    public let build: [String]

    /// `major.minor.patch`, with no pre-release or build identifiers.
    public init(major: Int, minor: Int, patch: Int) {
        self.major = major
        self.minor = minor
        self.patch = patch
        prerelease = []
        build = []
    }

    /// A version as people write it in tags and on the command line: `v1.4.2` or `1.4.2`.
    public init(versionOrTag text: String) throws(ManifestError) {
        try self.init(text.hasPrefix("v") ? String(text.dropFirst()) : text)
    }

    /// Parses a version, strictly: no leading `v`, no leading zeros in numbers,
    /// identifiers of `[0-9A-Za-z-]` only and never empty.
    public init(_ text: String) throws(ManifestError) {
        func refuse(_ why: String) -> ManifestError {
            ManifestError(.invalidVersion, "\"\(text)\" is not a semantic version (\(why)); "
                + "use MAJOR.MINOR.PATCH with optional -PRERELEASE and +BUILD, e.g. 1.4.2 or 2.0.0-rc.1")
        }
        var rest = Substring(text)
        var build: [String] = []
        if let plus = rest.firstIndex(of: "+") {
            build = rest[rest.index(after: plus)...].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            rest = rest[..<plus]
            guard build.allSatisfy(SemVer.isIdentifier) else { throw refuse("bad build metadata") }
        }
        var prerelease: [String] = []
        if let dash = rest.firstIndex(of: "-") {
            prerelease = rest[rest.index(after: dash)...].split(separator: ".", omittingEmptySubsequences: false)
                .map(String.init)
            rest = rest[..<dash]
            guard prerelease.allSatisfy({ SemVer.isIdentifier($0) && !SemVer.hasLeadingZero($0) }) else {
                throw refuse("bad pre-release")
            }
        }
        let core = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard core.count == 3 else { throw refuse("it needs three numbers") }
        var numbers: [Int] = []
        for part in core {
            guard SemVer.isNumeric(part), !SemVer.hasLeadingZero(part), let number = Int(part) else {
                throw refuse("\"\(part)\" is not a number without leading zeros")
            }
            numbers.append(number)
        }
        (major, minor, patch) = (numbers[0], numbers[1], numbers[2])
        self.prerelease = prerelease
        self.build = build
    }

    public var description: String {
        var text = "\(major).\(minor).\(patch)"
        if !prerelease.isEmpty { text += "-" + prerelease.joined(separator: ".") }
        if !build.isEmpty { text += "+" + build.joined(separator: ".") }
        return text
    }

    /// Whether the two versions have equal semver precedence (they may differ in build metadata).
    public func hasSamePrecedence(as other: SemVer) -> Bool { SemVer.precedence(self, other) == 0 }

    public static func < (lhs: SemVer, rhs: SemVer) -> Bool {
        let order = precedence(lhs, rhs)
        if order != 0 { return order < 0 }
        return lhs.build.joined(separator: ".").utf8.lexicographicallyPrecedes(rhs.build.joined(separator: ".").utf8)
    }

    /// -1, 0 or 1 by semver 2.0.0 §11.
    private static func precedence(_ lhs: SemVer, _ rhs: SemVer) -> Int {
        for (left, right) in [(lhs.major, rhs.major), (lhs.minor, rhs.minor), (lhs.patch, rhs.patch)] where left != right {
            return left < right ? -1 : 1
        }
        switch (lhs.prerelease.isEmpty, rhs.prerelease.isEmpty) {
        case (true, true): return 0
        case (true, false): return 1
        case (false, true): return -1
        case (false, false): break
        }
        for (left, right) in zip(lhs.prerelease, rhs.prerelease) where left != right {
            switch (isNumeric(left[...]), isNumeric(right[...])) {
            case (true, true):  // No leading zeros: the longer number is the larger.
                return (left.count, left) < (right.count, right) ? -1 : 1
            case (true, false): return -1
            case (false, true): return 1
            case (false, false): return left.utf8.lexicographicallyPrecedes(right.utf8) ? -1 : 1
            }
        }
        return lhs.prerelease.count == rhs.prerelease.count ? 0 : (lhs.prerelease.count < rhs.prerelease.count ? -1 : 1)
    }

    private static func isIdentifier(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "-") }
    }

    private static func isNumeric(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    private static func hasLeadingZero<S: StringProtocol>(_ text: S) -> Bool {
        isNumeric(Substring(text)) && text.count > 1 && text.first == "0"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try SemVer(text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.message)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension UInt8 {
    var isASCIIAlphanumeric: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
    }
}
