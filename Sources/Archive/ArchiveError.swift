/// A failure in the Archive module: what went wrong, which entry, what to do next,
/// and the libarchive (or libc) call and message underneath.
public struct ArchiveError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// The extraction folder (or the zip being written) already exists.
        case destinationExists
        /// An entry name is absolute, climbs out with `..`, is empty, or holds a backslash or NUL.
        case unsafePath
        /// A symbolic or hard link entry: Ferry bundles carry regular files only.
        case link
        /// A device, FIFO or socket entry.
        case unsupportedEntryType
        /// Two entries with the same name (also after normalisation), or a file where a folder is needed.
        case duplicateEntry
        /// Entries given to the writer out of byte order.
        case unsortedEntries
        /// More entries than `ExtractLimits.maxEntries`.
        case tooManyEntries
        /// More bytes than `ExtractLimits.maxBytes`.
        case tooLarge
        /// A compression ratio beyond `ExtractLimits.maxRatio`: a zip bomb.
        case compressionRatio
        /// An entry's data does not match the size its header declares.
        case sizeMismatch
        /// Not a zip, or a damaged one (libarchive's message says where).
        case corrupt
        /// Reading or writing a file failed.
        case io
        /// Any other libarchive failure.
        case library
    }

    public let code: Code
    /// What happened and what to do next, for a person.
    public let message: String
    /// The entry name involved, as it appears in the zip.
    public let entry: String?
    /// The C function that failed, e.g. `archive_read_next_header` or `openat`.
    public let function: String?
    /// libarchive's `archive_error_string`, or `strerror(errno)`.
    public let cause: String?

    public init(_ code: Code, _ message: String, entry: String? = nil, function: String? = nil, cause: String? = nil) {
        self.code = code
        self.message = message
        self.entry = entry
        self.function = function
        self.cause = cause
    }

    public var description: String {
        var text = message
        if let function, let cause { text += " (\(function): \(cause))" }
        else if let function { text += " (\(function))" }
        else if let cause { text += " (\(cause))" }
        return text
    }
}
