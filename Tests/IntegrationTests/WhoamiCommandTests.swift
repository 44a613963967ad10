import Foundation
import TestSupport
import Testing

/// `ferry aws whoami` as a user runs it, against the shared moto server.
@Suite struct WhoamiCommandTests {
    func ferry(_ arguments: [String], environment: [String: String]) throws -> FerryRun {
        try FerryProcess.run(arguments, environment: environment)
    }

    @Test func showsTheAccountAndWhereTheCredentialsCameFrom() throws {
        let dir = try TemporaryDirectory()
        let account = AWSTestConfig.uniqueAccountId()
        let env = [
            "HOME": dir.path, "PATH": "/usr/bin:/bin",
            "AWS_CONFIG_FILE": try dir.write("config", """
                [profile silo]
                region = eu-west-1
                role_arn = arn:aws:iam::\(account):role/ferry-agent
                source_profile = base
                role_session_name = whoami
                [profile base]
                region = us-east-1
                """),
            "AWS_SHARED_CREDENTIALS_FILE": try dir.write("credentials", "[base]\naws_access_key_id = AKIATESTBASE\naws_secret_access_key = base-secret-value\n"),
        ]
        let run = try ferry(["aws", "whoami", "--profile", "silo", "--endpoint-url", try TestEnvironment.motoEndpoint()],
                            environment: env)
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.count == 6 && lines.last == "")
        #expect(lines.first == "Account:  \(account)")
        #expect(lines.dropFirst().first == "Arn:      arn:aws:sts::\(account):assumed-role/ferry-agent/whoami")
        #expect(lines.dropFirst(2).first.map { $0.hasPrefix("UserId:   ") && $0.count > 10 } == true)  // moto makes it up
        #expect(lines.dropFirst(3).first == "Source:   assumed role arn:aws:iam::\(account):role/ferry-agent via profile silo")
        #expect(lines.dropFirst(4).first == "Region:   eu-west-1")

        let json = try ferry(["aws", "whoami", "--json", "--profile", "base", "--endpoint-url", try TestEnvironment.motoEndpoint()],
                             environment: env)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: String]
        #expect(object?["Source"] == "profile base")
        #expect(object?["Region"] == "us-east-1")
        #expect(object?["Account"]?.count == 12)
        #expect(!json.stdout.contains("base-secret-value") && !run.stdout.contains("base-secret-value"))
    }

    @Test func failsWithWhatToDoWhenNothingIsConfigured() throws {
        let dir = try TemporaryDirectory()
        let run = try ferry(["aws", "whoami", "--region", "us-east-1"],
                            environment: ["HOME": dir.path, "AWS_EC2_METADATA_DISABLED": "true"])
        #expect(run.status != 0)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.contains("MissingCredentials: no AWS credentials found. Tried, in order: environment variables"))
        let badURL = try ferry(["aws", "whoami", "--endpoint-url", "localhost:1"], environment: ["HOME": dir.path])
        #expect(badURL.status == 64 && badURL.stderr.contains("--endpoint-url must start with http:// or https://"))
    }
}
