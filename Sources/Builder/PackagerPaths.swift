import Foundation

/// Path arithmetic and the few file checks the packager makes.
enum PackagerPaths {
    enum Kind: Equatable { case file, folder, missing }

    /// Lexical normalisation, like Python's `os.path.normpath`: drops `.` and empty
    /// parts, folds `..` (never above `/`). Symbolic links are not resolved.
    static func normalize(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..":
                if let last = parts.last, last != ".." { parts.removeLast() } else if !absolute { parts.append(part) }
            default: parts.append(part)
            }
        }
        let joined = parts.joined(separator: "/")
        if absolute { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    /// The folder part of a path ("" for a bare name).
    static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The last component of a path.
    static func name(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    /// A URL rather than a local path: `s3://bucket/key`, `https://…`, any `scheme://`.
    static func isRemote(_ value: String) -> Bool {
        guard let range = value.range(of: "://") else { return false }
        let scheme = value[..<range.lowerBound]
        guard let first = scheme.first, first.isASCII, first.isLetter else { return false }
        return scheme.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }
    }

    /// File, folder (symbolic links followed) or nothing.
    static func kind(of path: String) -> Kind {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return .missing }
        return isFolder.boolValue ? .folder : .file
    }

    /// Whether the file is a zip (a jar is one): it has an end-of-central-directory
    /// record where Python's `zipfile.is_zipfile` looks for it, in the last 64 KiB + 22 bytes.
    static func isZip(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd(), size >= 22 else { return false }
        let tail = min(size, 65_557)
        guard (try? handle.seek(toOffset: size - tail)) != nil,
              let data = try? handle.read(upToCount: Int(tail)) else { return false }
        return hasZipEnd(data)
    }

    /// Whether `data` (a file, or at least its last 64 KiB + 22 bytes) ends like a zip:
    /// an end-of-central-directory record in its last 65,557 bytes.
    static func hasZipEnd(_ data: Data) -> Bool {
        guard data.count >= 22 else { return false }
        let bytes = [UInt8](data.suffix(65_557))
        let signature: [UInt8] = [0x50, 0x4B, 0x05, 0x06]
        var index = bytes.count - 22
        while index >= 0 {
            if bytes[index] == signature[0], Array(bytes[index..<index + 4]) == signature { return true }
            index -= 1
        }
        return false
    }
}
