/// A pipeline definition is wrong: what kind of mistake, in which file and on which
/// line, and a message that says what to change. Prints as `file:line: message`.
public struct PipelineDefinitionError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// The file cannot be read.
        case unreadable
        /// The file is not valid YAML.
        case invalidYAML
        /// A key no part of the format has.
        case unknownKey
        /// A value of the wrong type (a list where a string belongs, …).
        case wrongType
        /// A required key is absent.
        case missingKey
        /// A pipeline, stack, test, channel, parameter or variable name breaks its rules.
        case invalidName
        /// The same name twice where names must be unique.
        case duplicateName
        /// A value of the right type that is not allowed (an empty string, a bad region, a tag too long, …).
        case invalidValue
        /// A path that is absolute or leaves its folder with `..`.
        case invalidPath
        /// A stack's template file is not in the source.
        case missingTemplate
        /// `dependsOn` names a stack the pipeline does not have.
        case unknownDependency
        /// Stacks depend on each other in a circle.
        case dependencyCycle
        /// A capability CloudFormation does not have.
        case invalidCapability
        /// A test timeout that is not a positive number of seconds, minutes or hours.
        case invalidTimeout
        /// The `pipeline:` name differs from the file's name.
        case nameMismatch
    }

    public var code: Code
    /// The file, as the caller named it (e.g. `pipelines/webapp.yaml`).
    public var file: String
    /// 1-based line, when the mistake has one.
    public var line: Int?
    public var message: String

    public init(code: Code, file: String, line: Int?, message: String) {
        self.code = code
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        line.map { "\(file):\($0): \(message)" } ?? "\(file): \(message)"
    }

    /// ` (did you mean 'x'?)` for the closest candidate within a small edit distance
    /// (or equal but for case), else "".
    static func suggestion(for word: String, among candidates: [String]) -> String {
        let lowered = word.lowercased()
        var best: (String, Int)?
        for candidate in candidates {
            let distance = candidate.lowercased() == lowered ? 0 : editDistance(lowered, candidate.lowercased())
            if distance <= max(1, min(3, candidate.count / 3)), distance < (best?.1 ?? .max) {
                best = (candidate, distance)
            }
        }
        return best.map { " (did you mean '\($0.0)'?)" } ?? ""
    }

    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in stride(from: 1, through: b.count, by: 1) {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }
}
