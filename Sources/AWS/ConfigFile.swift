/// An AWS shared config or credentials file (INI): `[section]` headers and
/// `key = value` lines; `#` and `;` start comment lines; indented lines under an empty
/// `key =` form a nested block (such as `s3 =`), kept as `key.sub`.
public struct AWSConfigFile: Sendable, Equatable {
    public let path: String
    public let sections: [String: [String: String]]

    public init(path: String, text: String) {
        self.path = path
        var sections: [String: [String: String]] = [:]
        var current: String?
        var nested: String?
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                let name = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                current = name.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
                nested = nil
                if sections[current!] == nil { sections[current!] = [:] }
                continue
            }
            guard let section = current, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            let indented = rawLine.first?.isWhitespace == true
            if indented, let parent = nested {
                sections[section]!["\(parent).\(key)"] = value
            } else if value.isEmpty {
                nested = key
            } else {
                nested = nil
                sections[section]![key] = value
            }
        }
        self.sections = sections
    }
}

/// The profiles of `~/.aws/config` and `~/.aws/credentials` together. In the config
/// file a profile is `[profile NAME]` (or `[default]`); in the credentials file it is
/// `[NAME]`. Where both set a key, the credentials file wins, as in the AWS CLI.
public struct AWSProfiles: Sendable, Equatable {
    public let config: AWSConfigFile?
    public let credentials: AWSConfigFile?
    public let configPath: String
    public let credentialsPath: String

    public init(configPath: String, config: String?, credentialsPath: String, credentials: String?) {
        self.configPath = configPath
        self.credentialsPath = credentialsPath
        self.config = config.map { AWSConfigFile(path: configPath, text: $0) }
        self.credentials = credentials.map { AWSConfigFile(path: credentialsPath, text: $0) }
    }

    /// A profile's settings from both files, or nil when neither file has it.
    public func settings(_ profile: String) -> [String: String]? {
        let fromConfig = config?.sections["profile \(profile)"] ?? (profile == "default" ? config?.sections["default"] : nil)
        let fromCredentials = credentials?.sections[profile]
        guard fromConfig != nil || fromCredentials != nil else { return nil }
        return (fromConfig ?? [:]).merging(fromCredentials ?? [:]) { $1 }
    }
}
