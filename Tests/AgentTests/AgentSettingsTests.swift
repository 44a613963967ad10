import Agent
import Archive
import Foundation
import Testing

/// Settings: flags over the YAML file over FERRY_*; every mistake named.
@Suite struct AgentSettingsTests {
    static let yaml = """
        bucket: from-file
        prefix: ferry/
        pipelines: [dropzone, ingest]
        channel: stable
        trust:
          - /etc/ferry/builder.pub=builder
          - /etc/ferry/release.pub=release,oncall
        state-dir: /srv/ferry
        interval: 2m
        deploy-role-arn: arn:aws:iam::111111111111:role/ferry-deploy
        stack-prefix: ferry-
        parameters:
          ingest: {BatchSize: "500", Mode: fast}
          dropzone:
            Retention: 7
        max-entries: 500
        max-unpacked-bytes: 512M
        max-ratio: 50
        log-format: json
        region: eu-west-1
        """

    @Test func theFileAloneGivesEverySetting() throws {
        let settings = try AgentSettings.resolve(flags: .init(), file: .yaml(Self.yaml, file: "agent.yaml"))
        #expect(settings.bucket == "from-file")
        #expect(settings.pipelines == ["dropzone", "ingest"])
        #expect(settings.trust == ["/etc/ferry/builder.pub=builder", "/etc/ferry/release.pub=release,oncall"])
        #expect(settings.stateDirectory == "/srv/ferry")
        #expect(settings.interval == 120)
        #expect(settings.deployRoleArn == "arn:aws:iam::111111111111:role/ferry-deploy")
        #expect(settings.stackPrefix == "ferry-")
        #expect(settings.parameters == ["ingest": ["BatchSize": "500", "Mode": "fast"], "dropzone": ["Retention": "7"]])
        #expect(settings.limits == ExtractLimits(maxEntries: 500, maxBytes: 512 << 20, maxRatio: 50))
        #expect(settings.logFormat == .json)
        #expect(settings.region == "eu-west-1")
        #expect(settings.silo == nil)
    }

    @Test func flagsOverrideTheFileWhichOverridesTheEnvironment() throws {
        let environment = try AgentSettings.Layer.environment([
            "FERRY_BUCKET": "from-env", "FERRY_CHANNEL": "canary", "FERRY_SILO": "silo-from-env",
            "FERRY_PIPELINES": "a,b", "FERRY_TRUST": "/k/a.pub /k/b.pub=oncall", "FERRY_INTERVAL": "45",
            "FERRY_PARAMETERS": "ingest.BatchSize=9 ingest.Extra=1", "FERRY_LOG_FORMAT": "text",
        ])
        var flags = AgentSettings.Layer()
        flags.bucket = "from-flag"
        flags.pipelines = ["only"]
        try flags.addParameters(["ingest.Mode=slow", "app.Size=t3.small=big"], from: "--parameter")
        let settings = try AgentSettings.resolve(flags: flags, file: .yaml(Self.yaml, file: "agent.yaml"),
                                                 environment: environment)
        #expect(settings.bucket == "from-flag")
        #expect(settings.pipelines == ["only"])
        #expect(settings.channel == "stable")         // file over environment
        #expect(settings.silo == "silo-from-env")      // only the environment has it
        #expect(settings.interval == 120)
        #expect(settings.logFormat == .json)
        #expect(settings.parameters["ingest"] == ["BatchSize": "500", "Mode": "slow", "Extra": "1"])
        #expect(settings.parameters["app"] == ["Size": "t3.small=big"])

        let fromEnvironment = try AgentSettings.resolve(flags: .init(), environment: environment)
        #expect(fromEnvironment.pipelines == ["a", "b"])
        #expect(fromEnvironment.trust == ["/k/a.pub", "/k/b.pub=oncall"])
        #expect(fromEnvironment.interval == 45)
        #expect(fromEnvironment.prefix == "ferry/")
        #expect(fromEnvironment.stateDirectory == AgentSettings.defaultStateDirectory)
        #expect(fromEnvironment.limits == ExtractLimits())
    }

    @Test(arguments: [
        ("bukket: x\n", "unknown setting 'bukket'"),
        ("bucket: [a, b]\n", "agent.yaml: bucket must be a single value"),
        ("- just\n- a list\n", "must be a mapping of settings"),
        ("parameters: {app: 3}\n", "agent.yaml: parameters.app must map parameter names to values"),
        ("bucket: 'unterminated\n", "is not valid YAML"),
    ])
    func aBadFileIsRefusedWithTheReason(text: String, expected: String) throws {
        let error = #expect(throws: AgentError.self) { try AgentSettings.Layer.yaml(text, file: "agent.yaml") }
        #expect(error?.code == .configuration)
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "")")
    }

    @Test(arguments: [
        ("bucket", nil, "no bucket: pass --bucket NAME"),
        ("pipelines", nil, "no pipeline"),
        ("trust", nil, "no trusted key"),
        ("pipelines", "web app", "pipeline name \"web app\""),
        ("stack-prefix", "9lives", "stack prefix '9lives'"),
        ("interval", "soon", "interval 'soon' is not a duration"),
        ("interval", "0", "between 0.1 s and 24 h"),
        ("pin-interval", "2d", "the pin interval '2d' is not a duration"),
        ("pin-interval", "25h", "the pin interval must be between 0 and 24 h"),
        ("heartbeat", "0", "the heartbeat between 1 s and 7 days"),
        ("heartbeat", "often", "the heartbeat 'often' is not a duration"),
        ("deploy-role-arn", "ferry-deploy", "is not a role ARN"),
        ("max-unpacked-bytes", "lots", "max-unpacked-bytes 'lots'"),
        ("log-format", "xml", "unknown log format 'xml'"),
        ("log-level", "loud", "unknown log level 'loud'"),
    ] as [(String, String?, String)])
    func aMissingOrBadSettingSaysWhatToDo(setting: String, value: String?, expected: String) {
        var flags = AgentSettings.Layer()
        flags.bucket = "b"
        flags.pipelines = ["webapp"]
        flags.trust = ["k.pub"]
        switch setting {
        case "bucket": flags.bucket = value
        case "pipelines": flags.pipelines = value.map { [$0] }
        case "trust": flags.trust = value.map { [$0] }
        case "stack-prefix": flags.stackPrefix = value
        case "interval": flags.interval = value
        case "pin-interval": flags.pinInterval = value
        case "heartbeat": flags.heartbeat = value
        case "deploy-role-arn": flags.deployRoleArn = value
        case "max-unpacked-bytes": flags.maxUnpackedBytes = value
        case "log-format": flags.logFormat = value
        default: flags.logLevel = value
        }
        let error = #expect(throws: AgentError.self) { try AgentSettings.resolve(flags: flags) }
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "")")
    }

    @Test func aParameterArgumentMustBeStackDotKeyEqualsValue() {
        var layer = AgentSettings.Layer()
        for bad in ["Size=1", ".Size=1", "app.=1", "app.Size"] {
            let error = #expect(throws: AgentError.self) { try layer.addParameters([bad], from: "--parameter") }
            #expect(error?.message.contains("'\(bad)' is not STACK.KEY=VALUE") == true)
        }
    }
}

/// Issue 13: the README's agent command failed for a non-root user with a raw Foundation
/// error about /var/lib/ferry. The default now fits the user; an unusable folder is one
/// message that names the flag.
@Suite struct StateFolderDefaultTests {
    @Test(arguments: [
        (0, [:], "/var/lib/ferry"),
        (0, ["HOME": "/root", "XDG_STATE_HOME": "/root/.state"], "/var/lib/ferry"),
        (1000, ["HOME": "/home/ana"], "/home/ana/.local/state/ferry"),
        (1000, ["HOME": "/home/ana", "XDG_STATE_HOME": "/home/ana/state"], "/home/ana/state/ferry"),
        (1000, ["HOME": "/home/ana", "XDG_STATE_HOME": "relative"], "/home/ana/.local/state/ferry"),
        (1000, ["STATE_DIRECTORY": "/var/lib/ferry:/var/lib/other", "HOME": "/home/ana"], "/var/lib/ferry"),
        (0, ["STATE_DIRECTORY": "/srv/ferry"], "/srv/ferry"),
        (1000, [:], "/var/lib/ferry"),
    ] as [(UInt32, [String: String], String)])
    func theDefaultFitsTheUser(userID: UInt32, environment: [String: String], expected: String) {
        #expect(AgentSettings.stateDirectoryDefault(userID: userID, environment: environment) == expected)
    }

    @Test func resolveUsesTheDefaultGivenUnlessASettingNamesOne() throws {
        var flags = AgentSettings.Layer()
        flags.bucket = "b"
        flags.pipelines = ["p"]
        flags.trust = ["/k.pub"]
        #expect(try AgentSettings.resolve(flags: flags, stateDirectoryDefault: "/home/ana/.local/state/ferry")
            .stateDirectory == "/home/ana/.local/state/ferry")
        var environment = AgentSettings.Layer()
        environment.stateDirectory = "/srv/ferry"
        #expect(try AgentSettings.resolve(flags: flags, environment: environment, stateDirectoryDefault: "/x")
            .stateDirectory == "/srv/ferry")
    }

    @Test func aFolderThatCannotBeCreatedIsOneMessageNamingTheFlag() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-state-\(UUID().uuidString)").path
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let error = #expect(throws: AgentError.self) { try StateLock(stateDirectory: file + "/state") }
        #expect(error?.code == .locked && error?.cause == nil)
        #expect(error?.message == "cannot use the state folder \(file)/state: \(file) is not a folder; pass --state-dir "
            + "DIR (or FERRY_STATE_DIR, `state-dir:` in the config file) naming a folder this user (uid \(getuid())) "
            + "may write, or create \(file)/state for it")
        #expect(!FileManager.default.fileExists(atPath: file + "/state"))
    }
}
