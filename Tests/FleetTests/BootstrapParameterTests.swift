import Fleet
import Foundation
import Manifest
import TestSupport
import Testing

/// `ferry bootstrap`'s pure parts: reading the template's Parameters, mapping the flags to
/// them and refusing what CloudFormation would refuse, and which OUs still need instances.
struct BootstrapParameterTests {
    static let siloTemplate = TestEnvironment.packageRoot + "/stacksets/ferry-silo.yaml"
    static let publicKey = "ferry-ed25519-public 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"

    func declared() throws -> [TemplateParameter] {
        try TemplateParameter.parse(template: try String(contentsOfFile: Self.siloTemplate, encoding: .utf8),
                                    file: "ferry-silo.yaml")
    }

    @Test func theSiloTemplatesParametersAreRead() throws {
        let parameters = try declared()
        let byName = Dictionary(uniqueKeysWithValues: parameters.map { ($0.name, $0) })
        #expect(parameters.first?.name == "ReleaseBucket")
        #expect(byName["ReleaseBucket"]?.defaultValue == nil)
        #expect(byName["BuilderPublicKey"]?.defaultValue == nil)
        #expect(byName["Prefix"]?.defaultValue == "ferry")
        #expect(byName["ReleasePublicKey"]?.defaultValue == "")
        #expect(byName["Pipelines"]?.type == "CommaDelimitedList")
        #expect(byName["LocalEmulator"]?.allowedValues == ["true", "false"])
        #expect(byName["Channel"]?.allowedPattern == "[a-z0-9][a-z0-9-]{0,31}")
        #expect(byName["PollIntervalSeconds"]?.defaultValue == "30")
    }

    @Test func theFlagsBecomeTheTemplatesParameters() throws {
        let settings = SiloSettings(bucket: "ferry-releases", prefix: "ferry/", pipelines: ["dropzone", "ingest"],
                                    channel: "canary", keys: [.builder: Self.publicKey, .oncall: Self.publicKey],
                                    extra: ["LocalEmulator": "true", "PollIntervalSeconds": "60"])
        let values = try SiloParameters.make(settings, declared: try declared(), file: "ferry-silo.yaml")
        let key = "ferry-ed25519-public 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
        #expect(values.map { "\($0.key)=\($0.value)" } == [
            "ReleaseBucket=ferry-releases", "Prefix=ferry", "Pipelines=dropzone,ingest", "Channel=canary",
            "PollIntervalSeconds=60", "BuilderPublicKey=\(key)", "OncallPublicKey=\(key)", "LocalEmulator=true",
        ])
    }

    @Test(arguments: [
        // (settings, what the error says)
        (SiloSettings(pipelines: ["a"], keys: [.builder: publicKey]), "needs a value for ReleaseBucket: pass --bucket"),
        (SiloSettings(bucket: "b-b-b", keys: [.builder: publicKey]), "needs a value for Pipelines: pass --pipeline"),
        (SiloSettings(bucket: "b-b-b", pipelines: ["a"]), "needs a value for BuilderPublicKey: pass --trust FILE.pub=builder"),
        (SiloSettings(bucket: "b-b-b", pipelines: ["a"], keys: [.builder: publicKey], extra: ["Bogus": "1"]),
         "declares no parameter Bogus"),
        (SiloSettings(bucket: "b-b-b", pipelines: ["a"], keys: [.builder: publicKey], extra: ["ReleaseBucket": "x"]),
         "--parameter ReleaseBucket: set it with --bucket"),
        (SiloSettings(bucket: "B_B", pipelines: ["a"], keys: [.builder: publicKey]),
         "ReleaseBucket \"B_B\" does not match the template's AllowedPattern"),
        (SiloSettings(bucket: "b-b-b", pipelines: ["a"], channel: "Stable!", keys: [.builder: publicKey]),
         "Channel \"Stable!\" does not match"),
        (SiloSettings(bucket: "b-b-b", pipelines: ["a"], keys: [.builder: publicKey], extra: ["LocalEmulator": "yes"]),
         "LocalEmulator must be one of true, false, not \"yes\""),
    ])
    func whatCloudFormationWouldRefuseIsRefusedFirst(settings: SiloSettings, message: String) throws {
        let error = #expect(throws: FleetError.self) {
            try SiloParameters.make(settings, declared: try declared(), file: "ferry-silo.yaml")
        }
        #expect(error?.code == .invalidInput)
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
    }

    @Test func aFileThatIsNoTemplateIsRefused() throws {
        #expect(throws: FleetError.self) { try TemplateParameter.parse(template: "[1, 2", file: "x.yaml") }
        #expect(throws: FleetError.self) { try TemplateParameter.parse(template: "- a\n- b\n", file: "x.yaml") }
        #expect(try TemplateParameter.parse(template: "{\"Resources\": {}}", file: "x.json") == [])
    }

    typealias Instance = BootstrapResult.Instance
    static func instance(_ account: String, _ region: String, _ ou: String?) -> Instance {
        Instance(account: account, region: region, organizationalUnit: ou, status: "CURRENT", detailedStatus: "SUCCEEDED")
    }

    @Test(arguments: [
        // (instances, missing as "regions:ous")
        ([Instance](), ["us-east-1,eu-west-1:ou-a,ou-b"]),
        ([instance("1", "us-east-1", "ou-a")], ["us-east-1:ou-b", "eu-west-1:ou-a,ou-b"]),
        ([instance("1", "us-east-1", "ou-a"), instance("2", "us-east-1", "ou-b"), instance("1", "eu-west-1", "ou-a"),
          instance("2", "eu-west-1", "ou-b")], []),
        // A service that does not name the OU (moto): a region with any instance counts as covered.
        ([instance("1", "us-east-1", nil)], ["eu-west-1:ou-a,ou-b"]),
    ])
    func onlyTheOUsAndRegionsWithoutInstancesGetNewOnes(instances: [Instance], expected: [String]) {
        let missing = Bootstrapper.missingTargets(ous: ["ou-a", "ou-b"], regions: ["us-east-1", "eu-west-1"],
                                                  instances: instances)
        #expect(missing.map { $0.regions.joined(separator: ",") + ":" + $0.ous.joined(separator: ",") } == expected)
    }
}
