import AWS
import Foundation
import HTTP
import TestSupport
import Testing

/// `AWSConfig.resolve` with the environment and the shared files passed in: no network
/// (temporary credentials are fetched on first use, and these tests do not use them).
@Suite struct ConfigTests {
    let dir: TemporaryDirectory
    let base: [String: String]

    init() throws {
        dir = try TemporaryDirectory()
        base = ["HOME": dir.path, "AWS_EC2_METADATA_DISABLED": "true"]
    }

    func files(config: String? = nil, credentials: String? = nil) throws -> [String: String] {
        var env = base
        if let config { env["AWS_CONFIG_FILE"] = try dir.write("config", config) }
        if let credentials { env["AWS_SHARED_CREDENTIALS_FILE"] = try dir.write("credentials", credentials) }
        return env
    }

    @Test func parsesTheIniShapesOfTheAWSCLI() {
        let file = AWSConfigFile(path: "config", text: """
            # comment
            [default]
            region = eu-west-1
            ; another comment
            [profile   dev]
            role_arn=arn:aws:iam::111111111111:role/deploy
            source_profile = default
            s3 =
              addressing_style = path
            output = json
            """)
        #expect(file.sections["default"] == ["region": "eu-west-1"])
        #expect(file.sections["profile dev"] == [
            "role_arn": "arn:aws:iam::111111111111:role/deploy", "source_profile": "default",
            "s3.addressing_style": "path", "output": "json",
        ])
    }

    @Test func environmentKeysComeFirst() throws {
        var env = try files(credentials: "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = file-secret\n")
        env["AWS_ACCESS_KEY_ID"] = "AKIAENV"
        env["AWS_SECRET_ACCESS_KEY"] = "env-secret"
        env["AWS_SESSION_TOKEN"] = "env-token"
        env["AWS_REGION"] = "eu-central-1"
        env["AWS_DEFAULT_REGION"] = "us-west-2"
        let config = try AWSConfig.resolve(environment: env)
        let credentials = try config.credentials.credentials()
        #expect(credentials == AWSCredentials(accessKeyId: "AKIAENV", secretAccessKey: "env-secret", sessionToken: "env-token"))
        #expect(config.credentials.source == "environment")
        #expect(config.region == "eu-central-1")
    }

    @Test func anExplicitProfileSkipsTheEnvironmentButAWSProfileDoesNot() throws {
        var env = try files(
            config: "[profile dev]\nregion = ap-south-1\n",
            credentials: "[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = dev-secret\n")
        env["AWS_ACCESS_KEY_ID"] = "AKIAENV"
        env["AWS_SECRET_ACCESS_KEY"] = "env-secret"
        let explicit = try AWSConfig.resolve(profile: "dev", environment: env)
        #expect(try explicit.credentials.credentials().accessKeyId == "AKIADEV")
        #expect(explicit.credentials.source == "profile dev")
        #expect(explicit.region == "ap-south-1")
        #expect(explicit.profile == "dev")

        env["AWS_PROFILE"] = "dev"
        let fromVariable = try AWSConfig.resolve(environment: env)
        #expect(try fromVariable.credentials.credentials().accessKeyId == "AKIAENV")
        #expect(fromVariable.region == "ap-south-1")
    }

    @Test func aRoleProfileChainsThroughSourceProfiles() throws {
        let env = try files(config: """
            [profile base]
            region = us-east-1
            [profile middle]
            role_arn = arn:aws:iam::222222222222:role/middle
            source_profile = base
            [profile deploy]
            role_arn = arn:aws:iam::333333333333:role/deploy
            source_profile = middle
            external_id = ext-123
            role_session_name = ferry-deploy
            """, credentials: "[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = base-secret\n")
        // As in the AWS CLI, a role profile does not take its source profile's region.
        let noRegion = #expect(throws: AWSError.self) { try AWSConfig.resolve(profile: "deploy", environment: env) }
        #expect(noRegion?.code == .missingRegion)
        let config = try AWSConfig.resolve(profile: "deploy", region: "eu-north-1", environment: env)
        #expect(config.credentials.source == "assumed role arn:aws:iam::333333333333:role/deploy via profile deploy")
        #expect(config.region == "eu-north-1")
    }

    @Test func roleProfileMistakesSayWhatToFix() throws {
        let env = try files(config: """
            [default]
            region = us-east-1
            [profile loop-a]
            role_arn = arn:aws:iam::1:role/a
            source_profile = loop-b
            [profile loop-b]
            role_arn = arn:aws:iam::1:role/b
            source_profile = loop-a
            [profile orphan]
            role_arn = arn:aws:iam::1:role/c
            [profile dangling]
            role_arn = arn:aws:iam::1:role/d
            source_profile = nowhere
            [profile sso]
            sso_session = corp
            """)
        let loop = #expect(throws: AWSError.self) { try AWSConfig.resolve(profile: "loop-a", region: "us-east-1", environment: env) }
        #expect(loop?.code == .invalidConfiguration && loop?.message.contains("loop-a -> loop-b -> loop-a") == true)
        let orphan = #expect(throws: AWSError.self) { try AWSConfig.resolve(profile: "orphan", region: "us-east-1", environment: env) }
        #expect(orphan?.message.contains("neither source_profile nor credential_source") == true)
        let dangling = #expect(throws: AWSError.self) { try AWSConfig.resolve(profile: "dangling", region: "us-east-1", environment: env) }
        #expect(dangling?.code == .profileNotFound && dangling?.message.contains("'nowhere'") == true)
        let sso = #expect(throws: AWSError.self) { try AWSConfig.resolve(profile: "sso", region: "us-east-1", environment: env) }
        #expect(sso?.code == .invalidConfiguration && sso?.message.contains("sso_session") == true)
    }

    @Test func aNamedProfileMustExist() throws {
        let env = try files(config: "[default]\nregion = us-east-1\n")
        let error = #expect(throws: AWSError.self) { try AWSConfig.resolve(profile: "typo", environment: env) }
        #expect(error?.code == .profileNotFound)
        #expect(error?.message.contains("'typo'") == true)
        #expect(error?.message.contains(dir.url("config")) == true)
    }

    @Test func missingCredentialsListWhatWasTried() throws {
        let env = try files(config: "[default]\nregion = us-east-1\n")
        let error = #expect(throws: AWSError.self) { try AWSConfig.resolve(environment: env) }
        #expect(error?.code == .missingCredentials)
        let message = error?.message ?? ""
        for source in ["environment variables", "profile 'default'", "ECS container credentials", "EC2 instance metadata"] {
            #expect(message.contains(source), "missing \(source) in: \(message)")
        }
    }

    @Test func regionComesFromArgumentsEnvironmentOrProfile() throws {
        var env = try files(credentials: "[default]\naws_access_key_id = A\naws_secret_access_key = s\n")
        let missing = #expect(throws: AWSError.self) { try AWSConfig.resolve(environment: env) }
        #expect(missing?.code == .missingRegion)
        env["AWS_DEFAULT_REGION"] = "us-west-2"
        #expect(try AWSConfig.resolve(environment: env).region == "us-west-2")
        #expect(try AWSConfig.resolve(region: "sa-east-1", environment: env).region == "sa-east-1")
    }

    @Test func endpointsFollowTheCLIsPrecedence() throws {
        var env = try files(config: "[default]\nregion = eu-west-1\nendpoint_url = https://profile.local:1\n",
                            credentials: "[default]\naws_access_key_id = A\naws_secret_access_key = s\n")
        var config = try AWSConfig.resolve(environment: env)
        #expect(try config.endpoint(for: .s3).origin == "https://profile.local:1")
        env["AWS_ENDPOINT_URL"] = "https://global.local:2"
        env["AWS_ENDPOINT_URL_CLOUDFORMATION"] = "https://cfn.local"
        config = try AWSConfig.resolve(environment: env)
        #expect(try config.endpoint(for: .s3).origin == "https://global.local:2")
        #expect(try config.endpoint(for: .cloudFormation).origin == "https://cfn.local")
        config = try AWSConfig.resolve(endpointURL: "http://localhost:5000/", environment: env)
        let explicit = try config.endpoint(for: .cloudFormation)
        #expect(explicit.origin == "http://localhost:5000" && explicit.isCustom && explicit.basePath == "")

        env = try files(credentials: "[default]\naws_access_key_id = A\naws_secret_access_key = s\n")
        config = try AWSConfig.resolve(region: "eu-west-1", environment: env)
        #expect(try config.endpoint(for: .sts) == AWSEndpoint(url: "https://sts.eu-west-1.amazonaws.com", isCustom: false))
        #expect(try config.endpoint(for: .organizations).host == "organizations.us-east-1.amazonaws.com")
        let bad = #expect(throws: AWSError.self) {
            try AWSConfig.resolve(region: "eu-west-1", endpointURL: "localhost:5000", environment: env)
        }
        #expect(bad?.code == .invalidConfiguration)
    }

    @Test func secretsNeverShowInDescriptions() throws {
        var env = try files(config: "[default]\nregion = us-east-1\n")
        env["AWS_ACCESS_KEY_ID"] = "AKIAEXAMPLEKEY1234"
        env["AWS_SECRET_ACCESS_KEY"] = "super-secret-value"
        env["AWS_SESSION_TOKEN"] = "session-token-value"
        let config = try AWSConfig.resolve(environment: env)
        let credentials = try config.credentials.credentials()
        var dumped = ""
        dump(config, to: &dumped)
        dump(credentials, to: &dumped)
        dump(config.credentials, to: &dumped)
        let texts = [String(describing: config), String(reflecting: config), String(describing: credentials),
                     String(reflecting: credentials), "\(config.credentials)", dumped]
        for text in texts {
            #expect(!text.contains("super-secret-value") && !text.contains("session-token-value"), "leaked in: \(text)")
        }
        #expect(String(describing: credentials).contains("…1234"))
        var headers = HTTPHeaders()
        headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=x, Signature=abc"
        headers["X-Amz-Security-Token"] = "session-token-value"
        #expect(!"\(headers)".contains("session-token-value") && !"\(headers)".contains("Signature"))
    }
}
