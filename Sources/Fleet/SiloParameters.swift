import Foundation
import Manifest
import Yams

/// One parameter a CloudFormation template declares.
public struct TemplateParameter: Sendable, Equatable {
    public var name: String
    public var type: String
    public var defaultValue: String?
    public var allowedPattern: String?
    public var allowedValues: [String]

    public init(name: String, type: String, defaultValue: String? = nil, allowedPattern: String? = nil,
                allowedValues: [String] = []) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.allowedPattern = allowedPattern
        self.allowedValues = allowedValues
    }

    /// The template's `Parameters`, in the order written (YAML or JSON; short tags allowed).
    public static func parse(template text: String, file: String) throws(FleetError) -> [TemplateParameter] {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw FleetError(.invalidInput, "\(file) is not a YAML or JSON template: \(error)")
        }
        guard let mapping = root?.mapping else {
            throw FleetError(.invalidInput, "\(file) is not a CloudFormation template: it is not a mapping")
        }
        guard let parameters = mapping["Parameters"] else { return [] }
        guard let declared = parameters.mapping else {
            throw FleetError(.invalidInput, "\(file): Parameters must be a mapping of names to declarations")
        }
        return declared.compactMap { name, declaration -> TemplateParameter? in
            guard let name = name.string else { return nil }
            let fields = declaration.mapping
            return TemplateParameter(
                name: name, type: fields?["Type"]?.string ?? "String", defaultValue: fields?["Default"]?.string,
                allowedPattern: fields?["AllowedPattern"]?.string,
                allowedValues: fields?["AllowedValues"]?.sequence?.compactMap(\.string) ?? [])
        }
    }
}

/// The values `ferry bootstrap` gives the silo template, from its flags.
public struct SiloSettings: Sendable, Equatable {
    public var bucket: String?
    /// The key prefix (`ferry/` or `ferry`): the template takes it without the slash.
    public var prefix: String?
    public var pipelines: [String]
    public var channel: String?
    /// The public key file text trusted for each role.
    public var keys: [Role: String]
    /// `--parameter Key=Value` for every other parameter.
    public var extra: [String: String]

    public init(bucket: String? = nil, prefix: String? = nil, pipelines: [String] = [], channel: String? = nil,
                keys: [Role: String] = [:], extra: [String: String] = [:]) {
        self.bucket = bucket
        self.prefix = prefix
        self.pipelines = pipelines
        self.channel = channel
        self.keys = keys
        self.extra = extra
    }
}

/// Maps `ferry bootstrap`'s flags to the silo template's parameters and checks them
/// against what the template declares, before any AWS call. Pure.
public enum SiloParameters {
    /// Template parameter ← the flag that sets it.
    static let flags: [(parameter: String, flag: String)] = [
        ("ReleaseBucket", "--bucket"), ("Prefix", "--prefix"), ("Pipelines", "--pipeline"), ("Channel", "--channel"),
        ("BuilderPublicKey", "--trust FILE.pub=builder"), ("ReleasePublicKey", "--trust FILE.pub=release"),
        ("OncallPublicKey", "--trust FILE.pub=oncall"),
    ]
    static let keyParameters: [Role: String] = [
        .builder: "BuilderPublicKey", .release: "ReleasePublicKey", .oncall: "OncallPublicKey",
    ]

    /// The parameters to create the stack set with, in the template's order; parameters
    /// left to their defaults are not sent.
    public static func make(_ settings: SiloSettings, declared: [TemplateParameter],
                            file: String) throws(FleetError) -> [(key: String, value: String)] {
        var values: [String: String] = [:]
        if let bucket = settings.bucket { values["ReleaseBucket"] = bucket }
        if let prefix = settings.prefix {
            values["Prefix"] = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
        }
        if !settings.pipelines.isEmpty { values["Pipelines"] = settings.pipelines.joined(separator: ",") }
        if let channel = settings.channel { values["Channel"] = channel }
        for (role, text) in settings.keys {
            values[keyParameters[role]!] = text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        for (key, value) in settings.extra.sorted(by: { $0.key < $1.key }) {
            if let flag = flags.first(where: { $0.parameter == key })?.flag {
                throw FleetError(.invalidInput, "--parameter \(key): set it with \(flag)")
            }
            values[key] = value
        }
        let names = Set(declared.map(\.name))
        for key in values.keys.sorted() where !names.contains(key) {
            throw FleetError(.invalidInput, "\(file) declares no parameter \(key) (it declares "
                + declared.map(\.name).joined(separator: ", ") + "); give the silo template, stacksets/ferry-silo.yaml")
        }
        var result: [(key: String, value: String)] = []
        for parameter in declared {
            guard let value = values[parameter.name] else {
                if parameter.defaultValue == nil {
                    let flag = flags.first { $0.parameter == parameter.name }?.flag ?? "--parameter \(parameter.name)=VALUE"
                    throw FleetError(.invalidInput, "\(file) needs a value for \(parameter.name): pass \(flag)")
                }
                continue
            }
            try check(value, against: parameter)
            result.append((parameter.name, value))
        }
        return result
    }

    /// Refuses a value the template's `AllowedValues` or `AllowedPattern` would refuse.
    static func check(_ value: String, against parameter: TemplateParameter) throws(FleetError) {
        if !parameter.allowedValues.isEmpty, !parameter.allowedValues.contains(value) {
            throw FleetError(.invalidInput, "\(parameter.name) must be one of "
                + parameter.allowedValues.joined(separator: ", ") + ", not \"\(value)\"")
        }
        guard let pattern = parameter.allowedPattern, !parameter.type.contains("List") else { return }
        guard let regex = try? NSRegularExpression(pattern: "^(?:\(pattern))$") else { return }
        let range = NSRange(value.startIndex..., in: value)
        if regex.firstMatch(in: value, range: range) == nil {
            throw FleetError(.invalidInput, "\(parameter.name) \"\(value)\" does not match the template's "
                + "AllowedPattern \(pattern)")
        }
    }
}
