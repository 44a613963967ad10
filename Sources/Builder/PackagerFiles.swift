import Foundation

/// Where the packager reads templates and asks what a path is. `DiskFiles` reads the
/// file system; the builder reads a git commit (`CommitFiles`), so that packaging
/// needs no checkout. Paths are absolute and normalised.
public protocol PackagerFiles {
    /// File, folder or nothing.
    func kind(of path: String) -> PackagerKind
    /// The bytes of the file at `path`.
    func contents(of path: String) throws -> Data
    /// Whether the file at `path` is a zip (or jar): `PackagerPaths.hasZipEnd`.
    func isZip(_ path: String) -> Bool
}

/// What a path is, for the packager.
public enum PackagerKind: Sendable, Equatable { case file, folder, missing }

/// The file system (symbolic links followed).
public struct DiskFiles: PackagerFiles {
    public init() {}

    public func kind(of path: String) -> PackagerKind {
        switch PackagerPaths.kind(of: path) {
        case .file: .file
        case .folder: .folder
        case .missing: .missing
        }
    }

    public func contents(of path: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: path))
    }

    public func isZip(_ path: String) -> Bool { PackagerPaths.isZip(path) }
}
